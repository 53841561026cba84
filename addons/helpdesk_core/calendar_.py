# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
from collections import defaultdict

from sql import Null

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.tools import timezone as tz
from trytond.transaction import Transaction

from .exceptions import CalendarValidationError
from .working_time import HOUR, WorkingTime

TIMEZONES = [(z, z) for z in tz.available_timezones()]
WEEKDAYS = [
    ('0', "Monday"),
    ('1', "Tuesday"),
    ('2', "Wednesday"),
    ('3', "Thursday"),
    ('4', "Friday"),
    ('5', "Saturday"),
    ('6', "Sunday"),
    ]
DAY = dt.timedelta(days=1)


class Calendar(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'helpdesk.calendar'

    name = fields.Char("Name", required=True, translate=True)
    timezone = fields.Selection(
        TIMEZONES, "Time Zone", required=True, translate=False,
        help="The time zone of the attendance hours.")
    attendances = fields.One2Many(
        'helpdesk.calendar.attendance', 'calendar', "Attendances",
        help="The weekly working hours.")
    leaves = fields.One2Many(
        'helpdesk.calendar.leave', 'calendar', "Leaves",
        help="The public holidays and the time off of users.")

    @classmethod
    def default_timezone(cls):
        return 'UTC'

    def working_time(self, user=None):
        "Return the WorkingTime of the calendar, less the user's time off"
        pool = Pool()
        Leave = pool.get('helpdesk.calendar.leave')
        domain = [('calendar', '=', self.id), ('user', '=', None)]
        if user:
            # Time off is personal: it counts whatever its calendar
            domain = ['OR', domain, ('user', '=', user.id)]
        leaves = Leave.search(domain)
        return WorkingTime(
            self.timezone,
            [(int(a.weekday), a.hour_from / HOUR, a.hour_to / HOUR)
                for a in self.attendances],
            [(l.start, l.end) for l in leaves])

    def add_hours(self, start, hours, user=None):
        "Return the moment after hours of working time from start"
        return self.working_time(user=user).add_hours(start, hours)

    def hours_between(self, start, end, user=None):
        "Return the working hours between start and end"
        return self.working_time(user=user).hours_between(start, end)

    def is_on_leave(self, user, moment):
        "Tell if the user is on leave at the moment"
        pool = Pool()
        Leave = pool.get('helpdesk.calendar.leave')
        return user in Leave.users_on_leave([user], moment, calendar=self)


class Attendance(sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'helpdesk.calendar.attendance'

    calendar = fields.Many2One(
        'helpdesk.calendar', "Calendar", required=True, ondelete='CASCADE')
    weekday = fields.Selection(WEEKDAYS, "Weekday", required=True, sort=False)
    hour_from = fields.TimeDelta(
        "From", required=True, help="The local time the work starts.")
    hour_to = fields.TimeDelta(
        "To", required=True,
        help="The local time the work ends, at most 24:00.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('calendar')
        cls._order = [
            ('weekday', 'ASC'), ('hour_from', 'ASC')] + cls._order

    @classmethod
    def validate_fields(cls, attendances, field_names):
        super().validate_fields(attendances, field_names)
        cls.check_hours(attendances, field_names)
        cls.check_overlap(attendances, field_names)

    @classmethod
    def check_hours(cls, attendances, field_names=None):
        if field_names and not (field_names & {'hour_from', 'hour_to'}):
            return
        for attendance in attendances:
            if not (dt.timedelta() <= attendance.hour_from
                    < attendance.hour_to <= DAY):
                raise CalendarValidationError(gettext(
                        'helpdesk_core.msg_calendar_attendance_hours',
                        attendance=attendance.rec_name))

    @classmethod
    def check_overlap(cls, attendances, field_names=None):
        if field_names and not (
                field_names & {'calendar', 'weekday', 'hour_from', 'hour_to'}):
            return
        calendars = {a.calendar for a in attendances}
        days = defaultdict(list)
        for attendance in cls.search([
                    ('calendar', 'in', [c.id for c in calendars]),
                    ]):
            days[attendance.calendar, attendance.weekday].append(attendance)
        for (calendar, weekday), day in days.items():
            day.sort(key=lambda a: a.hour_from)
            for previous, attendance in zip(day, day[1:]):
                if attendance.hour_from < previous.hour_to:
                    raise CalendarValidationError(gettext(
                            'helpdesk_core.msg_calendar_attendance_overlap',
                            calendar=calendar.rec_name,
                            first=previous.rec_name,
                            second=attendance.rec_name))

    def get_rec_name(self, name):
        weekdays = dict(WEEKDAYS)

        def format_(value):
            minutes = int(value.total_seconds() // 60)
            return '%02d:%02d' % divmod(minutes, 60)
        return '%s %s-%s' % (
            weekdays[self.weekday], format_(self.hour_from),
            format_(self.hour_to))


class Leave(ModelSQL, ModelView):
    __name__ = 'helpdesk.calendar.leave'

    calendar = fields.Many2One(
        'helpdesk.calendar', "Calendar", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    start = fields.DateTime("Start", required=True)
    end = fields.DateTime("End", required=True)
    user = fields.Many2One(
        'res.user', "User", ondelete='CASCADE',
        help="The user on time off.\n"
        "Leave empty for a holiday of everyone.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('calendar')
        cls._order.insert(0, ('start', 'DESC'))

    @classmethod
    def users_on_leave(cls, users, moment, calendar=None):
        """Return the users on time off at the moment,
        or all of them on a holiday of the calendar"""
        on_leave = cls.user_ids_on_leave(
            [u.id for u in users], moment, calendar=calendar)
        return {u for u in users if u.id in on_leave}

    @classmethod
    def user_ids_on_leave(cls, user_ids, moment, calendar=None):
        """Return the set of the user ids on time off at the moment,
        or all of them on a holiday of the calendar

        In SQL: the assignment of each new ticket asks it."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        if not user_ids:
            return set()
        who = table.user.in_(user_ids)
        if calendar:
            who |= (table.calendar == calendar.id) & (table.user == Null)
        cursor.execute(*table.select(
                table.user,
                where=(table.start <= moment) & (table.end > moment) & who))
        users = {u for u, in cursor}
        if None in users:
            return set(user_ids)
        return users

    @classmethod
    def validate_fields(cls, leaves, field_names):
        super().validate_fields(leaves, field_names)
        cls.check_dates(leaves, field_names)

    @classmethod
    def check_dates(cls, leaves, field_names=None):
        if field_names and not (field_names & {'start', 'end'}):
            return
        for leave in leaves:
            if leave.end <= leave.start:
                raise CalendarValidationError(gettext(
                        'helpdesk_core.msg_calendar_leave_dates',
                        leave=leave.rec_name))
