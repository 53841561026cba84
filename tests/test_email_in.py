# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Customers write to a team's address: real mails posted over HTTP to the
inbound webhook of a real trytond server, and helpdesk-fetchmail reading a
real IMAP server (dovecot), including a connection cut during a fetch; the
acknowledgements arrive at a real SMTP server"""

import os
import subprocess
import sys
import threading
import time
import unittest
import urllib.request

from . import dovecot_support, support

FETCHMAIL_TIMEOUT = 120  # seconds
CUSTOMER = 'shirin@customer.example'


def fetchmail_command():
    path = os.path.join(os.path.dirname(sys.executable), 'helpdesk-fetchmail')
    if os.access(path, os.X_OK):
        return [path]
    return [sys.executable, '-m', 'trytond.modules.helpdesk_website.fetchmail']


class Server(support.TrytondServer):
    "The server, logging what the e-mail intake does (-vv: info)"

    def command(self):
        return super().command() + ['-vv']


class EmailInTestCase(unittest.TestCase):
    "Mails to the team of a real server"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_server_database()

        from trytond.modules.company.tests.tools import create_company
        from trytond.modules.helpdesk_core.tests.tools import SMTPSink
        from trytond.modules.helpdesk_website.tests import mails
        from trytond.pool import Pool
        from trytond.tests.test_tryton import DB_NAME, drop_db
        from trytond.tests.tools import activate_modules
        from trytond.transaction import Transaction

        cls.mails = mails
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        drop_db()
        activate_modules('helpdesk_website', create_company)
        cls.addClassCleanup(drop_db)
        cls.database = DB_NAME
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            Team = pool.get('helpdesk.team')
            company, = Company.search([])
            with transaction.set_context(company=company.id):
                Team.create([{
                            'name': "Customer Support",
                            'visibility': 'portal',
                            'email': mails.TEAM_EMAIL,
                            }])
            mails.setup_inbox()
            transaction.commit()
        cls.server = Server(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)
        cls.webhook = (f'{cls.server.url}{DB_NAME}/inbound_email/inbox/'
            f'{mails.INBOX_IDENTIFIER}')

    def setUp(self):
        super().setUp()
        self.smtp.clear()

    # --- helpers

    def post(self, data):
        "Post the mail to the webhook as an MTA's pipe to curl does"
        request = urllib.request.Request(
            self.webhook, data=data, method='POST',
            headers={'Content-Type': 'message/rfc822'})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            self.assertEqual(response.status, 204)

    def read(self, function):
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(self.database, 0, readonly=True):
            with Transaction().set_context(active_test=False):
                return function(Pool())

    def ticket_of(self, message_id):
        "The ticket (id, number, name, state, origin) made of the mail"
        def read(pool):
            Email = pool.get('inbound.email')
            emails = Email.search([
                    ('helpdesk_message_id', '=', message_id),
                    ], order=[('id', 'ASC')])
            if not emails or not emails[0].result:
                return None
            ticket = emails[0].result
            return {
                'id': ticket.id, 'number': ticket.number,
                'name': ticket.name, 'state': ticket.state,
                'origin': ticket.origin_ticket.id
                if ticket.origin_ticket else None,
                'description': ticket.description,
                }
        return self.read(read)

    def outcomes(self, message_id):
        def read(pool):
            Email = pool.get('inbound.email')
            return [e.helpdesk_outcome for e in Email.search([
                        ('helpdesk_message_id', '=', message_id),
                        ], order=[('id', 'ASC')])]
        return self.read(read)

    def ticket_count(self):
        return self.read(
            lambda pool: pool.get('helpdesk.ticket').search_count([]))

    def state(self, ticket_id):
        return self.read(
            lambda pool: pool.get('helpdesk.ticket')(ticket_id).state)

    def conversation(self, ticket_id):
        def read(pool):
            Message = pool.get('ir.chat.message')
            return [m.content for m in Message.search([
                        ('channel.resource', '=',
                            f'helpdesk.ticket,{ticket_id}'),
                        ('email', '!=', None),
                        ], order=[('id', 'ASC')])]
        return self.read(read)

    def files(self, ticket_id):
        def read(pool):
            Attachment = pool.get('ir.attachment')
            return {a.name: bytes(a.data) for a in Attachment.search([
                        ('resource', '=', f'helpdesk.ticket,{ticket_id}'),
                        ])}
        return self.read(read)

    def acknowledgement(self, to):
        for recipients, message in self.smtp.wait(1, timeout=20):
            if to in recipients:
                return message
        self.fail(f"no acknowledgement to {to}: {self.smtp.messages}")

    def new_ticket(self, subject="My order never came", sender=CUSTOMER,
            **kwargs):
        message_id = self.mails.new_message_id()
        self.post(self.mails.plain(
                sender, self.mails.TEAM_EMAIL, subject,
                "Ordered three weeks ago.", message_id=message_id, **kwargs))
        ticket = self.ticket_of(message_id)
        self.assertTrue(ticket)
        return ticket, message_id

    def solve(self, ticket_id):
        from trytond.pool import Pool
        from trytond.transaction import Transaction
        with Transaction().start(self.database, 0) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            Ticket.solve([Ticket(ticket_id)])
            transaction.commit()

    # --- the webhook

    def test_new_ticket_and_replies(self):
        "A mail makes a ticket; the customer's replies thread into it"
        from trytond.modules.helpdesk_website.tests.tools import pdf, png
        mails = self.mails
        before = self.ticket_count()
        subject = "سفارش شماره ۱۱۸۷ هنوز نرسیده است"
        text = "سلام،\nسفارش من هنوز نرسیده است. لطفاً پیگیری کنید."
        message_id = mails.new_message_id()
        self.post(mails.alternative(
                f'{mails.encoded_word("شیرین احمدی")} <{CUSTOMER}>',
                mails.TEAM_EMAIL, mails.encoded_word(subject), text,
                f'<p>{text}</p>', message_id=message_id,
                attachments=[
                    ('invoice.pdf', 'application/pdf', pdf()),
                    ('photo.png', 'image/png', png()),
                    ]))
        ticket = self.ticket_of(message_id)
        self.assertEqual(ticket['name'], subject)
        self.assertEqual(ticket['description'], text)
        files = self.files(ticket['id'])
        self.assertEqual(files['invoice.pdf'], pdf())
        self.assertEqual(files['photo.png'], png())
        self.assertIn('message.html', files)

        # The acknowledgement reached the SMTP server, threaded
        ack = self.acknowledgement(CUSTOMER)
        self.assertIn(f"[{ticket['number']}]", ack['Subject'])
        self.assertEqual(ack['In-Reply-To'], message_id)
        self.assertIn('rtl', ack.get_body(('html',)).get_content())

        # A reply with the reference in the subject
        self.post(mails.plain(
                CUSTOMER, mails.TEAM_EMAIL, f"Re: {ack['Subject']}",
                "Any news?"))
        # A reply to the acknowledgement, as a mail client threads it
        self.post(mails.plain(
                CUSTOMER, mails.TEAM_EMAIL, "Re: your mail",
                "I am still waiting.", extra=[
                    ('In-Reply-To', ack['Message-ID']),
                    ('References', f"{message_id} {ack['Message-ID']}"),
                    ]))
        # A reply to the reply address of the acknowledgement
        reply_to = ack['Reply-To'] or ack['From']
        self.assertIn('+', str(reply_to))
        self.post(mails.plain(
                CUSTOMER, str(reply_to), "Re: hello", "Here is my address."))
        self.assertEqual(self.conversation(ticket['id']), [
                "Any news?", "I am still waiting.", "Here is my address."])
        self.assertEqual(self.ticket_count(), before + 1)

    def test_reply_reopens_solved(self):
        "A reply to a solved ticket reopens it"
        ticket, _ = self.new_ticket()
        self.solve(ticket['id'])
        self.assertEqual(self.state(ticket['id']), 'solved')
        self.post(self.mails.plain(
                CUSTOMER, self.mails.TEAM_EMAIL,
                f"Re: [{ticket['number']}] My order never came",
                "It is broken, in fact."))
        self.assertIn(self.state(ticket['id']), {'new', 'in_progress'})
        self.assertEqual(
            self.conversation(ticket['id']), ["It is broken, in fact."])

    def test_duplicate(self):
        "The same mail posted twice makes one ticket"
        message_id = self.mails.new_message_id()
        data = self.mails.plain(
            CUSTOMER, self.mails.TEAM_EMAIL, "Sent twice", "Twice.",
            message_id=message_id)
        before = self.ticket_count()
        self.post(data)
        self.post(data)
        self.assertEqual(self.ticket_count(), before + 1)
        self.assertEqual(self.outcomes(message_id), ['ticket', 'duplicate'])

    def test_auto_reply_and_bounce(self):
        "Auto-replies and bounces open nor reopen any ticket"
        ticket, first_id = self.new_ticket()
        self.solve(ticket['id'])
        before = self.ticket_count()
        auto_id = self.mails.new_message_id()
        self.post(self.mails.plain(
                CUSTOMER, self.mails.TEAM_EMAIL,
                f"Automatic reply: [{ticket['number']}]",
                "I am out of the office.", message_id=auto_id,
                extra=[('Auto-Submitted', 'auto-replied')]))
        bounce_id = self.mails.new_message_id('mx.customer.example')
        self.post(self.mails.bounce(
                self.mails.TEAM_EMAIL, first_id, CUSTOMER,
                message_id=bounce_id))
        self.assertEqual(self.outcomes(auto_id), ['automatic'])
        self.assertEqual(self.outcomes(bounce_id), ['automatic'])
        self.assertEqual(self.ticket_count(), before)
        self.assertEqual(self.state(ticket['id']), 'solved')
        self.assertEqual(self.conversation(ticket['id']), [])
        self.assertIn('automatic mail', self.server.log())

    def test_unknown_address(self):
        "A mail to an address no team has is refused, with a log line"
        message_id = self.mails.new_message_id()
        before = self.ticket_count()
        self.post(self.mails.plain(
                CUSTOMER, 'nobody@helpdesk.example', "Hello", "Anyone?",
                message_id=message_id))
        self.assertEqual(self.ticket_count(), before)
        self.assertEqual(self.outcomes(message_id), ['unknown'])
        log = self.server.log()
        self.assertIn(
            f"inbound e-mail {message_id} from {CUSTOMER} to "
            "nobody@helpdesk.example: refused, no team has the address", log)

    def test_duplicate_concurrent(self):
        "The same mail posted four times at once makes one ticket"
        message_id = self.mails.new_message_id()
        data = self.mails.plain(
            CUSTOMER, self.mails.TEAM_EMAIL, "Posted four times at once",
            "Four MTAs.", message_id=message_id)
        before = self.ticket_count()
        barrier = threading.Barrier(4)
        errors = []

        def post():
            try:
                barrier.wait()
                self.post(data)
            except Exception as exception:
                errors.append(exception)
        threads = [threading.Thread(target=post) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(self.ticket_count(), before + 1)
        self.assertEqual(
            sorted(self.outcomes(message_id)),
            ['duplicate', 'duplicate', 'duplicate', 'ticket'])

    def test_non_follower_reply(self):
        "A stranger's reply to a ticket is a new ticket related to it"
        ticket, first_id = self.new_ticket()
        message_id = self.mails.new_message_id('other.example')
        self.post(self.mails.plain(
                'stranger@other.example', self.mails.TEAM_EMAIL,
                f"Re: [{ticket['number']}] My order never came",
                "I have the same problem.", message_id=message_id,
                extra=[('In-Reply-To', first_id)]))
        new = self.ticket_of(message_id)
        self.assertNotEqual(new['id'], ticket['id'])
        self.assertEqual(new['origin'], ticket['id'])
        self.assertEqual(self.conversation(ticket['id']), [])

    # --- helpdesk-fetchmail and an IMAP server

    def fetchmail_command(self, dovecot, *args, port=None):
        return fetchmail_command() + [
            '-c', self.server.config_file, '-d', self.database,
            '--host', '127.0.0.1', '--port', str(port or dovecot.ssl_port),
            '--cafile', dovecot.cert, '-u', dovecot_support.USER,
            '--password-file', self.password_file(dovecot),
            '--backoff', '0.2', *args]

    def fetchmail_env(self):
        "The configuration file alone configures helpdesk-fetchmail"
        return {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}

    def fetchmail(self, dovecot, *args, port=None):
        "Run helpdesk-fetchmail --once against the server"
        return subprocess.run(
            self.fetchmail_command(dovecot, '--once', *args, port=port),
            env=self.fetchmail_env(), capture_output=True, text=True,
            timeout=FETCHMAIL_TIMEOUT, stdin=subprocess.DEVNULL)

    def wait_seen(self, dovecot, message_id, timeout=60):
        "Wait until the message is seen in the mailbox"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if '\\Seen' in dovecot.flags().get(message_id, set()):
                return
            time.sleep(0.2)
        self.fail(f"{message_id} not seen after {timeout}s")

    def password_file(self, dovecot):
        path = os.path.join(dovecot.directory, 'fetchmail-password')
        with open(path, 'w') as fp:
            fp.write(dovecot_support.PASSWORD + '\n')
        return path

    def imap_mails(self, count, size=0, prefix="IMAP"):
        "count mails (Message-ID, bytes), each with a file of size bytes"
        from trytond.modules.helpdesk_website.tests.tools import pdf
        result = []
        for i in range(count):
            message_id = self.mails.new_message_id()
            attachments = []
            if size:
                data = pdf() + b'%' + bytes(
                    (i * 7 + j) % 251 for j in range(size))
                attachments = [(f'scan-{i}.pdf', 'application/pdf', data)]
            result.append((message_id, self.mails.alternative(
                        f'Customer {i} <imap{i}.{message_id[6:14]}'
                        '@customer.example>',
                        self.mails.TEAM_EMAIL, f"{prefix} request {i}",
                        f"Request number {i}.", f"<p>Request {i}.</p>",
                        message_id=message_id, attachments=attachments)))
        return result

    def assert_one_ticket_each(self, messages, dovecot, folder='INBOX'):
        for message_id, _ in messages:
            ticket = self.ticket_of(message_id)
            self.assertTrue(ticket, message_id)
            outcomes = self.outcomes(message_id)
            self.assertEqual(outcomes.count('ticket'), 1, outcomes)
            self.assertEqual(
                set(outcomes) - {'ticket', 'duplicate'}, set(), outcomes)
            names = self.read(lambda pool, n=ticket['name']: pool.get(
                    'helpdesk.ticket').search_count([('name', '=', n)]))
            self.assertEqual(names, 1, ticket['name'])
        flags = dovecot.flags(folder)
        for message_id, _ in messages:
            self.assertIn('\\Seen', flags[message_id], message_id)

    def test_fetchmail(self):
        "helpdesk-fetchmail makes a ticket of each unseen mail over IMAPS"
        with dovecot_support.Dovecot() as dovecot:
            messages = self.imap_mails(3, prefix="IMAPS")
            dovecot.append(*(data for _, data in messages))
            result = self.fetchmail(dovecot)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assert_one_ticket_each(messages, dovecot)
            self.assertIn("3 unseen message(s) in INBOX", result.stderr)
            self.assertIn("marked \\Seen", result.stderr)
            # Nothing more to do the next time
            again = self.fetchmail(dovecot)
            self.assertEqual(again.returncode, 0, again.stderr)
            self.assertNotIn("unseen message", again.stderr)
            self.assert_one_ticket_each(messages, dovecot)

    def test_fetchmail_polling(self):
        "Polling, helpdesk-fetchmail takes each new mail until stopped"
        with dovecot_support.Dovecot() as dovecot:
            (first_id, first), = self.imap_mails(1, prefix="Poll first")
            dovecot.append(first)
            process = subprocess.Popen(
                self.fetchmail_command(dovecot, '--interval', '0.5'),
                env=self.fetchmail_env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                self.wait_seen(dovecot, first_id)
                (second_id, second), = self.imap_mails(
                    1, prefix="Poll second")
                dovecot.append(second)
                self.wait_seen(dovecot, second_id)
            finally:
                process.terminate()
                _, stderr = process.communicate(timeout=30)
            self.assertEqual(process.returncode, 0, stderr)
            self.assertIn("Stopped", stderr)
            self.assert_one_ticket_each(
                [(first_id, first), (second_id, second)], dovecot)

    def test_fetchmail_starttls_move(self):
        "With STARTTLS, each mail is moved to a folder once committed"
        with dovecot_support.Dovecot() as dovecot:
            messages = self.imap_mails(2, prefix="STARTTLS")
            dovecot.append(*(data for _, data in messages))
            result = self.fetchmail(
                dovecot, '--security', 'starttls', '--move-to', 'Processed',
                port=dovecot.port)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("moved to Processed", result.stderr)
            self.assertEqual(dovecot.flags('INBOX'), {})
            self.assert_one_ticket_each(messages, dovecot, folder='Processed')

    def test_fetchmail_connection_cut(self):
        "A connection cut during a fetch loses no mail and doubles none"
        with dovecot_support.Dovecot() as dovecot:
            size = 40_000
            messages = self.imap_mails(3, size=size, prefix="Cut")
            dovecot.append(*(data for _, data in messages))
            # Cut in the middle of the second mail (base64: 4/3 bigger)
            cut = int(len(messages[0][1]) * 1.5) + 4000
            with dovecot_support.CuttingProxy(
                    dovecot.ssl_port, cut) as proxy:
                result = self.fetchmail(dovecot, port=proxy.port)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(proxy.cuts, 1)
            self.assertGreaterEqual(proxy.connections, 2)
            self.assertIn("lost", result.stderr)
            self.assertIn("connecting again", result.stderr)
            self.assert_one_ticket_each(messages, dovecot)
            for message_id, _ in messages:
                ticket = self.ticket_of(message_id)
                self.assertEqual(len([
                            n for n in self.files(ticket['id'])
                            if n.startswith('scan-')]), 1)

    def test_fetchmail_committed_not_marked(self):
        "A mail committed but not marked seen (a crash) is not doubled"
        with dovecot_support.Dovecot() as dovecot:
            (message_id, data), = self.imap_mails(1, prefix="Crash")
            # The first run committed the ticket, then died
            self.post(data)
            dovecot.append(data)
            result = self.fetchmail(dovecot)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(
                self.outcomes(message_id), ['ticket', 'duplicate'])
            self.assertIn('\\Seen', dovecot.flags()[message_id])

    def test_fetchmail_missing_folder(self):
        "A folder to move the mails to that does not exist is said clearly"
        with dovecot_support.Dovecot() as dovecot:
            (message_id, data), = self.imap_mails(1, prefix="No folder")
            dovecot.append(data)
            result = self.fetchmail(dovecot, '--move-to', 'Nowhere')
            self.assertEqual(result.returncode, 3, result.stderr)
            self.assertIn(
                "The folder Nowhere to move the mails to", result.stderr)
            # Nothing was taken
            self.assertNotIn('\\Seen', dovecot.flags()[message_id])
            self.assertIsNone(self.ticket_of(message_id))

    def test_fetchmail_wrong_password(self):
        "A refused login is said clearly"
        with dovecot_support.Dovecot() as dovecot:
            result = self.fetchmail(dovecot, '-u', 'someone-else')
            self.assertEqual(result.returncode, 3, result.stderr)
            self.assertIn("Login as someone-else refused", result.stderr)
