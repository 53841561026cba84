# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The databases of the SLA benchmarks

The SLA base database is a copy of the base database of dataset.py with
helpdesk_sla activated by trytond-admin; each SLA benchmark copies it. The
measures that run inside trytond (no RPC: a deadline takes less time than a
request) run in a process of their own, as dataset.py's setup does, and print
their figures as JSON."""

import json
import os
import subprocess
import sys
import tempfile

import dataset
from harness import write_config

# As dataset.py's HELPDESK_BENCH_BASE: two runs at the same time must not
# build and drop the same database
SLA_BASE = os.environ.get(
    'HELPDESK_BENCH_SLA_BASE', 'bench_helpdesk_sla_base')


def ensure_sla_base(options):
    """Return the name of the SLA base database, built once per run (or
    reused from an earlier run with --reuse-base)"""
    return dataset.ensure_module_base(options, SLA_BASE, 'helpdesk_sla')


def measure_in_trytond(script, database, *args):
    """Run `python script measure database --config <conf> args` and return
    the JSON it prints"""
    with tempfile.TemporaryDirectory(prefix='helpdesk-bench-') as tmp:
        config = write_config(tmp)
        env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_')}
        process = subprocess.run([
                sys.executable, os.path.abspath(script), 'measure',
                database, '--config', config, *map(str, args)],
            env=env, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(process.stdout)


def connect_trytond(database, config_file):
    "Initialise trytond on database in this process (as proteus does)"
    from harness import database_uri
    from proteus import config as pconfig
    pconfig.set_trytond(
        database=database_uri(database), config_file=config_file)
