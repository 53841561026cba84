# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The SLA deadlines, pauses and statuses, case by case, to the minute

Every case runs on the calendar of the Support team: Europe/Brussels,
Monday to Friday 8:00-12:00 and 13:00-17:00, Christmas 2026 off. The Sales
team has no calendar: its clocks run around the clock. A policy can count on
its own calendar instead, the New York office: America/New_York, Monday to
Friday 9:00-12:00 and 13:00-19:00 (a working day of 9 hours), no holiday.
Times are written in Brussels' local time (New York is 6 hours behind in
November and December); the module stores them in UTC.

A case gives the policies of the team, the ticket, the moment it is
created, what happens to it and when, and what each policy of the ticket
shows afterwards: its status, deadline, reached date, paused and exceeded
working hours, and the SLA deadline the ticket shows.
"""

import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.tests.test_module import create_agent
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction

from .tools import (
    Clock, keep_assignments_in_transaction, office_attendances, to_local,
    to_utc)

ZONE = 'Europe/Brussels'
SOLVED = 'Solved'

# Policies: name -> values of helpdesk.sla (the team, stages and calendar
# named, not their ids)
RESOLVE_2H = {'target': 'stage', 'target_stage': SOLVED, 'hours': 2}
RESOLVE_4H = {'target': 'stage', 'target_stage': SOLVED, 'hours': 4}
RESOLVE_1D = {'target': 'stage', 'target_stage': SOLVED, 'days': 1}

# (description, {policy: values}, ticket values, created at,
#   [(at, action, argument)], {policy: expected, 'ticket': sla_deadline})
# expected: (status, deadline, reached, paused hours, exceeded hours)
CASES = [
    ("priority below the threshold: no SLA",
        {'High 2h': dict(RESOLVE_2H, priority='2')},
        {'priority': '1'}, '2026-11-23 09:00', [],
        {'ticket': None}),
    ("priority at the threshold",
        {'High 2h': dict(RESOLVE_2H, priority='2')},
        {'priority': '2'}, '2026-11-23 09:00', [],
        {'High 2h': ('ongoing', '2026-11-23 11:00', None, 0, 0),
            'ticket': '2026-11-23 11:00'}),
    ("priority above the threshold",
        {'High 2h': dict(RESOLVE_2H, priority='2')},
        {'priority': '3'}, '2026-11-23 09:00', [],
        {'High 2h': ('ongoing', '2026-11-23 11:00', None, 0, 0),
            'ticket': '2026-11-23 11:00'}),
    ("priority raised above the threshold: the clock starts then",
        {'High 2h': dict(RESOLVE_2H, priority='2')},
        {'priority': '1'}, '2026-11-23 09:00', [
            ('2026-11-23 10:30', 'priority', '3'),
            ],
        {'High 2h': ('ongoing', '2026-11-23 13:30', None, 0, 0),
            'ticket': '2026-11-23 13:30'}),
    ("over the lunch break",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-11-23 11:00', [],
        {'Resolve 2h': ('ongoing', '2026-11-23 14:00', None, 0, 0)}),
    ("over the night",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-11-23 16:00', [],
        {'Resolve 2h': ('ongoing', '2026-11-24 09:00', None, 0, 0)}),
    ("over the weekend",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-11-27 16:00', [],
        {'Resolve 2h': ('ongoing', '2026-11-30 09:00', None, 0, 0)}),
    ("created on a Saturday",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-11-28 11:00', [],
        {'Resolve 2h': ('ongoing', '2026-11-30 10:00', None, 0, 0)}),
    ("over the Christmas holiday and the weekend",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-12-24 16:00', [],
        {'Resolve 2h': ('ongoing', '2026-12-28 09:00', None, 0, 0)}),
    ("over the spring daylight-saving change",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-03-27 16:00', [],
        {'Resolve 2h': ('ongoing', '2026-03-30 09:00', None, 0, 0)}),
    ("over the autumn daylight-saving change",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-10-23 16:00', [],
        {'Resolve 2h': ('ongoing', '2026-10-26 09:00', None, 0, 0)}),
    ("a day is a working day of the calendar (8 hours)",
        {'Resolve 1d 2h': dict(RESOLVE_1D, hours=2)},
        {}, '2026-11-23 10:00', [],
        {'Resolve 1d 2h': ('ongoing', '2026-11-24 12:00', None, 0, 0)}),
    ("a day is 24 hours around the clock",
        {'Sales 1d 2h': dict(RESOLVE_1D, hours=2, team='Sales')},
        {'team': 'Sales'}, '2026-11-28 23:00', [],
        {'Sales 1d 2h': ('ongoing', '2026-11-30 01:00', None, 0, 0)}),
    ("the policy's calendar wins over the team's",
        {'Resolve 2h': RESOLVE_2H,
            'New York 2h': dict(RESOLVE_2H, calendar='New York')},
        {}, '2026-11-23 09:00', [
            # New York opens at 15:00 in Brussels
            ('2026-11-23 09:00', 'check', {
                    'Resolve 2h': ('ongoing', '2026-11-23 11:00', None, 0, 0),
                    'New York 2h': (
                        'ongoing', '2026-11-23 17:00', None, 0, 0),
                    'ticket': '2026-11-23 11:00'}),
            ('2026-11-23 13:30', 'solve', None),
            ],
        {'Resolve 2h': (
                'failed', '2026-11-23 11:00', '2026-11-23 13:30', 0, 1.5),
            'New York 2h': (
                'reached', '2026-11-23 17:00', '2026-11-23 13:30', 0, 0),
            'ticket': None}),
    ("the policy's calendar on a team around the clock",
        {'Sales New York 2h': dict(
                RESOLVE_2H, team='Sales', calendar='New York')},
        {'team': 'Sales'}, '2026-11-28 23:00', [],
        {'Sales New York 2h': ('ongoing', '2026-11-30 17:00', None, 0, 0),
            'ticket': '2026-11-30 17:00'}),
    ("a day is a working day of the policy's calendar (9 hours)",
        {'New York 1d 1h': dict(RESOLVE_1D, hours=1, calendar='New York')},
        {}, '2026-11-23 09:00', [],
        {'New York 1d 1h': ('ongoing', '2026-11-24 16:00', None, 0, 0)}),
    ("the team's holidays do not stop the policy's calendar",
        {'Resolve 4h': RESOLVE_4H,
            'New York 4h': dict(RESOLVE_4H, calendar='New York')},
        {}, '2026-12-24 22:00', [],
        {'Resolve 4h': ('ongoing', '2026-12-28 12:00', None, 0, 0),
            'New York 4h': ('ongoing', '2026-12-25 16:00', None, 0, 0),
            'ticket': '2026-12-25 16:00'}),
    ("reached in time",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 10:40', 'solve', None),
            ],
        {'Resolve 2h': (
                'reached', '2026-11-23 11:00', '2026-11-23 10:40', 0, 0),
            'ticket': None}),
    ("reached after the deadline counts as failed",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 13:30', 'solve', None),
            ],
        {'Resolve 2h': (
                'failed', '2026-11-23 11:00', '2026-11-23 13:30', 0, 1.5),
            'ticket': None}),
    ("the scheduled job fails the overdue, then it is reached late",
        {'Resolve 2h': RESOLVE_2H},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 11:05', 'cron', None),
            ('2026-11-23 11:05', 'check', {
                    'Resolve 2h': (
                        'failed', '2026-11-23 11:00', None, 0, 0.08),
                    'ticket': '2026-11-23 11:00'}),
            ('2026-11-23 14:00', 'solve', None),
            ],
        {'Resolve 2h': (
                'failed', '2026-11-23 11:00', '2026-11-23 14:00', 0, 2),
            'ticket': None}),
    ("pause and resume in an excluded stage",
        {'Resolve 1d': dict(RESOLVE_1D, excluded_stages=['On Hold'])},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 10:00', 'stage', 'On Hold'),
            ('2026-11-23 10:00', 'check', {
                    'Resolve 1d': ('ongoing', None, None, 0, 0),
                    'ticket': None}),
            ('2026-11-24 11:00', 'stage', 'In Progress'),
            ('2026-11-24 11:00', 'check', {
                    'Resolve 1d': (
                        'ongoing', '2026-11-25 10:00', None, 9, 0)}),
            ('2026-11-25 09:30', 'solve', None),
            ],
        {'Resolve 1d': (
                'reached', '2026-11-25 10:00', '2026-11-25 09:30', 9, 0)}),
    ("a stage not excluded does not pause",
        {'Resolve 1d': RESOLVE_1D},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 10:00', 'stage', 'On Hold'),
            ('2026-11-24 11:00', 'stage', 'In Progress'),
            ],
        {'Resolve 1d': ('failed', '2026-11-24 09:00', None, 0, 2)}),
    ("waiting for the customer pauses",
        {'Resolve 4h': dict(RESOLVE_4H, pause_when_waiting=True)},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 10:00', 'wait', None),
            ('2026-11-23 15:00', 'reopen', None),
            ],
        {'Resolve 4h': ('ongoing', '2026-11-24 09:00', None, 4, 0),
            'ticket': '2026-11-24 09:00'}),
    ("waiting for the customer does not pause unless asked",
        {'Resolve 4h': dict(RESOLVE_4H, pause_when_waiting=False)},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 10:00', 'wait', None),
            ('2026-11-23 15:00', 'reopen', None),
            ],
        {'Resolve 4h': ('failed', '2026-11-23 14:00', None, 0, 1)}),
    ("a pause over the deadline moves it",
        {'Resolve 2h': dict(RESOLVE_2H, pause_when_waiting=True)},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 10:00', 'wait', None),
            ('2026-11-23 16:00', 'reopen', None),
            ],
        {'Resolve 2h': ('ongoing', '2026-11-23 17:00', None, 5, 0)}),
    ("a pause after the deadline comes too late",
        {'Resolve 2h': dict(RESOLVE_2H, pause_when_waiting=True)},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 11:30', 'wait', None),
            ('2026-11-23 16:00', 'reopen', None),
            ],
        {'Resolve 2h': ('failed', '2026-11-23 11:00', None, 3.5, 0.5)}),
    ("several policies on one ticket",
        {'Assign 1h': {'target': 'assigned', 'hours': 1},
            'Answer 2h': {'target': 'first_response', 'hours': 2},
            'Resolve 1d': RESOLVE_1D},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 09:00', 'check', {
                    'Assign 1h': ('ongoing', '2026-11-23 10:00', None, 0, 0),
                    'Answer 2h': ('ongoing', '2026-11-23 11:00', None, 0, 0),
                    'Resolve 1d': ('ongoing', '2026-11-24 09:00', None, 0, 0),
                    'ticket': '2026-11-23 10:00'}),
            ('2026-11-23 09:30', 'assign', None),
            ('2026-11-23 09:30', 'check', {'ticket': '2026-11-23 11:00'}),
            ('2026-11-23 11:30', 'reply', None),
            ('2026-11-23 11:30', 'check', {'ticket': '2026-11-24 09:00'}),
            ('2026-11-23 16:00', 'solve', None),
            ],
        {'Assign 1h': (
                'reached', '2026-11-23 10:00', '2026-11-23 09:30', 0, 0),
            'Answer 2h': (
                'failed', '2026-11-23 11:00', '2026-11-23 11:30', 0, 0.5),
            'Resolve 1d': (
                'reached', '2026-11-24 09:00', '2026-11-23 16:00', 0, 0),
            'ticket': None}),
    ("an internal note is not a first response",
        {'Answer 2h': {'target': 'first_response', 'hours': 2}},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 09:30', 'note', None),
            ],
        {'Answer 2h': ('ongoing', '2026-11-23 11:00', None, 0, 0)}),
    ("assigned at creation",
        {'Assign 1h': {'target': 'assigned', 'hours': 1}},
        {'user': 'agent'}, '2026-11-23 09:00', [],
        {'Assign 1h': (
                'reached', '2026-11-23 10:00', '2026-11-23 09:00', 0, 0),
            'ticket': None}),
    ("a later stage in the team's order reaches the target",
        {'Take 1h': {'target': 'stage', 'target_stage': 'In Progress',
                'hours': 1}},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 09:20', 'wait', None),
            ],
        {'Take 1h': ('reached', '2026-11-23 10:00', '2026-11-23 09:20', 0,
                0)}),
    ("team changed midway",
        {'Support 4h': RESOLVE_4H,
            'Sales 2h': dict(RESOLVE_2H, team='Sales')},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 09:00', 'check', {
                    'Support 4h': (
                        'ongoing', '2026-11-23 14:00', None, 0, 0)}),
            ('2026-11-23 10:00', 'team', 'Sales'),
            ],
        {'Support 4h': None,
            'Sales 2h': ('ongoing', '2026-11-23 12:00', None, 0, 0),
            'ticket': '2026-11-23 12:00',
            'events': [
                ('2026-11-23 09:00', 'Support 4h', 'start'),
                ('2026-11-23 10:00', 'Support 4h', 'stop'),
                ('2026-11-23 10:00', 'Sales 2h', 'start'),
                ]}),
    ("reopened after being solved",
        {'Resolve 1d': RESOLVE_1D,
            'Answer 4h': {'target': 'first_response', 'hours': 4}},
        {}, '2026-11-23 09:00', [
            ('2026-11-23 11:00', 'solve', None),
            ('2026-11-23 11:00', 'check', {
                    'Answer 4h': ('ongoing', None, None, 0, 0),
                    'ticket': None}),
            ('2026-11-24 09:00', 'reopen', None),
            ],
        {'Resolve 1d': (
                'reached', '2026-11-24 09:00', '2026-11-23 11:00', 0, 0),
            'Answer 4h': ('ongoing', '2026-11-24 11:00', None, 6, 0),
            'ticket': '2026-11-24 11:00',
            'events': [
                ('2026-11-23 09:00', 'Resolve 1d', 'start'),
                ('2026-11-23 09:00', 'Answer 4h', 'start'),
                ('2026-11-23 11:00', 'Resolve 1d', 'reached'),
                ('2026-11-23 11:00', 'Answer 4h', 'pause'),
                ('2026-11-24 09:00', 'Answer 4h', 'resume'),
                ]}),
    ]


class HelpdeskSlaCaseTestCase(unittest.TestCase):
    "Test the SLA deadlines case by case"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module('helpdesk_sla')

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        keep_assignments_in_transaction(self)

    def setup_helpdesk(self):
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        Stage = pool.get('helpdesk.stage')
        Team = pool.get('helpdesk.team')
        calendar, = Calendar.create([{
                    'name': "Brussels Office",
                    'timezone': ZONE,
                    'attendances': [('create', office_attendances())],
                    'leaves': [('create', [{
                                    'name': "Christmas",
                                    'start': to_utc('2026-12-25 00:00', ZONE),
                                    'end': to_utc('2026-12-26 00:00', ZONE),
                                    }])],
                    }])
        new_york, = Calendar.create([{
                    'name': "New York Office",
                    'timezone': 'America/New_York',
                    'attendances': [('create', office_attendances(
                                    morning=(9, 12), afternoon=(13, 19)))],
                    }])
        support, sales = Team.create([
                {'name': "Support", 'calendar': calendar.id},
                {'name': "Sales"},
                ])
        Stage.create([{
                    'name': "On Hold",
                    'category': 'in_progress',
                    'sequence': 25,
                    }])
        self.teams = {'Support': support, 'Sales': sales}
        self.calendars = {'Brussels': calendar, 'New York': new_york}
        self.stages = {s.name: s for s in Stage.search([])}
        self.agent = create_agent('agent')

    def create_policies(self, policies):
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        values = []
        for name, policy in policies.items():
            policy = policy.copy()
            policy['name'] = name
            policy['team'] = self.teams[policy.get('team', 'Support')].id
            if policy.get('calendar'):
                policy['calendar'] = self.calendars[policy['calendar']].id
            if policy.get('target_stage'):
                policy['target_stage'] = self.stages[policy['target_stage']].id
            if 'excluded_stages' in policy:
                policy['excluded_stages'] = [('add', [
                            self.stages[s].id
                            for s in policy['excluded_stages']])]
            values.append(policy)
        return SLA.create(values)

    def act(self, ticket, action, argument):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        Channel = pool.get('ir.chat.channel')
        if action == 'stage':
            Ticket.write([ticket], {'stage': self.stages[argument].id})
        elif action in {'wait', 'solve', 'reopen'}:
            getattr(Ticket, action)([ticket])
        elif action == 'assign':
            Ticket.write([ticket], {'user': self.agent.id})
        elif action in {'reply', 'note'}:
            audience = 'public' if action == 'reply' else 'internal'
            with Transaction().set_user(self.agent.id), \
                    Transaction().set_context(_notify=False):
                Channel.post(ticket, "Let us see.", audience=audience)
        elif action == 'team':
            Ticket.write([ticket], {'team': self.teams[argument].id})
        elif action == 'priority':
            Ticket.write([ticket], {'priority': argument})
        elif action == 'cron':
            TicketSLA.fail_overdue()
        else:
            raise ValueError(action)

    def check(self, ticket, expected):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        Event = pool.get('helpdesk.ticket.sla.event')
        ticket = Ticket(ticket.id)
        statuses = {
            ts.sla.name: ts for ts in TicketSLA.search([
                    ('ticket', '=', ticket.id)])}
        for name, values in expected.items():
            if name == 'ticket':
                self.assertEqual(
                    to_local(ticket.sla_deadline, ZONE), values,
                    msg="SLA deadline of the ticket")
            elif name == 'events':
                events = Event.search([('ticket', '=', ticket.id)])
                self.assertEqual([
                        (to_local(e.date, ZONE), e.sla.name, e.event)
                        for e in events], values)
            elif values is None:
                self.assertNotIn(name, statuses)
            else:
                ticket_sla = statuses[name]
                status, deadline, reached, paused, exceeded = values
                self.assertEqual(
                    (ticket_sla.status, to_local(ticket_sla.deadline, ZONE),
                        to_local(ticket_sla.reached_date, ZONE),
                        round(ticket_sla.paused_hours, 2),
                        round(ticket_sla.exceeded_hours, 2)),
                    (status, deadline, reached, paused, exceeded),
                    msg=name)
        if not any(k not in {'ticket', 'events'} for k in expected):
            if 'ticket' in expected and expected['ticket'] is None:
                self.assertEqual(statuses, {})

    @with_transaction()
    def test_cases(self):
        "The table of cases"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        company = create_company()
        with set_company(company), Clock(ZONE) as clock:
            self.setup_helpdesk()
            for (description, policies, values, created, steps,
                    expected) in CASES:
                with self.subTest(case=description):
                    sla_policies = self.create_policies(policies)
                    try:
                        self.run_case(
                            clock, description, values, created, steps,
                            expected)
                    finally:
                        # Leave the policies of a case to the case
                        SLA.write(sla_policies, {'active': False})

    def run_case(self, clock, description, values, created, steps, expected):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        clock.set(created)
        values = values.copy()
        values.setdefault('name', description)
        values['team'] = self.teams[values.get('team', 'Support')].id
        if values.get('user'):
            values['user'] = self.agent.id
        ticket, = Ticket.create([values])
        for moment, action, argument in steps:
            clock.set(moment)
            if action == 'check':
                self.check(ticket, argument)
            else:
                self.act(ticket, action, argument)
        self.check(ticket, expected)

    @with_transaction()
    def test_daylight_saving_in_utc(self):
        "Deadlines are stored in UTC, local hours move with the season"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        company = create_company()
        with set_company(company), Clock(ZONE) as clock:
            self.setup_helpdesk()
            self.create_policies({'Resolve 2h': RESOLVE_2H})
            clock.set('2026-03-27 16:00')
            ticket, = Ticket.create([{
                        'name': "Spring", 'team': self.teams['Support'].id}])
            ticket_sla, = TicketSLA.search([('ticket', '=', ticket.id)])
            # Friday 16:00 is 15:00 UTC (winter time, UTC+1), Monday 9:00
            # is 7:00 UTC (summer time, UTC+2)
            self.assertEqual(ticket_sla.start_date, to_utc('2026-03-27 15:00'))
            self.assertEqual(ticket_sla.deadline, to_utc('2026-03-30 07:00'))
