# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"What a Persian (right-to-left) user of the website's models and pages sees"

import os
import re
import unittest

from babel.messages.pofile import read_po

from trytond.i18n import gettext
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_website import website
from trytond.modules.helpdesk_website.exceptions import TicketRatingError
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

FA = {'language': 'fa'}
_PLACEHOLDER = re.compile(r'%\(\w+\)[sd]')


class HelpdeskWebsiteTranslationTestCase(_DBTestCase):
    "Test Helpdesk Website in Persian"
    module = 'helpdesk_website'
    language = 'fa'

    @with_transaction(context=FA)
    def test_team_form(self):
        "The website fields and button of the team form are in Persian"
        pool = Pool()
        Team = pool.get('helpdesk.team')

        view = Team.fields_view_get(view_type='form')

        self.assertEqual(
            view['fields']['website_published']['string'],
            "منتشرشده در وب‌سایت")
        self.assertIn('"رفتن به وب‌سایت"', view['arch'])

    @with_transaction(context=FA)
    def test_ticket_rating(self):
        "The rating of the ticket form is in Persian"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')

        view = Ticket.fields_view_get(view_type='form')

        self.assertEqual(view['fields']['rating']['string'], "امتیاز")
        self.assertEqual(
            view['fields']['rating_date']['string'], "تاریخ امتیازدهی")
        self.assertIn('"امتیاز"', view['arch'])

    @with_transaction(context=FA)
    def test_configuration_sms_sender(self):
        "The SMS senders of the configuration are in Persian"
        pool = Pool()
        Configuration = pool.get('helpdesk.configuration')

        field = Configuration.fields_get(['sms_sender'])['sms_sender']

        self.assertEqual(field['string'], "روش ارسال پیامک")
        self.assertEqual(field['selection'], [('log', "لاگ سرور")])

    @with_transaction(context=FA)
    def test_menu(self):
        "The menu of the announcements is in Persian"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Menu = pool.get('ir.ui.menu')

        menu = Menu(ModelData.get_id(
                'helpdesk_website', 'menu_announcement_form'))

        self.assertEqual(menu.name, "اطلاعیه‌ها")

    @with_transaction(context=FA)
    def test_message(self):
        "The sign-in code SMS is in Persian with its code"
        text = gettext('helpdesk_website.msg_login_code_sms', code='123456')

        self.assertEqual(
            text,
            "کد ورود شما به مرکز پشتیبانی: 123456. "
            "این کد 10 دقیقه اعتبار دارد.")

    @with_transaction(context=FA)
    def test_rate_team_without_rating(self):
        "A Persian user rating a ticket of a team without rating reads why not"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')

        company = create_company()
        with set_company(company):
            team, = Team.create([{'name': "Support", 'use_rating': False}])
            ticket, = Ticket.create([{
                        'name': "Printer broken",
                        'team': team.id,
                        }])

            with self.assertRaises(TicketRatingError) as cm:
                Ticket.rate([ticket], 5)

        self.assertEqual(
            cm.exception.message,
            "تیم «Support» از مشتریانش نمی‌خواهد به تیکت "
            "«[HD00001] Printer broken» امتیاز دهند.")

    @with_transaction()
    def test_every_string_translated(self):
        "Every string of the module has a Persian translation"
        pool = Pool()
        Translation = pool.get('ir.translation')

        def translations(lang):
            with Transaction().set_context(language='en'):
                return Translation.search([
                        ('module', '=', 'helpdesk_website'),
                        ('lang', '=', lang),
                        ])

        def keys(translations, lang):
            return {
                (t.type, t.name, t.res_id, t.src) for t in translations
                if lang == 'en' or t.value}

        english = translations('en')
        persian = translations('fa')
        self.assertEqual(
            keys(english, 'en') - keys(persian, 'fa'), set())

        # The placeholders of the messages are all kept
        for translation in persian:
            with self.subTest(src=translation.src):
                self.assertEqual(
                    sorted(_PLACEHOLDER.findall(translation.value or '')),
                    sorted(_PLACEHOLDER.findall(translation.src or '')))


class HelpdeskWebsiteCatalogueTestCase(unittest.TestCase):
    "Test the Persian catalogue of the website pages (i18n/fa.po)"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with open(os.path.join(website.I18N, 'fa.po'), 'rb') as file:
            cls.catalog = read_po(file, locale='fa')

    def test_header(self):
        "The catalogue has its header: charset and Persian plural forms"
        self.assertEqual(self.catalog.charset, 'utf-8')
        self.assertEqual(
            self.catalog.plural_forms, 'nplurals=2; plural=(n > 1);')
        self.assertFalse(self.catalog.fuzzy)

    def test_every_message_translated(self):
        "Every message of the pages has a Persian translation, none fuzzy"
        for message in self.catalog:
            if not message.id:
                continue
            with self.subTest(msgid=message.id):
                strings = (
                    message.string if message.pluralizable
                    else [message.string])
                self.assertTrue(all(strings))
                self.assertFalse(message.fuzzy)
                ids = message.id if message.pluralizable else [message.id]
                for string in strings:
                    self.assertEqual(
                        sorted(set(_PLACEHOLDER.findall(string))),
                        sorted(set(_PLACEHOLDER.findall(ids[0]))))

    def test_no_tryton_message(self):
        "The messages of the models are not in the catalogue of the pages"
        for message in self.catalog:
            with self.subTest(msgid=message.id):
                self.assertNotRegex(
                    message.id if not message.pluralizable
                    else message.id[0],
                    r'^helpdesk_website\.msg_')

    def test_gettext(self):
        "The Python texts of the pages are in Persian, plurals included"
        self.assertEqual(
            website.gettext('fa', "The file %(name)s is empty.",
                name='notes.txt'),
            "فایل notes.txt خالی است.")
        self.assertEqual(
            website.ngettext('fa', "%(num)d star", "%(num)d stars", 3),
            "3 ستاره")


del _DBTestCase
