# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
import unittest

from hypothesis import given, settings
from hypothesis import strategies as st

from trytond.modules.helpdesk_core.working_time import (
    AroundTheClock, NoWorkingTimeError, WorkingTime)

# Monday to Friday, 8:00-12:00 and 13:00-17:00 (a lunch break)
OFFICE = [(d, 8, 12) for d in range(5)] + [(d, 13, 17) for d in range(5)]
# Saturday to Wednesday, 8:00-16:00 as in Iran (Friday off, Thursday half)
TEHRAN = [(d, 8, 16) for d in (5, 6, 0, 1, 2)] + [(3, 8, 12)]
# Around midnight: 22:00-24:00 and 0:00-6:00 every day
NIGHT = [(d, 22, 24) for d in range(7)] + [(d, 0, 6) for d in range(7)]

CHRISTMAS = (dt.datetime(2026, 12, 24, 23), dt.datetime(2026, 12, 25, 23))


def utc(*args):
    return dt.datetime(*args)


class WorkingTimeTestCase(unittest.TestCase):
    "Test working time arithmetic"

    def test_add_cases(self):
        "Adding working hours to a moment"
        brussels = WorkingTime('Europe/Brussels', OFFICE, [CHRISTMAS])
        tehran = WorkingTime('Asia/Tehran', TEHRAN)
        night = WorkingTime('UTC', NIGHT)
        new_york = WorkingTime('America/New_York', OFFICE)
        for calendar, start, hours, result, case in [
                (brussels, utc(2026, 11, 23, 8), 2, utc(2026, 11, 23, 10),
                    "within the morning (UTC+1)"),
                (brussels, utc(2026, 11, 23, 10), 2, utc(2026, 11, 23, 13),
                    "over the lunch break"),
                (brussels, utc(2026, 11, 23, 15), 2, utc(2026, 11, 24, 8),
                    "over the night"),
                (brussels, utc(2026, 11, 27, 15), 2, utc(2026, 11, 30, 8),
                    "over the weekend"),
                (brussels, utc(2026, 11, 28, 10), 1, utc(2026, 11, 30, 8),
                    "from a Saturday"),
                (brussels, utc(2026, 12, 24, 15), 2, utc(2026, 12, 28, 8),
                    "over the Christmas holiday and the weekend"),
                (brussels, utc(2026, 3, 27, 15), 2, utc(2026, 3, 30, 7),
                    "over the spring daylight-saving change (UTC+2)"),
                (brussels, utc(2026, 10, 23, 14), 2, utc(2026, 10, 26, 8),
                    "over the autumn daylight-saving change (UTC+1)"),
                (brussels, utc(2026, 11, 23, 8), 0, utc(2026, 11, 23, 8),
                    "nothing to add"),
                (brussels, utc(2026, 11, 23, 9), 40, utc(2026, 11, 30, 9),
                    "a whole week"),
                (tehran, utc(2026, 11, 26, 7), 2, utc(2026, 11, 28, 5),
                    "Thursday half day then Friday off (UTC+3:30)"),
                (night, utc(2026, 11, 23, 23), 2, utc(2026, 11, 24, 1),
                    "over midnight"),
                (night, utc(2026, 11, 23, 5), 2, utc(2026, 11, 23, 23),
                    "from the morning to the next night"),
                (new_york, utc(2026, 11, 23, 21), 2, utc(2026, 11, 24, 14),
                    "a time zone behind UTC"),
                ]:
            with self.subTest(case=case):
                self.assertEqual(calendar.add_hours(start, hours), result)

    def test_between_cases(self):
        "Measuring the working hours between two moments"
        brussels = WorkingTime('Europe/Brussels', OFFICE, [CHRISTMAS])
        for start, end, hours, case in [
                (utc(2026, 11, 23, 7), utc(2026, 11, 23, 16), 8,
                    "a working day"),
                (utc(2026, 11, 27, 12), utc(2026, 11, 30, 9), 6,
                    "Friday afternoon to Monday morning"),
                (utc(2026, 12, 24, 7), utc(2026, 12, 28, 16), 16,
                    "Christmas week end"),
                (utc(2026, 11, 23, 12), utc(2026, 11, 23, 11), 0,
                    "end before start"),
                (utc(2026, 3, 27, 7), utc(2026, 3, 30, 15), 16,
                    "over the daylight-saving change"),
                ]:
            with self.subTest(case=case):
                self.assertEqual(
                    brussels.hours_between(start, end), hours)

    def test_personal_leave(self):
        "A leave removes its hours"
        leave = (utc(2026, 11, 24, 7), utc(2026, 11, 26, 7))
        calendar = WorkingTime('Europe/Brussels', OFFICE, [leave])
        self.assertFalse(calendar.is_working(utc(2026, 11, 25, 9)))
        self.assertTrue(calendar.is_working(utc(2026, 11, 23, 9)))
        self.assertFalse(calendar.is_working(utc(2026, 11, 23, 11, 30)))
        self.assertEqual(
            calendar.add_hours(utc(2026, 11, 23, 15), 2),
            utc(2026, 11, 26, 8))

    def test_no_attendance(self):
        "A calendar without attendance has no working time"
        calendar = WorkingTime('UTC', [])
        with self.assertRaises(NoWorkingTimeError):
            calendar.add_hours(utc(2026, 1, 1), 1)
        self.assertEqual(
            calendar.hours_between(utc(2026, 1, 1), utc(2026, 2, 1)), 0)

    def test_around_the_clock(self):
        "Around the clock every hour counts"
        calendar = AroundTheClock()
        self.assertEqual(
            calendar.add_hours(utc(2026, 11, 28, 22), 3),
            utc(2026, 11, 29, 1))
        self.assertEqual(
            calendar.hours_between(utc(2026, 11, 28), utc(2026, 11, 29)), 24)


