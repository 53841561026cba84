# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"The tickets that wait for the customer in vain: warned, then closed"

import datetime as dt

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)
WARNING = ("We are still waiting for your answer on ticket %s. Without "
    "news from you, it will be closed automatically tomorrow: reply to this "
    "message to keep it open.")
CLOSED = ("Ticket %s was closed automatically because we received no "
    "answer. If you still need help, reply to this message and the ticket "
    "will be reopened.")


class HelpdeskInactiveTestCase(_DBTestCase):
    "Test the closing of inactive tickets"
    module = 'helpdesk_core'

    def _setup(self, days=5):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        team, idle = Team.create([{
                    'name': "Support", 'inactive_close_days': days,
                    }, {
                    'name': "Never closes",
                    }])
        return team, idle

    def _ticket(self, team, **values):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        values.setdefault('name', "Printer jammed")
        values.setdefault('contact_email', 'carol@customer.example')
        ticket, = Ticket.create([{'team': team.id, **values}])
        Ticket.wait([ticket])
        return Ticket(ticket.id)

    def _age(self, ticket, waiting, customer=None, warned=None):
        "Pretend the ticket waits since waiting ago"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        table = Ticket.__table__()
        now = dt.datetime.now()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.waiting_date, table.last_customer_message,
                    table.inactive_warning_date],
                [now - waiting, now - customer if customer else None,
                    now - warned if warned else None],
                where=table.id == ticket.id))
        Transaction().cache.clear()

    def _public(self, ticket):
        pool = Pool()
        Message = pool.get('ir.chat.message')
        return [m.content for m in Message.search([
                    ('channel.resource', '=', str(ticket)),
                    ('audience', '=', 'public'),
                    ], order=[('id', 'ASC')])]

    @with_transaction(context={'_notify': False})
    def test_waiting_date(self):
        "Entering waiting starts the period; leaving it ends it"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team, _ = self._setup()
            ticket = self._ticket(team)
            self.assertIsNotNone(ticket.waiting_date)
            self.assertIsNone(ticket.inactive_warning_date)
            self._age(ticket, 3 * DAY, warned=HOUR)
            # Writing the same waiting stage keeps the period
            Ticket.write([ticket], {'stage': ticket.stage.id})
            ticket = Ticket(ticket.id)
            self.assertLess(
                ticket.waiting_date, dt.datetime.now() - 2 * DAY)
            self.assertIsNotNone(ticket.inactive_warning_date)

            Ticket.reopen([ticket])
            ticket = Ticket(ticket.id)
            self.assertIsNone(ticket.waiting_date)
            self.assertIsNone(ticket.inactive_warning_date)

            Ticket.wait([ticket])
            ticket = Ticket(ticket.id)
            self.assertGreater(
                ticket.waiting_date, dt.datetime.now() - HOUR)

    @with_transaction(context={'_notify': False})
    def test_close_inactive(self):
        "The cron warns a day before, then closes with a note"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Cron = pool.get('ir.cron')
        company = create_company()
        with set_company(company):
            team, idle = self._setup(days=5)
            almost = self._ticket(team, name="Almost")
            due = self._ticket(team, name="Due")
            late = self._ticket(team, name="Late, never warned")
            answered = self._ticket(team, name="Answered")
            fresh = self._ticket(team, name="Fresh")
            other = self._ticket(idle, name="Other team")
            self._age(almost, 4 * DAY + HOUR)
            self._age(due, 5 * DAY + HOUR, warned=DAY + HOUR)
            self._age(late, 30 * DAY)
            self._age(answered, 10 * DAY, customer=2 * DAY)
            self._age(fresh, 2 * DAY)
            self._age(other, 30 * DAY)

        cron, = Cron.search([
                ('method', '=', 'helpdesk.ticket|close_inactive'),
                ])
        self.assertEqual(
            (cron.interval_number, cron.interval_type), (1, 'hours'))
        # As the cron runs: as root, without company
        cron.run_once()

        almost, due, late, answered, fresh, other = Ticket.browse(
            [almost, due, late, answered, fresh, other])
        self.assertEqual(almost.state, 'waiting')
        self.assertEqual(self._public(almost), [WARNING % almost.rec_name])
        self.assertIsNotNone(almost.inactive_warning_date)

        self.assertEqual(due.state, 'solved')
        self.assertEqual(self._public(due), [CLOSED % due.rec_name])
        note, = [m for m in Pool().get('ir.chat.message').search([
                    ('channel.resource', '=', str(due)),
                    ('audience', '=', 'public'),
                    ])]
        self.assertEqual(note.user.id, 0)

        # Waiting far too long but never warned: warned first
        self.assertEqual(late.state, 'waiting')
        self.assertEqual(self._public(late), [WARNING % late.rec_name])

        for ticket in [answered, fresh, other]:
            with self.subTest(ticket=ticket.name):
                self.assertEqual(ticket.state, 'waiting')
                self.assertEqual(self._public(ticket), [])
                self.assertIsNone(ticket.inactive_warning_date)

        # A second run the same hour sends nothing more
        cron.run_once()
        self.assertEqual(self._public(almost), [WARNING % almost.rec_name])
        self.assertEqual(self._public(late), [WARNING % late.rec_name])
        self.assertEqual(self._public(due), [CLOSED % due.rec_name])

        # A day later, the warned tickets are closed
        with Transaction().set_context(_notify=False):
            Ticket.close_inactive(now=dt.datetime.now() + DAY + HOUR)
        almost, late = Ticket.browse([almost, late])
        for ticket in [almost, late]:
            with self.subTest(ticket=ticket.name):
                self.assertEqual(ticket.state, 'solved')
                self.assertEqual(self._public(ticket), [
                        WARNING % ticket.rec_name, CLOSED % ticket.rec_name])

    @with_transaction(context={'_notify': False})
    def test_customer_answer_resets(self):
        "A customer's answer ends the waiting period and its warning"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team, _ = self._setup(days=2)
            ticket = self._ticket(team)
            self._age(ticket, DAY + HOUR)
            Ticket.close_inactive()
            ticket = Ticket(ticket.id)
            self.assertIsNotNone(ticket.inactive_warning_date)

            channel = Channel._get_channel(ticket)
            Message(
                channel=channel, email='carol@customer.example',
                audience='public', content="Still broken.").save()
            ticket = Ticket(ticket.id)
            self.assertEqual(ticket.state, 'new')
            self.assertIsNone(ticket.inactive_warning_date)
            self.assertIsNone(ticket.waiting_date)

            # Waiting again: a new period, a new warning in time
            Ticket.wait([ticket])
            self._age(ticket, DAY + HOUR)
            Ticket.close_inactive()
            self.assertEqual(self._public(ticket), [
                    WARNING % ticket.rec_name, "Still broken.",
                    WARNING % ticket.rec_name])

    @with_transaction(context={'_notify': False})
    def test_no_solved_stage(self):
        "A team without a solved stage keeps its tickets, the cron goes on"
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team, _ = self._setup(days=1)
            other, = Pool().get('helpdesk.team').create([{
                        'name': "Other", 'inactive_close_days': 1}])
            ticket = self._ticket(team)
            second = self._ticket(other)
            solved = Stage.search([('category', '=', 'solved')])
            # The solved stages serve only the other team
            Stage.write(solved, {'teams': [('add', [other.id])]})
            self._age(ticket, 3 * DAY, warned=2 * DAY)
            self._age(second, 3 * DAY, warned=2 * DAY)
            with self.assertLogs(
                    'trytond.modules.helpdesk_core.inactive', 'WARNING'):
                Ticket.close_inactive()
            self.assertEqual(Ticket(ticket.id).state, 'waiting')
            self.assertEqual(Ticket(second.id).state, 'solved')

    @with_transaction()
    def test_days_positive(self):
        "The number of days is positive"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        company = create_company()
        with set_company(company):
            with self.assertRaises(Exception) as context:
                Team.create([{'name': "Zero", 'inactive_close_days': 0}])
            self.assertIn("Close Inactive Tickets After", str(
                    context.exception.message))


del _DBTestCase
