# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"What a Persian (right-to-left) user of the helpdesk sees"

from trytond.i18n import gettext
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.exceptions import (
    TicketReplyError, TicketStageError)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

FA = {'language': 'fa'}


class HelpdeskCoreTranslationTestCase(_DBTestCase):
    "Test Helpdesk Core in Persian"
    module = 'helpdesk_core'
    language = 'fa'

    @with_transaction(context=FA)
    def test_language_right_to_left(self):
        "Persian is written from right to left"
        pool = Pool()
        Lang = pool.get('ir.lang')

        lang = Lang.get('fa')

        self.assertEqual(lang.direction, 'rtl')
        self.assertTrue(lang.translatable)

    @with_transaction(context=FA)
    def test_message(self):
        "An error message is in Persian with its placeholder filled"
        text = gettext(
            'helpdesk_core.msg_ticket_reply_cancelled',
            ticket="[HD00001] Printer")

        self.assertEqual(
            text,
            "نمی‌توانید به تیکت «[HD00001] Printer» پاسخ دهید، "
            "چون لغو شده است. ابتدا آن را بازگشایی کنید.")

    @with_transaction(context=FA)
    def test_ticket_selections(self):
        "The priorities, states and channels of a ticket are in Persian"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')

        fields = Ticket.fields_get(['priority', 'state', 'channel'])

        self.assertEqual(fields['priority']['string'], "اولویت")
        self.assertEqual(fields['priority']['selection'], [
                ('0', "پایین"),
                ('1', "متوسط"),
                ('2', "بالا"),
                ('3', "فوری"),
                ])
        self.assertEqual(fields['state']['selection'], [
                ('new', "جدید"),
                ('in_progress', "در حال رسیدگی"),
                ('waiting', "در انتظار مشتری"),
                ('solved', "حل‌شده"),
                ('cancelled', "لغوشده"),
                ])
        self.assertEqual(
            dict(fields['channel']['selection'])['email'], "ایمیل")

    @with_transaction(context=FA)
    def test_ticket_form(self):
        "The ticket form shows Persian labels, pages and buttons"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')

        view = Ticket.fields_view_get(view_type='form')

        self.assertEqual(view['fields']['name']['string'], "موضوع")
        self.assertEqual(view['fields']['user']['string'], "کارشناس مسئول")
        for text in [
                "تخصیص به من", "انتظار پاسخ مشتری", "حل شد", "لغو",
                "بازگشایی", "سایر اطلاعات", "تاریخ ایجاد"]:
            with self.subTest(text=text):
                self.assertIn('"%s"' % text, view['arch'])

    @with_transaction(context=FA)
    def test_default_stages(self):
        "The default stages are named in Persian"
        pool = Pool()
        Stage = pool.get('helpdesk.stage')

        stages = Stage.search([])

        self.assertEqual([s.name for s in stages], [
                "جدید", "در حال رسیدگی", "در انتظار مشتری", "حل‌شده",
                "لغوشده"])

    @with_transaction(context=FA)
    def test_menu_and_tabs(self):
        "The menu and the tabs of the ticket list are in Persian"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Menu = pool.get('ir.ui.menu')
        ActionDomain = pool.get('ir.action.act_window.domain')

        menu = Menu(ModelData.get_id('helpdesk_core', 'menu_helpdesk'))
        tabs = ActionDomain.search([
                ('act_window', '=',
                    ModelData.get_id('helpdesk_core', 'act_ticket_form')),
                ], order=[('sequence', 'ASC')])

        self.assertEqual(menu.name, "پشتیبانی")
        self.assertEqual(
            [t.name for t in tabs],
            ["تیکت‌های من", "تخصیص‌نیافته", "فوری", "در انتظار", "همه"])

    @with_transaction(context=FA)
    def test_reply_on_cancelled_ticket(self):
        "A Persian agent replying on a cancelled ticket reads why not"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        Channel = pool.get('ir.chat.channel')

        company = create_company()
        with set_company(company):
            team, = Team.create([{'name': "Support"}])
            ticket, = Ticket.create([{
                        'name': "Printer broken",
                        'team': team.id,
                        }])
            Ticket.cancel([ticket])

            with self.assertRaises(TicketReplyError) as cm:
                Channel.post(ticket, "Restart it.", 'public')

        self.assertEqual(
            cm.exception.message,
            "نمی‌توانید به تیکت «[HD00001] Printer broken» پاسخ دهید، "
            "چون لغو شده است. ابتدا آن را بازگشایی کنید.")

    @with_transaction(context=FA)
    def test_missing_stage_category(self):
        "The category named in an error is the Persian one"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Stage = pool.get('helpdesk.stage')
        Team = pool.get('helpdesk.team')

        company = create_company()
        with set_company(company):
            support, other = Team.create([
                    {'name': "Support"},
                    {'name': "Other"},
                    ])
            waiting = Stage(ModelData.get_id('helpdesk_core', 'stage_waiting'))
            waiting.teams = [other]
            waiting.save()

            with self.assertRaises(TicketStageError) as cm:
                support.get_stage('waiting')

        self.assertEqual(
            cm.exception.message,
            "تیم «Support» هیچ مرحله‌ای با دسته «در انتظار مشتری» ندارد.")

    @with_transaction()
    def test_every_string_translated(self):
        "Every string of the module has a Persian translation"
        pool = Pool()
        Translation = pool.get('ir.translation')

        def keys(lang):
            with Transaction().set_context(language='en'):
                translations = Translation.search([
                        ('module', '=', 'helpdesk_core'),
                        ('lang', '=', lang),
                        ])
            return {
                (t.type, t.name, t.res_id, t.src) for t in translations
                if lang == 'en' or t.value}

        self.assertEqual(keys('en') - keys('fa'), set())


del _DBTestCase
