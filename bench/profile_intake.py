#!/usr/bin/env python3
# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Profile the public form's submission and the inbound e-mail webhook in
one process: the requests go to trytond's WSGI application through
werkzeug's test client (no HTTP, no thread), the acknowledgements to a local
SMTP sink. Prints the SQL statements per request, the time per request and
the functions that take the most time (cProfile, cumulative).

    .venv/bin/python bench/profile_intake.py form --count 200
    .venv/bin/python bench/profile_intake.py inbound --count 200 --new-only
    .venv/bin/python bench/profile_intake.py form --worker   # [queue] worker
    .venv/bin/python bench/profile_intake.py create --worker --groups \
        --template bench_helpdesk_users_base_100000   # an RPC create

--tree uses pyinstrument (in requirements.txt). It uses a copy of the
website base database of the benchmarks (built by `bench/run.py --only
website_form_submit --reuse-base`; HELPDESK_BENCH_WEBSITE_BASE names
another one), dropped at the end."""

import argparse
import cProfile
import io
import logging
import os
import pstats
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_inbound_email  # noqa: E402
import bench_website  # noqa: E402
import harness  # noqa: E402
import users_config  # noqa: E402

DATABASE = 'bench_helpdesk_profile'


class Counter(logging.Handler):
    "Count the SQL statements trytond's cursor logs at DEBUG"

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.count = 0
        self.statements = []

    def emit(self, record):
        self.count += 1
        self.statements.append(record.getMessage())


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('kind', choices=['form', 'inbound', 'create'])
    parser.add_argument('--template',
        help="create: the database copied (the users' configuration "
        "prepared by users_config.py, kept by `bench/run.py --only "
        "ticket_create_rpc --keep`: bench_helpdesk_users_base_100000)")
    parser.add_argument('--groups', action='store_true',
        help="print the share of the time of the parts of a create "
        "(GROUPS: trytond's validation, the sequence, the assignment...)")
    parser.add_argument('--count', type=int, default=200)
    parser.add_argument('--warmup', type=int, default=20)
    parser.add_argument('--new-only', action='store_true',
        help="every visitor new (a party created for each)")
    parser.add_argument('--worker', action='store_true',
        help="[queue] worker = True: the queued tasks are left to a worker")
    parser.add_argument('--no-profile', action='store_true')
    parser.add_argument('--tasks', action='store_true',
        help="with --worker, then run the queued tasks here, as "
        "trytond-worker does, and profile them instead of the requests")
    parser.add_argument('--sql', action='store_true',
        help="print the SQL statements of the last request measured")
    parser.add_argument('--sql-width', type=int, default=400)
    parser.add_argument('--top', type=int, default=45)
    parser.add_argument('--callers', action='append', default=[],
        help="also print the callers of the functions matching this")
    parser.add_argument('--dump', help="write the profile's stats there")
    parser.add_argument('--all-frames', action='store_true',
        help="with --tree, the frames of the libraries too")
    parser.add_argument('--tree', action='store_true',
        help="a call tree by pyinstrument instead of cProfile's table")
    options = parser.parse_args()

    base = bench_website.WEBSITE_BASE
    if options.kind == 'create':
        base = options.template or (
            users_config.USERS_BASE + '_100000')
    harness.drop_database(DATABASE)
    harness.create_database(DATABASE, template=base)
    tmp = tempfile.TemporaryDirectory(prefix='helpdesk-profile-')
    try:
        if options.kind == 'create':
            sink = bench_website.SmtpSink()
            extra = {'email': {
                    'uri': sink.uri,
                    'from': 'Helpdesk <helpdesk@helpdesk.example>',
                    }}
            if options.worker:
                extra['queue'] = {'worker': 'True'}
            config = harness.write_config(tmp.name, extra=extra)
            run(options, config, None, None, None, sink)
            return
        team, types, customers = bench_website._setup_form_database(DATABASE)
        bench_inbound_email._setup(DATABASE)
        visitors = bench_website._visitors(400, customers)
        if options.new_only:
            visitors = [{
                    'name': f'New Visitor{i:05d}',
                    'email': f'new{i:05d}@visitors.example',
                    'phone': f'+32 470 {i:06d}' if i % 3 == 0 else '',
                    'party': None,
                    } for i in range(options.warmup + 5 + options.count)]
        sink = bench_website.SmtpSink()
        extra = {
            'helpdesk_website': {'ticket_form_limit': 1000000},
            'email': {
                'uri': sink.uri,
                'from': 'Helpdesk <helpdesk@helpdesk.example>',
                },
            }
        if options.worker:
            extra['queue'] = {'worker': 'True'}
        config = harness.write_config(tmp.name, extra=extra)
        run(options, config, team, types, visitors, sink)
    finally:
        tmp.cleanup()
        harness.drop_database(DATABASE)


def run(options, config, team, types, visitors, sink):
    os.environ['TRYTOND_CONFIG'] = config
    for key in list(os.environ):
        if key.startswith('TRYTOND_') and key != 'TRYTOND_CONFIG':
            del os.environ[key]
    from werkzeug.test import Client

    # Before any thread: trytond's application refuses to start with some
    from trytond.application import app
    with sink:
        _run(options, app, Client, team, types, visitors, sink)


def _run(options, app, Client, team, types, visitors, sink):
    client = Client(app)
    root = f'/{DATABASE}'
    headers = {'Accept-Language': 'en-GB,en;q=0.9'}

    if options.kind == 'create':
        request = _rpc_create(client, root)
    elif options.kind == 'form':
        path = f'{root}/helpdesk/teams/{team}'
        page = client.get(path, headers=headers).get_data()
        token = re.search(
            rb'name="csrf_token" value="([^"]*)"', page).group(1).decode()

        def request(i):
            visitor = visitors[i % len(visitors)]
            fields = bench_website._form_fields(i, visitor, types, token)
            body, content_type = bench_website._multipart(fields)
            response = client.post(path, data=body, headers={
                    **headers, 'Content-Type': content_type,
                    'Origin': 'http://localhost',
                    'X-Requested-With': 'fetch',
                    'Accept': 'application/json'})
            assert response.status_code == 200, response.get_data()[:500]
    else:
        path = (f'{root}/inbound_email/inbox/'
            f'{bench_inbound_email.INBOX_IDENTIFIER}')

        def request(i):
            _, data = bench_inbound_email._mail(i, visitors[i % len(visitors)])
            response = client.post(path, data=data, headers={
                    'Content-Type': 'message/rfc822'})
            assert response.status_code == 204, response.get_data()[:500]

    for i in range(options.warmup):
        request(i)
    counter = Counter()
    sql_logger = logging.getLogger('trytond.backend.postgresql.database')
    sql_logger.addHandler(counter)
    sql_logger.setLevel(logging.DEBUG)
    sql_logger.propagate = False
    n = 5
    for i in range(options.warmup, options.warmup + n):
        counter.statements = []
        request(i)
    statements = counter.count / n
    if options.sql:
        for statement in counter.statements:
            print(statement[:options.sql_width])
    sql_logger.removeHandler(counter)
    sql_logger.setLevel(logging.WARNING)

    start = options.warmup + n
    if options.tree:
        import pyinstrument
        profiler = pyinstrument.Profiler(interval=0.0005)
        enable, disable = profiler.start, profiler.stop
    else:
        # CPU time: the machine is shared, wall time is noisy
        profiler = cProfile.Profile(time.process_time)
        enable, disable = profiler.enable, profiler.disable
    began, cpu = time.perf_counter(), time.process_time()
    if not options.no_profile:
        enable()
    for i in range(start, start + options.count):
        request(i)
    if not options.no_profile:
        disable()
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    print(f"{options.kind}: {options.count} requests in {elapsed:.2f} s, "
        f"{elapsed / options.count * 1000:.1f} ms each, "
        f"{cpu / options.count * 1000:.1f} ms of CPU in this process "
        f"({'profiled' if not options.no_profile else 'not profiled'}), "
        f"{statements:.1f} SQL statements per request; "
        f"{sink.wait(options.warmup + n + options.count, 5)} mails in the "
        "sink")
    if options.sql:
        return
    if options.worker and options.tasks:
        _run_tasks(options)
    if options.tree and not options.no_profile:
        print(profiler.output_text(
                show_all=options.all_frames, color=False))
    elif not options.no_profile:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats('cumulative').print_stats(options.top)
        for pattern in options.callers:
            stats.print_callers(pattern)
        if options.dump:
            stats.dump_stats(options.dump)
        print(out.getvalue())
        if options.groups:
            print_groups(stats, cpu)


def _rpc_create(client, root):
    """The request of a ticket created through JSON-RPC by the agent, as
    bench_ticket_create_rpc sends it"""
    import base64
    import json

    import bench_ticket_create_rpc
    import dataset

    def call(method, *params, headers=None):
        response = client.post(f'{root}/rpc/', data=json.dumps({
                    'id': 1, 'method': method, 'params': list(params),
                    }), headers={
                'Content-Type': 'application/json', **(headers or {})})
        assert response.status_code == 200, response.get_data()[:500]
        answer = json.loads(response.get_data())
        assert not answer.get('error'), answer
        return answer['result']

    # The pool of the database, loaded as trytond does on the first
    # request of a server (the login alone does not load it here)
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    with Transaction().start(DATABASE, 0, readonly=True):
        Pool(DATABASE).init()

    login = dataset.AGENT_LOGIN
    user_id, session, _ = call(
        'common.db.login', login, {'password': dataset.AGENT_PASSWORD}, 'en')
    headers = {'Authorization': 'Session ' + base64.b64encode(
            f'{login}:{user_id}:{session}'.encode()).decode()}
    context = call('model.res.user.get_preferences', True, {},
        headers=headers)
    teams = call('model.helpdesk.team.search', [], 0, None, None, context,
        headers=headers)
    parties = call('model.party.party.search_read',
        [('code', 'like', 'C%')], 0, 200, None, ['name'], context,
        headers=headers)

    def request(i):
        values = bench_ticket_create_rpc._ticket_values(i, teams, parties)
        ids = call('model.helpdesk.ticket.create', [values], context,
            headers=headers)
        assert len(ids) == 1
    return request


# The parts of a create: (name, functions whose cumulative time is the
# part's, as pstats names them: (file suffix, function name)); a function
# called inside another of the same part counts once (the outermost)
GROUPS = [
    ("trytond's validation of the records (_validate)", [
            ('trytond/model/modelstorage.py', '_validate')]),
    ("the ticket's number (ir.sequence)", [
            ('trytond/ir/sequence.py', 'get')]),
    ("automatic assignment", [
            ('helpdesk_core/ticket.py', 'assign_automatically'),
            ('helpdesk_core/ticket.py', '_record_assignments')]),
    ("SLA statuses (helpdesk.ticket.sla.update_tickets)", [
            ('helpdesk_sla/ticket.py', 'update_tickets')]),
    ("conversation channel and followers (_create_channels)", [
            ('helpdesk_core/ticket.py', '_create_channels')]),
    ("acknowledgement posted and e-mailed (_send_stage_email, outbox)", [
            ('helpdesk_core/ticket.py', '_send_stage_email')]),
    ("the commit", [
            ('trytond/backend/postgresql/database.py', 'commit')]),
    ("the whole RPC request (trytond's dispatcher)", [
            ('trytond/protocols/dispatcher.py', '_dispatch')]),
    ]


def print_groups(stats, cpu):
    "Print the time of each part of GROUPS and its share of the total"
    total = cpu
    print(f"Parts of the time ({total:.2f} s profiled in all):")
    for name, functions in GROUPS:
        cumulative = 0
        for (path, line, function), value in stats.stats.items():
            if any(path.endswith(p) and function == f
                    for p, f in functions):
                # cumulative time of the outermost calls: pstats' ct
                # already excludes recursive calls of itself
                cumulative += value[3]
        print(f"  {cumulative / total:6.1%}  {cumulative:7.2f} s  {name}")


def _run_tasks(options):
    "Run the tasks of the queue as trytond-worker runs each of them"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    from trytond.worker import run_task
    with Transaction().start(DATABASE, 0, readonly=True):
        Queue = Pool().get('ir.queue')
        ids = [t.id for t in Queue.search([('finished_at', '=', None)])]
    profiler = cProfile.Profile(time.process_time)
    began, cpu = time.perf_counter(), time.process_time()
    if not options.no_profile:
        profiler.enable()
    for task_id in ids:
        run_task(DATABASE, task_id)
    if not options.no_profile:
        profiler.disable()
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    print(f"tasks: {len(ids)} in {elapsed:.2f} s, "
        f"{elapsed / len(ids) * 1000:.1f} ms each, "
        f"{cpu / len(ids) * 1000:.1f} ms of CPU")
    if not options.no_profile:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats('cumulative').print_stats(options.top)
        print(out.getvalue())
    options.no_profile = True


if __name__ == '__main__':
    main()
