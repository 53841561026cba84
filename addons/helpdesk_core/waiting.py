# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""How long customers wait for an answer: green, yellow or red

A customer waits on an open ticket (new or in progress) from their last
message, or from the creation of the ticket, until an agent answers.  The
wait is counted in working hours of the team's calendar (every hour when the
team has none) and compared with the thresholds of the team for the priority
of the ticket."""

import bisect
import datetime as dt
from collections import defaultdict

from sql import Literal, Null
from sql.conditionals import Coalesce

from trytond.backend import MAX_QUERY_PARAMS
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import WaitingThresholdError
from .ticket import PRIORITIES
from .working_time import (
    HOUR, ZERO, AroundTheClock, NoWorkingTimeError, WorkingTime)

WAITING_STATES = {'new', 'in_progress'}
BANDS = [
    (None, ""),
    ('green', "Green"),
    ('yellow', "Yellow"),
    ('red', "Red"),
    ]
# Working hours before yellow and before red when the team sets none
DEFAULT_THRESHOLDS = {
    '3': (1, 2),
    '2': (2, 4),
    '1': (4, 8),
    '0': (8, 16),
    }


def waiting_since(state, create_date, last_customer, last_agent):
    """When the customer started to wait for an answer on an open ticket,
    None when nobody waits for the team"""
    if state not in WAITING_STATES:
        return None
    customer = last_customer or create_date
    if last_agent and last_agent > customer:
        return None
    return customer


def _waiting_since_sql(table):
    "The SQL counterpart of waiting_since"
    since = Coalesce(table.last_customer_message, table.create_date)
    waiting = (table.state.in_(list(WAITING_STATES))
        & ((table.last_agent_message == Null)
            | (table.last_agent_message <= since)))
    return since, waiting


def working_hours_since(working_time, moments, now):
    "Return {moment: the working hours from moment until now}"
    if not moments:
        return {}
    if not hasattr(working_time, 'intervals'):
        return {m: max(now - m, ZERO) / HOUR for m in moments}
    # One walk over the working intervals for all the moments
    starts, ends, before = [], [], [ZERO]
    for start, end in working_time.intervals(min(moments), now):
        starts.append(start)
        ends.append(end)
        before.append(before[-1] + (end - start))
    total = before[-1]
    hours = {}
    for moment in moments:
        index = bisect.bisect_right(ends, moment)
        if index == len(ends):
            worked = total
        else:
            worked = before[index] + max(moment - starts[index], ZERO)
        hours[moment] = (total - worked) / HOUR
    return hours


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    waiting_thresholds = fields.One2Many(
        'helpdesk.team.waiting_threshold', 'team', "Waiting Thresholds",
        help="After how many working hours of the team a customer's wait "
        "turns yellow and then red.\n"
        "Without one for a priority, the default thresholds apply.")

    def get_working_time(self):
        "Return the working time of the team, holidays left out"
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        return Calendar.get_team_working_time(
            self.calendar.id if self.calendar else None)

    @classmethod
    def get_waiting_settings(cls, team_ids):
        """Return {(team id, priority): (yellow hours, red hours)} for
        every priority of the teams and {team id: working time}"""
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        Threshold = pool.get('helpdesk.team.waiting_threshold')
        threshold = Threshold.__table__()
        team = cls.__table__()
        cursor = Transaction().connection.cursor()
        found, calendars = {}, {}
        for sub_ids in grouped_slice(team_ids, MAX_QUERY_PARAMS):
            sub_ids = list(sub_ids)
            cursor.execute(*threshold.select(
                    threshold.team, threshold.priority,
                    threshold.yellow_hours, threshold.red_hours,
                    where=fields.SQL_OPERATORS['in'](
                        threshold.team, sub_ids)))
            for team_id, priority, yellow, red in cursor:
                found[team_id, priority or None] = (yellow, red)
            cursor.execute(*team.select(
                    team.id, team.calendar,
                    where=fields.SQL_OPERATORS['in'](team.id, sub_ids)))
            calendars.update(cursor)
        thresholds = {}
        for team_id in team_ids:
            for priority, default in DEFAULT_THRESHOLDS.items():
                thresholds[team_id, priority] = found.get(
                    (team_id, priority),
                    found.get((team_id, None), default))
        working_times = {}
        for calendar_id in set(calendars.values()):
            working_times[calendar_id] = Calendar.get_team_working_time(
                calendar_id)
        return thresholds, {
            t: working_times[calendars[t]] for t in team_ids
            if t in calendars}


class Calendar(metaclass=PoolMeta):
    __name__ = 'helpdesk.calendar'

    # The attendances and holidays of each calendar: a list of tickets
    # computes its waiting bands without reading them
    _team_working_time_cache = Cache(
        'helpdesk.calendar.team_working_time', context=False)

    @classmethod
    def get_team_working_time(cls, calendar_id):
        """Return the WorkingTime of the calendar with its holidays,
        AroundTheClock without calendar"""
        pool = Pool()
        Leave = pool.get('helpdesk.calendar.leave')
        if calendar_id is None:
            return AroundTheClock()
        data = cls._team_working_time_cache.get(calendar_id)
        if data is None:
            with without_check_access(), \
                    Transaction().set_context(active_test=False):
                calendar = cls(calendar_id)
                leaves = Leave.search([
                        ('calendar', '=', calendar_id),
                        ('user', '=', None),
                        ], order=[])
                data = (
                    calendar.timezone,
                    [(int(a.weekday), a.hour_from / HOUR, a.hour_to / HOUR)
                        for a in calendar.attendances],
                    [(l.start, l.end) for l in leaves])
            cls._team_working_time_cache.set(calendar_id, data)
        timezone, attendances, leaves = data
        return WorkingTime(timezone, attendances, leaves)

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        super().on_modification(mode, records, field_names=field_names)
        cls._team_working_time_cache.clear()


class Attendance(metaclass=PoolMeta):
    __name__ = 'helpdesk.calendar.attendance'

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        super().on_modification(mode, records, field_names=field_names)
        Calendar._team_working_time_cache.clear()


class Leave(metaclass=PoolMeta):
    __name__ = 'helpdesk.calendar.leave'

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        super().on_modification(mode, records, field_names=field_names)
        Calendar._team_working_time_cache.clear()


class WaitingThreshold(ModelSQL, ModelView):
    __name__ = 'helpdesk.team.waiting_threshold'

    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE')
    priority = fields.Selection(
        [(None, "")] + PRIORITIES, "Priority", sort=False,
        help="Leave empty for the priorities without their own thresholds.")
    yellow_hours = fields.Float(
        "Yellow After", required=True, digits=(16, 2),
        domain=[('yellow_hours', '>=', 0)],
        help="The working hours of waiting after which it turns yellow.")
    red_hours = fields.Float(
        "Red After", required=True, digits=(16, 2),
        domain=[('red_hours', '>', Eval('yellow_hours', 0))],
        help="The working hours of waiting after which it turns red.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('team')
        cls._order.insert(0, ('priority', 'DESC NULLS LAST'))

    @classmethod
    def validate_fields(cls, thresholds, field_names):
        super().validate_fields(thresholds, field_names)
        cls.check_unique(thresholds, field_names)

    @classmethod
    def check_unique(cls, thresholds, field_names=None):
        if field_names and not (field_names & {'team', 'priority'}):
            return
        seen = defaultdict(list)
        for threshold in cls.search([
                    ('team', 'in', list({t.team.id for t in thresholds})),
                    ]):
            seen[threshold.team, threshold.priority].append(threshold)
        for (team, priority), same in seen.items():
            if len(same) > 1:
                priorities = dict(cls.fields_get(
                        ['priority'])['priority']['selection'])
                raise WaitingThresholdError(gettext(
                        'helpdesk_core.msg_waiting_threshold_unique',
                        team=team.rec_name,
                        priority=priorities.get(priority) or '*'))


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    waiting_since = fields.Function(fields.Timestamp(
            "Customer Waiting Since",
            help="Since when the customer waits for an answer."),
        'get_waiting')
    waiting_hours = fields.Function(fields.Float(
            "Waiting Hours", digits=(16, 1),
            help="The working hours of the team "
            "the customer has waited for an answer."),
        'get_waiting')
    waiting_band = fields.Function(fields.Selection(
            BANDS, "Waiting Band", sort=False,
            help="How long the customer has waited for an answer "
            "compared with the thresholds of the team."),
        'get_waiting', searcher='search_waiting_band')

    @classmethod
    def view_attributes(cls):
        attributes = [
            a for a in super().view_attributes()
            if a[:2] != ('/tree', 'visual')]
        band_visual = If(Eval('waiting_band') == 'red', 'danger',
            If(Eval('waiting_band') == 'yellow', 'warning',
                If(Eval('waiting_band') == 'green', 'success', '')))
        return attributes + [
            # A red wait stands out as an urgent ticket does
            ('/tree', 'visual',
                If(Eval('state') == 'cancelled', 'muted',
                    If((Eval('waiting_band') == 'red')
                        | (Eval('priority') == '3'), 'danger',
                        If(Eval('waiting_band') == 'yellow',
                            'warning', '')))),
            ('/tree/field[@name="waiting_band"]', 'visual', band_visual),
            ('/tree/field[@name="waiting_hours"]', 'visual', band_visual),
            ]

    @classmethod
    def get_waiting(cls, tickets, names):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.now()
        result = {n: {t.id: None for t in tickets} for n in names}

        since = {}
        by_team = defaultdict(list)
        for sub_ids in grouped_slice(
                [t.id for t in tickets], MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.id, table.team, table.priority, table.state,
                    table.create_date, table.last_customer_message,
                    table.last_agent_message,
                    where=fields.SQL_OPERATORS['in'](table.id, sub_ids)))
            for (id_, team, priority, state, create_date, last_customer,
                    last_agent) in cursor:
                moment = waiting_since(
                    state, create_date, last_customer, last_agent)
                if moment and team:
                    since[id_] = moment
                    by_team[team].append((id_, priority))
        if 'waiting_since' in names:
            result['waiting_since'].update(since)
        if not ({'waiting_hours', 'waiting_band'} & set(names)):
            return result

        thresholds, working_times = Team.get_waiting_settings(
            list(by_team))
        for team_id, waits in by_team.items():
            hours = working_hours_since(
                working_times[team_id], [since[i] for i, _ in waits], now)
            for id_, priority in waits:
                waited = hours[since[id_]]
                yellow, red = thresholds[team_id, priority]
                if waited >= red:
                    band = 'red'
                elif waited >= yellow:
                    band = 'yellow'
                else:
                    band = 'green'
                if 'waiting_hours' in names:
                    result['waiting_hours'][id_] = round(waited, 2)
                if 'waiting_band' in names:
                    result['waiting_band'][id_] = band
        return result

    @classmethod
    def search_waiting_band(cls, name, clause):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        _, operator, value = clause[:3]
        values = {v for v, _ in BANDS}
        if operator in {'=', '!='}:
            matched = {value}
        elif operator in {'in', 'not in'}:
            matched = set(value or [])
        else:
            raise ValueError("Unsupported operator: %s" % operator)
        if operator.startswith('not') or operator == '!=':
            matched = values - matched
        matched &= values

        table = cls.__table__()
        since, waiting = _waiting_since_sql(table)
        now = dt.datetime.now()
        with Transaction().set_context(active_test=False):
            team_ids = [t.id for t in Team.search([], order=[])]
        thresholds, working_times = Team.get_waiting_settings(team_ids)
        conditions = {b: Literal(False) for b in values}
        conditions[None] = ~waiting
        for team_id in team_ids:
            working_time = working_times[team_id]
            for priority in DEFAULT_THRESHOLDS:
                yellow, red = thresholds[team_id, priority]
                # The latest start of a wait which has lasted that long
                yellow, red = [
                    _cutoff(working_time, now, h) for h in (yellow, red)]
                in_team = (table.team == team_id) & (
                    table.priority == priority) & waiting
                green = in_team
                if yellow:
                    green &= since > yellow
                    if red:
                        conditions['yellow'] |= (
                            in_team & (since <= yellow) & (since > red))
                    else:
                        conditions['yellow'] |= in_team & (since <= yellow)
                if red:
                    conditions['red'] |= in_team & (since <= red)
                conditions['green'] |= green
        where = Literal(False)
        for band in matched:
            where |= conditions[band]
        return [('id', 'in', table.select(table.id, where=where))]


def _cutoff(working_time, now, hours):
    """Return the latest moment with hours of working time until now,
    None if there is none"""
    try:
        return working_time.subtract(now, dt.timedelta(hours=hours))
    except NoWorkingTimeError:
        return None
