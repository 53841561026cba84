# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""sla_cron: the scheduled job that marks the overdue ticket SLAs failed,
over 100k open tickets of which 1k are overdue

The tickets of dataset.py are made open (new, in progress or waiting for the
customer) and each gets the statuses the module would give it for two
policies of its team: a first response within 2 hours (reached for 60% of
them) and a solution within 3 days, paused while the ticket waits; every
status has its start in the SLA history. 1,000 running statuses (of as many
tickets) have their deadline passed by 1 minute to 4 hours, the others are
due within 5 days.

The job (ir.cron "Mark Overdue Ticket SLAs as Failed", helpdesk.ticket.sla
fail_overdue) runs inside trytond as the scheduler runs it: a transaction as
user 0, the cron's run_once, the commit; each run is timed with its commit.
Between runs the failed statuses are made ongoing again and their failure
events removed (not timed). A run with nothing overdue is timed too, and the
plan of the job's query is recorded.
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
DATABASE = 'bench_helpdesk_sla_cron'


def prepare(name, overdue):
    """Make every ticket open and give it the SLA statuses and history of
    two policies per team; overdue running statuses are late"""
    started = time.monotonic()
    with connect(name, autocommit=False) as conn:
        conn.execute('SELECT setseed(0.25)')
        stages = dict(conn.execute(
                'SELECT DISTINCT ON (category) category, id '
                'FROM helpdesk_stage ORDER BY category, sequence, id'
                ).fetchall())
        company, = conn.execute(
            'SELECT id FROM company_company ORDER BY id LIMIT 1').fetchone()
        # Open tickets: 20% new, 55% in progress, 25% waiting
        conn.execute("""
            UPDATE helpdesk_ticket SET
                state = o.state,
                stage = CASE o.state
                    WHEN 'new' THEN %(new)s
                    WHEN 'in_progress' THEN %(in_progress)s
                    ELSE %(waiting)s END,
                closed_date = NULL
            FROM (
                SELECT id,
                    CASE WHEN r < 0.20 THEN 'new'
                        WHEN r < 0.75 THEN 'in_progress'
                        ELSE 'waiting' END AS state
                FROM (SELECT id, random() AS r FROM helpdesk_ticket) AS d
                ) AS o
            WHERE helpdesk_ticket.id = o.id
            """, {
                'new': stages['new'],
                'in_progress': stages['in_progress'],
                'waiting': stages['waiting'],
                })
        conn.execute("""
            INSERT INTO helpdesk_sla (name, company, team, sequence,
                priority, target, target_stage, days, hours,
                pause_when_waiting, active, create_uid, create_date)
            SELECT p.name || ' ' || t.name, %(company)s, t.id, p.sequence,
                '0', p.target, p.target_stage, p.days, p.hours, p.pause,
                true, 0, (now() AT TIME ZONE 'UTC')
            FROM helpdesk_team AS t
            CROSS JOIN (VALUES
                ('Answer', 10, 'first_response', NULL::int, 0, 2.0, false),
                ('Solve', 20, 'stage', %(solved)s, 3, 0.0, true)
                ) AS p(name, sequence, target, target_stage, days, hours,
                    pause)
            ORDER BY t.id, p.sequence
            """, {'company': company, 'solved': stages['solved']})
        # Answer: reached for 60%, else running (or paused while waiting
        # only for the solution); Solve: running, paused while waiting
        conn.execute("""
            INSERT INTO helpdesk_ticket_sla (ticket, sla, start_date,
                deadline, reached_date, status, paused_since, paused_hours,
                paused_duration, reached_hours, create_uid, create_date)
            SELECT t.id, s.id, t.create_date,
                CASE
                    WHEN s.target = 'first_response' AND r.answered THEN
                        t.create_date + interval '2 hours'
                    WHEN s.target = 'stage' AND t.state = 'waiting' THEN NULL
                    ELSE (now() AT TIME ZONE 'UTC')
                        + (600 + r.due * 432000) * interval '1 second'
                    END,
                CASE WHEN s.target = 'first_response' AND r.answered
                    THEN t.create_date + interval '1 hour' END,
                CASE WHEN s.target = 'first_response' AND r.answered
                    THEN 'reached' ELSE 'ongoing' END,
                CASE WHEN s.target = 'stage' AND t.state = 'waiting'
                    THEN (now() AT TIME ZONE 'UTC') - interval '1 day' END,
                0, interval '0',
                CASE WHEN s.target = 'first_response' AND r.answered
                    THEN 1.0 END,
                0, t.create_date
            FROM helpdesk_ticket AS t
            JOIN helpdesk_sla AS s ON s.team = t.team
            CROSS JOIN LATERAL (SELECT random() < 0.6 + 0 * t.id AS answered,
                random() + 0 * t.id AS due) AS r
            ORDER BY t.id, s.sequence
            """)
        # The overdue ones: running statuses of distinct tickets
        conn.execute("""
            UPDATE helpdesk_ticket_sla
            SET deadline = (now() AT TIME ZONE 'UTC')
                - (60 + random() * 14340) * interval '1 second'
            WHERE id IN (
                SELECT DISTINCT ON (ticket) id FROM helpdesk_ticket_sla
                WHERE status = 'ongoing' AND deadline IS NOT NULL
                ORDER BY ticket, random()
                LIMIT %(overdue)s)
            """, {'overdue': overdue})
        conn.execute("""
            INSERT INTO helpdesk_ticket_sla_event (ticket, ticket_sla, sla,
                date, event, stage, deadline, paused_hours, create_uid,
                create_date)
            SELECT ts.ticket, ts.id, ts.sla, ts.start_date, 'start',
                t.stage, ts.deadline, 0, 0, ts.start_date
            FROM helpdesk_ticket_sla AS ts
            JOIN helpdesk_ticket AS t ON t.id = ts.ticket
            ORDER BY ts.id
            """)
        conn.execute("""
            UPDATE helpdesk_ticket AS t SET sla_deadline = d.deadline
            FROM (SELECT ticket, min(deadline) AS deadline
                FROM helpdesk_ticket_sla
                WHERE reached_date IS NULL GROUP BY ticket) AS d
            WHERE d.ticket = t.id
            """)
        conn.commit()
    with connect(name) as conn:
        conn.execute('VACUUM ANALYZE')
        shape = {
            'tickets': conn.execute(
                'SELECT count(*) FROM helpdesk_ticket').fetchone()[0],
            'open_tickets': conn.execute(
                "SELECT count(*) FROM helpdesk_ticket "
                "WHERE state NOT IN ('solved', 'cancelled')").fetchone()[0],
            'by_state': dict(conn.execute(
                    'SELECT state, count(*) FROM helpdesk_ticket '
                    'GROUP BY state ORDER BY state').fetchall()),
            'policies': conn.execute(
                'SELECT count(*) FROM helpdesk_sla').fetchone()[0],
            'ticket_slas': dict(conn.execute(
                    'SELECT status, count(*) FROM helpdesk_ticket_sla '
                    'GROUP BY status ORDER BY status').fetchall()),
            'paused': conn.execute(
                'SELECT count(*) FROM helpdesk_ticket_sla '
                'WHERE paused_since IS NOT NULL').fetchone()[0],
            'overdue': conn.execute(
                "SELECT count(*) FROM helpdesk_ticket_sla "
                "WHERE status = 'ongoing' "
                "AND deadline < (now() AT TIME ZONE 'UTC')").fetchone()[0],
            'events': conn.execute(
                'SELECT count(*) FROM helpdesk_ticket_sla_event'
                ).fetchone()[0],
            'indexes': [r[0] for r in conn.execute(
                    "SELECT indexdef FROM pg_indexes "
                    "WHERE tablename = 'helpdesk_ticket_sla' "
                    "ORDER BY indexname").fetchall()],
            }
    say(f"  {shape['open_tickets']} open tickets, "
        f"{sum(shape['ticket_slas'].values())} ticket SLAs, "
        f"{shape['overdue']} overdue ({time.monotonic() - started:.0f}s)")
    return shape


