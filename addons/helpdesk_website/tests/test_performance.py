# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"The customers' ratings in the agent performance reports"

import datetime as dt
import unittest
from unittest import mock

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.tests.test_module import create_agent
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


class HelpdeskWebsitePerformanceTestCase(unittest.TestCase):
    "Test the ratings in the agent performance reports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_website'])

    def setUp(self):
        super().setUp()
        # One transaction holds the assignments of new teams and agents
        patcher = mock.patch(
            'trytond.modules.helpdesk_core.assignment._fresh_reads',
            return_value=False)
        patcher.start()
        self.addCleanup(patcher.stop)

    def setup_fixture(self):
        "Ann is rated 4 and 5 in October, Bob 2 in November"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        self.ann = create_agent('ann')
        self.bob = create_agent('bob')
        support, = Team.create([{
                    'name': "Support", 'visibility': 'assigned',
                    'use_rating': True,
                    }])
        tickets = Ticket.create([{
                    'name': "Printer broken", 'team': support.id,
                    'user': u.id,
                    } for u in [self.ann, self.ann, self.bob, self.bob]])
        Ticket.solve(tickets)
        table = Ticket.__table__()
        cursor = Transaction().connection.cursor()
        for ticket, rating, date in zip(tickets, [4, 5, 2], [
                    dt.datetime(2026, 10, 3, 9), dt.datetime(2026, 10, 31, 23),
                    dt.datetime(2026, 11, 1, 0)]):
            Ticket.rate([ticket], rating)
            cursor.execute(*table.update(
                    [table.rating_date], [date],
                    where=table.id == ticket.id))
        # The fourth ticket is not rated

    def figures(self, rows):
        return [(r.month, r.user.name, r.ratings, r.rating)
            for r in rows if r.ratings]

    @with_transaction()
    def test_rating_figures(self):
        "The ratings and their average per agent and month"
        pool = Pool()
        Performance = pool.get('helpdesk.agent.performance')
        Month = pool.get('helpdesk.performance.month')
        company = create_company()
        with set_company(company):
            self.setup_fixture()
            rows = Performance.search([], order=[
                    ('month', 'ASC'), ('user.name', 'ASC')])
            self.assertEqual(self.figures(rows), [
                    (OCTOBER, "Ann", 2, 4.5),
                    (NOVEMBER, "Bob", 1, 2),
                    ])
            self.assertEqual(
                [(r.month, r.ratings, r.rating)
                    for r in Month.search([]) if r.ratings],
                [(OCTOBER, 2, 4.5), (NOVEMBER, 1, 2)])
            with Transaction().set_context(to_date=dt.date(2026, 10, 31)):
                self.assertEqual(
                    [(r.month, r.ratings, r.rating)
                        for r in Month.search([]) if r.ratings],
                    [(OCTOBER, 2, 4.5)])

    @with_transaction()
    def test_rating_visibility(self):
        "An agent who sees only their tickets sees only their ratings"
        pool = Pool()
        Month = pool.get('helpdesk.performance.month')
        company = create_company()
        with set_company(company):
            self.setup_fixture()
            with Transaction().set_user(self.bob.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    [(r.month, r.ratings, r.rating)
                        for r in Month.search([]) if r.ratings],
                    [(NOVEMBER, 1, 2)])
