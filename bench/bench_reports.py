#!/usr/bin/env python3
# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""reports: the agent performance reports and the dashboard's queries at
100k tickets, inside trytond, for a manager (no visibility rule) and for an
agent and a team leader in teams where agents see only their tickets

The reports are SQL views (helpdesk_core/performance.py): a UNION ALL of the
ticket events of the period (solved by closed_date, first answered by
first_response_date, SLAs reached by reached_date and failed by deadline)
grouped per agent, team and month. Each branch reads a partial range index
on its date column; the visibility rule is the ticket's own."""

import argparse
import datetime as dt
import json
import statistics
import sys
import time

import dataset
import sla_dataset
from harness import (
    benchmark, connect, create_database, drop_database, say, summary)

DATABASE = 'bench_helpdesk_reports'
LEADER_LOGIN = 'agent01'
# The dashboard's graphs, every morning: the month so far
TARGET_DASHBOARD_MS = 200
# The agent performance report over its default range (12 months)
TARGET_REPORT_MS = 1000


def prepare(name):
    """Give each team a policy to solve within a day and each ticket its
    status: the solved tickets reached it (75%) or failed it, the others
    run; let agent01 lead the first team"""
    started = time.monotonic()
    with connect(name, autocommit=False) as conn:
        conn.execute('SELECT setseed(0.5)')
        company, = conn.execute(
            'SELECT id FROM company_company ORDER BY id LIMIT 1').fetchone()
        solved, = conn.execute(
            "SELECT id FROM helpdesk_stage WHERE category = 'solved' "
            "ORDER BY sequence, id LIMIT 1").fetchone()
        conn.execute("""
            INSERT INTO helpdesk_sla (name, company, team, sequence,
                priority, target, target_stage, days, hours,
                pause_when_waiting, active, create_uid, create_date)
            SELECT 'Solve ' || t.name, %(company)s, t.id, 10, '0', 'stage',
                %(solved)s, 1, 0, false, true, 0, (now() AT TIME ZONE 'UTC')
            FROM helpdesk_team AS t ORDER BY t.id
            """, {'company': company, 'solved': solved})
        conn.execute("""
            INSERT INTO helpdesk_ticket_sla (ticket, sla, start_date,
                deadline, reached_date, status, paused_hours,
                paused_duration, reached_hours, create_uid, create_date)
            SELECT t.id, s.id, t.create_date,
                t.create_date + interval '1 day',
                CASE WHEN t.state = 'solved' THEN t.closed_date END,
                CASE WHEN t.state <> 'solved' THEN 'ongoing'
                    WHEN r.reached THEN 'reached' ELSE 'failed' END,
                0, interval '0',
                CASE WHEN t.state = 'solved' THEN extract(epoch FROM
                    t.closed_date - t.create_date) / 3600 END,
                0, t.create_date
            FROM helpdesk_ticket AS t
            JOIN helpdesk_sla AS s ON s.team = t.team
            CROSS JOIN LATERAL (
                SELECT random() < 0.75 + 0 * t.id AS reached) AS r
            ORDER BY t.id
            """)
        leader, = conn.execute(
            'SELECT id FROM res_user WHERE login = %s',
            (LEADER_LOGIN,)).fetchone()
        team, = conn.execute(
            'SELECT id FROM helpdesk_team ORDER BY id LIMIT 1').fetchone()
        conn.execute(
            'INSERT INTO "helpdesk_team-res_user_leader" (team, "user", '
            'create_uid, create_date) VALUES (%s, %s, 0, now())',
            (team, leader))
        conn.execute(
            "UPDATE helpdesk_team SET visibility = 'assigned'")
        conn.commit()
    with connect(name) as conn:
        conn.execute('VACUUM ANALYZE')

        def one(query, *args):
            return conn.execute(query, args).fetchone()[0]
        shape = {
            'tickets': one('SELECT count(*) FROM helpdesk_ticket'),
            'by_state': dict(conn.execute(
                    'SELECT state, count(*) FROM helpdesk_ticket '
                    'GROUP BY state ORDER BY state').fetchall()),
            'solved_last_12_months': one(
                "SELECT count(*) FROM helpdesk_ticket WHERE state = 'solved' "
                "AND closed_date >= date_trunc('month', now()) "
                "- interval '11 months'"),
            'solved_this_month': one(
                "SELECT count(*) FROM helpdesk_ticket WHERE state = 'solved' "
                "AND closed_date >= date_trunc('month', now())"),
            'ticket_slas': dict(conn.execute(
                    'SELECT status, count(*) FROM helpdesk_ticket_sla '
                    'GROUP BY status ORDER BY status').fetchall()),
            'agent_tickets': one(
                'SELECT count(*) FROM helpdesk_ticket AS t JOIN res_user AS u '
                'ON u.id = t."user" WHERE u.login = %s', dataset.AGENT_LOGIN),
            'leader_team_tickets': one(
                'SELECT count(*) FROM helpdesk_ticket WHERE team = %s', team),
            'visibility': 'assigned (every team)',
            'indexes': [r[0] for r in conn.execute(
                    "SELECT indexdef FROM pg_indexes WHERE tablename IN "
                    "('helpdesk_ticket', 'helpdesk_ticket_sla') AND ("
                    "indexdef LIKE '%%closed_date%%' "
                    "OR indexdef LIKE '%%first_response_date%%' "
                    "OR indexdef LIKE '%%reached_date%%' "
                    "OR indexdef LIKE '%%deadline%%') "
                    "ORDER BY indexname").fetchall()],
            }
    say(f"  {shape['tickets']} tickets, {shape['solved_last_12_months']} "
        f"solved in 12 months, {shape['ticket_slas']} "
        f"({time.monotonic() - started:.0f}s)")
    return shape


