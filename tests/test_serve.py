# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Production serving (doc/deployment.rst): trytond under gunicorn with
the configuration files of deploy/, several worker processes, and two
servers on one database that agree on what they cache"""

import base64
import concurrent.futures
import configparser
import datetime as dt
import json
import os
import subprocess
import sys
import time
import unittest
import urllib.request

from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction

from . import support

DEPLOY = os.path.join(support.ROOT, 'deploy')
AGENT = 'nadia'
PASSWORD = 'Helpdesk-Nadia-2026!'


class GunicornServer(support.TrytondServer):
    """trytond.application:app under gunicorn, configured as
    deploy/trytond.conf and deploy/gunicorn.conf.py configure production"""

    def __init__(self, database, email_uri, workers=2):
        super().__init__(database, email_uri)
        self.workers = workers

    def _write_config(self):
        super()._write_config()
        production = configparser.ConfigParser(interpolation=None)
        production.read(os.path.join(DEPLOY, 'trytond.conf'))
        with open(self.config_file, 'a') as fp:
            fp.write('\n[cache]\nclean_timeout = %s\n' % (
                    production['cache']['clean_timeout']))
            fp.write('\n[queue]\nworker = %s\n' % (
                    production['queue']['worker']))

    def command(self):
        gunicorn = os.path.join(os.path.dirname(sys.executable), 'gunicorn')
        return [gunicorn, '-c', os.path.join(DEPLOY, 'gunicorn.conf.py')]

    def _spawn(self):
        env = {k: v for k, v in os.environ.items()
            if not k.startswith(('TRYTOND_', 'DB_'))}
        env.update({
                'PYTHONUNBUFFERED': '1',
                'TRYTOND_CONFIG': self.config_file,
                'TRYTOND_DATABASE_NAMES': self.database,
                'HELPDESK_BIND': f'127.0.0.1:{self.port}',
                'HELPDESK_WORKERS': str(self.workers),
                'HELPDESK_ACCESS_LOG': '',
                })
        self._log = open(self.log_file, 'w')
        self.process = subprocess.Popen(
            self.command(), cwd=self.directory, env=env,
            stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, start_new_session=True)

    def worker_pids(self):
        "The process ids of gunicorn's workers"
        output = subprocess.run(
            ['ps', '-o', 'pid=', '--ppid', str(self.process.pid)],
            capture_output=True, text=True).stdout
        return {int(p) for p in output.split()}


class Agent:
    "An agent using the JSON-RPC of one server, as the web client does"

    def __init__(self, server, login=AGENT, password=PASSWORD):
        self.server = server
        user_id, key, *_ = self.call(
            'common.db.login', login, {'password': password}, 'en',
            session=False)
        self.session = base64.b64encode(
            f'{login}:{user_id}:{key}'.encode()).decode()
        self.context = self.call('model.res.user.get_preferences', True, {})

    def call(self, method, *params, session=True):
        request = urllib.request.Request(
            f'{self.server.url}{self.server.database}/rpc/',
            data=json.dumps({
                    'id': 1, 'method': method, 'params': list(params),
                    }).encode(),
            headers={'Content-Type': 'application/json'})
        if session:
            request.add_header('Authorization', 'Session ' + self.session)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=60) as response:
            answer = json.load(response)
        if 'error' in answer:
            raise AssertionError(
                f"{method}: {answer['error']}\n{self.server.log()}")
        return answer['result']

    def model(self, model, method, *params):
        return self.call(f'model.{model}.{method}', *params, self.context)

    def create_ticket(self, team_id, name):
        ticket_id, = self.model('helpdesk.ticket', 'create', [{
                    'team': team_id, 'name': name, 'channel': 'api',
                    'contact_name': "Carol",
                    'contact_email': 'carol@customer.example',
                    }])
        return ticket_id

    def read_ticket(self, ticket_id):
        ticket, = self.model(
            'helpdesk.ticket', 'read', [ticket_id], ['stage', 'state'])
        return ticket


class ServeTestCase(unittest.TestCase):
    "gunicorn's processes serve the helpdesk and agree with each other"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_server_database()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        activate_modules('helpdesk_sla', create_company)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Calendar = pool.get('helpdesk.calendar')
            Company = pool.get('company.company')
            SLA = pool.get('helpdesk.sla')
            ModelData = pool.get('ir.model.data')
            Stage = pool.get('helpdesk.stage')
            Team = pool.get('helpdesk.team')
            User = pool.get('res.user')
            company, = Company.search([])
            with transaction.set_context(company=company.id):
                User.create([{
                            'login': AGENT, 'name': "Nadia Karimi",
                            'password': PASSWORD,
                            'groups': [('add', [
                                        ModelData.get_id(
                                            'helpdesk_core', 'group_helpdesk'),
                                        ModelData.get_id(
                                            'helpdesk_core',
                                            'group_helpdesk_manager'),
                                        ])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            }])
                agents = User.create([{
                            'login': f'agent{i}', 'name': f"Agent {i}",
                            'groups': [('add', [ModelData.get_id(
                                            'helpdesk_core',
                                            'group_helpdesk')])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            } for i in range(3)])
                # Works one day a week only, three days from now
                cls.weekday = (dt.date.today().weekday() + 3) % 7
                calendar, = Calendar.create([{
                            'name': "One day a week", 'timezone': 'UTC',
                            'attendances': [('create', [{
                                            'weekday': str(cls.weekday),
                                            'hour_from': dt.timedelta(
                                                hours=9),
                                            'hour_to': dt.timedelta(
                                                hours=17),
                                            }])],
                            }])
                cls.calendar_id = calendar.id
                team, sla_team, assigned = Team.create([{
                            'name': "Customer Care", 'auto_assign': False,
                            }, {
                            'name': "Key Accounts", 'auto_assign': False,
                            'calendar': calendar.id,
                            }, {
                            'name': "Round Robin", 'auto_assign': True,
                            'assign_method': 'equal_count',
                            'members': [('add', [a.id for a in agents])],
                            }])
                cls.team_id = team.id
                cls.sla_team_id = sla_team.id
                cls.assigned_team_id = assigned.id
                cls.agent_ids = [a.id for a in agents]
                SLA.create([{
                            'name': "First answer in 4 working hours",
                            'team': sla_team.id, 'target': 'first_response',
                            'days': 0, 'hours': 4,
                            }])
                cls.stages = {
                    s.category: s.id for s in reversed(Stage.search([]))}
            transaction.commit()
        # Two hosts in front of one database: two gunicorn masters
        cls.first = GunicornServer(DB_NAME, cls.smtp.uri, workers=2).start()
        cls.addClassCleanup(cls.first.cleanup)
        cls.second = GunicornServer(DB_NAME, cls.smtp.uri, workers=1).start()
        cls.addClassCleanup(cls.second.cleanup)

    def test_worker_processes(self):
        "gunicorn runs the workers asked for; they answer concurrently"
        self.assertEqual(len(self.first.worker_pids()), 2, self.first.log())
        agent = Agent(self.first)
        with concurrent.futures.ThreadPoolExecutor(8) as executor:
            ids = list(executor.map(
                    lambda i: agent.create_ticket(
                        self.team_id, f"Concurrent {i}"),
                    range(24)))
        self.assertEqual(len(set(ids)), 24)
        names = {t['name'] for t in agent.model(
                'helpdesk.ticket', 'read', ids, ['name'])}
        self.assertEqual(names, {f"Concurrent {i}" for i in range(24)})

    def test_killed_worker_replaced(self):
        "A worker killed is replaced by gunicorn; the server keeps answering"
        before = self.first.worker_pids()
        victim = min(before)
        os.kill(victim, 9)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            pids = self.first.worker_pids()
            if len(pids) == 2 and victim not in pids:
                break
            time.sleep(0.2)
        self.assertEqual(len(self.first.worker_pids()), 2, self.first.log())
        self.assertNotIn(victim, self.first.worker_pids())
        agent = Agent(self.first)
        ticket_id = agent.create_ticket(self.team_id, "After the kill")
        self.assertEqual(
            agent.read_ticket(ticket_id)['stage'], self.stages['new'])

    def test_team_stage_cache_across_servers(self):
        """A new first stage of a team, made through one server, is the
        stage of the next ticket created through the other"""
        first, second = Agent(self.first), Agent(self.second)
        # Both servers have the team's first stage in their cache
        for agent in [first, second]:
            ticket_id = agent.create_ticket(self.team_id, "Before")
            self.assertEqual(
                agent.read_ticket(ticket_id)['stage'], self.stages['new'])

        triage, = first.model('helpdesk.stage', 'create', [{
                    'name': "Triage", 'sequence': 1, 'category': 'new',
                    'teams': [('add', [self.team_id])],
                    }])
        try:
            ticket_id = second.create_ticket(self.team_id, "After")
            self.assertEqual(second.read_ticket(ticket_id)['stage'], triage)
        finally:
            first.model('helpdesk.ticket', 'write',
                first.model('helpdesk.ticket', 'search',
                    [('stage', '=', triage)], 0, None, None),
                {'stage': self.stages['new']})
            first.model('helpdesk.stage', 'delete', [triage])

    def test_stage_state_cache_across_servers(self):
        """A stage whose category changes through one server gives the new
        state to the tickets that enter it through the other"""
        first, second = Agent(self.first), Agent(self.second)
        review, = first.model('helpdesk.stage', 'create', [{
                    'name': "Review", 'sequence': 50,
                    'category': 'in_progress',
                    }])
        try:
            ticket_id = second.create_ticket(self.team_id, "Review me")
            # The second server caches the stage's state
            second.model('helpdesk.ticket', 'write', [ticket_id],
                {'stage': review})
            self.assertEqual(
                second.read_ticket(ticket_id)['state'], 'in_progress')
            second.model('helpdesk.ticket', 'write', [ticket_id],
                {'stage': self.stages['new']})

            first.model('helpdesk.stage', 'write', [review],
                {'category': 'waiting'})
            second.model('helpdesk.ticket', 'write', [ticket_id],
                {'stage': review})
            self.assertEqual(
                second.read_ticket(ticket_id)['state'], 'waiting')
        finally:
            first.model('helpdesk.ticket', 'write',
                first.model('helpdesk.ticket', 'search',
                    [('stage', '=', review)], 0, None, None),
                {'stage': self.stages['new']})
            first.model('helpdesk.stage', 'delete', [review])

    def test_sla_calendar_cache_across_servers(self):
        """Working hours added to a calendar through one server count at
        once in the SLA deadlines computed by the other"""
        first, second = Agent(self.first), Agent(self.second)

        def deadline(agent, name):
            ticket_id = agent.create_ticket(self.sla_team_id, name)
            ticket, = agent.model(
                'helpdesk.ticket', 'read', [ticket_id], ['sla_deadline'])
            return ticket['sla_deadline']

        def hours_from_now(value):
            # Tryton's dates are UTC, as JSON-RPC gives them
            value = dt.datetime(*(value[k] for k in [
                        'year', 'month', 'day', 'hour', 'minute', 'second']))
            now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
            return (value - now).total_seconds() / 3600

        # One working day a week, three days away: days from now
        for agent in [first, second]:
            self.assertGreater(
                hours_from_now(deadline(agent, "One day a week")), 24)

        every_day = [{
                'weekday': str(day),
                'hour_from': {'__class__': 'timedelta', 'seconds': 0},
                'hour_to': {'__class__': 'timedelta', 'seconds': 86400},
                } for day in range(7) if day != self.weekday]
        first.model('helpdesk.calendar', 'write', [self.calendar_id],
            {'attendances': [('create', every_day)]})
        try:
            self.assertLess(
                hours_from_now(deadline(second, "Every day")), 4.1)
        finally:
            attendances = first.model(
                'helpdesk.calendar.attendance', 'search', [
                    ('calendar', '=', self.calendar_id),
                    ('weekday', '!=', str(self.weekday)),
                    ], 0, None, None)
            first.model(
                'helpdesk.calendar.attendance', 'delete', attendances)

    def test_sla_policy_cache_across_servers(self):
        """A policy created and changed through one server decides at once
        for the tickets created through the other"""
        first, second = Agent(self.first), Agent(self.second)

        def policies(name):
            ticket_id = second.create_ticket(self.team_id, name)
            ticket, = second.model(
                'helpdesk.ticket', 'read', [ticket_id], ['slas'])
            return len(ticket['slas'])

        # The second server caches that the team has no policy
        self.assertEqual(policies("No policy yet"), 0)
        policy, = first.model('helpdesk.sla', 'create', [{
                    'name': "First answer in a day",
                    'team': self.team_id, 'target': 'first_response',
                    'days': 1, 'hours': 0,
                    }])
        try:
            self.assertEqual(policies("Policy created"), 1)
            first.model('helpdesk.sla', 'write', [policy], {'priority': '3'})
            self.assertEqual(policies("Urgent only"), 0)
        finally:
            first.model('helpdesk.sla', 'write', [policy], {'active': False})

    def test_assignment_across_servers(self):
        """Tickets created at once through both servers are still spread
        evenly over the team's agents"""
        agents = [Agent(self.first), Agent(self.second)]
        with concurrent.futures.ThreadPoolExecutor(6) as executor:
            ids = list(executor.map(
                    lambda i: agents[i % 2].create_ticket(
                        self.assigned_team_id, f"Spread {i}"),
                    range(30)))
        tickets = agents[0].model('helpdesk.ticket', 'read', ids, ['user'])
        counts = {}
        for ticket in tickets:
            counts[ticket['user']] = counts.get(ticket['user'], 0) + 1
        self.assertEqual(counts, {a: 10 for a in self.agent_ids})
