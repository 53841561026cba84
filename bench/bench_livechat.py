# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The live chat of the website (helpdesk_website) in real time, through
one trytond server process on PostgreSQL with Tryton's bus:

- livechat_round_trip: a visitor posts a message in their chat and the
  operator's console, waiting in its long poll, receives it; with 50 chats
  open at once."""

import json
import re
import threading
import time
import urllib.parse

import dataset
from bench_website import Browser, HttpError, SmtpSink, ensure_website_base
from harness import (
    RpcClient, TrytondServer, benchmark, connect, create_database,
    drop_database, say, summary)

DATABASE = 'bench_helpdesk_livechat'
TARGET_MS = 200
CSRF = re.compile(rb'data-csrf="([0-9a-f]+)"')


def _setup(name):
    "Give the first team the live chat; every helpdesk agent answers it"
    with connect(name) as conn:
        team, = conn.execute(
            'SELECT id FROM helpdesk_team ORDER BY id LIMIT 1').fetchone()
        conn.execute(
            "UPDATE helpdesk_team SET visibility = 'portal', "
            "website_published = true, livechat = true WHERE id = %s",
            (team,))
        members = conn.execute(
            'SELECT count(*) FROM "helpdesk_team-res_user_member" '
            'WHERE team = %s', (team,)).fetchone()[0]
    return team, members


def _json(response, data, what):
    if response.status != 200:
        raise HttpError(f"{what}: HTTP {response.status} {data[:500]!r}")
    return json.loads(data)


class Operator:
    """The console of the agent: opened as the web client's menu does
    (the wizard's address, exchanged for the console's cookie), then its
    long poll in a thread, which notes when each message arrives"""

    def __init__(self, server):
        self.server = server
        rpc = RpcClient('127.0.0.1', server.port, server.database)
        rpc.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
        wizard = 'wizard.helpdesk.livechat.console.open'
        session_id, _, _ = rpc.call(f'{wizard}.create', rpc.context)
        result = rpc.call(
            f'{wizard}.execute', session_id, {}, 'start', rpc.context)
        action, = [a for a, _ in result['actions']]
        rpc.close()
        url = urllib.parse.urlsplit(action['url'])
        self.browser = Browser(
            '127.0.0.1', server.port, f'/{server.database}')
        path = url.path[len(f'/{server.database}'):] + '?' + url.query
        response, data = self.browser.get(path)
        if response.status != 303:
            raise HttpError(f"console: HTTP {response.status} {data[:300]!r}")
        response, data = self.browser.get('/helpdesk/livechat/console')
        if response.status != 200:
            raise HttpError(f"console: HTTP {response.status} {data[:300]!r}")
        self.csrf = CSRF.search(data).group(1).decode()
        self.after, self.bus = 0, ''
        self.arrived = {}
        self.polls = []
        self.condition = threading.Condition()
        self.stopped = False
        self.error = None
        self.thread = None

    def post(self, path, fields=None):
        response, data = self.browser.post(
            '/helpdesk/livechat/console' + path, fields or {}, headers={
                'X-Requested-With': 'fetch', 'X-CSRF-Token': self.csrf,
                'Accept': 'application/json'})
        return _json(response, data, path)

    def poll_once(self, browser=None):
        browser = browser or self.browser
        start = time.perf_counter()
        response, data = browser.get(
            '/helpdesk/livechat/console/poll?'
            + urllib.parse.urlencode({'after': self.after, 'bus': self.bus}))
        state = _json(response, data, 'console poll')
        now = time.perf_counter()
        self.bus = state.get('bus') or ''
        if 'chats' in state:
            with self.condition:
                for chat in state['chats']:
                    for message in chat['messages']:
                        self.arrived.setdefault(message['content'], []).append(
                            now)
                self.after = max(self.after, state['last'])
                self.polls.append({
                        'ms': (now - start) * 1000,
                        'chats': len(state['chats']),
                        'mode': state.get('poll')})
                self.condition.notify_all()
        return state

    def listen(self):
        "Poll in a thread of its own, with a browser of its own"
        browser = Browser('127.0.0.1', self.server.port,
            f'/{self.server.database}')
        browser.cookies = dict(self.browser.cookies)

        def run():
            try:
                while not self.stopped:
                    self.poll_once(browser)
            except Exception as exception:
                self.error = exception
                with self.condition:
                    self.condition.notify_all()
            finally:
                browser.close()
        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()

    def wait_for(self, content, timeout=30):
        deadline = time.monotonic() + timeout
        with self.condition:
            while content not in self.arrived:
                if self.error:
                    raise self.error
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(
                        f"{content!r} never reached the console")
                self.condition.wait(remaining)
            return self.arrived[content][0]


class Visitor:
    "A visitor's browser on the website with a chat open"

    def __init__(self, server, team, i):
        self.browser = Browser(
            '127.0.0.1', server.port, f'/{server.database}')
        response, data = self.browser.get(
            f'/helpdesk/livechat/widget?team={team}')
        if response.status != 200:
            raise HttpError(f"widget: HTTP {response.status} {data[:300]!r}")
        self.csrf = CSRF.search(data).group(1).decode()
        chat = self.post('/start', {
                'team': team,
                'name': f'Visitor {i:02d}',
                'email': f'chat{i:02d}@visitors.example',
                'content': f'Hello, I am visitor {i:02d}.',
                'website': '',
                })
        self.chat = chat['chat']['id']

    def post(self, path, fields):
        response, data = self.browser.post(
            '/helpdesk/livechat' + path, fields, headers={
                'X-Requested-With': 'fetch', 'X-CSRF-Token': self.csrf,
                'Accept': 'application/json'})
        return _json(response, data, path)

    def close(self):
        self.browser.close()


def _check(name, contents):
    "Every message sent is stored once, in the chat of its visitor"
    with connect(name) as conn:
        rows = conn.execute(
            'SELECT content, count(*) FROM helpdesk_livechat_message '
            "WHERE content LIKE 'bench %%' GROUP BY content").fetchall()
        chats = conn.execute(
            "SELECT count(*) FROM helpdesk_livechat_session "
            "WHERE state = 'active'").fetchone()[0]
    stored = dict(rows)
    return {
        'sent': len(contents),
        'stored_once': sum(1 for c in contents if stored.get(c) == 1),
        'open_chats': chats,
        'ok': all(stored.get(c) == 1 for c in contents),
        }


@benchmark(
    'livechat_round_trip',
    "Live chat (helpdesk_website): a visitor posts a message in their chat "
    "(POST /<db>/helpdesk/livechat/message, cookie + CSRF) and the "
    "operator's console, waiting in its long poll on Tryton's bus "
    "(GET /<db>/helpdesk/livechat/console/poll), receives it; 50 chats open "
    "and answered by the operator, one trytond server process on "
    "PostgreSQL with [bus] allow_subscribe")
def run(options):
    chats = 10 if options.quick else 50
    count = 20 if options.quick else 300
    warmup = 5 if options.quick else 20
    base = ensure_website_base(options)
    create_database(DATABASE, template=base)
    try:
        team, members = _setup(DATABASE)
        with SmtpSink() as sink:
            config = {
                'bus': {
                    'allow_subscribe': 'True',
                    'long_polling_timeout': 60,
                    },
                'helpdesk_website': {'livechat_limit': 1000000},
                'email': {
                    'uri': sink.uri,
                    'from': 'Helpdesk <helpdesk@helpdesk.example>',
                    },
                }
            with TrytondServer(DATABASE, config=config) as server:
                operator = Operator(server)
                operator.poll_once()
                say(f"  {chats} visitors start a chat, the operator takes "
                    "them")
                visitors = [Visitor(server, team, i) for i in range(chats)]
                for visitor in visitors:
                    operator.post(f'/chats/{visitor.chat}/take')
                state = operator.poll_once()
                if len(state['chats']) != chats:
                    raise RuntimeError(
                        f"the console shows {len(state['chats'])} chats")
                operator.listen()
                samples, post_ms, contents = [], [], []
                say(f"  {warmup} + {count} messages, one at a time")
                for i in range(warmup + count):
                    visitor = visitors[i % chats]
                    content = f'bench {i:04d} from chat {visitor.chat}'
                    start = time.perf_counter()
                    visitor.post('/message', {'content': content})
                    posted = time.perf_counter()
                    arrived = operator.wait_for(content)
                    contents.append(content)
                    if i >= warmup:
                        samples.append((arrived - start) * 1000)
                        post_ms.append((posted - start) * 1000)
                operator.stopped = True
                # The last long poll ends with the next message
                visitors[0].post('/message', {'content': 'bench end'})
                operator.thread.join(timeout=90)
                polls = [p for p in operator.polls[-count:]]
                for visitor in visitors:
                    visitor.close()
            checks = _check(DATABASE, contents)
        result = summary(samples)
        say(f"  round trip visitor -> operator: median {result['median']} "
            f"ms (target {TARGET_MS} ms), p95 {result['p95']} ms")
    finally:
        if not options.keep:
            drop_database(DATABASE)
    return {
        'parameters': {
            'open_chats': chats,
            'messages': count,
            'warmup_messages': warmup,
            'team_members': members or "every helpdesk agent",
            'flow': "the agent bench_agent opens the console as the web "
            "client's menu does (wizard helpdesk.livechat.console.open "
            "over JSON-RPC, its address exchanged for the console's "
            "cookie); each visitor GETs the widget (its CSRF token) and "
            "POSTs /livechat/start; the operator takes every chat; then "
            "one visitor after the other POSTs a message and the time is "
            "taken when the console's long poll (a thread of the "
            "benchmark, re-polling at once) returns it",
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL on the same machine, [bus] allow_subscribe = True, "
            "long_polling_timeout = 60",
            'database': DATABASE,
            },
        'results': {
            'round_trip_ms': result,
            'round_trip_samples_ms': [round(x, 2) for x in samples],
            'post_ms': summary(post_ms),
            'console_polls': {
                'count': len(polls),
                'chats_per_answer': sorted({p['chats'] for p in polls}),
                'modes': sorted({p['mode'] or '' for p in polls}),
                },
            },
        'checks': checks,
        'targets': [{
                'name': "message round trip visitor -> operator, median, "
                f"{chats} open chats (ms)",
                'metric': 'results.round_trip_ms.median',
                'target': f'<= {TARGET_MS}',
                'measured': result['median'],
                'met': result['median'] <= TARGET_MS,
                }],
        }
