# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
from collections import defaultdict

from sql import Column, Literal, Null
from sql.aggregate import Max
from sql.conditionals import Case
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.tools import timezone as tz
from trytond.transaction import Transaction, without_check_access

from . import common
from .sla import TARGETS

STATUSES = [
    ('ongoing', "Ongoing"),
    ('reached', "Reached"),
    ('failed', "Failed"),
    ]
EVENTS = [
    ('start', "Started"),
    ('pause', "Paused"),
    ('resume', "Resumed"),
    ('reached', "Reached"),
    ('failed', "Failed"),
    ('reschedule', "Rescheduled"),
    ('stop', "Stopped"),
    ]
# The ticket fields that decide which policies apply
APPLY_FIELDS = {'team', 'priority', 'type', 'tags', 'party'}
# The ticket fields that move the clocks of the policies
EVALUATE_FIELDS = {
    'stage', 'state', 'user', 'assigned_date', 'first_response_date',
    'active'}
# How close a deadline is "due soon"
DUE_SOON = dt.timedelta(hours=1)
# How many overdue SLAs the scheduled job fails at once
FAIL_BATCH = 100
# How many ticket SLAs (or tickets) a change of a policy or of a calendar
# follows again in its own transaction: more go to the task queue
QUEUE_THRESHOLD = 100
# How many ticket SLAs (or tickets) one task of the queue follows again
QUEUE_BATCH = 500
COLOR_FAILED = '#d9534f'
COLOR_DUE_SOON = '#f0ad4e'


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    slas = fields.One2Many(
        'helpdesk.ticket.sla', 'ticket', "SLAs", readonly=True,
        help="The service level policies the ticket follows.")
    sla_events = fields.One2Many(
        'helpdesk.ticket.sla.event', 'ticket', "SLA History", readonly=True,
        help="What started, paused, resumed and settled the SLA clocks.")
    sla_deadline = fields.DateTime(
        "SLA Deadline", readonly=True,
        help="The earliest deadline of the SLAs not reached yet.")
    sla_status = fields.Function(fields.Selection([
                (None, ""),
                ] + STATUSES, "SLA Status", sort=False,
            help="Failed when an SLA failed, ongoing while one runs, "
            "reached when all are reached."),
        'get_sla', searcher='search_sla_status')
    sla_failed = fields.Function(fields.Boolean(
            "SLA Failed",
            help="An SLA of the ticket failed or its deadline passed."),
        'get_sla', searcher='search_sla_failed')
    sla_due_soon = fields.Function(fields.Boolean(
            "SLA Due Soon",
            help="The SLA deadline is within the hour."),
        'get_sla_due')
    sla_color = fields.Function(fields.Char(
            "SLA Color",
            help="Red when an SLA failed, orange when one is due soon."),
        'get_sla')
    sla_due_today = fields.Function(fields.Boolean(
            "SLA Due Today",
            help="The SLA deadline is today in the company's time zone."),
        'get_sla_due', searcher='search_sla_due_today')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.sla_deadline, Index.Range()),
                where=t.sla_deadline != Null))

    @classmethod
    def view_attributes(cls):
        visual = If(Eval('sla_failed', False), 'danger',
            If(Eval('sla_due_soon', False), 'warning', ''))
        depends = ['sla_failed', 'sla_due_soon']
        return super().view_attributes() + [
            ('/tree/field[@name="sla_deadline"]', 'visual', visual, depends),
            ('/tree/field[@name="sla_status"]', 'visual', visual, depends),
            ('/form//image[@name="sla_color"]', 'states', {
                    'invisible': ~Eval('sla_color'),
                    }, ['sla_color']),
            ]

    @classmethod
    def get_sla(cls, tickets, names):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        ticket_sla = TicketSLA.__table__()
        cursor = Transaction().connection.cursor()
        flags = {}
        for sub_ids in grouped_slice(
                [t.id for t in tickets], backend.MAX_QUERY_PARAMS):
            cursor.execute(*ticket_sla.select(
                    ticket_sla.ticket,
                    Max(Case(
                            (ticket_sla.status == 'failed', Literal(1)),
                            else_=Literal(0))),
                    Max(Case(
                            (ticket_sla.status == 'ongoing', Literal(1)),
                            else_=Literal(0))),
                    where=ticket_sla.ticket.in_(list(sub_ids)),
                    group_by=[ticket_sla.ticket]))
            for ticket_id, failed, ongoing in cursor:
                flags[ticket_id] = (bool(failed), bool(ongoing))
        now = common.now()
        result = {name: {} for name in names}
        for ticket in tickets:
            failed, ongoing = flags.get(ticket.id, (False, False))
            deadline = ticket.sla_deadline
            failed |= bool(deadline and deadline < now)
            if 'sla_failed' in result:
                result['sla_failed'][ticket.id] = failed
            if 'sla_color' in result:
                color = None
                if failed:
                    color = COLOR_FAILED
                elif deadline and deadline <= now + DUE_SOON:
                    color = COLOR_DUE_SOON
                result['sla_color'][ticket.id] = color
            if 'sla_status' in result:
                if ticket.id not in flags:
                    status = None
                elif failed:
                    status = 'failed'
                elif ongoing:
                    status = 'ongoing'
                else:
                    status = 'reached'
                result['sla_status'][ticket.id] = status
        return result

    @classmethod
    def _sla_tickets_query(cls, status):
        "Return the query of the ids of the tickets with an SLA in status"
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        ticket_sla = TicketSLA.__table__()
        where = Literal(True)
        if status:
            where = ticket_sla.status == status
        return ticket_sla.select(ticket_sla.ticket, where=where)

    @classmethod
    def _sla_failed_domain(cls, failed=True):
        now = common.now()
        failed_query = cls._sla_tickets_query('failed')
        if failed:
            return ['OR',
                ('sla_deadline', '<', now),
                ('id', 'in', failed_query),
                ]
        else:
            return [
                ['OR',
                    ('sla_deadline', '=', None),
                    ('sla_deadline', '>=', now),
                    ],
                ('id', 'not in', failed_query),
                ]

    @classmethod
    def search_sla_failed(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            raise ValueError(operator)
        return cls._sla_failed_domain(bool(value) == (operator == '='))

    @classmethod
    def search_sla_status(cls, name, clause):
        _, operator, value = clause[:3]
        statuses = {None} | {s for s, _ in STATUSES}
        if operator in {'=', '!='}:
            values = {value or None}
        elif operator in {'in', 'not in'}:
            values = {v or None for v in value}
        else:
            raise ValueError(operator)
        if operator.startswith('!') or operator.startswith('not '):
            values = statuses - values
        domain = ['OR']
        for status in sorted(values, key=lambda s: s or ''):
            if status is None:
                domain.append(
                    ('id', 'not in', cls._sla_tickets_query(None)))
            elif status == 'failed':
                domain.append(cls._sla_failed_domain(True))
            elif status == 'ongoing':
                domain.append([
                        cls._sla_failed_domain(False),
                        ('id', 'in', cls._sla_tickets_query('ongoing')),
                        ])
            elif status == 'reached':
                domain.append([
                        cls._sla_failed_domain(False),
                        ('id', 'not in', cls._sla_tickets_query('ongoing')),
                        ('id', 'in', cls._sla_tickets_query('reached')),
                        ])
        if len(domain) == 1:
            return [('id', '=', None)]
        return domain

    @classmethod
    def _sla_today(cls):
        "Return the UTC start and end of today in the company's time zone"
        pool = Pool()
        Company = pool.get('company.company')
        company_id = Transaction().context.get('company')
        zone = tz.UTC
        if company_id is not None and company_id >= 0:
            company = Company(company_id)
            if company.timezone:
                zone = tz.get_tzinfo(company.timezone)
        today = common.now().replace(tzinfo=tz.UTC).astimezone(zone).date()

        def utc(date):
            return dt.datetime.combine(date, dt.time(), tzinfo=zone
                ).astimezone(tz.UTC).replace(tzinfo=None)
        return utc(today), utc(today + dt.timedelta(days=1))

    @classmethod
    def get_sla_due(cls, tickets, names):
        now = common.now()
        start, end = cls._sla_today()
        result = {name: {} for name in names}
        for ticket in tickets:
            deadline = ticket.sla_deadline
            if 'sla_due_soon' in result:
                result['sla_due_soon'][ticket.id] = bool(
                    deadline and now <= deadline <= now + DUE_SOON)
            if 'sla_due_today' in result:
                result['sla_due_today'][ticket.id] = bool(
                    deadline and start <= deadline < end)
        return result

    @classmethod
    def search_sla_due_today(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            raise ValueError(operator)
        start, end = cls._sla_today()
        if bool(value) == (operator == '='):
            return [
                ('sla_deadline', '>=', start),
                ('sla_deadline', '<', end),
                ]
        return ['OR',
            ('sla_deadline', '=', None),
            ('sla_deadline', '<', start),
            ('sla_deadline', '>=', end),
            ]

    @classmethod
    def on_modification(cls, mode, tickets, field_names=None):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        super().on_modification(mode, tickets, field_names=field_names)
        if mode == 'create':
            TicketSLA.update_tickets(tickets, apply=True, new=True)
        elif mode == 'write':
            if field_names & APPLY_FIELDS:
                TicketSLA.update_tickets(tickets, apply=True)
            elif field_names & EVALUATE_FIELDS:
                TicketSLA.update_tickets(tickets, apply=False)

    @classmethod
    def process_chat_messages(cls, tickets_messages):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        super().process_chat_messages(tickets_messages)
        # A public reply of an agent is the first response, whether the
        # dates of the conversation are written or stored directly
        TicketSLA.update_tickets(
            [t for t, m in tickets_messages if m.audience == 'public'],
            apply=False)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            # A new ticket follows the SLAs its policies start, nothing more
            for name in ['slas', 'sla_events']:
                values.pop(name, None)
        return values

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('slas', None)
        default.setdefault('sla_events', None)
        default.setdefault('sla_deadline', None)
        return super().copy(tickets, default=default)

    @classmethod
    def sla_apply(cls, tickets):
        """Apply the policies of their teams to the tickets still open

        A task of the queue: the tickets closed since it was queued are
        left as they are."""
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        TicketSLA.update_tickets(
            [t for t in tickets if t.state not in {'solved', 'cancelled'}],
            apply=True)


class TicketSLA(ModelSQL, ModelView):
    __name__ = 'helpdesk.ticket.sla'
    __string__ = "Helpdesk Ticket SLA"

    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", required=True, ondelete='CASCADE',
        readonly=True)
    sla = fields.Many2One(
        'helpdesk.sla', "Policy", required=True, ondelete='RESTRICT',
        readonly=True)
    target = fields.Function(
        fields.Selection(TARGETS, "Target"), 'on_change_with_target')
    start_date = fields.DateTime(
        "Start", required=True, readonly=True,
        help="When the policy started to apply to the ticket.")
    deadline = fields.DateTime(
        "Deadline", readonly=True,
        help="When the target must be reached.\n"
        "Empty while the clock is paused.")
    reached_date = fields.DateTime("Reached", readonly=True)
    status = fields.Selection(
        STATUSES, "Status", required=True, readonly=True, sort=False)
    paused_since = fields.DateTime(
        "Paused Since", readonly=True,
        help="When the clock was paused, empty when it runs.")
    paused_hours = fields.Float(
        "Paused Hours", digits=(16, 2), required=True, readonly=True,
        help="The working hours of the finished pauses, "
        "added to the deadline.")
    paused_duration = fields.TimeDelta(
        "Paused Duration", required=True, readonly=True,
        help="The working time of the finished pauses, to the second.")
    reached_hours = fields.Float(
        "Hours to Reach", digits=(16, 2), readonly=True,
        help="The working hours it took to reach the target, "
        "without the pauses.")
    exceeded_hours = fields.Function(fields.Float(
            "Exceeded Hours", digits=(16, 2),
            help="The working hours spent beyond the deadline."),
        'get_exceeded_hours')
    events = fields.One2Many(
        'helpdesk.ticket.sla.event', 'ticket_sla', "Events", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('ticket')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ticket, Index.Equality())),
                Index(t,
                    (t.sla, Index.Equality()),
                    (t.status, Index.Equality(cardinality='low'))),
                # The scheduled job looks only at the running deadlines
                Index(t, (t.deadline, Index.Range()),
                    where=t.status == 'ongoing'),
                Index(t, (t.ticket, Index.Equality()),
                    where=t.status == 'failed'),
                })
        cls._order = [
            ('start_date', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def default_status(cls):
        return 'ongoing'

    @classmethod
    def check_modification(
            cls, mode, ticket_slas, values=None, external=False):
        super().check_modification(
            mode, ticket_slas, values=values, external=external)
        # The rights on the ticket give those on its SLAs: only the
        # helpdesk changes them
        if external:
            ticket_sla = ticket_slas[0]
            raise AccessError(gettext(
                    'helpdesk_sla.msg_ticket_sla_modify',
                    sla=ticket_sla.sla.rec_name,
                    ticket=ticket_sla.ticket.rec_name))

    @classmethod
    def default_paused_hours(cls):
        return 0

    @classmethod
    def default_paused_duration(cls):
        return common.ZERO

    def get_rec_name(self, name):
        return self.sla.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('sla.rec_name', *clause[1:])]

    @fields.depends('sla')
    def on_change_with_target(self, name=None):
        if self.sla:
            return self.sla.target

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('status') == 'failed', 'danger',
                    If(Eval('status') == 'reached', 'success', ''))),
            ]

    def get_exceeded_hours(self, name):
        if self.status != 'failed':
            return 0.
        working_time = self.sla.get_working_time()
        allowed = self.sla.get_duration(working_time)
        if self.reached_date:
            spent = common.duration(self.reached_hours)
        else:
            ticket = self.ticket
            end = self.paused_since or common.now()
            if ticket.closed_date and ticket.is_closed:
                end = min(end, ticket.closed_date)
            spent = (working_time.between(self.start_date, end)
                - self.paused_duration)
        return round(max(common.hours(spent - allowed), 0), 2)

    def _event(self, event, date):
        "Return the unsaved event of the ledger"
        pool = Pool()
        Event = pool.get('helpdesk.ticket.sla.event')
        return Event(
            ticket=self.ticket, ticket_sla=self, sla=self.sla, event=event,
            date=date, deadline=self.deadline, stage=self.ticket.stage,
            paused_hours=self.paused_hours)

    def start(self, moment, working_time):
        "Start the clock at moment and return the events"
        self.start_date = moment
        self.status = 'ongoing'
        self.paused_hours = 0
        self.paused_duration = common.ZERO
        self.paused_since = None
        self.reached_date = None
        self.deadline = self.sla.compute_deadline(
            moment, working_time=working_time)
        return [self._event('start', moment)]

    def fail(self):
        "Mark the clock failed at its deadline and return the events"
        self.status = 'failed'
        return [self._event('failed', self.deadline)]

    def pause(self, moment):
        "Stop the clock at moment and return the events"
        self.paused_since = moment
        if self.status == 'ongoing':
            self.deadline = None
        return [self._event('pause', moment)]

    def _close_pause(self, moment, working_time):
        "Add the pause until moment to the paused hours"
        paused = self.paused_duration + working_time.between(
            self.paused_since, moment)
        self.paused_duration = paused
        self.paused_hours = round(common.hours(paused), 2)
        self.paused_since = None
        if self.status == 'ongoing':
            self.deadline = self.sla.compute_deadline(
                self.start_date, paused, working_time=working_time)

    def resume(self, moment, working_time):
        "Restart the clock at moment and return the events"
        self._close_pause(moment, working_time)
        return [self._event('resume', moment)]

    def reach(self, moment, working_time):
        "Settle the clock as the target is reached at moment"
        events = []
        if self.paused_since:
            self._close_pause(moment, working_time)
        if self.status == 'ongoing' and self.deadline < moment:
            events.extend(self.fail())
        self.reached_date = moment
        self.reached_hours = round(common.hours(max(
                    working_time.between(self.start_date, moment)
                    - self.paused_duration, common.ZERO)), 2)
        if self.status == 'ongoing':
            self.status = 'reached'
        events.append(self._event('reached', moment))
        return events

    def evaluate(self, ticket, moment, working_time, team_stages):
        """Move the clock to what the ticket is at moment
        and return the events"""
        events = []
        if self.reached_date:
            return events
        if (self.status == 'ongoing' and self.deadline
                and self.deadline < moment):
            events.extend(self.fail())
        if self.sla.is_reached(ticket, team_stages):
            events.extend(self.reach(moment, working_time))
        else:
            paused = self.sla.pauses(ticket)
            if paused and not self.paused_since:
                events.extend(self.pause(moment))
            elif not paused and self.paused_since:
                events.extend(self.resume(moment, working_time))
        return events

    @classmethod
    def update_tickets(cls, tickets, apply=True, moment=None, new=False):
        """Follow the SLAs of the tickets at moment

        With apply, the policies that no longer apply to a ticket are
        stopped (unless reached or failed) and those that newly apply are
        started. New tickets have no SLA yet."""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        SLA = pool.get('helpdesk.sla')
        if moment is None:
            moment = common.now()
        tickets = Ticket.browse(sorted({t.id for t in tickets}))
        if not tickets:
            return
        statuses = defaultdict(list)
        if not new:
            for sub_tickets in grouped_slice(
                    tickets, backend.MAX_QUERY_PARAMS):
                for ticket_sla in cls.search([
                            ('ticket', 'in', [t.id for t in sub_tickets]),
                            ], order=[('id', 'ASC')]):
                    statuses[ticket_sla.ticket.id].append(ticket_sla)
        if apply:
            policies = SLA.get_team_policies({t.team.id for t in tickets})

        clock = _Clock()
        to_save, to_stop, events = [], [], []
        saved = set()

        def save(ticket_sla):
            # Unsaved records compare equal: track them by identity
            if id(ticket_sla) not in saved:
                saved.add(id(ticket_sla))
                to_save.append(ticket_sla)

        for ticket in tickets:
            ticket_slas = statuses[ticket.id]
            if apply:
                applicable = [
                    p for p, criteria in policies[ticket.team.id]
                    if SLA.meets_criteria(criteria, ticket)]
                followed = {ts.sla for ts in ticket_slas}
                stopped = [
                    ts for ts in ticket_slas
                    if ts.status == 'ongoing' and ts.sla not in applicable]
                to_stop.extend(stopped)
                ticket_slas = [ts for ts in ticket_slas if ts not in stopped]
                for policy in applicable:
                    if policy not in followed:
                        ticket_sla = cls(ticket=ticket, sla=policy)
                        events.extend(ticket_sla.start(
                                moment, clock.working_time(policy)))
                        ticket_slas.append(ticket_sla)
                        save(ticket_sla)
                statuses[ticket.id] = ticket_slas
            for ticket_sla in ticket_slas:
                changes = ticket_sla.evaluate(
                    ticket, moment, clock.working_time(ticket_sla.sla),
                    ticket_sla.sla.team.get_stages())
                if changes:
                    events.extend(changes)
                    save(ticket_sla)
        cls._stop(to_stop, moment)
        cls._save(to_save, events)
        cls._update_deadlines(tickets, statuses)

    @classmethod
    def _save(cls, ticket_slas, events):
        """Save the ticket SLAs and store the events of the ledger

        The clocks started and the events are inserted with the values the
        clocks computed, without the creation's validation: it read back
        each row with its ticket and policy, which cost a sixth of the
        creation of a ticket."""
        pool = Pool()
        Event = pool.get('helpdesk.ticket.sla.event')
        started = [ts for ts in ticket_slas if ts.id is None]
        cls.save([ts for ts in ticket_slas if ts.id is not None])
        started_ids = dict(zip(map(id, started), _insert(cls, started)))
        for event in events:
            if event.ticket_sla and event.ticket_sla.id is None:
                event.ticket_sla = cls(started_ids[id(event.ticket_sla)])
        _insert(Event, events)

    @classmethod
    def _stop(cls, ticket_slas, moment):
        "Delete the ticket SLAs, leaving a stop event on their tickets"
        pool = Pool()
        Event = pool.get('helpdesk.ticket.sla.event')
        if not ticket_slas:
            return
        events = []
        for ticket_sla in ticket_slas:
            event = ticket_sla._event('stop', moment)
            event.ticket_sla = None
            events.append(event)
        Event.save(events)
        cls.delete(ticket_slas)

    @classmethod
    def stop(cls, ticket_slas, moment=None):
        "Stop following the ticket SLAs"
        if moment is None:
            moment = common.now()
        tickets = {ts.ticket for ts in ticket_slas}
        cls._stop(ticket_slas, moment)
        cls._update_deadlines(tickets)

    @classmethod
    def run_or_queue(cls, Model, method, records):
        """Call the class method on the records of Model: in the
        transaction when they are few, else through the task queue by
        batches of ids

        The method re-reads the records, skips those that no longer need it
        and does nothing the second time."""
        ids = sorted({r.id for r in records})
        if not ids:
            return
        if len(ids) <= QUEUE_THRESHOLD:
            getattr(Model, method)(Model.browse(ids))
            return
        queue = getattr(Model.__queue__, method)
        for sub_ids in grouped_slice(ids, QUEUE_BATCH):
            queue(Model.browse(list(sub_ids)))

    @classmethod
    def _search_ongoing(cls, domain, check=True):
        """Return the running ticket SLAs of domain and, with check, check
        the working time of their policies"""
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        # The helpdesk keeps its clocks true whoever changed the policy or
        # the calendar: the rules of the user do not apply
        with without_check_access():
            query = cls.search([
                    ('status', '=', 'ongoing'),
                    domain,
                    ], order=[], query=True)
        cursor.execute(*table.select(
                table.id, table.sla, where=table.id.in_(query),
                order_by=[table.id.asc]))
        rows = cursor.fetchall()
        # A calendar without working time is refused in the transaction of
        # the change, even when the clocks follow it in the queue
        if check:
            for sla in SLA.browse(sorted({s for _, s in rows})):
                sla.get_working_time()
        return cls.browse([i for i, _ in rows])

    @classmethod
    def reschedule_ongoing(cls, domain):
        """Compute again the running deadlines of domain, in the task
        queue when they are many"""
        cls.run_or_queue(cls, 'reschedule', cls._search_ongoing([
                    ('deadline', '!=', None),
                    domain,
                    ]))

    @classmethod
    def evaluate_ongoing(cls, domain):
        """Follow again the tickets of the running SLAs of domain, in the
        task queue when they are many"""
        cls.run_or_queue(cls, 'follow', cls._search_ongoing(domain))

    @classmethod
    def stop_ongoing(cls, domain):
        """Stop following the running SLAs of domain of inactive policies,
        in the task queue when they are many"""
        cls.run_or_queue(
            cls, 'stop_inactive', cls._search_ongoing(domain, check=False))

    @classmethod
    def follow(cls, ticket_slas, moment=None):
        """Follow again the tickets of the ticket SLAs still running,
        after a change of the target or of the pauses of their policy"""
        cls.update_tickets(
            [ts.ticket for ts in ticket_slas if ts.status == 'ongoing'],
            apply=False, moment=moment)

    @classmethod
    def stop_inactive(cls, ticket_slas, moment=None):
        """Stop following the ticket SLAs still running of the policies
        still inactive"""
        cls.stop([
                ts for ts in ticket_slas
                if ts.status == 'ongoing' and not ts.sla.active],
            moment=moment)

    @classmethod
    def reschedule(cls, ticket_slas, moment=None):
        """Compute again the deadlines of the running clocks,
        after a change of their policy or of its calendar"""
        if moment is None:
            moment = common.now()
        clock = _Clock()
        to_save, events = [], []
        for ticket_sla in ticket_slas:
            if ticket_sla.status != 'ongoing' or ticket_sla.paused_since:
                continue
            deadline = ticket_sla.sla.compute_deadline(
                ticket_sla.start_date, ticket_sla.paused_duration,
                working_time=clock.working_time(ticket_sla.sla))
            if deadline != ticket_sla.deadline:
                ticket_sla.deadline = deadline
                events.append(ticket_sla._event('reschedule', moment))
                to_save.append(ticket_sla)
        cls._save(to_save, events)
        cls._update_deadlines({ts.ticket for ts in to_save})

    @classmethod
    def _update_deadlines(cls, tickets, statuses=None):
        "Store on the tickets their earliest deadline not reached"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        tickets = Ticket.browse(sorted({t.id for t in tickets}))
        if statuses is None:
            statuses = defaultdict(list)
            for sub_tickets in grouped_slice(
                    tickets, backend.MAX_QUERY_PARAMS):
                for ticket_sla in cls.search([
                            ('ticket', 'in', [t.id for t in sub_tickets]),
                            ]):
                    statuses[ticket_sla.ticket.id].append(ticket_sla)
        changes = defaultdict(list)
        for ticket in tickets:
            deadline = None
            if ticket.active and not ticket.is_closed:
                deadline = min((
                        ts.deadline for ts in statuses[ticket.id]
                        if ts.deadline and not ts.reached_date),
                    default=None)
            if deadline != ticket.sla_deadline:
                changes[deadline].append(ticket.id)
        if changes:
            cls._store_deadlines(changes)

    @classmethod
    def _store_deadlines(cls, changes):
        """Store the deadlines {deadline: ticket ids} on the tickets

        They are stored directly like the dates of the conversation: the
        clocks must not make the form an agent has open look modified by
        someone else, nor run the hooks of a ticket's modification."""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        table = Ticket.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        for deadline, ticket_ids in changes.items():
            for sub_ids in grouped_slice(ticket_ids, backend.MAX_QUERY_PARAMS):
                cursor.execute(*table.update(
                        [table.sla_deadline],
                        [Ticket.sla_deadline.sql_format(deadline)],
                        where=table.id.in_(list(sub_ids))))
        # The records of the transaction see the new values, and keep the
        # others they read: nothing else changed
        for cache in transaction.cache.values():
            if Ticket.__name__ in cache:
                records = cache[Ticket.__name__]
                for deadline, ticket_ids in changes.items():
                    for ticket_id in ticket_ids:
                        if ticket_id in records:
                            records[ticket_id]._update(sla_deadline=deadline)

    @classmethod
    def _overdue_query(cls, moment):
        """Return the query of the running SLAs overdue at moment with what
        their failure event needs

        It goes through the index on the deadlines of the running SLAs only
        and reads of each ticket only its stage, by its primary key: the
        reached and failed SLAs keep their past deadlines, so the planner
        expects many more overdue rows than there are and would rather scan
        every ticket for a join."""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        table = cls.__table__()
        ticket = Ticket.__table__()
        stage = ticket.select(
            ticket.stage, where=ticket.id == table.ticket)
        return table.select(
            table.id, table.ticket, table.sla, table.deadline,
            table.paused_hours, stage.as_('stage'),
            where=(table.status == 'ongoing') & (table.deadline < moment),
            order_by=[table.deadline.asc, table.id.asc])

    @classmethod
    def fail_overdue(cls):
        "Mark failed the running SLAs whose deadline passed"
        pool = Pool()
        Event = pool.get('helpdesk.ticket.sla.event')
        cursor = Transaction().connection.cursor()
        cursor.execute(*cls._overdue_query(common.now()))
        rows = cursor.fetchall()
        # Records instantiated together check each other's ids: batches
        # keep a long list of failures linear
        for sub_rows in grouped_slice(rows, FAIL_BATCH):
            sub_rows = list(sub_rows)
            cls.write(cls.browse([r[0] for r in sub_rows]), {
                    'status': 'failed',
                    })
            Event.create([{
                        'ticket': ticket_id,
                        'ticket_sla': id_,
                        'sla': sla_id,
                        'event': 'failed',
                        'date': deadline,
                        'deadline': deadline,
                        'stage': stage_id,
                        'paused_hours': paused_hours,
                        }
                    for id_, ticket_id, sla_id, deadline, paused_hours,
                    stage_id in sub_rows])