def measure(database, config_file, runs):
    "Time the job inside trytond; print the figures as JSON"
    sla_dataset.connect_trytond(database, config_file)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    def reset():
        "Make the statuses failed by a run ongoing again"
        with Transaction().start(database, 0) as transaction:
            cursor = transaction.connection.cursor()
            cursor.execute(
                "DELETE FROM helpdesk_ticket_sla_event "
                "WHERE event = 'failed'")
            cursor.execute(
                "UPDATE helpdesk_ticket_sla SET status = 'ongoing' "
                "WHERE status = 'failed'")
            transaction.commit()

    def run_job():
        "Run the job as the scheduler does; return (seconds, failed)"
        with Transaction().start(
                database, 0, context={'_skip_warnings': True}) as transaction:
            pool = Pool()
            Cron = pool.get('ir.cron')
            ModelData = pool.get('ir.model.data')
            TicketSLA = pool.get('helpdesk.ticket.sla')
            cron = Cron(ModelData.get_id('helpdesk_sla', 'cron_fail_overdue'))
            started = time.perf_counter()
            Cron.run_once([cron])
            transaction.commit()
            duration = time.perf_counter() - started
            failed = TicketSLA.search([('status', '=', 'failed')], count=True)
        return duration, failed

    def plan():
        "The plan of the job's query with the overdue statuses in place"
        with Transaction().start(database, 0) as transaction:
            pool = Pool()
            TicketSLA = pool.get('helpdesk.ticket.sla')
            sql, params = tuple(
                TicketSLA._overdue_query(dt.datetime.now()))
            cursor = transaction.connection.cursor()
            cursor.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql, params)
            return sql, [r[0] for r in cursor]

    sql, query_plan = plan()
    durations, failed_counts = [], []
    for _ in range(runs):
        duration, failed = run_job()
        durations.append(duration)
        failed_counts.append(failed)
        reset()
    # Once more, then again with nothing left to do
    run_job()
    idle = [run_job()[0] for _ in range(runs)]
    reset()
    print(json.dumps({
                'durations_s': durations,
                'failed_per_run': failed_counts,
                'idle_durations_s': idle,
                'query': sql,
                'plan': query_plan,
                }))


