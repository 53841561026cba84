# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"What a Persian (right-to-left) user of the conversion sees"

import re

from trytond.i18n import gettext
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_crm.exceptions import TicketConvertError
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

FA = {'language': 'fa'}
_PLACEHOLDER = re.compile(r'%\(\w+\)s')


class HelpdeskCrmTranslationTestCase(_DBTestCase):
    "Test Helpdesk CRM in Persian"
    module = 'helpdesk_crm'
    language = 'fa'

    @with_transaction(context=FA)
    def test_ticket_buttons(self):
        "The conversion buttons of the ticket are in Persian"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')

        view = Ticket.fields_view_get(view_type='form')

        for text in ["تبدیل به فرصت فروش", "تبدیل به سرنخ فروش"]:
            with self.subTest(text=text):
                self.assertIn('"%s"' % text, view['arch'])
        self.assertEqual(
            view['fields']['opportunity']['string'], "فرصت فروش")

    @with_transaction(context=FA)
    def test_wizard_form(self):
        "The wizard shows Persian labels, choices and buttons"
        pool = Pool()
        Start = pool.get('helpdesk.ticket.convert_opportunity.start')
        Convert = pool.get(
            'helpdesk.ticket.convert_opportunity', type='wizard')

        fields = Start.fields_get(
            ['customer_action', 'employee', 'party', 'as_lead'])
        buttons = Convert.start.get_buttons(Convert, 'start')

        self.assertEqual(fields['customer_action']['string'], "مشتری")
        self.assertEqual(fields['customer_action']['selection'], [
                ('create', "ساختن مشتری جدید"),
                ('link', "پیوند به مشتری موجود"),
                ('none', "بدون مشتری"),
                ])
        self.assertEqual(fields['employee']['string'], "کارشناس فروش")
        self.assertEqual(fields['party']['string'], "مشتری موجود")
        self.assertEqual(
            [b['string'] for b in buttons], ["انصراف", "تبدیل"])

    @with_transaction(context=FA)
    def test_convert_cancelled_ticket(self):
        "A Persian agent converting a cancelled ticket reads why not"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')

        company = create_company()
        with set_company(company):
            team, = Team.create([{'name': "Support"}])
            ticket, = Ticket.create([{
                        'name': "Quote",
                        'team': team.id,
                        }])
            Ticket.cancel([ticket])

            with self.assertRaises(TicketConvertError) as cm:
                ticket.check_convertible()

        self.assertEqual(
            cm.exception.message,
            "نمی‌توانید تیکت «[HD00001] Quote» را تبدیل کنید، "
            "چون لغو شده است. ابتدا آن را بازگشایی کنید.")

    @with_transaction(context=FA)
    def test_chat_note(self):
        "The note left on the ticket is in Persian with its link"
        text = gettext(
            'helpdesk_crm.msg_ticket_converted_lead',
            opportunity="12", url='http://example.com/#db/model/x/1')

        self.assertEqual(
            text,
            "به سرنخ فروش «12» تبدیل و بایگانی شد: "
            "http://example.com/#db/model/x/1")

    @with_transaction()
    def test_every_string_translated(self):
        "Every string of the module has a Persian translation"
        pool = Pool()
        Translation = pool.get('ir.translation')

        def translations(lang):
            with Transaction().set_context(language='en'):
                return Translation.search([
                        ('module', '=', 'helpdesk_crm'),
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


del _DBTestCase
