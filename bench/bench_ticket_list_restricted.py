# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""ticket_list_restricted: the first page of the ticket list at 100k
tickets when the teams restrict who sees their tickets (`invited` and
`assigned` visibility), asked through the RPC server as the web client asks
it, beside the unrestricted list (`internal`) in the same run

The record rule rule_group_ticket (helpdesk_core/ticket.xml) is an OR of:
the team's visibility is internal or portal; the user is the assignee; the
user leads the team; the user leads the destination team of a pending
transfer; in invited mode the user follows the team or follows the ticket
other than through the team (Ticket.invited_users, searched by a subquery on
the followers of ir_chat_follower not marked helpdesk_through_team, which
has its own partial index)."""

import os
import tempfile
import time

import dataset
from bench_ticket_list_first_page import (
    COUNT_LIMIT, LIMIT, SEARCH_VALUE, TAB_COUNT_LIMIT, Page, _counted_tabs,
    _domain, _split_statements, _tabs, read_fields)
from harness import (
    TrytondServer, benchmark, connect, create_database, drop_database, say,
    summary)

TARGET_MS = 30
DATABASE = 'bench_helpdesk_restricted'
LEADER_LOGIN = 'agent01'

# The team led by each leader (by login), in the order of dataset.TEAMS
LEADERS = ['agent01', 'agent02', 'agent03', 'agent04']
# The members of each team: bench_agent is a member of Customer Support
MEMBERS = [
    [dataset.AGENT_LOGIN, 'agent05', 'agent06', 'agent07', 'agent08',
        'agent09', 'agent10', 'agent11'],
    ['agent12', 'agent13', 'agent14', 'agent15', 'agent16'],
    ['agent17', 'agent18'],
    ['agent19', 'agent05'],
    ]
# Share of the tickets where a colleague was invited into the conversation
INVITED_SHARE = 0.06
# Share of the tickets with a transfer in their history; the pending ones
# are a share of those of the open tickets
TRANSFER_SHARE = 0.02
PENDING_SHARE = 0.4

# (key, visibility of every team, login, description)
CASES = [
    ('internal_agent', 'internal', dataset.AGENT_LOGIN,
        "unrestricted (internal): a member agent, the reference"),
    ('invited_agent', 'invited', dataset.AGENT_LOGIN,
        "invited: a member agent who follows the tickets assigned to them "
        "and some where a colleague invited them"),
    ('invited_leader', 'invited', LEADER_LOGIN,
        "invited: the team leader who follows the team "
        "(Customer Support, 45% of the tickets)"),
    ('assigned_agent', 'assigned', dataset.AGENT_LOGIN,
        "assigned: the same member agent (their tickets only)"),
    ('assigned_leader', 'assigned', LEADER_LOGIN,
        "assigned: the team leader (every ticket of the team)"),
    ]
REFERENCE = 'internal_agent'
VISIBILITIES = ['internal', 'invited', 'assigned']


# --- The data

def _user_ids(conn):
    return dict(conn.execute('SELECT login, id FROM res_user').fetchall())


def setup_teams(name):
    """Give the teams their leaders (who follow the team) and members and
    let the leader log in with the agent's password"""
    with connect(name, autocommit=False) as conn:
        users = _user_ids(conn)
        teams = [r[0] for r in conn.execute(
                'SELECT id FROM helpdesk_team ORDER BY id').fetchall()]
        for team, leader, members in zip(teams, LEADERS, MEMBERS):
            for table, logins in [
                    ('helpdesk_team-res_user_leader', [leader]),
                    ('helpdesk_team-res_user_follower', [leader]),
                    ('helpdesk_team-res_user_member', members)]:
                for login in logins:
                    conn.execute(
                        f'INSERT INTO "{table}" (team, "user", create_uid, '
                        'create_date) VALUES (%s, %s, 0, now())',
                        (team, users[login]))
        conn.execute(
            'UPDATE res_user SET password_hash = ('
            'SELECT password_hash FROM res_user WHERE login = %s) '
            'WHERE login = %s', (dataset.AGENT_LOGIN, LEADER_LOGIN))
        conn.commit()


