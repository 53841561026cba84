# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"How long customers wait for an answer: green, yellow or red"

import datetime as dt
import unittest

from trytond.model.exceptions import DomainValidationError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.exceptions import WaitingThresholdError
from trytond.modules.helpdesk_core.waiting import working_hours_since
from trytond.modules.helpdesk_core.working_time import (
    AroundTheClock, NoWorkingTimeError, WorkingTime)
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# Monday to Friday, 9:00-17:00
OFFICE = [(d, 9, 17) for d in range(5)]


class WorkingHoursTestCase(unittest.TestCase):
    "Test going back in working time"

    def test_subtract(self):
        "The latest start of a wait of so many working hours"
        office = WorkingTime('UTC', OFFICE)
        monday = dt.datetime(2026, 11, 30, 11)
        for hours, result in [
                (0, monday),
                (1, dt.datetime(2026, 11, 30, 10)),
                # Exactly the morning: the wait began when work started
                (2, dt.datetime(2026, 11, 30, 9)),
                # Over the weekend, back to Friday
                (3, dt.datetime(2026, 11, 27, 16)),
                (10, dt.datetime(2026, 11, 27, 9)),
                (11, dt.datetime(2026, 11, 26, 16)),
                ]:
            with self.subTest(hours=hours):
                self.assertEqual(office.subtract(monday, hours * HOUR), result)
                self.assertEqual(
                    office.hours_between(result, monday), hours)

    def test_subtract_leaves_and_time_zone(self):
        "Going back skips the holidays, in the local time of the calendar"
        holiday = (
            dt.datetime(2026, 11, 26, 23), dt.datetime(2026, 11, 27, 23))
        tehran = WorkingTime('Asia/Tehran', OFFICE, [holiday])
        # Monday 9:30 in Tehran (UTC+3:30)
        monday = dt.datetime(2026, 11, 30, 6)

        start = tehran.subtract(monday, 2 * HOUR)

        # Thursday 15:30 in Tehran: Friday was a holiday
        self.assertEqual(start, dt.datetime(2026, 11, 26, 12))
        self.assertEqual(tehran.hours_between(start, monday), 2)

    def test_subtract_without_working_time(self):
        "No working time at all cannot be gone back in"
        with self.assertRaises(NoWorkingTimeError):
            WorkingTime('UTC', []).subtract(dt.datetime(2026, 1, 1), HOUR)
        self.assertEqual(
            AroundTheClock().subtract(dt.datetime(2026, 1, 1, 5), 2 * HOUR),
            dt.datetime(2026, 1, 1, 3))

    def test_working_hours_since(self):
        "The working hours of many waits in one walk, as one by one"
        office = WorkingTime('UTC', OFFICE)
        now = dt.datetime(2026, 11, 30, 11)
        moments = [
            dt.datetime(2026, 11, 30, 10, 30),
            dt.datetime(2026, 11, 29, 12),
            dt.datetime(2026, 11, 27, 8),
            dt.datetime(2026, 11, 27, 12, 15),
            dt.datetime(2026, 11, 1),
            now + HOUR,
            ]

        hours = working_hours_since(office, moments, now)

        for moment in moments:
            with self.subTest(moment=moment):
                self.assertAlmostEqual(
                    hours[moment], office.hours_between(moment, now))
        self.assertEqual(hours[dt.datetime(2026, 11, 29, 12)], 2)
        self.assertEqual(hours[now + HOUR], 0)
        self.assertEqual(
            working_hours_since(AroundTheClock(), [now - DAY], now),
            {now - DAY: 24})


