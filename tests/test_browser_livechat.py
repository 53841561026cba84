# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""A visitor chats with an operator in Chromium: two browsers, the
visitor's on the website (and on another site that embeds the chat) and the
operator's with the web client (sao) and the live chat console, against a
real trytond server with Tryton's bus (long polling on PostgreSQL) that
sends its e-mails to a local SMTP sink. The chat ends in a ticket whose
conversation holds the transcript.

Needs PostgreSQL, Debian's Chromium and the web client with Bootstrap
(`make web`); outside CI a missing piece skips the tests, in CI it fails
them. The screenshots of addons/helpdesk_website/doc/livechat.rst are taken
here, for addons/helpdesk_website/doc/images (saved under var/screenshots;
HELPDESK_UPDATE_SCREENSHOTS=1 refreshes the committed ones):
livechat-widget.png, livechat-console.png,
livechat-fa-widget.png, livechat-fa-console.png, livechat-embed.png."""

import contextlib
import http.server
import os
import re
import threading
import time
import unittest

from proteus import Model

from . import support
from . import website_support as ws

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect, sync_playwright
except ImportError:
    # support.require_chromium() says what to install
    PlaywrightError = Exception

IMAGES = os.path.join(
    support.ROOT, 'addons', 'helpdesk_website', 'doc', 'images')
QUESTION = "Hello, my parcel SO-2231 has not arrived yet."
ANSWER = "Hello Vera, I am looking at your order right now."
DETAIL = "It was due last Monday."
SUBJECT = "Parcel SO-2231 not delivered"
FA_QUESTION = "سلام، سفارش من هنوز نرسیده است."
FA_ANSWER = "سلام، همین حالا سفارش شما را بررسی می‌کنم."
SHOP_QUESTION = "Do you ship to Tabriz?"
SHOP_ANSWER = "Yes, in three working days."
SHOP_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Northwind Shop</title>
<style>body {{ font: 16px sans-serif; margin: 0; background: #f4f6f8 }}
header {{ background: #263238; color: #fff; padding: 16px 24px }}
main {{ padding: 24px }}</style></head>
<body><header>Northwind Shop</header>
<main><h1>Desk lamps</h1><p>Free delivery from 50 EUR.</p></main>
<script src="{src}" data-team="{team}" async></script>
</body></html>"""


class LiveChatServer(ws.TrytondServer):
    "The server of the website's tests, with Tryton's bus"

    def _write_config(self):
        super()._write_config()
        with open(self.config_file, 'a') as fp:
            fp.write(
                '\n[bus]\nallow_subscribe = True\n'
                'long_polling_timeout = 30\n')