def _queries(today):
    "(key, model, context, fields, description) of the measured reads"
    month = today.replace(day=1)
    year = (month - dt.timedelta(days=335)).replace(day=1)
    agent_fields = [
        'month', 'team', 'user', 'tickets_solved', 'first_response_hours',
        'resolution_hours', 'sla_reached', 'sla_failed', 'sla_success_rate']
    return [
        ('report_12_months', 'helpdesk.agent.performance',
            {'from_date': year}, agent_fields,
            "Agent Performance, its default range (12 months): the list"),
        ('trend_12_months', 'helpdesk.performance.month',
            {'from_date': year},
            ['month', 'first_response_hours', 'resolution_hours',
                'sla_success_rate'],
            "the dashboard's first response and resolution trend"),
        ('solved_this_month', 'helpdesk.agent.performance',
            {'from_date': month}, ['user', 'tickets_solved'],
            "the dashboard's tickets solved per agent this month"),
        ('sla_this_month', 'helpdesk.agent.performance',
            {'from_date': month}, ['team', 'sla_reached', 'sla_failed'],
            "the dashboard's SLAs per team this month"),
        ]


def measure(database, config_file, runs):
    "Time the reads inside trytond; print the figures as JSON"
    sla_dataset.connect_trytond(database, config_file)
    from trytond.pool import Pool
    from trytond.transaction import Transaction

    with Transaction().start(database, 0):
        pool = Pool()
        User = pool.get('res.user')
        users = {
            'manager': 1,
            'agent': User.search([('login', '=', dataset.AGENT_LOGIN)])[0].id,
            'leader': User.search([('login', '=', LEADER_LOGIN)])[0].id,
            }
        Date = pool.get('ir.date')
        today = Date.today()
    queries = _queries(today)

    def read(user, model, context, fields):
        with Transaction().start(
                database, user, readonly=True,
                context={**context, '_check_access': True}):
            Model = Pool().get(model)
            started = time.perf_counter()
            rows = Model.search_read([], fields_names=fields)
            return time.perf_counter() - started, len(rows)

    def plan(user, model, context):
        with Transaction().start(
                database, user, readonly=True,
                context={**context, '_check_access': True}) as transaction:
            Model = Pool().get(model)
            sql, params = tuple(Model.table_query())
            cursor = transaction.connection.cursor()
            cursor.execute('EXPLAIN (ANALYZE, BUFFERS) ' + sql, params)
            return [r[0] for r in cursor]

    results = {}
    for who, user in users.items():
        for key, model, context, fields, _ in queries:
            read(user, model, context, fields)  # warm-up
            samples, rows = [], None
            for _ in range(runs):
                duration, rows = read(user, model, context, fields)
                samples.append(duration * 1000)
            results[f'{who}.{key}'] = {'ms': samples, 'rows': rows}
    plans = {
        f'{who}.report_12_months': plan(users[who], *queries[0][1:3])
        for who in ['manager', 'agent']}
    print(json.dumps({
                'users': users,
                'results': results,
                'plans': plans,
                'queries': [
                    (k, m, {n: str(v) for n, v in c.items()}, f, d)
                    for k, m, c, f, d in queries],
                }))


