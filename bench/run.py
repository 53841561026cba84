#!/usr/bin/env python3
# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Run the Helpdesk for Tryton benchmarks on PostgreSQL

Each benchmark writes bench/results/<YYYY-MM-DD>-<name>.json: the machine,
the date, the git commit, the parameters, the raw samples, the medians and
95th percentiles, the targets and whether they are met. A quick run (small
sizes, a smoke test of the benchmarks themselves) writes to var/bench/
instead, so that it never replaces recorded figures.

Examples:
    bench/run.py                         # every benchmark, full sizes
    bench/run.py --only ticket_create_rpc
    bench/run.py --quick                 # smoke run
    bench/run.py --list
"""

import argparse
import os
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dataset  # noqa: E402
import harness  # noqa: E402
from harness import (  # noqa: E402
    REGISTRY, ROOT, conditions, git_info, machine_info, now_iso, say,
    write_result)

# Importing a benchmark module registers its benchmarks
BENCHMARK_MODULES = [
    'bench_ticket_create_rpc',
    'bench_ticket_list_first_page',
    'bench_sla_deadline',
    'bench_sla_cron',
    'bench_ticket_list_restricted',
    'bench_assignment_decision',
    'bench_website',
    'bench_livechat',
    'bench_inbound_email',
    'bench_inactive_cron',
    'bench_reports',
    'bench_duplicates',
    'bench_board',
    'bench_waiting_bands',
    'bench_serving',
    'bench_speedups',
    ]


def load():
    for module in BENCHMARK_MODULES:
        __import__(module)


def main():
    load()
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        '--only', action='append', metavar='NAME', choices=sorted(REGISTRY),
        help="run only this benchmark (repeatable): "
        + ', '.join(sorted(REGISTRY)))
    parser.add_argument(
        '--quick', action='store_true',
        help="smoke run with small sizes, written to var/bench/")
    parser.add_argument(
        '--output', metavar='DIR',
        help="where to write the results "
        "(default bench/results, var/bench with --quick)")
    parser.add_argument(
        '--keep', action='store_true',
        help="keep the benchmark databases afterwards")
    parser.add_argument(
        '--reuse-base', action='store_true',
        help="reuse the base database of an earlier run if it exists "
        "(faster; only when the modules did not change)")
    parser.add_argument(
        '--list', action='store_true', help="list the benchmarks and exit")
    options = parser.parse_args()

    if options.list:
        for name, bench in sorted(REGISTRY.items()):
            print(f'{name}\n    {bench.description}')
        return 0

    output = options.output or os.path.join(
        ROOT, *(['var', 'bench'] if options.quick else ['bench', 'results']))
    names = options.only or list(REGISTRY)
    try:
        machine = machine_info()
    except Exception as exception:
        say(f"PostgreSQL is not reachable at {harness.PG_URI}: {exception}\n"
            "Start it (pg_ctlcluster 15 main start) or set HELPDESK_PG_URI.")
        return 2
    git = git_info()
    failed = []
    summary_lines = []
    for name in names:
        bench = REGISTRY[name]
        say(f"== {name}{' (quick)' if options.quick else ''}")
        date = now_iso()
        before = conditions()
        started = time.monotonic()
        try:
            outcome = bench(options)
        except Exception:
            traceback.print_exc()
            failed.append(name)
            continue
        duration = time.monotonic() - started
        after = conditions()
        busy = max(before['loadavg'][0], after['loadavg'][0]) > (
            machine['cpu_count'] or 1) / 2
        targets = outcome.pop('targets', [])
        result = {
            'benchmark': name,
            'description': bench.description,
            'date': date,
            'quick': options.quick,
            'duration_s': round(duration, 1),
            'machine': machine,
            'conditions': {
                'before': before,
                'after': after,
                'busy': busy,
                'note': (
                    "Other processes loaded the machine during the run "
                    "(1-minute load average above half the CPUs): the "
                    "figures are slower than on an idle machine."
                    if busy else "The machine was otherwise idle."),
                },
            'git': git,
            **outcome,
            'targets': targets,
            'targets_met': all(t['met'] for t in targets),
            }
        path = write_result(output, name, result)
        say(f"   wrote {os.path.relpath(path, ROOT)} ({duration:.0f}s)"
            + (", machine busy" if busy else ""))
        for target in targets:
            summary_lines.append(
                f"{'met    ' if target['met'] else 'NOT met'}  "
                f"{name}: {target['name']}: {target['measured']} "
                f"(target {target['target']})")
    dataset.cleanup(options)
    if summary_lines:
        say("\nTargets:")
        for line in summary_lines:
            say("  " + line)
    if failed:
        say(f"\nFailed: {', '.join(failed)}")
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
