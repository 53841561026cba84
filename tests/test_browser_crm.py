# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""An agent who also works with the sales opportunities converts a ticket
into an opportunity with the wizard of helpdesk_crm, in Tryton's web client
(sao), in Chromium, against a real trytond server.

Needs PostgreSQL (the server and the test share the database), Debian's
Chromium (HELPDESK_CHROMIUM, /usr/bin/chromium) and the web client
(`make web`). Outside CI a missing piece skips the tests; in CI it fails
them. The screenshots of the module's documentation are taken here:
addons/helpdesk_crm/doc/images/ticket-convert.png and
opportunity-from-ticket.png (saved under var/screenshots;
HELPDESK_UPDATE_SCREENSHOTS=1 refreshes the committed ones)."""

import contextlib
import email.message
import email.utils
import os
import re
import unittest

from proteus import Model

from tests import support

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    # support.require_chromium() says what to install
    PlaywrightError = Exception

QUOTE = "Request for a quote: 40 extra licences"
CUSTOMER = "Globex Corporation"
CUSTOMER_EMAIL = 'it@globex.example'
SALESPERSON = "Sam Seller"
CUSTOMER_MESSAGE = "We also need a training day for 12 people."
INTERNAL_NOTE = "Globex renews its support contract in March."
IMAGES = os.path.join(
    support.ROOT, 'addons', 'helpdesk_crm', 'doc', 'images')


class WebClient(support.WebClient):
    "The web client with the wizard dialogs"

    @property
    def dialog(self):
        "The wizard dialog shown above the tab"
        return self.page.locator('.modal.wizard-dialog:visible').last

    def dialog_field(self, name):
        return self.dialog.locator(
            f':is(input, select, textarea)[name="{name}"]').first

    def dialog_button(self, text):
        return self.dialog.locator(
            '.modal-footer button', has_text=support.exact(text))


class BrowserConvertTestCase(unittest.TestCase):
    "An agent converts a ticket into an opportunity in the web client"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_chromium()
        support.require_web_client()
        support.require_server_database()

        from trytond.modules.company.tests.tools import create_company
        from trytond.modules.helpdesk_core.tests.tools import (
            SMTPSink, deliver_email)
        from trytond.modules.helpdesk_crm.tests.tools import (
            create_employee, get_group)
        from trytond.tests.test_tryton import DB_NAME, drop_db
        from trytond.tests.tools import activate_modules

        # The server sends the e-mails to this sink of the test process
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)

        # A fresh database: another test of the process may have left one
        drop_db()
        cls.config = activate_modules('helpdesk_crm', create_company)
        cls.addClassCleanup(drop_db)
        cls.data = support.create_helpdesk_data(cls.config)
        cls.database = DB_NAME

        # Alice also works with the opportunities, Sam is the salesperson
        User = Model.get('res.user', config=cls.config)
        alice = User(cls.data.agent.id)
        alice.groups.append(get_group("Sale Opportunity", config=cls.config))
        alice.save()
        cls.salesperson = create_employee(SALESPERSON, config=cls.config)
        Configuration = Model.get(
            'helpdesk.configuration', config=cls.config)
        configuration = Configuration(1)
        configuration.opportunity_employee = cls.salesperson
        configuration.save()

        # The customer wrote by e-mail, an agent left an internal note
        cls.ticket, = [t for t in cls.data.tickets if t.name == QUOTE]
        message = email.message.EmailMessage()
        message['From'] = CUSTOMER_EMAIL
        message['Subject'] = f'Re: [{cls.ticket.number}] {QUOTE}'
        message['Message-ID'] = email.utils.make_msgid(
            domain='globex.example')
        message.set_content(CUSTOMER_MESSAGE)
        assert deliver_email(message, config=cls.config)
        Channel = Model.get('ir.chat.channel', config=cls.config)
        Channel.post(
            f'helpdesk.ticket,{cls.ticket.id}', INTERNAL_NOTE, 'internal',
            cls.config.context)

        cls.server = support.TrytondServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)

        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = support.launch_chromium(cls.playwright)
        cls.addClassCleanup(cls.browser.close)

    def setUp(self):
        super().setUp()
        context = self.browser.new_context(
            viewport=support.VIEWPORT, locale='en-US', timezone_id='UTC')
        self.addCleanup(context.close)
        self.client = WebClient(context.new_page(), self.server.url)

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

    def screenshot(self, name):
        "Save what the window shows into the module's documentation"
        directory = support.screenshot_directory(IMAGES)
        os.makedirs(directory, exist_ok=True)
        self.client.blur()
        self.client.page.screenshot(path=os.path.join(directory, name))

    def test_convert_ticket_to_opportunity(self):
        "Open a ticket, convert it with the wizard, land on the opportunity"
        client = self.client
        with self.step("Sign in as the agent"):
            client.login(
                self.database, support.AGENT_LOGIN, support.AGENT_PASSWORD)

        with self.step("Open the ticket asking for a quote"):
            client.open_menu("Helpdesk", "Tickets")
            expect(client.row(QUOTE)).to_have_count(1)
            client.open_row(QUOTE)
            expect(client.field('name')).to_have_value(QUOTE)

        with self.step("The ticket offers the conversion to an opportunity"):
            expect(client.button('convert_opportunity')).to_be_visible()
            expect(client.button('convert_opportunity')).to_contain_text(
                "Convert to Opportunity")
            # The configured default is an opportunity, not a lead
            expect(client.button('convert_lead')).to_be_hidden()

        with self.step("Open the conversion wizard"):
            client.button('convert_opportunity').click()
            client.wait_for(client.dialog, "the conversion wizard")
            expect(client.dialog).to_contain_text(
                "Convert to Lead or Opportunity")

        with self.step("The wizard proposes the ticket's customer"):
            expect(client.dialog_field('customer_action').locator(
                    'option:checked')).to_have_text(
                "Link to an Existing Customer")
            expect(client.dialog_field('party')).to_have_value(CUSTOMER)
            expect(client.dialog_field('contact_email')).to_have_value(
                CUSTOMER_EMAIL)
            expect(client.dialog_field('employee')).to_have_value(
                SALESPERSON)
            expect(client.dialog_field('as_lead')).not_to_be_checked()

        with self.step("Take the screenshot of the wizard"):
            self.screenshot('ticket-convert.png')

        with self.step("Convert: the new opportunity opens"):
            client.dialog_button("Convert").click()
            expect(client.dialog).to_have_count(0)
            client.wait_for(
                client.page.locator(
                    '#tablist li.active',
                    has_text="Leads and Opportunities"),
                "the tab of the opportunity")
            expect(client.form).to_be_visible()
            expect(client.field('description')).to_have_value(QUOTE)
            expect(client.field('party')).to_have_value(CUSTOMER)
            expect(client.field('employee')).to_have_value(SALESPERSON)
            expect(client.selection('state')).to_have_text("Opportunity")
            expect(client.field('helpdesk_ticket')).to_have_value(
                re.compile(re.escape(f'[{self.ticket.number}] {QUOTE}')))

        with self.step("The conversation followed into the opportunity"):
            chat = client.open_chat()
            customer = chat.locator('.chat-message', has_text=CUSTOMER_MESSAGE)
            expect(customer).to_be_visible()
            note = chat.locator('.chat-message', has_text=INTERNAL_NOTE)
            expect(note.locator('.chat-content')).to_have_class(
                re.compile(r'\bchat-content-internal\b'))
            expect(chat.locator(
                    '.chat-message', has_text="Converted from the helpdesk "
                    f'ticket "[{self.ticket.number}] {QUOTE}"')
                ).to_be_visible()

        with self.step("Take the screenshot of the opportunity"):
            client.toggle_menu()
            self.screenshot('opportunity-from-ticket.png')
            client.toggle_menu()

        with self.step("The ticket is archived and linked"):
            Ticket = Model.get('helpdesk.ticket', config=self.config)
            ticket = Ticket(self.ticket.id)
            self.assertFalse(ticket.active)
            self.assertEqual(ticket.opportunity.description, QUOTE)
            self.assertEqual(ticket.opportunity.state, 'opportunity')
            self.assertEqual(
                ticket.opportunity.employee.id, self.salesperson.id)

        self.assertEqual(
            self.client.problems, [],
            "errors in the browser console or failed requests")
