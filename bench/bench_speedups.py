# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""speedups: what each of helpdesk_core's overrides of trytond
(speedups.py) wins under gunicorn, as `make serve` runs it

The agent list's first page (the search and the read of the list view's
fields for 80 tickets, gzip accepted, as the web client asks it) at 100k
tickets, against gunicorn servers that differ only by the overrides in
their workers: all of them (production), each one put back to trytond's
original, none, and the override removed from speedups.py (kept here as a
proposal, PROPOSALS) added. The servers run side by side and the calls go round
robin over them in a shuffled order, so that every variant sees the same
load of the machine.

A worker is told which overrides to put back by HELPDESK_BENCH_SPEEDUPS_OFF
(names of SPEEDUPS, comma separated) and which proposals to apply by
HELPDESK_BENCH_SPEEDUPS_ON (names of PROPOSALS): the gunicorn
configuration written for the benchmark adds hooks to
deploy/gunicorn.conf.py's that take trytond's originals after the fork,
before trytond is imported (post_fork), and put them back, or apply the
proposals, once the application and its modules are loaded
(post_worker_init). Nothing of this is in the product."""

import json
import os
import random
import statistics
import sys
import time

import dataset
from bench_ticket_list_first_page import (
    LIMIT, SEARCH_VALUE, check_search_value, read_fields)
from harness import (
    BENCH, ROOT, GunicornServer, benchmark, create_database, drop_database,
    say, summary)

DATABASE = 'bench_helpdesk_speedups'
OFF_VARIABLE = 'HELPDESK_BENCH_SPEEDUPS_OFF'
STATE_VARIABLE = 'HELPDESK_BENCH_SPEEDUPS_STATE'
# The share of the call under which an override does not pay for itself
THRESHOLD = 0.05

# The overrides of speedups.py, name: what it replaces in trytond
SPEEDUPS = {
    'cursor_dict': "trytond.tools.cursor_dict (and the modules that "
    "imported it): the names of the columns taken once per result",
    'stream_encoder': "trytond.protocols.jsonrpc.encoder: the answer "
    "streamed by the items of its lists, each encoded by the C encoder",
    }
# What was removed from speedups.py (doc/upstream.rst), applied in the
# workers by the benchmark only, to measure it again
PROPOSALS = {
    'gzip_pieces': "trytond.protocols.wrappers.GzipStream.__iter__: the "
    "JSON gathered in pieces of 64 KiB before it is compressed (removed "
    "from speedups.py on 2026-12-07)",
    }
ON_VARIABLE = 'HELPDESK_BENCH_SPEEDUPS_ON'
_CURSOR_DICT_MODULES = [
    'trytond.tools', 'trytond.model.modelsql', 'trytond.ir.model',
    'trytond.ir.translation']
_originals = {}


# --- The hooks run in gunicorn's workers

def post_fork(server, worker):
    "Take trytond's originals before helpdesk_core replaces them"
    import trytond.tools
    _originals['cursor_dict'] = trytond.tools.cursor_dict


def post_worker_init(worker):
    "Put back trytond's originals of the overrides switched off"
    import importlib

    import trytond.protocols.jsonrpc as jsonrpc
    import trytond.protocols.wrappers
    off = [n for n in os.environ.get(OFF_VARIABLE, '').split(',') if n]
    for name in off:
        if name == 'cursor_dict':
            for module in _CURSOR_DICT_MODULES:
                importlib.import_module(module).cursor_dict = (
                    _originals['cursor_dict'])
        elif name == 'stream_encoder':
            jsonrpc.encoder = jsonrpc.JSONEncoder(separators=(',', ':'))
        else:
            raise ValueError(f"unknown speedup {name}")
    for name in os.environ.get(ON_VARIABLE, '').split(','):
        if name == 'gzip_pieces':
            trytond.protocols.wrappers.GzipStream.__iter__ = gzip_stream_iter
        elif name:
            raise ValueError(f"unknown proposal {name}")
    if directory := os.environ.get(STATE_VARIABLE):
        with open(os.path.join(directory, f'{os.getpid()}.json'), 'w') as fd:
            json.dump(worker_state(), fd)


def worker_state():
    "Which overrides are in place in this process"
    import trytond.model.modelsql
    import trytond.protocols.jsonrpc as jsonrpc
    import trytond.protocols.wrappers

    def ours(func):
        return func.__module__.endswith('helpdesk_core.speedups')
    return {
        'cursor_dict': all(
            ours(sys.modules[m].cursor_dict) for m in _CURSOR_DICT_MODULES),
        'cursor_dict_any': ours(trytond.model.modelsql.cursor_dict),
        'gzip_pieces': (trytond.protocols.wrappers.GzipStream.__iter__
            is gzip_stream_iter),
        'stream_encoder': type(jsonrpc.encoder).__module__.endswith(
            'helpdesk_core.speedups'),
        }


PIECE_SIZE = 64 * 1024


def gzip_stream_iter(self):
    """The proposal of doc/upstream.rst for GzipStream.__iter__: the JSON
    gathered in pieces of PIECE_SIZE before it is compressed, instead of
    each string of the encoder's stream on its own"""
    pieces, size = [], 0
    for chunk in self.iterator:
        pieces.append(chunk)
        size += len(chunk)
        if size >= PIECE_SIZE:
            compressed = self.compressor.compress(
                ''.join(pieces).encode('utf-8'))
            pieces, size = [], 0
            if compressed:
                yield compressed
    if pieces:
        compressed = self.compressor.compress(''.join(pieces).encode('utf-8'))
        if compressed:
            yield compressed
    tail = self.compressor.flush()
    if tail:
        yield tail