def insert_followers(name, seed=0.25):
    """Give every ticket its conversation channel and the followers the
    module gives it: the customer's e-mail, the assignee, the users who
    follow the team; and a colleague invited on a share of the tickets"""
    started = time.monotonic()
    with connect(name, autocommit=False) as conn:
        conn.execute('SELECT setseed(%s)', (seed,))
        agents = [r[0] for r in conn.execute(
                "SELECT id FROM res_user WHERE login = %s "
                "OR login LIKE 'agent%%' ORDER BY id",
                (dataset.AGENT_LOGIN,)).fetchall()]
        # As Channel._get_channel at the ticket's creation: the resource
        # and a random identifier
        conn.execute("""
            INSERT INTO ir_chat_channel (resource, identifier, create_uid,
                create_date)
            SELECT 'helpdesk.ticket,' || id, md5(random()::text || id),
                create_uid, create_date
            FROM helpdesk_ticket ORDER BY id
            """)
        conn.execute("""
            CREATE TEMPORARY TABLE bench_channel ON COMMIT DROP AS
            SELECT t.id AS ticket, c.id AS channel, t.team, t."user",
                t.contact_email, t.create_date
            FROM helpdesk_ticket AS t
            JOIN ir_chat_channel AS c
                ON c.resource = 'helpdesk.ticket,' || t.id
            """)
        # The customer comes first, then the assignee, then the team's
        # followers (Ticket._add_followers)
        conn.execute("""
            INSERT INTO ir_chat_follower (channel, helpdesk_ticket, email,
                create_uid, create_date)
            SELECT channel, ticket, lower(contact_email), 0, create_date
            FROM bench_channel WHERE contact_email IS NOT NULL
            ORDER BY ticket
            """)
        conn.execute("""
            INSERT INTO ir_chat_follower (channel, helpdesk_ticket, "user",
                create_uid, create_date)
            SELECT channel, ticket, "user", 0, create_date
            FROM bench_channel WHERE "user" IS NOT NULL
            ORDER BY ticket
            """)
        conn.execute("""
            INSERT INTO ir_chat_follower (channel, helpdesk_ticket, "user",
                create_uid, create_date)
            SELECT c.channel, c.ticket, f."user", 0, c.create_date
            FROM bench_channel AS c
            JOIN "helpdesk_team-res_user_follower" AS f ON f.team = c.team
            ORDER BY c.ticket
            ON CONFLICT DO NOTHING
            """)
        # A colleague invited into the conversation
        conn.execute("""
            INSERT INTO ir_chat_follower (channel, helpdesk_ticket, "user",
                create_uid, create_date)
            SELECT channel, ticket, (%(agents)s::int[])[
                    1 + floor(r * array_length(%(agents)s::int[], 1))::int],
                0, create_date + interval '2 hours'
            FROM (SELECT *, random() AS r, random() AS share
                FROM bench_channel) AS c
            WHERE share < %(share)s
            ORDER BY ticket
            ON CONFLICT DO NOTHING
            """, {'agents': agents, 'share': INVITED_SHARE})
        conn.commit()
    say(f"  inserted the chat channels and followers in {name} "
        f"({time.monotonic() - started:.1f}s)")


def mark_through_team(name):
    """Mark the followers who follow the ticket's team, as the module does
    when it creates the ticket (ir.chat.follower.helpdesk_through_team)"""
    with connect(name) as conn:
        conn.execute("""
            UPDATE ir_chat_follower AS f
            SET helpdesk_through_team = f."user" IS NOT NULL AND EXISTS (
                SELECT 1 FROM helpdesk_ticket AS t
                JOIN "helpdesk_team-res_user_follower" AS tf
                    ON tf.team = t.team
                WHERE t.id = f.helpdesk_ticket AND tf."user" = f."user")
            WHERE f.helpdesk_ticket IS NOT NULL
            """)