class _Clock:
    "The working times needed while following SLAs"

    def __init__(self):
        self._working_times = {}

    def working_time(self, sla):
        calendar = sla.get_calendar()
        key = calendar.id if calendar else None
        if key not in self._working_times:
            self._working_times[key] = sla.get_working_time()
        return self._working_times[key]


def _insert(Model, records):
    """Insert the unsaved records of Model as they are, with the defaults of
    the fields they leave unset, and return their ids in order

    For the rows that the SLA clocks compute: no validation, no hook."""
    if not records:
        return []
    transaction = Transaction()
    database = transaction.database
    connection = transaction.connection
    cursor = connection.cursor()
    table = Model.__table__()
    names = [
        n for n, f in Model._fields.items()
        if n not in {'id', 'create_uid', 'create_date', 'write_uid',
            'write_date'}
        and not isinstance(f, (fields.Function, fields.One2Many,
                fields.Many2Many))]
    defaults = Model.default_get(names, with_rec_name=False)
    columns = [Column(table, n) for n in names] + [
        table.create_uid, table.create_date]
    rows = [[
            Model._fields[n].sql_format(getattr(r, n, defaults.get(n)))
            for n in names] + [transaction.user, CurrentTimestamp()]
        for r in records]
    ids = []
    for sub_rows in grouped_slice(
            rows, backend.MAX_QUERY_PARAMS // (len(columns) + 1)):
        sub_rows = list(sub_rows)
        # As trytond's creation: the ids of several rows asked first
        if len(sub_rows) > 1:
            new_ids = database.nextid(
                connection, Model._table, count=len(sub_rows))
            if new_ids is not None:
                cursor.execute(*table.insert(
                        columns + [table.id],
                        [r + [i] for r, i in zip(sub_rows, new_ids)]))
                ids.extend(new_ids)
                continue
        for row in sub_rows:
            if database.has_returning():
                cursor.execute(*table.insert(columns, [row], [table.id]))
                ids.extend(i for i, in cursor)
            else:
                cursor.execute(*table.insert(columns, [row]))
                ids.append(database.lastid(cursor))
    return ids


class TicketSLAEvent(ModelSQL, ModelView):
    __name__ = 'helpdesk.ticket.sla.event'
    __string__ = "Helpdesk Ticket SLA Event"

    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", required=True, ondelete='CASCADE',
        readonly=True)
    ticket_sla = fields.Many2One(
        'helpdesk.ticket.sla', "Ticket SLA", ondelete='SET NULL',
        readonly=True)
    sla = fields.Many2One(
        'helpdesk.sla', "Policy", required=True, ondelete='RESTRICT',
        readonly=True)
    date = fields.DateTime("Date", required=True, readonly=True)
    event = fields.Selection(
        EVENTS, "Event", required=True, readonly=True, sort=False)
    stage = fields.Many2One(
        'helpdesk.stage', "Stage", ondelete='SET NULL', readonly=True,
        help="The stage of the ticket at the event.")
    deadline = fields.DateTime(
        "Deadline", readonly=True, help="The deadline after the event.")
    paused_hours = fields.Float(
        "Paused Hours", digits=(16, 2), readonly=True,
        help="The working hours paused so far.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('ticket')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ticket, Index.Equality())),
                Index(t, (t.ticket_sla, Index.Equality())),
                Index(t, (t.sla, Index.Equality())),
                })
        cls._order = [
            ('date', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def check_modification(cls, mode, events, values=None, external=False):
        super().check_modification(
            mode, events, values=values, external=external)
        if external:
            raise AccessError(gettext(
                    'helpdesk_sla.msg_ticket_sla_event_modify',
                    ticket=events[0].ticket.rec_name))

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('event') == 'failed', 'danger',
                    If(Eval('event') == 'reached', 'success',
                        If(Eval('event') == 'stop', 'muted', '')))),
            ]