def _index_scans(plan):
    "The indexes the plan reads, with how many times"
    scans = {}
    for line in plan:
        if ' using ' in line and 'Scan' in line:
            index = line.split(' using ')[1].split(' on ')[0]
            scans[index] = scans.get(index, 0) + 1
    return scans


@benchmark(
    'reports',
    "The agent performance reports and the dashboard's graphs (search_read "
    "inside trytond) at 100k tickets with their SLA statuses, for a "
    "manager, an agent and a team leader where agents see their tickets "
    "only, with the query plans")
def run(options):
    if options.quick:
        tickets, runs = 5000, 3
    else:
        tickets, runs = 100_000, 15
    base = sla_dataset.ensure_sla_base(options)
    create_database(DATABASE, template=base)
    try:
        dataset.insert_tickets(DATABASE, tickets, seed=0.4)
        shape = prepare(DATABASE)
        say(f"  reading the reports {runs} times per user")
        figures = sla_dataset.measure_in_trytond(__file__, DATABASE, runs)
    finally:
        if not options.keep:
            drop_database(DATABASE)

    results, targets = {}, []
    for key, data in figures['results'].items():
        results[key] = {**summary(data['ms']), 'rows': data['rows']}
        who, query = key.split('.')
        target = (
            TARGET_REPORT_MS if query == 'report_12_months'
            else TARGET_DASHBOARD_MS)
        median = results[key]['median']
        say(f"    {key}: median {median:.1f} ms, {data['rows']} rows")
        targets.append({
                'name': f"{query}, {who}, {tickets} tickets, median",
                'metric': f'results.{key}.median',
                'target': f'<= {target} ms',
                'measured': median,
                'met': median <= target,
                })
    dashboard = [
        statistics.median(figures['results'][f'{who}.{q}']['ms'])
        for who in ['manager', 'agent', 'leader']
        for q in ['trend_12_months', 'solved_this_month', 'sla_this_month']]
    return {
        'parameters': {
            'tickets': tickets,
            'runs': runs,
            'users': {
                'manager': "admin (helpdesk manager: no visibility rule)",
                'agent': f"{dataset.AGENT_LOGIN} (assigned visibility: "
                "their tickets only)",
                'leader': f"{LEADER_LOGIN} (leads the first team: its "
                "tickets)",
                },
            'queries': figures['queries'],
            'measure': "Model.search_read([], fields) in a read-only "
            "transaction as the user with _check_access, the context of "
            "the report's dates; one warm-up read first",
            'data': shape,
            'database': DATABASE,
            },
        'results': results,
        'dashboard_worst_median_ms': round(max(dashboard), 3),
        'index_scans': {
            key: _index_scans(plan) for key, plan in figures['plans'].items()},
        'plans': figures['plans'],
        'targets': targets,
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
