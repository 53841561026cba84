# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Helpers of the browser tests of the website (helpdesk_website): the
customers and their accounts, the files they send, and the website's pages
in a Playwright page"""

import os
import re
import types
import urllib.parse

from proteus import Model

from . import support

try:
    from playwright.sync_api import expect
except ImportError:
    # support.require_chromium() says what to install
    expect = None

PASSWORD = 'Portal-Password-2024!'
VISITOR_NAME = "Vera Visitor"
VISITOR_EMAIL = 'vera@visitor.example'
VISITOR_PHONE = '+1 555 0142'
# (name, e-mail, mobile): customers with a portal account
PAT = ("Pat Customer", 'pat@customer.example', None)
SARA = ("سارا احمدی", 'sara@customer.example', '+98 912 345 6789')
# (name, description) of the teams published on the website, besides
# support.TEAM_NAME
TEAMS = [
    ("Billing", "Invoices, payments, refunds and credit notes."),
    ("Technical Support",
        "Installation, error messages and anything that stopped working."),
    ]
TYPES = ["Question", "Problem", "Feature Request"]
PAT_TICKET = "Error 500 when I open my invoices"
SARA_TICKET = "فاکتور INV-2090 دو بار پرداخت شده است"
SARA_DESCRIPTION = (
    "سلام،\nمبلغ فاکتور INV-2090 دو بار از کارت من کسر شده است. "
    "لطفاً بررسی کنید.")
SARA_ANSWER = (
    "سلام سارا، مبلغ اضافه بازگردانده شد و تا سه روز کاری در حساب شما "
    "دیده می‌شود.")
# The page that the customer's screenshot shows
ERROR_PAGE = """<!DOCTYPE html>
<html><body style="margin:0;font:16px sans-serif;background:#f4f6f8">
<div style="background:#263238;color:#fff;padding:12px 20px">
Northwind Traders — Customer area</div>
<div style="margin:40px auto;width:520px;background:#fff;padding:24px;
 border-left:6px solid #d32f2f;box-shadow:0 2px 6px #0002">
