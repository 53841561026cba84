# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from dateutil.relativedelta import relativedelta
from sql import Literal, Null, Union
from sql.aggregate import Avg, Min, Sum
from sql.conditionals import Coalesce
from sql.functions import DateTrunc, Extract

from trytond import backend
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.modelsql import convert_from
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id, If
from trytond.transaction import Transaction, inactive_records

# The kinds of events a row aggregates: the id of an event is the id of its
# source record times KINDS plus its kind, unique across the kinds
# (helpdesk_website adds RATING = 3, helpdesk_sla SLA = 4)
KINDS = 16
SOLVED, FIRST_RESPONSE, TIMESHEET = 0, 1, 2


def hours(start, end):
    return (Extract('EPOCH', end) - Extract('EPOCH', start)) / 3600


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # The performance reports read the events of a date range
                Index(
                    t, (t.closed_date, Index.Range()),
                    where=t.state == 'solved'),
                Index(
                    t, (t.first_response_date, Index.Range()),
                    where=t.first_response_date != Null),
                # The ticket analysis by creation date
                Index(t, (t.create_date, Index.Range())),
                })


class PerformanceContext(ModelView):
    __name__ = 'helpdesk.performance.context'
    __string__ = "Helpdesk Performance Context"

    company = fields.Many2One('company.company', "Company", required=True)
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    team = fields.Many2One(
        'helpdesk.team', "Team",
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    agent = fields.Many2One(
        'res.user', "Agent",
        domain=[
            ('groups', 'in', [
                    Id('helpdesk_core', 'group_helpdesk'),
                    Id('helpdesk_core', 'group_helpdesk_manager'),
                    ]),
            ])

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_from_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        # The current month and the 11 before it
        return Date.today().replace(day=1) - relativedelta(months=11)

    @classmethod
    def default_to_date(cls):
        return Transaction().context.get('to_date')

    @classmethod
    def default_team(cls):
        return Transaction().context.get('team')

    @classmethod
    def default_agent(cls):
        return Transaction().context.get('agent')


class PerformanceMixin:
    "The measures of the agents' work, aggregated from the ticket events"
    __slots__ = ()

    company = fields.Many2One('company.company', "Company", readonly=True)
    tickets_solved = fields.Integer(
        "Tickets Solved", readonly=True,
        help="The tickets solved in the period, by their assignee.")
    first_response_hours = fields.Float(
        "Average First Response (Hours)", digits=(16, 2), readonly=True,
        help="The average hours from the creation of the tickets "
        "to the first public answer of an agent, "
        "for the tickets first answered in the period.")
    resolution_hours = fields.Float(
        "Average Resolution (Hours)", digits=(16, 2), readonly=True,
        help="The average hours from the creation of the tickets "
        "to their resolution, for the tickets solved in the period.")

    # The columns the rows are grouped by, beside the company
    _grouping = ()

    @classmethod
    def _event_measures(cls):
        "Return the aggregate function of each measure of the events"
        return {
            'tickets_solved': Sum,
            'first_response_hours': Avg,
            'resolution_hours': Avg,
            }

    @classmethod
    def _events(cls):
        "Return the queries of the events, built with _event_query"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        ticket = Ticket.__table__()
        responded = Ticket.__table__()
        return [
            cls._event_query(
                ticket, ticket, ticket.id, SOLVED, ticket.closed_date,
                where=(ticket.state == 'solved'),
                tickets_solved=Literal(1),
                resolution_hours=hours(
                    ticket.create_date, ticket.closed_date)),
            cls._event_query(
                responded, responded, responded.id, FIRST_RESPONSE,
                responded.first_response_date,
                where=(responded.first_response_date != Null),
                first_response_hours=hours(
                    responded.create_date, responded.first_response_date)),
            ]

    @classmethod
    def _event_query(
            cls, from_item, ticket, source_id, kind, date, where=None,
            is_date=False, date_where=None, user=None, **measures):
        """Return the query of events of the tickets

        from_item must join the ticket table; date is the timestamp (or the
        date when is_date) that places an event in a month; date_where, when
        given, returns for a condition on a date column the condition on the
        event's dates that an index can serve; user is the agent of the
        event, by default the assignee of the ticket; measures give the
        values of the event, the others are NULL."""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Rule = pool.get('ir.rule')
        context = Transaction().context
        if where is None:
            where = Literal(True)
        if user is None:
            user = ticket.user
        where &= ticket.merged_into == Null
        from_date, to_date = context.get('from_date'), context.get('to_date')
        if not is_date:
            if from_date:
                from_date = dt.datetime.combine(from_date, dt.time())
            if to_date:
                to_date = dt.datetime.combine(to_date, dt.time())
        if date_where is None:
            def date_where(condition):
                return condition(date)
        if from_date:
            where &= date_where(lambda d: d >= from_date)
        if to_date:
            if is_date:
                where &= date_where(lambda d: d <= to_date)
            else:
                end = to_date + dt.timedelta(days=1)
                where &= date_where(lambda d: d < end)
        for name, column in [
                ('company', ticket.company),
                ('team', ticket.team),
                ('agent', user),
                ]:
            if context.get(name):
                where &= column == context[name]
        # Count only the tickets the user may see: the rule tests the
        # ticket of each event of the period, not every ticket
        if domain := Rule.domain_get(Ticket.__name__, mode='read'):
            # As Rule.query_get does
            with Transaction().set_user(0, set_context=True), \
                    inactive_records():
                tables, expression = Ticket.search_domain(
                    domain, tables={None: (ticket, None)})
            for key, sub_tables in tables.items():
                if key is not None:
                    from_item = convert_from(from_item, sub_tables)
            where &= expression
        month = DateTrunc('month', date)
        columns = [
            (source_id * KINDS + kind).as_('id'),
            ticket.company.as_('company'),
            ticket.team.as_('team'),
            user.as_('user'),
            month.as_('month'),
            ]
        for name in sorted(cls._event_measures()):
            # A typed NULL: PostgreSQL must match the types of the union
            value = measures.pop(
                name, cls._fields[name].sql_cast(Literal(None)))
            columns.append(value.as_(name))
        assert not measures, measures
        return from_item.select(*columns, where=where)

    @classmethod
    def _columns(cls, events):
        "Return the columns of the report by name"
        columns = {
            'id': Min(events.id),
            'company': events.company,
            }
        for name in cls._grouping:
            columns[name] = getattr(events, name)
        if 'month' in columns:
            columns['month'] = cls.month.sql_cast(events.month)
        for name, aggregate in cls._event_measures().items():
            column = aggregate(getattr(events, name))
            if aggregate is Sum:
                column = Coalesce(column, 0)
            field = cls._fields[name]
            if isinstance(field, fields.Float):
                column = field.sql_cast(column)
            columns[name] = column
        return columns

    @classmethod
    def table_query(cls):
        events = Union(*cls._events(), all_=True)
        columns = cls._columns(events)
        return events.select(
            *(c.as_(n) for n, c in columns.items()),
            group_by=[events.company] + [
                getattr(events, n) for n in cls._grouping])


class PerformanceTimesheetMixin:
    "The time the agents logged on the tickets, with the timesheet module"
    __slots__ = ()

    hours_logged = fields.Float(
        "Hours Logged", digits=(16, 2), readonly=True,
        help="The hours the agents logged on the tickets in the period, "
        "by the user who logged them.")

    @classmethod
    def _event_measures(cls):
        return super()._event_measures() | {
            'hours_logged': Sum,
            }

    @classmethod
    def _events(cls):
        pool = Pool()
        Line = pool.get('timesheet.line')
        Ticket = pool.get('helpdesk.ticket')
        line = Line.__table__()
        ticket = Ticket.__table__()
        if backend.name == 'sqlite':
            # SQLite stores the seconds
            hours_logged = line.duration / 3600.0
        else:
            hours_logged = Extract('EPOCH', line.duration) / 3600
        return super()._events() + [
            cls._event_query(
                line.join(ticket,
                    condition=line.helpdesk_ticket == ticket.id),
                ticket, line.id, TIMESHEET, line.date, is_date=True,
                user=line.create_uid,
                where=line.company == ticket.company,
                hours_logged=hours_logged),
            ]


class AgentPerformance(PerformanceMixin, ModelSQL, ModelView):
    __name__ = 'helpdesk.agent.performance'
    __string__ = "Helpdesk Agent Performance"

    team = fields.Many2One('helpdesk.team', "Team", readonly=True)
    user = fields.Many2One('res.user', "Agent", readonly=True)
    month = fields.Date(
        "Month", readonly=True,
        help="The month of the events (UTC).")

    _grouping = ('team', 'user', 'month')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('month', 'DESC'),
            ('team', 'ASC'),
            ('user', 'ASC'),
            ('id', 'ASC'),
            ]

    def get_rec_name(self, name):
        return ' - '.join(filter(None, [
                    self.user.rec_name if self.user else None,
                    self.team.rec_name if self.team else None,
                    str(self.month)]))


class PerformanceMonth(PerformanceMixin, ModelSQL, ModelView):
    __name__ = 'helpdesk.performance.month'
    __string__ = "Helpdesk Performance per Month"

    month = fields.Date(
        "Month", readonly=True,
        help="The month of the events (UTC).")

    _grouping = ('month',)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('month', 'ASC'),
            ('id', 'ASC'),
            ]

    def get_rec_name(self, name):
        return str(self.month)


class AgentPerformanceTimesheet(
        PerformanceTimesheetMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.agent.performance'


class PerformanceMonthTimesheet(
        PerformanceTimesheetMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.performance.month'
