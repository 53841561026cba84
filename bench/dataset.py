# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The benchmark databases

The base database is built the ordinary way: trytond-admin activates
helpdesk_core, then proteus (run as a separate process by
`python bench/dataset.py setup <database>`) creates the company, the teams,
the agents, types and tags. Customers and tickets are volume: they are
inserted in bulk with SQL, with the values the application would give them.
"""

import argparse
import atexit
import os
import subprocess
import sys
import tempfile
import time

from harness import (
    connect, create_database, database_exists, database_uri, drop_database,
    say, venv_script, write_config)

# The password of admin in the base database (TRYTONPASSFILE)
ADMIN_PASSWORD = 'admin'
AGENT_LOGIN = 'bench_agent'
AGENT_PASSWORD = 'Bench-Agent-Pass-7391'
OTHER_AGENTS = 19
TEAMS = [
    # name, share of the tickets
    ("Customer Support", 45),
    ("Technical Support", 30),
    ("Billing", 15),
    ("Returns", 10),
    ]
TYPES = ["Question", "Incident", "Problem", "Feature Request"]
TAGS = [
    "printer", "network", "invoice", "refund", "login", "delivery",
    "warranty", "vip",
    ]
PARTIES = 5000
EXTENSIONS = ['pg_trgm']

SUBJECTS = [
    "The printer does not print",
    "Cannot log in to the portal",
    "Invoice amount is wrong",
    "Refund not received",
    "Parcel not delivered",
    "Question about my order",
    "Password reset e-mail never arrives",
    "The device makes a strange noise",
    "Wrong item received",
    "How do I change my address?",
    "Damaged on arrival",
    "Warranty claim for my laptop",
    "Double charge on my card",
    "The app crashes at start",
    "Cannot download my invoice",
    "Request for a quote",
    "Screen flickers after update",
    "Subscription renewal question",
    "VPN connection drops",
    "Missing part in the box",
    ]
DESCRIPTION = (
    "Hello, since last week I have had a problem with the product I bought "
    "from you. I tried what your documentation suggests (restarting, "
    "checking the cables and the settings) but nothing changed. Could you "
    "please have a look and tell me what to do next? The order number is "
    "in my account. Thank you in advance for your help. Best regards.")


# --- The base database

# HELPDESK_BENCH_BASE names another base database: two runs at the same
# time (from two working copies) must not build and drop the same one
BASE = os.environ.get('HELPDESK_BENCH_BASE', 'bench_helpdesk_base')
_base_built = set()


def ensure_base(options):
    """Return the name of the base database, built once per run (or reused
    from an earlier run with --reuse-base)"""
    if BASE not in _base_built:
        if options.reuse_base and database_exists(BASE):
            say(f"  reusing the base database {BASE}")
        else:
            say(f"  building the base database {BASE}")
            build_base(BASE)
        _base_built.add(BASE)
    return BASE


def build_base(name, extensions=EXTENSIONS):
    """Create the database name with helpdesk_core activated, a company,
    teams, agents, types, tags and customers"""
    started = time.monotonic()
    create_database(name)
    with connect(name) as conn:
        for extension in extensions:
            conn.execute(f'CREATE EXTENSION IF NOT EXISTS {extension}')
    with tempfile.TemporaryDirectory(prefix='helpdesk-bench-') as tmp:
        config = write_config(tmp)
        passfile = os.path.join(tmp, 'password')
        with open(passfile, 'w') as fd:
            fd.write(ADMIN_PASSWORD + '\n')
        env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_')}
        env['TRYTONPASSFILE'] = passfile
        say(f"  activating helpdesk_core in {name} (trytond-admin)")
        subprocess.run([
                venv_script('trytond-admin'), '-c', config, '-d', name,
                '--email', 'admin@helpdesk.example', '-u', 'helpdesk_core',
                '--activate-dependencies'],
            env=env, check=True, stdout=subprocess.DEVNULL)
        say("  creating the company, teams and agents (proteus)")
        subprocess.run([
                sys.executable, os.path.abspath(__file__), 'setup', name,
                '--config', config],
            env=env, check=True)
    insert_parties(name, PARTIES)
    say(f"  base database {name} ready in {time.monotonic() - started:.0f}s")


def ensure_module_base(options, name, module):
    """Return name, a copy of the base database with module activated by
    trytond-admin, built once per run (or reused from an earlier run with
    --reuse-base) and dropped at exit unless kept

    module is a module's name or a list of them (activated together)"""
    if name in _base_built:
        return name
    modules = [module] if isinstance(module, str) else list(module)
    module = ', '.join(modules)
    if options.reuse_base and database_exists(name):
        say(f"  reusing the {module} base database {name}")
    else:
        base = ensure_base(options)
        started = time.monotonic()
        say(f"  building the {module} base database {name}")
        create_database(name, template=base)
        with tempfile.TemporaryDirectory(prefix='helpdesk-bench-') as tmp:
            config = write_config(tmp)
            env = {k: v for k, v in os.environ.items()
                if not k.startswith('TRYTOND_')}
            say(f"  activating {module} in {name} (trytond-admin)")
            subprocess.run([
                    venv_script('trytond-admin'), '-c', config, '-d', name,
                    '-u', *modules, '--activate-dependencies'],
                env=env, check=True, stdout=subprocess.DEVNULL)
        say(f"  {module} base database ready in "
            f"{time.monotonic() - started:.0f}s")
    _base_built.add(name)
    if not (options.keep or options.reuse_base):
        atexit.register(drop_database, name)
    return name