<h1 style="margin:0 0 8px;font-size:26px;color:#d32f2f">
500 Internal Server Error</h1>
<p>The page <code>/account/invoices</code> could not be shown.</p>
<p style="color:#607d8b">Request id 7f3a-21c9 · 14:02 UTC</p>
</div></body></html>"""
INVOICE_PAGE = """<!DOCTYPE html>
<html><body style="font:14px sans-serif;margin:40px">
<h1>Invoice INV-2090</h1>
<p>Northwind Traders · 12 Harbour Street · Rotterdam</p>
<table border="1" cellpadding="6" style="border-collapse:collapse">
<tr><th>Item</th><th>Quantity</th><th>Amount</th></tr>
<tr><td>Support plan, March</td><td>1</td><td>240.00 EUR</td></tr>
</table>
<p>Paid by card on 3 March and again on 4 March.</p>
</body></html>"""
STEPS_TEXT = """Steps to reproduce
1. Sign in to the customer area.
2. Open Account > Invoices.
3. The page answers "500 Internal Server Error".
Browser: Chromium 124 on Debian 12.
"""


def render_png(browser, html, width, height):
    "A real PNG image: the screenshot of html in a page of width x height"
    page = browser.new_page(viewport={'width': width, 'height': height})
    try:
        page.set_content(html)
        return page.screenshot(type='png')
    finally:
        page.close()


def render_pdf(browser, html):
    "A real PDF document: html printed by Chromium"
    page = browser.new_page()
    try:
        page.set_content(html)
        return page.pdf(format='A4')
    finally:
        page.close()


def write_files(directory, files):
    "Write the files {name: bytes} into directory and return their paths"
    paths = []
    for name, data in files.items():
        path = os.path.join(directory, name)
        with open(path, 'wb') as fp:
            fp.write(data)
        paths.append(path)
    return paths


def create_website_data(data, browser, config):
    """Publish the team of support.create_helpdesk_data (data) and two more
    on the website, and create two customers with a portal account and a
    ticket each: Pat's ticket has files, Sara (Persian, with a mobile
    number) has the answer of an agent"""
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    Attachment = Model.get('ir.attachment', config=config)
    Party = Model.get('party.party', config=config)
    Team = Model.get('helpdesk.team', config=config)
    Ticket = Model.get('helpdesk.ticket', config=config)
    Type = Model.get('helpdesk.ticket.type', config=config)
    User = Model.get('res.user', config=config)
    WebUser = Model.get('web.user', config=config)

    def publish(team):
        team.visibility = 'portal'
        team.website_published = True
        team.use_rating = True
        team.portal_close = True
        team.save()
        return team

    support_team = publish(Team(data.team.id))
    teams = [support_team]
    for name, description in TEAMS:
        teams.append(publish(Team(name=name, description=description)))
    for name in TYPES:
        Type(name=name).save()

    def customer(name, email, mobile):
        party = Party(name=name)
        mechanism = party.contact_mechanisms.new(type='email')
        mechanism.value = email
        party.save()
        user = WebUser(email=email, party=party)
        user.password = PASSWORD
        user.email_valid = True
        user.mobile = mobile
        user.save()
        return user

    pat = customer(*PAT)
    sara = customer(*SARA)

    pat_ticket = Ticket(name=PAT_TICKET, team=teams[2], party=pat.party)
    pat_ticket.contact_email = pat.email
    pat_ticket.channel = 'portal'
    pat_ticket.description = (
        "Since this morning the invoices page answers an error 500, "
        "see the screenshot.")
    pat_ticket.save()
    images = {
        'invoices-error.png': render_png(browser, ERROR_PAGE, 800, 450),
        'steps.txt': STEPS_TEXT.encode(),
        }
    for name, content in images.items():
        attachment = Attachment(
            name=name, resource=pat_ticket, type='data', data=content)
        attachment.helpdesk_shared = True
        attachment.save()

    sara_ticket = Ticket(name=SARA_TICKET, team=teams[1], party=sara.party)
    sara_ticket.contact_email = sara.email
    sara_ticket.channel = 'portal'
    sara_ticket.priority = '2'
    sara_ticket.description = SARA_DESCRIPTION
    sara_ticket.user = User(data.agent.id)
    sara_ticket.save()

    # The agent answers Sara: a public message of Alice
    with Transaction().start(
            config.database_name, data.agent.id) as transaction:
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        UserModel = pool.get('res.user')
        context = UserModel.get_preferences(context_only=True)
        with transaction.set_context(context):
            TicketModel = pool.get('helpdesk.ticket')
            Channel.post(
                TicketModel(sara_ticket.id), SARA_ANSWER, audience='public')
        transaction.commit()

    return types.SimpleNamespace(
        teams=teams, support=support_team, pat=pat, sara=sara,
        pat_ticket=Ticket(pat_ticket.id), sara_ticket=Ticket(sara_ticket.id))


class TrytondServer(support.TrytondServer):
    """The server of support.TrytondServer with a logging handler that
    writes the messages of the website at the INFO level into the server's
    log: the default SMS sender writes the one-time codes there"""

    # trytond's format: support.TrytondServer.log() reads it
    FORMAT = ('%(process)s %(thread)s [%(asctime)s] '
        '%(levelname)s %(name)s %(message)s')
    LOGGING = """[formatters]
keys = default

[formatter_default]
format = {format}

[handlers]
keys = stdout

[handler_stdout]
class = StreamHandler
formatter = default
args = (sys.stdout,)

[loggers]
keys = root, website

[logger_root]
level = WARNING
handlers = stdout

