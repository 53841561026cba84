# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"The SLAs in the agent performance reports"

import datetime as dt
import unittest

from lxml import etree

from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.tests.test_module import create_agent
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .tools import Clock, keep_assignments_in_transaction

NOVEMBER, DECEMBER = dt.date(2026, 11, 1), dt.date(2026, 12, 1)


def sla_figures(rows):
    "The SLA figures of the rows that settled SLAs"
    return [(
            r.month, r.user.name, r.sla_reached, r.sla_failed,
            round(r.sla_success_rate, 1)
            if r.sla_success_rate is not None else None)
        for r in rows if r.sla_reached or r.sla_failed]


class HelpdeskSlaPerformanceTestCase(unittest.TestCase):
    "Test the SLAs in the agent performance reports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_sla'])

    def setUp(self):
        super().setUp()
        keep_assignments_in_transaction(self)

    def setup_fixture(self, clock):
        """Ann reaches 2 SLAs and fails 1 in November, reaches 1 in December;
        Bob fails 1 in November"""
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        Stage = pool.get('helpdesk.stage')
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        self.ann = create_agent('ann')
        self.bob = create_agent('bob')
        support, = Team.create([{
                    'name': "Support", 'visibility': 'assigned'}])
        solved, = Stage.search([('category', '=', 'solved')], limit=1)
        SLA.create([{
                    'name': "Resolve", 'team': support.id,
                    'target': 'stage', 'target_stage': solved.id,
                    'hours': 2,
                    }])

        def tickets(*users):
            return Ticket.create([{
                        'name': "Printer broken", 'team': support.id,
                        'user': u.id,
                        } for u in users])
        clock.set('2026-11-23 09:00')
        first, second, third, fourth = tickets(
            self.ann, self.ann, self.ann, self.bob)
        clock.set('2026-11-23 10:30')
        Ticket.solve([first, second])
        clock.set('2026-11-23 12:00')
        TicketSLA.fail_overdue()
        # Due in December, reached just after midnight
        clock.set('2026-11-30 23:00')
        fifth, = tickets(self.ann)
        clock.set('2026-12-01 00:30')
        Ticket.solve([fifth])

    @with_transaction()
    def test_sla_figures(self):
        "The SLAs reached and failed, and the success rate, per month"
        pool = Pool()
        Performance = pool.get('helpdesk.agent.performance')
        Month = pool.get('helpdesk.performance.month')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            self.setup_fixture(clock)
            rows = Performance.search([], order=[
                    ('month', 'ASC'), ('user.name', 'ASC')])
            self.assertEqual(sla_figures(rows), [
                    (NOVEMBER, "Ann", 2, 1, 66.7),
                    (NOVEMBER, "Bob", 0, 1, 0),
                    (DECEMBER, "Ann", 1, 0, 100),
                    ])
            self.assertEqual(
                [(r.month, r.sla_reached, r.sla_failed, r.sla_success_rate)
                    for r in Month.search([])
                    if r.sla_reached or r.sla_failed],
                [(NOVEMBER, 2, 2, 50), (DECEMBER, 1, 0, 100)])
            with Transaction().set_context(
                    from_date=DECEMBER, to_date=dt.date(2026, 12, 1)):
                self.assertEqual(
                    sla_figures(Performance.search([])),
                    [(DECEMBER, "Ann", 1, 0, 100)])

    @with_transaction()
    def test_sla_visibility(self):
        "An agent who sees only their tickets sees only their SLAs"
        pool = Pool()
        Performance = pool.get('helpdesk.agent.performance')
        Month = pool.get('helpdesk.performance.month')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            self.setup_fixture(clock)
            with Transaction().set_user(self.bob.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    sla_figures(Performance.search([])),
                    [(NOVEMBER, "Bob", 0, 1, 0)])
                self.assertEqual(
                    [(r.month, r.sla_reached, r.sla_failed)
                        for r in Month.search([])
                        if r.sla_reached or r.sla_failed],
                    [(NOVEMBER, 0, 1)])

    @with_transaction()
    def test_dashboard(self):
        "The dashboard shows the SLAs of the month per team"
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        Date = pool.get('ir.date')
        ModelData = pool.get('ir.model.data')
        View = pool.get('ir.ui.view')
        action = ActWindow.get('helpdesk_core.act_dashboard')
        (view_id, view_type), *_ = action['views']
        self.assertEqual(view_type, 'board')
        arch = etree.fromstring(View(view_id).view_get()['arch'])
        names = [a.get('name') for a in arch.iter('action')]
        self.assertIn('helpdesk_sla.act_dashboard_sla', names)
        # Nothing of the core's board is lost
        core = etree.fromstring(View(ModelData.get_id(
                    'helpdesk_core', 'dashboard_view_board')).view_get(
                )['arch'])
        self.assertLessEqual(
            {a.get('name') for a in core.iter('action')}, set(names))
        sla = ActWindow.get('helpdesk_sla.act_dashboard_sla')
        self.assertEqual(sla['res_model'], 'helpdesk.agent.performance')
        self.assertEqual(
            PYSONDecoder().decode(sla['pyson_context']),
            {'from_date': Date.today().replace(day=1)})
