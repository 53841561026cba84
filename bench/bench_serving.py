# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The benchmarks of issue 14 in the configuration users run
(users_config.py: the five modules, automatic assignment, SLA policies,
the acknowledgement e-mailed through the outbox, 100k tickets with their
conversation in tables that have seen updates):

- ticket_list_sao: the first page of every tab of the agent's ticket list,
  asked as the web client (sao) asks it, with the count of a full page and
  the tab counters, through one trytond process;
- serving_gunicorn: tickets created through JSON-RPC by 8 clients against
  gunicorn (deploy/gunicorn.conf.py) with 1, 2 and 4 worker processes, the
  agent's list asked meanwhile, the peak memory of each worker."""

import re
import threading
import time

import bench_website
import dataset
import users_config
from bench_ticket_create_rpc import _reference, _ticket_values
from bench_ticket_list_first_page import (
    COUNT_LIMIT, LIMIT, TAB_COUNT_LIMIT, Page, _capture_plans, _indexes,
    read_fields)
from harness import (
    GunicornServer, TrytondServer, benchmark, connect, create_database,
    drop_database, process_memory, say, summary)

LIST_TARGET_MS = 30
LIST_DATABASE = 'bench_helpdesk_list_sao'
USERS_TICKETS = 100_000
SERVING_DATABASE = 'bench_helpdesk_serving'
SERVING_CLIENTS = 8
SERVING_RATIO_TARGET = 1.6
EMAIL_FROM = 'Helpdesk <helpdesk@helpdesk.example>'


# --- The tabs of the ticket list, as sao gets them

def _key(name):
    return re.sub(r'[^a-z0-9]+', '_', name.lower()).strip('_')


def sao_tabs(client, database):
    """The tabs of the action act_ticket_form as sao gets them (the action's
    domains and search value, decoded with the user's context): the
    search value and a list of (key, name, domain, counted)"""
    from trytond.pyson import PYSONDecoder
    with connect(database) as conn:
        action, = conn.execute(
            "SELECT db_id FROM ir_model_data "
            "WHERE module = 'helpdesk_core' AND fs_id = 'act_ticket_form' "
            "AND model = 'ir.action.act_window'").fetchone()
    window, = client.model(
        'ir.action.act_window', 'read', [action],
        ['domains', 'pyson_search_value'])
    context = {**client.context, '_user': client.user_id}
    search_value = PYSONDecoder(context).decode(window['pyson_search_value'])
    tabs = [
        (_key(name), name, PYSONDecoder(context).decode(domain), count)
        for name, domain, count in window['domains']]
    return search_value, tabs


def _search_domain(search_value, tab_domain):
    "The domain sao searches: the search value AND the tab's domain"
    if not search_value:
        return tab_domain
    if not tab_domain:
        return search_value
    return ['AND', search_value, tab_domain]


class SaoList:
    "The ticket list of an agent, each tab's first page as sao loads it"

    def __init__(self, client, database):
        self.client = client
        view = client.model(
            'helpdesk.ticket', 'fields_view_get', None, 'tree')
        self.fields = read_fields(view)
        self.search_value, self.tabs = sao_tabs(client, database)
        self.pages = {
            key: Page(client, _search_domain(self.search_value, domain),
                self.fields)
            for key, _, domain, _ in self.tabs}
        # sao: count_tab_domain, ['AND', tab domain, screen domain]
        self.counted = [
            ['AND', domain, self.search_value]
            for _, _, domain, count in self.tabs if count]

    def counters(self):
        t0 = time.perf_counter()
        counts = [self.client.model(
                'helpdesk.ticket', 'search_count', domain, 0,
                TAB_COUNT_LIMIT) for domain in self.counted]
        return (time.perf_counter() - t0) * 1000, counts

    def load(self, key):
        """The tab's first page (search, the count of a full page, read)
        then the tab counters, as sao after each search"""
        sample = self.pages[key]()
        sample['counters'], counts = self.counters()
        sample['total'] = sample['page_with_count'] + sample['counters']
        return sample, counts


# --- ticket_list_sao

def _slowest(plans, count=8):
    "The slowest queries of the plans captured, slowest first"
    queries = [
        {'tab': entry['tab'], 'call': entry['call'], **query}
        for entry in plans for query in entry['queries']
        if 'execution_ms' in query]
    queries.sort(key=lambda q: -q['execution_ms'])
    return [{
            'tab': q['tab'],
            'call': q['call'],
            'execution_ms': q['execution_ms'],
            'sql': q['sql'],
            'plan': q['plan'],
            } for q in queries[:count]]