[logger_website]
level = INFO
handlers =
qualname = trytond.modules.helpdesk_website
"""

    def command(self):
        path = os.path.join(self.directory, 'logging.conf')
        with open(path, 'w') as fp:
            fp.write(self.LOGGING.format(format=self.FORMAT))
        return super().command() + ['--logconf', path]


def sms_codes(log, number):
    """The codes of the SMS sent to number that the server's log shows,
    oldest first"""
    digits = re.sub(r'\D', '', number)[-9:]
    codes = []
    for line in log.splitlines():
        match = re.search(r'SMS to ([^:]+): (.*)$', line)
        if match and digits in re.sub(r'\D', '', match.group(1)):
            codes.extend(re.findall(r'\b(\d{6})\b', match.group(2)))
    return codes


class Website(support.WatchedPage):
    """The helpdesk website of a database in a Playwright page, used as a
    visitor does; it keeps what went wrong in the browser (script errors,
    failed requests, dialogs) for the test to check"""

    # What a page may ask for and not get
    EXPECTED_FAILURES = [
        (404, '/favicon.ico'),
        ]

    def __init__(self, page, url, database):
        self.root = f"{url.rstrip('/')}/{database}/helpdesk"
        self.dialogs = []
        self.watch(page)
        page.on('dialog', self._dialog)

    def _dialog(self, dialog):
        # A script of a customer's text would open it
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def url(self, *path, **query):
        url = '/'.join([self.root, *(str(p) for p in path)])
        if not path:
            url += '/'
        if query:
            url += '?' + urllib.parse.urlencode(query)
        return url

    def goto(self, *path, **query):
        "Open the page of the path, which must answer"
        response = self.page.goto(self.url(*path, **query))
        assert response.ok, f"{response.status} on {response.url}"
        return response

    def diagnostic(self):
        "What the visitor sees that may explain a failure"
        lines = [f"Address: {self.page.url}"]
        for selector in ['.alert:visible', '.invalid-feedback:visible']:
            try:
                for text in self.page.locator(selector).all_inner_texts():
                    lines.append(f"Message: {' '.join(text.split())}")
            except Exception as exception:
                lines.append(f"Message: {exception}")
        lines.extend(self.problems)
        lines.extend(f"Dialog: {d}" for d in self.dialogs)
        return '\n'.join(lines)

    def screenshot(self, name, full_page=False):
        "Save what the window shows (support.screenshot_directory)"
        directory = support.screenshot_directory(support.IMAGES)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, name)
        self.blur()
        self.page.screenshot(path=path, full_page=full_page)
        return path

    def blur(self):
        "Leave no focus ring nor hover on the screen"
        self.page.evaluate(
            'document.activeElement && document.activeElement.blur()')
        self.page.mouse.move(0, 0)

    # What every page has

    @property
    def direction(self):
        return self.page.evaluate('document.documentElement.dir')

    @property
    def language(self):
        return self.page.evaluate('document.documentElement.lang')

    @property
    def brand(self):
        return self.page.locator('.navbar-brand')

    @property
    def notice(self):
        return self.page.locator('#notice')

    # Accounts

    def sign_in(self, email, password=PASSWORD, **query):
        page = self.page
        self.goto('signin', **query)
        page.locator('#email').fill(email)
        page.locator('#password').fill(password)
        page.locator('#signin-submit').click()
        expect(page.locator('#signout')).to_be_visible()

    def sign_out(self):
        self.page.locator('#signout').click()
        expect(self.page.locator('#nav-signin')).to_be_visible()

    # Uploads

    def uploads(self):
        "The rows of the files chosen in the form, with their progress"
        return self.page.locator('li.helpdesk-upload')

    def upload(self, name):
        return self.page.locator(
            f'li.helpdesk-upload[data-name="{name}"]')

    def hold_responses(self):
        """Keep the page's scripts from seeing the answers of their
        requests until release_responses(): the screen then stays as it is
        once the files are sent, for the test to look at it.

        The page's script listens to the load event of its XMLHttpRequest
        to go to the next page: the listeners are wrapped to wait."""
        self.page.evaluate("""() => {
            const original = XMLHttpRequest.prototype.addEventListener;
            const held = [];
            window.helpdeskTest = {holding: true, held: held};
            window.helpdeskTest.release = () => {
                window.helpdeskTest.holding = false;
                held.splice(0).forEach(call => call());
            };
            XMLHttpRequest.prototype.addEventListener = function (
                    type, listener, options) {
                if (type !== 'load') {
                    return original.call(this, type, listener, options);
                }
                return original.call(this, type, function (event) {
                    if (window.helpdeskTest.holding) {
                        held.push(() => listener.call(this, event));
                    } else {
                        listener.call(this, event);
                    }
                }, options);
            };
        }""")

    def wait_response_held(self):
        "Wait until the page has an answer that it does not see yet"
        # A function, not an expression: the page's Content Security Policy
        # forbids the eval() Playwright runs an expression with
        self.page.wait_for_function(
            '() => window.helpdeskTest && window.helpdeskTest.held.length > 0')

    def release_responses(self):
        self.page.evaluate('window.helpdeskTest.release()')
