# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""waiting_bands: the waiting bands of helpdesk_core in the ticket list at
100k tickets, the teams on an office calendar with holidays and thresholds,
through one trytond server process:

- the first page of the open tickets with the fields of the list view
  (the band and the waiting hours among them) against the same page
  without them: what the bands cost a list;
- the first page of the list filtered on the red band (search, read and
  the count sao asks for a full page): the searcher."""

import datetime as dt
import time

import dataset
from bench_ticket_list_first_page import (
    COUNT_LIMIT, LIMIT, SEARCH_VALUE, Page, read_fields)
from harness import (
    TrytondServer, benchmark, connect, create_database, drop_database, say,
    summary)

DATABASE = 'bench_helpdesk_waiting'
TICKETS = 100_000
PAGE_TARGET_MS = 30
RED_TARGET_MS = 100
OPEN = ['state', 'in', ['new', 'in_progress']]
BAND_FIELDS = {'waiting_band', 'waiting_hours', 'waiting_band:string'}


def _setup(client):
    "An office calendar with holidays and thresholds for every team"
    hour = 3600
    today = dt.date.today()
    holidays = [today - dt.timedelta(days=d) for d in (3, 40, 95, 200, 330)]
    calendar_id, = client.model('helpdesk.calendar', 'create', [{
                'name': "Office",
                'timezone': 'Europe/London',
                'attendances': [['create', [{
                                'weekday': str(d),
                                'hour_from': {'__class__': 'timedelta',
                                    'seconds': 9 * hour},
                                'hour_to': {'__class__': 'timedelta',
                                    'seconds': 17 * hour},
                                } for d in range(5)]]],
                'leaves': [['create', [{
                                'name': "Holiday",
                                'start': {'__class__': 'datetime',
                                    'year': d.year, 'month': d.month,
                                    'day': d.day, 'hour': 0, 'minute': 0,
                                    'second': 0, 'microsecond': 0},
                                'end': {'__class__': 'datetime',
                                    'year': d.year, 'month': d.month,
                                    'day': d.day, 'hour': 23, 'minute': 59,
                                    'second': 0, 'microsecond': 0},
                                } for d in holidays]]],
                }])
    team_ids = client.model('helpdesk.team', 'search', [], 0, None, None)
    client.model('helpdesk.team', 'write', team_ids, {
            'calendar': calendar_id,
            'waiting_thresholds': [['create', [
                        {'priority': '3', 'yellow_hours': 1,
                            'red_hours': 2},
                        {'priority': None, 'yellow_hours': 4,
                            'red_hours': 8},
                        ]]],
            })
    return team_ids


def _bands(name):
    "How many open tickets wait, and since when"
    with connect(name) as conn:
        rows = conn.execute(
            "SELECT count(*), "
            "count(*) FILTER (WHERE last_agent_message IS NULL OR "
            "last_agent_message <= COALESCE("
            "last_customer_message, create_date)) "
            "FROM helpdesk_ticket WHERE state IN ('new', 'in_progress')"
            ).fetchone()
    return {'open': rows[0], 'customer_waiting': rows[1]}


@benchmark(
    'waiting_bands',
    "The waiting bands in the ticket list at 100k tickets, teams on an "
    "office calendar with holidays: the first page of the open tickets "
    "with and without the band fields, and the first page filtered on red")
def run(options):
    tickets = 5_000 if options.quick else TICKETS
    iterations, warmup = (5, 2) if options.quick else (40, 5)
    base = dataset.ensure_base(options)
    create_database(DATABASE, template=base)
    try:
        dataset.insert_tickets(DATABASE, tickets, seed=0.3)
        with TrytondServer(DATABASE) as server:
            admin = server.client()
            admin.login('admin', dataset.ADMIN_PASSWORD)
            _setup(admin)
            admin.close()

            client = server.client()
            client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
            view = client.model(
                'helpdesk.ticket', 'fields_view_get', None, 'tree')
            fields = read_fields(view)
            without = [f for f in fields if f not in BAND_FIELDS]
            domain = ['AND', SEARCH_VALUE, OPEN]
            red = ['AND', domain, ['waiting_band', '=', 'red']]
            pages = {
                'open_with_bands': Page(client, domain, fields),
                'open_without_bands': Page(client, domain, without),
                'red': Page(client, red, fields),
                }
            for _ in range(warmup):
                for page in pages.values():
                    page()
            samples = {key: [] for key in pages}
            for _ in range(iterations):
                for key, page in pages.items():
                    samples[key].append(page())
            t0 = time.perf_counter()
            bands = {}
            ids = client.model(
                'helpdesk.ticket', 'search', domain, 0, None, None)
            for row in client.model(
                    'helpdesk.ticket', 'read', ids, ['waiting_band']):
                bands[row['waiting_band']] = bands.get(
                    row['waiting_band'], 0) + 1
            all_open_ms = (time.perf_counter() - t0) * 1000
            client.close()
        shape = _bands(DATABASE)
    finally:
        if not options.keep:
            drop_database(DATABASE)

    results = {}
    for key, page_samples in samples.items():
        results[key] = {
            'rows': page_samples[0]['rows'],
            'count': page_samples[0]['count'],
            'page_ms': summary([s['page'] for s in page_samples]),
            'page_with_count_ms': summary(
                [s['page_with_count'] for s in page_samples]),
            'search_ms': summary([s['search'] for s in page_samples]),
            'read_ms': summary([s['read'] for s in page_samples]),
            }
        say(f"    {key:<19} {results[key]['rows']:>3} rows of "
            f"{results[key]['count']:>5}  page median "
            f"{results[key]['page_ms']['median']:6.1f} ms (search "
            f"{results[key]['search_ms']['median']:.1f} + read "
            f"{results[key]['read_ms']['median']:.1f}), with count "
            f"{results[key]['page_with_count_ms']['median']:.1f}")
    say(f"    bands of all {len(ids)} open tickets: {bands} "
        f"({all_open_ms:.0f} ms)")
    targets = [{
            'name': "first page of the open tickets with the bands, "
            f"{tickets} tickets (search + read), median",
            'metric': 'results.open_with_bands.page_ms.median',
            'target': f'<= {PAGE_TARGET_MS} ms',
            'measured': results['open_with_bands']['page_ms']['median'],
            'met': results['open_with_bands']['page_ms']['median']
            <= PAGE_TARGET_MS,
            }, {
            'name': "first page filtered on red, with its count, "
            f"{tickets} tickets, median",
            'metric': 'results.red.page_with_count_ms.median',
            'target': f'<= {RED_TARGET_MS} ms',
            'measured': results['red']['page_with_count_ms']['median'],
            'met': results['red']['page_with_count_ms']['median']
            <= RED_TARGET_MS,
            }]
    return {
        'parameters': {
            'tickets': tickets,
            'iterations': iterations,
            'warmup_iterations': warmup,
            'limit': LIMIT,
            'search_count_limit': COUNT_LIMIT,
            'read_fields': fields,
            'calendar': "Monday to Friday 9:00-17:00 Europe/London, five "
            "holidays in the last year, on every team",
            'thresholds': "urgent 1 h / 2 h, the others 4 h / 8 h",
            'data': dict(shape, bands=bands),
            'all_open_bands_ms': round(all_open_ms, 1),
            },
        'results': results,
        'targets': targets,
        }
