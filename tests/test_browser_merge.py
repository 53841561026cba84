# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""An agent merges a duplicate ticket with the Merge button of the ticket
form, in Tryton's web client (sao), in Chromium, against a real trytond
server, then undoes the merge.

Needs PostgreSQL (the server and the test share the database), Debian's
Chromium (HELPDESK_CHROMIUM, /usr/bin/chromium) and the web client
(`make web`). Outside CI a missing piece skips the tests; in CI it fails
them."""

import contextlib
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

ORIGINAL = "Printer jams on the second page"
DUPLICATE = "Printer jams on the second page again"
SAO_DIALOG_CLOSE_ERROR = (
    "JavaScript error: Cannot read properties of undefined (reading 'parent')")


class WebClient(support.WebClient):
    "The web client with the wizard dialogs"

    @property
    def dialog(self):
        "The wizard dialog shown above the tab"
        return self.page.locator('.modal.wizard-dialog:visible').last

    def dialog_button(self, text):
        return self.dialog.locator(
            '.modal-footer button', has_text=support.exact(text))

    def dialog_row(self, text):
        return self.dialog.locator('.treeview tbody tr', has_text=text)


class BrowserMergeTestCase(unittest.TestCase):
    "An agent merges a duplicate in the web client"

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

        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)

        drop_db()
        cls.config = activate_modules('helpdesk_core', create_company)
        cls.addClassCleanup(drop_db)
        cls.data = support.create_helpdesk_data(cls.config)
        cls.database = DB_NAME

        Ticket = Model.get('helpdesk.ticket', config=cls.config)
        cls.tickets = []
        for name in [ORIGINAL, DUPLICATE]:
            ticket = Ticket(name=name, team=cls.data.team)
            ticket.party = cls.data.customers[0]
            ticket.user = cls.data.agent
            ticket.description = "The printer of the second floor."
            ticket.save()
            cls.tickets.append(ticket)

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

    def test_merge_and_undo(self):
        "Merge the duplicate from its form, then undo the merge"
        client = self.client
        original, duplicate = self.tickets
        with self.step("Sign in as the agent"):
            client.login(
                self.database, support.AGENT_LOGIN, support.AGENT_PASSWORD)

        with self.step("Open the duplicate"):
            client.open_menu("Helpdesk", "Tickets")
            expect(client.row(DUPLICATE)).to_have_count(1)
            client.open_row(DUPLICATE)
            expect(client.field('name')).to_have_value(DUPLICATE)
            # The form is loaded: its buttons save it first
            expect(client.selection('stage')).to_have_text("New")

        with self.step("The merge dialog proposes the original, unchecked"):
            client.button('merge').click()
            client.wait_for(client.dialog, "the merge dialog")
            expect(client.dialog).to_contain_text("Merge Tickets")
            row = client.dialog_row(f'] {ORIGINAL}').filter(
                has_not_text=DUPLICATE)
            expect(row).to_have_count(1)
            # After the selection box of the row
            checkbox = row.locator('input[type="checkbox"]').nth(1)
            expect(checkbox).not_to_be_checked()
            # Its similarity to the surviving one, between 0 and 1
            expect(row).to_contain_text(re.compile(r'0\.\d\d'))

        with self.step("Check it and merge it into the duplicate"):
            checkbox.click()
            expect(checkbox).to_be_checked()
            # The ticket of the form is the surviving one
            expect(client.dialog.locator('input[name="survivor"]').first
                ).to_have_value(re.compile(re.escape(DUPLICATE) + r'$'))
            client.dialog_button("Merge").click()
            expect(client.dialog).to_have_count(0)

        with self.step("The original is archived into the duplicate"):
            Ticket = Model.get('helpdesk.ticket', config=self.config)
            with self.config.set_context(active_test=False):
                merged = Ticket(original.id)
            self.assertFalse(merged.active)
            self.assertEqual(merged.merged_into.id, duplicate.id)

        with self.step("Open the archived ticket: it offers the undo only"):
            client.page.goto(
                f'{self.server.url}#{self.database}'
                f'/model/helpdesk.ticket/{original.id}')
            expect(client.form).to_be_visible()
            expect(client.field('name')).to_have_value(ORIGINAL)
            expect(client.button('undo_merge')).to_be_visible()
            expect(client.button('transfer')).to_be_hidden()
            expect(client.button('merge')).to_be_hidden()

        with self.step("Undo the merge"):
            client.button('undo_merge').click()
            confirm = client.page.locator('.modal:visible').last
            confirm.get_by_role('button', name="OK").click()
            expect(client.button('undo_merge')).to_be_hidden()
            merged = Ticket(original.id)
            self.assertTrue(merged.active)
            self.assertIsNone(merged.merged_into)

        # sao 8.0 throws this when the wizard dialog with its editable list
        # of unsaved lines closes on Merge; the merge itself went through
        problems = [p for p in self.client.problems
            if p != SAO_DIALOG_CLOSE_ERROR]
        self.assertEqual(
            problems, [], "errors in the browser console or failed requests")
