# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
import logging
import re

import trytond.config as tconfig
from trytond.exceptions import UserError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.helpdesk_website import security, website
from trytond.modules.helpdesk_website.web import normalize_mobile
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import executable, pdf, png


class HelpdeskWebsiteTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Helpdesk Website module"
    module = 'helpdesk_website'

    def _create_team(self, **values):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        values.setdefault('name', "Support")
        values.setdefault('visibility', 'portal')
        team, = Team.create([values])
        return team

    def _create_ticket(self, team, **values):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        values.setdefault('name', "Printer broken")
        values['team'] = team.id
        ticket, = Ticket.create([values])
        return ticket

    @with_transaction()
    def test_team_website(self):
        "A published portal team opens its page on the website"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        company = create_company()
        with set_company(company):
            published = self._create_team(website_published=True)
            hidden = self._create_team(name="Hidden")
            internal = self._create_team(
                name="Internal", visibility='internal',
                website_published=True)
        self.assertEqual(Team.website_teams(), [published])
        self.assertRegex(
            published.website_url, r'/helpdesk/teams/%s$' % published.id)
        action = Team.open_website([published])
        self.assertEqual(action['url'], published.website_url)
        self.assertNotIn(hidden, Team.website_teams())
        self.assertNotIn(internal, Team.website_teams())

    @with_transaction()
    def test_customer_of_new_visitor(self):
        """A new visitor's party, its code and contact mechanisms as the
        party module makes them, written once"""
        pool = Pool()
        Party = pool.get('party.party')
        from trytond.modules.helpdesk_website import portal
        party = portal.customer_of(
            'Nora@Visitor.example', "Nora Visitor", '+32 470 12 34 56')
        # The same party made by the party module alone
        reference, = Party.create([{
                    'name': "Nora Visitor",
                    'contact_mechanisms': [('create', [
                                {'type': 'email',
                                    'value': 'Nora@Visitor.example'},
                                {'type': 'phone',
                                    'value': '+32 470 12 34 56'},
                                ])],
                    }])
        self.assertTrue(party.code)
        self.assertEqual(
            (party.code_alnum, party.code_digit),
            (party.code, int(party.code)))

        def mechanisms(party):
            return sorted(
                (m.type, m.value, m.value_compact)
                for m in party.contact_mechanisms)
        # (the phone formatted by phonenumbers when it is installed)
        self.assertEqual(mechanisms(party), mechanisms(reference))
        self.assertEqual(
            mechanisms(party)[0],
            ('email', 'Nora@Visitor.example', 'Nora@Visitor.example'))
        self.assertEqual(
            [t for t, _, _ in mechanisms(party)], ['email', 'phone'])
        self.assertEqual(
            (reference.code_alnum, reference.code_digit),
            (reference.code, int(reference.code)))
        # Nothing written again after the creation
        self.assertIsNone(party.write_date)
        self.assertEqual(
            [m.write_date for m in party.contact_mechanisms], [None, None])
        self.assertIsNone(reference.write_date)
        # The forms of a code changed later follow it
        Party.write([party], {'code': 'C-0042'})
        self.assertEqual((party.code_alnum, party.code_digit), ('C0042', 42))
        self.assertEqual(portal.customer_of(
                'nora@visitor.example', "Someone Else"), party)

    @with_transaction()
    def test_rate_solved_ticket(self):
        "The customer rates a solved ticket of a team using ratings"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Analysis = pool.get('helpdesk.ticket.analysis')
        company = create_company()
        with set_company(company):
            team = self._create_team(use_rating=True)
            ticket = self._create_ticket(team)
            with self.assertRaisesRegex(UserError, "solved"):
                Ticket.rate([ticket], 5)
            Ticket.solve([ticket])
            with self.assertRaises(UserError):
                Ticket.rate([ticket], 6)
            Ticket.rate([ticket], 4, "  Quick  ")
            self.assertEqual(ticket.rating, 4)
            self.assertEqual(ticket.rating_comment, "Quick")
            self.assertTrue(ticket.rating_date)
            analysis, = Analysis.search([('rating', '=', 4)])
            self.assertEqual(analysis.ticket, ticket)
            copy, = Ticket.copy([ticket])
            self.assertIsNone(copy.rating)
            with self.assertRaises(UserError):
                Ticket.write([ticket], {'rating': 0})

    @with_transaction()
    def test_rate_team_without_rating(self):
        "A team that does not use ratings refuses them"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team = self._create_team(use_rating=False)
            ticket = self._create_ticket(team)
            Ticket.solve([ticket])
            with self.assertRaises(UserError):
                Ticket.rate([ticket], 5)

    @with_transaction()
    def test_portal_close(self):
        "Customers close the tickets of the teams that allow it, once"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            closable = self._create_team(portal_close=True)
            refused = self._create_team(name="Other", portal_close=False)
            ticket = self._create_ticket(closable)
            Ticket.portal_close([ticket])
            self.assertEqual(ticket.state, 'solved')
            with self.assertRaises(UserError):
                Ticket.portal_close([ticket])
            other = self._create_ticket(refused)
            with self.assertRaises(UserError):
                Ticket.portal_close([other])
            self.assertNotEqual(other.state, 'solved')

    @with_transaction()
    def test_announcements_current(self):
        "Announcements show between their start and end on their teams"
        pool = Pool()
        Announcement = pool.get('helpdesk.announcement')
        company = create_company()
        now = dt.datetime.now()
        with set_company(company):
            team = self._create_team()
            other = self._create_team(name="Other")
            general, of_team, past, future = Announcement.create([{
                        'title': "General",
                        }, {
                        'title': "Team",
                        'teams': [('add', [team.id])],
                        }, {
                        'title': "Past",
                        'start': now - dt.timedelta(days=2),
                        'end': now - dt.timedelta(days=1),
                        }, {
                        'title': "Future",
                        'start': now + dt.timedelta(days=1),
                        }])
            self.assertEqual(Announcement.current(), [general])
            self.assertEqual(
                set(Announcement.current(teams=[team])), {general, of_team})
            self.assertEqual(Announcement.current(teams=[other]), [general])
            self.assertEqual(
                set(Announcement.current(date=now + dt.timedelta(days=2))),
                {general, future})
            with self.assertRaises(UserError):
                Announcement.create([{
                            'title': "Backwards",
                            'start': now,
                            'end': now - dt.timedelta(hours=1),
                            }])

    @with_transaction()
    def test_mobile_normalised_and_unique(self):
        "Mobile numbers are stored as + and digits, once per active user"
        pool = Pool()
        WebUser = pool.get('web.user')
        self.assertEqual(
            normalize_mobile('0098 912-345 (67) 89'), '+989123456789')
        user, = WebUser.create([{
                    'email': 'ann@example.com', 'mobile': '0098 912 111 2233',
                    }])
        self.assertEqual(user.mobile, '+989121112233')
        self.assertEqual(WebUser.by_mobile('+98 912 111 22 33'), user)
        self.assertIsNone(WebUser.by_mobile('+98 912 000 0000'))
        with self.assertRaises(UserError):
            WebUser.create([{'email': 'eve@example.com', 'mobile': 'call me'}])
        # Last: on PostgreSQL the violation aborts the transaction
        with self.assertRaises(UserError):
            WebUser.create([{
                        'email': 'bob@example.com',
                        'mobile': '+98 912 111 2233'}])

    @with_transaction()
    def test_login_code(self):
        "A code signs in once, before it expires, within its attempts"
        pool = Pool()
        WebUser = pool.get('web.user')
        LoginCode = pool.get('web.user.login_code')
        user, = WebUser.create([{
                    'email': 'ann@example.com', 'mobile': '+989121112233'}])
        codes = []

        class Capture(logging.Handler):
            def emit(self, record):
                codes.extend(re.findall(r'\b\d{6}\b', record.getMessage()))
        logger = logging.getLogger(
            'trytond.modules.helpdesk_website.configuration')
        handler = Capture()
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)
        level = logger.level
        logger.setLevel(logging.INFO)
        self.addCleanup(logger.setLevel, level)

        LoginCode.send('+98 912 111 2233')
        code, = codes
        self.assertRegex(code, r'^\d{6}$')
        stored, = LoginCode.search([('user', '=', user.id)])
        self.assertNotIn(code, stored.code_hash)
        wrong = '%06d' % ((int(code) + 1) % 10 ** 6)
        self.assertIsNone(LoginCode.check('+989121112233', wrong))
        self.assertEqual(LoginCode.check('+989121112233', code), user)
        # Used up
        self.assertIsNone(LoginCode.check('+989121112233', code))

        # Too many attempts
        LoginCode.send('+989121112233')
        code = codes[-1]
        for _ in range(LoginCode.max_attempts()):
            LoginCode.check('+989121112233', wrong)
        self.assertIsNone(LoginCode.check('+989121112233', code))

        # Expired
        LoginCode.send('+989121112233')
        code = codes[-1]
        stored, = LoginCode.search([('user', '=', user.id)])
        stored.expire = dt.datetime.now() - dt.timedelta(seconds=1)
        stored.save()
        self.assertIsNone(LoginCode.check('+989121112233', code))

        # No account: nothing sent, nothing told
        count = len(codes)
        LoginCode.send('+15550000000')
        self.assertEqual(len(codes), count)

    @with_transaction()
    def test_attempts_limit(self):
        "The attempts of a network are counted per action in a window"
        pool = Pool()
        Attempt = pool.get('helpdesk.website.attempt')
        if not tconfig.has_section('helpdesk_website'):
            tconfig.add_section('helpdesk_website')
        tconfig.set('helpdesk_website', 'signin_limit', '2')

        def remove():
            tconfig._config.remove_option('helpdesk_website', 'signin_limit')
            tconfig._cache_clear()
        self.addCleanup(remove)
        for _ in range(2):
            self.assertFalse(Attempt.exceeded('signin'))
            Attempt.add('signin')
        self.assertTrue(Attempt.exceeded('signin'))
        self.assertFalse(Attempt.exceeded('ticket_form'))

        # The attempts out of the window are pruned, now and then
        old, = Attempt.search([], limit=1)
        table = Attempt.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.create_date],
                [dt.datetime.now() - dt.timedelta(days=1)],
                where=table.id == old.id))
        self.assertFalse(Attempt.exceeded('signin'))
        prune_every = security.PRUNE_EVERY
        security.PRUNE_EVERY = 1
        self.addCleanup(setattr, security, 'PRUNE_EVERY', prune_every)
        Attempt.add('ticket_form')
        self.assertNotIn(old, Attempt.search([]))
        self.assertEqual(Attempt.search_count([]), 2)

    def test_uploads_checked_by_content(self):
        "The type of a file is read from its content, not its name"
        self.assertEqual(security.content_type('a.png', png()), 'image/png')
        self.assertEqual(
            security.content_type('a.pdf', pdf()), 'application/pdf')
        for name, data in [
                ('invoice.pdf', executable()),
                ('photo.png', pdf()),
                ('run.exe', executable()),
                ]:
            with self.subTest(name=name):
                with self.assertRaises(security.UploadError):
                    security.content_type(name, data)

    def test_csrf_token(self):
        "A CSRF token is valid for its secret only"
        token = security.csrf_token('session-a')
        self.assertTrue(security.check_csrf('session-a', token))
        self.assertFalse(security.check_csrf('session-b', token))
        self.assertFalse(security.check_csrf('session-a', ''))

    def test_sanitize_html(self):
        "The HTML of customers keeps its text and loses its scripts"
        html = website.sanitize_html(
            '<p onclick="x()">Hi <b>there</b><script>alert(1)</script>'
            '<a href="javascript:alert(1)">link</a></p>')
        self.assertIn('<b>there</b>', html)
        self.assertNotIn('script', html)
        self.assertNotIn('onclick', html)
        self.assertNotIn('javascript:', html)

    def test_is_email(self):
        "Only one plain address is an e-mail"
        for value in ['ann@example.com', 'a.b+c@sub.example.co']:
            self.assertTrue(website.is_email(value), value)
        for value in [
                '', 'not-an-address', 'a@b', 'a@@b.com', 'Ann <a@b.com>',
                'a@b.com, c@d.com', 'a b@c.com']:
            self.assertFalse(website.is_email(value), value)

    def test_language_and_direction(self):
        "The page language follows the choice, then the browser"
        self.assertEqual(website.best_language(None, 'fa'), 'fa')
        self.assertEqual(website.text_direction('fa'), 'rtl')
        self.assertEqual(website.text_direction('en'), 'ltr')
        self.assertEqual(website.best_language(None, None, None, None), 'en')

    def test_formatter(self):
        "Dates, numbers and sizes are written the way of the language"
        english = website.Formatter('en', 'UTC')
        persian = website.Formatter('fa', 'Asia/Tehran')
        moment = dt.datetime(2026, 3, 20, 22, 0)
        self.assertEqual(english.date(moment), 'Mar 20, 2026')
        # 01:30 on the next day in Tehran
        self.assertIn('۲۱', persian.date(moment))
        self.assertEqual(persian.number(1234.5), '۱٬۲۳۴٫۵')
        self.assertEqual(english.size(2_500_000), '2.5 MB')
        self.assertEqual(english.number(1234), '1,234')
        self.assertEqual(persian.number(12), '۱۲')
        self.assertEqual(
            english.duration(dt.timedelta(hours=3)), '3 hours')


del ModuleTestCase
