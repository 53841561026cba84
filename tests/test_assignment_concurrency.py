# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Tickets created at the same moment by many requests are still spread
by the strategy of their team (PostgreSQL only: it is the one backend
with concurrent writers)."""

import threading
import time
import unittest
from collections import Counter

from trytond import backend
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, activate_module, drop_db
from trytond.transaction import Transaction

from .support import in_ci

THREADS = 8
AGENTS = 4


def retrying(func, retry=20):
    "Run func in a transaction, retrying as Tryton's dispatcher does"
    for count in range(retry + 1):
        try:
            with Transaction().start(DB_NAME, 1, context=CONTEXT) as tx:
                result = func()
                tx.commit()
                return result
        except backend.DatabaseOperationalError:
            if count == retry:
                raise
            time.sleep(0.02 * (count + 1))


CONTEXT = {}


class AssignmentConcurrencyTestCase(unittest.TestCase):
    "Test automatic assignment under concurrent ticket creation"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if backend.name != 'postgresql':
            if in_ci():
                raise cls.failureException(
                    "The concurrency test runs on PostgreSQL "
                    "(TRYTOND_DATABASE_URI=postgresql://...)")
            raise unittest.SkipTest("needs PostgreSQL")
        drop_db()
        activate_module(['helpdesk_core'])
        cls.team_id, cls.agent_ids = retrying(cls.setup_data)

    @classmethod
    def setup_data(cls):
        pool = Pool()
        Company = pool.get('company.company')
        Currency = pool.get('currency.currency')
        Party = pool.get('party.party')
        Team = pool.get('helpdesk.team')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        currency, = Currency.create([{
                    'name': "Euro", 'code': 'EUR', 'symbol': "€"}])
        party, = Party.create([{'name': "Helpdesk Co"}])
        company, = Company.create([{
                    'party': party.id, 'currency': currency.id}])
        CONTEXT['company'] = company.id
        group = ModelData.get_id('helpdesk_core', 'group_helpdesk')
        agents = User.create([{
                    'login': f'agent{i}',
                    'name': f"Agent {i}",
                    'groups': [('add', [group])],
                    'companies': [('add', [company.id])],
                    'company': company.id,
                    } for i in range(AGENTS)])
        team, = Team.create([{
                    'name': "Support",
                    'company': company.id,
                    'auto_assign': True,
                    'assign_method': 'equal_count',
                    'members': [('add', [a.id for a in agents])],
                    }])
        return team.id, [a.id for a in agents]

    @classmethod
    def tearDownClass(cls):
        drop_db()
        super().tearDownClass()

    def create_concurrently(self, total):
        "Create total tickets from THREADS threads, one per transaction"
        errors = []
        barrier = threading.Barrier(THREADS)

        def create_one(name):
            pool = Pool()
            Ticket = pool.get('helpdesk.ticket')
            ticket, = Ticket.create([{
                        'name': name,
                        'team': self.team_id,
                        'company': CONTEXT['company'],
                        }])
            return ticket.id

        def work(index):
            try:
                barrier.wait()
                for i in range(index, total, THREADS):
                    retrying(lambda: create_one(f"Ticket {i}"))
            except Exception as exception:
                errors.append(exception)

        threads = [
            threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])

    def open_counts(self):
        def count():
            Ticket = Pool().get('helpdesk.ticket')
            return Counter(t.user.id for t in Ticket.search([
                        ('team', '=', self.team_id),
                        ('state', 'not in', ['solved', 'cancelled']),
                        ]))
        return retrying(count)

    def all_counts(self):
        def count():
            Ticket = Pool().get('helpdesk.ticket')
            return Counter(
                t.user.id if t.user else None for t in Ticket.search([
                        ('team', '=', self.team_id),
                        ]))
        return retrying(count)

    def test_equal_count_then_balanced(self):
        "200 tickets from 8 threads end 50 each, then balance open loads"
        self.create_concurrently(200)
        counts = self.all_counts()
        self.assertEqual(sum(counts.values()), 200)
        self.assertNotIn(None, counts)
        self.assertEqual(set(counts), set(self.agent_ids))
        for user_id, count in counts.items():
            self.assertLessEqual(abs(count - 50), 1, counts)

        # Close 30 tickets of the first agent and switch to balanced
        first = self.agent_ids[0]

        def close_and_switch():
            pool = Pool()
            Ticket = pool.get('helpdesk.ticket')
            Team = pool.get('helpdesk.team')
            Ticket.solve(Ticket.search([('user', '=', first)], limit=30))
            Team.write([Team(self.team_id)], {'assign_method': 'balanced'})
        retrying(close_and_switch)
        self.assertEqual(self.open_counts()[first], counts[first] - 30)

        # 20 + 50 * 3 + 80 = 250 open tickets, 62 or 63 each
        self.create_concurrently(80)
        counts = self.open_counts()
        self.assertEqual(sum(counts.values()), 250)
        self.assertLessEqual(
            max(counts.values()) - min(counts.values()), 1, counts)
