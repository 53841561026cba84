# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The configuration users run, for the benchmarks of issue 14

The five modules activated (the users' base database: the base database of
dataset.py with helpdesk_sla, helpdesk_aftersales, helpdesk_website and
helpdesk_crm activated by trytond-admin), every team with a leader who
follows it, members, an office calendar and automatic assignment, two SLA
policies per team that match every ticket, an e-mail template on the stage
of the new tickets (the acknowledgement the customer gets, through the
chat and helpdesk_website's outbox), and the tables already holding the
tickets with their conversation (channels, followers, messages) and SLA
statuses, a share of the rows updated since (dead tuples, rows no longer in
the order of their insertion)."""

import atexit
import os
import time

import dataset
from bench_assignment_decision import insert_calendar
from bench_ticket_list_restricted import (
    LEADERS, MEMBERS, insert_followers, mark_through_team, setup_teams)
from harness import connect, create_database, drop_database, say

MODULES = [
    'helpdesk_sla', 'helpdesk_aftersales', 'helpdesk_website',
    'helpdesk_crm']
# As dataset.py's HELPDESK_BENCH_BASE: two runs at the same time must not
# build and drop the same database
USERS_BASE = os.environ.get(
    'HELPDESK_BENCH_USERS_BASE', 'bench_helpdesk_users_base')
# The share of the tickets (and of their SLA statuses) updated after the
# insertion
UPDATED_SHARE = 0.3
ACK_SUBJECT = "We received your request"
ACK_BODY = (
    "<p>Hello ${record.contact_name},</p>"
    "<p>we received your request <b>${record.number}</b> "
    "(${record.name}) and will answer it soon.</p>")


def ensure_users_base(options):
    "Return the name of the users' base database, built once per run"
    return dataset.ensure_module_base(options, USERS_BASE, MODULES)


_data_built = {}


def ensure_users_data(options, tickets):
    """Return the name of a copy of the users' base database prepared with
    tickets (prepare), built once per run and copied by each benchmark
    (CREATE DATABASE ... TEMPLATE keeps the pages as they are, dead tuples
    included), dropped at exit unless kept; and the data's shape"""
    if tickets not in _data_built:
        base = ensure_users_base(options)
        name = f'{USERS_BASE}_{tickets}'
        create_database(name, template=base)
        if not options.keep:
            atexit.register(drop_database, name)
        _data_built[tickets] = name, prepare(name, tickets)
    return _data_built[tickets]


def prepare(name, tickets, seed=0.1):
    """Fill the copy name of the users' base database with tickets and
    the configuration users run; return the data's shape"""
    dataset.insert_tickets(name, tickets, seed=seed)
    started = time.monotonic()
    setup_teams(name)
    insert_followers(name)
    mark_through_team(name)
    with connect(name, autocommit=False) as conn:
        _setup_assignment(conn)
        _setup_sla(conn)
        _setup_acknowledgement(conn)
        conn.commit()
    insert_messages(name)
    update_rows(name)
    say(f"  users' configuration ready in {name} "
        f"({time.monotonic() - started:.1f}s)")
    return shape(name)


def _users(conn):
    return dict(conn.execute('SELECT login, id FROM res_user').fetchall())


def _setup_assignment(conn):
    """Automatic assignment (equal count) on every team, on one office
    calendar with holidays and the members' time off"""
    users = _users(conn)
    agents = sorted({users[login] for logins in MEMBERS for login in logins})
    calendar = insert_calendar(conn, agents)
    conn.execute(
        "UPDATE helpdesk_team SET auto_assign = true, "
        "assign_method = 'equal_count', calendar = %s", (calendar,))


def _setup_sla(conn):
    """Two policies per team for every priority (answer within 2 working
    hours, solve within 3 working days, paused while waiting) and their
    statuses for every ticket: reached for the closed tickets"""
    company, = conn.execute(
        'SELECT id FROM company_company ORDER BY id LIMIT 1').fetchone()
    solved, = conn.execute(
        "SELECT id FROM helpdesk_stage WHERE category = 'solved' "
        "ORDER BY sequence, id LIMIT 1").fetchone()
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
        """, {'company': company, 'solved': solved})
    conn.execute("""
        INSERT INTO helpdesk_ticket_sla (ticket, sla, start_date,
            deadline, reached_date, status, paused_since, paused_hours,
            paused_duration, reached_hours, create_uid, create_date)
        SELECT t.id, s.id, t.create_date,
            t.create_date + CASE s.target
                WHEN 'first_response' THEN interval '2 hours'
                ELSE interval '3 days' END,
            CASE WHEN s.target = 'first_response'
                THEN t.first_response_date ELSE t.closed_date END,
            CASE WHEN (CASE WHEN s.target = 'first_response'
                    THEN t.first_response_date ELSE t.closed_date END)
                IS NOT NULL THEN 'reached' ELSE 'ongoing' END,
            NULL, 0, interval '0', NULL, 0, t.create_date
        FROM helpdesk_ticket AS t
        JOIN helpdesk_sla AS s ON s.team = t.team
        ORDER BY t.id, s.sequence
        """)


def _setup_acknowledgement(conn):
    """The e-mail template of the stages of new tickets: posted in the
    ticket's conversation when it is created, e-mailed to the customer"""
    model, = conn.execute(
        "SELECT id FROM ir_model WHERE name = 'helpdesk.ticket'").fetchone()
    template, = conn.execute("""
        INSERT INTO ir_email_template (model, name, subject, body,
            create_uid, create_date)
        VALUES (%s, 'Acknowledgement', %s, %s, 0, now()) RETURNING id
        """, (model, ACK_SUBJECT, ACK_BODY)).fetchone()
    conn.execute(
        "UPDATE helpdesk_stage SET email_template = %s "
        "WHERE category = 'new'", (template,))


def insert_messages(name, seed=0.6):
    """The conversation of every ticket: the customer's message, the
    public answer of the assignee once answered, an internal note on a
    third of the tickets"""
    started = time.monotonic()
    with connect(name, autocommit=False) as conn:
        conn.execute('SELECT setseed(%s)', (seed,))
        conn.execute("""
            INSERT INTO ir_chat_message (channel, audience, content, email,
                "user", create_uid, create_date)
            SELECT c.id, m.audience, m.content, m.email, m."user", 0, m.date
            FROM helpdesk_ticket AS t
            JOIN ir_chat_channel AS c
                ON c.resource = 'helpdesk.ticket,' || t.id
            CROSS JOIN LATERAL (VALUES
                (1, 'public', t.description, t.contact_email, NULL::int,
                    t.create_date),
                (2, 'public', 'Thank you for your message. We are looking '
                    'into it and will come back to you.', NULL,
                    t."user", t.first_response_date),
                (3, 'internal', 'Checked the order and the logs.', NULL,
                    t."user", t.first_response_date + interval '1 hour')
                ) AS m(n, audience, content, email, "user", date)
            WHERE m.n = 1
                OR (m.n = 2 AND t.first_response_date IS NOT NULL
                    AND t."user" IS NOT NULL)
                OR (m.n = 3 AND t."user" IS NOT NULL
                    AND t.first_response_date IS NOT NULL
                    AND random() < 0.33 + 0 * t.id)
            ORDER BY m.date, t.id, m.n
            """)
        conn.commit()
    say(f"  inserted the chat messages in {name} "
        f"({time.monotonic() - started:.1f}s)")


def update_rows(name, share=UPDATED_SHARE, seed=0.8):
    """Update a share of the tickets and of their SLA statuses, as agents
    and jobs do, then ANALYZE without VACUUM: the tables keep the dead
    tuples and the updated rows sit away from their neighbours"""
    started = time.monotonic()
    with connect(name, autocommit=False) as conn:
        conn.execute('SELECT setseed(%s)', (seed,))
        conn.execute("""
            UPDATE helpdesk_ticket SET
                write_date = COALESCE(write_date, create_date)
                    + interval '1 hour',
                write_uid = COALESCE("user", 0),
                contact_phone = COALESCE(contact_phone, '+32 2 555 0000')
            WHERE random() < %s
            """, (share,))
        conn.execute("""
            UPDATE helpdesk_ticket_sla SET
                write_date = COALESCE(write_date, create_date)
                    + interval '1 hour', write_uid = 0
            WHERE random() < %s
            """, (share,))
        conn.commit()
    with connect(name) as conn:
        conn.execute('ANALYZE')
    say(f"  updated {share:.0%} of the tickets and SLA statuses in {name} "
        f"({time.monotonic() - started:.1f}s)")


TABLES = [
    'helpdesk_ticket', 'ir_chat_channel', 'ir_chat_follower',
    'ir_chat_message', 'helpdesk_ticket_sla', 'helpdesk_email_outbox',
    'ir_queue']


def shape(name):
    "The rows, dead tuples and sizes of the main tables"
    with connect(name) as conn:
        tables = {}
        for table in TABLES:
            live, dead = conn.execute(
                'SELECT n_live_tup, n_dead_tup FROM pg_stat_user_tables '
                'WHERE relname = %s', (table,)).fetchone()
            tables[table] = {
                'rows': conn.execute(
                    f'SELECT count(*) FROM "{table}"').fetchone()[0],
                'dead_tuples': dead,
                'size_mb': round(conn.execute(
                        'SELECT pg_total_relation_size(%s)',
                        (table,)).fetchone()[0] / 2 ** 20, 1),
                }
        teams = conn.execute("""
            SELECT t.name, t.auto_assign, t.assign_method,
                t.calendar IS NOT NULL,
                (SELECT count(*) FROM "helpdesk_team-res_user_member" AS m
                    WHERE m.team = t.id),
                (SELECT count(*) FROM helpdesk_sla AS s
                    WHERE s.team = t.id AND s.active)
            FROM helpdesk_team AS t ORDER BY t.id
            """).fetchall()
        open_ = conn.execute(
            "SELECT count(*) FROM helpdesk_ticket "
            "WHERE state NOT IN ('solved', 'cancelled')").fetchone()[0]
    return {
        'modules': ['helpdesk_core'] + MODULES,
        'tables': tables,
        'open_tickets': open_,
        'updated_share': UPDATED_SHARE,
        'teams': [{
                'name': n, 'auto_assign': a, 'assign_method': m,
                'calendar': c, 'members': members, 'sla_policies': slas,
                } for n, a, m, c, members, slas in teams],
        'leaders': LEADERS,
        'acknowledgement': "ir.email.template on the stages of category "
        f"new (subject {ACK_SUBJECT!r}): posted public in the ticket's "
        "conversation at its creation, e-mailed to the customer through "
        "helpdesk.email.outbox",
        }
