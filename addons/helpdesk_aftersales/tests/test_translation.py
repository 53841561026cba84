# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"What a Persian (right-to-left) user of the after-sales actions sees"

from trytond.i18n import gettext
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_aftersales.exceptions import AfterSalesError
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

FA = {'language': 'fa'}


class HelpdeskAftersalesTranslationTestCase(_DBTestCase):
    "Test Helpdesk After Sales in Persian"
    module = 'helpdesk_aftersales'
    extras = ['sale_price_list']
    language = 'fa'

    @with_transaction(context=FA)
    def test_coupon_email(self):
        "The coupon e-mail reads naturally in Persian"
        text = gettext(
            'helpdesk_aftersales.msg_coupon_email',
            promotion="Sorry", number="ABCD-EFGH-JKMN",
            start_date="1405/09/02", end_date="1405/12/01")

        self.assertEqual(
            text,
            "کوپن شما برای «Sorry»:\n\nABCD-EFGH-JKMN\n\n"
            "این کوپن از 1405/09/02 تا 1405/12/01 معتبر است. "
            "هنگام سفارش این شماره را اعلام کنید.")
        self.assertEqual(
            gettext('helpdesk_aftersales.msg_coupon_email_uses', uses="3"),
            "می\u200cتوانید آن را برای 3 سفارش به کار ببرید.")

    @with_transaction(context=FA)
    def test_ticket_form(self):
        "The ticket form shows the actions and their page in Persian"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')

        view = Ticket.fields_view_get(view_type='form')

        for text in [
                "اعلامیه بستانکار", "کوپن", "مرجوع کالا", "تعمیر",
                "خدمات پس از فروش"]:
            with self.subTest(text=text):
                self.assertIn('"%s"' % text, view['arch'])
        self.assertEqual(
            view['fields']['credit_notes']['string'],
            "اعلامیه\u200cهای بستانکار")

    @with_transaction(context=FA)
    def test_repair_selections(self):
        "The states of a repair and the types of its lines are in Persian"
        pool = Pool()
        Repair = pool.get('helpdesk.repair')
        Line = pool.get('helpdesk.repair.line')
        Number = pool.get('sale.promotion.coupon.number')

        self.assertEqual(
            Repair.fields_get(['state'])['state']['selection'], [
                ('draft', "پیش\u200cنویس"),
                ('confirmed', "تأییدشده"),
                ('in_progress', "در حال انجام"),
                ('done', "انجام\u200cشده"),
                ('cancelled', "لغوشده"),
                ])
        self.assertEqual(
            Line.fields_get(['type'])['type']['selection'], [
                ('part', "قطعه"),
                ('labour', "دستمزد"),
                ])
        self.assertEqual(
            Number.fields_get(['status'])['status']['selection'], [
                ('valid', "معتبر"),
                ('used', "استفاده\u200cشده"),
                ('expired', "منقضی\u200cشده"),
                ])

    @with_transaction(context=FA)
    def test_action_refused(self):
        "A Persian user reads why an action is refused"
        pool = Pool()
        Party = pool.get('party.party')
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')

        company = create_company()
        with set_company(company):
            party, = Party.create([{'name': "Carol"}])
            team, = Team.create([{'name': "Support"}])
            ticket, = Ticket.create([{
                        'name': "Broken",
                        'team': team.id,
                        'party': party.id,
                        }])

            with self.assertRaises(AfterSalesError) as cm:
                ticket.check_aftersales('use_repairs')

        self.assertEqual(
            cm.exception.message,
            "نمی\u200cتوانید از «تعمیرات» در تیکت «[HD00001] Broken» "
            "استفاده کنید، چون تیم آن، «Support»، اجازه نمی\u200cدهد.")

    @with_transaction(context=FA)
    def test_repair_report(self):
        "The printed repair order is in Persian"
        pool = Pool()
        Translation = pool.get('ir.translation')

        self.assertEqual(
            Translation.get_report(
                'helpdesk.repair', "Repair Order No:"),
            "شماره دستور تعمیر:")

    @with_transaction()
    def test_every_string_translated(self):
        "Every string of the module has a Persian translation"
        pool = Pool()
        Translation = pool.get('ir.translation')

        def keys(lang):
            with Transaction().set_context(language='en'):
                translations = Translation.search([
                        ('module', '=', 'helpdesk_aftersales'),
                        ('lang', '=', lang),
                        ])
            return {
                (t.type, t.name, t.res_id, t.src) for t in translations
                if lang == 'en' or t.value}

        self.assertEqual(keys('en') - keys('fa'), set())


del _DBTestCase