def insert_transfers(name, seed=0.75):
    """Give a share of the tickets a transfer between teams: approved ones
    (the ticket is in the destination team), rejected ones, and requests
    still pending on open tickets"""
    with connect(name, autocommit=False) as conn:
        conn.execute('SELECT setseed(%s)', (seed,))
        teams = [r[0] for r in conn.execute(
                'SELECT id FROM helpdesk_team ORDER BY id').fetchall()]
        conn.execute("""
            WITH picked AS (
                SELECT t.*, random() AS r_state, random() AS r_team
                FROM helpdesk_ticket AS t
                WHERE random() < %(share)s
                ),
            decided AS (
                SELECT *,
                    CASE
                        WHEN state NOT IN ('solved', 'cancelled')
                            AND r_state < %(pending)s THEN 'requested'
                        WHEN r_state < 0.85 THEN 'approved'
                        ELSE 'rejected' END AS transfer_state,
                    -- another team than the ticket's
                    (%(teams)s::int[])[1 + (
                        array_position(%(teams)s::int[], team)
                        + floor(r_team * (cardinality(%(teams)s::int[]) - 1)
                            )::int)
                        %% cardinality(%(teams)s::int[])] AS other_team
                FROM picked
                )
            INSERT INTO helpdesk_ticket_transfer (ticket, from_team, to_team,
                requested_by, state, decided_by, decision_date, reason,
                create_uid, create_date)
            SELECT d.id,
                CASE WHEN transfer_state = 'approved'
                    THEN other_team ELSE team END,
                CASE WHEN transfer_state = 'approved'
                    THEN team ELSE other_team END,
                COALESCE(d."user", d.create_uid, 1), transfer_state,
                CASE WHEN transfer_state <> 'requested' THEN (
                    SELECT l."user" FROM "helpdesk_team-res_user_leader" AS l
                    WHERE l.team = CASE WHEN transfer_state = 'approved'
                        THEN team ELSE other_team END
                    LIMIT 1) END,
                CASE WHEN transfer_state <> 'requested'
                    THEN d.create_date + interval '3 hours' END,
                'Belongs to another team',
                COALESCE(d."user", d.create_uid, 1),
                d.create_date + interval '1 hour'
            FROM decided AS d
            ORDER BY d.id
            """, {'share': TRANSFER_SHARE, 'pending': PENDING_SHARE,
                'teams': teams})
        conn.commit()


def set_visibility(name, visibility):
    "Give every team the visibility"
    with connect(name) as conn:
        conn.execute(
            'UPDATE helpdesk_team SET visibility = %s', (visibility,))


def _data_shape(name):
    with connect(name) as conn:
        def one(query, *args):
            return conn.execute(query, args).fetchone()[0]
        users = _user_ids(conn)
        agent, leader = users[dataset.AGENT_LOGIN], users[LEADER_LOGIN]
        open_ = "state NOT IN ('solved', 'cancelled')"
        followed = (
            'SELECT count(DISTINCT c.id) FROM ir_chat_channel AS c '
            'JOIN ir_chat_follower AS f ON f.channel = c.id '
            'WHERE f."user" = %s')
        return {
            'tickets': one('SELECT count(*) FROM helpdesk_ticket'),
            'open': one(f'SELECT count(*) FROM helpdesk_ticket WHERE {open_}'),
            'channels': one('SELECT count(*) FROM ir_chat_channel'),
            'followers': one('SELECT count(*) FROM ir_chat_follower'),
            'user_followers': one(
                'SELECT count(*) FROM ir_chat_follower '
                'WHERE "user" IS NOT NULL'),
            'email_followers': one(
                'SELECT count(*) FROM ir_chat_follower '
                'WHERE email IS NOT NULL'),
            'followers_through_team': one(
                'SELECT count(*) FROM ir_chat_follower '
                'WHERE helpdesk_through_team'),
            'agent': {
                'login': dataset.AGENT_LOGIN,
                'assigned': one(
                    'SELECT count(*) FROM helpdesk_ticket WHERE "user" = %s',
                    agent),
                'assigned_open': one(
                    'SELECT count(*) FROM helpdesk_ticket '
                    f'WHERE "user" = %s AND {open_}', agent),
                'followed': one(followed, agent),
                },
            'leader': {
                'login': LEADER_LOGIN,
                'team': one(
                    'SELECT t.name FROM helpdesk_team AS t '
                    'JOIN "helpdesk_team-res_user_leader" AS l '
                    'ON l.team = t.id WHERE l."user" = %s', leader),
                'team_tickets': one(
                    'SELECT count(*) FROM helpdesk_ticket WHERE team IN ('
                    'SELECT team FROM "helpdesk_team-res_user_leader" '
                    'WHERE "user" = %s)', leader),
                'followed': one(followed, leader),
                },
            'transfers': dict(conn.execute(
                    'SELECT state, count(*) FROM helpdesk_ticket_transfer '
                    'GROUP BY state ORDER BY state').fetchall()),
            'table_size_mb': {
                table: round(one(
                        'SELECT pg_total_relation_size(%s)', table)
                    / 2 ** 20, 1)
                for table in ['helpdesk_ticket', 'ir_chat_channel',
                    'ir_chat_follower']},
            }


