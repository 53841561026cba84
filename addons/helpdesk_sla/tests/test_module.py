# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from lxml import etree

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.helpdesk_core.tests.test_module import create_agent
from trytond.modules.helpdesk_core.working_time import (
    AroundTheClock, WorkingTime)
from trytond.modules.helpdesk_sla import common
from trytond.modules.helpdesk_sla.exceptions import (
    SLADeleteError, SLAValidationError, SLAWorkingTimeError)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import (
    Clock, keep_assignments_in_transaction, office_attendances, to_local,
    to_utc)

ZONE = 'Europe/Brussels'


class HelpdeskSlaTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Helpdesk SLA module"
    module = 'helpdesk_sla'

    def setUp(self):
        super().setUp()
        keep_assignments_in_transaction(self)

    def _calendar(self, **values):
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        values.setdefault('name', "Office")
        values.setdefault('timezone', ZONE)
        values.setdefault(
            'attendances', [('create', office_attendances())])
        calendar, = Calendar.create([values])
        return calendar

    def _team(self, **values):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        values.setdefault('name', "Support")
        team, = Team.create([values])
        return team

    def _stage(self, category):
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        stage, = Stage.search([('category', '=', category)], limit=1)
        return stage

    def _policy(self, team, **values):
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        values.setdefault('name', "Resolve")
        values['team'] = team.id
        values.setdefault('target', 'stage')
        if values['target'] == 'stage':
            values.setdefault('target_stage', self._stage('solved').id)
        values.setdefault('hours', 4)
        policy, = SLA.create([values])
        return policy

    def _ticket(self, team, **values):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        values.setdefault('name', "Printer broken")
        values['team'] = team.id
        ticket, = Ticket.create([values])
        return ticket

    def _statuses(self, ticket):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        return {ts.sla.name: ts for ts in TicketSLA.search([
                    ('ticket', '=', ticket.id)])}

    def test_day_duration(self):
        "A day is the average working day of the calendar"
        office = WorkingTime(ZONE, [
                (d, h, h + 4) for d in range(5) for h in (8, 13)])
        # Saturday to Wednesday 8 hours, Thursday 4 hours
        tehran = WorkingTime('Asia/Tehran', [
                (d, 8, 16) for d in (5, 6, 0, 1, 2)] + [(3, 8, 12)])
        self.assertEqual(
            common.day_duration(office), dt.timedelta(hours=8))
        self.assertEqual(
            common.day_duration(tehran), dt.timedelta(hours=7, minutes=20))
        self.assertEqual(
            common.day_duration(AroundTheClock()), dt.timedelta(hours=24))
        self.assertEqual(
            common.day_duration(WorkingTime('UTC', [])), dt.timedelta())

    @with_transaction()
    def test_working_hours_allowed(self):
        "The policy shows the working hours its days and hours make"
        company = create_company()
        with set_company(company):
            calendar = self._calendar()
            office = self._team(calendar=calendar.id)
            shop = self._team(name="Shop")
            policy = self._policy(office, days=2, hours=3)
            self.assertEqual(policy.working_hours, 19)
            policy = self._policy(shop, days=2, hours=3)
            self.assertEqual(policy.working_hours, 51)

    @with_transaction()
    def test_policy_filters(self):
        "A policy applies by team, minimum priority, type, tags, customer"
        pool = Pool()
        Type = pool.get('helpdesk.ticket.type')
        Tag = pool.get('helpdesk.tag')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            support = self._team()
            sales = self._team(name="Sales")
            incident, question = Type.create([
                    {'name': "Incident"}, {'name': "Question"}])
            vip, printer = Tag.create([{'name': "VIP"}, {'name': "Printer"}])
            acme, other = Party.create([{'name': "ACME"}, {'name': "Other"}])
            self._policy(support, name="Everything")
            self._policy(support, name="High", priority='2')
            self._policy(
                support, name="Incidents", types=[('add', [incident.id])])
            self._policy(
                support, name="VIP printers",
                tags=[('add', [vip.id, printer.id])])
            self._policy(
                support, name="ACME", parties=[('add', [acme.id])])
            self._policy(sales, name="Sales")

            def policies(team=support, **values):
                ticket = self._ticket(team, **values)
                return sorted(self._statuses(ticket))

            self.assertEqual(policies(), ["Everything"])
            self.assertEqual(policies(team=sales), ["Sales"])
            self.assertEqual(policies(priority='2'), ["Everything", "High"])
            self.assertEqual(policies(priority='3'), ["Everything", "High"])
            self.assertEqual(
                policies(type=incident.id), ["Everything", "Incidents"])
            self.assertEqual(policies(type=question.id), ["Everything"])
            self.assertEqual(
                policies(tags=[('add', [vip.id])]), ["Everything"])
            self.assertEqual(
                policies(tags=[('add', [vip.id, printer.id])]),
                ["Everything", "VIP printers"])
            self.assertEqual(
                policies(party=acme.id), ["ACME", "Everything"])
            self.assertEqual(policies(party=other.id), ["Everything"])

    @with_transaction()
    def test_policy_changes_apply_to_next_tickets(self):
        """A change of a policy or of its criteria decides for the next
        ticket, though the policies of a team are cached"""
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Tag = pool.get('helpdesk.tag')
        Type = pool.get('helpdesk.ticket.type')
        company = create_company()
        with set_company(company):
            support = self._team()
            vip, = Tag.create([{'name': "VIP"}])
            incident, = Type.create([{'name': "Incident"}])
            policy = self._policy(support, name="VIP")

            def policies(**values):
                return sorted(self._statuses(self._ticket(support, **values)))

            self.assertEqual(policies(), ["VIP"])
            SLA.write([policy], {'tags': [('add', [vip.id])]})
            self.assertEqual(policies(), [])
            self.assertEqual(policies(tags=[('add', [vip.id])]), ["VIP"])
            SLA.write([policy], {'priority': '2'})
            self.assertEqual(policies(tags=[('add', [vip.id])]), [])
            SLA.write([policy], {'priority': '0'})
            self.assertEqual(policies(), [])
            # Deleting the tag deletes the criterion with it
            Tag.delete([vip])
            self.assertEqual(policies(), ["VIP"])
            SLA.write([policy], {'types': [('add', [incident.id])]})
            self.assertEqual(policies(), [])
            self.assertEqual(policies(type=incident.id), ["VIP"])
            SLA.write([policy], {'active': False})
            self.assertEqual(policies(type=incident.id), [])
            self._policy(support, name="New")
            self.assertEqual(policies(), ["New"])

    @with_transaction()
    def test_reevaluate_on_change(self):
        "Changing the ticket starts the new policies, stops the old ones"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Tag = pool.get('helpdesk.tag')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            clock.set('2026-11-23 09:00')
            support = self._team()
            vip, = Tag.create([{'name': "VIP"}])
            self._policy(support, name="Normal", hours=8)
            self._policy(support, name="Urgent", hours=2, priority='3')
            self._policy(
                support, name="VIP", hours=1, tags=[('add', [vip.id])],
                target_stage=self._stage('in_progress').id)
            ticket = self._ticket(support)
            self.assertEqual(sorted(self._statuses(ticket)), ["Normal"])

            clock.set('2026-11-23 10:00')
            Ticket.write([ticket], {
                    'priority': '3', 'tags': [('add', [vip.id])]})
            statuses = self._statuses(ticket)
            self.assertEqual(sorted(statuses), ["Normal", "Urgent", "VIP"])
            self.assertEqual(
                to_local(statuses['Urgent'].deadline), '2026-11-23 12:00')
            self.assertEqual(
                to_local(Ticket(ticket.id).sla_deadline), '2026-11-23 11:00')

            # The VIP promise is kept, then the tag goes: it stays reached;
            # the urgent one no longer applies and goes
            clock.set('2026-11-23 10:30')
            Ticket.write([ticket], {
                    'stage': self._stage('in_progress').id})
            Ticket.write([ticket], {
                    'priority': '1', 'tags': [('remove', [vip.id])]})
            statuses = self._statuses(ticket)
            self.assertEqual(
                {n: s.status for n, s in statuses.items()},
                {'Normal': 'ongoing', 'VIP': 'reached'})
            self.assertEqual(
                to_local(Ticket(ticket.id).sla_deadline), '2026-11-23 17:00')

    @with_transaction()
    def test_reevaluate_on_type_and_customer_change(self):
        "Changing the type or the customer stops and starts the policies"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Type = pool.get('helpdesk.ticket.type')
        Party = pool.get('party.party')
        Event = pool.get('helpdesk.ticket.sla.event')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            clock.set('2026-11-23 09:00')
            support = self._team()
            incident, question = Type.create([
                    {'name': "Incident"}, {'name': "Question"}])
            acme, globex = Party.create([
                    {'name': "ACME"}, {'name': "Globex"}])
            self._policy(support, name="Everyone", hours=8)
            self._policy(
                support, name="Incident taken", hours=1,
                types=[('add', [incident.id])],
                target_stage=self._stage('in_progress').id)
            self._policy(
                support, name="Incident resolved", hours=4,
                types=[('add', [incident.id])])
            self._policy(
                support, name="Question", hours=2,
                types=[('add', [question.id])])
            self._policy(
                support, name="ACME", hours=5, parties=[('add', [acme.id])])
            self._policy(
                support, name="Globex", hours=0.5,
                parties=[('add', [globex.id])])
            ticket = self._ticket(support, type=incident.id, party=acme.id)

            def time(moment):
                return to_local(moment)[11:] if moment else None

            def statuses():
                "Each policy: status, start, deadline, reached"
                return {n: (s.status, time(s.start_date), time(s.deadline),
                        time(s.reached_date))
                    for n, s in self._statuses(ticket).items()}

            def deadline():
                return to_local(Ticket(ticket.id).sla_deadline)

            self.assertEqual(statuses(), {
                    'Everyone': ('ongoing', '09:00', '17:00', None),
                    'Incident taken': ('ongoing', '09:00', '10:00', None),
                    'Incident resolved': ('ongoing', '09:00', '13:00', None),
                    'ACME': ('ongoing', '09:00', '14:00', None),
                    })
            self.assertEqual(deadline(), '2026-11-23 10:00')

            clock.set('2026-11-23 09:30')
            Ticket.write([ticket], {'stage': self._stage('in_progress').id})

            # An incident becomes a question: the incident promise kept
            # stays, the one still running goes, the question's starts
            clock.set('2026-11-23 10:00')
            Ticket.write([ticket], {'type': question.id})
            self.assertEqual(statuses(), {
                    'Everyone': ('ongoing', '09:00', '17:00', None),
                    'Incident taken': ('reached', '09:00', '10:00', '09:30'),
                    'Question': ('ongoing', '10:00', '12:00', None),
                    'ACME': ('ongoing', '09:00', '14:00', None),
                    })
            self.assertEqual(deadline(), '2026-11-23 12:00')

            # Another customer: its promise replaces ACME's, the others
            # keep their clocks
            clock.set('2026-11-23 11:00')
            Ticket.write([ticket], {'party': globex.id})
            self.assertEqual(statuses(), {
                    'Everyone': ('ongoing', '09:00', '17:00', None),
                    'Incident taken': ('reached', '09:00', '10:00', '09:30'),
                    'Question': ('ongoing', '10:00', '12:00', None),
                    'Globex': ('ongoing', '11:00', '11:30', None),
                    })
            self.assertEqual(deadline(), '2026-11-23 11:30')

            # No customer: no customer's promise
            clock.set('2026-11-23 11:15')
            Ticket.write([ticket], {'party': None})
            self.assertEqual(
                sorted(statuses()),
                ["Everyone", "Incident taken", "Question"])
            self.assertEqual(deadline(), '2026-11-23 12:00')

            # An incident again: the promise kept is not started again,
            # the one stopped starts afresh
            clock.set('2026-11-23 11:30')
            Ticket.write([ticket], {'type': incident.id})
            self.assertEqual(statuses(), {
                    'Everyone': ('ongoing', '09:00', '17:00', None),
                    'Incident taken': ('reached', '09:00', '10:00', '09:30'),
                    'Incident resolved': ('ongoing', '11:30', '15:30', None),
                    })
            self.assertEqual(deadline(), '2026-11-23 15:30')

            self.assertEqual(
                sorted((to_local(e.date)[11:], e.sla.name, e.event)
                    for e in Event.search([('ticket', '=', ticket.id)])),
                [('09:00', "ACME", 'start'),
                    ('09:00', "Everyone", 'start'),
                    ('09:00', "Incident resolved", 'start'),
                    ('09:00', "Incident taken", 'start'),
                    ('09:30', "Incident taken", 'reached'),
                    ('10:00', "Incident resolved", 'stop'),
                    ('10:00', "Question", 'start'),
                    ('11:00', "ACME", 'stop'),
                    ('11:00', "Globex", 'start'),
                    ('11:15', "Globex", 'stop'),
                    ('11:30', "Incident resolved", 'start'),
                    ('11:30', "Question", 'stop'),
                    ])

    @with_transaction()
    def test_reached_stays(self):
        "A reached or failed promise stays when the policy no longer applies"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            clock.set('2026-11-23 09:00')
            support = self._team()
            self._policy(
                support, name="Take", target='stage', priority='2',
                target_stage=self._stage('in_progress').id, hours=1)
            self._policy(
                support, name="Answer", target='first_response',
                priority='2', hours=1)
            ticket = self._ticket(support, priority='2')
            clock.set('2026-11-23 09:30')
            Ticket.write([ticket], {
                    'stage': self._stage('in_progress').id})
            clock.set('2026-11-23 10:30')
            TicketSLA.fail_overdue()
            Ticket.write([ticket], {'priority': '1'})
            statuses = self._statuses(ticket)
            self.assertEqual(
                {n: s.status for n, s in statuses.items()},
                {'Take': 'reached', 'Answer': 'failed'})

    @with_transaction()
    def test_bad_policies(self):
        "Wrong policies are refused with a clear message"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Stage = pool.get('helpdesk.stage')
        Calendar = pool.get('helpdesk.calendar')
        company = create_company()
        with set_company(company):
            support = self._team()
            sales = self._team(name="Sales")
            quote, = Stage.create([{
                        'name': "Quote Sent", 'category': 'waiting',
                        'teams': [('add', [sales.id])]}])
            empty, = Calendar.create([{'name': "Empty"}])

            cases = [
                ({'hours': 0}, SLAValidationError,
                    'SLA policy "Bad" must allow some days or hours '
                    'to reach its target.'),
                ({'target_stage': quote.id}, UserError,
                    'The value "Quote Sent" for field "Target Stage"'),
                ({'excluded_stages': [('add', [quote.id])]}, UserError,
                    'The value "Quote Sent" for field "Excluded Stages"'),
                ({'excluded_stages': [
                            ('add', [self._stage('solved').id])]},
                    UserError, 'for field "Excluded Stages"'),
                ({'calendar': empty.id}, SLAWorkingTimeError,
                    'The deadlines of SLA policy "Bad" cannot be computed '
                    'because calendar "Empty" has no working hours.'),
                ({'target': 'stage', 'target_stage': None}, UserError,
                    'A value is required for field "Target Stage"'),
                ({'days': -1, 'hours': 2}, UserError,
                    'for field "Days"'),
                ]
            for values, error, message in cases:
                with self.subTest(values=values):
                    with self.assertRaises(error) as cm:
                        self._policy(support, name="Bad", **values)
                    self.assertIn(message, cm.exception.message)

            # A policy cannot move to a team without its target stage
            diagnosis, = Stage.create([{
                        'name': "Diagnosis", 'category': 'in_progress',
                        'teams': [('add', [support.id])]}])
            policy = self._policy(
                support, name="Good", target_stage=diagnosis.id)
            with self.assertRaises(UserError) as cm:
                SLA.write([policy], {'team': sales.id})
            self.assertIn(
                'The value "Diagnosis" for field "Target Stage"',
                cm.exception.message)
            # Nor keep it when the stage leaves the team
            with self.assertRaises(SLAValidationError) as cm:
                SLA.check_stages([SLA(
                            id=policy.id, name="Good", team=sales,
                            target='stage', target_stage=diagnosis,
                            excluded_stages=[])])
            self.assertEqual(
                cm.exception.message,
                'Stage "Diagnosis" of SLA policy "Good" is not a stage '
                'of team "Sales".')

    @with_transaction()
    def test_target_stage_not_excluded(self):
        "The target stage cannot pause the clock"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        company = create_company()
        with set_company(company):
            support = self._team()
            policy = self._policy(support, name="Good")
            SLA.write([policy], {'target_stage': self._stage('waiting').id})
            with self.assertRaises(UserError):
                SLA.write([policy], {'excluded_stages': [
                            ('add', [self._stage('waiting').id])]})
            # Without the domain of the client, the server still refuses
            with self.assertRaises(SLAValidationError) as cm:
                SLA.check_stages([SLA(
                            id=policy.id, name="Good", team=support,
                            target='stage',
                            target_stage=self._stage('waiting'),
                            excluded_stages=[self._stage('waiting')])])
            self.assertEqual(
                cm.exception.message,
                'SLA policy "Good" cannot pause its clock in its target '
                'stage "Waiting for Customer".')

    @with_transaction()
    def test_delete_and_deactivate(self):
        "A used policy cannot be deleted; deactivated, it stops"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            support = self._team()
            unused = self._policy(support, name="Unused", priority='3')
            policy = self._policy(support, name="Used")
            ticket = self._ticket(support)
            SLA.delete([unused])

            with self.assertRaises(SLADeleteError) as cm:
                SLA.delete([policy])
            self.assertEqual(
                cm.exception.message,
                'You cannot delete SLA policy "Used" because tickets '
                'follow it. Deactivate it instead.')

            self.assertIsNotNone(Ticket(ticket.id).sla_deadline)
            SLA.write([policy], {'active': False})
            self.assertEqual(self._statuses(ticket), {})
            self.assertIsNone(Ticket(ticket.id).sla_deadline)
            self.assertEqual(
                [e.event for e in Ticket(ticket.id).sla_events],
                ['start', 'stop'])

    @with_transaction()
    def test_scheduled_job(self):
        "The job fails the overdue running SLAs at their deadline"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        Cron = pool.get('ir.cron')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            clock.set('2026-11-23 09:00')
            support = self._team()
            self._policy(support, name="Fast", hours=1, priority='2')
            self._policy(
                support, name="Slow", hours=3, pause_when_waiting=True)
            fast = self._ticket(support, priority='2')
            paused = self._ticket(support)
            Ticket.wait([paused])

            clock.set('2026-11-23 10:30')
            cron = Cron(ModelData.get_id('helpdesk_sla', 'cron_fail_overdue'))
            Cron.run_once([cron])

            self.assertEqual(
                {n: s.status for n, s in self._statuses(fast).items()},
                {'Fast': 'failed', 'Slow': 'ongoing'})
            self.assertEqual(
                self._statuses(paused)['Slow'].status, 'ongoing')
            failed, = TicketSLA.search([('status', '=', 'failed')])
            event = failed.events[-1]
            self.assertEqual(
                (event.event, to_local(event.date)),
                ('failed', '2026-11-23 10:00'))

            # Nothing more to do on the next run
            Cron.run_once([cron])
            self.assertEqual(len(failed.events), 2)

    @with_transaction()
    def test_ticket_sla_fields(self):
        "The ticket tells its SLA status, failures and what is due"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Type = pool.get('helpdesk.ticket.type')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            clock.set('2026-11-23 09:00')
            support = self._team()
            other = self._team(name="Other")
            incident, = Type.create([{'name': "Incident"}])
            self._policy(
                support, name="Resolve", hours=2,
                types=[('add', [incident.id])])
            self._policy(
                support, name="Take", hours=30,
                target_stage=self._stage('in_progress').id)
            late = self._ticket(support, name="Late", type=incident.id)
            reached = self._ticket(support, name="Reached")
            tomorrow = self._ticket(support, name="Tomorrow")
            none = self._ticket(other, name="None")
            clock.set('2026-11-23 09:45')
            soon = self._ticket(support, name="Soon", type=incident.id)
            clock.set('2026-11-23 10:00')
            Ticket.write([reached], {
                    'stage': self._stage('in_progress').id})

            clock.set('2026-11-23 11:10')

            def sla(ticket):
                return (ticket.name, ticket.sla_status, ticket.sla_failed,
                    ticket.sla_due_soon, ticket.sla_due_today,
                    ticket.sla_color)

            self.assertEqual(
                [sla(t) for t in Ticket.browse(
                        [late, soon, reached, tomorrow, none])],
                [("Late", 'failed', True, False, True, '#d9534f'),
                    ("Soon", 'ongoing', False, True, True, '#f0ad4e'),
                    ("Reached", 'reached', False, False, False, None),
                    ("Tomorrow", 'ongoing', False, False, False, None),
                    ("None", None, False, False, False, None)])

            def search(domain):
                return [t.name for t in Ticket.search(
                        domain, order=[('name', 'ASC')])]

            self.assertEqual(search([('sla_failed', '=', True)]), ["Late"])
            self.assertEqual(
                search([('sla_failed', '=', False)]),
                ["None", "Reached", "Soon", "Tomorrow"])
            self.assertEqual(
                search([('sla_due_today', '=', True)]), ["Late", "Soon"])
            self.assertEqual(
                search([('sla_status', '=', 'ongoing')]),
                ["Soon", "Tomorrow"])
            self.assertEqual(
                search([('sla_status', '=', 'reached')]), ["Reached"])
            self.assertEqual(search([('sla_status', '=', None)]), ["None"])
            self.assertEqual(
                search([('sla_status', 'in', ['failed', 'reached'])]),
                ["Late", "Reached"])
            self.assertEqual(
                search([('sla_status', '!=', 'ongoing')]),
                ["Late", "None", "Reached"])
            self.assertEqual(
                [t.name for t in Ticket.search(
                        [('sla_deadline', '!=', None)],
                        order=[('sla_deadline', 'ASC')])],
                ["Late", "Soon", "Tomorrow"])

    @with_transaction()
    def test_list_colors(self):
        "The ticket list shows the SLA red when failed, orange when due soon"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        ModelData = pool.get('ir.model.data')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            support = self._team()
            other = self._team(name="Other")
            self._policy(support, name="Resolve", hours=2)
            tickets = []
            for moment, name, team in [
                    ('2026-11-23 08:00', "Failed", support),
                    ('2026-11-23 08:20', "Overdue", support),
                    ('2026-11-23 09:15', "Soon", support),
                    ('2026-11-23 09:45', "Later", support),
                    ('2026-11-23 09:00', "Solved", support),
                    ('2026-11-23 09:00', "No SLA", other),
                    ]:
                clock.set(moment)
                tickets.append(self._ticket(team, name=name))
            clock.set('2026-11-23 10:05')
            TicketSLA.fail_overdue()
            clock.set('2026-11-23 10:10')
            Ticket.solve([tickets[4]])

            # The list seen at 10:30: the deadlines of Soon and Later are
            # 45 and 75 minutes away
            clock.set('2026-11-23 10:30')
            view = Ticket.fields_view_get(
                ModelData.get_id('helpdesk_core', 'ticket_view_list'),
                'tree')
            arch = etree.fromstring(view['arch'])
            # The client reads the fields of the view
            values = {r['id']: r for r in Ticket.read(
                    [t.id for t in tickets], list(view['fields']))}

            def visual(column):
                # The deadline is a date column and a time column
                fields = arch.xpath('/tree/field[@name="%s"]' % column)
                self.assertTrue(fields)
                colours = {tuple(
                        (t.name, PYSONDecoder(values[t.id]).decode(
                                field.get('visual')))
                        for t in tickets) for field in fields}
                colour, = colours
                return list(colour)

            for column in ['sla_deadline', 'sla_status']:
                with self.subTest(column=column):
                    self.assertEqual(visual(column), [
                            ("Failed", 'danger'),
                            ("Overdue", 'danger'),
                            ("Soon", 'warning'),
                            ("Later", ''),
                            ("Solved", ''),
                            ("No SLA", ''),
                            ])

    @with_transaction()
    def test_due_today_in_company_time_zone(self):
        "Today is the company's day"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        company.timezone = 'Asia/Tehran'
        company.save()
        with set_company(company), Clock('Asia/Tehran') as clock:
            clock.set('2026-11-23 22:00')
            support = self._team()
            self._policy(support, name="Resolve", hours=1)
            before = self._ticket(support, name="Before midnight")
            clock.set('2026-11-23 23:30')
            after = self._ticket(support, name="After midnight")
            self.assertEqual(
                [t.sla_due_today for t in Ticket.browse([before, after])],
                [True, False])

    @with_transaction()
    def test_reschedule(self):
        "The deadlines follow a change of the policy or of its calendar"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Leave = pool.get('helpdesk.calendar.leave')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company), Clock(ZONE) as clock:
            clock.set('2026-11-23 11:00')
            calendar = self._calendar()
            support = self._team(calendar=calendar.id)
            policy = self._policy(support, name="Resolve", days=1, hours=0)
            ticket = self._ticket(support)

            def deadline():
                return to_local(
                    self._statuses(ticket)['Resolve'].deadline, ZONE)
            self.assertEqual(deadline(), '2026-11-24 11:00')

            SLA.write([policy], {'days': 0, 'hours': 2})
            self.assertEqual(deadline(), '2026-11-23 14:00')
            self.assertEqual(
                to_local(Ticket(ticket.id).sla_deadline, ZONE),
                '2026-11-23 14:00')

            holiday, = Leave.create([{
                        'calendar': calendar.id, 'name': "Strike",
                        'start': to_utc('2026-11-23 10:00', ZONE),
                        'end': to_utc('2026-11-23 13:00', ZONE)}])
            self.assertEqual(deadline(), '2026-11-23 15:00')

            # Personal time off does not count
            agent = create_agent('agent')
            Leave.create([{
                        'calendar': calendar.id, 'name': "Doctor",
                        'user': agent.id,
                        'start': to_utc('2026-11-23 13:00', ZONE),
                        'end': to_utc('2026-11-23 17:00', ZONE)}])
            self.assertEqual(deadline(), '2026-11-23 15:00')

            Leave.delete([holiday])
            self.assertEqual(deadline(), '2026-11-23 14:00')

            # Without calendar, around the clock
            support.calendar = None
            support.save()
            self.assertEqual(deadline(), '2026-11-23 13:00')
            self.assertEqual(
                [e.event for e in Ticket(ticket.id).sla_events],
                ['start'] + ['reschedule'] * 4)

    @with_transaction()
    def test_policy_calendar_over_team_calendar(self):
        "A policy counts on its own calendar, else on the team's"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Leave = pool.get('helpdesk.calendar.leave')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company), Clock(ZONE) as clock:
            clock.set('2026-11-23 09:00')
            brussels = self._calendar(name="Brussels")
            afternoons = self._calendar(name="Afternoons", attendances=[
                    ('create', [{
                                'weekday': weekday,
                                'hour_from': dt.timedelta(hours=13),
                                'hour_to': dt.timedelta(hours=17),
                                } for weekday in '01234'])])
            # 9 hours a day, 6 hours behind Brussels
            new_york = self._calendar(
                name="New York", timezone='America/New_York',
                attendances=[('create', office_attendances(
                                morning=(9, 12), afternoon=(13, 19)))])
            support = self._team(calendar=brussels.id)
            self._policy(support, name="Team", hours=2)
            own = self._policy(
                support, name="Own", hours=2, calendar=new_york.id)
            # A day is a working day of the calendar that counts
            self.assertEqual(SLA(
                    team=support, calendar=new_york, days=1,
                    hours=0).on_change_with_working_hours(), 9)
            self.assertEqual(SLA(
                    team=support, calendar=None, days=1,
                    hours=0).on_change_with_working_hours(), 8)
            ticket = self._ticket(support)

            def deadlines():
                return (
                    {n: to_local(s.deadline, ZONE)[11:]
                        for n, s in self._statuses(ticket).items()},
                    to_local(Ticket(ticket.id).sla_deadline, ZONE)[11:])

            # New York opens at 15:00 in Brussels
            self.assertEqual(
                deadlines(), ({'Team': '11:00', 'Own': '17:00'}, '11:00'))

            # The team changes its calendar: only the policy without its
            # own follows
            support.calendar = afternoons
            support.save()
            self.assertEqual(
                deadlines(), ({'Team': '15:00', 'Own': '17:00'}, '15:00'))

            # The holidays of a calendar move the policies counting on it
            Leave.create([{
                        'calendar': afternoons.id, 'name': "Strike",
                        'start': to_utc('2026-11-23 13:00', ZONE),
                        'end': to_utc('2026-11-23 14:00', ZONE)}])
            self.assertEqual(
                deadlines(), ({'Team': '16:00', 'Own': '17:00'}, '16:00'))
            Leave.create([{
                        'calendar': new_york.id, 'name': "Snow",
                        'start': to_utc('2026-11-23 09:00', new_york.timezone),
                        'end': to_utc('2026-11-23 10:00', new_york.timezone),
                        }])
            self.assertEqual(
                deadlines(), ({'Team': '16:00', 'Own': '18:00'}, '16:00'))

            # Without its calendar, the policy counts on the team's
            SLA.write([own], {'calendar': None})
            self.assertEqual(
                deadlines(), ({'Team': '16:00', 'Own': '16:00'}, '16:00'))
            SLA.write([own], {'calendar': new_york.id})
            self.assertEqual(
                deadlines(), ({'Team': '16:00', 'Own': '18:00'}, '16:00'))

            events = Ticket(ticket.id).sla_events
            self.assertEqual(
                [e.event for e in events if e.sla.name == "Team"],
                ['start', 'reschedule', 'reschedule'])
            self.assertEqual(
                [e.event for e in events if e.sla.name == "Own"],
                ['start'] + ['reschedule'] * 3)

    @with_transaction()
    def test_apply_open_tickets(self):
        "A new policy starts on the open tickets of the team on demand"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            support = self._team()
            open_ = self._ticket(support, name="Open")
            solved = self._ticket(support, name="Solved")
            Ticket.solve([solved])
            policy = self._policy(support, name="Resolve")
            self.assertEqual(self._statuses(open_), {})

            SLA.apply_open_tickets([policy])
            self.assertEqual(list(self._statuses(open_)), ["Resolve"])
            self.assertEqual(self._statuses(solved), {})

    @with_transaction()
    def test_copy_ticket(self):
        "A copied ticket starts its own clocks"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            clock.set('2026-11-23 09:00')
            support = self._team()
            self._policy(support, name="Resolve", hours=2)
            ticket = self._ticket(support)
            clock.set('2026-11-23 10:00')
            copy, = Ticket.copy([ticket])
            self.assertEqual(
                to_local(self._statuses(copy)['Resolve'].start_date),
                '2026-11-23 10:00')
            self.assertEqual(len(Ticket(ticket.id).slas), 1)
            self.assertEqual(len(copy.sla_events), 1)

    @with_transaction()
    def test_started_clocks_stored_as_created(self):
        """The clocks started and their events, inserted directly, are the
        rows trytond's creation stores"""
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        Event = pool.get('helpdesk.ticket.sla.event')
        company = create_company()
        with set_company(company):
            support = self._team()
            policy = self._policy(support, name="Resolve", hours=2)
            ticket = self._ticket(support)
            moment = dt.datetime(2026, 11, 23, 9, 0)

            def clock():
                ticket_sla = TicketSLA(ticket=ticket, sla=policy)
                event, = ticket_sla.start(moment, AroundTheClock())
                ticket_sla.pause(moment + dt.timedelta(hours=1))
                return ticket_sla, event

            created, created_event = clock()
            TicketSLA.save([created])
            Event.save([created_event])
            before = TicketSLA.search([('ticket', '=', ticket.id)])
            inserted, inserted_event = clock()
            TicketSLA._save([inserted], [inserted_event])
            inserted, = TicketSLA.search([
                    ('ticket', '=', ticket.id),
                    ('id', 'not in', [s.id for s in before]),
                    ])

            def rows(Model, records):
                names = [n for n in Model._fields
                    if n not in {'id', 'create_date', 'rec_name'}]
                return [
                    {k: v for k, v in r.items()
                        if k != 'id' and not k.endswith('.')}
                    for r in Model.read([r.id for r in records], names)]

            created_row, inserted_row = rows(TicketSLA, [created, inserted])
            self.assertEqual(list(created_row['events']), [created_event.id])
            del created_row['events'], inserted_row['events']
            self.assertEqual(inserted_row, created_row)
            self.assertEqual(inserted_row['paused_since'], moment.replace(
                    hour=10))
            inserted_event, = inserted.events
            created_event, inserted_event = rows(
                Event, [created_event, inserted_event])
            self.assertEqual(created_event.pop('ticket_sla'), created.id)
            self.assertEqual(inserted_event.pop('ticket_sla'), inserted.id)
            self.assertEqual(inserted_event, created_event)

    @with_transaction()
    def test_access(self):
        "Agents read the policies and statuses, managers configure"
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        User = pool.get('res.user')
        company = create_company()
        with set_company(company):
            support = self._team()
            policy = self._policy(support)
            ticket = self._ticket(support)
            agent = create_agent('agent')
            manager = create_agent('manager', manager=True)
            clerk, = User.create([{
                        'login': 'clerk', 'name': "Clerk",
                        'companies': [('add', [company.id])],
                        'company': company.id}])
            transaction = Transaction()
            with transaction.set_user(agent.id), \
                    transaction.set_context(_check_access=True):
                self.assertEqual(SLA.search([]), [policy])
                self.assertEqual(len(TicketSLA.search([])), 1)
                with self.assertRaises(AccessError):
                    SLA.write([policy], {'hours': 1})
                with self.assertRaises(AccessError) as cm:
                    TicketSLA.write(TicketSLA.search([]), {
                            'status': 'reached'})
                self.assertEqual(
                    cm.exception.message,
                    'You cannot change the SLA "Resolve" of ticket '
                    '"[HD00001] Printer broken": the helpdesk follows it '
                    'from the ticket.')
                # Working on a ticket moves its clocks all the same
                pool.get('helpdesk.ticket').solve([ticket])
                ticket_sla, = TicketSLA.search([])
                self.assertEqual(ticket_sla.status, 'reached')
            with transaction.set_user(manager.id), \
                    transaction.set_context(_check_access=True):
                SLA.write([policy], {'hours': 1})
            with transaction.set_user(clerk.id), \
                    transaction.set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    SLA.search([])
                with self.assertRaises(AccessError):
                    TicketSLA.search([])

    @with_transaction()
    def test_analysis(self):
        "The analysis counts what the user may see, drills down to failures"
        pool = Pool()
        Analysis = pool.get('helpdesk.sla.analysis')
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        OpenFailed = pool.get(
            'helpdesk.sla.analysis.open_failed', type='wizard')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            ann = create_agent('ann')
            bob = create_agent('bob')
            support = self._team(visibility='assigned')
            self._policy(support, name="Resolve", hours=2)
            clock.set('2026-11-23 09:00')
            tickets = [
                self._ticket(support, user=ann.id) for _ in range(4)]
            tickets.append(self._ticket(support, user=bob.id))
            clock.set('2026-11-23 10:30')
            Ticket.solve(tickets[:2])
            clock.set('2026-11-23 12:00')
            Ticket.solve(tickets[2:3])
            TicketSLA.fail_overdue()
            clock.set('2026-12-01 09:00')
            self._ticket(support, user=ann.id)

            rows = Analysis.search([], order=[
                    ('month', 'ASC'), ('user.name', 'ASC')])

            def figures(row):
                return (row.month, row.user.name, row.tickets, row.ongoing,
                    row.reached, row.failed, row.success_rate,
                    row.hours_to_reach)

            self.assertEqual(
                [figures(r) for r in rows],
                [(dt.date(2026, 11, 1), "Ann", 4, 0, 2, 2, 50, 2),
                    (dt.date(2026, 11, 1), "Bob", 1, 0, 0, 1, 0, None),
                    (dt.date(2026, 12, 1), "Ann", 1, 1, 0, 0, None, None)])

            # Bob sees only his tickets in a team where agents see theirs
            with Transaction().set_user(bob.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    [(r.user.name, r.tickets) for r in Analysis.search([])],
                    [("Bob", 1)])

            session_id, _, _ = OpenFailed.create()
            with Transaction().set_context(
                    active_model=Analysis.__name__,
                    active_id=rows[0].id, active_ids=[rows[0].id]):
                wizard = OpenFailed(session_id)
                action, _ = wizard.do_open_(
                    {'name': "Failed Ticket SLAs"})
            failed = TicketSLA.search(
                PYSONDecoder().decode(action['pyson_domain']))
            self.assertEqual(
                sorted(ts.ticket.id for ts in failed),
                sorted(t.id for t in tickets[2:4]))


del ModuleTestCase
