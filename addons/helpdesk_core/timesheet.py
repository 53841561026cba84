# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Time logged on tickets, with Tryton's timesheet module

Each team has its timesheet work; agents log their time on a ticket as
timesheet lines of that work linked to the ticket."""

import datetime as dt
from collections import defaultdict

from sql import Null
from sql.aggregate import Count, Min, Sum
from sql.functions import DateTrunc

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import TimesheetEmployeeError


class Work(metaclass=PoolMeta):
    __name__ = 'timesheet.work'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['helpdesk.team']


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    timesheet_work = fields.Many2One(
        'timesheet.work', "Timesheet Work", readonly=True,
        ondelete='RESTRICT',
        help="The work on which the time spent on the tickets is logged.")

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        # The teams that were there before the timesheets
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id, where=table.timesheet_work == Null))
        ids = [i for i, in cursor]
        if ids:
            with Transaction().set_context(active_test=False):
                cls.create_timesheet_works(cls.browse(ids))

    @classmethod
    def copy(cls, teams, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('timesheet_work', None)
        return super().copy(teams, default=default)

    @classmethod
    def on_modification(cls, mode, teams, field_names=None):
        super().on_modification(mode, teams, field_names=field_names)
        if mode == 'create':
            cls.create_timesheet_works(teams)

    @classmethod
    def create_timesheet_works(cls, teams):
        "Create the timesheet work of the teams without one"
        pool = Pool()
        Work = pool.get('timesheet.work')
        teams = [t for t in teams if not t.timesheet_work]
        # Agents and managers log time but do not manage timesheet works
        with without_check_access():
            works = Work.create([{
                        'origin': str(t),
                        'company': t.company.id,
                        } for t in teams])
            for team, work in zip(teams, works):
                team.timesheet_work = work
            cls.save(teams)


class Line(metaclass=PoolMeta):
    __name__ = 'timesheet.line'

    helpdesk_ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The helpdesk ticket on which the time is spent.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.helpdesk_ticket, Index.Range()),
                where=t.helpdesk_ticket != Null))

    @classmethod
    def default_work(cls):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        team_id = Transaction().context.get('helpdesk_team')
        if team_id and team_id > 0:
            work = Team(team_id).timesheet_work
            return work.id if work else None

    @classmethod
    def default_employee(cls):
        employee = super().default_employee()
        if not employee and Transaction().context.get('helpdesk_team'):
            # Logging time from a ticket: say why it cannot be saved
            raise cls._no_employee_error()
        return employee

    @classmethod
    def _no_employee_error(cls, company=None):
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        company = company or user.company
        return TimesheetEmployeeError(gettext(
                'helpdesk_core.msg_timesheet_no_employee',
                user=user.rec_name,
                company=company.rec_name if company else ''))

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Company = pool.get('company.company')
        Ticket = pool.get('helpdesk.ticket')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('helpdesk_ticket'):
            ticket = Ticket(values['helpdesk_ticket'])
            values.setdefault('company', ticket.company.id)
            if not values.get('work') and ticket.team.timesheet_work:
                values['work'] = ticket.team.timesheet_work.id
            if not values.get('employee'):
                employee = super().default_employee()
                if not employee:
                    raise cls._no_employee_error(
                        Company(values['company']))
                values['employee'] = employee
        return values


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    timesheet_lines = fields.One2Many(
        'timesheet.line', 'helpdesk_ticket', "Time Spent",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        context={
            'helpdesk_team': Eval('team', -1),
            },
        depends={'team'},
        help="The time the agents spent on the ticket.")
    timesheet_duration = fields.Function(fields.TimeDelta(
            "Total Time Spent", 'company_work_time',
            help="The time spent on the ticket by all the agents."),
        'get_timesheet_duration')

    @classmethod
    def get_timesheet_duration(cls, tickets, name):
        pool = Pool()
        Line = pool.get('timesheet.line')
        line = Line.__table__()
        cursor = Transaction().connection.cursor()
        durations = defaultdict(lambda: None)
        for sub_ids in grouped_slice(
                [t.id for t in tickets], MAX_QUERY_PARAMS):
            cursor.execute(*line.select(
                    line.helpdesk_ticket, Sum(line.duration),
                    where=fields.SQL_OPERATORS['in'](
                        line.helpdesk_ticket, sub_ids),
                    group_by=line.helpdesk_ticket))
            for ticket_id, duration in cursor:
                # SQLite sums the seconds as a float
                if duration is not None and not isinstance(
                        duration, dt.timedelta):
                    duration = dt.timedelta(seconds=duration)
                durations[ticket_id] = duration
        return {t.id: durations[t.id] for t in tickets}

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        # The time was spent on the original
        default.setdefault('timesheet_lines', None)
        return super().copy(tickets, default=default)


class TicketTimesheetAnalysis(ModelSQL, ModelView):
    __name__ = 'helpdesk.ticket.timesheet.analysis'

    company = fields.Many2One('company.company', "Company", readonly=True)
    team = fields.Many2One('helpdesk.team', "Team", readonly=True)
    employee = fields.Many2One('company.employee', "Agent", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    month = fields.Date("Month", readonly=True)
    tickets = fields.Integer("Tickets", readonly=True)
    duration = fields.TimeDelta(
        "Time Spent", 'company_work_time', readonly=True)
    hours = fields.Function(
        fields.Float("Hours", digits=(16, 2)), 'get_hours')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('month', 'DESC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Line = pool.get('timesheet.line')
        Ticket = pool.get('helpdesk.ticket')
        line = Line.__table__()
        ticket = Ticket.__table__()
        month = cls.month.sql_cast(DateTrunc('month', line.date))
        # PostgreSQL groups by the month only as a column of a subquery:
        # the expression's parameters differ from the select to the group
        lines = line.join(ticket,
            condition=line.helpdesk_ticket == ticket.id
            ).select(
                line.id, line.company, ticket.team, line.employee,
                ticket.party, month.as_('month'), line.duration,
                ticket.id.as_('ticket'))
        return lines.select(
            Min(lines.id).as_('id'),
            lines.company.as_('company'),
            lines.team.as_('team'),
            lines.employee.as_('employee'),
            lines.party.as_('party'),
            lines.month.as_('month'),
            Count(lines.ticket, distinct=True).as_('tickets'),
            Sum(lines.duration).as_('duration'),
            group_by=[
                lines.company, lines.team, lines.employee, lines.party,
                lines.month])

    def get_hours(self, name):
        if self.duration is not None:
            return round(self.duration.total_seconds() / 3600, 2)