def _indexes(name):
    with connect(name) as conn:
        return {table: [r[0] for r in conn.execute(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = %s "
                    "ORDER BY indexname", (table,)).fetchall()]
            for table in ['helpdesk_ticket', 'ir_chat_channel',
                'ir_chat_follower', 'helpdesk_ticket_transfer',
                'helpdesk_team-res_user_leader',
                'helpdesk_team-res_user_follower']}


# --- The measure

class Session:
    "The pages and tab counters of one user"

    def __init__(self, server, login, fields=None):
        self.client = server.client()
        self.user_id = self.client.login(login, dataset.AGENT_PASSWORD)
        if fields is None:
            view = self.client.model(
                'helpdesk.ticket', 'fields_view_get', None, 'tree')
            fields = read_fields(view)
        self.fields = fields
        self.tabs = _tabs(self.user_id)
        self.pages = {key: Page(self.client, _domain(domain), fields)
            for key, _, domain in self.tabs}
        self.counted = [['AND', domain, SEARCH_VALUE]
            for domain in _counted_tabs(self.user_id)]

    def tab_counters(self):
        t0 = time.perf_counter()
        counts = [self.client.model(
                'helpdesk.ticket', 'search_count', domain, 0,
                TAB_COUNT_LIMIT) for domain in self.counted]
        return (time.perf_counter() - t0) * 1000, counts

    def close(self):
        self.client.close()


def _measure(rounds, block, warmup):
    """Measure every case with one server: in each round every visibility
    in turn (the order rotates), and for each its cases round robin"""
    samples = {key: {'tabs': {}, 'counters': []} for key, *_ in CASES}
    counts = {}
    with TrytondServer(DATABASE) as server:
        sessions = {}
        fields = None
        for login in {c[2] for c in CASES}:
            sessions[login] = Session(server, login, fields)
            fields = sessions[login].fields

        def iteration(key, login, record):
            session = sessions[login]
            for tab, page in session.pages.items():
                sample = page()
                if record:
                    samples[key]['tabs'].setdefault(tab, []).append(sample)
            duration, tab_counts = session.tab_counters()
            if record:
                samples[key]['counters'].append(duration)
                counts[key] = tab_counts

        for round_ in range(rounds):
            shift = round_ % len(VISIBILITIES)
            for visibility in VISIBILITIES[shift:] + VISIBILITIES[:shift]:
                set_visibility(DATABASE, visibility)
                cases = [(k, login) for k, v, login, _ in CASES
                    if v == visibility]
                for _ in range(warmup if round_ == 0 else 1):
                    for key, login in cases:
                        iteration(key, login, False)
                for _ in range(block):
                    for key, login in cases:
                        iteration(key, login, True)
        user_ids = {login: s.user_id for login, s in sessions.items()}
        for session in sessions.values():
            session.close()

    result = {}
    for key, visibility, login, description in CASES:
        case = {
            'visibility': visibility,
            'login': login,
            'description': description,
            'tabs': {},
            }
        tabs = _tabs(user_ids[login])
        for tab, name, domain in tabs:
            tab_samples = samples[key]['tabs'][tab]
            case['tabs'][tab] = {
                'name': name,
                'domain': _domain(domain),
                'rows': tab_samples[0]['rows'],
                'count': tab_samples[0]['count'],
                'page_ms': summary([s['page'] for s in tab_samples]),
                'page_with_count_ms': summary(
                    [s['page_with_count'] for s in tab_samples]),
                'search_ms': summary([s['search'] for s in tab_samples]),
                'search_count_ms': summary(
                    [s['search_count'] for s in tab_samples]),
                'read_ms': summary([s['read'] for s in tab_samples]),
                'samples_ms': {
                    part: [round(s[part], 2) for s in tab_samples]
                    for part in ['search', 'search_count', 'read']},
                }
            say(f"    {key:<16} {tab:<11} "
                f"{tab_samples[0]['rows']:>3} rows  page median "
                f"{case['tabs'][tab]['page_ms']['median']:6.1f} ms "
                f"(search {case['tabs'][tab]['search_ms']['median']:.1f} "
                f"+ read {case['tabs'][tab]['read_ms']['median']:.1f}; "
                f"search_count "
                f"{case['tabs'][tab]['search_count_ms']['median']:.1f})")
        case['tab_counters_ms'] = summary(samples[key]['counters'])
        case['tab_counters_ms']['samples'] = [
            round(x, 2) for x in samples[key]['counters']]
        case['tab_counters'] = counts[key]
        result[key] = case
    # The cost of the rule: each case against the unrestricted list
    reference = result[REFERENCE]['tabs']
    for key, case in result.items():
        case['ratio_to_unrestricted'] = {
            tab: {
                'page': round(
                    data['page_ms']['median']
                    / reference[tab]['page_ms']['median'], 2),
                'page_with_count': round(
                    data['page_with_count_ms']['median']
                    / reference[tab]['page_with_count_ms']['median'], 2),
                }
            for tab, data in case['tabs'].items()}
    return result, fields, user_ids


