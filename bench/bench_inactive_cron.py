# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""inactive_cron: the scheduled job that warns, then closes, the tickets
that waited for the customer in vain, over 100k tickets of which 25k wait

The tickets of dataset.py get 25% of them waiting for the customer, since
0 to 5 days; every team closes its tickets after 7 days. 200 tickets have
waited 6 to 7 days (to warn) and 200 more than 7 days with their warning a
day old (to close).

The job (ir.cron "Close Inactive Helpdesk Tickets", helpdesk.ticket
close_inactive) runs inside trytond as the scheduler runs it: a transaction
as user 0, the cron's run_once, the commit; each run is timed with its
commit. Between runs the warned and closed tickets are put back (not timed).
A run with nothing to do is timed too, and the plan of the job's queries is
recorded.
"""

import argparse
import datetime as dt
import json
import sys
import time

import dataset
import sla_dataset
from harness import (
    benchmark, connect, create_database, drop_database, say, summary)

TARGET_S = 2
IDLE_TARGET_S = 0.1
DAYS = 7
DATABASE = 'bench_helpdesk_inactive_cron'


def prepare(name, due):
    """Make a quarter of the tickets wait for the customer (with no answer
    since) and due of them due for a warning, as many due for closing"""
    started = time.monotonic()
    with connect(name, autocommit=False) as conn:
        conn.execute('SELECT setseed(0.75)')
        stages = dict(conn.execute(
                'SELECT DISTINCT ON (category) category, id '
                'FROM helpdesk_stage ORDER BY category, sequence, id'
                ).fetchall())
        conn.execute(
            'UPDATE helpdesk_team SET inactive_close_days = %s', (DAYS,))
        conn.execute("""
            UPDATE helpdesk_ticket SET
                state = 'waiting', stage = %(waiting)s, closed_date = NULL,
                folded = false,
                waiting_date = (now() AT TIME ZONE 'UTC')
                    - random() * interval '5 days',
                last_customer_message = NULL,
                inactive_warning_date = NULL
            WHERE id IN (
                SELECT id FROM helpdesk_ticket
                WHERE state = 'waiting' OR random() < 0.25)
            """, {'waiting': stages['waiting']})
        conn.execute("""
            UPDATE helpdesk_ticket SET
                waiting_date = (now() AT TIME ZONE 'UTC')
                    - interval '6 days' - random() * interval '23 hours'
            WHERE id IN (
                SELECT id FROM helpdesk_ticket
                WHERE state = 'waiting' AND active
                ORDER BY random() LIMIT %(due)s)
            """, {'due': due})
        conn.execute("""
            UPDATE helpdesk_ticket SET
                waiting_date = (now() AT TIME ZONE 'UTC')
                    - interval '8 days' - random() * interval '3 days',
                inactive_warning_date = (now() AT TIME ZONE 'UTC')
                    - interval '25 hours'
            WHERE id IN (
                SELECT id FROM helpdesk_ticket
                WHERE state = 'waiting' AND active
                AND waiting_date > (now() AT TIME ZONE 'UTC')
                    - interval '6 days'
                ORDER BY random() LIMIT %(due)s)
            """, {'due': due})
        conn.execute("""
            UPDATE helpdesk_ticket SET waiting_date = NULL,
                inactive_warning_date = NULL
            WHERE state <> 'waiting'
            """)
        conn.commit()
    with connect(name) as conn:
        conn.execute('VACUUM ANALYZE')
        shape = {
            'tickets': conn.execute(
                'SELECT count(*) FROM helpdesk_ticket').fetchone()[0],
            'by_state': dict(conn.execute(
                    'SELECT state, count(*) FROM helpdesk_ticket '
                    'GROUP BY state ORDER BY state').fetchall()),
            'to_warn': conn.execute(
                "SELECT count(*) FROM helpdesk_ticket "
                "WHERE state = 'waiting' AND active "
                "AND inactive_warning_date IS NULL AND waiting_date <= "
                "(now() AT TIME ZONE 'UTC') - interval '6 days'"
                ).fetchone()[0],
            'to_close': conn.execute(
                "SELECT count(*) FROM helpdesk_ticket WHERE state = 'waiting' "
                "AND inactive_warning_date IS NOT NULL").fetchone()[0],
            'teams': conn.execute(
                'SELECT count(*) FROM helpdesk_team').fetchone()[0],
            'indexes': [r[0] for r in conn.execute(
                    "SELECT indexdef FROM pg_indexes "
                    "WHERE tablename = 'helpdesk_ticket' "
                    "AND indexdef LIKE '%%waiting_date%%' "
                    "ORDER BY indexname").fetchall()],
            }
    say(f"  {shape['by_state'].get('waiting', 0)} waiting tickets, "
        f"{shape['to_warn']} to warn, {shape['to_close']} to close "
        f"({time.monotonic() - started:.0f}s)")
    return shape


def measure(database, config_file, runs):
    "Time the job inside trytond; print the figures as JSON"
    sla_dataset.connect_trytond(database, config_file)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(database, 0, readonly=True) as transaction:
        cursor = transaction.connection.cursor()
        cursor.execute(
            "SELECT id, inactive_warning_date, waiting_date, stage "
            "FROM helpdesk_ticket WHERE state = 'waiting' "
            "AND (inactive_warning_date IS NOT NULL OR waiting_date <= "
            "(now() AT TIME ZONE 'UTC') - interval '6 days')")
        due = cursor.fetchall()
        cursor.execute(
            "SELECT COALESCE(max(id), 0) FROM ir_chat_message")
        last_message, = cursor.fetchone()

    def reset():
        "Put the warned and closed tickets back"
        with Transaction().start(database, 0) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(
                "DELETE FROM ir_chat_message WHERE id > %s", (last_message,))
            for id_, warned, waiting, stage in due:
                cursor.execute(
                    "UPDATE helpdesk_ticket SET state = 'waiting', "
                    "stage = %s, folded = false, closed_date = NULL, "
                    "inactive_warning_date = %s, waiting_date = %s "
                    "WHERE id = %s", (stage, warned, waiting, id_))
            transaction.commit()

    def run_job():
        "Run the job as the scheduler does; return (seconds, warned, closed)"
        with Transaction().start(
                database, 0, context={'_skip_warnings': True}) as transaction:
            pool = Pool()
            Cron = pool.get('ir.cron')
            ModelData = pool.get('ir.model.data')
            Ticket = pool.get('helpdesk.ticket')
            cron = Cron(ModelData.get_id(
                    'helpdesk_core', 'cron_close_inactive_tickets'))
            ids = [d[0] for d in due]
            started = time.perf_counter()
            Cron.run_once([cron])
            transaction.commit()
            duration = time.perf_counter() - started
            closed = Ticket.search([
                    ('id', 'in', ids), ('state', '=', 'solved')], count=True)
            warned = Ticket.search([
                    ('id', 'in', ids), ('state', '=', 'waiting'),
                    ('inactive_warning_date', '!=', None)], count=True)
        return duration, warned, closed

    def plans():
        "The plans of the job's searches with the tickets due in place"
        with Transaction().start(database, 0) as transaction:
            pool = Pool()
            Team = pool.get('helpdesk.team')
            Ticket = pool.get('helpdesk.ticket')
            team = Team.search([], limit=1)[0]
            now = dt.datetime.now()
            deadline = now - dt.timedelta(days=DAYS)
            domains = {
                'close': [
                    Ticket._inactive_domain(team, deadline),
                    ('inactive_warning_date', '<=',
                        now - dt.timedelta(days=1)),
                    ],
                'warn': [
                    Ticket._inactive_domain(
                        team, deadline + dt.timedelta(days=1)),
                    ('inactive_warning_date', '=', None),
                    ],
                }
            result = {}
            cursor = transaction.connection.cursor()
            for key, domain in domains.items():
                with transaction.set_context(company=team.company.id):
                    query = Ticket.search(
                        domain, order=[('id', 'ASC')], query=True)
                sql, params = tuple(query)
                cursor.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql, params)
                result[key] = {
                    'query': sql, 'plan': [r[0] for r in cursor]}
            return result

    query_plans = plans()
    durations, warned_counts, closed_counts = [], [], []
    for _ in range(runs):
        duration, warned, closed = run_job()
        durations.append(duration)
        warned_counts.append(warned)
        closed_counts.append(closed)
        reset()
    # Once more, then again with nothing left to do (the warned tickets
    # wait for their day)
    run_job()
    idle = [run_job()[0] for _ in range(runs)]
    reset()
    print(json.dumps({
                'durations_s': durations,
                'warned_per_run': warned_counts,
                'closed_per_run': closed_counts,
                'idle_durations_s': idle,
                'plans': query_plans,
                }))


@benchmark(
    'inactive_cron',
    "The scheduled job that warns, then closes, the tickets waiting for the "
    "customer in vain, run inside trytond as the scheduler runs it, over "
    "100k tickets (25k waiting) of which 200 are to warn and 200 to close")
def run(options):
    if options.quick:
        tickets, due, runs = 5000, 20, 3
    else:
        tickets, due, runs = 100_000, 200, 5
    base = dataset.ensure_base(options)
    create_database(DATABASE, template=base)
    try:
        dataset.insert_tickets(DATABASE, tickets, seed=0.4)
        shape = prepare(DATABASE, due)
        say(f"  running the job {runs} times")
        figures = sla_dataset.measure_in_trytond(__file__, DATABASE, runs)
    finally:
        if not options.keep:
            drop_database(DATABASE)

    durations = figures['durations_s']
    results = {
        'job_s': summary(durations),
        'idle_job_s': summary(figures['idle_durations_s'], digits=4),
        'warned_per_run': figures['warned_per_run'],
        'closed_per_run': figures['closed_per_run'],
        'samples_s': [round(x, 4) for x in durations],
        'idle_samples_s': [round(x, 4) for x in figures['idle_durations_s']],
        }
    say(f"    job median {results['job_s']['median']:.3f} s "
        f"(max {results['job_s']['max']:.3f} s) for "
        f"{figures['warned_per_run'][0]} warned and "
        f"{figures['closed_per_run'][0]} closed; with nothing to do "
        f"{results['idle_job_s']['median'] * 1000:.1f} ms")
    median = results['job_s']['median']
    idle = results['idle_job_s']['median']
    return {
        'parameters': {
            'tickets': tickets,
            'due': due,
            'days': DAYS,
            'runs': runs,
            'data': shape,
            'job': "ir.cron helpdesk_core.cron_close_inactive_tickets "
            "run_once in a transaction as user 0, commit included",
            'database': DATABASE,
            },
        'results': results,
        'plans': figures['plans'],
        'targets': [{
                'name': f"scheduled job, {tickets} tickets, {due} to warn "
                f"and {due} to close, median",
                'metric': 'results.job_s.median',
                'target': f'<= {TARGET_S} s',
                'measured': median,
                'met': (median <= TARGET_S
                    and all(w == due for w in figures['warned_per_run'])
                    and all(c == due for c in figures['closed_per_run'])),
                }, {
                'name': f"scheduled job, {tickets} tickets, nothing to do, "
                "median",
                'metric': 'results.idle_job_s.median',
                'target': f'<= {IDLE_TARGET_S} s',
                'measured': idle,
                'met': idle <= IDLE_TARGET_S,
                }],
        }


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest='command', required=True)
    parser_measure = sub.add_parser('measure')
    parser_measure.add_argument('database')
    parser_measure.add_argument('--config', required=True)
    parser_measure.add_argument('runs', type=int)
    options = parser.parse_args()
    measure(options.database, options.config, options.runs)


if __name__ == '__main__':
    sys.exit(main())
