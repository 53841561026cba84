# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""ticket_list_first_page: the first page of an agent's ticket list, asked
through the RPC server the way the web client (sao) asks it, at 10k and at
100k tickets"""

import json
import os
import re
import tempfile
import time

import dataset
from harness import (
    TrytondServer, benchmark, connect, create_database, drop_database, say,
    summary)

TARGET_MS = 30
DATABASE = 'bench_helpdesk_list'
LIMIT = 80
# sao: Screen.count_limit = limit * 100 + offset
COUNT_LIMIT = LIMIT * 100
# sao: count_tab_domain asks search_count with a limit of 1000
TAB_COUNT_LIMIT = 1000

OPEN = ['state', 'not in', ['solved', 'cancelled']]
# The search value of the action act_ticket_form: the tickets of the stages
# not folded (check_search_value makes sure it is still the action's)
SEARCH_VALUE = [['folded', '=', False]]


def check_search_value(name):
    "Fail when the action's search value is no longer SEARCH_VALUE"
    with connect(name) as conn:
        value, = conn.execute(
            "SELECT a.search_value FROM ir_action_act_window AS a "
            "JOIN ir_model_data AS d ON d.db_id = a.id "
            "AND d.model = 'ir.action.act_window' "
            "WHERE d.module = 'helpdesk_core' "
            "AND d.fs_id = 'act_ticket_form'").fetchone()
    if json.loads(value) != SEARCH_VALUE:
        raise RuntimeError(
            f"The search value of act_ticket_form is {value}, the benchmark "
            f"measures {SEARCH_VALUE}: update SEARCH_VALUE")


def _tabs(user_id):
    """The tabs of act_ticket_form measured: (key, name, tab domain)
    (the domains of its ir.action.act_window.domain records)"""
    return [
        ('my_tickets', "My Tickets", [['user', '=', user_id], OPEN]),
        ('unassigned', "Unassigned", [['user', '=', None], OPEN]),
        ('all_open', "All, with the default search value (open)", []),
        ]


def _counted_tabs(user_id):
    "The tab domains with a counter (count=True), as sao counts them"
    return [
        [['user', '=', user_id], OPEN],
        [['user', '=', None], OPEN],
        [['priority', '=', '3'], OPEN],
        [['state', '=', 'waiting']],
        ]


def _domain(tab_domain):
    "The domain sao searches: the search value AND the tab's domain"
    if tab_domain:
        return ['AND', SEARCH_VALUE, tab_domain]
    return SEARCH_VALUE


def read_fields(view):
    """The field names sao reads for the records of a list view
    (Sao.Record.load): the view's fields, the rec_name of the relations,
    the string of eager selections, and the record's own rec_name,
    timestamp and access rights. The many2many tags, lazy in sao, is read
    with the others (a little more than sao asks)."""
    names = []
    for name, field in view['fields'].items():
        names.append(name)
        if field['type'] in {'many2one', 'one2one', 'reference'}:
            names.append(f'{name}.rec_name')
        elif (field['type'] in {'selection', 'multiselection'}
                and field.get('loading', 'lazy') == 'eager'):
            names.append(f'{name}:string')
    if 'rec_name' not in names:
        names.append('rec_name')
    names += ['_timestamp', '_write', '_delete']
    return names


class Page:
    "The calls of one first page and their durations in ms"

    def __init__(self, client, domain, fields):
        self.client = client
        self.domain = domain
        self.fields = fields

    def __call__(self):
        client = self.client
        t0 = time.perf_counter()
        ids = client.model(
            'helpdesk.ticket', 'search', self.domain, 0, LIMIT, None)
        t1 = time.perf_counter()
        count = None
        if len(ids) == LIMIT:
            count = client.model(
                'helpdesk.ticket', 'search_count', self.domain, 0,
                COUNT_LIMIT)
        t2 = time.perf_counter()
        rows = client.model('helpdesk.ticket', 'read', ids, self.fields)
        t3 = time.perf_counter()
        assert len(rows) == len(ids)
        return {
            'rows': len(rows),
            'count': count if count is not None else len(ids),
            'search': (t1 - t0) * 1000,
            'search_count': (t2 - t1) * 1000 if count is not None else 0,
            'read': (t3 - t2) * 1000,
            'page': (t1 - t0 + t3 - t2) * 1000,
            'page_with_count': (t3 - t0) * 1000,
            }


def _data_shape(name, user_id):
    "What the tickets of the database look like"
    with connect(name) as conn:
        def one(query, *args):
            return conn.execute(query, args).fetchone()[0]
        by_state = dict(conn.execute(
                'SELECT state, count(*) FROM helpdesk_ticket GROUP BY state '
                'ORDER BY state').fetchall())
        by_priority = dict(conn.execute(
                'SELECT priority, count(*) FROM helpdesk_ticket '
                'GROUP BY priority ORDER BY priority').fetchall())
        open_ = "state NOT IN ('solved', 'cancelled')"
        return {
            'tickets': one('SELECT count(*) FROM helpdesk_ticket'),
            'by_state': by_state,
            'by_priority': by_priority,
            'open': one(f'SELECT count(*) FROM helpdesk_ticket WHERE {open_}'),
            'open_assigned_to_agent': one(
                'SELECT count(*) FROM helpdesk_ticket '
                f'WHERE "user" = %s AND {open_}', user_id),
            'open_unassigned': one(
                'SELECT count(*) FROM helpdesk_ticket '
                f'WHERE "user" IS NULL AND {open_}'),
            'teams': one('SELECT count(DISTINCT team) FROM helpdesk_ticket'),
            'agents': one(
                'SELECT count(DISTINCT "user") FROM helpdesk_ticket'),
            'customers': one(
                'SELECT count(DISTINCT party) FROM helpdesk_ticket'),
            'tagged': one(
                'SELECT count(DISTINCT ticket) '
                'FROM "helpdesk_ticket-helpdesk_tag"'),
            'created_from': str(one(
                    'SELECT min(create_date) FROM helpdesk_ticket')),
            'created_to': str(one(
                    'SELECT max(create_date) FROM helpdesk_ticket')),
            'table_size_mb': round(one(
                    "SELECT pg_total_relation_size('helpdesk_ticket')")
                / 2 ** 20, 1),
            }


def _indexes(name):
    with connect(name) as conn:
        return [r[0] for r in conn.execute(
                "SELECT indexdef FROM pg_indexes "
                "WHERE tablename = 'helpdesk_ticket' ORDER BY indexname"
                ).fetchall()]


def _measure_level(level, iterations, warmup):
    "Measure every tab at the current volume with a fresh server"
    with TrytondServer(DATABASE) as server:
        client = server.client()
        user_id = client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
        view = client.model(
            'helpdesk.ticket', 'fields_view_get', None, 'tree')
        fields = read_fields(view)
        tabs = _tabs(user_id)
        pages = {key: Page(client, _domain(domain), fields)
            for key, _, domain in tabs}
        counted = [['AND', domain, SEARCH_VALUE]
            for domain in _counted_tabs(user_id)]

        def tab_counters():
            t0 = time.perf_counter()
            counts = [client.model(
                    'helpdesk.ticket', 'search_count', domain, 0,
                    TAB_COUNT_LIMIT) for domain in counted]
            return (time.perf_counter() - t0) * 1000, counts

        for _ in range(warmup):
            for page in pages.values():
                page()
            tab_counters()
        samples = {key: [] for key in pages}
        counter_samples = []
        # Round robin over the tabs: every tab sees the same conditions
        for _ in range(iterations):
            for key, page in pages.items():
                samples[key].append(page())
            duration, counts = tab_counters()
            counter_samples.append(duration)
        client.close()

    result = {'tabs': {}}
    for key, name, domain in tabs:
        tab_samples = samples[key]
        result['tabs'][key] = {
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
        say(f"    {level:>7} {key:<11} {tab_samples[0]['rows']:>3} rows  "
            f"page median {result['tabs'][key]['page_ms']['median']:6.1f} "
            f"ms (search {result['tabs'][key]['search_ms']['median']:.1f} "
            f"+ read {result['tabs'][key]['read_ms']['median']:.1f}; "
            f"search_count "
            f"{result['tabs'][key]['search_count_ms']['median']:.1f})")
    result['tab_counters_ms'] = summary(counter_samples)
    result['tab_counters_ms']['samples'] = [
        round(x, 2) for x in counter_samples]
    result['tab_counters'] = counts
    return result, fields, user_id


def _split_statements(text):
    "The SQL statements of a chunk of trytond's cursor log"
    statements = []
    for line in text.splitlines():
        if re.match(r'^(SELECT|INSERT|UPDATE|DELETE|WITH|SET|LOCK)\b', line):
            statements.append(line)
        elif statements and line and not line.startswith(('Traceback', ' ')):
            statements[-1] += '\n' + line
    return statements


def _capture_plans(fields, user_id, database=DATABASE, domains=None,
        counters=()):
    """Run each tab's first page once with trytond's SQL logging and
    EXPLAIN ANALYZE the queries on helpdesk_ticket

    domains are the (key, domain) of the pages (by default those of
    _tabs), counters the domains of the tab counters (each a call of the
    entry "counters")."""
    if domains is None:
        domains = [(key, _domain(domain))
            for key, _, domain in _tabs(user_id)]
    plans = []
    with tempfile.TemporaryDirectory(prefix='helpdesk-bench-sql-') as tmp:
        log = os.path.join(tmp, 'sql.log')
        with TrytondServer(database, sql_log=log) as server:
            client = server.client()
            client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
            tabs = []
            for key, domain in domains:
                calls = [('search', [domain, 0, LIMIT, None])]
                ids = client.model('helpdesk.ticket', 'search', *calls[0][1])
                if len(ids) == LIMIT:
                    calls.append(('search_count', [domain, 0, COUNT_LIMIT]))
                calls.append(('read', [ids, fields]))
                for method, params in calls[1:]:
                    # fill the server's caches as the measured runs did
                    client.model('helpdesk.ticket', method, *params)
                tabs.append((key, calls))
            if counters:
                calls = [('search_count', [domain, 0, TAB_COUNT_LIMIT])
                    for domain in counters]
                for method, params in calls:
                    client.model('helpdesk.ticket', method, *params)
                tabs.append(('counters', calls))
            for key, calls in tabs:
                for method, params in calls:
                    offset = os.path.getsize(log)
                    client.model('helpdesk.ticket', method, *params)
                    with open(log) as fd:
                        fd.seek(offset)
                        statements = _split_statements(fd.read())
                    plans.append({
                            'tab': key,
                            'call': method,
                            'statements': len(statements),
                            'queries': [
                                {'sql': sql} for sql in statements
                                if sql.startswith('SELECT')
                                and 'helpdesk_ticket' in sql],
                            'other_tables': sorted({
                                    t for sql in statements
                                    for t in re.findall(
                                        r'FROM "([a-z_.\-]+)"', sql)
                                    if t != 'helpdesk_ticket'}),
                            })
            client.close()
    with connect(database) as conn:
        for entry in plans:
            for query in entry['queries']:
                rows = conn.execute(
                    'EXPLAIN (ANALYZE, BUFFERS) ' + query['sql']).fetchall()
                plan = [r[0] for r in rows]
                query['plan'] = plan
                for line in plan:
                    if match := re.match(r'Execution Time: ([\d.]+) ms', line):
                        query['execution_ms'] = float(match.group(1))
    return plans


@benchmark(
    'ticket_list_first_page',
    "The first page (80 rows, the fields of the list view) of an agent's "
    "ticket list, asked as the web client asks it (search, search_count "
    "when the page is full, read) through one trytond server process, for "
    "the tabs My Tickets, Unassigned and All (open tickets), at 10k and "
    "100k tickets")
def run(options):
    if options.quick:
        levels = [1000, 5000]
        iterations, warmup = 5, 2
    else:
        levels = [10_000, 100_000]
        iterations, warmup = 50, 5
    base = dataset.ensure_base(options)
    check_search_value(base)
    create_database(DATABASE, template=base)
    results = {}
    shapes = {}
    try:
        for level in levels:
            dataset.insert_tickets(DATABASE, level, seed=level / 10 ** 6)
            say(f"  measuring at {level} tickets")
            results[str(level)], fields, user_id = _measure_level(
                level, iterations, warmup)
            shapes[str(level)] = _data_shape(DATABASE, user_id)
        say(f"  capturing the query plans at {levels[-1]} tickets")
        plans = _capture_plans(fields, user_id)
        indexes = _indexes(DATABASE)
    finally:
        if not options.keep:
            drop_database(DATABASE)

    targets = []
    for level in levels:
        for key, tab in results[str(level)]['tabs'].items():
            median = tab['page_ms']['median']
            targets.append({
                    'name': f"first page, {tab['name']}, {level} tickets "
                    "(search + read), median",
                    'metric': f'results.{level}.tabs.{key}.page_ms.median',
                    'target': f'<= {TARGET_MS} ms',
                    'measured': median,
                    'met': median <= TARGET_MS,
                    })
    return {
        'parameters': {
            'levels': levels,
            'iterations': iterations,
            'warmup_iterations': warmup,
            'limit': LIMIT,
            'order': "the model's default (none sent, as sao)",
            'read_fields': fields,
            'search_count_limit': COUNT_LIMIT,
            'tab_counters': {
                'domains': _counted_tabs('<agent id>'),
                'limit': TAB_COUNT_LIMIT,
                },
            'user': f"{dataset.AGENT_LOGIN} (Helpdesk Agent group; the "
            "global company rule applies)",
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL, same machine as the client",
            'page': "page_ms = search + read (the target); "
            "page_with_count_ms adds the search_count sao sends when the "
            "page is full; tab_counters_ms is the 4 search_count of the "
            "tab counters sao sends after the page",
            'database': DATABASE,
            'data': shapes,
            'indexes': indexes,
            },
        'results': results,
        'plans': plans,
        'targets': targets,
        }
