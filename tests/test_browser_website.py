# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Visitors and customers use the helpdesk website (helpdesk_website) in
Chromium, against a real trytond server that sends its e-mails to a local
SMTP sink, and an agent answers them in Tryton's web client (sao).

Needs PostgreSQL (the server and the test share the database), Debian's
Chromium (HELPDESK_CHROMIUM, /usr/bin/chromium) and the web client with
Bootstrap (`make web`). Outside CI a missing piece skips the tests; in CI it
fails them. The screenshots of the module's documentation are taken here:
doc/images/website-teams.png, website-form.png, website-portal-ticket.png,
website-files-preview.png, website-fa-form.png and website-fa-portal.png
(saved under var/screenshots;
HELPDESK_UPDATE_SCREENSHOTS=1 refreshes the committed ones)."""

import contextlib
import os
import re
import shutil
import tempfile
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

XSS = '<img src=x onerror=alert(1)>'
XSS_SUBJECT = f"Broken picture {XSS}"
XSS_DESCRIPTION = f"The product page shows {XSS} instead of the photo."
SUBJECT = "The parcel of order SO-2231 arrived damaged"
DESCRIPTION = (
    "The box was crushed and the lamp inside is broken.\n"
    "I attach a photo, the invoice and the delivery notes.")
ANSWER = ("We are sorry about the lamp: a new one leaves our warehouse "
    "today. Could you send us a photo of the box too?")
REPLY = "Here is the box, as the courier left it."
RATING_COMMENT = "Quick and friendly, thank you!"
VISITOR_PASSWORD = 'Vera-Password-2024!'
VALIDATE_URL = re.compile(r'https?://\S+/helpdesk/validate/\S+')


def plain_text(message):
    "The text of an e-mail"
    return message.get_body(('plain',)).get_content()


class WebsiteBrowserTestCase(unittest.TestCase):
    "Visitors file tickets on the website and follow them in the portal"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_chromium()
        support.require_web_client()
        support.require_server_database()
        support.require(
            os.path.isfile(os.path.join(
                    support.ROOT, 'web', 'node_modules', 'bootstrap5',
                    'dist', 'css', 'bootstrap.rtl.min.css')),
            "Bootstrap is not installed in web/node_modules",
            "run make web")

        from trytond.modules.company.tests.tools import create_company
        from trytond.modules.helpdesk_core.tests.tools import SMTPSink
        from trytond.tests.test_tryton import DB_NAME, drop_db
        from trytond.tests.tools import activate_modules

        # The server sends the e-mails to this sink of the test process
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)

        cls.playwright = sync_playwright().start()
        cls.addClassCleanup(cls.playwright.stop)
        cls.browser = support.launch_chromium(cls.playwright)
        cls.addClassCleanup(cls.browser.close)

        # A fresh database: another test of the process may have left one
        drop_db()
        cls.config = activate_modules('helpdesk_website', create_company)
        cls.addClassCleanup(drop_db)
        cls.data = support.create_helpdesk_data(cls.config)
        cls.site = ws.create_website_data(cls.data, cls.browser, cls.config)
        cls.database = DB_NAME

        # The files the visitor sends: a photo, an invoice, notes
        cls.directory = tempfile.mkdtemp(prefix='helpdesk-website-')
        cls.addClassCleanup(shutil.rmtree, cls.directory, True)
        cls.form_files = ws.write_files(cls.directory, {
                'lamp.png': ws.render_png(
                    cls.browser, ws.ERROR_PAGE, 640, 360),
                'invoice-SO-2231.pdf': ws.render_pdf(
                    cls.browser, ws.INVOICE_PAGE),
                'delivery-notes.txt': (
                    "Delivered on 4 March at 9:40.\n"
                    "The courier left the box at the door.\n").encode(),
                })
        cls.reply_file, = ws.write_files(cls.directory, {
                'box.png': ws.render_png(
                    cls.browser, ws.ERROR_PAGE, 480, 270),
                })

        cls.server = ws.TrytondServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)

    def setUp(self):
        super().setUp()
        self.smtp.clear()
        self.website = ws.Website(
            self.new_context().new_page(), self.server.url, self.database)
        self.client = None

    def new_context(self):
        context = self.browser.new_context(
            viewport=support.VIEWPORT, locale='en-US', timezone_id='UTC',
            # Bootstrap's dialogs open at once, as they are screenshot
            reduced_motion='reduce')
        self.addCleanup(context.close)
        return context

    def web_client(self):
        "The web client (sao) of the agent, in a browser of its own"
        page = self.new_context().new_page()
        self.client = support.WebClient(page, self.server.url)
        self.client.dialogs = []

        def dialog(dialog):
            self.client.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()
        page.on('dialog', dialog)
        return self.client

    @contextlib.contextmanager
    def step(self, description):
        """Run one step of the story; on failure say which, with what the
        browser showed and the end of the server's log"""
        try:
            yield
        except (AssertionError, PlaywrightError) as exception:
            directory = os.path.join(support.ROOT, 'var', 'test-browser')
            os.makedirs(directory, exist_ok=True)
            shown = []
            for name, what in [
                    ('website', self.website), ('sao', self.client)]:
                if what is None:
                    continue
                path = os.path.join(
                    directory, f'{self._testMethodName}-{name}.png')
                try:
                    what.page.screenshot(path=path)
                except PlaywrightError:
                    path = None
                shown.append(
                    f"--- in the {name} (screenshot: {path}) ---\n"
                    f"{what.diagnostic()}")
            raise self.failureException(
                f"{description}: {exception}\n" + '\n'.join(shown)
                + "\n--- end of the server log ---\n"
                f"{self.server.log(tail=3000)}") from exception

    def email(self, address, what, test):
        "Wait for the e-mail to address for which test(message) is true"
        deadline = time.monotonic() + support.TIMEOUT
        seen = 0
        while True:
            messages = self.smtp.wait(
                seen + 1, timeout=max(0, deadline - time.monotonic()))
            for recipients, message in messages:
                if address in recipients and test(message):
                    return message
            if len(messages) <= seen:
                break
            seen = len(messages)
        self.fail(f"{address} received no e-mail {what}: "
            f"{[(r, m['Subject']) for r, m in messages]}")

    def assert_no_problem(self):
        for what in [self.website, self.client]:
            if what is None:
                continue
            self.assertEqual(
                what.problems, [],
                "errors in the browser console or failed requests")
            self.assertEqual(what.dialogs, [], "dialogs opened")

    def assert_right_to_left(self):
        "The page is in Persian, laid out from right to left"
        page = self.website.page
        self.assertEqual(self.website.language, 'fa')
        self.assertEqual(self.website.direction, 'rtl')
        box = self.website.brand.bounding_box()
        self.assertGreater(
            box['x'], support.VIEWPORT['width'] / 2,
            "the brand of the navigation bar is not on the right")
        toggle = page.locator('#nav-language').bounding_box()
        self.assertLess(
            toggle['x'], support.VIEWPORT['width'] / 2,
            "the language menu is not on the left")
        # Nothing sticks out on the left, where a right-to-left page scrolls
        self.assertLessEqual(
            page.evaluate('document.documentElement.scrollWidth'),
            support.VIEWPORT['width'], "the page scrolls sideways")

    def fill_ticket_form(self, subject, description, files=()):
        page = self.website.page
        page.locator('#contact_name').fill(ws.VISITOR_NAME)
        page.locator('#contact_email').fill(ws.VISITOR_EMAIL)
        page.locator('#contact_phone').fill(ws.VISITOR_PHONE)
        page.locator('#type').select_option(label="Problem")
        page.locator('#priority').select_option(label="High")
        page.locator('#name').fill(subject)
        page.locator('#description').fill(description)
        if files:
            page.locator('#files').set_input_files(list(files))

    # The story

    def test_ticket_from_the_form_to_the_rating(self):
        """A visitor files a ticket with files, an agent answers in the web
        client, the visitor signs up, follows, answers, closes and rates"""
        website = self.website
        page = website.page
        Ticket = Model.get('helpdesk.ticket', config=self.config)
        Attachment = Model.get('ir.attachment', config=self.config)

        with self.step("The visitor sees the teams of the website"):
            website.goto()
            teams = page.locator('.helpdesk-team')
            expect(teams).to_have_count(3)
            for team in self.site.teams:
                card = teams.filter(has_text=team.name)
                expect(card).to_have_count(1)
                expect(card).to_contain_text(team.description)
                expect(card.get_by_role('link', name="Open a ticket")
                    ).to_be_visible()
            self.assertEqual(website.direction, 'ltr')
            website.screenshot('website-teams.png')

        with self.step("The visitor opens the form of the team"):
            teams.filter(has_text=support.TEAM_NAME).get_by_role(
                'link', name="Open a ticket").click()
            expect(page.locator('#ticket-form')).to_be_visible()
            expect(page.locator('h1')).to_have_text(support.TEAM_NAME)
            expect(page.locator('#type option')).to_have_count(
                1 + len(ws.TYPES))

        names = [os.path.basename(p) for p in self.form_files]
        with self.step("The visitor fills the form and chooses 3 files"):
            self.fill_ticket_form(SUBJECT, DESCRIPTION, self.form_files)
            expect(website.uploads()).to_have_count(3)
            for name in names:
                expect(website.upload(name)).to_contain_text(name)
                expect(website.upload(name).locator('.progress')
                    ).to_have_attribute('aria-valuenow', '0')

        with self.step("Each file is sent with its progress bar to 100 %"):
            # The page stays as the files are sent, for the screenshot
            website.hold_responses()
            page.locator('#submit').click()
            website.wait_response_held()
            for name in names:
                upload = website.upload(name)
                expect(upload.locator('.progress')).to_have_attribute(
                    'aria-valuenow', '100')
                expect(upload.locator('.helpdesk-percent')).to_have_text(
                    '100 %')
                expect(upload.locator('.progress-bar')).to_have_class(
                    re.compile(r'\bbg-success\b'))
            expect(page.locator('#submit')).to_be_disabled()
            website.screenshot('website-form.png', full_page=True)
            website.release_responses()

        with self.step("The visitor sees the number of the ticket"):
            number = page.locator('#ticket-number')
            expect(number).to_have_text(re.compile(r'^HD\d{5}$'))
            number = number.inner_text()
            expect(page.get_by_role('link', name="Follow my ticket")
                ).to_be_visible()

        with self.step("The ticket has the form's values and its files"):
            ticket, = Ticket.find([('number', '=', number)])
            self.assertEqual(ticket.name, SUBJECT)
            # A browser sends the lines of a text area ended by CR LF
            self.assertEqual(
                ticket.description.replace('\r\n', '\n'), DESCRIPTION)
            self.assertEqual(ticket.team.name, support.TEAM_NAME)
            self.assertEqual(ticket.channel, 'website')
            self.assertEqual(ticket.priority, '2')
            self.assertEqual(ticket.type.name, "Problem")
            self.assertEqual(ticket.contact_email, ws.VISITOR_EMAIL)
            self.assertEqual(ticket.contact_phone, ws.VISITOR_PHONE)
            self.assertEqual(ticket.party.name, ws.VISITOR_NAME)
            self.assertEqual(ticket.state, 'new')
            attachments = Attachment.find(
                [('resource', '=', f'helpdesk.ticket,{ticket.id}')])
            self.assertEqual(
                sorted(a.name for a in attachments), sorted(names))
            for attachment in attachments:
                path = os.path.join(self.directory, attachment.name)
                with open(path, 'rb') as fp:
                    self.assertEqual(attachment.data, fp.read())

        with self.step("The acknowledgement e-mail gives the number"):
            message = self.email(
                ws.VISITOR_EMAIL, f"about {number}",
                lambda m: f'[{number}]' in m['Subject'])
            self.assertIn(SUBJECT, message['Subject'])
            self.assertIn(
                f'/{self.database}/helpdesk/portal/tickets/{ticket.id}',
                plain_text(message))

        with self.step("The visitor files a ticket with markup in it"):
            website.goto('teams', self.site.support.id)
            self.fill_ticket_form(XSS_SUBJECT, XSS_DESCRIPTION)
            page.locator('#submit').click()
            expect(page.locator('#ticket-number')).to_have_text(
                re.compile(r'^HD\d{5}$'))
            xss_number = page.locator('#ticket-number').inner_text()
            self.assertNotEqual(xss_number, number)

        client = self.web_client()
        with self.step("The agent finds both tickets in the web client"):
            client.login(
                self.database, support.AGENT_LOGIN, support.AGENT_PASSWORD)
            client.open_menu("Helpdesk", "Tickets")
            client.tab_domain("All").click()
            expect(client.row(SUBJECT)).to_have_count(1)
            expect(client.row(xss_number)).to_have_count(1)
            # The markup is text, as the customer typed it
            expect(client.row(xss_number)).to_contain_text(XSS_SUBJECT)
            expect(client.page.locator('img[src="x"]')).to_have_count(0)

        with self.step("The agent answers the ticket in its chat"):
            client.open_row(SUBJECT)
            expect(client.field('number')).to_have_value(number)
            expect(client.field('contact_email')).to_have_value(
                ws.VISITOR_EMAIL)
            chat = client.open_chat()
            message = client.post(chat, ANSWER)
            expect(message.locator('.chat-content')).to_have_class(
                re.compile(r'\bchat-content-public\b'))

        with self.step("The agent sees the markup as text"):
            client.show_list()
            expect(client.row(xss_number)).to_be_visible()
            client.open_row(XSS_SUBJECT)
            expect(client.field('name')).to_have_value(XSS_SUBJECT)
            expect(client.field('description')).to_have_value(
                XSS_DESCRIPTION)
            expect(client.page.locator('img[src="x"]')).to_have_count(0)
            self.assertEqual(client.dialogs, [], "a script ran")

        with self.step("The visitor receives the answer by e-mail"):
            message = self.email(
                ws.VISITOR_EMAIL, "with the answer",
                lambda m: ANSWER in plain_text(m))
            self.assertIn(f'[{number}]', message['Subject'])

        with self.step("The visitor signs up with the ticket's e-mail"):
            website.goto('signup')
            page.locator('#name').fill(ws.VISITOR_NAME)
            page.locator('#email').fill(ws.VISITOR_EMAIL)
            page.locator('#password').fill(VISITOR_PASSWORD)
            page.locator('#confirm').fill(VISITOR_PASSWORD)
            page.locator('#signup-submit').click()
            expect(page.locator('#signup-done')).to_contain_text(
                ws.VISITOR_EMAIL)

        with self.step("The visitor validates the e-mail by its link"):
            message = self.email(
                ws.VISITOR_EMAIL, "with the validation link",
                lambda m: VALIDATE_URL.search(plain_text(m)))
            url = VALIDATE_URL.search(plain_text(message)).group()
            self.assertTrue(url.startswith(self.server.url), url)
            page.goto(url)
            expect(page.locator('#validated')).to_be_visible()
            expect(page.locator('#nav-user')).to_have_text(ws.VISITOR_NAME)

        with self.step("The customer sees both tickets in the portal"):
            page.get_by_role('link', name="See my tickets").click()
            rows = page.locator('#tickets tr[data-ticket]')
            expect(rows).to_have_count(2)
            expect(rows.filter(has_text=number)).to_contain_text(SUBJECT)
            expect(rows.filter(has_text=xss_number)).to_contain_text(
                XSS_SUBJECT)
            expect(page.locator('img[src="x"]')).to_have_count(0)

        with self.step("The customer sees the markup as text"):
            rows.filter(has_text=xss_number).get_by_role(
                'link', name=xss_number).click()
            expect(page.locator('#ticket-subject')).to_have_text(
                XSS_SUBJECT)
            expect(page.locator('#ticket-description')).to_have_text(
                XSS_DESCRIPTION)
            expect(page.locator('img[src="x"]')).to_have_count(0)
            self.assertEqual(website.dialogs, [], "a script ran")
            page.go_back()

        with self.step("The customer reads the agent's answer"):
            rows.filter(has_text=number).get_by_role(
                'link', name=number).click()
            expect(page.locator('#ticket-subject')).to_have_text(SUBJECT)
            staff = page.locator(
                '#conversation .helpdesk-message[data-role="staff"]')
            expect(staff).to_have_count(1)
            expect(staff).to_contain_text(ANSWER)
            expect(staff).to_contain_text(support.AGENT_NAME)

        with self.step("The customer answers with a photo"):
            page.locator('#content').fill(REPLY)
            page.locator('#reply-form #files').set_input_files(
                self.reply_file)
            expect(website.upload('box.png')).to_be_visible()
            page.locator('#reply-submit').click()
            expect(website.notice).to_have_text("Your message is sent.")
            mine = page.locator(
                '#conversation .helpdesk-message[data-role="customer"]')
            expect(mine).to_have_count(1)
            expect(mine).to_contain_text(REPLY)
            expect(mine.locator('.helpdesk-file-link')).to_have_text(
                re.compile(r'box\.png'))

        with self.step("The customer closes the ticket"):
            expect(page.locator('#rate-form')).to_have_count(0)
            page.locator('#close-form #close-submit').click()
            expect(website.notice).to_have_text(
                "The ticket is closed. Thank you!")
            expect(page.locator('[data-state]').first).to_have_attribute(
                'data-state', 'solved')
            expect(page.locator('#close-form')).to_have_count(0)

        with self.step("The customer gives 4 stars and a comment"):
            form = page.locator('#rate-form')
            expect(form).to_be_visible()
            form.locator('label[for="rating-4"]').click()
            expect(page.locator('#rating-4')).to_be_checked()
            page.locator('#comment').fill(RATING_COMMENT)
            page.locator('#rate-submit').click()
            expect(website.notice).to_have_text("Thank you for your rating!")
            expect(page.locator('#rating-4')).to_be_checked()
            expect(form.locator('.helpdesk-stars')).to_have_text('★★★★☆')
            expect(page.locator('#comment')).to_have_value(RATING_COMMENT)
            website.screenshot('website-portal-ticket.png', full_page=True)

        with self.step("The ticket is solved and rated"):
            ticket = Ticket(ticket.id)
            self.assertEqual(ticket.state, 'solved')
            self.assertEqual(ticket.rating, 4)
            self.assertEqual(ticket.rating_comment, RATING_COMMENT)
            self.assertTrue(ticket.rating_date)
            self.assertTrue(ticket.closed_date)

        with self.step("The agent sees the rating in the web client"):
            client.show_list()
            # A solved ticket is in a folded stage, which the list hides
            client.search(number)
            expect(client.rows).to_have_count(1)
            # Selected, the ticket opens in the form: a double click would
            # miss it as the chat of the selected ticket narrows the list
            client.rows.locator(
                '.column-char', has_text=support.exact(SUBJECT)).click()
            expect(client.toolbar_button('switch_')).to_be_enabled()
            client.toolbar_button('switch_').click()
            expect(client.form).to_be_visible()
            expect(client.field('number')).to_have_value(number)
            expect(client.selection('state')).to_have_text("Solved")
            client.notebook_page("Customer")
            expect(client.field('rating')).to_have_value('4')
            expect(client.field('rating_comment')).to_have_value(
                RATING_COMMENT)

        self.assert_no_problem()

    # Focused tests

    def test_sign_in_by_password(self):
        "A customer signs in with the e-mail and the password, and out"
        website = self.website
        page = website.page
        name, email, _ = ws.PAT
        website.EXPECTED_FAILURES = website.EXPECTED_FAILURES + [
            (400, '/signin')]

        with self.step("A wrong password is refused"):
            website.goto('signin')
            page.locator('#email').fill(email)
            page.locator('#password').fill('not-the-password')
            page.locator('#signin-submit').click()
            expect(page.locator('#signin-error')).to_be_visible()
            expect(page.locator('#signout')).to_have_count(0)

        with self.step("The customer signs in and sees the tickets"):
            page.locator('#password').fill(ws.PASSWORD)
            page.locator('#signin-submit').click()
            expect(page).to_have_url(re.compile(r'/portal/tickets$'))
            expect(page.locator('#nav-user')).to_have_text(name)
            expect(page.locator('#tickets tr[data-ticket]')).to_have_text(
                [re.compile(re.escape(ws.PAT_TICKET))])

        with self.step("The customer signs out"):
            website.sign_out()
            website.goto('portal', 'tickets')
            expect(page).to_have_url(re.compile(r'/signin\?'))
            expect(page.locator('#signin-submit')).to_be_visible()

        self.assert_no_problem()

    def test_sign_in_by_mobile_code(self):
        "A customer signs in with a code sent by SMS to the mobile number"
        website = self.website
        page = website.page
        name, email, mobile = ws.SARA

        with self.step("The customer asks for a code"):
            website.goto('signin')
            page.locator('#tab-mobile').click()
            page.locator('#mobile').fill(mobile)
            page.locator('#mobile-submit').click()
            expect(page.locator('#code')).to_be_visible()

        with self.step("The server sent the code by SMS"):
            codes = ws.sms_codes(self.server.log(tail=100_000), mobile)
            self.assertTrue(codes, "no SMS in the server's log")

        with self.step("The customer signs in with the code"):
            page.locator('#code').fill(codes[-1])
            page.locator('#code-submit').click()
            expect(page.locator('#nav-user')).to_have_text(name)
            expect(page.locator('#tickets tr[data-ticket]')).to_have_text(
                [re.compile(re.escape(ws.SARA_TICKET))])

        self.assert_no_problem()

    def test_file_preview(self):
        "The customer previews an image of the file manager"
        website = self.website
        page = website.page
        website.sign_in(ws.PAT[1])

        with self.step("The customer opens the files"):
            page.locator('#nav-files').click()
            group = page.locator(
                '.helpdesk-file-group', has_text=ws.PAT_TICKET)
            expect(group).to_have_count(1)
            expect(group.locator('.helpdesk-file')).to_have_count(2)
            expect(group).to_contain_text('invoices-error.png')
            expect(group).to_contain_text('steps.txt')
            # Only the image has a preview
            expect(group.locator('.helpdesk-preview')).to_have_count(1)

        with self.step("The customer previews the image"):
            group.locator('.helpdesk-preview').click()
            preview = page.locator('#preview')
            expect(preview).to_be_visible()
            expect(preview.locator('#preview-title')).to_have_text(
                'invoices-error.png')
            image = preview.locator('#preview-image')
            expect(image).to_be_visible()
            page.wait_for_function(
                "() => { const image = document.querySelector("
                "'#preview-image'); return image.complete "
                "&& image.naturalWidth > 0; }")
            self.assertEqual(
                image.evaluate('image => image.naturalWidth'), 800)
            website.screenshot('website-files-preview.png')

        with self.step("The customer closes the preview"):
            # The screenshot left the focus: the dialog takes it back
            preview.press('Escape')
            expect(preview).to_be_hidden()

        self.assert_no_problem()

    def test_persian_right_to_left(self):
        "The Persian pages are translated and laid out from right to left"
        from trytond.modules.helpdesk_website import website as pages
        website = self.website
        page = website.page

        def persian(text):
            translation = pages.gettext('fa', text)
            self.assertNotEqual(
                translation, text, f"{text!r} has no Persian translation")
            return translation

        with self.step("The team list in Persian"):
            website.goto(lang='fa')
            self.assert_right_to_left()
            expect(page.locator('h1')).to_have_text(
                persian("How can we help you?"))
            expect(page.locator('.helpdesk-team')).to_have_count(3)

        with self.step("The form in Persian"):
            page.locator('.helpdesk-team', has_text=support.TEAM_NAME
                ).get_by_role('link', name=persian("Open a ticket")).click()
            expect(page.locator('#ticket-form')).to_be_visible()
            # The language is kept from page to page
            self.assert_right_to_left()
            expect(page.locator('label[for="name"]')).to_have_text(
                persian("Subject"))
            page.locator('#contact_name').fill(ws.SARA[0])
            page.locator('#contact_email').fill(ws.SARA[1])
            page.locator('#name').fill("سفارش SO-2231 نرسیده است")
            page.locator('#description').fill(
                "سفارش من هنوز نرسیده است. لطفاً وضعیت ارسال را بررسی کنید.")
            # The form's fields start on the right
            name = page.locator('#name').bounding_box()
            label = page.locator('label[for="name"]').bounding_box()
            self.assertGreater(
                label['x'] + label['width'], name['x'] + name['width'] - 20)
            website.screenshot('website-fa-form.png', full_page=True)

        with self.step("The portal in Persian"):
            website.sign_in(ws.SARA[1])
            self.assert_right_to_left()
            page.locator('#tickets tr[data-ticket]').filter(
                has_text=ws.SARA_TICKET).get_by_role(
                    'link', name=ws.SARA_TICKET).click()
            expect(page.locator('#ticket-subject')).to_have_text(
                ws.SARA_TICKET)
            self.assert_right_to_left()
            staff = page.locator(
                '#conversation .helpdesk-message[data-role="staff"]')
            expect(staff).to_contain_text(ws.SARA_ANSWER)
            expect(page.locator('#reply-submit')).to_have_text(
                persian("Send"))
            website.screenshot('website-fa-portal.png', full_page=True)

        self.assert_no_problem()