# --- The plans

def _relations(node):
    "The tables a plan node and its children read"
    names = set()
    if 'Relation Name' in node:
        names.add(node['Relation Name'])
    for child in node.get('Plans', []):
        names |= _relations(child)
    return names


def _node_ms(node):
    "The time spent in a node and its children (all loops), in ms"
    return round(node.get('Actual Total Time', 0)
        * node.get('Actual Loops', 1), 3)


def _breakdown(plan):
    """Where the time of an EXPLAIN (ANALYZE, FORMAT JSON) plan goes: the
    scans of helpdesk_ticket (rows kept and removed by the filter) and
    every sub-plan (one per branch of the rule or subquery of the domain)
    with the tables it reads"""
    scans, subplans = [], []

    def walk(node):
        if node.get('Parent Relationship') == 'SubPlan' or node.get(
                'Subplan Name'):
            subplans.append({
                    'name': node.get('Subplan Name'),
                    'node': node['Node Type'],
                    'tables': sorted(_relations(node)),
                    'loops': node.get('Actual Loops'),
                    'rows': node.get('Actual Rows'),
                    'ms': _node_ms(node),
                    })
        if node.get('Relation Name') == 'helpdesk_ticket':
            scans.append({
                    'node': node['Node Type'],
                    'index': node.get('Index Name'),
                    'loops': node.get('Actual Loops'),
                    'rows': node.get('Actual Rows'),
                    'removed_by_filter': node.get('Rows Removed by Filter'),
                    'ms': _node_ms(node),
                    'filter': node.get('Filter'),
                    })
        for child in node.get('Plans', []):
            walk(child)
    walk(plan['Plan'])
    return {
        'execution_ms': round(plan['Execution Time'], 3),
        'planning_ms': round(plan['Planning Time'], 3),
        'ticket_scans': scans,
        'subplans': subplans,
        }


def _explain(conn, sql):
    "The text plan and the breakdown of sql (the second run: warm)"
    conn.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql).fetchall()
    plan = [r[0] for r in conn.execute(
            'EXPLAIN (ANALYZE, BUFFERS) ' + sql).fetchall()]
    data, = conn.execute(
        'EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ' + sql).fetchone()
    return plan, _breakdown(data[0])


