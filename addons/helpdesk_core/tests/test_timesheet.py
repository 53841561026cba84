# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Time logged on tickets with Tryton's timesheet module"

import datetime as dt

from trytond.modules.company.tests import (
    create_company, create_employee, set_company)
from trytond.modules.helpdesk_core.exceptions import TimesheetEmployeeError
from trytond.pool import Pool
from trytond.tests.test_tryton import _DBTestCase, with_transaction
from trytond.transaction import Transaction

from .test_module import create_agent

HOUR = dt.timedelta(hours=1)
FA = {'language': 'fa'}


class HelpdeskTimesheetTestCase(_DBTestCase):
    """Test Helpdesk Core with timesheets
    (HelpdeskCoreTestCase checks the views and access of that part)"""
    module = 'helpdesk_core'
    extras = ['timesheet']
    # The Persian strings of the timesheet part are loaded only with it
    language = 'fa'

    def _agent(self, login, company, employee=True):
        pool = Pool()
        User = pool.get('res.user')
        user = create_agent(login)
        if employee:
            party_employee = create_employee(company, name=login.title())
            User.write([user], {
                    'employees': [('add', [party_employee.id])],
                    'employee': party_employee.id,
                    })
        return User(user.id)

    def _log(self, user, ticket, duration, date=None, **values):
        "Log time on the ticket as the user does from its form"
        pool = Pool()
        Line = pool.get('timesheet.line')
        with Transaction().set_user(user.id), \
                Transaction().set_context(
                    helpdesk_team=ticket.team.id, _check_access=True):
            defaults = Line.default_get(
                ['work', 'employee', 'company', 'date'], with_rec_name=False)
            line, = Line.create([{
                        **defaults,
                        'helpdesk_ticket': ticket.id,
                        'duration': duration,
                        'date': date or defaults['date'],
                        **values}])
        return line

    @with_transaction()
    def test_team_work(self):
        "Each team gets its own timesheet work, named after it"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        company = create_company()
        with set_company(company):
            support, sales = Team.create([
                    {'name': "Support"}, {'name': "Sales"}])
            copy, = Team.copy([support])

        self.assertEqual(support.timesheet_work.rec_name, "Support")
        self.assertEqual(support.timesheet_work.company, company)
        self.assertEqual(support.timesheet_work.origin, support)
        self.assertEqual(sales.timesheet_work.rec_name, "Sales")
        self.assertNotEqual(copy.timesheet_work, support.timesheet_work)
        self.assertEqual(copy.timesheet_work.origin, copy)

    @with_transaction()
    def test_team_work_when_timesheet_comes(self):
        "A team from before the timesheets gets its work at the update"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Work = pool.get('timesheet.work')
        company = create_company()
        with set_company(company):
            team, = Team.create([{'name': "Support"}])
            work = team.timesheet_work
            Team.write([team], {'timesheet_work': None})
            Work.delete([work])

            Team.__register__('helpdesk_core')

        team = Team(team.id)
        self.assertEqual(team.timesheet_work.origin, team)

    @with_transaction()
    def test_log_time(self):
        "Agents log their time on the ticket's team work; the total adds up"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            alice = self._agent('alice', company)
            bob = self._agent('bob', company)
            team, = Team.create([{'name': "Support"}])
            ticket, other = Ticket.create([
                    {'name': "Printer broken", 'team': team.id},
                    {'name': "Screen flickers", 'team': team.id},
                    ])

            first = self._log(alice, ticket, HOUR)
            self._log(bob, ticket, 30 * dt.timedelta(minutes=1))
            self._log(alice, other, 2 * HOUR)

            ticket, other = Ticket.browse([ticket, other])
            self.assertEqual(first.work, team.timesheet_work)
            self.assertEqual(first.employee, alice.employee)
            self.assertEqual(
                ticket.timesheet_duration, dt.timedelta(hours=1, minutes=30))
            self.assertEqual(other.timesheet_duration, 2 * HOUR)
            self.assertEqual(
                {l.employee for l in ticket.timesheet_lines},
                {alice.employee, bob.employee})
            self.assertEqual(
                team.timesheet_work.duration, dt.timedelta(hours=3.5))

            copy, = Ticket.copy([ticket])
            self.assertEqual(copy.timesheet_lines, ())
            self.assertIsNone(copy.timesheet_duration)

    @with_transaction()
    def test_log_time_without_employee(self):
        "An agent without employee is told why no time can be logged"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        Line = pool.get('timesheet.line')
        company = create_company()
        with set_company(company):
            carol = self._agent('carol', company, employee=False)
            team, = Team.create([{'name': "Support"}])
            ticket, = Ticket.create(
                [{'name': "Printer broken", 'team': team.id}])

            message = (
                'To log time, your user "Carol" must be linked to an '
                'employee of company "Dunder Mifflin": ask an administrator '
                'to add one to your user.')
            with Transaction().set_user(carol.id), \
                    Transaction().set_context(language='en'):
                # Adding a line on the ticket form
                with Transaction().set_context(helpdesk_team=team.id):
                    with self.assertRaises(TimesheetEmployeeError) as cm:
                        Line.default_get(['employee', 'work'])
                self.assertEqual(cm.exception.message, message)
                with self.assertRaises(TimesheetEmployeeError) as cm:
                    Line.create([{
                                'helpdesk_ticket': ticket.id,
                                'duration': HOUR,
                                }])
                self.assertEqual(cm.exception.message, message)
                # The timesheets outside the helpdesk are as they were
                self.assertIsNone(
                    Line.default_get(['employee']).get('employee'))

            self.assertEqual(Line.search([]), [])

            with Transaction().set_user(carol.id), \
                    Transaction().set_context(language='fa'), \
                    self.assertRaises(TimesheetEmployeeError) as cm:
                Line.create([{'helpdesk_ticket': ticket.id, 'duration': HOUR}])
            self.assertEqual(
                cm.exception.message,
                "برای ثبت زمان، کاربر شما «Carol» باید به یکی از کارمندان "
                "شرکت «Dunder Mifflin» پیوند داده شود: از مدیر سیستم بخواهید "
                "یک کارمند به کاربر شما اضافه کند.")

    @with_transaction()
    def test_report_sums(self):
        "The report sums time per team, agent, customer and month"
        pool = Pool()
        Analysis = pool.get('helpdesk.ticket.timesheet.analysis')
        Party = pool.get('party.party')
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            alice = self._agent('alice', company)
            bob = self._agent('bob', company)
            support, sales = Team.create([
                    {'name': "Support"}, {'name': "Sales"}])
            acme, = Party.create([{'name': "Acme"}])
            printer, screen, quote = Ticket.create([
                    {'name': "Printer", 'team': support.id,
                        'party': acme.id},
                    {'name': "Screen", 'team': support.id,
                        'party': acme.id},
                    {'name': "Quote", 'team': sales.id},
                    ])
            november = dt.date(2026, 11, 20)
            december = dt.date(2026, 12, 3)
            self._log(alice, printer, HOUR, date=november)
            self._log(alice, screen, 2 * HOUR, date=november)
            self._log(alice, printer, HOUR, date=december)
            self._log(bob, printer, 3 * HOUR, date=december)
            self._log(bob, quote, HOUR, date=december)

            rows = Analysis.search([])
            self.assertEqual(sorted(
                    (r.month, r.team.name, r.employee.rec_name,
                        r.party.name if r.party else None, r.tickets,
                        r.duration, r.hours)
                    for r in rows), [
                    (dt.date(2026, 11, 1), "Support", "Alice", "Acme",
                        2, 3 * HOUR, 3),
                    (dt.date(2026, 12, 1), "Sales", "Bob", None,
                        1, HOUR, 1),
                    (dt.date(2026, 12, 1), "Support", "Alice", "Acme",
                        1, HOUR, 1),
                    (dt.date(2026, 12, 1), "Support", "Bob", "Acme",
                        1, 3 * HOUR, 3),
                    ])
            per_team = Analysis.search([('team', '=', support.id)])
            self.assertEqual(
                sum((r.duration for r in per_team), dt.timedelta()),
                7 * HOUR)

    @with_transaction(context=FA)
    def test_timesheet_strings_in_persian(self):
        "The time tracking reads in Persian"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')

        fields = Ticket.fields_get(['timesheet_lines', 'timesheet_duration'])

        self.assertEqual(fields['timesheet_lines']['string'], "زمان صرف‌شده")
        self.assertEqual(
            fields['timesheet_duration']['string'], "کل زمان صرف‌شده")

    @with_transaction()
    def test_every_string_translated(self):
        "Every string of the module, timesheet part too, is in Persian"
        pool = Pool()
        Translation = pool.get('ir.translation')

        def keys(lang):
            with Transaction().set_context(language='en'):
                translations = Translation.search([
                        ('module', '=', 'helpdesk_core'),
                        ('lang', '=', lang),
                        ])
            return {
                (t.type, t.name, t.res_id, t.src) for t in translations
                if lang == 'en' or t.value}

        self.assertEqual(keys('en') - keys('fa'), set())


del _DBTestCase
