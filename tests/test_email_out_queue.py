# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The acknowledgement of the website's form through Tryton's queue, as in
production: a real trytond server with `[queue] worker = True` and a real
trytond-worker process beside it; the mail reaches a real SMTP server only
once the worker runs"""

import http.cookiejar
import os
import re
import signal
import subprocess
import time
import unittest
import urllib.parse
import urllib.request

from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction

from . import support

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')


class QueueServer(support.TrytondServer):
    "trytond leaving the tasks of its queue to a worker"

    def _write_config(self):
        super()._write_config()
        with open(self.config_file, 'a') as fp:
            fp.write('\n[queue]\nworker = True\n')

    def start_worker(self):
        "Start one trytond-worker process on the server's configuration"
        command = support.trytond_command()
        if command[0].endswith('trytond'):
            command = [command[0] + '-worker']
        else:
            command = command[:-1] + ['trytond.cli', 'worker']
        env = {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}
        self.worker_log = open(
            os.path.join(self.directory, 'worker.log'), 'w')
        # A session of its own: its pool's process is stopped with it
        self.worker = subprocess.Popen(
            command + ['-c', self.config_file, '-d', self.database, '-n', '1'],
            cwd=self.directory, env=env, stdin=subprocess.DEVNULL,
            stdout=self.worker_log, stderr=subprocess.STDOUT,
            start_new_session=True)
        return self.worker

    def stop_worker(self):
        worker = getattr(self, 'worker', None)
        if worker and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=15)
        if worker:
            # The processes of its pool hold connections to the database
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                try:
                    os.killpg(worker.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        if getattr(self, 'worker_log', None):
            self.worker_log.close()
            self.worker_log = None

    def worker_output(self):
        path = os.path.join(self.directory, 'worker.log')
        if not os.path.exists(path):
            return ''
        with open(path, errors='replace') as fp:
            return fp.read()[-4000:]


class EmailOutQueueTestCase(unittest.TestCase):
    "The form's acknowledgement, sent by trytond-worker"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_server_database()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        activate_modules('helpdesk_website', create_company)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            Team = pool.get('helpdesk.team')
            company, = Company.search([])
            with transaction.set_context(company=company.id):
                team, = Team.create([{
                            'name': "Customer Care", 'visibility': 'portal',
                            'website_published': True,
                            'email': 'care@support.example',
                            }])
            cls.team_id = team.id
            transaction.commit()
        cls.server = QueueServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)
        cls.addClassCleanup(cls.server.stop_worker)

    def tasks(self):
        "The acknowledgement tasks as (ticket ids, finished)"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Queue = Pool().get('ir.queue')
            return [
                (list(t.data['instances']), bool(t.finished_at))
                for t in Queue.search([], order=[('id', 'ASC')])
                if t.data.get('method') == 'helpdesk_acknowledge']

    def test_form_acknowledged_by_the_worker(self):
        "The visitor's ticket is saved at once, its mail sent by the worker"
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        url = f'{self.server.url}{DB_NAME}/helpdesk/teams/{self.team_id}'
        with opener.open(url, timeout=30) as response:
            token = CSRF_RE.search(response.read().decode()).group(1)
        data = urllib.parse.urlencode({
                'csrf_token': token,
                'contact_name': "Wanda Worker",
                'contact_email': 'wanda@visitor.example',
                'name': "My parcel is late",
                'description': "Ordered a week ago.",
                'priority': '1',
                }).encode()
        request = urllib.request.Request(url, data=data, headers={
                'X-Requested-With': 'fetch', 'Accept': 'application/json',
                'Origin': self.server.url.rstrip('/')})
        with opener.open(request, timeout=30) as response:
            self.assertEqual(response.status, 200, self.server.log())
            number = re.search(
                r'"number":\s*"([^"]+)"', response.read().decode()).group(1)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.search([('number', '=', number)])
            ticket_id = ticket.id
            self.assertEqual(ticket.contact_email, 'wanda@visitor.example')

        # No worker yet: the mail waits in the queue
        self.assertEqual(self.tasks(), [([ticket_id], False)])
        self.assertEqual(self.smtp.wait(1, timeout=1), [])

        self.server.start_worker()
        messages = self.smtp.wait(1, timeout=60)
        self.assertEqual(
            len(messages), 1,
            self.server.worker_output() + self.server.log())
        (recipients, message), = messages
        self.assertEqual(recipients, ['wanda@visitor.example'])
        self.assertEqual(message['Subject'], f"[{number}] My parcel is late")
        self.assertEqual(
            message['From'], "Customer Care <care@support.example>")
        self.assertEqual(message['Auto-Submitted'], 'auto-generated')
        self.assertIn(
            f"/{DB_NAME}/helpdesk/portal/tickets/{ticket_id}",
            message.get_body(('plain',)).get_content())
        deadline = time.monotonic() + 30
        while (self.tasks() != [([ticket_id], True)]
                and time.monotonic() < deadline):
            time.sleep(0.2)
        self.assertEqual(self.tasks(), [([ticket_id], True)])
        with Transaction().start(DB_NAME, 0, readonly=True):
            Message = Pool().get('ir.chat.message')
            note, = Message.search([
                    ('channel.resource', '=', f'helpdesk.ticket,{ticket_id}'),
                    ('reference', '=', message['Message-ID']),
                    ])
            self.assertEqual(note.audience, 'internal')
