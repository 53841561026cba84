# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"The figures of the agent performance reports and who sees them"

import datetime as dt
import unittest
from unittest import mock

from dateutil.relativedelta import relativedelta
from lxml import etree

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

from .test_module import create_agent

OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def moment(text):
    return dt.datetime.strptime(text, '%Y-%m-%d %H:%M')


def rounded(value):
    return round(value, 4) if isinstance(value, float) else value


def set_dates(ticket, **dates):
    "Write the timestamps of the ticket as if it had lived them"
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    table = Ticket.__table__()
    cursor = Transaction().connection.cursor()
    columns = [getattr(table, name) for name in dates]
    values = [moment(value) for value in dates.values()]
    cursor.execute(*table.update(
            columns, values, where=table.id == ticket.id))


class HelpdeskPerformanceTestCase(unittest.TestCase):
    "Test the agent performance reports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_core'])

    def setUp(self):
        super().setUp()
        # One transaction holds the assignments of new teams and agents
        patcher = mock.patch(
            'trytond.modules.helpdesk_core.assignment._fresh_reads',
            return_value=False)
        patcher.start()
        self.addCleanup(patcher.stop)

    def setup_fixture(self):
        """Two teams where agents see only their tickets:
        Alice and her lead in Support, Bob in Sales"""
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        self.alice = create_agent('alice')
        self.bob = create_agent('bob')
        self.lead = create_agent('lead')
        self.support, self.sales = Team.create([{
                    'name': "Support", 'visibility': 'assigned',
                    'leaders': [('add', [self.lead.id])],
                    }, {
                    'name': "Sales", 'visibility': 'assigned',
                    }])

        def ticket(team, user):
            ticket, = Ticket.create([{
                        'name': "Printer broken",
                        'team': team.id,
                        'user': user.id,
                        }])
            return ticket
        # Solved in October: answered after 2 and 4 hours,
        # solved after 24 and 36 hours
        first = ticket(self.support, self.alice)
        second = ticket(self.support, self.alice)
        # Answered in November after 6 hours, still open
        third = ticket(self.support, self.alice)
        # Cancelled: not solved, answered after 1 hour
        cancelled = ticket(self.support, self.alice)
        # Solved by Bob in October after 10 hours, never answered
        fourth = ticket(self.sales, self.bob)
        Ticket.solve([first, second, fourth])
        Ticket.cancel([cancelled])
        set_dates(
            first, create_date='2026-10-01 08:00',
            first_response_date='2026-10-01 10:00',
            closed_date='2026-10-02 08:00')
        set_dates(
            second, create_date='2026-10-10 00:00',
            first_response_date='2026-10-10 04:00',
            closed_date='2026-10-11 12:00')
        set_dates(
            third, create_date='2026-10-31 20:00',
            first_response_date='2026-11-01 02:00')
        set_dates(
            cancelled, create_date='2026-10-03 08:00',
            first_response_date='2026-10-03 09:00',
            closed_date='2026-10-04 08:00')
        set_dates(
            fourth, create_date='2026-10-05 00:00',
            closed_date='2026-10-05 10:00')
        return first, second, third, cancelled, fourth

    def figures(self, rows):
        return [(
                r.month, r.team.name if r.team else None,
                r.user.name if r.user else None, r.tickets_solved,
                rounded(r.first_response_hours), rounded(r.resolution_hours))
            for r in rows]

    @with_transaction()
    def test_agent_figures(self):
        "Solved tickets and average hours per agent, team and month"
        pool = Pool()
        Performance = pool.get('helpdesk.agent.performance')
        company = create_company()
        with set_company(company):
            self.setup_fixture()
            rows = Performance.search([], order=[
                    ('month', 'ASC'), ('team.name', 'ASC')])
            self.assertEqual(self.figures(rows), [
                    (OCTOBER, "Sales", "Bob", 1, None, 10),
                    (OCTOBER, "Support", "Alice", 2, rounded(7 / 3), 30),
                    (NOVEMBER, "Support", "Alice", 0, 6, None),
                    ])
            self.assertEqual(len({r.id for r in rows}), 3)

    @with_transaction()
    def test_month_figures(self):
        "Solved tickets and average hours per month of all the teams"
        pool = Pool()
        Month = pool.get('helpdesk.performance.month')
        company = create_company()
        with set_company(company):
            self.setup_fixture()
            rows = Month.search([])
            self.assertEqual(
                [(r.month, r.tickets_solved,
                    rounded(r.first_response_hours),
                    rounded(r.resolution_hours)) for r in rows],
                [(OCTOBER, 3, rounded(7 / 3), rounded((24 + 36 + 10) / 3)),
                    (NOVEMBER, 0, 6, None)])

    @with_transaction()
    def test_context(self):
        "The dates, the team and the agent of the context filter the events"
        pool = Pool()
        Performance = pool.get('helpdesk.agent.performance')
        Month = pool.get('helpdesk.performance.month')
        company = create_company()
        with set_company(company):
            self.setup_fixture()
            with Transaction().set_context(from_date=NOVEMBER):
                self.assertEqual(self.figures(Performance.search([])), [
                        (NOVEMBER, "Support", "Alice", 0, 6, None)])
            with Transaction().set_context(to_date=dt.date(2026, 10, 31)):
                self.assertEqual(
                    [(r.month, r.tickets_solved) for r in Month.search([])],
                    [(OCTOBER, 3)])
            # The last day of the range counts whole
            with Transaction().set_context(
                    from_date=dt.date(2026, 10, 2),
                    to_date=dt.date(2026, 10, 5)):
                self.assertEqual(
                    [(r.month, r.tickets_solved, rounded(r.resolution_hours))
                        for r in Month.search([])],
                    [(OCTOBER, 2, 17)])
            with Transaction().set_context(team=self.sales.id):
                self.assertEqual(
                    [(r.month, r.tickets_solved, rounded(r.resolution_hours))
                        for r in Month.search([])],
                    [(OCTOBER, 1, 10)])
            with Transaction().set_context(agent=self.alice.id):
                self.assertEqual(
                    [(r.month, r.tickets_solved, rounded(r.resolution_hours))
                        for r in Month.search([])],
                    [(OCTOBER, 2, 30), (NOVEMBER, 0, None)])

    @with_transaction()
    def test_visibility(self):
        "An agent sees the figures of the tickets they may see only"
        pool = Pool()
        Performance = pool.get('helpdesk.agent.performance')
        Month = pool.get('helpdesk.performance.month')
        company = create_company()
        with set_company(company):
            self.setup_fixture()
            with Transaction().set_user(self.bob.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(self.figures(Performance.search([])), [
                        (OCTOBER, "Sales", "Bob", 1, None, 10)])
                self.assertEqual(
                    [(r.month, r.tickets_solved, rounded(r.resolution_hours))
                        for r in Month.search([])],
                    [(OCTOBER, 1, 10)])
            with Transaction().set_user(self.alice.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    {r.team.name for r in Performance.search([])},
                    {"Support"})
                self.assertEqual(
                    [(r.month, r.tickets_solved) for r in Month.search([])],
                    [(OCTOBER, 2), (NOVEMBER, 0)])
            # The lead of Support sees Support's figures, not Sales'
            with Transaction().set_user(self.lead.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    {r.team.name for r in Performance.search([])},
                    {"Support"})
            # Once Sales lets every agent see its tickets, Alice sees Bob's
            self.sales.visibility = 'internal'
            self.sales.save()
            with Transaction().set_user(self.alice.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    {r.team.name for r in Performance.search([])},
                    {"Support", "Sales"})

    @with_transaction()
    def test_ticket_analysis_month(self):
        "The ticket analysis places the tickets in their month of creation"
        pool = Pool()
        Analysis = pool.get('helpdesk.ticket.analysis')
        company = create_company()
        with set_company(company):
            first, _, third, _, _ = self.setup_fixture()
            self.assertEqual(
                Analysis.search_count([('month', '=', OCTOBER)]), 5)
            row, = Analysis.search([('ticket', '=', third.id)])
            self.assertEqual(row.month, OCTOBER)
            self.assertAlmostEqual(row.hours_to_first_response, 6)
            open_rows = Analysis.search([
                    ('state', 'in', ['new', 'in_progress', 'waiting'])])
            self.assertEqual([r.ticket for r in open_rows], [third])

    @with_transaction()
    def test_dashboard(self):
        "The dashboard opens the graphs of the month for the team leads"
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        Date = pool.get('ir.date')
        View = pool.get('ir.ui.view')
        action = ActWindow.get('helpdesk_core.act_dashboard')
        self.assertIsNone(action['res_model'])
        (view_id, view_type), = action['views']
        self.assertEqual(view_type, 'board')
        arch = etree.fromstring(View(view_id).view_get()['arch'])
        names = [a.get('name') for a in arch.iter('action')]
        self.assertEqual(names, [
                'helpdesk_core.act_dashboard_open_stage',
                'helpdesk_core.act_dashboard_waiting',
                'helpdesk_core.act_dashboard_solved_agent',
                'helpdesk_core.act_dashboard_response_trend',
                ])
        actions = {n.split('.')[1]: ActWindow.get(n) for n in names}
        self.assertEqual(
            {k: a['res_model'] for k, a in actions.items()}, {
                'act_dashboard_open_stage': 'helpdesk.ticket.analysis',
                'act_dashboard_waiting': 'helpdesk.ticket',
                'act_dashboard_solved_agent': 'helpdesk.agent.performance',
                'act_dashboard_response_trend': 'helpdesk.performance.month',
                })
        this_month = Date.today().replace(day=1)
        solved = actions['act_dashboard_solved_agent']
        self.assertEqual(
            PYSONDecoder().decode(solved['pyson_context'])['from_date'],
            this_month)
        self.assertEqual(
            PYSONDecoder().decode(
                actions['act_dashboard_waiting']['pyson_domain']),
            [['waiting_band', 'in', ['yellow', 'red']]])
        trend = actions['act_dashboard_response_trend']
        self.assertEqual(
            PYSONDecoder().decode(trend['pyson_context'])['from_date'],
            this_month - relativedelta(months=11))
        # The graphs open first
        for key in ['act_dashboard_open_stage', 'act_dashboard_solved_agent',
                'act_dashboard_response_trend']:
            (_, view_type), *_ = actions[key]['views']
            self.assertEqual(view_type, 'graph', msg=key)


class HelpdeskPerformanceTimesheetTestCase(unittest.TestCase):
    "Test the time logged in the agent performance reports"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_core', 'timesheet'])

    def agent(self, login, company):
        pool = Pool()
        User = pool.get('res.user')
        user = create_agent(login)
        employee = create_employee(company, name=login.title())
        User.write([user], {
                'employees': [('add', [employee.id])],
                'employee': employee.id,
                })
        return User(user.id)

    def log(self, user, ticket, hours, date):
        "Log time on the ticket as the agent does from its form"
        pool = Pool()
        Line = pool.get('timesheet.line')
        with Transaction().set_user(user.id), \
                Transaction().set_context(
                    helpdesk_team=ticket.team.id, _check_access=True):
            Line.create([{
                        'helpdesk_ticket': ticket.id,
                        'duration': dt.timedelta(hours=hours),
                        'date': date,
                        }])

    @with_transaction()
    def test_hours_logged(self):
        "The hours logged count for the agent who logged them, by day"
        pool = Pool()
        Performance = pool.get('helpdesk.agent.performance')
        Month = pool.get('helpdesk.performance.month')
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            alice = self.agent('alice', company)
            bob = self.agent('bob', company)
            support, = Team.create([{'name': "Support"}])
            ticket, = Ticket.create([{
                        'name': "Printer broken", 'team': support.id,
                        'user': alice.id,
                        }])
            december = dt.date(2026, 12, 1)
            self.log(alice, ticket, 1, dt.date(2026, 11, 30))
            self.log(alice, ticket, 2, dt.date(2026, 12, 3))
            self.log(bob, ticket, 3.5, dt.date(2026, 12, 3))

            rows = Performance.search([], order=[
                    ('month', 'ASC'), ('user.name', 'ASC')])
            self.assertEqual(
                [(r.month, r.team.name, r.user.name, r.tickets_solved,
                    rounded(r.hours_logged)) for r in rows],
                [(NOVEMBER, "Support", "Alice", 0, 1),
                    (december, "Support", "Alice", 0, 2),
                    (december, "Support", "Bob", 0, 3.5)])
            self.assertEqual(
                [(r.month, rounded(r.hours_logged))
                    for r in Month.search([])],
                [(NOVEMBER, 1), (december, 5.5)])
            # The dates of the lines are days: the bounds count whole
            with Transaction().set_context(
                    from_date=dt.date(2026, 11, 30),
                    to_date=dt.date(2026, 11, 30)):
                self.assertEqual(
                    [(r.month, rounded(r.hours_logged))
                        for r in Month.search([])],
                    [(NOVEMBER, 1)])
            with Transaction().set_context(agent=bob.id):
                self.assertEqual(
                    [(r.month, rounded(r.hours_logged))
                        for r in Month.search([])],
                    [(december, 3.5)])
            for Model in [Performance, Month]:
                view = Model.fields_view_get(view_type='tree')
                self.assertIn('hours_logged', view['fields'])