moments = st.datetimes(
    min_value=dt.datetime(2025, 1, 1), max_value=dt.datetime(2028, 12, 31))
hours = st.floats(min_value=0, max_value=200, allow_nan=False).map(
    lambda h: round(h, 4))
zones = st.sampled_from([
        'UTC', 'Europe/Brussels', 'Asia/Tehran', 'America/New_York',
        'Australia/Lord_Howe', 'Pacific/Chatham'])
calendars = st.sampled_from([OFFICE, TEHRAN, NIGHT])
leaves = st.lists(
    st.tuples(moments, st.integers(min_value=1, max_value=24 * 20)).map(
        lambda l: (l[0], l[0] + dt.timedelta(hours=l[1]))),
    max_size=8)


class WorkingTimePropertyTestCase(unittest.TestCase):
    "Properties of working time arithmetic"

    @settings(max_examples=150, deadline=None)
    @given(zones, calendars, leaves, moments, hours)
    def test_add_then_measure(self, zone, attendances, leaves, start, hours):
        "Measuring what was added gives the hours back"
        calendar = WorkingTime(zone, attendances, leaves)
        end = calendar.add_hours(start, hours)
        self.assertGreaterEqual(end, start)
        self.assertEqual(
            calendar.between(start, end), dt.timedelta(hours=hours))

    @settings(max_examples=150, deadline=None)
    @given(zones, calendars, leaves, moments, hours, hours)
    def test_add_monotonic(self, zone, attendances, leaves, start, h1, h2):
        "More hours never end earlier"
        calendar = WorkingTime(zone, attendances, leaves)
        h1, h2 = sorted([h1, h2])
        self.assertLessEqual(
            calendar.add_hours(start, h1), calendar.add_hours(start, h2))

    @settings(max_examples=150, deadline=None)
    @given(zones, calendars, leaves, moments, moments, moments)
    def test_between_additive(self, zone, attendances, leaves, p1, p2, p3):
        "The hours of two consecutive periods add up"
        calendar = WorkingTime(zone, attendances, leaves)
        a, b, c = sorted([p1, p2, p3])
        self.assertEqual(
            calendar.between(a, c),
            calendar.between(a, b) + calendar.between(b, c))