def cleanup(options):
    "Drop the base database unless it is kept for later runs"
    if BASE in _base_built and not (options.keep or options.reuse_base):
        drop_database(BASE)


def setup(name, config_file):
    "Create the records of the base database with proteus (as admin)"
    from proteus import Model
    from proteus import config as pconfig

    pconfig.set_trytond(
        database=database_uri(name), config_file=config_file)
    # The backend is chosen when trytond is first configured
    from trytond.modules.company.tests.tools import create_company
    Party = Model.get('party.party')
    party = Party(name="Helpdesk Bench Company")
    party.save()
    create_company(party=party)
    Company = Model.get('company.company')
    company, = Company.find()

    User = Model.get('res.user')
    Group = Model.get('res.group')
    agent_group, = Group.find([('name', '=', "Helpdesk Agent")])
    logins = [AGENT_LOGIN] + [
        f'agent{i:02d}' for i in range(1, OTHER_AGENTS + 1)]
    for login in logins:
        user = User(login=login, name=login.replace('_', ' ').title())
        user.email = f'{login}@helpdesk.example'
        user.companies.append(Company(company.id))
        user.company = Company(company.id)
        user.groups.append(Group(agent_group.id))
        if login == AGENT_LOGIN:
            user.password = AGENT_PASSWORD
        user.save()

    Team = Model.get('helpdesk.team')
    for name_, _ in TEAMS:
        Team(name=name_).save()
    Type = Model.get('helpdesk.ticket.type')
    for name_ in TYPES:
        Type(name=name_).save()
    Tag = Model.get('helpdesk.tag')
    for name_ in TAGS:
        Tag(name=name_).save()


def insert_parties(name, count):
    "Insert count customers with an e-mail address, as party would"
    with connect(name, autocommit=False) as conn:
        conn.execute("SELECT setseed(0.42)")
        conn.execute("""
            INSERT INTO party_party (code, code_alnum, code_digit, name,
                active, create_uid, create_date)
            SELECT 'C' || lpad(g::text, 6, '0'), 'C' || lpad(g::text, 6, '0'),
                g,
                (ARRAY['Anna','Bruno','Chen','Dara','Emil','Fatima','Giulia',
                    'Hugo','Ines','Jonas','Kemal','Lea','Milan','Nora',
                    'Omar','Paula'])[1 + (random() * 15)::int]
                || ' ' ||
                (ARRAY['Martin','Bernard','Dubois','Schmidt','Rossi',
                    'Garcia','Novak','Kowalski','Jansen','Silva','Nielsen',
                    'Yilmaz','Moreau','Fischer','Ricci','Lopez'])[
                        1 + (random() * 15)::int]
                || ' ' || g,
                true, 0, now() - interval '3 years'
            FROM generate_series(1, %(count)s) AS g
            """, {'count': count})
        conn.execute("""
            INSERT INTO party_contact_mechanism (party, type, value,
                value_compact, active, sequence, create_uid, create_date)
            SELECT id, 'email', 'customer' || id || '@customer.example',
                'customer' || id || '@customer.example', true, 10, 0,
                create_date
            FROM party_party WHERE code LIKE 'C%%'
            """)
        conn.commit()


# --- The tickets

def ticket_count(name):
    with connect(name) as conn:
        return conn.execute(
            'SELECT count(*) FROM helpdesk_ticket').fetchone()[0]


FOLDED_SQL = """
    UPDATE helpdesk_ticket AS t SET folded = s.fold
    FROM helpdesk_stage AS s WHERE s.id = t.stage
    """


