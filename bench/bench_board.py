# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The agent board of helpdesk_website, through one trytond server process
on PostgreSQL:

- board_data: the data of the board of a team with 5,000 open tickets
  among 100,000 (GET /<db>/helpdesk/board/<team>/data: the columns, their
  counts and their first cards, as the agent sees them) and a move of a card
  to another stage (POST /<db>/helpdesk/board/<team>/move: the write of the
  ticket's stage as the agent, with the agent's access and record rules)."""

import json
import re
import time
import urllib.parse

import dataset
from bench_website import Browser, HttpError, ensure_website_base
from harness import (
    RpcClient, TrytondServer, benchmark, connect, create_database,
    drop_database, say, summary)

DATABASE = 'bench_helpdesk_board'
TICKETS = 100_000
OPEN = 5_000
DATA_TARGET_MS = 500
MOVE_TARGET_MS = 50
CSRF = re.compile(rb'data-csrf="([0-9a-f]+)"')


def _setup(name, open_count):
    """Give the first team exactly open_count open tickets, spread over the
    open stages; return the team, its open tickets and the stages"""
    with connect(name) as conn:
        team, = conn.execute(
            'SELECT id FROM helpdesk_team ORDER BY id LIMIT 1').fetchone()
        stages = dict((c, i) for i, c in conn.execute(
                'SELECT DISTINCT ON (category) id, category '
                'FROM helpdesk_stage ORDER BY category, sequence, id'
                ).fetchall())
        conn.execute('SELECT setseed(0.7)')
        # Close the open tickets of the team, then open the newest ones
        conn.execute(
            "UPDATE helpdesk_ticket SET state = 'solved', stage = %s "
            "WHERE team = %s AND state NOT IN ('solved', 'cancelled')",
            (stages['solved'], team))
        conn.execute("""
            UPDATE helpdesk_ticket AS t SET
                state = o.state, closed_date = NULL,
                stage = CASE o.state
                    WHEN 'new' THEN %(new)s
                    WHEN 'in_progress' THEN %(in_progress)s
                    ELSE %(waiting)s END
            FROM (
                SELECT id, CASE
                    WHEN random() < 0.3 THEN 'new'
                    WHEN random() < 0.7 THEN 'in_progress'
                    ELSE 'waiting' END AS state
                FROM helpdesk_ticket WHERE team = %(team)s
                ORDER BY id DESC LIMIT %(count)s) AS o
            WHERE t.id = o.id
            """, {'team': team, 'count': open_count, **stages})
        conn.execute(dataset.FOLDED_SQL)
        opened = conn.execute(
            "SELECT count(*) FROM helpdesk_ticket WHERE team = %s "
            "AND state NOT IN ('solved', 'cancelled')", (team,)).fetchone()[0]
        tickets = [r[0] for r in conn.execute(
                "SELECT id FROM helpdesk_ticket WHERE team = %s "
                "AND state = 'in_progress' ORDER BY id DESC LIMIT 50",
                (team,)).fetchall()]
        total = conn.execute(
            'SELECT count(*) FROM helpdesk_ticket WHERE team = %s',
            (team,)).fetchone()[0]
    with connect(name) as conn:
        conn.execute('VACUUM ANALYZE helpdesk_ticket')
    return team, opened, total, tickets, stages


def _json(response, data, what):
    if response.status != 200:
        raise HttpError(f"{what}: HTTP {response.status} {data[:500]!r}")
    return json.loads(data)


class Agent:
    """The board of the agent: opened as the web client's menu does (the
    wizard's address, exchanged for the board's cookie)"""

    def __init__(self, server, team):
        rpc = RpcClient('127.0.0.1', server.port, server.database)
        rpc.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
        wizard = 'wizard.helpdesk.board.open'
        context = dict(rpc.context, active_model='helpdesk.team',
            active_id=team, active_ids=[team])
        session_id, _, _ = rpc.call(f'{wizard}.create', context)
        result = rpc.call(
            f'{wizard}.execute', session_id, {}, 'start', context)
        action, = [a for a, _ in result['actions']]
        rpc.close()
        url = urllib.parse.urlsplit(action['url'])
        self.browser = Browser(
            '127.0.0.1', server.port, f'/{server.database}')
        path = url.path[len(f'/{server.database}'):] + '?' + url.query
        response, data = self.browser.get(path)
        if response.status != 303:
            raise HttpError(f"board: HTTP {response.status} {data[:300]!r}")
        self.root = f'/helpdesk/board/{team}'
        response, data = self.browser.get(self.root)
        if response.status != 200:
            raise HttpError(f"board: HTTP {response.status} {data[:300]!r}")
        self.csrf = CSRF.search(data).group(1).decode()

    def data(self, **filters):
        query = urllib.parse.urlencode({'lang': 'en', **filters})
        response, data = self.browser.request(
            'GET', f'{self.root}/data?{query}',
            headers={'X-Requested-With': 'fetch',
                'Accept': 'application/json'})
        return _json(response, data, 'board data')

    def move(self, ticket, stage):
        response, data = self.browser.post(
            f'{self.root}/move', {'ticket': ticket, 'stage': stage},
            headers={'X-Requested-With': 'fetch', 'X-CSRF-Token': self.csrf,
                'Accept': 'application/json'})
        return _json(response, data, 'move')


def _timed(func, count, warmup):
    samples = []
    for i in range(warmup + count):
        start = time.perf_counter()
        result = func(i)
        elapsed = (time.perf_counter() - start) * 1000
        if i >= warmup:
            samples.append(elapsed)
    return samples, result


@benchmark(
    'board_data',
    "Agent board (helpdesk_website): the data of the board of a team with "
    "5,000 open tickets among 100,000 (GET /<db>/helpdesk/board/<team>/data:"
    " one column per stage, the counts, the first 50 cards of each open "
    "column, as the agent sees them) and a move of a card (POST "
    "/<db>/helpdesk/board/<team>/move: the write of the ticket's stage as "
    "the agent, with their access rights and record rules); one trytond "
    "server process on PostgreSQL with [bus] allow_subscribe")
def run(options):
    tickets = 10_000 if options.quick else TICKETS
    open_count = 1_000 if options.quick else OPEN
    count = 10 if options.quick else 40
    moves = 20 if options.quick else 200
    warmup = 3 if options.quick else 10
    base = ensure_website_base(options)
    create_database(DATABASE, template=base)
    try:
        dataset.insert_tickets(DATABASE, tickets)
        team, opened, total, movable, stages = _setup(DATABASE, open_count)
        say(f"  team {team}: {opened} open tickets of {total}")
        config = {'bus': {'allow_subscribe': 'True'}}
        with TrytondServer(DATABASE, config=config) as server:
            agent = Agent(server, team)
            first = agent.data()
            shown = {s['name']: (s['count'], len(s['cards']))
                for s in first['stages']}
            say(f"  columns (count, cards): {shown}")
            say(f"  {warmup} + {count} board data requests")
            data_ms, _ = _timed(lambda i: agent.data(), count, warmup)
            mine_ms, _ = _timed(
                lambda i: agent.data(who='mine'), count // 2, 2)
            search_ms, _ = _timed(
                lambda i: agent.data(q='printer'), count // 2, 2)
            say(f"  {warmup} + {moves} moves")
            targets = [stages['waiting'], stages['in_progress']]

            def move(i):
                ticket = movable[(i // 2) % len(movable)]
                moved = agent.move(ticket, targets[i % 2])
                if moved['stage'] != targets[i % 2]:
                    raise RuntimeError(f"the move of {ticket} failed")
                return moved
            move_ms, _ = _timed(move, moves, warmup)
            agent.browser.close()
        data = summary(data_ms)
        moved = summary(move_ms)
        say(f"  board data: median {data['median']} ms "
            f"(target {DATA_TARGET_MS} ms), p95 {data['p95']} ms")
        say(f"  move: median {moved['median']} ms "
            f"(target {MOVE_TARGET_MS} ms), p95 {moved['p95']} ms")
    finally:
        if not options.keep:
            drop_database(DATABASE)
    return {
        'parameters': {
            'tickets': tickets,
            'team_tickets': total,
            'team_open_tickets': opened,
            'data_requests': count,
            'moves': moves,
            'warmup': warmup,
            'columns': shown,
            'flow': "the agent bench_agent opens the board of the team as "
            "the team form's button does (wizard helpdesk.board.open over "
            "JSON-RPC, its address exchanged for the board's cookie), GETs "
            "the board page (its CSRF token), then GETs the board data "
            "(no filter; My tickets; a search) and POSTs moves of in "
            "progress tickets between In Progress and Waiting, one at a "
            "time",
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL on the same machine, [bus] allow_subscribe = True",
            'database': DATABASE,
            },
        'results': {
            'board_data_ms': data,
            'board_data_mine_ms': summary(mine_ms),
            'board_data_search_ms': summary(search_ms),
            'move_ms': moved,
            'board_data_samples_ms': [round(x, 2) for x in data_ms],
            'move_samples_ms': [round(x, 2) for x in move_ms],
            },
        'targets': [{
                'name': "board data of a team with "
                f"{opened} open tickets, median (ms)",
                'metric': 'results.board_data_ms.median',
                'target': f'<= {DATA_TARGET_MS}',
                'measured': data['median'],
                'met': data['median'] <= DATA_TARGET_MS,
                }, {
                'name': "move of a card to another stage, median (ms)",
                'metric': 'results.move_ms.median',
                'target': f'<= {MOVE_TARGET_MS}',
                'measured': moved['median'],
                'met': moved['median'] <= MOVE_TARGET_MS,
                }],
        }
