# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The SLA clocks of many tickets followed by the task queue after a change
of a calendar or of a policy

The changes are committed as a user's request commits them; the tasks run
as trytond-worker runs them, or after the commit in the same process when
there is no worker."""

import unittest
from unittest import mock

from proteus import Model

import trytond.config as tconfig
from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_sla import ticket as ticket_module
from trytond.modules.helpdesk_sla.exceptions import SLAWorkingTimeError
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.worker import run_task

from .tools import Clock, office_attendances, to_local, to_utc

ZONE = 'Europe/Brussels'


class SLAQueueTestCase(unittest.TestCase):
    "The SLA clocks followed by the task queue"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.config = activate_modules('helpdesk_sla', create_company)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Company = Pool().get('company.company')
            company, = Company.search([])
            cls.company_id = company.id

    def setUp(self):
        super().setUp()
        # Monday 09:00 in Brussels, office hours 8-12 and 13-17
        self.clock = Clock(ZONE).start('2026-11-23 09:00')
        self.addCleanup(self.clock.stop)

    # --- helpers

    def small_batches(self, threshold=3, batch=2):
        "Queue the changes of more than threshold clocks by batch"
        for name, value in [
                ('QUEUE_THRESHOLD', threshold), ('QUEUE_BATCH', batch)]:
            patcher = mock.patch.object(ticket_module, name, value)
            patcher.start()
            self.addCleanup(patcher.stop)

    def with_queue_worker(self):
        "[queue] worker = True for the test: the tasks wait for a worker"
        if not tconfig.has_section('queue'):
            tconfig.add_section('queue')
        tconfig.set('queue', 'worker', 'True')

        def remove():
            tconfig._config.remove_option('queue', 'worker')
            tconfig._cache_clear()
        self.addCleanup(remove)

    def transaction(self):
        return Transaction().start(
            DB_NAME, 0, context={'company': self.company_id})

    def setup_team(self, name, tickets, **policy):
        """Create a team on an office calendar with a policy of 4 working
        hours to solve and the tickets; return the ids of the calendar,
        the policy and the tickets"""
        with self.transaction() as transaction:
            pool = Pool()
            Calendar = pool.get('helpdesk.calendar')
            SLA = pool.get('helpdesk.sla')
            Stage = pool.get('helpdesk.stage')
            Team = pool.get('helpdesk.team')
            Ticket = pool.get('helpdesk.ticket')
            solved, = Stage.search([('category', '=', 'solved')], limit=1)
            calendar, = Calendar.create([{
                        'name': name, 'timezone': ZONE,
                        'attendances': [('create', office_attendances())],
                        }])
            team, = Team.create([{'name': name, 'calendar': calendar.id}])
            policy.setdefault('target_stage', solved.id)
            sla, = SLA.create([{
                        'name': "Resolve", 'team': team.id,
                        'target': 'stage', 'hours': 4, **policy}])
            created = Ticket.create([{
                        'name': "Printer %s" % i, 'team': team.id,
                        } for i in range(tickets)])
            transaction.commit()
            return calendar.id, sla.id, [t.id for t in created]

    def clocks(self, ticket_ids):
        """The (status, local deadline, events) of the ticket SLA of each
        ticket and the ticket's deadline"""
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Ticket = pool.get('helpdesk.ticket')
            result = []
            for ticket in Ticket.browse(ticket_ids):
                ticket_sla, = ticket.slas
                result.append((
                        ticket_sla.status,
                        to_local(ticket_sla.deadline, ZONE)[11:],
                        [e.event for e in ticket_sla.events],
                        to_local(ticket.sla_deadline, ZONE)))
            return result

    def ticket_sla_ids(self, ticket_ids):
        with Transaction().start(DB_NAME, 0, readonly=True):
            TicketSLA = Pool().get('helpdesk.ticket.sla')
            return [ts.id for ts in TicketSLA.search([
                        ('ticket', 'in', ticket_ids),
                        ], order=[('ticket', 'ASC')])]

    def tasks(self, after=0):
        "The (id, model, method, instances, finished) of the SLA tasks"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Queue = Pool().get('ir.queue')
            return [
                (t.id, t.data['model'], t.data['method'],
                    list(t.data['instances']), bool(t.finished_at))
                for t in Queue.search([
                        ('id', '>', after),
                        ], order=[('id', 'ASC')])
                if t.data['model'] in {
                    'helpdesk.ticket', 'helpdesk.ticket.sla'}]

    def last_task(self):
        with Transaction().start(DB_NAME, 0, readonly=True):
            Queue = Pool().get('ir.queue')
            tasks = Queue.search([], order=[('id', 'DESC')], limit=1)
            return tasks[0].id if tasks else 0

    def solve(self, ticket_ids):
        with self.transaction() as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            Ticket.solve(Ticket.browse(ticket_ids))
            transaction.commit()

    def add_strike(self, calendar_id):
        """Add a holiday from 10:00 to 12:00 through the client: proteus
        commits and, without a worker, runs the tasks after, as trytond's
        dispatcher does for a request"""
        Calendar = Model.get('helpdesk.calendar', config=self.config)
        Leave = Model.get('helpdesk.calendar.leave', config=self.config)
        leave = Leave(
            calendar=Calendar(calendar_id), name="Strike",
            start=to_utc('2026-11-23 10:00', ZONE),
            end=to_utc('2026-11-23 12:00', ZONE))
        leave.save()

    # --- tests

    def test_calendar_change_without_worker(self):
        """Without a worker the tasks follow the change in the same process
        and the deadlines are right when the request ends"""
        self.small_batches()
        calendar_id, _, ticket_ids = self.setup_team("No Worker", 5)
        self.solve(ticket_ids[-1:])
        ongoing = self.ticket_sla_ids(ticket_ids[:-1])
        self.assertEqual(
            self.clocks(ticket_ids)[0],
            ('ongoing', '14:00', ['start'], '2026-11-23 14:00'))
        before = self.last_task()

        self.clock.set('2026-11-23 09:30')
        self.add_strike(calendar_id)

        # The tasks ran when the request committed
        self.assertEqual(
            [(m, n, i, f) for _, m, n, i, f in self.tasks(before)], [
                ('helpdesk.ticket.sla', 'reschedule', ongoing[:2], True),
                ('helpdesk.ticket.sla', 'reschedule', ongoing[2:], True),
                ])
        clocks = self.clocks(ticket_ids)
        self.assertEqual(clocks[:-1], [(
                    'ongoing', '16:00', ['start', 'reschedule'],
                    '2026-11-23 16:00')] * 4)
        # The solved ticket keeps its settled clock
        self.assertEqual(
            clocks[-1], ('reached', '14:00', ['start', 'reached'], None))

    def test_calendar_change_with_worker(self):
        """With a worker the change commits at once and the worker follows
        the clocks by batches; the clocks settled meanwhile are left alone
        and running a task again changes nothing"""
        self.with_queue_worker()
        self.small_batches()
        calendar_id, _, ticket_ids = self.setup_team("Worker", 6)
        self.solve(ticket_ids[-1:])
        ongoing = self.ticket_sla_ids(ticket_ids[:-1])
        before = self.last_task()

        self.clock.set('2026-11-23 09:30')
        self.add_strike(calendar_id)

        # The holiday is saved; the deadlines wait for the worker
        with Transaction().start(DB_NAME, 0, readonly=True):
            Leave = Pool().get('helpdesk.calendar.leave')
            self.assertEqual(len(Leave.search([
                            ('calendar', '=', calendar_id),
                            ])), 1)
        self.assertEqual(
            {c[1] for c in self.clocks(ticket_ids)}, {'14:00'})
        tasks = self.tasks(before)
        self.assertEqual(
            [(m, n, i, f) for _, m, n, i, f in tasks], [
                ('helpdesk.ticket.sla', 'reschedule', ongoing[0:2], False),
                ('helpdesk.ticket.sla', 'reschedule', ongoing[2:4], False),
                ('helpdesk.ticket.sla', 'reschedule', ongoing[4:5], False),
                ])

        # A ticket of the second batch is solved before the worker runs
        self.clock.set('2026-11-23 10:30')
        self.solve(ticket_ids[2:3])
        for task_id, *_ in tasks:
            run_task(DB_NAME, task_id)
        self.assertEqual(
            [f for *_, f in self.tasks(before)], [True] * 3)
        rescheduled = (
            'ongoing', '16:00', ['start', 'reschedule'], '2026-11-23 16:00')
        reached = ('reached', '14:00', ['start', 'reached'], None)
        expected = [rescheduled] * 2 + [reached] + [rescheduled] * 2 + [
            reached]
        self.assertEqual(self.clocks(ticket_ids), expected)

        # The worker may run a task again: nothing moves twice
        self.clock.set('2026-11-23 11:00')
        for task_id, *_ in tasks:
            run_task(DB_NAME, task_id)
        self.assertEqual(self.clocks(ticket_ids), expected)

    def test_small_change_in_transaction(self):
        """A change of a few clocks follows them in its own transaction,
        even with a worker"""
        self.with_queue_worker()
        calendar_id, _, ticket_ids = self.setup_team("Small", 2)
        before = self.last_task()
        self.add_strike(calendar_id)
        self.assertEqual(self.tasks(before), [])
        self.assertEqual(self.clocks(ticket_ids), [(
                    'ongoing', '16:00', ['start', 'reschedule'],
                    '2026-11-23 16:00')] * 2)

    def test_calendar_without_hours_refused(self):
        """A calendar left without working hours is refused in the user's
        transaction even when its clocks would go to the queue"""
        self.with_queue_worker()
        self.small_batches(threshold=1, batch=2)
        calendar_id, _, ticket_ids = self.setup_team("Emptied", 3)
        before = self.last_task()
        with self.transaction() as transaction:
            Attendance = Pool().get('helpdesk.calendar.attendance')
            with self.assertRaises(SLAWorkingTimeError) as cm:
                Attendance.delete(Attendance.search([
                            ('calendar', '=', calendar_id),
                            ]))
            self.assertIn('"Emptied" has no working hours', str(cm.exception))
            transaction.rollback()
        self.assertEqual(self.tasks(before), [])
        self.assertEqual(self.clocks(ticket_ids), [(
                    'ongoing', '14:00', ['start'], '2026-11-23 14:00')] * 3)

    def test_team_calendar_change_with_worker(self):
        "A team changing its calendar queues its clocks"
        self.with_queue_worker()
        self.small_batches(threshold=1, batch=5)
        _, _, ticket_ids = self.setup_team("Team Calendar", 3)
        ongoing = self.ticket_sla_ids(ticket_ids)
        before = self.last_task()
        with self.transaction() as transaction:
            Team = Pool().get('helpdesk.team')
            team, = Team.search([('name', '=', "Team Calendar")])
            # Around the clock
            Team.write([team], {'calendar': None})
            transaction.commit()
        tasks = self.tasks(before)
        self.assertEqual(
            [(n, i) for _, _, n, i, _ in tasks], [('reschedule', ongoing)])
        run_task(DB_NAME, tasks[0][0])
        self.assertEqual(self.clocks(ticket_ids), [(
                    'ongoing', '13:00', ['start', 'reschedule'],
                    '2026-11-23 13:00')] * 3)

    def test_policy_changes_with_worker(self):
        """The changes of a policy on many clocks go to the queue: its hours,
        its target, its deactivation, and applying it to the open
        tickets"""
        self.with_queue_worker()
        self.small_batches(threshold=1, batch=2)
        _, sla_id, ticket_ids = self.setup_team("Policy", 3)
        ongoing = self.ticket_sla_ids(ticket_ids)

        def change(values=None, button=None):
            before = self.last_task()
            with self.transaction() as transaction:
                SLA = Pool().get('helpdesk.sla')
                if values:
                    SLA.write([SLA(sla_id)], values)
                if button:
                    getattr(SLA, button)([SLA(sla_id)])
                transaction.commit()
            tasks = self.tasks(before)
            for task_id, *_ in tasks:
                run_task(DB_NAME, task_id)
            return [(m, n, i) for _, m, n, i, _ in tasks]

        # More hours
        self.assertEqual(change({'hours': 6}), [
                ('helpdesk.ticket.sla', 'reschedule', ongoing[:2]),
                ('helpdesk.ticket.sla', 'reschedule', ongoing[2:]),
                ])
        self.assertEqual(
            {c[:2] for c in self.clocks(ticket_ids)}, {('ongoing', '16:00')})

        # The tickets are in progress: a policy to take them in hand is
        # reached when its target changes, not at their next change
        with self.transaction() as transaction:
            pool = Pool()
            Stage = pool.get('helpdesk.stage')
            Ticket = pool.get('helpdesk.ticket')
            in_progress, = Stage.search([
                    ('category', '=', 'in_progress')], limit=1)
            Ticket.write(Ticket.browse(ticket_ids), {
                    'stage': in_progress.id})
            transaction.commit()
        self.clock.set('2026-11-23 10:00')
        self.assertEqual(change({'target_stage': in_progress.id}), [
                ('helpdesk.ticket.sla', 'follow', ongoing[:2]),
                ('helpdesk.ticket.sla', 'follow', ongoing[2:]),
                ])
        self.assertEqual(
            {c[0] for c in self.clocks(ticket_ids)}, {'reached'})

        # A settled policy has nothing to stop when deactivated
        self.assertEqual(change({'active': False}), [])

        # A new policy applied on demand to the open tickets of the team
        with self.transaction() as transaction:
            SLA = Pool().get('helpdesk.sla')
            answer, = SLA.create([{
                        'name': "Answer", 'team': SLA(sla_id).team.id,
                        'target': 'first_response', 'hours': 1}])
            sla_id = answer.id
            transaction.commit()
        self.assertEqual(change(button='apply_open_tickets'), [
                ('helpdesk.ticket', 'sla_apply', ticket_ids[:2]),
                ('helpdesk.ticket', 'sla_apply', ticket_ids[2:]),
                ])
        with Transaction().start(DB_NAME, 0, readonly=True):
            TicketSLA = Pool().get('helpdesk.ticket.sla')
            answers = TicketSLA.search([
                    ('sla', '=', sla_id),
                    ], order=[('ticket', 'ASC')])
            self.assertEqual(
                [(ts.ticket.id, ts.status, to_local(ts.deadline, ZONE))
                    for ts in answers],
                [(i, 'ongoing', '2026-11-23 11:00') for i in ticket_ids])
            answers = [ts.id for ts in answers]

        # Deactivated, the policy stops its running clocks
        self.assertEqual(change({'active': False}), [
                ('helpdesk.ticket.sla', 'stop_inactive', answers[:2]),
                ('helpdesk.ticket.sla', 'stop_inactive', answers[2:]),
                ])
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Event = pool.get('helpdesk.ticket.sla.event')
            TicketSLA = pool.get('helpdesk.ticket.sla')
            self.assertEqual(TicketSLA.search([('sla', '=', sla_id)]), [])
            self.assertEqual(
                [e.event for e in Event.search([('sla', '=', sla_id)])],
                ['start'] * 3 + ['stop'] * 3)
