# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"What a Persian (right-to-left) user of the SLAs sees"

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_sla.exceptions import SLAValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

FA = {'language': 'fa'}


class HelpdeskSlaTranslationTestCase(_DBTestCase):
    "Test Helpdesk SLA in Persian"
    module = 'helpdesk_sla'
    language = 'fa'

    @with_transaction(context=FA)
    def test_policy_form(self):
        "The policy form shows Persian labels, pages and button"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')

        view = SLA.fields_view_get(view_type='form')

        self.assertEqual(view['fields']['priority']['string'], "حداقل اولویت")
        self.assertEqual(
            view['fields']['target']['selection'], [
                ('stage', "رسیدن به مرحله"),
                ('assigned', "تخصیص"),
                ('first_response', "اولین پاسخ"),
                ])
        for text in ["تعهد", "توقف‌ها", "اعمال روی تیکت‌های باز"]:
            with self.subTest(text=text):
                self.assertIn('"%s"' % text, view['arch'])

    @with_transaction(context=FA)
    def test_ticket_form(self):
        "The ticket shows its SLA in Persian"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')

        view = Ticket.fields_view_get(view_type='form')
        statuses = TicketSLA.fields_get(['status'])['status']

        self.assertEqual(
            view['fields']['sla_deadline']['string'], "مهلت SLA")
        self.assertIn('sla_color', view['fields'])
        self.assertIn('"SLA"', view['arch'])
        self.assertEqual(statuses['selection'], [
                ('ongoing', "در جریان"),
                ('reached', "محقق‌شده"),
                ('failed', "نقض‌شده"),
                ])

    @with_transaction(context=FA)
    def test_menu_and_tabs(self):
        "The menus and the queues of the ticket list are in Persian"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Menu = pool.get('ir.ui.menu')
        ActionDomain = pool.get('ir.action.act_window.domain')

        policies = Menu(ModelData.get_id('helpdesk_sla', 'menu_sla_form'))
        analysis = Menu(ModelData.get_id('helpdesk_sla', 'menu_sla_analysis'))
        tabs = ActionDomain.browse([
                ModelData.get_id(
                    'helpdesk_sla', 'act_ticket_form_domain_sla_failed'),
                ModelData.get_id(
                    'helpdesk_sla', 'act_ticket_form_domain_sla_due_today'),
                ])

        self.assertEqual(policies.name, "سیاست‌های SLA")
        self.assertEqual(analysis.name, "تحلیل SLA")
        self.assertEqual(
            [t.name for t in tabs], ["SLA نقض‌شده", "سررسید SLA امروز"])

    @with_transaction(context=FA)
    def test_error(self):
        "A Persian manager reads why a policy is refused"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Stage = pool.get('helpdesk.stage')
        Team = pool.get('helpdesk.team')

        company = create_company()
        with set_company(company):
            team, = Team.create([{'name': "Support"}])
            solved, = Stage.search([('category', '=', 'solved')])
            with self.assertRaises(SLAValidationError) as cm:
                SLA.create([{
                            'name': "Fast",
                            'team': team.id,
                            'target': 'stage',
                            'target_stage': solved.id,
                            'hours': 0,
                            }])

        self.assertEqual(
            cm.exception.message,
            "سیاست SLA «Fast» باید برای رسیدن به هدفش چند روز یا ساعت "
            "فرصت بدهد.")

    @with_transaction()
    def test_every_string_translated(self):
        "Every string of the module has a Persian translation"
        pool = Pool()
        Translation = pool.get('ir.translation')

        def keys(lang):
            with Transaction().set_context(language='en'):
                translations = Translation.search([
                        ('module', '=', 'helpdesk_sla'),
                        ('lang', '=', lang),
                        ])
            return {
                (t.type, t.name, t.res_id, t.src) for t in translations
                if lang == 'en' or t.value}

        self.assertEqual(keys('en') - keys('fa'), set())


del _DBTestCase
