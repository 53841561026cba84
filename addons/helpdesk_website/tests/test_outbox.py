# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The outbox: the e-mails are kept with the transaction that writes them,
sent after its commit, and tried again while the SMTP server is down"""

import datetime as dt
import socket
import unittest
from email.message import EmailMessage

from aiosmtpd.controller import Controller

import trytond.config as tconfig
from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.worker import run_task

from .. import outbox as outbox_module


def closed_port_uri():
    "The URI of a local port nobody listens on: an SMTP server down"
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    return f'smtp://127.0.0.1:{port}'


class RefusingServer:
    """A real SMTP server that refuses every recipient for good (550) or for
    now (451)"""

    def __init__(self, code):
        self.code = code
        self.received = []
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            self.port = sock.getsockname()[1]
        self._controller = Controller(
            self, hostname='127.0.0.1', port=self.port)

    @property
    def uri(self):
        return f'smtp://127.0.0.1:{self.port}'

    async def handle_RCPT(self, server, session, envelope, address, options):
        if self.code >= 500:
            return f'{self.code} 5.1.1 <{address}>: no such mailbox'
        return f'{self.code} 4.3.0 <{address}>: try again later'

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope.rcpt_tos)
        return '250 OK'

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()


def mail(subject, to='carol@customer.example'):
    msg = EmailMessage()
    msg['From'] = 'Helpdesk <helpdesk@example.com>'
    msg['To'] = to
    msg['Subject'] = subject
    msg.set_content(f"{subject}.\n\nسلام")
    return msg


class OutboxTestCase(unittest.TestCase):
    "The helpdesk's e-mails through the outbox"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        activate_modules('helpdesk_website', create_company)

    def setUp(self):
        super().setUp()
        self.smtp.clear()
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            Outbox.delete(Outbox.search([]))
            transaction.commit()

    def smtp_down(self):
        "The SMTP server refuses connections until the end of the test"
        tconfig.set('email', 'uri', closed_port_uri())
        self.addCleanup(tconfig.set, 'email', 'uri', self.smtp.uri)

    def with_queue_worker(self):
        if not tconfig.has_section('queue'):
            tconfig.add_section('queue')
        tconfig.set('queue', 'worker', 'True')
        self.addCleanup(tconfig._config.remove_option, 'queue', 'worker')

    def outboxes(self):
        "The mails of the outbox as (subject, state, attempts, error?)"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Outbox = Pool().get('helpdesk.email.outbox')
            return [
                (o.subject, o.state, o.attempts, bool(o.error))
                for o in Outbox.search([], order=[('id', 'ASC')])]

    def send(self, *messages, commit=True):
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            for msg in messages:
                Outbox.send(msg)
            if commit:
                transaction.commit()
            else:
                transaction.rollback()

    def test_sent_after_commit(self):
        "A mail is sent once its transaction is committed, never before"
        self.send(mail("Your ticket HD1"))
        (recipients, message), = self.smtp.wait(1)
        self.assertEqual(recipients, ['carol@customer.example'])
        self.assertEqual(message['Subject'], "Your ticket HD1")
        self.assertIn("سلام", message.get_content())
        self.assertEqual(
            self.outboxes(), [("Your ticket HD1", 'sent', 0, False)])

    def test_rolled_back(self):
        "A mail of a transaction rolled back is neither kept nor sent"
        self.send(mail("Never sent"), commit=False)
        self.assertEqual(self.smtp.wait(1, timeout=1), [])
        self.assertEqual(self.outboxes(), [])

    def test_smtp_down_then_back(self):
        """While the SMTP server is down the mail waits, the transaction is
        committed; the cron job sends it once the server is back"""
        self.smtp_down()
        before = dt.datetime.now()
        self.send(mail("Queued while down"))
        self.assertEqual(self.smtp.wait(1, timeout=1), [])
        self.assertEqual(
            self.outboxes(), [("Queued while down", 'queued', 1, True)])
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            outbox, = Outbox.search([])
            self.assertGreaterEqual(
                outbox.next_attempt, before + dt.timedelta(minutes=1))
            # Not due yet: the cron job leaves it
            Outbox.deliver_due()
            self.assertEqual(outbox.attempts, 1)
            # Due, the server still down: a longer delay
            outbox.next_attempt = dt.datetime.now()
            outbox.save()
            Outbox.deliver_due()
            outbox = Outbox(outbox.id)
            self.assertEqual(outbox.attempts, 2)
            self.assertGreaterEqual(
                outbox.next_attempt,
                dt.datetime.now() + dt.timedelta(minutes=1, seconds=50))
            transaction.commit()

        tconfig.set('email', 'uri', self.smtp.uri)
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            outbox, = Outbox.search([])
            outbox.next_attempt = dt.datetime.now()
            outbox.save()
            Outbox.deliver_due()
            transaction.commit()
        (recipients, message), = self.smtp.wait(1)
        self.assertEqual(message['Subject'], "Queued while down")
        self.assertEqual(
            self.outboxes(), [("Queued while down", 'sent', 2, False)])

    def test_given_up_then_sent_again(self):
        "A mail refused too often is given up; Send Again sends it"
        self.smtp_down()
        self.send(mail("Given up"))
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            outbox, = Outbox.search([])
            outbox.attempts = outbox_module.MAX_ATTEMPTS - 1
            outbox.next_attempt = dt.datetime.now()
            outbox.save()
            Outbox.deliver_due()
            transaction.commit()
        self.assertEqual(self.outboxes(), [
                ("Given up", 'failed', outbox_module.MAX_ATTEMPTS, True)])
        tconfig.set('email', 'uri', self.smtp.uri)
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            Outbox.send_again(Outbox.search([]))
            transaction.commit()
        self.assertEqual(len(self.smtp.wait(1)), 1)
        self.assertEqual(self.outboxes()[0][1], 'sent')

    def test_refused_for_good(self):
        """A mail the SMTP server refuses for good (5xx) fails at once: it
        is not tried again; one refused for now (4xx) waits its turn"""
        with RefusingServer(550) as server:
            tconfig.set('email', 'uri', server.uri)
            self.addCleanup(tconfig.set, 'email', 'uri', self.smtp.uri)
            self.send(mail("No such mailbox", to='nobody@customer.example'))
            self.assertEqual(self.outboxes(),
                [("No such mailbox", 'failed', 1, True)])
            with Transaction().start(DB_NAME, 0, readonly=True):
                Outbox = Pool().get('helpdesk.email.outbox')
                outbox, = Outbox.search([])
                self.assertIsNone(outbox.next_attempt)
                self.assertIn('no such mailbox', outbox.error)
        with RefusingServer(451) as server:
            tconfig.set('email', 'uri', server.uri)
            self.send(mail("Greylisted"))
            self.assertEqual(self.outboxes()[1:],
                [("Greylisted", 'queued', 1, True)])
            self.assertEqual(server.received, [])

    def test_retry_delay_configured(self):
        "The first delay is the configuration's; each next one doubles"
        self.assertEqual(
            outbox_module.retry_delay(1), dt.timedelta(minutes=1))
        self.assertEqual(
            outbox_module.retry_delay(3), dt.timedelta(minutes=4))
        self.assertEqual(
            outbox_module.retry_delay(30), outbox_module.MAX_DELAY)
        if not tconfig.has_section('helpdesk_website'):
            tconfig.add_section('helpdesk_website')
        tconfig.set('helpdesk_website', 'outbox_retry_delay', '5')
        self.addCleanup(tconfig._config.remove_option,
            'helpdesk_website', 'outbox_retry_delay')
        self.assertEqual(
            outbox_module.retry_delay(1), dt.timedelta(seconds=5))
        self.assertEqual(
            outbox_module.retry_delay(2), dt.timedelta(seconds=10))

    def test_silent_server_timeout(self):
        """A server that accepts the connection and never answers fails the
        attempt after smtp_timeout: the mail waits for the next one"""
        with socket.socket() as silent:
            silent.bind(('127.0.0.1', 0))
            # Connections are accepted by the kernel, nobody answers them
            silent.listen(8)
            port = silent.getsockname()[1]
            tconfig.set('email', 'uri', f'smtp://127.0.0.1:{port}')
            self.addCleanup(tconfig.set, 'email', 'uri', self.smtp.uri)
            if not tconfig.has_section('helpdesk_website'):
                tconfig.add_section('helpdesk_website')
            tconfig.set('helpdesk_website', 'smtp_timeout', '1')
            self.addCleanup(tconfig._config.remove_option,
                'helpdesk_website', 'smtp_timeout')
            self.send(mail("Nobody answers"))
        self.assertEqual(self.outboxes(),
            [("Nobody answers", 'queued', 1, True)])
        with Transaction().start(DB_NAME, 0, readonly=True):
            Outbox = Pool().get('helpdesk.email.outbox')
            outbox, = Outbox.search([])
            self.assertIn('timed out', outbox.error)

    def test_smtp_uri_timeout(self):
        "The configured URI's own timeout wins over smtp_timeout"
        tconfig.set('email', 'uri', 'smtp+tls://u:p@smtp.example.com:587')
        self.addCleanup(tconfig.set, 'email', 'uri', self.smtp.uri)
        self.assertEqual(outbox_module.smtp_uri(),
            'smtp+tls://u:p@smtp.example.com:587?timeout=60')
        tconfig.set('email', 'uri', 'smtp://smtp.example.com?timeout=5')
        self.assertEqual(outbox_module.smtp_uri(),
            'smtp://smtp.example.com?timeout=5')

    def test_stale_queued_mail_sent_by_cron(self):
        """A mail left queued by a process that ended before sending it is
        sent by the cron job"""
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            table = Outbox.__table__()
            outbox, = Outbox.create([{
                        'message': mail("Left behind").as_string(),
                        'subject': "Left behind",
                        }])
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date],
                    [dt.datetime.now() - dt.timedelta(minutes=10)],
                    where=table.id == outbox.id))
            Outbox.deliver_due()
            transaction.commit()
        self.assertEqual(len(self.smtp.wait(1)), 1)
        self.assertEqual(self.outboxes(), [("Left behind", 'sent', 0, False)])

    def test_old_sent_mails_forgotten(self):
        "The cron job forgets the mails sent over a month ago"
        self.send(mail("Old"), mail("Recent"))
        self.smtp.wait(2)
        with Transaction().start(DB_NAME, 0) as transaction:
            Outbox = Pool().get('helpdesk.email.outbox')
            old, recent = Outbox.search([], order=[('id', 'ASC')])
            old.sent_date = dt.datetime.now() - dt.timedelta(days=31)
            old.save()
            Outbox.deliver_due()
            transaction.commit()
        self.assertEqual(self.outboxes(), [("Recent", 'sent', 0, False)])

    def test_worker_sends_and_reschedules(self):
        """With a worker the mail is a task of the queue; refused, the task
        is scheduled again later"""
        self.with_queue_worker()
        self.send(mail("Through the worker"))
        self.assertEqual(self.smtp.wait(1, timeout=1), [])
        with Transaction().start(DB_NAME, 0, readonly=True):
            Queue = Pool().get('ir.queue')
            task, = Queue.search([('finished_at', '=', None)])
            self.assertEqual(task.data['method'], 'deliver')
            task_id = task.id

        self.smtp_down()
        run_task(DB_NAME, task_id)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Queue = Pool().get('ir.queue')
            again, = Queue.search([('finished_at', '=', None)])
            self.assertEqual(again.data['method'], 'deliver')
            self.assertGreater(
                again.scheduled_at,
                dt.datetime.now() + dt.timedelta(seconds=50))
            again_id = again.id
        self.assertEqual(
            self.outboxes(), [("Through the worker", 'queued', 1, True)])

        tconfig.set('email', 'uri', self.smtp.uri)
        run_task(DB_NAME, again_id)
        self.assertEqual(len(self.smtp.wait(1)), 1)
        self.assertEqual(
            self.outboxes(), [("Through the worker", 'sent', 1, False)])

    def test_access(self):
        "Only the administrators read the outbox (it holds account links)"
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            ModelAccess = pool.get('ir.model.access')
            ModelData = pool.get('ir.model.data')
            User = pool.get('res.user')
            agent, = User.create([{
                        'login': 'outbox_agent', 'name': "Agent",
                        'groups': [('add', [
                                    ModelData.get_id(
                                        'helpdesk_core', 'group_helpdesk'),
                                    ModelData.get_id(
                                        'helpdesk_core',
                                        'group_helpdesk_manager'),
                                    ])],
                        }])
            with transaction.set_user(agent.id), \
                    transaction.set_context(_check_access=True):
                self.assertFalse(ModelAccess.check(
                        'helpdesk.email.outbox', 'read',
                        raise_exception=False))
            admin, = User.search([('login', '=', 'admin')])
            with transaction.set_user(admin.id), \
                    transaction.set_context(_check_access=True):
                self.assertTrue(ModelAccess.check(
                        'helpdesk.email.outbox', 'read',
                        raise_exception=False))
            transaction.rollback()
