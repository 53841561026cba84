# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Time helpers of the SLA clock

Moments are naive datetimes in UTC, as Tryton stores them, to the second
(DateTime fields drop the microseconds)."""

import datetime as dt

from trytond.modules.helpdesk_core.working_time import HOUR, ZERO

DAY = dt.timedelta(days=1)


def now():
    "Return the current moment in naive UTC, to the second"
    return dt.datetime.now().replace(microsecond=0)


def duration(hours):
    "Return the timedelta of hours, to the second"
    return dt.timedelta(seconds=round((hours or 0) * 3600))


def hours(duration):
    "Return the duration in hours"
    return duration / HOUR


def day_duration(working_time):
    """Return the working time of one SLA day on the working time

    Around the clock a day is 24 hours; on a calendar it is the average
    working day: the weekly working hours divided by the number of weekdays
    with working hours."""
    days = getattr(working_time, 'days', None)
    if days is None:
        return DAY
    if not days:
        return ZERO
    total = sum(end - start for hours in days.values() for start, end in hours)
    return duration(total / len(days))
