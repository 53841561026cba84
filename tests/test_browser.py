# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""An agent works with tickets in Tryton's web client (sao), in Chromium,
against a real trytond server that sends its e-mails to a local SMTP sink.

Needs PostgreSQL (the server and the test share the database), Debian's
Chromium (HELPDESK_CHROMIUM, /usr/bin/chromium) and the web client
(`make web`). Outside CI a missing piece skips the tests; in CI it fails
them. The screenshots of the documentation are taken here:
doc/images/ticket-list.png (the README's) and doc/images/ticket-form.png
(saved under var/screenshots;
HELPDESK_UPDATE_SCREENSHOTS=1 refreshes the committed ones)."""

import contextlib
import os
import re
import struct
import time
import unittest
from xml.etree import ElementTree

from proteus import Model

from . import support

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    # support.require_chromium() says what to install
    PlaywrightError = Exception


def png_size(path):
    "Width and height of a PNG image"
    with open(path, 'rb') as fp:
        header = fp.read(24)
    assert header[:8] == b'\x89PNG\r\n\x1a\n', path
    return struct.unpack('>II', header[16:24])


class BrowserTestCase(unittest.TestCase):
    "An agent handles tickets in the web client"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_chromium()
        support.require_web_client()
        support.require_server_database()

        from trytond.modules.company.tests.tools import create_company
        from trytond.modules.helpdesk_core.tests.tools import SMTPSink
        from trytond.tests.test_tryton import DB_NAME, drop_db
        from trytond.tests.tools import activate_modules

        # The server sends the e-mails to this sink of the test process
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)

        # A fresh database: another test of the process may have left one
        drop_db()
        cls.config = activate_modules('helpdesk_core', create_company)
        cls.addClassCleanup(drop_db)
        cls.data = support.create_helpdesk_data(cls.config)
        cls.database = DB_NAME

        cls.server = support.TrytondServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)

        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = support.launch_chromium(cls.playwright)
        cls.addClassCleanup(cls.browser.close)

    def setUp(self):
        super().setUp()
        self.smtp.clear()
        context = self.browser.new_context(
            viewport=support.VIEWPORT, locale='en-US', timezone_id='UTC')
        self.addCleanup(context.close)
        self.client = support.WebClient(context.new_page(), self.server.url)

    @contextlib.contextmanager
    def step(self, description):
        """Run one step of the story; on failure say which, with what the
        browser showed and the end of the server's log"""
        try:
            yield
        except (AssertionError, PlaywrightError) as exception:
            directory = os.path.join(support.ROOT, 'var', 'test-browser')
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, f'{self._testMethodName}.png')
            try:
                self.client.page.screenshot(path=path)
            except PlaywrightError:
                path = None
            raise self.failureException(
                f"{description}: {exception}\n"
                f"--- in the browser (screenshot: {path}) ---\n"
                f"{self.client.diagnostic()}\n"
                f"--- end of the server log ---\n"
                f"{self.server.log(tail=3000)}") from exception

    def login(self):
        with self.step("Sign in as the agent"):
            self.client.login(
                self.database, support.AGENT_LOGIN, support.AGENT_PASSWORD)
            expect(self.client.page.locator('#user-preferences')
                ).to_contain_text(support.AGENT_NAME)

    def open_tickets(self):
        client = self.client
        with self.step("Open the menu Helpdesk > Tickets"):
            client.open_menu("Helpdesk", "Tickets")
            # The agent's own open tickets come first
            expect(client.tab.locator('.tab-domain li.active')
                ).to_have_text(re.compile(r'^\s*My Tickets\b'))
            expect(client.rows).to_have_count(2)
            expect(client.rows.nth(0)).to_contain_text(
                "Invoice INV-2041 charged twice")
            expect(client.rows.nth(1)).to_contain_text(
                "Request for a quote: 40 extra licences")

    def customer_email(self, address, number):
        "Wait for the e-mail the customer receives about the ticket"
        deadline = time.monotonic() + support.TIMEOUT
        seen = 0
        while True:
            messages = self.smtp.wait(
                seen + 1, timeout=max(0, deadline - time.monotonic()))
            for recipients, message in messages:
                if (address in recipients
                        and f'[{number}]' in message['Subject']):
                    return message
            if len(messages) <= seen:
                break
            seen = len(messages)
        self.fail(f"{address} received no e-mail about {number}: "
            f"{[(r, m['Subject']) for r, m in messages]}")

    def assert_no_problem(self):
        self.assertEqual(
            self.client.problems, [],
            "errors in the browser console or failed requests")

    def test_open_ticket_and_reply(self):
        "Sign in, open the ticket list, open a ticket, post a reply"
        client = self.client
        self.login()
        self.open_tickets()

        with self.step("Show every open ticket"):
            client.tab_domain("All").click()
            expect(client.rows).to_have_count(len(support.TICKETS))
            # The urgent ticket first, its row in red
            expect(client.rows.first).to_contain_text("HD00001")
            expect(client.rows.first).to_have_class(re.compile(r'\bdanger\b'))
            for subject, *_ in support.TICKETS:
                expect(client.row(subject)).to_have_count(1)
            expect(client.row("HD00003")).to_contain_text("Bob Agent")
            expect(client.row("HD00003")).to_contain_text(
                "Waiting for Customer")

        with self.step("Take the screenshot of the ticket list"):
            client.toggle_menu()
            expect(self.client.page.locator('#menu')).to_be_hidden()
            path = client.screenshot('ticket-list.png')
            self.assertEqual(png_size(path), (1280, 800))
            client.toggle_menu()

        with self.step("Open the urgent ticket"):
            client.open_row("HD00001")
            expect(client.field('name')).to_have_value(
                "Invoice INV-2041 charged twice")
            expect(client.field('number')).to_have_value("HD00001")
            expect(client.selection('state')).to_have_text("In Progress")
            expect(client.field('user')).to_have_value(support.AGENT_NAME)

        reply = ("We refunded the second charge of INV-2041: it shows on "
            "your statement within 3 days.")
        with self.step("Reply to the customer in the chat"):
            chat = client.open_chat()
            message = client.post(chat, reply)
            expect(message).to_contain_text(support.AGENT_NAME)
            expect(message.locator('.chat-content')).to_have_class(
                re.compile(r'\bchat-content-public\b'))

        with self.step("A long link in a note wraps inside the chat"):
            link = ("https://payments.example/statements/INV-2041/"
                + "refund-" * 30 + "second-charge")
            note = client.post(chat, link, internal=True)
            content = note.locator('.chat-content')
            width = content.evaluate('e => e.getBoundingClientRect().width')
            chat_width = chat.evaluate(
                'e => e.getBoundingClientRect().width')
            self.assertLessEqual(width, chat_width)
            self.assertLessEqual(
                chat.evaluate('e => e.scrollWidth - e.clientWidth'), 0)

        with self.step("The customer receives the reply by e-mail"):
            email = self.customer_email(
                'support@northwind.example', "HD00001")
            self.assertIn(support.AGENT_NAME, email['Subject'])
            self.assertEqual(email.get_content().strip(), reply)

        self.assert_no_problem()

    def test_ticket_from_creation_to_solved(self):
        "Create a ticket, take it, answer the customer and solve it"
        client = self.client
        self.login()
        self.open_tickets()

        subject = "Wrong colour on my order"
        with self.step("Create a ticket in the form"):
            client.toolbar_button('new_').click()
            expect(client.form).to_be_visible()
            expect(client.selection('state')).to_have_text("New")
            client.field('name').fill(subject)
            client.fill_many2one('team', "Customer", support.TEAM_NAME)
            # The team gives the first stage
            expect(client.selection('stage')).to_have_text("New")
            client.field('description').fill(
                "I ordered a blue chair and received a red one.")
            client.notebook_page("Customer")
            client.fill_many2one('party', "Carol", "Carol Customer")
            # The customer's address is where the replies go
            expect(client.field('contact_email')).to_have_value(
                'carol@customer.example')
            expect(client.field('contact_name')).to_have_value(
                "Carol Customer")

        with self.step("Save the ticket"):
            client.toolbar_button('save').click()
            client.wait_for(
                client.info.filter(has_text="Record saved."),
                "the message Record saved.")
            expect(client.field('number')).to_have_value(
                re.compile(r'^HD\d{5}$'))
            number = client.field('number').input_value()
            expect(client.selection('state')).to_have_text("New")
            expect(client.field('user')).to_have_value('')

        with self.step("Assign the ticket to me"):
            client.button('assign_to_me').click()
            client.wait_for(
                client.selection_showing('state', "In Progress"),
                "the state In Progress")
            expect(client.selection('stage')).to_have_text("In Progress")
            expect(client.field('user')).to_have_value(support.AGENT_NAME)

        reply = ("Sorry about that: a blue chair leaves our warehouse today, "
            "please keep the red one.")
        with self.step("Reply to the customer in the chat"):
            chat = client.open_chat()
            expect(chat.get_by_role(
                    'checkbox', name="Make this an internal message")
                ).not_to_be_checked()
            message = client.post(chat, reply)
            expect(message).to_contain_text(support.AGENT_NAME)
            expect(message.locator('.chat-content')).to_have_class(
                re.compile(r'\bchat-content-public\b'))

        with self.step("The customer receives the reply by e-mail"):
            email = self.customer_email('carol@customer.example', number)
            self.assertIn(subject, email['Subject'])
            self.assertIn(support.AGENT_NAME, email['Subject'])
            self.assertEqual(email.get_content().strip(), reply)

        with self.step("Take the screenshot of the ticket and its chat"):
            client.close_info()
            client.notebook_page("Ticket")
            client.toggle_menu()
            path = client.screenshot('ticket-form.png')
            self.assertEqual(png_size(path), (1280, 800))
            client.toggle_menu()

        with self.step("Solve the ticket"):
            client.button('solve').click()
            client.wait_for(
                client.selection_showing('state', "Solved"),
                "the state Solved")
            expect(client.selection('stage')).to_have_text("Solved")
            # A solved ticket is closed: it can only be reopened
            expect(client.button('solve')).to_be_hidden()
            expect(client.button('reopen')).to_be_visible()
            expect(client.field('name')).to_have_attribute('readonly', '')
            # The conversation stays beside the ticket
            expect(chat.locator('.chat-message', has_text=reply)
                ).to_be_visible()

        with self.step("The ticket is solved in the database"):
            Ticket = Model.get('helpdesk.ticket', config=self.config)
            ticket, = Ticket.find([('number', '=', number)])
            self.assertEqual(ticket.state, 'solved')
            self.assertEqual(ticket.user.login, support.AGENT_LOGIN)
            self.assertEqual(ticket.party.name, "Carol Customer")
            self.assertTrue(ticket.first_response_date)
            self.assertTrue(ticket.closed_date)

        self.assert_no_problem()

    def test_views_use_widgets_of_the_web_client(self):
        "Every field of the helpdesk views has a widget the web client knows"
        # The web client stops building a view on a field it has no widget
        # for ("ColumnFactory is not a constructor"): a date and time in a
        # list needs widget="date" or widget="time"
        View = Model.get('ir.ui.view', config=self.config)
        known = {t: support.sao_widgets(t) for t in ['tree', 'form']}
        unknown = []
        for view in View.find([('module', 'like', 'helpdesk_%')]):
            target = view.inherit or view
            if target.type not in known:
                continue
            Target = Model.get(target.model, config=self.config)
            result = Target._proxy.fields_view_get(
                target.id, target.type, self.config.context)
            arch = ElementTree.fromstring(result['arch'])
            for field in arch.iter('field'):
                name = field.get('name')
                widget = field.get('widget') or result['fields'][name]['type']
                if widget not in known[target.type]:
                    unknown.append(
                        f"{view.module}/view/{view.name}.xml: {name} "
                        f"({widget}) in a {target.type} view")
        self.assertEqual(
            unknown, [], "fields the web client cannot show")