class HelpdeskWaitingTestCase(_DBTestCase):
    "Test the waiting bands of tickets"
    module = 'helpdesk_core'

    def _team(self, thresholds=(), **values):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        values.setdefault('name', "Support")
        team, = Team.create([{
                    'waiting_thresholds': [('create', [
                                {'priority': p, 'yellow_hours': y,
                                    'red_hours': r}
                                for p, y, r in thresholds])],
                    **values}])
        return team

    def _calendar(self, weekdays, leaves=()):
        "A calendar working all day on the weekdays"
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        calendar, = Calendar.create([{
                    'name': "Office",
                    'attendances': [('create', [{
                                    'weekday': str(d),
                                    'hour_from': dt.timedelta(0),
                                    'hour_to': DAY,
                                    } for d in weekdays])],
                    'leaves': [('create', [{
                                    'name': "Holiday",
                                    'start': s, 'end': e,
                                    } for s, e in leaves])],
                    }])
        return calendar

    def _ticket(self, team, waited, priority='1', agent=None, **values):
        "A ticket whose customer last wrote waited ago"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        ticket, = Ticket.create([{
                    'name': "Printer jammed", 'team': team.id,
                    'priority': priority, **values}])
        now = dt.datetime.now()
        table = Ticket.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.last_customer_message, table.last_agent_message],
                [now - waited, now - agent if agent else None],
                where=table.id == ticket.id))
        Transaction().cache.clear()
        return Ticket(ticket.id)

    def _bands(self, tickets):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        return [t.waiting_band for t in Ticket.browse(tickets)]

    def _assert_search(self, tickets):
        "Searching each band finds the tickets the list shows with it"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        ids = {t.id for t in tickets}
        for band in [None, 'green', 'yellow', 'red']:
            with self.subTest(band=band):
                expected = {
                    t.id for t in Ticket.browse(tickets)
                    if t.waiting_band == band}
                found = {
                    t.id for t in Ticket.search([
                            ('waiting_band', '=', band)]) if t.id in ids}
                self.assertEqual(found, expected)
                others = {
                    t.id for t in Ticket.search([
                            ('waiting_band', '!=', band)]) if t.id in ids}
                self.assertEqual(others, ids - expected)

    @with_transaction()
    def test_band_per_threshold(self):
        "A wait turns yellow then red at the thresholds of the team"
        company = create_company()
        with set_company(company):
            team = self._team(thresholds=[(None, 2, 5)])
            tickets = [
                self._ticket(team, h * HOUR) for h in [0.5, 1.9, 2.1, 4.9, 6]]

            self.assertEqual(self._bands(tickets), [
                    'green', 'green', 'yellow', 'yellow', 'red'])
            self.assertAlmostEqual(tickets[-1].waiting_hours, 6, places=1)
            self._assert_search(tickets)

    @with_transaction()
    def test_band_default_thresholds(self):
        "Without thresholds, urgent tickets turn red sooner than low ones"
        company = create_company()
        with set_company(company):
            team = self._team()
            urgent = self._ticket(team, 3 * HOUR, priority='3')
            medium = self._ticket(team, 5 * HOUR, priority='1')
            low = self._ticket(team, 3 * HOUR, priority='0')

            self.assertEqual(
                self._bands([urgent, medium, low]),
                ['red', 'yellow', 'green'])

    @with_transaction()
    def test_band_per_priority(self):
        "A priority's own thresholds beat the team's other ones"
        company = create_company()
        with set_company(company):
            team = self._team(thresholds=[('3', 1, 2), (None, 10, 20)])
            urgent = self._ticket(team, 3 * HOUR, priority='3')
            high = self._ticket(team, 3 * HOUR, priority='2')
            low = self._ticket(team, 15 * HOUR, priority='0')
            tickets = [urgent, high, low]

            self.assertEqual(self._bands(tickets), ['red', 'green', 'yellow'])
            self._assert_search(tickets)

    @with_transaction()
    def test_band_working_hours(self):
        "A wait over the team's days off stays green"
        now = dt.datetime.now()
        today = now.weekday()
        company = create_company()
        with set_company(company):
            # Off today and the two days before: a long weekend
            weekend = self._calendar(
                [d for d in range(7)
                    if d not in {today, (today - 1) % 7, (today - 2) % 7}])
            # Every day, but a holiday until an hour ago
            holiday = self._calendar(
                range(7), leaves=[(now - 70 * HOUR, now - HOUR)])
            thresholds = [(None, 4, 8)]
            off = self._team(
                name="Weekend", calendar=weekend.id, thresholds=thresholds)
            back = self._team(
                name="Holiday", calendar=holiday.id, thresholds=thresholds)
            always = self._team(name="Always", thresholds=thresholds)
            tickets = [
                self._ticket(off, 2 * DAY),
                self._ticket(back, 72 * HOUR),
                self._ticket(back, 75 * HOUR),
                self._ticket(always, 2 * DAY),
                ]

            self.assertEqual(
                self._bands(tickets), ['green', 'green', 'yellow', 'red'])
            self.assertEqual(
                [round(t.waiting_hours) for t in tickets], [0, 3, 6, 48])
            self._assert_search(tickets)

    @with_transaction()
    def test_band_follows_calendar_changes(self):
        "A holiday added or removed changes the bands at once"
        pool = Pool()
        Leave = pool.get('helpdesk.calendar.leave')
        Ticket = pool.get('helpdesk.ticket')
        now = dt.datetime.now()
        company = create_company()
        with set_company(company):
            calendar = self._calendar(range(7))
            team = self._team(calendar=calendar.id, thresholds=[(None, 4, 8)])
            ticket = self._ticket(team, 10 * HOUR)
            self.assertEqual(self._bands([ticket]), ['red'])

            leave, = Leave.create([{
                        'calendar': calendar.id, 'name': "Strike",
                        'start': now - 12 * HOUR, 'end': now - 4 * HOUR}])
            self.assertEqual(self._bands([ticket]), ['yellow'])
            self.assertEqual(
                Ticket.search([
                        ('id', '=', ticket.id),
                        ('waiting_band', '=', 'yellow')]), [ticket])

            Leave.delete([leave])
            self.assertEqual(self._bands([ticket]), ['red'])

    @with_transaction()
    def test_no_band_when_customer_not_waiting(self):
        "No band when the team waits for the customer or has answered"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team = self._team(thresholds=[(None, 1, 2)])
            waiting = self._ticket(team, 5 * HOUR)
            Ticket.wait([waiting])
            solved = self._ticket(team, 5 * HOUR)
            Ticket.solve([solved])
            answered = self._ticket(team, 5 * HOUR, agent=4 * HOUR)
            again = self._ticket(team, 3 * HOUR, agent=4 * HOUR)
            tickets = [waiting, solved, answered, again]

            self.assertEqual(self._bands(tickets), [None, None, None, 'red'])
            self.assertEqual(
                [t.waiting_since is None for t in Ticket.browse(tickets)],
                [True, True, True, False])
            self._assert_search(tickets)
            self.assertEqual(
                Ticket.search([
                        ('id', 'in', [t.id for t in tickets]),
                        ('waiting_band', 'in', ['yellow', 'red']),
                        ]), [again])

    @with_transaction()
    def test_ticket_list_colours(self):
        "The ticket list colours the band and red rows"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')

        view = Ticket.fields_view_get(view_type='tree')

        self.assertIn('waiting_band', view['fields'])
        self.assertIn('waiting_hours', view['fields'])
        self.assertRegex(view['arch'], r'<tree[^>]*visual="[^"]*waiting_band')
        self.assertRegex(
            view['arch'],
            r'<field name="waiting_band"[^>]*visual="[^"]*danger')

    @with_transaction()
    def test_threshold_validation(self):
        "Red comes after yellow; one threshold per team and priority"
        pool = Pool()
        Threshold = pool.get('helpdesk.team.waiting_threshold')
        company = create_company()
        with set_company(company):
            team = self._team(thresholds=[('2', 1, 2)])

            with self.assertRaises(DomainValidationError):
                Threshold.create([{
                            'team': team.id, 'priority': '1',
                            'yellow_hours': 3, 'red_hours': 2}])
            with self.assertRaises(WaitingThresholdError) as cm:
                Threshold.create([{
                            'team': team.id, 'priority': '2',
                            'yellow_hours': 3, 'red_hours': 4}])
            self.assertEqual(
                cm.exception.message,
                'Team "Support" has more than one waiting threshold for '
                'priority "High".')


del _DBTestCase