GUNICORN_CONF = """\
# deploy/gunicorn.conf.py with the hooks of bench/bench_speedups.py
import sys
sys.path.insert(0, {bench!r})
with open({deploy!r}) as fd:
    exec(compile(fd.read(), {deploy!r}, 'exec'))
from bench_speedups import post_fork, post_worker_init  # noqa
"""


class SpeedupsServer(GunicornServer):
    "gunicorn as `make serve` runs it, with the overrides off switched off"

    def __init__(self, database, workers, off, on=(), **kwargs):
        super().__init__(database, workers, **kwargs)
        self.off = off
        self.on = on

    def command(self, config):
        path = os.path.join(self._tmp.name, 'gunicorn.conf.py')
        with open(path, 'w') as fd:
            fd.write(GUNICORN_CONF.format(
                    bench=BENCH,
                    deploy=os.path.join(ROOT, 'deploy', 'gunicorn.conf.py')))
        self.state_dir = os.path.join(self._tmp.name, 'state')
        os.makedirs(self.state_dir)
        return [*super().command(config)[:-1], path]

    def environ(self, env, config):
        return {
            **super().environ(env, config),
            OFF_VARIABLE: ','.join(self.off),
            ON_VARIABLE: ','.join(self.on),
            STATE_VARIABLE: self.state_dir,
            }

    def states(self):
        "The overrides in place in each worker (by process id)"
        states = {}
        for name in os.listdir(self.state_dir):
            with open(os.path.join(self.state_dir, name)) as fd:
                states[int(name.split('.')[0])] = json.load(fd)
        return states


def _variants():
    """(key, the overrides switched off, the proposals switched on): all on
    (production), each one off, none, and the proposals added to all and
    put in the place of stream_encoder (they win the same time of the
    answer)"""
    return ([('all_on', [], [])]
        + [(f'{name}_off', [name], []) for name in SPEEDUPS]
        + [('all_off', list(SPEEDUPS), [])]
        + [(f'plus_{name}', [], [name]) for name in PROPOSALS]
        + [(f'{name}_instead_of_stream_encoder', ['stream_encoder'], [name])
            for name in PROPOSALS])


def _gain(without, with_, rounds=2000, seed=14):
    """The share of the call's median that the override wins (median
    without, median with) and its 95 % interval by bootstrap: within noise
    when the interval holds 0"""
    def gain(a, b):
        off = statistics.median(a)
        return (off - statistics.median(b)) / off
    rng = random.Random(seed)
    draws = sorted(gain(rng.choices(without, k=len(without)),
            rng.choices(with_, k=len(with_))) for _ in range(rounds))
    return (round(gain(without, with_), 3),
        [round(draws[int(rounds * 0.025)], 3),
            round(draws[int(rounds * 0.975)], 3)])


