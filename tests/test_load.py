# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Reliability under load and faults (doc/deployment.rst): `make serve`'s
processes (tools/serve: gunicorn, trytond-cron, trytond-worker) with 200
visitors sending the website's ticket form and 20 agents listing and
answering; then the faults of production: the PostgreSQL server restarted,
a server worker killed in the middle of requests, the SMTP server down.

The served database is a copy of the test database on a PostgreSQL server
of the test's own (Debian's pg_createcluster on a free port), so that the
restart touches nothing else on the machine."""

import base64
import concurrent.futures
import glob
import http.client
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

import psycopg

from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction

from . import support

MODULES = [
    'helpdesk_core', 'helpdesk_sla', 'helpdesk_aftersales',
    'helpdesk_website', 'helpdesk_crm']
DATABASE = 'helpdesk_load'
VISITORS = 200
AGENTS = 20
AGENT_PASSWORD = 'Helpdesk-Load-2026!'
# How long the visitors and agents of the load test work
LOAD_SECONDS = 20
# How long a client tries again a request refused by a fault
RETRY_SECONDS = 90
REQUEST_KEY = re.compile(r'name="request_key" value="([0-9a-f]{32})"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
SUBMITTED = re.compile(r'/submitted/(\d+)/')


def _free_port():
    return support.free_port()


class PostgreSQLServer:
    "A PostgreSQL server of the test's own, made with Debian's tools"

    def __init__(self):
        versions = sorted(
            glob.glob('/usr/lib/postgresql/*/bin/postgres'),
            key=lambda p: int(p.split('/')[4]))
        self.version = versions[-1].split('/')[4] if versions else None
        self.name = f'helpdesk_load_{os.getpid()}'
        self.port = None

    @staticmethod
    def available():
        return bool(shutil.which('pg_createcluster')
            and glob.glob('/usr/lib/postgresql/*/bin/postgres'))

    @classmethod
    def drop_stale(cls):
        "Drop the servers of test runs that died before their cleanup"
        output = subprocess.run(['pg_lsclusters', '-h'],
            capture_output=True, text=True).stdout
        for line in output.splitlines():
            version, name, *_ = line.split()
            if not name.startswith('helpdesk_load_'):
                continue
            pid = int(name.rsplit('_', 1)[1])
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                subprocess.run(['pg_dropcluster', '--stop', version, name],
                    capture_output=True)

    def start(self):
        self.drop_stale()
        self.port = _free_port()
        subprocess.run([
                'pg_createcluster', self.version, self.name,
                '-p', str(self.port), '--start',
                '-o', 'max_connections=200', '-o', 'fsync=off',
                '--', '--auth=trust', '--encoding=UTF8'],
            check=True, capture_output=True)
        return self

    def restart(self):
        "Restart the server as an administrator does (fast shutdown)"
        subprocess.run([
                'pg_ctlcluster', '--skip-systemctl-redirect', self.version,
                self.name, 'restart', '-m', 'fast'],
            check=True, capture_output=True)

    def stop(self):
        subprocess.run(
            ['pg_dropcluster', '--stop', self.version, self.name],
            capture_output=True)

    @property
    def uri(self):
        return f'postgresql://postgres@127.0.0.1:{self.port}/'

    def connect(self, database=DATABASE):
        return psycopg.connect(
            host='127.0.0.1', port=self.port, user='postgres',
            dbname=database, autocommit=True)

    def copy(self, source_uri, source, target=DATABASE):
        "Copy the database source of the PostgreSQL at source_uri"
        parts = urllib.parse.urlsplit(source_uri)
        with self.connect('postgres') as conn:
            conn.execute(f'CREATE DATABASE "{target}" ENCODING \'UTF8\'')
        dump = subprocess.Popen([
                'pg_dump', '-h', parts.hostname or '127.0.0.1',
                '-p', str(parts.port or 5432),
                '-U', parts.username or 'postgres', '--no-owner', source],
            stdout=subprocess.PIPE)
        subprocess.run([
                'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
                '-h', '127.0.0.1', '-p', str(self.port), '-U', 'postgres',
                '-d', target],
            stdin=dump.stdout, check=True, capture_output=True)
        if dump.wait():
            raise RuntimeError(f"pg_dump {source} failed")


class Serve:
    """`make serve` (tools/serve) on the database of a PostgreSQL server,
    with its own configuration and SMTP server"""

    def __init__(self, postgresql, smtp_uri, workers=2):
        self.postgresql = postgresql
        self.smtp_uri = smtp_uri
        self.workers = workers
        self.directory = tempfile.mkdtemp(prefix='helpdesk-serve-')
        self.port = _free_port()
        self.url = f'http://127.0.0.1:{self.port}/'
        self.log_file = os.path.join(self.directory, 'serve.log')
        self.process = None
        self._log = None

    def start(self):
        extra = os.path.join(self.directory, 'extra.conf')
        with open(extra, 'w') as file:
            file.write('\n'.join([
                        '[database]',
                        f'path = {self.directory}/filestore',
                        '[session]',
                        'max_attempt = 1000',
                        '[helpdesk_website]',
                        # All the visitors come from one network here
                        'ticket_form_limit = 1000000',
                        'outbox_retry_delay = 2',
                        'smtp_timeout = 5',
                        '[helpdesk_core]',
                        # Lost tasks queued again within the wait
                        'queue_lost_after = 20',
                        '']))
        env = {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}
        env.update({
                'PYTHONUNBUFFERED': '1',
                'HELPDESK_PG_URI': self.postgresql.uri,
                'HELPDESK_SMTP_URI': self.smtp_uri,
                'HELPDESK_ACCESS_LOG': '',
                # The same workers from the start to the end of the tests
                'HELPDESK_MAX_REQUESTS': '0',
                })
        self._log = open(self.log_file, 'w')
        self.process = subprocess.Popen([
                sys.executable, os.path.join(support.ROOT, 'tools', 'serve'),
                '--database', DATABASE, '--no-update',
                '--workers', str(self.workers),
                '--listen', f'127.0.0.1:{self.port}',
                '--config', os.path.join(self.directory, 'serve.conf'),
                '--extra-config', extra],
            env=env, stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"make serve ended:\n{self.log(12000)}")
            try:
                with urllib.request.urlopen(
                        f'{self.url}{DATABASE}/helpdesk/', timeout=5):
                    return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError(
            f"make serve does not answer:\n{self.log(12000)}")

    def log(self, tail=None):
        with open(self.log_file, errors='replace') as file:
            text = file.read()
        return text[-tail:] if tail else text

    def processes(self):
        """What make serve runs, as (pid, parent pid, command line): tools/
        serve, gunicorn's master and workers, trytond-cron, trytond-worker
        and its pool, each in its own session"""
        output = subprocess.run(
            ['ps', '-e', '-o', 'pid=,ppid=,args='],
            capture_output=True, text=True).stdout
        rows = [line.split(None, 2) for line in output.splitlines()]
        rows = [(int(pid), int(ppid), args) for pid, ppid, args in rows]
        ours, found = {self.process.pid}, True
        while found:
            found = False
            for pid, ppid, _ in rows:
                if ppid in ours and pid not in ours:
                    ours.add(pid)
                    found = True
        return sorted(r for r in rows if r[0] in ours)

    def web_servers(self):
        "gunicorn's master and workers"
        processes = self.processes()
        masters = {pid for pid, ppid, args in processes
            if ppid == self.process.pid and 'gunicorn' in args}
        return sorted(r for r in processes
            if r[0] in masters or r[1] in masters)

    def gunicorn_workers(self):
        processes = self.processes()
        masters = {pid for pid, ppid, args in processes
            if ppid == self.process.pid and 'gunicorn' in args}
        return sorted(
            pid for pid, ppid, _ in processes if ppid in masters)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self._log:
            self._log.close()
        shutil.rmtree(self.directory, ignore_errors=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Refused(Exception):
    "A request the server did not carry out (a fault): try it again"


class Visitor:
    "A website visitor sending the ticket form of a team"

    def __init__(self, serve, team_id):
        self.base = f'{serve.url}{DATABASE}/helpdesk/teams/{team_id}'
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            _NoRedirect)
        self.refusals = []

    def _open(self, request):
        try:
            with self.opener.open(request, timeout=120) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()
        except (OSError, http.client.HTTPException) as exception:
            raise Refused(repr(exception))

    def form(self):
        "The form's CSRF token and request key"
        status, _, body = self._open(self.base)
        if status != 200:
            raise Refused(f"GET {status}")
        page = body.decode()
        return CSRF.search(page).group(1), REQUEST_KEY.search(page).group(1)

    def send(self, subject, deadline):
        """Send the form until the server answers with the ticket made:
        its id and the request key, or None past the deadline"""
        csrf, key = None, None
        while time.monotonic() < deadline:
            try:
                if csrf is None:
                    csrf, new_key = self.form()
                    key = key or new_key
                status, headers, body = self._open(urllib.request.Request(
                        self.base, data=urllib.parse.urlencode({
                                'csrf_token': csrf,
                                'request_key': key,
                                'contact_name': "Visitor " + subject,
                                'contact_email': (
                                    f'{key[:12]}@visitor.example'),
                                'name': subject,
                                'description': f"{subject}: it broke.",
                                'priority': '1',
                                }).encode()))
                if status == 303:
                    match = SUBMITTED.search(headers['Location'])
                    return int(match.group(1)), key
                if status == 403:
                    # The session was lost with the worker: a new token
                    csrf = None
                raise Refused(f"POST {status}: {body[:300]!r}")
            except Refused as refusal:
                self.refusals.append(str(refusal))
                time.sleep(0.5)
        return None


class Agent:
    "An agent using the JSON-RPC of the server, as the web client does"

    def __init__(self, serve, login):
        self.url = f'{serve.url}{DATABASE}/rpc/'
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}))
        self.session = None
        user_id, key, *_ = self.call(
            'common.db.login', login, {'password': AGENT_PASSWORD}, 'en')
        self.user_id = user_id
        self.session = base64.b64encode(
            f'{login}:{user_id}:{key}'.encode()).decode()
        self.context = self.call('model.res.user.get_preferences', True, {})

    def call(self, method, *params):
        request = urllib.request.Request(self.url, data=json.dumps({
                    'id': 1, 'method': method, 'params': list(params),
                    }).encode(), headers={'Content-Type': 'application/json'})
        if self.session:
            request.add_header('Authorization', 'Session ' + self.session)
        with self.opener.open(request, timeout=120) as response:
            answer = json.load(response)
        if 'error' in answer:
            raise AssertionError(f"{method}: {answer['error']}")
        return answer['result']

    def model(self, model, method, *params):
        return self.call(f'model.{model}.{method}', *params, self.context)

    def work(self, team_id, deadline, answered):
        """List the team's tickets as the web client does (a page, its
        count) and answer each new ticket assigned to me"""
        fields = ['number', 'name', 'party', 'stage', 'user', 'priority',
            'write_date']
        while time.monotonic() < deadline:
            for domain in [
                    [('team', '=', team_id)],
                    [('team', '=', team_id), ('user', '=', self.user_id)],
                    ]:
                ids = self.model('helpdesk.ticket', 'search', domain,
                    0, 80, [['create_date', 'DESC']])
                self.model('helpdesk.ticket', 'read', ids, fields)
                self.model('helpdesk.ticket', 'search_count', domain)
            mine = self.model('helpdesk.ticket', 'search', [
                    ('team', '=', team_id), ('user', '=', self.user_id),
                    ('first_response_date', '=', None),
                    ], 0, 5, None)
            for ticket_id in mine:
                self.model('ir.chat.channel', 'post',
                    f'helpdesk.ticket,{ticket_id}',
                    f"Answer to ticket {ticket_id}.", 'public')
                answered.append(ticket_id)
            time.sleep(0.2)


@unittest.skipUnless(
    support.in_ci() or PostgreSQLServer.available(),
    "PostgreSQL's server tools (pg_createcluster) are not installed")
class LoadTestCase(unittest.TestCase):
    """make serve under load and faults: nothing a client was told is saved
    is lost or doubled"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_server_database()
        support.require(PostgreSQLServer.available(),
            "PostgreSQL's server tools (pg_createcluster) are missing",
            "run tools/ensure-system")
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_modules(MODULES, create_company)
        with Transaction().start(DB_NAME, 0) as transaction:
            cls._create_helpdesk(transaction)
            transaction.commit()
        import trytond.config as tconfig
        cls.postgresql = PostgreSQLServer().start()
        cls.addClassCleanup(cls.postgresql.stop)
        cls.postgresql.copy(tconfig.get('database', 'uri'), DB_NAME)
        cls.smtp = SMTPSink()
        cls.smtp.up()
        cls.addClassCleanup(cls.smtp.down)
        cls.serve = Serve(cls.postgresql, cls.smtp.uri).start()
        cls.addClassCleanup(cls.serve.stop)

    @classmethod
    def _create_helpdesk(cls, transaction):
        pool = Pool()
        Company = pool.get('company.company')
        ModelData = pool.get('ir.model.data')
        SLA = pool.get('helpdesk.sla')
        Team = pool.get('helpdesk.team')
        User = pool.get('res.user')
        company, = Company.search([])
        with transaction.set_context(company=company.id):
            agents = User.create([{
                        'login': f'load{i}', 'name': f"Load Agent {i}",
                        'password': AGENT_PASSWORD,
                        'groups': [('add', [ModelData.get_id(
                                        'helpdesk_core', 'group_helpdesk')])],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        } for i in range(AGENTS)])
            teams = Team.create([{
                        'name': name, 'visibility': 'portal',
                        'website_published': True, 'auto_assign': True,
                        'assign_method': 'equal_count',
                        'members': [('add', [a.id for a in agents])],
                        } for name in [
                        "Load", "Restart", "Killed worker", "SMTP down"]])
            SLA.create([{
                        'name': f"First answer in a day ({t.name})",
                        'team': t.id, 'target': 'first_response',
                        'days': 1, 'hours': 0,
                        } for t in teams])
        cls.agents = [(a.login, a.id) for a in agents]
        cls.teams = {t.name: t.id for t in teams}

    def query(self, sql, *params):
        with self.postgresql.connect() as conn:
            return conn.execute(sql, params).fetchall()

    def tickets(self, team):
        "The tickets of the team: {request_key: [ticket ids]}"
        found = {}
        for key, ticket_id in self.query(
                'SELECT request_key, id FROM helpdesk_ticket '
                'WHERE team = %s', self.teams[team]):
            found.setdefault(key, []).append(ticket_id)
        return found

    def visit(self, team, visitors, seconds, during=None):
        """visitors send the team's form for seconds (during runs in the
        meantime): the tickets acknowledged as {key: id}, the visitors'
        refusals, and the requests never acknowledged"""
        team_id = self.teams[team]
        acknowledged, lost, refusals = {}, [], []
        lock = threading.Lock()
        stop_at = time.monotonic() + seconds

        def visitor(i):
            client = Visitor(self.serve, team_id)
            n = 0
            while time.monotonic() < stop_at:
                n += 1
                result = client.send(
                    f"{team} {i}.{n}", time.monotonic() + RETRY_SECONDS)
                with lock:
                    if result is None:
                        lost.append(f"{team} {i}.{n}")
                    else:
                        ticket_id, key = result
                        acknowledged[key] = ticket_id
            with lock:
                refusals.extend(client.refusals)

        with concurrent.futures.ThreadPoolExecutor(visitors + 1) as executor:
            futures = [executor.submit(visitor, i) for i in range(visitors)]
            if during:
                futures.append(executor.submit(during))
            for future in futures:
                future.result()
        return acknowledged, refusals, lost

    def assertOnce(self, team, acknowledged):
        """Every ticket acknowledged is in the database once, and no ticket
        was made that no client was told of"""
        self.assertTrue(acknowledged)
        tickets = self.tickets(team)
        doubled = {k: v for k, v in tickets.items() if len(v) > 1}
        self.assertEqual(doubled, {})
        self.assertEqual(
            {k: v[0] for k, v in tickets.items()}, acknowledged)

    def wait_queue(self, timeout=120):
        "Wait until trytond-worker has run the tasks that are due"
        deadline = time.monotonic() + timeout
        while True:
            due, = self.query('''
                SELECT count(*) FROM ir_queue
                WHERE finished_at IS NULL
                AND (scheduled_at IS NULL
                    OR scheduled_at <= CURRENT_TIMESTAMP AT TIME ZONE 'UTC')
                ''')[0]
            if not due:
                return
            if time.monotonic() > deadline:
                tasks = self.query('''
                    SELECT name, enqueued_at, dequeued_at FROM ir_queue
                    WHERE finished_at IS NULL ORDER BY id LIMIT 20''')
                self.fail(f"{due} tasks of the queue not run in {timeout}s:"
                    f" {tasks}\n{self.serve.log(12000)}")
            time.sleep(0.5)

    def assertWhole(self, team):
        """Each ticket of the team is whole: number, stage, customer,
        assignee, its SLA clock and its acknowledgement e-mail (written by
        a task of the queue, after the commit)"""
        self.wait_queue()
        rows = self.query('''
            SELECT t.id, t.number IS NULL, t.stage IS NULL, t.party IS NULL,
                t."user" IS NULL,
                NOT EXISTS (SELECT 1 FROM helpdesk_ticket_sla AS s
                    WHERE s.ticket = t.id),
                NOT EXISTS (SELECT 1 FROM helpdesk_email_outbox AS o
                    WHERE o.resource = 'helpdesk.ticket,' || t.id)
            FROM helpdesk_ticket AS t WHERE t.team = %s
            ''', self.teams[team])
        parts = ['number', 'stage', 'customer', 'assignee', 'SLA clock',
            'acknowledgement']
        half = {r[0]: [p for p, missing in zip(parts, r[1:]) if missing]
            for r in rows if any(r[1:])}
        self.assertEqual(half, {})

    def wait_mails(self, team, count, timeout=120):
        """Wait until the outbox sent count acknowledgements of the team's
        tickets: the addresses the SMTP server received them for"""
        deadline = time.monotonic() + timeout
        while True:
            sent, = self.query('''
                SELECT count(*) FROM helpdesk_email_outbox AS o
                JOIN helpdesk_ticket AS t
                    ON o.resource = 'helpdesk.ticket,' || t.id
                WHERE t.team = %s AND o.state = 'sent'
                ''', self.teams[team])[0]
            if sent >= count or time.monotonic() > deadline:
                return sent
            time.sleep(0.5)

    def unsent(self, team):
        "What tells why mails of the team's tickets were not sent"
        rows = self.query('''
            SELECT o.id, o.state, o.attempts, o.error, o.next_attempt,
                o.create_date
            FROM helpdesk_email_outbox AS o
            JOIN helpdesk_ticket AS t
                ON o.resource = 'helpdesk.ticket,' || t.id
            WHERE t.team = %s AND o.state != 'sent'
            ''', self.teams[team])
        tasks = self.query('''
            SELECT id, name, data::text, enqueued_at, dequeued_at,
                scheduled_at
            FROM ir_queue WHERE finished_at IS NULL ORDER BY id LIMIT 20''')
        states = self.query('''
            SELECT o.state, count(*), max(o.sent_date), max(o.attempts),
                CURRENT_TIMESTAMP AT TIME ZONE 'UTC'
            FROM helpdesk_email_outbox AS o
            JOIN helpdesk_ticket AS t
                ON o.resource = 'helpdesk.ticket,' || t.id
            WHERE t.team = %s GROUP BY o.state
            ''', self.teams[team])
        troubles = [line for line in self.serve.log().splitlines()
            if any(w in line for w in [
                    'CRITICAL', 'ERROR', 'WARNING', 'failed', 'Error'])
            and 'psycopg.pool' not in line]
        return (f"not sent: {rows}\nby state: {states}\n"
            f"tasks not finished: {tasks}\n"
            + '\n'.join(troubles[-100:]))

    def received(self, acknowledged):
        "The acknowledged tickets' visitors the SMTP server got a mail for"
        addresses = {f'{k[:12]}@visitor.example' for k in acknowledged}
        return {r for recipients, _ in self.smtp.messages
            for r in recipients if r in addresses}

    def test_1_load(self):
        """200 visitors send the form and 20 agents list and answer: no
        error, each ticket once, assigned fairly, every mail sent"""
        agents = [Agent(self.serve, login) for login, _ in self.agents]
        answered = []
        deadline = time.monotonic() + LOAD_SECONDS

        def agents_work():
            with concurrent.futures.ThreadPoolExecutor(AGENTS) as executor:
                for future in [
                        executor.submit(
                            a.work, self.teams["Load"], deadline, answered)
                        for a in agents]:
                    future.result()

        acknowledged, refusals, lost = self.visit(
            "Load", VISITORS, LOAD_SECONDS, during=agents_work)
        self.assertEqual(refusals, [])
        self.assertEqual(lost, [])
        self.assertGreater(len(acknowledged), VISITORS)
        self.assertOnce("Load", acknowledged)
        self.assertWhole("Load")
        # Fair: the open tickets spread evenly over the 20 agents
        counts = [c for _, c in self.query(
                'SELECT "user", count(*) FROM helpdesk_ticket '
                'WHERE team = %s GROUP BY "user"', self.teams["Load"])]
        self.assertEqual(len(counts), AGENTS)
        self.assertLessEqual(max(counts) - min(counts), 1, counts)
        # The agents' answers are in the conversations
        self.assertTrue(answered)
        posted = {ticket for ticket, in self.query('''
                SELECT substring(c.resource from ',(\\d+)$')::integer
                FROM ir_chat_message AS m
                JOIN ir_chat_channel AS c ON m.channel = c.id
                WHERE m.content LIKE 'Answer to ticket %%'
                ''')}
        self.assertEqual(set(answered) - posted, set())
        # Every acknowledgement and answer left through the outbox
        self.assertEqual(
            self.wait_mails("Load", len(acknowledged) + len(answered)),
            len(acknowledged) + len(answered), self.unsent("Load"))
        self.assertEqual(
            self.received(acknowledged),
            {f'{k[:12]}@visitor.example' for k in acknowledged})

    def test_2_postgresql_restart(self):
        """PostgreSQL restarted under load: the clients try again what was
        refused; nothing acknowledged is lost or doubled and the servers
        recover by themselves"""
        before = self.serve.web_servers()

        def restart():
            time.sleep(4)
            self.postgresql.restart()

        acknowledged, refusals, lost = self.visit(
            "Restart", 60, 15, during=restart)
        self.assertEqual(lost, [])
        # The restart was felt, and overcome
        self.assertTrue(refusals, "the restart refused no request")
        self.assertOnce("Restart", acknowledged)
        self.assertWhole("Restart")
        # The same web processes serve: none was restarted
        self.assertIsNone(self.serve.process.poll(), self.serve.log(12000))
        self.assertEqual(self.serve.web_servers(), before)
        # The queue's worker lost its connection: it ended and was started
        # again on a new one
        log = self.serve.log()
        self.assertTrue(
            "lost the connection to the database" in log
            and "trytond-worker ended (exit code 75): starting it again"
            in log, log[-12000:])
        self.assertEqual(
            self.wait_mails("Restart", len(acknowledged)), len(acknowledged),
            self.unsent("Restart"))

    def test_3_worker_killed(self):
        """A server worker killed in the middle of requests: each client
        has an error or its ticket, never half a ticket"""
        victim = self.serve.gunicorn_workers()[0]

        def kill():
            time.sleep(3)
            os.kill(victim, signal.SIGKILL)

        acknowledged, refusals, lost = self.visit(
            "Killed worker", 40, 10, during=kill)
        self.assertEqual(lost, [])
        self.assertTrue(
            any('Remote' in r or 'Reset' in r or 'POST 5' in r
                for r in refusals),
            f"no request was cut by the kill: {refusals}")
        self.assertOnce("Killed worker", acknowledged)
        self.assertWhole("Killed worker")
        # gunicorn replaced the worker
        workers = self.serve.gunicorn_workers()
        self.assertEqual(len(workers), 2, self.serve.log(12000))
        self.assertNotIn(victim, workers)

    def test_4_smtp_down(self):
        """The SMTP server down: the tickets are saved and acknowledged at
        once, their mails wait in the outbox and leave when it is back"""
        self.smtp.down()
        try:
            acknowledged, refusals, lost = self.visit("SMTP down", 20, 5)
            self.assertEqual(refusals, [])
            self.assertEqual(lost, [])
            self.assertOnce("SMTP down", acknowledged)
            self.assertWhole("SMTP down")
            # The worker tried them, and keeps them for later
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                waiting = self.query('''
                    SELECT o.state, o.attempts > 0, o.error IS NOT NULL
                    FROM helpdesk_email_outbox AS o
                    JOIN helpdesk_ticket AS t
                        ON o.resource = 'helpdesk.ticket,' || t.id
                    WHERE t.team = %s
                    ''', self.teams["SMTP down"])
                if all(tried for _, tried, _ in waiting):
                    break
                time.sleep(0.5)
            self.assertEqual(set(waiting), {('queued', True, True)})
            self.assertEqual(self.received(acknowledged), set())
        finally:
            self.smtp.up()
        self.assertEqual(
            self.wait_mails("SMTP down", len(acknowledged)),
            len(acknowledged), self.unsent("SMTP down"))
        self.assertEqual(
            self.received(acknowledged),
            {f'{k[:12]}@visitor.example' for k in acknowledged})
