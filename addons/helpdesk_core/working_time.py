# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Working time arithmetic on weekly attendances, leaves and a time zone

Moments are naive datetimes in UTC, as Tryton stores them.  Attendances are
local wall-clock hours of a weekday, so daylight-saving changes shift their
UTC position but not their local one.
"""

import bisect
import datetime as dt
from zoneinfo import ZoneInfo

ZERO = dt.timedelta()
HOUR = dt.timedelta(hours=1)
UTC = dt.timezone.utc
# How far the search for working time goes before giving up
HORIZON_DAYS = 366 * 10


class NoWorkingTimeError(ValueError):
    "There is no working time within the horizon"


def _merge(intervals):
    "Return the sorted union of the intervals"
    merged = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class WorkingTime:
    """The working time of a calendar

    attendances: (weekday, hour_from, hour_to) with Monday = 0 and hours as
    floats in [0, 24]; leaves: (start, end) naive UTC datetimes.
    """

    def __init__(self, timezone, attendances, leaves=()):
        self.timezone = ZoneInfo(timezone or 'UTC')
        self.days = {}
        for weekday, hour_from, hour_to in attendances:
            if hour_to > hour_from:
                self.days.setdefault(int(weekday), []).append(
                    (float(hour_from), float(hour_to)))
        for weekday, hours in self.days.items():
            self.days[weekday] = _merge(hours)
        self.leaves = _merge(leaves)
        self._leave_starts = [s for s, _ in self.leaves]
        self._leave_ends = [e for _, e in self.leaves]

    def _to_utc(self, date, hour):
        local = dt.datetime.combine(date, dt.time()) + dt.timedelta(
            hours=hour)
        local = local.replace(tzinfo=self.timezone)
        return local.astimezone(UTC).replace(tzinfo=None)

    def _local_date(self, moment):
        return moment.replace(tzinfo=UTC).astimezone(self.timezone).date()

    def _day_intervals(self, date):
        "Yield the UTC attendance intervals of the local date"
        for hour_from, hour_to in self.days.get(date.weekday(), []):
            start = self._to_utc(date, hour_from)
            end = self._to_utc(date, hour_to)
            if end > start:
                yield start, end

    def _subtract_leaves(self, start, end):
        "Yield the parts of [start, end) outside the leaves"
        index = bisect.bisect_right(self._leave_ends, start)
        while start < end:
            if (index >= len(self.leaves)
                    or self._leave_starts[index] >= end):
                yield start, end
                return
            leave_start, leave_end = self.leaves[index]
            if leave_start > start:
                yield start, leave_start
            start = max(start, leave_end)
            index += 1

    def intervals(self, start, end=None):
        "Yield in order the working intervals from start until end"
        if not self.days:
            return
        # A local day can begin on the previous UTC day
        date = self._local_date(start) - dt.timedelta(days=1)
        for _ in range(HORIZON_DAYS):
            if end is not None and self._to_utc(date, 0) >= end:
                return
            for day_start, day_end in self._day_intervals(date):
                day_start = max(day_start, start)
                if end is not None:
                    day_end = min(day_end, end)
                if day_start < day_end:
                    yield from self._subtract_leaves(day_start, day_end)
            date += dt.timedelta(days=1)

    def add(self, start, duration):
        "Return the moment after duration of working time from start"
        if duration <= ZERO:
            return start
        remaining = duration
        for interval_start, interval_end in self.intervals(start):
            span = interval_end - interval_start
            if span >= remaining:
                return interval_start + remaining
            remaining -= span
        raise NoWorkingTimeError(start)

    def add_hours(self, start, hours):
        return self.add(start, dt.timedelta(hours=hours))

    def intervals_before(self, end):
        "Yield backwards the working intervals until end"
        if not self.days:
            return
        date = self._local_date(end) + dt.timedelta(days=1)
        for _ in range(HORIZON_DAYS):
            day = []
            for day_start, day_end in self._day_intervals(date):
                day_end = min(day_end, end)
                if day_start < day_end:
                    day.extend(self._subtract_leaves(day_start, day_end))
            yield from reversed(day)
            date -= dt.timedelta(days=1)

    def subtract(self, end, duration):
        """Return the latest moment before end with duration of working
        time until end"""
        if duration <= ZERO:
            return end
        remaining = duration
        for interval_start, interval_end in self.intervals_before(end):
            span = interval_end - interval_start
            if span >= remaining:
                return interval_end - remaining
            remaining -= span
        raise NoWorkingTimeError(end)

    def between(self, start, end):
        "Return the working time between start and end as a timedelta"
        if end <= start:
            return ZERO
        total = ZERO
        for interval_start, interval_end in self.intervals(start, end):
            total += interval_end - interval_start
        return total

    def hours_between(self, start, end):
        return self.between(start, end) / HOUR

    def is_working(self, moment):
        "Tell if moment is within working time"
        for start, _ in self.intervals(moment, moment + dt.timedelta(
                    microseconds=1)):
            return start <= moment
        return False


class AroundTheClock:
    "Working time without breaks: every hour counts"

    def add(self, start, duration):
        return start + max(duration, ZERO)

    def add_hours(self, start, hours):
        return self.add(start, dt.timedelta(hours=hours))

    def subtract(self, end, duration):
        return end - max(duration, ZERO)

    def between(self, start, end):
        return max(end - start, ZERO)

    def hours_between(self, start, end):
        return self.between(start, end) / HOUR

    def is_working(self, moment):
        return True