def _check_states(server, off, on, workers):
    "Fail unless every worker has exactly the overrides asked for"
    deadline = time.monotonic() + 120
    while len(states := server.states()) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{workers - len(states)} workers not ready")
        time.sleep(0.2)
    for pid, state in states.items():
        for name in SPEEDUPS:
            if state[name] == (name in off):
                raise RuntimeError(
                    f"worker {pid}: {name} is {'on' if state[name] else 'off'}"
                    f" (asked off: {off})")
        for name in PROPOSALS:
            if state[name] != (name in on):
                raise RuntimeError(
                    f"worker {pid}: {name} is {'on' if state[name] else 'off'}"
                    f" (asked off: {off})")
        if state['cursor_dict_any'] != state['cursor_dict']:
            raise RuntimeError(f"worker {pid}: cursor_dict half replaced")
    return states


@benchmark(
    'speedups',
    "What each override of trytond in helpdesk_core/speedups.py wins on "
    "the agent list's first page (search + read of 80 tickets, gzip "
    "accepted) at 100k tickets, under gunicorn as `make serve` runs it: "
    "servers with all the overrides, each one switched off, and none, "
    "measured round robin")
def run(options):
    if options.quick:
        tickets, iterations, warmup = 5000, 10, 2
    else:
        tickets, iterations, warmup = 100_000, 200, 10
    workers = os.cpu_count() or 1
    base = dataset.ensure_base(options)
    check_search_value(base)
    create_database(DATABASE, template=base)
    variants = _variants()
    servers = {}
    try:
        dataset.insert_tickets(DATABASE, tickets, seed=0.14)
        for key, off, on in variants:
            say(f"  starting gunicorn ({workers} workers), {key}")
            servers[key] = SpeedupsServer(DATABASE, workers, off, on).start()
        states = {key: _check_states(servers[key], off, on, workers)
            for key, off, on in variants}
        clients, fields = {}, None
        for key, server in servers.items():
            client = clients[key] = server.client()
            client.login(dataset.AGENT_LOGIN, dataset.AGENT_PASSWORD)
            if fields is None:
                view = client.model(
                    'helpdesk.ticket', 'fields_view_get', None, 'tree')
                fields = read_fields(view)
        samples = {key: {'search': [], 'read': [], 'page': []}
            for key in servers}
        answers = {}
        rng = random.Random(14)
        say(f"  measuring {iterations} pages per variant at {tickets} "
            "tickets")
        for i in range(warmup + iterations):
            order = list(servers)
            rng.shuffle(order)
            for key in order:
                client = clients[key]
                t0 = time.perf_counter()
                ids = client.model(
                    'helpdesk.ticket', 'search', SEARCH_VALUE, 0, LIMIT,
                    None)
                t1 = time.perf_counter()
                rows = client.model('helpdesk.ticket', 'read', ids, fields)
                t2 = time.perf_counter()
                if i >= warmup:
                    samples[key]['search'].append((t1 - t0) * 1000)
                    samples[key]['read'].append((t2 - t1) * 1000)
                    samples[key]['page'].append((t2 - t0) * 1000)
                else:
                    answers[key] = (ids, rows)
        for client in clients.values():
            client.close()
    finally:
        for server in servers.values():
            server.stop()
        if not options.keep:
            drop_database(DATABASE)

    # Every variant answers the same
    reference = answers['all_on']
    for key, answer in answers.items():
        if answer != reference:
            differences = [
                (i, name, row[name], ref[name])
                for i, (row, ref) in enumerate(zip(answer[1], reference[1]))
                for name in ref if row.get(name) != ref[name]]
            raise RuntimeError(
                f"{key} answers differently from all_on: "
                f"ids {answer[0] == reference[0]}, {differences[:5]}")
    assert len(reference[0]) == LIMIT, len(reference[0])

    results = {}
    for key, off, on in variants:
        results[key] = {
            'off': off,
            'on': on,
            **{f'{part}_ms': summary(values)
                for part, values in samples[key].items()},
            'samples_ms': {part: [round(v, 2) for v in values]
                for part, values in samples[key].items()},
            }
    on = results['all_on']
    verdicts, targets = {}, []
    for key, _, _ in variants[1:]:
        entry = results[key]
        for part in ['search', 'read', 'page']:
            median = entry[f'{part}_ms']['median']
            entry[f'{part}_ratio'] = round(
                median / on[f'{part}_ms']['median'], 3)
        # What the overrides switched off win when on: the share of the call
        entry['gain_share_of_page'], entry['gain_interval'] = _gain(
            samples[key]['page'], samples['all_on']['page'])
        say(f"    {key:<26} page median {entry['page_ms']['median']:6.1f} ms"
            f" (search {entry['search_ms']['median']:.1f} + read "
            f"{entry['read_ms']['median']:.1f}), x{entry['page_ratio']} of "
            f"all on, gain {entry['gain_share_of_page']:+.1%} "
            f"{entry['gain_interval']}")
    say(f"    {'all_on':<26} page median {on['page_ms']['median']:6.1f} ms"
        f" (search {on['search_ms']['median']:.1f} + read "
        f"{on['read_ms']['median']:.1f})")
    for name in SPEEDUPS:
        off = results[f'{name}_off']
        gain, interval = off['gain_share_of_page'], off['gain_interval']
        pays = gain >= THRESHOLD and interval[0] > 0
        verdicts[name] = {
            'replaces': SPEEDUPS[name],
            'page_median_on_ms': on['page_ms']['median'],
            'page_median_off_ms': off['page_ms']['median'],
            'read_median_on_ms': on['read_ms']['median'],
            'read_median_off_ms': off['read_ms']['median'],
            'ratio_off_to_on': off['page_ratio'],
            'gain_share_of_page': gain,
            'gain_interval': interval,
            'pays_for_itself': pays,
            }
        targets.append({
                'name': f"{name} wins at least {THRESHOLD:.0%} of the "
                "first page (the others on), beyond noise",
                'metric': f'verdicts.{name}.gain_share_of_page',
                'target': f'>= {THRESHOLD}, interval above 0',
                'measured': f'{gain} {interval}',
                'met': pays,
                })
    for name in PROPOSALS:
        plus = results[f'plus_{name}']
        # What adding it to the overrides kept would win
        gain, interval = _gain(
            samples['all_on']['page'], samples[f'plus_{name}']['page'])
        verdicts[name] = {
            'replaces': PROPOSALS[name],
            'page_median_without_ms': on['page_ms']['median'],
            'page_median_with_ms': plus['page_ms']['median'],
            'gain_share_of_page': gain,
            'gain_interval': interval,
            'instead_of_stream_encoder_page_median_ms': results[
                f'{name}_instead_of_stream_encoder']['page_ms']['median'],
            'pays_for_itself': gain >= THRESHOLD and interval[0] > 0,
            }
    return {
        'parameters': {
            'tickets': tickets,
            'iterations': iterations,
            'warmup_iterations': warmup,
            'limit': LIMIT,
            'domain': SEARCH_VALUE,
            'read_fields': fields,
            'server': f"gunicorn, deploy/gunicorn.conf.py ({workers} "
            "workers of gthread), one server per variant, all running "
            "side by side; the calls go round robin over the variants in "
            "a shuffled order",
            'client': "harness.RpcClient: keep-alive, Accept-Encoding gzip",
            'variants': {key: {'off': off, 'on': on}
                for key, off, on in variants},
            'worker_states': {key: list(s.values())
                for key, s in states.items()},
            'threshold': f"an override that wins less than {THRESHOLD:.0%} "
            "of the page (search + read) with the others on, or whose "
            "gain's 95 % bootstrap interval holds 0, does not pay for "
            "itself",
            'database': DATABASE,
            },
        'results': results,
        'verdicts': verdicts,
        'targets': targets,
        }


if __name__ == '__main__':
    # The gunicorn workers import this file by its name
    sys.exit("Run it with bench/run.py --only speedups")