def _capture_plans(fields):
    """Ask each case's first pages once with trytond's SQL logging and
    EXPLAIN ANALYZE the queries on helpdesk_ticket at once (with the
    case's visibility)"""
    plans = []
    with tempfile.TemporaryDirectory(prefix='helpdesk-bench-sql-') as tmp:
        log = os.path.join(tmp, 'sql.log')
        with TrytondServer(DATABASE, sql_log=log) as server, \
                connect(DATABASE) as conn:
            sessions = {login: Session(server, login, fields)
                for login in {c[2] for c in CASES}}
            for key, visibility, login, _ in CASES:
                set_visibility(DATABASE, visibility)
                session = sessions[login]
                for tab, page in session.pages.items():
                    calls = [('search', [page.domain, 0, LIMIT, None])]
                    ids = session.client.model(
                        'helpdesk.ticket', 'search', *calls[0][1])
                    if len(ids) == LIMIT:
                        calls.append(
                            ('search_count', [page.domain, 0, COUNT_LIMIT]))
                    calls.append(('read', [ids, fields]))
                    for method, params in calls[1:]:
                        session.client.model(
                            'helpdesk.ticket', method, *params)
                    for method, params in calls:
                        offset = os.path.getsize(log)
                        session.client.model(
                            'helpdesk.ticket', method, *params)
                        with open(log) as fd:
                            fd.seek(offset)
                            statements = _split_statements(fd.read())
                        entry = {
                            'case': key,
                            'tab': tab,
                            'call': method,
                            'statements': len(statements),
                            'queries': [],
                            }
                        for sql in statements:
                            if not (sql.startswith('SELECT')
                                    and 'helpdesk_ticket' in sql):
                                continue
                            plan, breakdown = _explain(conn, sql)
                            entry['queries'].append({
                                    'sql': sql,
                                    'execution_ms': breakdown['execution_ms'],
                                    'breakdown': breakdown,
                                    'plan': plan,
                                    })
                        plans.append(entry)
            for session in sessions.values():
                session.close()
    return plans


def _plan_summary(plans):
    """The execution time of the main query of each call, per case and
    tab, and the costliest sub-plans"""
    summary_ = {}
    for entry in plans:
        if not entry['queries']:
            continue
        # The query of the tickets themselves (with the rule), not those
        # of their relations
        main = max(
            [q for q in entry['queries']
                if 'FROM "helpdesk_ticket" AS "a"' in q['sql']]
            or entry['queries'], key=lambda q: q['execution_ms'])
        case = summary_.setdefault(entry['case'], {})
        tab = case.setdefault(entry['tab'], {})
        tab[entry['call']] = {
            'execution_ms': main['execution_ms'],
            'ticket_scans': [
                {k: s[k] for k in ['node', 'index', 'rows',
                        'removed_by_filter', 'ms']}
                for s in main['breakdown']['ticket_scans']],
            'subplans': [
                {k: s[k] for k in ['name', 'tables', 'loops', 'rows', 'ms']}
                for s in main['breakdown']['subplans']],
            }
    return summary_


# The branches of the rule by the tables of their sub-plan
_BRANCHES = [
    ({'ir_chat_channel', 'ir_chat_follower'},
        "ticket followers (Ticket.search_follower_users)"),
    ({'helpdesk_ticket_transfer'},
        "destination leaders of pending transfers"),
    ({'helpdesk_team-res_user_follower'}, "team followers"),
    ({'helpdesk_team-res_user_leader'}, "team leaders"),
    ({'helpdesk_team'}, "team visibility"),
    ]


def _branch(tables):
    for needed, name in _BRANCHES:
        if needed <= set(tables):
            return name
    return ', '.join(tables)


def _findings(plan_summary, results):
    """Where the time of each case's queries goes, by branch of the rule,
    beside the measured calls"""
    findings = {}
    for key, tabs in plan_summary.items():
        case = findings[key] = {}
        for tab, calls in tabs.items():
            for call, data in calls.items():
                branches = {}
                for subplan in data['subplans']:
                    name = _branch(subplan['tables'])
                    ms, rows = branches.get(name, (0, 0))
                    branches[name] = (
                        round(ms + subplan['ms'], 3), rows + subplan['rows'])
                measured = results[key]['tabs'][tab][f'{call}_ms']['median']
                costliest = max(
                    branches.items(), key=lambda b: b[1][0], default=None)
                line = (
                    f"{tab} {call}: measured {measured:.1f} ms, SQL "
                    f"{data['execution_ms']:.1f} ms")
                if costliest and costliest[1][0] >= 1:
                    name, (ms, rows) = costliest
                    line += (
                        f", of which {ms:.1f} ms "
                        f"({ms / data['execution_ms']:.0%}) in the branch "
                        f"'{name}' ({rows} rows)")
                case[f'{tab}.{call}'] = {
                    'measured_median_ms': measured,
                    'sql_ms': data['execution_ms'],
                    'rule_branches_ms': {
                        name: ms for name, (ms, _) in branches.items()},
                    'rule_branches_rows': {
                        name: rows for name, (_, rows) in branches.items()},
                    'text': line,
                    }
    return findings


