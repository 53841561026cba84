# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""On the ticket form of the website, a signed-in customer who types their
question again is offered their ticket ("is your question one of
these?"), in Chromium against a real trytond server; a visitor who is not
signed in is offered nothing.

Needs PostgreSQL, Debian's Chromium and the web client with Bootstrap, as
test_browser_website.py does."""

import os
import re
import unittest

from . import support
from . import website_support as ws

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    # support.require_chromium() says what to install
    pass


class SimilarBrowserTestCase(unittest.TestCase):
    "The suggestions of the ticket form in the browser"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_chromium()
        support.require_web_client()
        support.require_server_database()
        support.require(
            os.path.isfile(os.path.join(
                    support.ROOT, 'web', 'node_modules', 'bootstrap5',
                    'dist', 'css', 'bootstrap.min.css')),
            "Bootstrap is not installed in web/node_modules",
            "run make web")

        from trytond.modules.company.tests.tools import create_company
        from trytond.modules.helpdesk_core.tests.tools import SMTPSink
        from trytond.tests.test_tryton import DB_NAME, drop_db
        from trytond.tests.tools import activate_modules

        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = support.launch_chromium(cls.playwright)
        cls.addClassCleanup(cls.browser.close)

        drop_db()
        cls.config = activate_modules('helpdesk_website', create_company)
        cls.addClassCleanup(drop_db)
        cls.data = support.create_helpdesk_data(cls.config)
        cls.site = ws.create_website_data(cls.data, cls.browser, cls.config)
        cls.database = DB_NAME
        cls.server = ws.TrytondServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)

    def website(self):
        context = self.browser.new_context(
            viewport=support.VIEWPORT, locale='en-US', timezone_id='UTC')
        self.addCleanup(context.close)
        return ws.Website(context.new_page(), self.server.url, self.database)

    def test_customer_offered_own_ticket(self):
        "Pat types the question of their ticket again and is offered it"
        website = self.website()
        page = website.page
        ticket = self.site.pat_ticket
        team = ticket.team

        try:
            website.sign_in(ws.PAT[1])
        except AssertionError as exception:
            raise AssertionError(self.server.log(tail=3000)) from exception
        website.goto('teams', team.id)
        box = page.locator('#similar-tickets')
        expect(box).to_be_hidden()

        page.locator('#name').press_sequentially(
            "Error 500 when opening the invoices")
        expect(box).to_be_visible()
        expect(box).to_contain_text("Is your question one of these?")
        link = box.locator('a')
        expect(link).to_have_text(
            [f"[{ticket.number}] {ws.PAT_TICKET}"])

        page.locator('#name').fill("Change the address of my account")
        page.locator('#name').dispatch_event('input')
        expect(box).to_be_hidden()

        page.locator('#name').fill("Error 500 on my invoices")
        page.locator('#name').dispatch_event('input')
        expect(link).to_have_count(1)
        link.click()
        expect(page).to_have_url(
            re.compile(rf'/portal/tickets/{ticket.id}$'))
        expect(page.locator('#ticket-subject')).to_have_text(ws.PAT_TICKET)
        self.assertEqual(website.problems, [])

    def test_visitor_offered_nothing(self):
        "A visitor who is not signed in has no suggestion box"
        website = self.website()
        page = website.page
        team = self.site.pat_ticket.team

        website.goto('teams', team.id)
        page.locator('#name').press_sequentially(ws.PAT_TICKET)
        expect(page.locator('#similar-tickets')).to_have_count(0)
        self.assertEqual(website.problems, [])
