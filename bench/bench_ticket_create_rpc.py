# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""ticket_create_rpc: create tickets through Tryton's JSON-RPC API, one call
per ticket, against one trytond server process on PostgreSQL: in the
configuration users run (users_config.py: the five modules, automatic
assignment, SLA policies, the acknowledgement e-mailed through the outbox,
100k tickets in the tables), the headline; and on the cheapest path
(helpdesk_core alone, empty tables), the second line"""

import threading
import time

import bench_website
import dataset
import users_config
from harness import (
    TrytondServer, benchmark, connect, create_database, drop_database, say,
    summary)

TARGET_PER_SECOND = 100
DATABASE = 'bench_helpdesk_create'
USERS_DATABASE = 'bench_helpdesk_create_users'
USERS_TICKETS = 100_000
USERS_COUNT = 300
EMAIL_FROM = 'Helpdesk <helpdesk@helpdesk.example>'


def _ticket_values(i, teams, parties):
    party = parties[i % len(parties)]
    return {
        'name': dataset.SUBJECTS[i % len(dataset.SUBJECTS)],
        'description': dataset.DESCRIPTION,
        'team': teams[i % len(teams)],
        'party': party['id'],
        'contact_name': party['name'],
        'contact_email': f"customer{party['id']}@customer.example",
        'priority': str(i % 4),
        'channel': 'api',
        }


def _create(server, count, offset, teams, parties, latencies, errors):
    "Create count tickets, one call each, recording each call's latency"
    client = server.client()
    try:
        client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
        for i in range(offset, offset + count):
            values = _ticket_values(i, teams, parties)
            start = time.perf_counter()
            ids = client.model('helpdesk.ticket', 'create', [values])
            latencies.append((time.perf_counter() - start) * 1000)
            assert len(ids) == 1, ids
    except Exception as exception:
        errors.append(repr(exception))
        raise
    finally:
        client.close()


def _phase(server, count, clients, offset, teams, parties):
    "Create count tickets with clients concurrent connections"
    latencies, errors = [], []
    per_client = [count // clients + (i < count % clients)
        for i in range(clients)]
    threads = []
    started = time.perf_counter()
    for i, n in enumerate(per_client):
        thread = threading.Thread(
            target=_create,
            args=(server, n, offset + sum(per_client[:i]), teams, parties,
                latencies, errors))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"ticket creation failed: {errors[0]}")
    return elapsed, latencies


def _reference(server):
    "The teams and 200 customers, asked as the agent"
    client = server.client()
    client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
    teams = client.model('helpdesk.team', 'search', [], 0, None, None)
    parties = client.model(
        'party.party', 'search_read', [('code', 'like', 'C%')],
        0, 200, None, ['name'])
    client.close()
    return teams, parties


def measure_creation(server, count, warmup, concurrency, sink=None):
    """Create warmup tickets, then count with one client and count with
    concurrency clients; with sink, wait after each phase until it holds an
    e-mail per ticket created (drained_s: how long after the last call)"""
    teams, parties = _reference(server)
    say(f"  warm-up: {warmup} tickets")
    _phase(server, warmup, 1, 0, teams, parties)
    expected = warmup
    if sink:
        sink.wait(expected, 120)
    phases = {}
    offset = warmup
    for clients in [1, concurrency]:
        say(f"  creating {count} tickets, {clients} client(s)")
        elapsed, latencies = _phase(
            server, count, clients, offset, teams, parties)
        offset += count
        expected += count
        phase = phases[f'clients_{clients}'] = {
            'clients': clients,
            'tickets': count,
            'elapsed_s': round(elapsed, 3),
            'tickets_per_s': round(count / elapsed, 1),
            'latency_ms': summary(latencies),
            'samples_ms': [round(x, 2) for x in latencies],
            }
        if sink:
            started = time.perf_counter()
            received = sink.wait(expected, 600)
            phase['mails_drained_s'] = round(
                time.perf_counter() - started, 1)
            phase['mails_at_sink'] = received
            phase['tickets_per_s_mails_included'] = round(
                count / (elapsed + phase['mails_drained_s']), 1)
        say(f"    {count / elapsed:.1f} tickets/s, median "
            f"{phase['latency_ms']['median']} ms per call"
            + (f"; mails drained {phase['mails_drained_s']} s later"
                if sink else ""))
    return phases, expected


def check_users_creation(name, first_id, expected, sink):
    """What the created tickets hold: each assigned, with its SLA statuses,
    its acknowledgement in the conversation, in the outbox (sent) and at
    the SMTP sink, to its customer"""
    with connect(name) as conn:
        def one(query, *args):
            return conn.execute(query, args).fetchone()[0]
        new = "FROM helpdesk_ticket WHERE id >= %s"
        checks = {
            'tickets': one(f'SELECT count(*) {new}', first_id),
            'assigned': one(
                f'SELECT count(*) {new} AND "user" IS NOT NULL', first_id),
            'with_sla_statuses': one(
                'SELECT count(DISTINCT ticket) FROM helpdesk_ticket_sla '
                'WHERE ticket >= %s', first_id),
            'sla_statuses': one(
                'SELECT count(*) FROM helpdesk_ticket_sla '
                'WHERE ticket >= %s', first_id),
            'acknowledgements_posted': one(
                "SELECT count(*) FROM ir_chat_message AS m "
                "JOIN ir_chat_channel AS c ON c.id = m.channel "
                "WHERE m.id > %s AND m.audience = 'public' "
                "AND m.\"user\" = 0 AND c.resource LIKE 'helpdesk.ticket,%%'",
                one('SELECT max(id) FROM ir_chat_message '
                    'WHERE create_date < (SELECT min(create_date) '
                    'FROM helpdesk_ticket WHERE id >= %s)', first_id)
                or 0),
            'outbox': dict(conn.execute(
                    'SELECT state, count(*) FROM helpdesk_email_outbox '
                    'GROUP BY state ORDER BY state').fetchall()),
            'assignees': dict(conn.execute(
                    'SELECT u.login, count(*) FROM helpdesk_ticket AS t '
                    'JOIN res_user AS u ON u.id = t."user" '
                    'WHERE t.id >= %s GROUP BY u.login ORDER BY u.login',
                    (first_id,)).fetchall()),
            }
        emails = {r[0].lower() for r in conn.execute(
                'SELECT contact_email FROM helpdesk_ticket WHERE id >= %s',
                (first_id,)).fetchall()}
    messages = list(sink.messages)
    checks['mails_at_sink'] = len(messages)
    checks['mails_with_acknowledgement_subject'] = sum(
        users_config.ACK_SUBJECT in m['subject'] for m in messages)
    checks['mails_to_the_customers'] = sum(
        bool(set(m['to']) & emails) for m in messages)
    checks['ok'] = (
        checks['tickets'] == expected
        and checks['assigned'] == expected
        and checks['with_sla_statuses'] == expected
        and checks['outbox'].get('sent', 0) == expected
        and set(checks['outbox']) == {'sent'}
        and checks['mails_at_sink'] == expected
        and checks['mails_with_acknowledgement_subject'] == expected
        and checks['mails_to_the_customers'] == expected)
    return checks


def run_users(options, count, warmup, concurrency):
    "The creation in the users' configuration"
    tickets = 2000 if options.quick else USERS_TICKETS
    data, shape = users_config.ensure_users_data(options, tickets)
    create_database(USERS_DATABASE, template=data)
    try:
        with connect(USERS_DATABASE) as conn:
            first_id = conn.execute(
                'SELECT max(id) + 1 FROM helpdesk_ticket').fetchone()[0]
        with bench_website.SmtpSink() as sink:
            config = {'email': {'uri': sink.uri, 'from': EMAIL_FROM}}
            with TrytondServer(
                    USERS_DATABASE, config=config,
                    worker=bench_website.QUEUE_WORKER) as server:
                phases, expected = measure_creation(
                    server, count, warmup, concurrency, sink=sink)
            checks = check_users_creation(
                USERS_DATABASE, first_id, expected, sink)
        say(f"  checks: {'ok' if checks['ok'] else checks}")
    finally:
        if not options.keep:
            drop_database(USERS_DATABASE)
    return phases, checks, shape


def run_cheap(options, count, warmup, concurrency):
    "The cheapest path: helpdesk_core alone, empty tables, no e-mail"
    base = dataset.ensure_base(options)
    create_database(DATABASE, template=base)
    try:
        with TrytondServer(DATABASE) as server:
            phases, expected = measure_creation(
                server, count, warmup, concurrency)
        created = dataset.ticket_count(DATABASE)
        assert created == expected, created
    finally:
        if not options.keep:
            drop_database(DATABASE)
    return phases


@benchmark(
    'ticket_create_rpc',
    "Create tickets through Tryton's JSON-RPC API (model.helpdesk.ticket."
    "create, one call per ticket) as an agent, against one trytond server "
    "process on PostgreSQL, in the users' configuration (five modules, "
    "automatic assignment, SLA policies, acknowledgement e-mailed through "
    "the outbox, 100k tickets in the tables), and on the cheapest path "
    "(helpdesk_core alone, empty tables); throughput and per-call latency")
def run(options):
    count = 50 if options.quick else 1000
    warmup = 5 if options.quick else 20
    concurrency = 4
    # Fewer in the users' configuration: a create costs there 20 times what
    # it costs on the cheap path (2026-12-07)
    users_count = 30 if options.quick else USERS_COUNT
    say("  users' configuration")
    users, checks, shape = run_users(
        options, users_count, warmup, concurrency)
    say("  cheapest path (helpdesk_core alone, empty tables)")
    cheap = run_cheap(options, count, warmup, concurrency)

    targets = []
    for key, phases, what in [
            ('users_configuration', users, "users' configuration"),
            ('cheap_path', cheap, "cheap path (helpdesk_core alone, "
                "empty tables, no assignment, SLA or e-mail)")]:
        for clients in [1, concurrency]:
            measured = phases[f'clients_{clients}']['tickets_per_s']
            targets.append({
                    'name': f"{what}: tickets per second, "
                    + ("one client (sequential calls)" if clients == 1
                        else f"{clients} concurrent clients"),
                    'metric': f'results.{key}.clients_{clients}'
                    '.tickets_per_s',
                    'target': f'>= {TARGET_PER_SECOND}',
                    'measured': measured,
                    'met': measured >= TARGET_PER_SECOND,
                    })
    targets.append({
            'name': "users' configuration: every ticket assigned, with "
            "its SLA statuses and its acknowledgement sent through the "
            "outbox and received by the SMTP sink",
            'metric': 'results.users_configuration_checks.ok',
            'target': 'true',
            'measured': checks['ok'],
            'met': checks['ok'],
            })
    return {
        'parameters': {
            'tickets': count,
            'tickets_users_configuration': users_count,
            'warmup_tickets': warmup,
            'concurrency': [1, concurrency],
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL, same machine as the client",
            'call': "model.helpdesk.ticket.create [[values], context] "
            "as the agent (Authorization: Session), keep-alive HTTP",
            'values': sorted(_ticket_values(0, [1], [
                        {'id': 1, 'name': 'x'}])),
            'users_configuration': {
                'database': USERS_DATABASE,
                'queue': bench_website.QUEUE_WORKER_NOTE,
                'smtp': "a local SMTP sink (aiosmtpd) in the benchmark "
                "process, [email] uri",
                'data': shape,
                },
            'cheap_path': {
                'database': DATABASE,
                'modules': ['helpdesk_core'],
                'data': "empty ticket tables, no assignment, no SLA "
                "policy, no e-mail template",
                },
            },
        'results': {
            'users_configuration': users,
            'users_configuration_checks': checks,
            'cheap_path': cheap,
            },
        'targets': targets,
        }
