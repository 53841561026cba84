# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""duplicate_candidates: the likely duplicates of one ticket among 100k,
asked through the RPC server as the web client asks them

Two calls of the ticket form, as the bench agent (Helpdesk Agent group:
the record rules and the global company rule apply):
- new ticket: the on_change_with of `likely_duplicates` the form sends when
  the agent types the subject (subject, description, customer, e-mail of a
  new ticket like an existing one);
- open ticket: the read of `likely_duplicates` when a ticket's form opens.

dataset.py's 100k tickets have 20 subjects and one description: each
subject is shared by some 5,000 tickets, so the trigram index finds
thousands of candidates per query, a hard case for the ranking (the 100
best by subject, customer and e-mail are compared on their descriptions).
The SQL of the candidates is captured from trytond's log and EXPLAIN
ANALYZEd: the plan must use the trigram GIN index on the subject."""

import os
import random
import re
import tempfile
import time

import dataset
from bench_ticket_list_first_page import _split_statements
from harness import (
    TrytondServer, benchmark, connect, create_database, drop_database, say,
    summary)

TARGET_MS = 300
DATABASE = 'bench_helpdesk_duplicates'
TICKETS = 100_000
INDEX_RE = re.compile(r'Bitmap Index Scan on (\S+)')


def _references(name, count, seed):
    "Tickets with a customer to compare with, drawn at random"
    with connect(name) as conn:
        rows = conn.execute(
            'SELECT id, name, description, party, contact_email '
            'FROM helpdesk_ticket WHERE party IS NOT NULL '
            'ORDER BY id').fetchall()
    return random.Random(seed).sample(rows, count)


def _new_values(reference):
    "The values of a new ticket typed like the reference, with a typo"
    _, name, description, party, email = reference
    words = name.split()
    words[-1] = words[-1][:-1] or words[-1]
    return {
        'id': -1,
        'name': ' '.join(words),
        'description': description,
        'party': party,
        'contact_email': email,
        }


def _count(value):
    "The number of records of an x2many value of on_change_with"
    if isinstance(value, dict):
        # the changes of the field: the records added to an empty one
        return len(value.get('add', []))
    return len(value)


def _measure(server, references, iterations, warmup):
    client = server.client()
    client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
    cases = {'new_ticket': [], 'open_ticket': []}
    found = {'new_ticket': [], 'open_ticket': []}
    for i in range(warmup + iterations):
        reference = references[i % len(references)]
        started = time.perf_counter()
        changes = client.model(
            'helpdesk.ticket', 'on_change_with', _new_values(reference),
            ['likely_duplicates'])
        elapsed = (time.perf_counter() - started) * 1000
        if i >= warmup:
            cases['new_ticket'].append(elapsed)
            found['new_ticket'].append(_count(changes['likely_duplicates']))
        started = time.perf_counter()
        rows = client.model(
            'helpdesk.ticket', 'read', [reference[0]], ['likely_duplicates'])
        elapsed = (time.perf_counter() - started) * 1000
        if i >= warmup:
            cases['open_ticket'].append(elapsed)
            found['open_ticket'].append(len(rows[0]['likely_duplicates']))
    client.close()
    return cases, found


def _capture_plans(references):
    """Ask once with trytond's SQL logging and EXPLAIN ANALYZE the queries
    of the candidates"""
    plans = []
    with tempfile.TemporaryDirectory(prefix='helpdesk-bench-sql-') as tmp:
        log = os.path.join(tmp, 'sql.log')
        with TrytondServer(DATABASE, sql_log=log) as server:
            client = server.client()
            client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
            values = _new_values(references[0])
            client.model(
                'helpdesk.ticket', 'on_change_with', values,
                ['likely_duplicates'])
            offset = os.path.getsize(log)
            client.model(
                'helpdesk.ticket', 'on_change_with', values,
                ['likely_duplicates'])
            with open(log) as fd:
                fd.seek(offset)
                statements = _split_statements(fd.read())
            client.close()
    queries = [s for s in statements if 'similarity(' in s]
    with connect(DATABASE) as conn:
        definitions = dict(conn.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename = 'helpdesk_ticket'").fetchall())
        for sql in queries:
            conn.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql).fetchall()
            plan = [r[0] for r in conn.execute(
                    'EXPLAIN (ANALYZE, BUFFERS) ' + sql).fetchall()]
            entry = {'sql': sql, 'plan': plan}
            for line in plan:
                if match := re.match(r'Execution Time: ([\d.]+) ms', line):
                    entry['execution_ms'] = float(match.group(1))
            entry['indexes'] = sorted(
                definitions.get(i, i)
                for i in set(INDEX_RE.findall('\n'.join(plan))))
            plans.append(entry)
    return plans


@benchmark(
    'duplicate_candidates',
    "The likely duplicates of one ticket among 100k tickets (pg_trgm "
    "trigram index), asked as the web client asks them: the form's "
    "on_change_with for a new ticket and the read for an open one")
def run(options):
    if options.quick:
        count, iterations, warmup = 5000, 5, 2
    else:
        count, iterations, warmup = TICKETS, 60, 5
    base = dataset.ensure_base(options)
    create_database(DATABASE, template=base)
    try:
        dataset.insert_tickets(DATABASE, count, seed=0.33)
        references = _references(DATABASE, 20, seed=13)
        say(f"  measuring at {count} tickets")
        with TrytondServer(DATABASE) as server:
            samples, found = _measure(server, references, iterations, warmup)
        say("  capturing the query plans")
        plans = _capture_plans(references)
    finally:
        if not options.keep:
            drop_database(DATABASE)

    results = {
        key: {
            'latency_ms': summary(values, digits=1),
            'samples_ms': [round(v, 1) for v in values],
            'candidates': summary(found[key], digits=1),
            }
        for key, values in samples.items()}
    trigram = bool(plans) and all(
        any('(name gin_trgm_ops)' in index for index in entry['indexes'])
        for entry in plans)
    targets = [{
            'name': f"likely duplicates of a {key.replace('_', ' ')} "
            f"among {count} tickets (RPC), median",
            'metric': f'results.{key}.latency_ms.median',
            'target': f'<= {TARGET_MS} ms',
            'measured': results[key]['latency_ms']['median'],
            'met': results[key]['latency_ms']['median'] <= TARGET_MS,
            } for key in samples]
    targets.append({
            'name': "the candidates' query uses the trigram index on the "
            "subject (EXPLAIN ANALYZE)",
            'metric': 'plans[].indexes',
            'target': "a Bitmap Index Scan on the trigram GIN index "
            "of the subject (name gin_trgm_ops)",
            'measured': sorted({i for e in plans for i in e['indexes']}),
            'met': trigram,
            })
    return {
        'parameters': {
            'tickets': count,
            'iterations': iterations,
            'warmup_iterations': warmup,
            'references': "20 random tickets with a customer; the new "
            "ticket has its subject with the last letter dropped, its "
            "description, customer and e-mail",
            'user': f"{dataset.AGENT_LOGIN} (Helpdesk Agent group)",
            'server': "one trytond process, PostgreSQL, same machine as "
            "the client",
            'data': "dataset.py: 20 subjects, one description, "
            f"{dataset.PARTIES} customers",
            'database': DATABASE,
            },
        'results': results,
        'plans': plans,
        'targets': targets,
        }