def insert_tickets(name, count, seed=0.5):
    """Replace the tickets of the database by count tickets created over
    the last two years, numbered in the order of their creation

    Old tickets are almost all solved or cancelled, the last two weeks'
    are spread over every stage; the priorities, channels, teams, types,
    customers and agents follow fixed weights. A third of the tickets have
    tags. The ticket sequence is moved past the numbers given."""
    started = time.monotonic()
    with connect(name, autocommit=False) as conn:
        conn.execute('TRUNCATE helpdesk_ticket CASCADE')
        conn.execute('SELECT setseed(%s)', (seed,))
        ids = _reference_ids(conn)
        params = {
            'count': count,
            'company': ids['company'],
            'agents': ids['agents'],
            'teams': ids['teams'],
            'types': ids['types'],
            'parties': ids['parties'],
            'subjects': SUBJECTS,
            'description': DESCRIPTION,
            'stage_new': ids['stages']['new'],
            'stage_in_progress': ids['stages']['in_progress'],
            'stage_waiting': ids['stages']['waiting'],
            'stage_solved': ids['stages']['solved'],
            'stage_cancelled': ids['stages']['cancelled'],
            }
        conn.execute(_TICKETS_SQL, params)
        # As Ticket.preprocess_values: the fold of the stage
        conn.execute(FOLDED_SQL)
        conn.execute("""
            INSERT INTO "helpdesk_ticket-helpdesk_tag" (ticket, tag,
                create_uid, create_date)
            SELECT t.id, tag.id, 0, t.create_date
            FROM helpdesk_ticket AS t
            CROSS JOIN LATERAL (
                SELECT id FROM helpdesk_tag
                WHERE random() < 0.05 + 0 * t.id
                ORDER BY id LIMIT 2) AS tag
            ORDER BY t.id, tag.id
            """)
        for table in ['helpdesk_ticket', 'helpdesk_ticket-helpdesk_tag']:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'),"
                f' (SELECT COALESCE(max(id), 0) + 1 FROM "{table}"), false)')
        # The ticket sequence gives the numbers after the inserted ones
        sequence_id = conn.execute(
            "SELECT db_id FROM ir_model_data "
            "WHERE module = 'helpdesk_core' AND fs_id = 'sequence_ticket'"
            ).fetchone()[0]
        conn.execute(
            'UPDATE ir_sequence SET number_next_internal = %s WHERE id = %s',
            (count + 1, sequence_id))
        if conn.execute(
                'SELECT to_regclass(%s)',
                (f'ir_sequence_{sequence_id}',)).fetchone()[0]:
            conn.execute(
                f"SELECT setval('ir_sequence_{sequence_id}', %s)", (count,))
        conn.commit()
    with connect(name) as conn:
        conn.execute('VACUUM ANALYZE')
    say(f"  inserted {count} tickets in {name} "
        f"({time.monotonic() - started:.1f}s)")


def _reference_ids(conn):
    def ids(query, *args):
        return [r[0] for r in conn.execute(query, args).fetchall()]
    company, = ids('SELECT id FROM company_company ORDER BY id LIMIT 1')
    agents = ids(
        "SELECT id FROM res_user WHERE login = %s OR login LIKE 'agent%%' "
        "ORDER BY id", AGENT_LOGIN)
    teams = ids('SELECT id FROM helpdesk_team ORDER BY id')
    types = ids('SELECT id FROM helpdesk_ticket_type ORDER BY id')
    parties = ids(
        "SELECT id FROM party_party WHERE code LIKE 'C%%' ORDER BY id")
    stages = dict((c, i) for i, c in conn.execute(
            'SELECT DISTINCT ON (category) id, category FROM helpdesk_stage '
            'ORDER BY category, sequence, id').fetchall())
    return {
        'company': company,
        'agents': agents,
        'teams': teams,
        'types': types,
        'parties': parties,
        'stages': stages,
        }


