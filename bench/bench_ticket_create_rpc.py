# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""ticket_create_rpc: create tickets through Tryton's JSON-RPC API, one call
per ticket, against one trytond server process on PostgreSQL"""

import threading
import time

import dataset
from harness import (
    TrytondServer, benchmark, create_database, drop_database, say, summary)

TARGET_PER_SECOND = 100
DATABASE = 'bench_helpdesk_create'


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


@benchmark(
    'ticket_create_rpc',
    "Create tickets through Tryton's JSON-RPC API (model.helpdesk.ticket."
    "create, one call per ticket) as an agent, against one trytond server "
    "process on PostgreSQL; throughput and per-call latency")
def run(options):
    count = 50 if options.quick else 1000
    warmup = 5 if options.quick else 20
    concurrency = 4
    base = dataset.ensure_base(options)
    create_database(DATABASE, template=base)
    try:
        with TrytondServer(DATABASE) as server:
            admin = server.client()
            admin.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
            teams = admin.model('helpdesk.team', 'search', [], 0, None, None)
            parties = admin.model(
                'party.party', 'search_read', [('code', 'like', 'C%')],
                0, 200, None, ['name'])
            admin.close()

            say(f"  warm-up: {warmup} tickets")
            _phase(server, warmup, 1, 0, teams, parties)
            phases = {}
            offset = warmup
            for clients in [1, concurrency]:
                say(f"  creating {count} tickets, {clients} client(s)")
                elapsed, latencies = _phase(
                    server, count, clients, offset, teams, parties)
                offset += count
                phases[f'clients_{clients}'] = {
                    'clients': clients,
                    'tickets': count,
                    'elapsed_s': round(elapsed, 3),
                    'tickets_per_s': round(count / elapsed, 1),
                    'latency_ms': summary(latencies),
                    'samples_ms': [round(x, 2) for x in latencies],
                    }
                say(f"    {count / elapsed:.1f} tickets/s, median "
                    f"{phases[f'clients_{clients}']['latency_ms']['median']}"
                    " ms per call")
        created = dataset.ticket_count(DATABASE)
        assert created == warmup + 2 * count, created
    finally:
        if not options.keep:
            drop_database(DATABASE)

    sequential = phases['clients_1']['tickets_per_s']
    concurrent = phases[f'clients_{concurrency}']['tickets_per_s']
    return {
        'parameters': {
            'tickets': count,
            'warmup_tickets': warmup,
            'concurrency': [1, concurrency],
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL, same machine as the client",
            'call': "model.helpdesk.ticket.create [[values], context] "
            "as the agent (Authorization: Session), keep-alive HTTP",
            'values': sorted(_ticket_values(0, [1], [
                        {'id': 1, 'name': 'x'}])),
            'database': DATABASE,
            },
        'results': phases,
        'targets': [
            {
                'name': "tickets per second, one client "
                "(sequential calls)",
                'metric': 'results.clients_1.tickets_per_s',
                'target': f'>= {TARGET_PER_SECOND}',
                'measured': sequential,
                'met': sequential >= TARGET_PER_SECOND,
                },
            {
                'name': f"tickets per second, {concurrency} concurrent "
                "clients",
                'metric': f'results.clients_{concurrency}.tickets_per_s',
                'target': f'>= {TARGET_PER_SECOND}',
                'measured': concurrent,
                'met': concurrent >= TARGET_PER_SECOND,
                },
            ],
        }
