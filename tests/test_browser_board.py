# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""An agent works on the board of a team in Chromium: opened from the
web client's menu (sao), a card dragged to another column moves the ticket
as the agent (the web client shows the new stage), a move the agent's
rights refuse snaps back with the server's message, and the board follows
the moves of others; against a real trytond server (with Tryton's bus on
PostgreSQL).

Needs Debian's Chromium and the web client with Bootstrap and SortableJS
(`make web`); outside CI a missing piece skips the tests, in CI it fails
them. The screenshots of addons/helpdesk_website/doc/board.rst are taken
here, for addons/helpdesk_website/doc/images (saved under var/screenshots;
HELPDESK_UPDATE_SCREENSHOTS=1 refreshes the committed ones):
board.png, board-fa.png."""

import contextlib
import os
import re
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
LOGIN_TICKET = "Cannot log in to the customer portal"
EXPORT_TICKET = "How do I export my data to CSV?"
ARCHIVE_TEAM = "Archive"
ARCHIVE_TICKET = "Old contract renewal"
FA_TICKET = "چاپگر طبقه دوم کاغذ را گیر می‌اندازد"


class BoardServer(ws.TrytondServer):
    "The server of the website's tests, with Tryton's bus"

    def _write_config(self):
        super()._write_config()
        with open(self.config_file, 'a') as fp:
            fp.write(
                '\n[bus]\nallow_subscribe = True\n'
                'long_polling_timeout = 30\n')


class BoardBrowserTestCase(unittest.TestCase):
    "Agents move the tickets of their team on the board"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_chromium()
        support.require_web_client()
        support.require_server_database()
        support.require(
            os.path.isfile(os.path.join(
                    support.ROOT, 'web', 'node_modules', 'sortablejs',
                    'Sortable.min.js')),
            "The board needs SortableJS", "run make web")

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
        Ticket = Model.get('helpdesk.ticket', config=cls.config)
        RuleGroup = Model.get('ir.rule.group', config=cls.config)
        team = Team(cls.data.team.id)
        team.members.extend([
                User(cls.data.agent.id), User(cls.data.agents['bob'].id)])
        team.save()
        cls.team = team
        archive = Team(name=ARCHIVE_TEAM, visibility='internal')
        archive.save()
        cls.archive = archive
        # The tickets of the archive team are read-only for everyone
        rule_group = RuleGroup(
            name="Archived tickets are read-only", global_p=True,
            perm_read=False, perm_write=True, perm_create=False,
            perm_delete=True)
        rule_group.model = 'helpdesk.ticket'
        rule_group.rules.new(domain='[["team", "!=", %d]]' % archive.id)
        rule_group.save()
        ticket = Ticket(name=ARCHIVE_TICKET, team=archive)
        ticket.party = cls.data.customers[2]
        ticket.user = User(cls.data.agent.id)
        ticket.save()
        cls.archive_ticket = ticket
        cls.database = DB_NAME

        cls.server = BoardServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)

    def setUp(self):
        super().setUp()
        self.pages = {}

    def new_context(self, locale='en-US'):
        context = self.browser.new_context(
            viewport={'width': 1440, 'height': 860}, locale=locale,
            timezone_id='UTC', reduced_motion='reduce')
        self.addCleanup(context.close)
        return context

    def watch(self, name, page, expected=()):
        watched = support.WatchedPage()
        watched.EXPECTED_FAILURES = [(404, '/favicon.ico'), *expected]
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

    def screenshot(self, page, name):
        directory = support.screenshot_directory(IMAGES)
        os.makedirs(directory, exist_ok=True)
        page.evaluate(
            '() => document.activeElement && document.activeElement.blur()')
        page.mouse.move(0, 0)
        path = os.path.join(directory, name)
        page.screenshot(path=path)
        return path

    def assert_no_problem(self):
        for name, watched in self.pages.items():
            self.assertEqual(watched.problems, [], name)

    def open_board(self, team_name, expected=()):
        """The agent signs in to the web client and opens the boards from
        the Helpdesk menu: they open beside the web client"""
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
                    "Agent Board")).click()
        board = self.watch('board', opened.value, expected)
        board.wait_for_load_state()
        expect(board.locator('.navbar-brand')).to_have_text("Boards")
        board.locator('#board-teams a', has_text=team_name).click()
        expect(board.locator('#board-title')).to_have_text(
            f"Board: {team_name}")
        expect(board.locator('.helpdesk-board-column').first).to_be_visible()
        return context, client, board

    def column(self, board, name):
        return board.locator('.helpdesk-board-column', has=board.locator(
                '.helpdesk-board-stage', has_text=support.exact(name)))

    def card(self, board, text):
        return board.locator('.helpdesk-board-card', has_text=text)

    def drag(self, board, card, column):
        "Drag the card onto the list of the column, as a mouse does"
        source = card.bounding_box()
        target = column.locator('.helpdesk-board-cards').bounding_box()
        board.mouse.move(
            source['x'] + source['width'] / 2,
            source['y'] + source['height'] / 2)
        board.mouse.down()
        x = target['x'] + target['width'] / 2
        y = target['y'] + min(target['height'] / 2, 40)
        board.mouse.move(x, y, steps=12)
        board.mouse.move(x, y + 2, steps=2)
        board.mouse.up()

    def stage_of(self, ticket_id):
        Ticket = Model.get('helpdesk.ticket', config=self.config)
        return Ticket(ticket_id).stage.name

    # The stories

    def test_drag_to_stage(self):
        """The agent drags a card to another column: the ticket is in that
        stage in the web client; the board follows the moves of others"""
        ticket, = [t for t in self.data.tickets if t.name == LOGIN_TICKET]
        export, = [t for t in self.data.tickets if t.name == EXPORT_TICKET]
        context, client, board = self.open_board(support.TEAM_NAME)

        with self.step("The board shows the stages and the cards"):
            new = self.column(board, "New")
            progress = self.column(board, "In Progress")
            expect(new.locator('.helpdesk-board-count')).to_have_text("2")
            expect(progress.locator('.helpdesk-board-count')).to_have_text(
                "2")
            card = self.card(board, LOGIN_TICKET)
            expect(card).to_contain_text("Carol Customer")
            expect(card).to_contain_text("Unassigned")
            expect(card.locator('.helpdesk-board-priority')).to_have_text(
                "High")
            # The closing stages are folded: a count, no card
            solved = self.column(board, "Solved")
            expect(solved).to_have_class(re.compile('helpdesk-board-folded'))
            self.screenshot(board, 'board.png')

        with self.step("The filters"):
            board.locator('label[for="board-who-mine"]').click()
            expect(board.locator('.helpdesk-board-card')).to_have_count(2)
            expect(self.card(board, "Invoice INV-2041")).to_be_visible()
            board.locator('label[for="board-who-all"]').click()
            board.locator('label[for="board-urgent"]').click()
            expect(board.locator('.helpdesk-board-card')).to_have_count(1)
            board.locator('label[for="board-urgent"]').click()
            board.locator('#board-search').fill("printer")
            expect(board.locator('.helpdesk-board-card')).to_have_count(1)
            expect(self.card(board, "Printer on the 2nd floor")
                ).to_be_visible()
            board.locator('#board-search').fill("")
            expect(board.locator('.helpdesk-board-card')).to_have_count(6)

        with self.step("The agent drags the card to In Progress"):
            card = self.card(board, LOGIN_TICKET)
            with board.expect_response(
                    lambda r: r.url.endswith('/move')) as moved:
                self.drag(board, card, progress)
            self.assertEqual(
                moved.value.status, 200, moved.value.text())
            self.assertEqual(
                moved.value.json()['stage'],
                self.data.stages['in_progress'].id)
            expect(progress.locator('.helpdesk-board-card', has_text=(
                        LOGIN_TICKET))).to_have_count(1)
            expect(progress.locator('.helpdesk-board-count')).to_have_text(
                "3")
            expect(new.locator('.helpdesk-board-count')).to_have_text("1")
            expect(board.locator('.helpdesk-board-busy')).to_have_count(0)
            expect(board.locator('#board-error')).to_be_hidden()
            self.assertEqual(self.stage_of(ticket.id), "In Progress")

        with self.step("Another agent's move shows on the board"):
            Ticket = Model.get('helpdesk.ticket', config=self.config)
            Stage = Model.get('helpdesk.stage', config=self.config)
            waiting, = Stage.find([('name', '=', "Waiting for Customer")])
            moved = Ticket(export.id)
            moved.stage = waiting
            moved.save()
            expect(self.column(board, "Waiting for Customer").locator(
                    '.helpdesk-board-card', has_text=EXPORT_TICKET)
                ).to_have_count(1)
            expect(new.locator('.helpdesk-board-count')).to_have_text("0")

        with self.step("The card opens the ticket in the web client"):
            with context.expect_page() as opened:
                self.card(board, LOGIN_TICKET).locator(
                    '.helpdesk-board-number').click()
            form = support.WebClient(opened.value, self.server.url)
            self.pages['ticket'] = form
            expect(form.field('name')).to_have_value(LOGIN_TICKET)
            expect(form.selection('stage')).to_have_text("In Progress")

        self.assert_no_problem()

    def test_refused_move_snaps_back(self):
        """A move the agent's rights refuse: the card snaps back and the
        board shows the server's message"""
        context, client, board = self.open_board(ARCHIVE_TEAM, expected=[
                (400, '/move')])
        with self.step("The agent drags the card of a read-only ticket"):
            new = self.column(board, "New")
            card = self.card(board, ARCHIVE_TICKET)
            expect(card).to_be_visible()
            with board.expect_response(
                    lambda r: r.url.endswith('/move')) as moved:
                self.drag(board, card, self.column(board, "In Progress"))
            self.assertEqual(moved.value.status, 400)
            error = board.locator('#board-error')
            expect(error).to_be_visible()
            expect(error).to_contain_text("You are not allowed to write")
            expect(error).to_contain_text("Archived tickets are read-only")
        with self.step("The card is back in its column"):
            expect(new.locator('.helpdesk-board-card', has_text=(
                        ARCHIVE_TICKET))).to_have_count(1)
            expect(new.locator('.helpdesk-board-count')).to_have_text("1")
            expect(self.column(board, "In Progress").locator(
                    '.helpdesk-board-count')).to_have_text("0")
            self.assertEqual(self.stage_of(self.archive_ticket.id), "New")
        self.assert_no_problem()

    def test_persian_board(self):
        "The board in Persian, from right to left"
        Ticket = Model.get('helpdesk.ticket', config=self.config)
        User = Model.get('res.user', config=self.config)
        ticket = Ticket(name=FA_TICKET, team=self.team)
        ticket.party = self.data.customers[0]
        ticket.priority = '3'
        ticket.user = User(self.data.agent.id)
        ticket.save()
        self.addCleanup(self._archive, ticket.id)
        context, client, board = self.open_board(support.TEAM_NAME)
        with self.step("The agent switches the board to Persian"):
            board.locator('.navbar a[lang="fa"]').click()
            expect(board.locator('html')).to_have_attribute('dir', 'rtl')
            expect(board.locator('#board-title')).to_have_text(
                f"تابلو: {support.TEAM_NAME}")
            card = self.card(board, FA_TICKET)
            expect(card.locator('.helpdesk-board-priority')).to_have_text(
                "فوری")
            first = board.locator('.helpdesk-board-column').first
            box = first.bounding_box()
            self.assertGreater(
                box['x'], 1440 / 2,
                "the first column of a right-to-left board is not on the "
                "right")
            # Persian digits
            expect(first.locator('.helpdesk-board-count')).to_have_text(
                re.compile('^[۰-۹]+$'))
            self.screenshot(board, 'board-fa.png')
        self.assert_no_problem()

    def _archive(self, ticket_id):
        Ticket = Model.get('helpdesk.ticket', config=self.config)
        ticket = Ticket(ticket_id)
        ticket.active = False
        ticket.save()