@benchmark(
    'ticket_list_sao',
    "The first page of every tab of the agent's ticket list as the web "
    "client asks it (search, read of the list's fields, the search_count "
    "of a full page, the search_count of every tab counter) through one "
    "trytond process, in the users' configuration (five modules, 100k "
    "tickets with their conversation and SLA statuses, updated rows)")
def run_list(options):
    iterations, warmup = (5, 2) if options.quick else (40, 5)
    tickets = 2000 if options.quick else USERS_TICKETS
    data, shape = users_config.ensure_users_data(options, tickets)
    create_database(LIST_DATABASE, template=data)
    try:
        with TrytondServer(LIST_DATABASE) as server:
            client = server.client()
            user_id = client.login(
                dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
            sao = SaoList(client, LIST_DATABASE)
            for _ in range(warmup):
                for key, *_ in sao.tabs:
                    sao.load(key)
            samples = {key: [] for key, *_ in sao.tabs}
            for _ in range(iterations):
                # Round robin: every tab in the same conditions
                for key, *_ in sao.tabs:
                    sample, counts = sao.load(key)
                    samples[key].append(sample)
            client.close()
        say("  capturing the query plans")
        plans = _capture_plans(
            sao.fields, user_id, database=LIST_DATABASE,
            domains=[(key, page.domain) for key, page in sao.pages.items()],
            counters=sao.counted)
        indexes = _indexes(LIST_DATABASE)
    finally:
        if not options.keep:
            drop_database(LIST_DATABASE)

    results = {'tabs': {}}
    targets = []
    for key, name, domain, count in sao.tabs:
        tab = samples[key]
        results['tabs'][key] = entry = {
            'name': name,
            'domain': sao.pages[key].domain,
            'counted': count,
            'rows': tab[0]['rows'],
            'count': tab[0]['count'],
            **{f'{part}_ms': summary([s[part] for s in tab])
                for part in ['total', 'page_with_count', 'page', 'search',
                    'search_count', 'read', 'counters']},
            'samples_ms': {
                part: [round(s[part], 2) for s in tab]
                for part in ['search', 'search_count', 'read', 'counters']},
            }
        say(f"    {key:<15} {entry['rows']:>3} rows, total median "
            f"{entry['total_ms']['median']:6.1f} ms (search "
            f"{entry['search_ms']['median']:.1f}, count "
            f"{entry['search_count_ms']['median']:.1f}, read "
            f"{entry['read_ms']['median']:.1f}, counters "
            f"{entry['counters_ms']['median']:.1f})")
        median = entry['total_ms']['median']
        targets.append({
                'name': f"first page of {name}, {tickets} tickets, with the "
                "count and the tab counters, median",
                'metric': f'results.tabs.{key}.total_ms.median',
                'target': f'<= {LIST_TARGET_MS} ms',
                'measured': median,
                'met': median <= LIST_TARGET_MS,
                })
    results['tab_counters'] = dict(zip(
            [key for key, _, _, count in sao.tabs if count], counts))
    slowest = _slowest(plans)
    results['slowest_queries'] = [
        {k: q[k] for k in ['tab', 'call', 'execution_ms']}
        for q in slowest]
    return {
        'parameters': {
            'tickets': tickets,
            'iterations': iterations,
            'warmup_iterations': warmup,
            'limit': LIMIT,
            'search_count_limit': COUNT_LIMIT,
            'tab_counter_limit': TAB_COUNT_LIMIT,
            'search_value': sao.search_value,
            'tabs': [{'key': k, 'name': n, 'domain': d, 'counted': c}
                for k, n, d, c in sao.tabs],
            'read_fields': sao.fields,
            'user': f"{dataset.AGENT_LOGIN} (Helpdesk Agent, member of "
            "Customer Support; internal visibility)",
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL, same machine as the client",
            'sample': "total = search + search_count (when the page is "
            "full) + read + the search_count of every counted tab, as sao "
            "sends them after each search; the tabs round robin",
            'database': LIST_DATABASE,
            'data': shape,
            'indexes': indexes,
            },
        'results': results,
        'slowest_plans': slowest,
        'plans': plans,
        'targets': targets,
        }


# --- serving_gunicorn

class MemorySampler(threading.Thread):
    """Sample the peak resident memory (VmHWM) and the CPU time of
    gunicorn's master and workers every interval seconds"""

    def __init__(self, server, interval=0.5):
        super().__init__(daemon=True)
        self.server = server
        self.interval = interval
        self.stopping = threading.Event()
        self.peaks = {}
        self.cpu = {}

    def sample(self):
        pids = [self.server.process.pid] + self.server.worker_pids()
        for pid in pids:
            memory = process_memory(pid)
            if memory:
                self.peaks[pid] = max(
                    self.peaks.get(pid, 0), memory.get('VmHWM', 0))
            cpu = _cpu_seconds(pid)
            if cpu is not None:
                self.cpu[pid] = cpu

    def run(self):
        while not self.stopping.wait(self.interval):
            self.sample()

    def stop(self):
        self.sample()
        self.stopping.set()
        self.join()


def _cpu_seconds(pid):
    "The CPU time (user + system) of the process in seconds"
    import os
    try:
        with open(f'/proc/{pid}/stat') as fd:
            fields = fd.read().rsplit(')', 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def _creator(server, deadline, offset, step, teams, parties, latencies,
        errors, created):
    client = server.client()
    try:
        client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
        i = offset
        while time.monotonic() < deadline:
            values = _ticket_values(i, teams, parties)
            start = time.perf_counter()
            ids = client.model('helpdesk.ticket', 'create', [values])
            latencies.append((time.perf_counter() - start) * 1000)
            created.extend(ids)
            i += step
    except Exception as exception:
        errors.append(repr(exception))
    finally:
        client.close()


def _lister(server, database, deadline, samples, errors):
    "An agent loading the first page of each tab in turn"
    client = server.client()
    try:
        client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
        sao = SaoList(client, database)
        while time.monotonic() < deadline:
            for key, *_ in sao.tabs:
                if time.monotonic() >= deadline:
                    break
                sample = sao.pages[key]()
                samples.append((key, sample['page_with_count']))
    except Exception as exception:
        errors.append(repr(exception))
    finally:
        client.close()


def _load(server, database, duration, offset, teams, parties):
    "SERVING_CLIENTS creators and one lister for duration seconds"
    latencies, errors, created, pages = [], [], [], []
    deadline = time.monotonic() + duration
    threads = [threading.Thread(
            target=_creator,
            args=(server, deadline, offset + i, SERVING_CLIENTS, teams,
                parties, latencies, errors, created))
        for i in range(SERVING_CLIENTS)]
    threads.append(threading.Thread(
            target=_lister, args=(server, database, deadline, pages, errors)))
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return elapsed, latencies, errors, created, pages


def _serve(options, data, workers, duration, warmup_s):
    "One process count: warm-up, then the measured load"
    create_database(SERVING_DATABASE, template=data)
    try:
        with connect(SERVING_DATABASE) as conn:
            first_id = conn.execute(
                'SELECT max(id) + 1 FROM helpdesk_ticket').fetchone()[0]
        with bench_website.SmtpSink() as sink:
            config = {'email': {'uri': sink.uri, 'from': EMAIL_FROM}}
            with GunicornServer(
                    SERVING_DATABASE, workers, config=config,
                    worker=bench_website.QUEUE_WORKER) as server:
                teams, parties = _reference(server)
                # Every worker process loads the pool on its first
                # requests: not measured
                say(f"  {workers} worker(s): warm-up {warmup_s} s")
                _, _, errors, warm, _ = _load(
                    server, SERVING_DATABASE, warmup_s, 0, teams, parties)
                if errors:
                    raise RuntimeError(f"warm-up failed: {errors[0]}")
                sampler = MemorySampler(server)
                sampler.sample()
                cpu_before = dict(sampler.cpu)
                sampler.start()
                say(f"  {workers} worker(s): {SERVING_CLIENTS} clients "
                    f"creating for {duration} s, an agent listing")
                elapsed, latencies, errors, created, pages = _load(
                    server, SERVING_DATABASE, duration, 10 ** 5, teams,
                    parties)
                sampler.stop()
                pids = server.worker_pids()
                master = server.process.pid
                expected = len(warm) + len(created)
                drain_started = time.perf_counter()
                received = sink.wait(expected, 300)
                drained = time.perf_counter() - drain_started
        with connect(SERVING_DATABASE) as conn:
            stored = conn.execute(
                'SELECT count(*) FROM helpdesk_ticket WHERE id >= %s',
                (first_id,)).fetchone()[0]
            outbox = dict(conn.execute(
                    'SELECT state, count(*) FROM helpdesk_email_outbox '
                    'GROUP BY state').fetchall())
    finally:
        if not options.keep:
            drop_database(SERVING_DATABASE)
    if errors:
        raise RuntimeError(f"the load failed: {errors[0]}")
    by_tab = {}
    for key, ms in pages:
        by_tab.setdefault(key, []).append(ms)
    result = {
        'workers': workers,
        'clients': SERVING_CLIENTS,
        'duration_s': round(elapsed, 1),
        'tickets': len(created),
        'tickets_per_s': round(len(created) / elapsed, 1),
        'create_latency_ms': summary(latencies),
        'list_first_page_ms': summary([ms for _, ms in pages]),
        'list_first_page_by_tab_ms': {
            key: summary(values) for key, values in by_tab.items()},
        'peak_rss_mib': {
            'workers': {str(pid): round(sampler.peaks.get(pid, 0), 1)
                for pid in pids},
            'master': round(sampler.peaks.get(master, 0), 1),
            'max_worker': round(max(
                    (sampler.peaks.get(pid, 0) for pid in pids),
                    default=0), 1),
            },
        'cpu_s_during_load': {
            str(pid): round(sampler.cpu.get(pid, 0)
                - cpu_before.get(pid, 0), 1) for pid in pids},
        'checks': {
            'created_in_warm_up': len(warm),
            'acknowledged_calls': expected,
            'stored_tickets': stored,
            'outbox': outbox,
            'mails_at_sink': received,
            'mails_drained_s': round(drained, 1),
            'ok': (stored == expected and received == expected
                and outbox.get('sent', 0) == expected),
            },
        }
    say(f"    {result['tickets_per_s']} tickets/s, list first page p50 "
        f"{result['list_first_page_ms'].get('median')} ms, p99 "
        f"{result['list_first_page_ms'].get('p99')} ms, peak RSS "
        f"{result['peak_rss_mib']['max_worker']} MiB; checks "
        f"{'ok' if result['checks']['ok'] else result['checks']}")
    return result


@benchmark(
    'serving_gunicorn',
    "Tickets created through JSON-RPC by 8 concurrent clients against "
    "gunicorn (deploy/gunicorn.conf.py) with 1, 2 and 4 worker processes, "
    "in the users' configuration (100k tickets), an agent listing the "
    "first page of every tab meanwhile; throughput, its ratio to one "
    "process, the list's p50 and p99, the peak memory of each worker")
def run_serving(options):
    if options.quick:
        process_counts, duration, warmup_s, tickets = [1, 2], 10, 5, 2000
    else:
        process_counts, duration, warmup_s, tickets = (
            [1, 2, 4], 60, 15, USERS_TICKETS)
    data, shape = users_config.ensure_users_data(options, tickets)
    results = {}
    for workers in process_counts:
        results[f'workers_{workers}'] = _serve(
            options, data, workers, duration, warmup_s)
    one = results['workers_1']['tickets_per_s']
    for result in results.values():
        result['ratio_to_one_process'] = round(
            result['tickets_per_s'] / one, 2) if one else None
    two = results['workers_2']['ratio_to_one_process']
    targets = [{
            'name': "ticket creation with 2 worker processes over 1 "
            f"(8 clients, {tickets} tickets, 2-core machine)",
            'metric': 'results.workers_2.ratio_to_one_process',
            'target': f'>= {SERVING_RATIO_TARGET}',
            'measured': two,
            'met': two is not None and two >= SERVING_RATIO_TARGET,
            }, {
            'name': "every created ticket stored once, acknowledged by "
            "e-mail through the outbox",
            'metric': 'results.workers_*.checks.ok',
            'target': 'true',
            'measured': all(r['checks']['ok'] for r in results.values()),
            'met': all(r['checks']['ok'] for r in results.values()),
            }]
    return {
        'parameters': {
            'process_counts': process_counts,
            'clients': SERVING_CLIENTS,
            'duration_s': duration,
            'warmup_s': warmup_s,
            'server': "gunicorn -c deploy/gunicorn.conf.py (gthread, "
            "HELPDESK_WORKERS processes of HELPDESK_THREADS=4 threads), "
            "trytond.application:app, PostgreSQL on the same machine",
            'queue': bench_website.QUEUE_WORKER_NOTE,
            'call': "model.helpdesk.ticket.create [[values], context] "
            "as the agent, keep-alive HTTP, one connection per client",
            'list': "one more client, the agent: the first page of each "
            "tab in turn (search, search_count of a full page, read), "
            "timed together",
            'memory': "VmHWM of /proc/<pid>/status of each gunicorn "
            "worker, sampled every 0.5 s during the load",
            'database': SERVING_DATABASE,
            'data': shape,
            },
        'results': results,
        'targets': targets,
        }