@benchmark(
    'sla_cron',
    "The scheduled job that marks the overdue ticket SLAs failed, run "
    "inside trytond as the scheduler runs it, over 100k open tickets (200k "
    "ticket SLAs) of which 1k are overdue")
def run(options):
    if options.quick:
        tickets, overdue, runs = 5000, 50, 3
    else:
        tickets, overdue, runs = 100_000, 1000, 7
    base = sla_dataset.ensure_sla_base(options)
    create_database(DATABASE, template=base)
    try:
        dataset.insert_tickets(DATABASE, tickets, seed=0.3)
        shape = prepare(DATABASE, overdue)
        say(f"  running the job {runs} times")
        figures = sla_dataset.measure_in_trytond(__file__, DATABASE, runs)
    finally:
        if not options.keep:
            drop_database(DATABASE)

    durations = figures['durations_s']
    results = {
        'job_s': summary(durations),
        'idle_job_s': summary(figures['idle_durations_s'], digits=4),
        'failed_per_run': figures['failed_per_run'],
        'samples_s': [round(x, 4) for x in durations],
        'idle_samples_s': [round(x, 4) for x in figures['idle_durations_s']],
        }
    say(f"    job median {results['job_s']['median']:.3f} s "
        f"(max {results['job_s']['max']:.3f} s) for "
        f"{figures['failed_per_run'][0]} overdue; with nothing overdue "
        f"{results['idle_job_s']['median'] * 1000:.1f} ms")
    median = results['job_s']['median']
    return {
        'parameters': {
            'tickets': tickets,
            'overdue': overdue,
            'runs': runs,
            'data': shape,
            'job': "ir.cron helpdesk_sla.cron_fail_overdue run_once in a "
            "transaction as user 0, commit included",
            'query': figures['query'],
            'database': DATABASE,
            },
        'results': results,
        'plan': figures['plan'],
        'targets': [{
                'name': f"scheduled job, {tickets} open tickets, "
                f"{overdue} overdue, median",
                'metric': 'results.job_s.median',
                'target': f'<= {TARGET_S} s',
                'measured': median,
                'met': (median <= TARGET_S
                    and all(f == overdue
                        for f in figures['failed_per_run'])),
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