# --- The benchmark

@benchmark(
    'ticket_list_restricted',
    "The first page of the ticket list (search, search_count, read as the "
    "web client asks them) at 100k tickets when the teams restrict who "
    "sees their tickets: a member agent and a team leader in invited and "
    "in assigned visibility, beside the unrestricted (internal) list in "
    "the same run, with the query plans of the record rule")
def run(options):
    if options.quick:
        count = 5000
        rounds, block, warmup = 2, 2, 1
    else:
        count = 100_000
        rounds, block, warmup = 10, 5, 3
    base = dataset.ensure_base(options)
    create_database(DATABASE, template=base)
    try:
        setup_teams(DATABASE)
        dataset.insert_tickets(DATABASE, count, seed=0.1)
        insert_followers(DATABASE)
        insert_transfers(DATABASE)
        mark_through_team(DATABASE)
        with connect(DATABASE) as conn:
            conn.execute('VACUUM ANALYZE')
        shape = _data_shape(DATABASE)
        say(f"  measuring at {count} tickets")
        results, fields, user_ids = _measure(rounds, block, warmup)
        say(f"  capturing the query plans at {count} tickets")
        plans = _capture_plans(fields)
        indexes = _indexes(DATABASE)
    finally:
        if not options.keep:
            drop_database(DATABASE)

    targets = []
    for key, case in results.items():
        if key == REFERENCE:
            continue
        for tab, data in case['tabs'].items():
            median = data['page_ms']['median']
            targets.append({
                    'name': f"first page, {case['visibility']}, "
                    f"{case['login']}, {data['name']}, {count} tickets "
                    "(search + read), median",
                    'metric': f'results.{key}.tabs.{tab}.page_ms.median',
                    'target': f'<= {TARGET_MS} ms',
                    'measured': median,
                    'met': median <= TARGET_MS,
                    })
    return {
        'parameters': {
            'tickets': count,
            'rounds': rounds,
            'iterations_per_block': block,
            'iterations': rounds * block,
            'warmup_iterations': warmup,
            'cases': {key: {'visibility': v, 'login': login,
                    'user_id': user_ids[login], 'description': d}
                for key, v, login, d in CASES},
            'schedule': "one server; in each round every visibility in "
            "turn (the order rotates from round to round; the teams' "
            "visibility is changed with SQL between blocks), one warm-up "
            "iteration after each change, then the block's iterations, "
            "the cases of the visibility round robin; each iteration asks "
            "the three tabs' pages and the tab counters",
            'limit': LIMIT,
            'order': "the model's default (none sent, as sao)",
            'read_fields': fields,
            'search_count_limit': COUNT_LIMIT,
            'tab_counters': {
                'domains': _counted_tabs('<user id>'),
                'limit': TAB_COUNT_LIMIT,
                },
            'rule': "helpdesk_core rule_group_ticket (ticket.xml)",
            'teams': {
                'leaders (who also follow the team)': LEADERS,
                'members': MEMBERS,
                },
            'followers': "every ticket has its channel (resource "
            "'helpdesk.ticket,<id>', an identifier) with the customer's "
            "e-mail, the assignee and the team's followers as followers, "
            f"and {INVITED_SHARE:.0%} of the tickets a colleague invited",
            'transfers': f"{TRANSFER_SHARE:.0%} of the tickets have a "
            "transfer: approved, rejected, or still requested "
            f"({PENDING_SHARE:.0%} of those of open tickets)",
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL, same machine as the client",
            'page': "page_ms = search + read (the target); "
            "page_with_count_ms adds the search_count; ratio_to_unrestricted "
            "divides a case's median by the unrestricted one's",
            'database': DATABASE,
            'data': shape,
            'indexes': indexes,
            },
        'results': results,
        'findings': _findings(_plan_summary(plans), results),
        'plan_summary': _plan_summary(plans),
        'plans': plans,
        'targets': targets,
        }