# One row per ticket: r1..r9 are the random draws, age the age in days
_TICKETS_SQL = """
WITH draws AS (
    SELECT
        random() AS r_age, random() AS r_state, random() AS r_user,
        random() AS r_team, random() AS r_prio, random() AS r_type,
        random() AS r_party, random() AS r_channel, random() AS r_subject,
        random() AS r_resp
    FROM generate_series(1, %(count)s)
    ),
aged AS (
    -- two years, more tickets lately (the helpdesk grows); the ids follow
    -- the creation dates as they do when tickets are created one by one
    SELECT *,
        730 * (1 - sqrt(r_age)) AS age,
        row_number() OVER (ORDER BY r_age) AS g
    FROM draws
    ),
stated AS (
    SELECT *,
        CASE
            WHEN age < 14 THEN CASE
                WHEN r_state < 0.15 THEN 'new'
                WHEN r_state < 0.40 THEN 'in_progress'
                WHEN r_state < 0.55 THEN 'waiting'
                WHEN r_state < 0.95 THEN 'solved'
                ELSE 'cancelled' END
            ELSE CASE
                WHEN r_state < 0.002 THEN 'in_progress'
                WHEN r_state < 0.005 THEN 'waiting'
                WHEN r_state < 0.95 THEN 'solved'
                ELSE 'cancelled' END
            END AS state
    FROM aged
    ),
valued AS (
    SELECT *,
        now() - age * interval '1 day' AS created,
        CASE
            WHEN state = 'new' AND r_user < 0.7 THEN NULL
            WHEN state = 'cancelled' AND r_user < 0.3 THEN NULL
            ELSE (%(agents)s::int[])[
                1 + floor(r_user * array_length(%(agents)s::int[], 1))::int]
            END AS agent,
        CASE
            WHEN r_team < 0.45 THEN 1
            WHEN r_team < 0.75 THEN 2
            WHEN r_team < 0.90 THEN 3
            ELSE 4 END AS team_index,
        CASE
            WHEN r_prio < 0.20 THEN '0'
            WHEN r_prio < 0.70 THEN '1'
            WHEN r_prio < 0.92 THEN '2'
            ELSE '3' END AS priority,
        CASE WHEN r_party < 0.1 THEN NULL
            ELSE (%(parties)s::int[])[
                1 + floor(r_party / 0.9 * 0.9999
                    * array_length(%(parties)s::int[], 1))::int]
            END AS party,
        CASE
            WHEN r_channel < 0.45 THEN 'email'
            WHEN r_channel < 0.65 THEN 'website'
            WHEN r_channel < 0.80 THEN 'portal'
            WHEN r_channel < 0.90 THEN 'livechat'
            WHEN r_channel < 0.96 THEN 'phone'
            WHEN r_channel < 0.99 THEN 'internal'
            ELSE 'api' END AS channel
    FROM stated
    )
INSERT INTO helpdesk_ticket (
    id, number, name, description, company, team, stage, state, type,
    priority, party, contact_name, contact_email, contact_phone, "user",
    channel, assigned_date, first_response_date, closed_date,
    last_customer_message, last_agent_message, active,
    create_uid, create_date, write_uid, write_date)
SELECT
    g,
    'HD' || lpad(g::text, greatest(5, length(g::text)), '0'),
    (%(subjects)s::text[])[
        1 + floor(r_subject * array_length(%(subjects)s::text[], 1))::int],
    %(description)s,
    %(company)s,
    (%(teams)s::int[])[team_index],
    CASE state
        WHEN 'new' THEN %(stage_new)s
        WHEN 'in_progress' THEN %(stage_in_progress)s
        WHEN 'waiting' THEN %(stage_waiting)s
        WHEN 'solved' THEN %(stage_solved)s
        ELSE %(stage_cancelled)s END,
    state,
    CASE WHEN r_type < 0.2 THEN NULL
        ELSE (%(types)s::int[])[
            1 + floor((r_type - 0.2) / 0.8 * 0.9999
                * array_length(%(types)s::int[], 1))::int] END,
    priority,
    party,
    CASE WHEN party IS NULL THEN 'Visitor ' || g
        ELSE (SELECT name FROM party_party WHERE id = party) END,
    CASE WHEN party IS NULL THEN 'visitor' || g || '@mail.example'
        ELSE 'customer' || party || '@customer.example' END,
    CASE WHEN channel = 'phone' THEN '+32 2 555 ' || lpad(
        (g %% 10000)::text, 4, '0') END,
    agent,
    channel,
    CASE WHEN agent IS NOT NULL
        THEN created + (r_resp * 4) * interval '1 hour' END,
    CASE WHEN state <> 'new' AND state <> 'cancelled'
        THEN created + (r_resp * 8) * interval '1 hour' END,
    CASE WHEN state IN ('solved', 'cancelled')
        THEN LEAST(now(), created + (1 + r_resp * 72) * interval '1 hour')
        END,
    created + (r_resp * 24) * interval '1 hour' * (state = 'waiting')::int,
    CASE WHEN state <> 'new' AND state <> 'cancelled'
        THEN created + (r_resp * 30) * interval '1 hour' END,
    true,
    COALESCE(agent, 0), created,
    COALESCE(agent, 0),
    CASE WHEN state IN ('solved', 'cancelled')
        THEN LEAST(now(), created + (1 + r_resp * 72) * interval '1 hour')
        END
FROM valued
ORDER BY g
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest='command', required=True)
    parser_setup = sub.add_parser('setup', help="proteus part of the base")
    parser_setup.add_argument('database')
    parser_setup.add_argument('--config', required=True)
    parser_base = sub.add_parser('base', help="build a base database")
    parser_base.add_argument('database')
    parser_fill = sub.add_parser('fill', help="insert tickets")
    parser_fill.add_argument('database')
    parser_fill.add_argument('count', type=int)
    options = parser.parse_args()
    if options.command == 'setup':
        setup(options.database, options.config)
    elif options.command == 'base':
        build_base(options.database)
    elif options.command == 'fill':
        insert_tickets(options.database, options.count)


if __name__ == '__main__':
    main()
