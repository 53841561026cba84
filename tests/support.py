# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Shared helpers of the cross-module tests: the requirements (PostgreSQL,
Chromium, the web client), a real trytond server in a subprocess, a
Chromium driven by Playwright and the page object of Tryton's web client
(sao)."""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import types
import unittest
import urllib.error
import urllib.request

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
    from playwright.sync_api import expect
except ImportError:
    # require_chromium() says what to install
    expect = PlaywrightTimeoutError = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAO_ROOT = os.path.join(ROOT, 'web', 'node_modules', 'tryton-sao')
IMAGES = os.path.join(ROOT, 'doc', 'images')
CHROMIUM = os.environ.get('HELPDESK_CHROMIUM', '/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ]
VIEWPORT = {'width': 1280, 'height': 800}
# How long the web client may take to show what an action leads to
TIMEOUT = 20  # seconds
SERVER_TIMEOUT = 60  # seconds
if expect is not None:
    expect.set_options(timeout=TIMEOUT * 1000)


def screenshot_directory(images):
    """Return where the browser tests save the screenshots of the committed
    folder images: under var/screenshots unless HELPDESK_UPDATE_SCREENSHOTS
    asks to refresh the documentation's (HELPDESK_SCREENSHOT_DIR overrides
    both)"""
    if os.environ.get('HELPDESK_SCREENSHOT_DIR'):
        return os.environ['HELPDESK_SCREENSHOT_DIR']
    if os.environ.get('HELPDESK_UPDATE_SCREENSHOTS', '').lower() in {
            '1', 'true', 'yes'}:
        return images
    return os.path.join(
        ROOT, 'var', 'screenshots', os.path.relpath(images, ROOT))


def in_ci():
    return os.environ.get('CI', '').lower() in {'1', 'true', 'yes'}


def require(available, reason, fix):
    """Skip the test when something it needs is missing, or fail in CI
    where nothing is skipped"""
    if available:
        return
    if in_ci():
        raise unittest.TestCase.failureException(
            f"{reason} (required in CI): {fix}")
    raise unittest.SkipTest(f"{reason}: {fix}")


def require_chromium():
    require(
        os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK),
        f"Chromium not found at {CHROMIUM} (HELPDESK_CHROMIUM)",
        "install Debian's chromium: apt-get install chromium "
        "(never 'playwright install')")
    require(
        expect is not None, "The Python package playwright is missing",
        "pip install -r requirements.txt")


def require_web_client():
    require(
        os.path.isfile(os.path.join(SAO_ROOT, 'index.html'))
        and os.path.isfile(os.path.join(SAO_ROOT, 'dist', 'tryton-sao.js')),
        f"The web client is not installed in {SAO_ROOT}", "run make web")


def require_server_database():
    "A server in another process needs a database it can open too"
    from trytond.tests.test_tryton import DB_NAME, backend
    require(
        backend.name == 'postgresql' or DB_NAME != ':memory:',
        "The browser tests need a database shared with a server process",
        "run them on PostgreSQL (TRYTOND_DATABASE_URI="
        "postgresql://postgres@127.0.0.1:5432/)")


def sao_widgets(view_type):
    "The widgets the web client has for the fields of a tree or form view"
    kind = {'tree': 'Tree', 'form': 'Form'}[view_type]
    with open(os.path.join(SAO_ROOT, 'dist', 'tryton-sao.js')) as fp:
        source = fp.read()
    match = re.search(
        r'Sao\.View\.%sXMLViewParser\.WIDGETS = \{(.*?)\};' % kind,
        source, re.DOTALL)
    return set(re.findall(r"'([\w-]+)'\s*:", match.group(1)))


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


_SUCCESSFUL_REQUEST = re.compile(r' werkzeug .*" [23]\d\d -$')


def _die_with_parent():
    "Have Linux stop the server if the test process dies"
    try:
        import ctypes
        import signal
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


def trytond_command():
    for directory in [
            os.path.dirname(sys.executable),
            os.path.join(ROOT, '.venv', 'bin')]:
        path = os.path.join(directory, 'trytond')
        if os.access(path, os.X_OK):
            return [path]
    return [sys.executable, '-m', 'trytond.cli']


class TrytondServer:
    """trytond serving one database and the web client on a free local
    port, in a subprocess"""

    def __init__(self, database, email_uri, web_root=SAO_ROOT):
        import trytond.config as tconfig
        self.database = database
        self.email_uri = email_uri
        self.web_root = web_root
        self.database_uri = tconfig.get('database', 'uri')
        self.database_path = tconfig.get('database', 'path')
        self.directory = tempfile.mkdtemp(prefix='helpdesk-trytond-')
        self.config_file = os.path.join(self.directory, 'trytond.conf')
        self.log_file = os.path.join(self.directory, 'trytond.log')
        self.port = self.url = None
        self.process = None
        self._log = None

    def _write_config(self):
        lines = [
            '[database]',
            f'uri = {self.database_uri}',
            f'path = {self.database_path}' if self.database_path else '',
            'language = en',
            # Listing the databases opens each database of the PostgreSQL
            # server, which waits while another test run creates one: the
            # user types the name of the database
            'list = False',
            '',
            '[web]',
            f'listen = 127.0.0.1:{self.port}',
            f'root = {self.web_root}',
            '',
            '[email]',
            f'uri = {self.email_uri}',
            'from = Helpdesk <helpdesk@example.com>',
            '',
            '[session]',
            # Never locked out by the logins of the tests
            'max_attempt = 100',
            '',
            ]
        with open(self.config_file, 'w') as fp:
            fp.write('\n'.join(lines))

    def start(self, attempts=3):
        for attempt in range(attempts):
            # Another process may take the free port before the server
            self.port = free_port()
            self.url = f'http://127.0.0.1:{self.port}/'
            self._write_config()
            self._spawn()
            try:
                self._wait_ready()
            except Exception:
                self.stop()
                if ('Address already in use' in self.log()
                        and attempt < attempts - 1):
                    continue
                raise
            return self

    def _spawn(self):
        # The configuration file alone configures the server
        env = {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}
        env['PYTHONUNBUFFERED'] = '1'
        self._log = open(self.log_file, 'w')
        self.process = subprocess.Popen(
            self.command(),
            cwd=self.directory, env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform == 'linux' else None)

    def command(self):
        "The command line of the server"
        return trytond_command() + [
            '-c', self.config_file, '-d', self.database]

    def _wait_ready(self):
        deadline = time.monotonic() + SERVER_TIMEOUT
        error = None
        # Straight to the server, whatever proxy the environment names
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while time.monotonic() < deadline:
            try:
                with opener.open(self.url, timeout=5) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exception:
                error = exception
            try:
                # Wait on the process itself: an early exit ends the wait
                code = self.process.wait(timeout=0.2)
            except subprocess.TimeoutExpired:
                continue
            raise RuntimeError(
                f"trytond exited with code {code}:\n{self.log()}")
        raise RuntimeError(
            f"trytond did not answer on {self.url} in {SERVER_TIMEOUT}s "
            f"({error}):\n{self.log()}")

    def log(self, tail=8000):
        "The end of the server's output, without the successful requests"
        try:
            with open(self.log_file, errors='replace') as fp:
                lines = [
                    line for line in fp
                    if not _SUCCESSFUL_REQUEST.search(line)]
        except OSError:
            return ''
        return ''.join(lines)[-tail:]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        if self._log:
            self._log.close()
            self._log = None

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()


AGENT_LOGIN = 'alice'
AGENT_NAME = "Alice Agent"
AGENT_PASSWORD = 'Helpdesk-Alice-2024!'
TEAM_NAME = "Customer Support"
CUSTOMERS = [
    ("Carol Customer", 'carol@customer.example'),
    ("Northwind Traders", 'support@northwind.example'),
    ("Globex Corporation", 'it@globex.example'),
    ("Initech", 'helpdesk@initech.example'),
    ]
# (subject, customer index, priority, assignee, stage category)
TICKETS = [
    ("Invoice INV-2041 charged twice", 1, '3', 'alice', 'in_progress'),
    ("Cannot log in to the customer portal", 0, '2', None, 'new'),
    ("Delivery of order SO-1187 is late", 2, '1', 'bob', 'waiting'),
    ("Printer on the 2nd floor shows error E-13", 3, '1', 'bob',
        'in_progress'),
    ("How do I export my data to CSV?", 0, '0', None, 'new'),
    ("Request for a quote: 40 extra licences", 2, '1', 'alice', 'waiting'),
    ]


def create_helpdesk_data(config=None):
    """Create with proteus the helpdesk of the browser tests: a team, two
    agents (Alice signs in with a password), customers with e-mail addresses
    and a few open tickets"""
    from proteus import Model

    from trytond.modules.helpdesk_core.tests.tools import create_helpdesk_user

    User = Model.get('res.user', config=config)
    Party = Model.get('party.party', config=config)
    Team = Model.get('helpdesk.team', config=config)
    Stage = Model.get('helpdesk.stage', config=config)
    Ticket = Model.get('helpdesk.ticket', config=config)

    alice = create_helpdesk_user(AGENT_LOGIN, AGENT_NAME, config=config)
    alice = User(alice.id)
    alice.password = AGENT_PASSWORD
    alice.save()
    bob = create_helpdesk_user('bob', "Bob Agent", config=config)
    agents = {'alice': alice, 'bob': bob}

    team = Team(name=TEAM_NAME)
    team.description = "Questions about orders, invoices and accounts."
    team.save()

    customers = []
    for name, email in CUSTOMERS:
        party = Party(name=name)
        mechanism = party.contact_mechanisms.new(type='email')
        mechanism.value = email
        party.save()
        customers.append(party)

    stages = {s.category: s for s in reversed(Stage.find([]))}
    tickets = []
    for subject, customer, priority, assignee, category in TICKETS:
        ticket = Ticket(name=subject)
        ticket.team = team
        ticket.party = customers[customer]
        ticket.priority = priority
        ticket.channel = 'email'
        ticket.description = f"{subject}.\n\nSent by {ticket.contact_name}."
        if assignee:
            ticket.user = agents[assignee]
        ticket.stage = stages[category]
        ticket.save()
        tickets.append(ticket)
    return types.SimpleNamespace(
        agent=alice, agents=agents, team=team, customers=customers,
        tickets=tickets, stages=stages)


def launch_chromium(playwright):
    "Debian's Chromium, headless, driven by Playwright"
    return playwright.chromium.launch(
        executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class WatchedPage:
    """A Playwright page whose script errors, console errors and refused
    requests are kept in problems, to tell why a test failed"""

    # What the page may ask for and not get: (status, text of the request)
    EXPECTED_FAILURES = []

    def watch(self, page):
        self.page = page
        self.problems = []
        page.set_default_timeout(TIMEOUT * 1000)
        page.on('pageerror', self._page_error)
        page.on('console', self._console)
        page.on('response', self._response)

    def _page_error(self, error):
        self.problems.append(f"JavaScript error: {error}")

    def _console(self, message):
        # A failed request is reported by _response, with its address
        if (message.type == 'error'
                and not message.text.startswith('Failed to load resource')):
            self.problems.append(f"Console error: {message.text}")

    def _response(self, response):
        if response.status < 400:
            return
        request = response.request
        what = f'{request.method} {response.url} {request.post_data or ""}'
        for status, text in self.EXPECTED_FAILURES:
            if response.status == status and text in what:
                return
        self.problems.append(f"HTTP {response.status}: {what}")


class WebClient(WatchedPage):
    """Tryton's web client (sao) in a Playwright page, driven as a user
    does: by the labels, buttons and menus on the screen"""

    # What the client asks for and may not get: the English translation
    # (English is the source language) and the database list (disabled)
    EXPECTED_FAILURES = [
        (405, '/locale/'),
        (403, 'common.db.list'),
        ]

    def __init__(self, page, url):
        self.url = url
        self.watch(page)

    def diagnostic(self):
        "What the user sees that may explain a failure"
        lines = []
        for selector, title in [
                ('.modal:visible', "Dialog"),
                ('.infobar .alert:visible', "Message"),
                ]:
            try:
                for text in self.page.locator(selector).all_inner_texts():
                    lines.append(f"{title}: {' '.join(text.split())}")
            except Exception as exception:
                lines.append(f"{title}: {exception}")
        lines.extend(self.problems)
        return '\n'.join(lines)

    # Sign in and navigate

    def login(self, database, login, password):
        page = self.page
        page.goto(self.url)
        dialog = page.locator('.login-dialog')
        dialog.locator('input#database').fill(database)
        dialog.locator('input#login').fill(login)
        dialog.get_by_role('button', name="Login").click()
        entry = page.locator('.modal input#ask-dialog-entry')
        expect(entry).to_have_attribute('type', 'password')
        entry.fill(password)
        page.locator('.modal:has(input#ask-dialog-entry)').get_by_role(
            'button', name="OK").click()
        expect(page.locator('#menu tbody tr').first).to_be_visible()

    def open_menu(self, *path):
        "Click the menu entries of the path, the last opens its tab"
        for name in path:
            self.page.locator(
                '#menu .column-char', has_text=exact(name)).click()
        expect(self.page.locator('#tablist li.active')).to_contain_text(
            path[-1])

    def toggle_menu(self):
        "Hide or show the menu, as the button at the top left does"
        self.page.locator('.navbar-brand[data-toggle="menu"]').click()
        self.blur()

    def blur(self):
        "Leave no focus ring nor hover on the screen"
        self.page.evaluate('document.activeElement.blur()')
        self.page.mouse.move(0, VIEWPORT['height'] - 1)

    def screenshot(self, name):
        "Save what the window shows (screenshot_directory)"
        directory = screenshot_directory(IMAGES)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name)
        self.page.screenshot(path=path)
        return path

    # The current tab

    @property
    def tab(self):
        return self.page.locator('#tabcontent > .tab-pane.active')

    def toolbar_button(self, id_):
        "The button of the tab's toolbar: new_, save, switch_, chat, ..."
        return self.tab.locator(f'.toolbar button#{id_}')

    def tab_domain(self, name):
        "The filter tab (My Tickets, All, ...) above the list"
        return self.tab.locator(
            '.tab-domain a[role="tab"]', has_text=starting(name))

    @property
    def rows(self):
        return self.tab.locator('.treeview:visible > table > tbody > tr')

    def row(self, text):
        return self.rows.filter(has_text=text)

    def show_list(self, attempts=4):
        """Switch the views of the tab until the list shows: from a form,
        switching may show another view (a calendar) first"""
        # The box of the tab's views comes before those of its fields'
        box = self.tab.locator('.content-box').first
        lists = box.locator(':scope > .tree-container')
        for attempt in range(attempts):
            if lists.count():
                break
            # The view shown is taken out of the page when another shows
            view = box.locator(':scope > *').first.element_handle()
            self.toolbar_button('switch_').click()
            view.wait_for_element_state('hidden')
        expect(lists).to_be_visible()

    def search(self, text):
        "Search the tab's list for text, in place of the filter it shows"
        entry = self.tab.locator('.filter-box input[placeholder="Search"]')
        entry.fill(text)
        entry.press('Enter')

    def open_row(self, text):
        "Open the record of the list row showing text in a form"
        # On a cell that is no link: a link opens the linked record
        self.row(text).locator(
            '.column-char', has_text=exact(text)).dblclick()
        expect(self.form).to_be_visible()

    @property
    def form(self):
        return self.tab.locator('.content-box > .form').first

    def field(self, name):
        return self.form.locator(
            f':is(input, select, textarea)[name="{name}"]').first

    def selection(self, name):
        "The text shown by a selection field"
        return self.field(name).locator('option:checked')

    def selection_showing(self, name, text):
        "The selection field when it shows text"
        return self.field(name).filter(has=self.page.locator(
                'option:checked', has_text=exact(text)))

    def wait_for(self, locator, what):
        """Wait until the locator shows what it is, failing at once when a
        dialog (an error, a warning) shows instead"""
        dialogs = self.page.locator('.modal:visible')
        expect(locator.or_(dialogs).first).to_be_visible()
        if dialogs.count() and not locator.first.is_visible():
            texts = [' '.join(t.split()) for t in dialogs.all_inner_texts()]
            raise AssertionError(
                f"A dialog shows instead of {what}: {texts}")

    def notebook_page(self, name):
        self.form.locator(
            '.form-notebook > .nav-tabs a', has_text=exact(name)).click()

    def fill_many2one(self, name, text, choice, attempts=3):
        """Type text in the field and pick choice among the completions

        The completion searches 300 ms after the last input, and only if the
        field still shows the text then: an on_change that redisplays the
        form meanwhile drops it, so the text is typed again."""
        field = self.field(name)
        completion = self.form.locator(
            '.dropdown-completion li.completion a', has_text=exact(choice))
        for attempt in range(attempts):
            field.fill('')
            field.fill(text)
            try:
                completion.first.wait_for(timeout=10_000)
            except PlaywrightTimeoutError:
                if attempt == attempts - 1:
                    raise
                continue
            completion.first.click()
            break
        expect(field).to_have_value(choice)

    def button(self, name):
        return self.form.locator(f'button[name="{name}"]')

    @property
    def info(self):
        "The messages shown above the tab"
        return self.tab.locator('.infobar .alert')

    def close_info(self):
        for alert in self.info.all():
            alert.locator('button.close').click()
        expect(self.info).to_have_count(0)

    # The chat of the record

    def open_chat(self):
        self.toolbar_button('chat').click()
        chat = self.tab.locator('.sidebar .chat')
        expect(chat).to_be_visible()
        return chat

    def post(self, chat, text, internal=False):
        "Send a message in the chat, public unless internal"
        chat.locator('textarea').fill(text)
        checkbox = chat.get_by_role(
            'checkbox', name="Make this an internal message")
        checkbox.set_checked(internal)
        chat.locator('button[type="submit"]', has_text="Send").click()
        message = chat.locator('.chat-message', has_text=text)
        expect(message).to_be_visible()
        return message


def exact(text):
    "Match an element's whole text"
    return re.compile(r'^\s*%s\s*$' % re.escape(text))


def starting(text):
    "Match an element's text starting with a word"
    return re.compile(r'^\s*%s\b' % re.escape(text))