class ShopServer:
    "Another site, on another origin, whose page embeds the chat"

    def __init__(self, html):
        page = html.encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header('Content-Type', 'text/html; charset=utf-8')
                self.send_header('Content-Length', str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass
        self.server = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), Handler)
        # Another origin than the helpdesk's 127.0.0.1
        self.url = f'http://localhost:{self.server.server_port}/'
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class LiveChatBrowserTestCase(unittest.TestCase):
    "Visitors chat with the operators of a team in real time"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_chromium()
        support.require_web_client()
        support.require_server_database()
        from trytond.tests.test_tryton import backend
        support.require(
            backend.name == 'postgresql',
            "The live chat in real time needs Tryton's bus",
            "run it on PostgreSQL (TRYTOND_DATABASE_URI="
            "postgresql://postgres@127.0.0.1:5432/)")

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
        Team = Model.get('helpdesk.team', config=cls.config)
        User = Model.get('res.user', config=cls.config)
        team = Team(cls.data.team.id)
        team.visibility = 'portal'
        team.website_published = True
        team.livechat = True
        team.members.extend([
                User(cls.data.agent.id), User(cls.data.agents['bob'].id)])
        team.save()
        cls.team = team
        cls.database = DB_NAME

        cls.server = LiveChatServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)

    def setUp(self):
        super().setUp()
        self.smtp.clear()
        self.pages = {}

    def new_context(self, locale='en-US'):
        context = self.browser.new_context(
            viewport=support.VIEWPORT, locale=locale, timezone_id='UTC',
            reduced_motion='reduce')
        self.addCleanup(context.close)
        return context

    def watch(self, name, page):
        watched = support.WatchedPage()
        watched.EXPECTED_FAILURES = [(404, '/favicon.ico')]
        watched.watch(page)
        self.pages[name] = watched
        return page

    @contextlib.contextmanager
    def step(self, description):
        "Run a step; on failure say which, with the screens and the log"
        try:
            yield
        except (AssertionError, PlaywrightError) as exception:
            directory = os.path.join(support.ROOT, 'var', 'test-browser')
            os.makedirs(directory, exist_ok=True)
            shown = []
            for name, watched in self.pages.items():
                path = os.path.join(
                    directory, f'{self._testMethodName}-{name}.png')
                try:
                    watched.page.screenshot(path=path)
                except PlaywrightError:
                    path = None
                shown.append(f"--- {name} (screenshot: {path}) ---\n"
                    + '\n'.join(watched.problems))
            raise self.failureException(
                f"{description}: {exception}\n" + '\n'.join(shown)
                + "\n--- end of the server log ---\n"
                f"{self.server.log(tail=3000)}") from exception

    def screenshot(self, page, name, locator=None):
        directory = support.screenshot_directory(IMAGES)
        os.makedirs(directory, exist_ok=True)
        page.evaluate(
            '() => document.activeElement && document.activeElement.blur()')
        page.mouse.move(0, 0)
        path = os.path.join(directory, name)
        (locator or page).screenshot(path=path)
        return path

    def email(self, address, test):
        deadline = time.monotonic() + support.TIMEOUT
        while time.monotonic() < deadline:
            messages = self.smtp.wait(
                len(self.smtp.messages) + 1,
                timeout=max(0, deadline - time.monotonic()))
            for recipients, message in messages:
                if address in recipients and test(message):
                    return message
        self.fail(f"{address} received no e-mail: "
            f"{[(r, m['Subject']) for r, m in self.smtp.messages]}")

    def assert_no_problem(self):
        for name, watched in self.pages.items():
            self.assertEqual(watched.problems, [], name)

    def open_console(self, lang=None):
        """The operator signs in to the web client and opens the console
        from the Helpdesk menu: it opens beside the web client"""
        context = self.new_context()
        client = support.WebClient(context.new_page(), self.server.url)
        self.pages['sao'] = client
        client.login(
            self.database, support.AGENT_LOGIN, support.AGENT_PASSWORD)
        page = client.page
        page.locator('#menu .column-char', has_text=support.exact(
                "Helpdesk")).click()
        with context.expect_page() as opened:
            page.locator('#menu .column-char', has_text=support.exact(
                    "Live Chat Console")).click()
        console = self.watch('console', opened.value)
        console.wait_for_load_state()
        expect(console.locator('#console-operator')).to_contain_text(
            support.AGENT_NAME)
        if lang:
            console.goto(console.url + f'?lang={lang}')
        return client, console

    def open_widget(self, page):
        page.locator('#livechat-open').click()
        expect(page.locator('#livechat-panel')).to_be_visible()

    # The stories

    def test_chat_to_ticket(self):
        """A visitor chats with the operator in real time; the operator
        makes a ticket by typing /ticket: the ticket's conversation holds
        the transcript and the visitor gets the acknowledgement"""
        visitor = self.watch('visitor', self.new_context().new_page())
        root = f'{self.server.url}{self.database}/helpdesk'

        with self.step("Nobody online: the widget offers to leave a message"):
            visitor.goto(root + '/')
            self.open_widget(visitor)
            expect(visitor.locator('#livechat-leave')).to_be_visible()
            expect(visitor.locator('#livechat-offline-text')).to_contain_text(
                "Nobody is online right now")

        with self.step("The operator opens the console from the menu"):
            client, console = self.open_console()
            expect(console.locator('#console-nobody')).to_be_visible()
            expect(console.locator('#console-team-names')).to_have_text(
                support.TEAM_NAME)

        with self.step("The visitor starts a chat"):
            visitor.reload()
            self.open_widget(visitor)
            expect(visitor.locator('#livechat-start')).to_be_visible()
            visitor.locator('#livechat-start-name').fill(ws.VISITOR_NAME)
            visitor.locator('#livechat-start-email').fill(ws.VISITOR_EMAIL)
            visitor.locator('#livechat-start-content').fill(QUESTION)
            visitor.locator('#livechat-start-submit').click()
            expect(visitor.locator('#livechat-operator')).to_have_text(
                "Waiting for an operator…")
            expect(visitor.locator('#livechat-messages li')).to_have_text(
                [re.compile(re.escape(QUESTION))])

        with self.step("The console shows the waiting visitor at once"):
            waiting = console.locator('#console-waiting li')
            expect(waiting).to_have_count(1)
            expect(waiting).to_contain_text(ws.VISITOR_NAME)
            expect(waiting).to_contain_text(QUESTION)
            expect(waiting.locator('.helpdesk-console-wait')).to_have_text(
                re.compile(r'^\d+ min \d+ s$'))
            # The console's tab counts the waiting visitors
            expect(console).to_have_title(
                re.compile(r'^\(1\) Live chat console'))

        with self.step("The operator takes the chat and answers"):
            waiting.get_by_role('button', name="Take").click()
            chat = console.locator(
                '.helpdesk-console-chat', has_text=ws.VISITOR_NAME)
            expect(chat).to_have_count(1)
            expect(console.locator('#console-waiting li')).to_have_count(0)
            messages = chat.locator('.helpdesk-livechat-message')
            expect(messages.first).to_contain_text(QUESTION)
            chat.locator('textarea').fill(ANSWER)
            chat.get_by_role('button', name="Send").click()
            expect(chat.locator('textarea')).to_have_value('')

        with self.step("The visitor sees the answer in real time"):
            expect(visitor.locator('#livechat-operator')).to_have_text(
                f"You are chatting with {support.AGENT_NAME}")
            answer = visitor.locator(
                '#livechat-messages li[data-author="operator"]')
            expect(answer).to_contain_text(ANSWER)
            expect(answer).to_contain_text(support.AGENT_NAME)

        with self.step("The operator sees the visitor's reply in real time"):
            visitor.locator('#livechat-reply-content').fill(DETAIL)
            visitor.locator('#livechat-reply-content').press('Enter')
            expect(chat.locator(
                    '.helpdesk-livechat-message[data-author="visitor"]')
                ).to_have_count(2)
            expect(messages.last).to_contain_text(DETAIL)
            self.screenshot(visitor, 'livechat-widget.png')

        with self.step("A second visitor waits while the first one chats"):
            other = self.watch('other', self.new_context().new_page())
            other.goto(root + f'/teams/{self.team.id}')
            self.open_widget(other)
            other.locator('#livechat-start-name').fill("Omid Karimi")
            other.locator('#livechat-start-email').fill('omid@shop.example')
            other.locator('#livechat-start-content').fill(
                "Can I change my delivery address?")
            other.locator('#livechat-start-submit').click()
            expect(console.locator('#console-waiting li')).to_contain_text(
                "Omid Karimi")
            self.screenshot(console, 'livechat-console.png')

        with self.step("The operator types /ticket and a subject"):
            chat.locator('textarea').fill(f'/ticket {SUBJECT}')
            chat.locator('textarea').press('Enter')
            ticket = chat.locator('.helpdesk-console-ticket')
            expect(ticket).to_have_text(re.compile(r'^Ticket HD\d{5}$'))
            number = ticket.inner_text().split()[-1]
            # A link to the ticket in the web client
            expect(ticket).to_have_attribute('href', re.compile(
                    r'^/#%s/model/helpdesk\.ticket/\d+$' % re.escape(
                        self.database)))

        with self.step("The visitor sees the number of the ticket"):
            expect(visitor.locator('#livechat-ticket-number')).to_have_text(
                f"Ticket {number}")
            expect(visitor.locator(
                    '#livechat-messages li[data-author="system"]').last
                ).to_contain_text(number)

        with self.step("The visitor gets the acknowledgement by e-mail"):
            message = self.email(
                ws.VISITOR_EMAIL, lambda m: f'[{number}]' in m['Subject'])
            self.assertIn(SUBJECT, message['Subject'])

        with self.step("The agent finds the transcript in the ticket's chat"):
            client.open_menu("Tickets")
            client.tab_domain("All").click()
            client.open_row(SUBJECT)
            expect(client.field('number')).to_have_value(number)
            expect(client.field('contact_email')).to_have_value(
                ws.VISITOR_EMAIL)
            expect(client.selection('channel')).to_have_text("Live Chat")
            sidebar = client.open_chat()
            transcript = sidebar.locator(
                '.chat-message', has_text="Live chat with")
            expect(transcript).to_have_count(1)
            for author, text in [
                    (ws.VISITOR_NAME, QUESTION),
                    (support.AGENT_NAME, ANSWER),
                    (ws.VISITOR_NAME, DETAIL)]:
                expect(transcript).to_contain_text(
                    re.compile(r'\[\d\d:\d\d:\d\d\] %s: %s' % (
                            re.escape(author), re.escape(text))))
            expect(transcript.locator('.chat-content')).to_have_class(
                re.compile(r'\bchat-content-public\b'))

        with self.step("The visitor ends the chat"):
            visitor.locator('#livechat-end').click()
            expect(visitor.locator('#livechat-done')).to_have_text(
                "The chat has ended. Thank you!")
            expect(chat).to_have_count(0)

        self.assert_no_problem()

    def test_persian_chat(self):
        "A Persian visitor chats from right to left with the operator"
        visitor = self.watch(
            'visitor', self.new_context(locale='fa-IR').new_page())
        root = f'{self.server.url}{self.database}/helpdesk'
        with self.step("The operator opens the console in Persian"):
            client, console = self.open_console(lang='fa')
            expect(console.locator('html')).to_have_attribute('dir', 'rtl')
            expect(console.locator('.navbar-brand')).to_have_text(
                "میز گفتگوی زنده")

        with self.step("The visitor starts a chat in Persian"):
            visitor.goto(root + '/?lang=fa')
            expect(visitor.locator('html')).to_have_attribute('dir', 'rtl')
            self.open_widget(visitor)
            expect(visitor.locator('#livechat')).to_have_attribute(
                'dir', 'rtl')
            visitor.locator('#livechat-start-name').fill("سارا احمدی")
            visitor.locator('#livechat-start-email').fill(
                'sara@customer.example')
            visitor.locator('#livechat-start-content').fill(FA_QUESTION)
            visitor.locator('#livechat-start-submit').click()
            expect(visitor.locator('#livechat-operator')).to_have_text(
                "در انتظار یک پشتیبان…")

        with self.step("The operator takes it and answers"):
            waiting = console.locator(
                '#console-waiting li', has_text="سارا احمدی")
            expect(waiting).to_have_count(1)
            waiting.locator('.helpdesk-console-take').click()
            chat = console.locator(
                '.helpdesk-console-chat', has_text="سارا احمدی")
            expect(chat).to_have_count(1)
            chat.locator('textarea').fill(FA_ANSWER)
            chat.locator('.helpdesk-console-send').click()
            expect(visitor.locator(
                    '#livechat-messages li[data-author="operator"]')
                ).to_contain_text(FA_ANSWER)
            expect(visitor.locator('#livechat-operator')).to_have_text(
                f"در حال گفتگو با {support.AGENT_NAME}")
            panel = visitor.locator('#livechat-panel').bounding_box()
            self.assertLess(
                panel['x'], support.VIEWPORT['width'] / 2,
                "the chat of a right-to-left page is not on the left")
            self.screenshot(visitor, 'livechat-fa-widget.png')
            self.screenshot(console, 'livechat-fa-console.png')

        with self.step("The operator ends the chat"):
            chat.locator('.helpdesk-console-close').click()
            expect(visitor.locator('#livechat-done')).to_be_visible()
        self.assert_no_problem()

    def test_embedded_chat(self):
        "The snippet shows the chat on another site, in real time"
        shop = ShopServer(SHOP_PAGE.format(
                src=f'{self.server.url}{self.database}/helpdesk/livechat/'
                'embed.js', team=self.team.id)).start()
        self.addCleanup(shop.stop)
        client, console = self.open_console()
        page = self.watch('shop', self.new_context().new_page())
        with self.step("The shop's page shows the chat's button"):
            page.goto(shop.url)
            frame_element = page.locator('iframe.helpdesk-livechat-embed')
            expect(frame_element).to_be_visible()
            frame = page.frame_locator('iframe.helpdesk-livechat-embed')
            frame.locator('#livechat-open').click()
            expect(frame.locator('#livechat-start')).to_be_visible()
            # The frame grows as the chat opens
            expect(frame_element).to_have_css('height', '600px')

        with self.step("The visitor of the shop chats with the operator"):
            frame.locator('#livechat-start-name').fill("Omid Karimi")
            frame.locator('#livechat-start-email').fill('omid@shop.example')
            frame.locator('#livechat-start-content').fill(SHOP_QUESTION)
            frame.locator('#livechat-start-submit').click()
            waiting = console.locator(
                '#console-waiting li', has_text=SHOP_QUESTION)
            expect(waiting).to_have_count(1)
            waiting.locator('.helpdesk-console-take').click()
            chat = console.locator(
                '.helpdesk-console-chat', has_text=SHOP_QUESTION)
            expect(chat).to_have_count(1)
            chat.locator('textarea').fill(SHOP_ANSWER)
            chat.locator('.helpdesk-console-send').click()
            expect(frame.locator(
                    '#livechat-messages li[data-author="operator"]')
                ).to_contain_text(SHOP_ANSWER)
            self.screenshot(page, 'livechat-embed.png')

        with self.step("The shop's page cannot read the chat"):
            # The frame is of the helpdesk's origin: the shop's scripts
            # get no access to its document
            self.assertIsNone(page.evaluate(
                '() => { try { return document.querySelector('
                '"iframe").contentDocument; } catch (e) { return null; } }'))
        self.assert_no_problem()
