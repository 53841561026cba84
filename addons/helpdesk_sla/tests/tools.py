# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Tools shared by the helpdesk SLA tests"

import datetime as dt
from unittest import mock
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc


def to_utc(text, timezone='UTC'):
    "Return the naive UTC moment of 'YYYY-MM-DD HH:MM' in the time zone"
    local = dt.datetime.strptime(text, '%Y-%m-%d %H:%M').replace(
        tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC).replace(tzinfo=None)


def to_local(moment, timezone='UTC'):
    "Return the naive UTC moment as 'YYYY-MM-DD HH:MM' in the time zone"
    if moment is None:
        return None
    local = moment.replace(tzinfo=UTC).astimezone(ZoneInfo(timezone))
    return local.strftime('%Y-%m-%d %H:%M')


class Clock:
    """The clock of the SLA module, set by hand

    The SLA module reads the time from helpdesk_sla.common.now(); while the
    clock runs, that is the moment it was last set to."""

    def __init__(self, timezone='UTC'):
        self.timezone = timezone
        self.moment = None
        self._patch = mock.patch(
            'trytond.modules.helpdesk_sla.common.now', self)

    def __call__(self):
        return self.moment

    def set(self, text):
        "Set the clock to 'YYYY-MM-DD HH:MM' in the clock's time zone"
        self.moment = to_utc(text, self.timezone)
        return self.moment

    def start(self, text=None):
        if text:
            self.set(text)
        self._patch.start()
        return self

    def stop(self):
        self._patch.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def keep_assignments_in_transaction(test):
    """Make helpdesk_core count the assignments in the test's transaction

    On PostgreSQL, helpdesk_core counts the assignments of a team through a
    second, autocommit connection, and through the transaction itself when
    the team or the agent is not committed yet. A test runs in one
    transaction: the second ticket of an agent in a new team then waits on
    the unique (team, user) row that the transaction holds, forever. The
    tests of the SLAs assign several tickets to an agent of a new team, so
    they keep the counts in their transaction."""
    patcher = mock.patch(
        'trytond.modules.helpdesk_core.assignment._fresh_reads',
        return_value=False)
    patcher.start()
    test.addCleanup(patcher.stop)


def office_attendances(morning=(8, 12), afternoon=(13, 17), weekdays='01234'):
    "The values of a week of office hours with a lunch break"
    return [{
            'weekday': weekday,
            'hour_from': dt.timedelta(hours=start),
            'hour_to': dt.timedelta(hours=end),
            }
        for weekday in weekdays
        for start, end in [morning, afternoon]]
