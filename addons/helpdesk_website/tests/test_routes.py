# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The website as visitors and customers use it, through trytond's WSGI
application: what each page shows, what each form saves, and what every
route refuses"""

import datetime as dt
import logging
import re
import time
import unittest

from markupsafe import escape

import trytond.config as tconfig
from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.wsgi import app

from .tools import (
    CSRF_RE, PASSWORD, create_portal_data, executable, pdf, png, upload)

ROOT = f'/{DB_NAME}/helpdesk'
URL_RE = re.compile(r'(http://\S+/helpdesk/\S+)')


class WebsiteTestCase(unittest.TestCase):
    "The pages of the website and their safety"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.config = activate_modules('helpdesk_website', create_company)
        cls.data = create_portal_data(cls.config)
        cls.company_id = cls.data.support.company.id
        if not tconfig.has_section('helpdesk_website'):
            tconfig.add_section('helpdesk_website')

    def setting(self, name, value):
        "Set an option of [helpdesk_website] for the test"
        tconfig.set('helpdesk_website', name, value)

        def remove():
            tconfig._config.remove_option('helpdesk_website', name)
            tconfig._cache_clear()
        self.addCleanup(remove)

    def setUp(self):
        super().setUp()
        self.smtp.clear()
        self.client = Client(app, Response)

    # --- helpers

    def get(self, path, client=None, **kwargs):
        return (client or self.client).get(ROOT + path, **kwargs)

    def csrf(self, path, client=None):
        response = self.get(path, client=client)
        match = CSRF_RE.search(response.text)
        self.assertTrue(match, f"no CSRF token on {path}")
        return match.group(1)

    def post(self, path, data, client=None, csrf_from=None, **kwargs):
        client = client or self.client
        data = dict(data)
        if 'csrf_token' not in data:
            data['csrf_token'] = self.csrf(csrf_from or path, client=client)
        return client.post(ROOT + path, data=data, **kwargs)

    def sign_in(self, email, client=None, password=PASSWORD):
        client = client or Client(app, Response)
        response = self.post('/signin', {
                'email': email, 'password': password}, client=client)
        self.assertEqual(response.status_code, 303, response.text[:2000])
        return client

    def web_user(self, email, **values):
        "Create a validated web user of email"
        with Transaction().start(DB_NAME, 0) as transaction:
            WebUser = Pool().get('web.user')
            user, = WebUser.create([{
                        'email': email, 'password': PASSWORD,
                        'email_valid': True, **values}])
            transaction.commit()
        return user

    def count(self, model, domain):
        with Transaction().start(DB_NAME, 0, readonly=True):
            Model_ = Pool().get(model)
            with Transaction().set_context(active_test=False):
                return Model_.search_count(domain)

    def ticket_form(self, **values):
        form = {
            'contact_name': "Vera Visitor",
            'contact_email': 'vera@visitor.example',
            'contact_phone': '+1 555 0100',
            'name': "The parcel never came",
            'description': "Ordered on Monday, nothing yet.",
            'priority': '2',
            }
        form.update(values)
        return form

    def submit(self, client=None, files=(), **values):
        data = self.ticket_form(**values)
        if files:
            data['files'] = list(files)
        return self.post(
            f'/teams/{self.data.support.id}', data, client=client,
            content_type='multipart/form-data')

    # --- public pages

    def test_team_list(self):
        "The team list shows the published portal teams only"
        response = self.get('/')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Customer Support", response.text)
        self.assertIn("Orders, invoices and &lt;your&gt; account.",
            response.text)
        self.assertNotIn("IT Internal", response.text)
        self.assertNotIn("Billing", response.text)
        self.assertEqual(
            self.get(f'/teams/{self.data.internal.id}').status_code, 404)
        self.assertEqual(
            self.get(f'/teams/{self.data.unpublished.id}').status_code, 404)

    def test_security_headers(self):
        "Every page says how the browser must protect it"
        response = self.get(f'/teams/{self.data.support.id}')
        policy = response.headers['Content-Security-Policy']
        self.assertIn("script-src 'self'", policy)
        self.assertIn("frame-ancestors 'none'", policy)
        self.assertNotIn('unsafe-inline', policy)
        self.assertEqual(response.headers['X-Content-Type-Options'], 'nosniff')
        self.assertNotIn('<script>', response.text)
        self.assertNotRegex(response.text, r'\son[a-z]+=')
        self.assertEqual(self.get('/static/helpdesk.js').status_code, 200)
        self.assertEqual(self.get(
                '/vendor/bootstrap/css/bootstrap.rtl.min.css').status_code,
            200)
        self.assertEqual(
            self.get('/static/../routes.py').status_code, 404)

    def test_persian_right_to_left(self):
        "The Persian pages are right-to-left and translated"
        response = self.get('/', query_string={'lang': 'fa'})
        self.assertIn('<html lang="fa" dir="rtl">', response.text)
        self.assertIn('bootstrap.rtl.min.css', response.text)
        self.assertNotIn("How can we help you?", response.text)
        # The choice is kept for the next pages
        response = self.get('/signin')
        self.assertIn('<html lang="fa" dir="rtl">', response.text)
        response = self.get('/', headers={'Accept-Language': 'en'},
            client=Client(app, Response))
        self.assertIn('<html lang="en" dir="ltr">', response.text)
        response = self.get('/', headers={'Accept-Language': 'fa-IR,fa'},
            client=Client(app, Response))
        self.assertIn('dir="rtl"', response.text)

    def test_submit_ticket(self):
        "A visitor's form makes a ticket with its files and an e-mail"
        response = self.submit(contact_email='vera.files@visitor.example',
            files=[
                upload('photo.png', png()),
                upload('invoice.pdf', pdf()),
                upload('notes.txt', "Colis perdu — بسته گم شد".encode()),
                ])
        self.assertEqual(response.status_code, 303, response.text[:3000])
        page = self.client.get(response.headers['Location'])
        self.assertEqual(page.status_code, 200)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            Attachment = Pool().get('ir.attachment')
            ticket, = Ticket.search([('contact_email', '=',
                        'vera.files@visitor.example')])
            self.assertIn(ticket.number, page.text)
            self.assertEqual(ticket.channel, 'website')
            self.assertEqual(ticket.team.id, self.data.support.id)
            self.assertEqual(ticket.priority, '2')
            self.assertEqual(ticket.party.name, "Vera Visitor")
            self.assertEqual(ticket.stage.category, 'new')
            self.assertEqual(sorted(a.name for a in Attachment.search([
                            ('resource', '=', str(ticket))])),
                ['invoice.pdf', 'notes.txt', 'photo.png'])
            number = ticket.number
        messages = self.smtp.wait(1)
        (recipients, message), = [
            m for m in messages if 'vera.files@visitor.example' in m[0]]
        self.assertIn(f'[{number}]', message['Subject'])
        body = message.get_body(('plain',)).get_content()
        self.assertIn(f'{ROOT}/portal/tickets/', body)
        # Another browser does not see the number
        other = Client(app, Response)
        self.assertEqual(
            other.get(response.headers['Location']).status_code, 404)
        # The files of the request are on its portal page
        self.web_user('vera.files@visitor.example')
        client = self.sign_in('vera.files@visitor.example')
        page = self.get(f'/portal/tickets/{ticket.id}', client=client).text
        files = page.split('id="request-files"', 1)[1].split('</ul>', 1)[0]
        for name in ['invoice.pdf', 'notes.txt', 'photo.png']:
            self.assertIn(name, files)

    def test_submit_matches_customer(self):
        "A visitor with a customer's e-mail files the ticket for it"
        response = self.submit(
            contact_email='Office@Globex.example', name="Matched",
            description="Line one\r\nLine two\r\n")
        self.assertEqual(response.status_code, 303, response.text[:3000])
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.search([('name', '=', "Matched")])
            self.assertEqual(ticket.party.id, self.data.globex.id)
            # The lines of the browser's text area end as Tryton's
            self.assertEqual(ticket.description, "Line one\nLine two")

    def test_submit_assigned(self):
        "The form's ticket is assigned like any other ticket of the team"
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id,
                    }) as transaction:
            pool = Pool()
            ModelData = pool.get('ir.model.data')
            Team = pool.get('helpdesk.team')
            User = pool.get('res.user')
            agent, = User.create([{
                        'login': 'website-agent', 'name': "Website Agent",
                        'groups': [('add', [ModelData.get_id(
                                        'helpdesk_core', 'group_helpdesk')])],
                        'companies': [('add', [self.company_id])],
                        'company': self.company_id,
                        }])
            team, = Team.create([{
                        'name': "Assigned Desk", 'visibility': 'portal',
                        'website_published': True, 'auto_assign': True,
                        'members': [('add', [agent.id])],
                        }])
            transaction.commit()
        data = self.ticket_form(name="To assign")
        response = self.post(f'/teams/{team.id}', data,
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 303, response.text[:3000])
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.search([('name', '=', "To assign")])
            self.assertEqual(ticket.team.id, team.id)
            self.assertEqual(ticket.user.id, agent.id)
            self.assertTrue(ticket.assigned_date)

    def test_submit_errors(self):
        "A form with mistakes says what is wrong and keeps what was typed"
        before = self.count('helpdesk.ticket', [])
        response = self.submit(
            contact_email='not-an-address', name='', priority='9')
        self.assertEqual(response.status_code, 400)
        self.assertIn("Enter a valid e-mail address.", response.text)
        self.assertIn("Enter the subject of your request.", response.text)
        self.assertIn("Ordered on Monday, nothing yet.", response.text)
        self.assertEqual(self.count('helpdesk.ticket', []), before)

    def test_submit_twice(self):
        """The same form sent again (a retry, a second click) shows the
        ticket it made and makes no second one, nor a second e-mail"""
        page = self.get(f'/teams/{self.data.support.id}').text
        key = re.search(r'name="request_key" value="([0-9a-f]{32})"', page)
        self.assertTrue(key, "no request key on the form")
        # Each showing of the form has its own key
        self.assertNotIn(key.group(1),
            self.get(f'/teams/{self.data.support.id}').text)
        form = self.ticket_form(
            name="Sent twice", contact_email='twice@visitor.example',
            request_key=key.group(1))
        first = self.post(f'/teams/{self.data.support.id}', form,
            content_type='multipart/form-data')
        self.assertEqual(first.status_code, 303, first.text[:3000])
        again = self.post(f'/teams/{self.data.support.id}', form,
            content_type='multipart/form-data')
        self.assertEqual(again.status_code, 303, again.text[:3000])
        self.assertEqual(
            again.headers['Location'], first.headers['Location'])
        self.assertEqual(
            self.count('helpdesk.ticket', [('name', '=', "Sent twice")]), 1)

        def acknowledgements():
            return [m for m in self.smtp.messages
                if 'twice@visitor.example' in m[0]]
        deadline = time.monotonic() + 10
        while not acknowledgements() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.5)
        self.assertEqual(len(acknowledgements()), 1)
        # A form with mistakes keeps its key for the corrected sending
        wrong = self.ticket_form(name='', request_key='b' * 32)
        response = self.post(f'/teams/{self.data.support.id}', wrong,
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 400)
        self.assertIn('name="request_key" value="%s"' % ('b' * 32),
            response.text)
        # A key of another form shape is ignored, not trusted
        response = self.post(f'/teams/{self.data.support.id}',
            self.ticket_form(name="Odd key", request_key="x' OR 1=1"),
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 303, response.text[:3000])

    def test_submit_json(self):
        "The background submission answers JSON"
        data = self.ticket_form(name="By script")
        data['csrf_token'] = self.csrf(f'/teams/{self.data.support.id}')
        response = self.client.post(
            f'{ROOT}/teams/{self.data.support.id}', data=data,
            headers={'X-Requested-With': 'fetch'})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.json['redirect'].startswith(ROOT))
        self.assertTrue(response.json['number'])
        data['name'] = ''
        response = self.client.post(
            f'{ROOT}/teams/{self.data.support.id}', data=data,
            headers={'X-Requested-With': 'fetch'})
        self.assertEqual(response.status_code, 400)
        self.assertIn('name', response.json['errors'])

    # --- safety of the forms

    def test_csrf(self):
        "A change without the session's CSRF token is refused"
        before = self.count('helpdesk.ticket', [])
        self.get('/')
        response = self.client.post(
            f'{ROOT}/teams/{self.data.support.id}', data=self.ticket_form())
        self.assertEqual(response.status_code, 403)
        self.assertIn("This form has expired", response.text)
        # The token of another browser
        other = Client(app, Response)
        token = self.csrf(f'/teams/{self.data.support.id}', client=other)
        response = self.post(
            f'/teams/{self.data.support.id}',
            dict(self.ticket_form(), csrf_token=token))
        self.assertEqual(response.status_code, 403)
        # A signed-in customer's reply with the token of another session
        member = self.sign_in('ann@acme.example')
        token = self.csrf(f'/teams/{self.data.support.id}', client=other)
        ticket = self.data.tickets.member
        response = member.post(
            f'{ROOT}/portal/tickets/{ticket.id}/reply',
            data={'content': "Forged", 'csrf_token': token})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.count('helpdesk.ticket', []), before)
        self.assertEqual(
            self.count('ir.chat.message', [('content', '=', "Forged")]), 0)

    def test_honeypot(self):
        "A form that fills the hidden field is refused"
        before = self.count('helpdesk.ticket', [])
        response = self.submit(website='http://spam.example')
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.count('helpdesk.ticket', []), before)

    def test_rate_limit(self):
        "Too many anonymous submissions from a network answer 429"
        self.setting('ticket_form_limit', '2')
        with Transaction().start(DB_NAME, 0) as transaction:
            Attempt = Pool().get('helpdesk.website.attempt')
            Attempt.delete(Attempt.search([]))
            transaction.commit()
        statuses = [self.submit(name=f"Flood {i}").status_code
            for i in range(3)]
        self.assertEqual(statuses, [303, 303, 429])
        response = self.submit(name="Flood 3")
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many attempts", response.text)
        self.assertEqual(self.count(
                'helpdesk.ticket', [('name', 'like', 'Flood %')]), 2)
        with Transaction().start(DB_NAME, 0) as transaction:
            Attempt = Pool().get('helpdesk.website.attempt')
            Attempt.delete(Attempt.search([]))
            transaction.commit()

    def test_uploads_refused(self):
        "Oversized, disguised, too many files: refused and nothing saved"
        self.setting('upload_size', '1000')
        before = self.count('helpdesk.ticket', [])
        attachments = self.count('ir.attachment', [])
        cases = [
            ([upload('big.pdf', pdf() + b'0' * 2000)], "is larger than"),
            ([upload('photo.png', executable())],
                "does not match its name"),
            ([upload('tool.exe', executable())], "is not accepted"),
            ([upload('fake.pdf', png())], "does not match its name"),
            ([upload('binary.txt', b'\x00\x01\x02')],
                "does not match its name"),
            ([upload(f'{i}.png', png()) for i in range(11)],
                "at most 10 files"),
            ]
        for files, message in cases:
            with self.subTest(message=message):
                response = self.submit(files=files, name="With files")
                self.assertEqual(response.status_code, 400)
                self.assertIn(message, response.text)
        self.assertEqual(self.count('helpdesk.ticket', []), before)
        self.assertEqual(self.count('ir.attachment', []), attachments)

    def test_xss_escaped(self):
        "The customer's text is shown as text, never run"
        payload = '<script>alert(1)</script><img src=x onerror=alert(2)>'
        response = self.submit(
            contact_email='ann@acme.example', name=f"XSS {payload}",
            description=f"Body {payload}")
        self.assertEqual(response.status_code, 303)
        member = self.sign_in('ann@acme.example')
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.search([('name', 'like', 'XSS %')])
        for path in ['/portal/tickets', f'/portal/tickets/{ticket.id}']:
            page = self.get(path, client=member).text
            self.assertNotIn('<script>alert', page)
            self.assertNotIn('<img src=x', page)
            self.assertIn('&lt;script&gt;alert(1)&lt;/script&gt;', page)

    def test_waiting_band_badge(self):
        "The customer sees how late the answer is, as the agents do"
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id,
                    }) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            late, answered = Ticket.create([{
                        'name': name, 'team': self.data.support.id,
                        'party': self.data.acme.id,
                        'contact_email': 'ann@acme.example',
                        'channel': 'portal',
                        } for name in ["Late scanner", "Answered scanner"]])
            now = dt.datetime.now()
            table = Ticket.__table__()
            cursor = transaction.connection.cursor()
            # Medium priority turns red after 8 hours by default
            cursor.execute(*table.update(
                    [table.last_customer_message],
                    [now - dt.timedelta(hours=30)],
                    where=table.id.in_([late.id, answered.id])))
            cursor.execute(*table.update(
                    [table.last_agent_message],
                    [now - dt.timedelta(hours=1)],
                    where=table.id == answered.id))
            transaction.commit()
        client = self.sign_in('ann@acme.example')
        page = self.get('/portal/tickets', client=client).text
        rows = {
            id_: row for id_, row in re.findall(
                r'<tr data-ticket="(\d+)">(.*?)</tr>', page, re.S)}
        self.assertRegex(
            rows[str(late.id)], r'data-band="red">\s*Late\s*</span>')
        self.assertNotIn('data-band', rows[str(answered.id)])
        page = self.get(f'/portal/tickets/{late.id}', client=client).text
        self.assertIn('text-bg-danger helpdesk-waiting-band', page)
        page = self.get(f'/portal/tickets/{answered.id}', client=client).text
        self.assertNotIn('helpdesk-waiting-band', page)

    # --- accounts

    def test_signin_answers_alike(self):
        "Sign-in answers the same for an existing and an unknown account"
        def answer(email):
            client = Client(app, Response)
            response = self.post('/signin', {
                    'email': email, 'password': 'wrong-password'},
                client=client)
            return response.status_code, CSRF_RE.sub('', response.text)
        existing = answer('boss@acme.example')
        unknown = answer('nobody@acme.example')
        self.assertEqual(existing[0], 400)
        self.assertEqual(
            existing[1].replace('boss@acme.example', 'EMAIL'),
            unknown[1].replace('nobody@acme.example', 'EMAIL'))

        def mobile(number):
            client = Client(app, Response)
            response = self.post('/signin/mobile', {'mobile': number},
                client=client, csrf_from='/signin')
            return response.status_code, CSRF_RE.sub(
                '', response.text).replace(number, 'NUMBER')
        self.assertEqual(
            mobile('+98 912 000 1111'), mobile('+98 912 999 9999'))

    def test_party_language(self):
        "The pages of a signed-in customer are in the language of the party"
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id,
                    }) as transaction:
            pool = Pool()
            Lang = pool.get('ir.lang')
            Party = pool.get('party.party')
            persian, = Lang.search([('code', '=', 'fa')])
            party, = Party.create([{'name': "Parsa", 'lang': persian.id}])
            transaction.commit()
        self.web_user('parsa@parsa.example', party=party.id)
        client = self.sign_in('parsa@parsa.example')
        page = self.get('/portal/tickets', client=client)
        self.assertIn('<html lang="fa" dir="rtl">', page.text)

    def test_signin_password_and_signout(self):
        client = self.sign_in('ann@acme.example')
        page = self.get('/portal/tickets', client=client)
        self.assertEqual(page.status_code, 200)
        self.assertIn("Ann&#39;s printer", page.text)
        response = self.post('/signout', {}, client=client,
            csrf_from='/portal/tickets')
        self.assertEqual(response.status_code, 303)
        page = self.get('/portal/tickets', client=client)
        self.assertEqual(page.status_code, 303)
        self.assertIn('/signin', page.headers['Location'])

    def test_signin_mobile_code(self):
        "A one-time code sent by SMS signs the customer in"
        client = Client(app, Response)
        with self.assertLogs(level=logging.INFO) as logs:
            response = self.post('/signin/mobile', {
                    'mobile': '0098 912 000 1111'}, client=client,
                csrf_from='/signin')
        self.assertEqual(response.status_code, 200)
        code, = re.findall(r'\b(\d{6})\b', '\n'.join(logs.output))
        wrong = '000000' if code != '000000' else '111111'
        response = self.post('/signin/code', {
                'mobile': '0098 912 000 1111', 'code': wrong},
            client=client, csrf_from='/signin')
        self.assertEqual(response.status_code, 400)
        self.assertIn("This code is not right", response.text)
        response = self.post('/signin/code', {
                'mobile': '0098 912 000 1111', 'code': code},
            client=client, csrf_from='/signin')
        self.assertEqual(response.status_code, 303)
        page = self.get('/portal/tickets', client=client)
        self.assertIn("Ann&#39;s printer", page.text)
        # A code works once
        response = self.post('/signin/code', {
                'mobile': '0098 912 000 1111', 'code': code},
            client=Client(app, Response), csrf_from='/signin')
        self.assertEqual(response.status_code, 400)

    def test_signup_and_validate(self):
        "A visitor signs up, validates the address and sees their tickets"
        self.submit(contact_email='nina@new.example', name="Before signing up")
        self.smtp.clear()
        client = Client(app, Response)
        response = self.post('/signup', {
                'name': "Nina New", 'email': 'nina@new.example',
                'password': 'Nina-Password-1', 'confirm': 'Nina-Password-1',
                }, client=client)
        self.assertEqual(response.status_code, 200, response.text[:2000])
        self.assertIn("Check your e-mail", response.text)
        messages = self.smtp.wait(1)
        (_, message), = [m for m in messages if 'nina@new.example' in m[0]]
        url, = URL_RE.findall(message.get_body(('plain',)).get_content())
        signin = self.post('/signin', {
                'email': 'nina@new.example', 'password': 'Nina-Password-1'},
            client=client)
        self.assertEqual(signin.status_code, 303)
        page = self.get('/portal/tickets', client=client)
        self.assertIn("Validate your e-mail address", page.text)
        self.assertNotIn("Before signing up", page.text)
        path = url.split('/helpdesk', 1)[1]
        response = self.get(path, client=client)
        self.assertIn("Your e-mail address is validated", response.text)
        page = self.get('/portal/tickets', client=client)
        self.assertIn("Before signing up", page.text)
        # Signing up again with the address tells its owner only
        self.smtp.clear()
        response = self.post('/signup', {
                'name': "Someone", 'email': 'nina@new.example',
                'password': 'Other-Password-1', 'confirm': 'Other-Password-1',
                }, client=Client(app, Response))
        self.assertIn("Check your e-mail", response.text)
        (_, message), = [
            m for m in self.smtp.wait(1) if 'nina@new.example' in m[0]]
        self.assertIn("already has one",
            message.get_body(('plain',)).get_content())

    def test_staff_account_first_signin(self):
        "An account made by the staff without password chooses it"
        with Transaction().start(DB_NAME, 0) as transaction:
            WebUser = Pool().get('web.user')
            WebUser.create([{
                        'email': 'staff-made@acme.example',
                        'party': self.data.acme.id}])
            transaction.commit()
        client = Client(app, Response)
        response = self.post('/signin', {
                'email': 'staff-made@acme.example', 'password': 'anything'},
            client=client)
        self.assertEqual(response.status_code, 400)
        (_, message), = [m for m in self.smtp.wait(1)
            if 'staff-made@acme.example' in m[0]]
        url, = URL_RE.findall(message.get_body(('plain',)).get_content())
        path = url.split('/helpdesk', 1)[1]
        response = self.post(path, {
                'password': 'Chosen-Password-1',
                'confirm': 'Chosen-Password-1'}, client=client)
        self.assertEqual(response.status_code, 303, response.text[:2000])
        page = self.get('/portal/tickets', client=client)
        self.assertEqual(page.status_code, 200)
        self.assertIn('id="signout"', page.text)
        # The link proved the address, the password now signs in
        with Transaction().start(DB_NAME, 0, readonly=True):
            WebUser = Pool().get('web.user')
            user, = WebUser.search([('email', '=', 'staff-made@acme.example')])
            self.assertTrue(user.email_valid)
        self.sign_in('staff-made@acme.example', password='Chosen-Password-1')

    # --- portal

    def test_visibility(self):
        "Members see their tickets, managers their party's, nobody others'"
        t = self.data.tickets
        cases = {
            'ann@acme.example': {
                t.member: 200, t.colleague: 404, t.other: 404,
                t.internal: 404, t.billing: 200},
            'boss@acme.example': {
                t.member: 200, t.colleague: 200, t.other: 404,
                t.internal: 404, t.billing: 200},
            'gina@globex.example': {
                t.member: 404, t.colleague: 404, t.other: 200,
                t.internal: 404, t.billing: 404},
            }
        for email, tickets in cases.items():
            client = self.sign_in(email)
            listing = self.get(
                '/portal/tickets', client=client,
                query_string={'state': 'all'}).text
            for ticket, status in tickets.items():
                with self.subTest(email=email, ticket=ticket.name):
                    response = self.get(
                        f'/portal/tickets/{ticket.id}', client=client)
                    self.assertEqual(response.status_code, status)
                    shown = str(escape(ticket.name)) in listing
                    self.assertEqual(shown, status == 200)
                    if status == 404:
                        self.assertNotIn(
                            str(escape(ticket.name)), response.text)
        # Anonymous visitors are sent to sign in
        response = self.get(f'/portal/tickets/{t.member.id}')
        self.assertEqual(response.status_code, 303)

    def test_access_matrix(self):
        "Every portal route answers 404 for the tickets a customer may not see"
        t = self.data.tickets
        tickets = {
            'member': t.member, 'colleague': t.colleague, 'other': t.other,
            'internal': t.internal, 'billing': t.billing}
        # Who sees which ticket, as the record rules of the portal say
        sees = {
            'member': {'member', 'billing'},
            'manager': {'member', 'colleague', 'billing'},
            'other': {'other'},
            'unvalidated': set(),
            }
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Attachment = pool.get('ir.attachment')
            WebUser = pool.get('web.user')
            files = {
                key: Attachment.create([{
                            'resource': str(ticket), 'name': f'{key}.txt',
                            'type': 'data',
                            'data': b'secret of ' + key.encode(),
                            'helpdesk_shared': True}])[0].id
                for key, ticket in tickets.items()}
            # The address of the account is not proved: it sees nothing
            WebUser.create([{
                        'email': 'ann.unproved@acme.example',
                        'password': PASSWORD, 'party': self.data.acme.id,
                        'helpdesk_manager': True}])
            transaction.commit()
        clients = {
            'anonymous': Client(app, Response),
            'member': self.sign_in('ann@acme.example'),
            'manager': self.sign_in('boss@acme.example'),
            'other': self.sign_in('gina@globex.example'),
            'unvalidated': self.sign_in('ann.unproved@acme.example'),
            }
        routes = {
            # route: the answer when the ticket is visible; the changes are
            # sent without the CSRF token to change nothing: refused after
            # the visibility
            'page': ('get', '/portal/tickets/{id}', 200),
            'reply': ('post', '/portal/tickets/{id}/reply', 403),
            'close': ('post', '/portal/tickets/{id}/close', 403),
            'rate': ('post', '/portal/tickets/{id}/rate', 403),
            'file': ('get', '/portal/files/{file}/{key}.txt', 200),
            }
        for role, client in clients.items():
            listing = self.get('/portal/tickets', client=client,
                query_string={'state': 'all'}).text
            file_list = self.get('/portal/files', client=client).text
            for key, ticket in tickets.items():
                visible = key in sees.get(role, set())
                for route, (method, path, status) in routes.items():
                    path = path.format(id=ticket.id, file=files[key], key=key)
                    with self.subTest(role=role, ticket=key, route=route):
                        if method == 'get':
                            response = self.get(path, client=client)
                        else:
                            response = client.post(ROOT + path, data={
                                    'content': f"From {role}",
                                    'rating': '5'})
                        if role == 'anonymous':
                            expected = 303
                        else:
                            expected = status if visible else 404
                        self.assertEqual(response.status_code, expected)
                        if not visible:
                            self.assertNotIn(
                                str(escape(ticket.name)), response.text)
                            self.assertNotIn('secret of', response.text)
                with self.subTest(role=role, ticket=key, route='lists'):
                    self.assertEqual(
                        str(escape(ticket.name)) in listing, visible)
                    self.assertEqual(f'{key}.txt' in file_list, visible)
        self.assertEqual(self.count('ir.chat.message', [
                    ('content', 'like', 'From %')]), 0)

    def test_reply_reopens_and_files(self):
        "A reply with a file reopens a waiting ticket; the file is listed"
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id,
                    }) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.create([{
                        'name': "Waiting for Ann",
                        'team': self.data.support.id,
                        'party': self.data.acme.id,
                        'contact_email': 'ann@acme.example',
                        }])
            Ticket.wait([ticket])
            self.assertEqual(ticket.state, 'waiting')
            transaction.commit()
        client = self.sign_in('ann@acme.example')
        response = self.post(f'/portal/tickets/{ticket.id}/reply', {
                'content': "Here is the screenshot.",
                'files': [upload('screen.png', png())],
                }, client=client, csrf_from=f'/portal/tickets/{ticket.id}',
            content_type='multipart/form-data')
        self.assertEqual(response.status_code, 303, response.text[:2000])
        page = self.get(f'/portal/tickets/{ticket.id}', client=client)
        self.assertIn("Here is the screenshot.", page.text)
        self.assertIn("screen.png", page.text)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            Attachment = Pool().get('ir.attachment')
            ticket = Ticket(ticket.id)
            self.assertNotEqual(ticket.state, 'waiting')
            self.assertTrue(ticket.last_customer_message)
            attachment, = Attachment.search([
                    ('resource', '=', str(ticket))])
            self.assertTrue(attachment.helpdesk_shared)
            self.assertTrue(attachment.helpdesk_message)
        files = self.get('/portal/files', client=client)
        self.assertIn("screen.png", files.text)
        download = self.get(
            f'/portal/files/{attachment.id}/screen.png', client=client,
            query_string={'inline': '1'})
        self.assertEqual(download.status_code, 200)
        self.assertEqual(download.data, png())
        self.assertEqual(download.headers['Content-Type'], 'image/png')
        # Another customer cannot download it, whatever id is guessed
        other = self.sign_in('gina@globex.example')
        self.assertEqual(self.get(
                f'/portal/files/{attachment.id}/screen.png',
                client=other).status_code, 404)
        self.assertNotIn("screen.png", self.get(
                '/portal/files', client=other).text)
        self.assertEqual(self.get(
                f'/portal/files/{attachment.id}/screen.png').status_code,
            303)

    def test_internal_notes_hidden(self):
        "The conversation shows no internal note and tells who wrote"
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Ticket = pool.get('helpdesk.ticket')
            ticket = Ticket(self.data.tickets.member.id)
            Channel.post(ticket, "Internal: customer is grumpy",
                audience='internal')
            Channel.post(ticket, "We are on it.", audience='public')
            transaction.commit()
        client = self.sign_in('ann@acme.example')
        page = self.get(f'/portal/tickets/{ticket.id}', client=client).text
        self.assertNotIn("grumpy", page)
        self.assertIn("We are on it.", page)
        self.assertIn('data-role="staff"', page)

    def test_close_and_rate(self):
        "The customer closes the ticket and rates it"
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id,
                    }) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.create([{
                        'name': "To close",
                        'team': self.data.support.id,
                        'party': self.data.acme.id,
                        'contact_email': 'ann@acme.example',
                        }])
            refused, = Ticket.create([{
                        'name': "Not closable",
                        'team': self.data.unpublished.id,
                        'party': self.data.acme.id,
                        'contact_email': 'ann@acme.example',
                        }])
            transaction.commit()
        client = self.sign_in('ann@acme.example')
        page = self.get(f'/portal/tickets/{ticket.id}', client=client).text
        self.assertIn('id="close-form"', page)
        self.assertNotIn('id="rate-form"', page)
        response = self.post(
            f'/portal/tickets/{ticket.id}/close', {}, client=client,
            csrf_from=f'/portal/tickets/{ticket.id}')
        self.assertEqual(response.status_code, 303)
        page = self.get(f'/portal/tickets/{ticket.id}', client=client).text
        self.assertIn('data-state="solved"', page)
        self.assertIn('id="rate-form"', page)
        response = self.post(
            f'/portal/tickets/{ticket.id}/rate',
            {'rating': '4', 'comment': "Quick and kind"}, client=client,
            csrf_from=f'/portal/tickets/{ticket.id}')
        self.assertEqual(response.status_code, 303)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            ticket = Ticket(ticket.id)
            self.assertEqual(ticket.rating, 4)
            self.assertEqual(ticket.rating_comment, "Quick and kind")
        # A team that does not let customers close
        page = self.get(f'/portal/tickets/{refused.id}', client=client).text
        self.assertNotIn('id="close-form"', page)
        response = self.post(
            f'/portal/tickets/{refused.id}/close', {}, client=client,
            csrf_from=f'/portal/tickets/{refused.id}')
        self.assertEqual(response.status_code, 400)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            self.assertNotEqual(Ticket(refused.id).state, 'solved')

    def test_list_filters(self):
        "The manager filters the list of the party's tickets"
        client = self.sign_in('boss@acme.example')
        page = self.get('/portal/tickets', client=client,
            query_string={'q': 'invoice', 'state': 'all'}).text
        self.assertIn("Bob&#39;s invoice", page)
        self.assertNotIn("Ann&#39;s printer", page)
        page = self.get('/portal/tickets', client=client, query_string={
                'team': self.data.unpublished.id, 'state': 'all'}).text
        self.assertIn("Ann&#39;s refund", page)
        self.assertNotIn("Bob&#39;s invoice", page)
        page = self.get('/portal/tickets', client=client, query_string={
                'state': 'closed'}).text
        self.assertNotIn("Ann&#39;s printer", page)
        page = self.get('/portal/tickets', client=client, query_string={
                'start': '2999-01-01', 'state': 'all'}).text
        self.assertIn('id="no-ticket"', page)

    def test_announcements(self):
        "A current announcement shows as a banner and on its page"
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Announcement = pool.get('helpdesk.announcement')
            Company = pool.get('company.company')
            company, = Company.search([])
            Announcement.create([{
                        'title': "Maintenance on Sunday",
                        'body': "The portal stops from 2 to 4.",
                        'company': company.id,
                        }, {
                        'title': "Billing closed on Friday",
                        'company': company.id,
                        'teams': [('add', [self.data.unpublished.id])],
                        }, {
                        'title': "Gone already",
                        'company': company.id,
                        'start': dt.datetime(2020, 1, 1),
                        'end': dt.datetime(2020, 1, 2),
                        }])
            transaction.commit()
        page = self.get('/').text
        self.assertIn("Maintenance on Sunday", page)
        self.assertNotIn("Billing closed on Friday", page)
        page = self.get('/announcements').text
        self.assertIn("The portal stops from 2 to 4.", page)
        self.assertIn("Billing closed on Friday", page)
        self.assertNotIn("Gone already", page)
        # The team's banner is on the pages of its tickets
        client = self.sign_in('ann@acme.example')
        page = self.get(
            f'/portal/tickets/{self.data.tickets.billing.id}', client=client)
        self.assertIn("Billing closed on Friday", page.text)
