# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""What the benchmarks share: the registry, statistics, the description of
the machine, PostgreSQL databases, a real trytond server process and a
JSON-RPC client that talks to it as the web client (sao) does."""

import base64
import datetime as dt
import gzip
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, 'bench')
PG_URI = os.environ.get(
    'HELPDESK_PG_URI', 'postgresql://postgres@127.0.0.1:5432/')

REGISTRY = {}


class Benchmark:
    "A registered benchmark: a function called with the run's options"

    def __init__(self, name, func, description):
        self.name = name
        self.func = func
        self.description = description

    def __call__(self, options):
        return self.func(options)


def benchmark(name, description):
    "Register the decorated function as the benchmark name"
    def register(func):
        assert name not in REGISTRY, name
        REGISTRY[name] = Benchmark(name, func, description)
        return func
    return register


def say(*args):
    print(*args, file=sys.stderr, flush=True)


# --- Statistics

def percentile(samples, p):
    "The p-th percentile (0-100) by linear interpolation between ranks"
    values = sorted(samples)
    if not values:
        return None
    k = (len(values) - 1) * p / 100
    lower = int(k)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (k - lower)


def summary(samples, digits=3):
    "Median, p95 and friends of samples"
    if not samples:
        return {'count': 0}
    return {
        'count': len(samples),
        'median': round(statistics.median(samples), digits),
        'p95': round(percentile(samples, 95), digits),
        'p99': round(percentile(samples, 99), digits),
        'mean': round(statistics.fmean(samples), digits),
        'min': round(min(samples), digits),
        'max': round(max(samples), digits),
        }


# --- The machine, the software, the commit

def _cpu_model():
    try:
        with open('/proc/cpuinfo') as fd:
            for line in fd:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_bytes():
    try:
        with open('/proc/meminfo') as fd:
            for line in fd:
                if line.startswith('MemTotal:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass


def _os_release():
    try:
        with open('/etc/os-release') as fd:
            for line in fd:
                if line.startswith('PRETTY_NAME='):
                    return line.split('=', 1)[1].strip().strip('"')
    except OSError:
        pass


def _version(distribution):
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _git(*args):
    try:
        return subprocess.run(
            ['git', *args], cwd=ROOT, capture_output=True, text=True,
            check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine_info():
    "What the figures were measured on"
    memory = _memory_bytes()
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = None
    with connect() as conn:
        pg_version = conn.execute('SHOW server_version').fetchone()[0]
        pg_full = conn.execute('SELECT version()').fetchone()[0]
        names = [
            'shared_buffers', 'work_mem', 'effective_cache_size',
            'random_page_cost', 'max_connections', 'jit']
        pg_settings = dict(conn.execute(
                'SELECT name, current_setting(name) FROM pg_settings '
                'WHERE name = ANY(%s)', (names,)).fetchall())
    return {
        'hostname': socket.gethostname(),
        'cpu_model': _cpu_model(),
        'cpu_count': os.cpu_count(),
        'cpu_available': affinity,
        'memory_bytes': memory,
        'memory_gib': round(memory / 2 ** 30, 1) if memory else None,
        'kernel': platform.release(),
        'os': _os_release(),
        'machine': platform.machine(),
        'python': platform.python_version(),
        'postgresql': pg_version,
        'postgresql_full': pg_full,
        'postgresql_settings': pg_settings,
        'trytond': _version('trytond'),
        'psycopg': _version('psycopg'),
        'psycopg_impl': _psycopg_impl(),
        }


def _psycopg_impl():
    "python, c or binary: psycopg's libpq wrapper"
    try:
        import psycopg
        return psycopg.pq.__impl__
    except ImportError:
        return None


def calibrate(rounds=5):
    """Median duration in ms of a fixed pure Python workload: how fast
    this machine runs Python now (other load on it shows here too)"""
    durations = []
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for i in range(300_000):
            total += i * i % 7
        durations.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(durations), 1)


def conditions():
    "The load of the machine at this moment"
    return {
        'time': now_iso(),
        'loadavg': [round(x, 2) for x in os.getloadavg()],
        'calibration_ms': calibrate(),
        }


def git_info():
    status = _git('status', '--porcelain', '--untracked-files=no')
    return {
        'commit': _git('rev-parse', 'HEAD'),
        'branch': _git('rev-parse', '--abbrev-ref', 'HEAD'),
        'dirty': bool(status) if status is not None else None,
        }


def write_result(directory, name, result):
    "Write result as <directory>/<YYYY-MM-DD>-<name>.json, return the path"
    os.makedirs(directory, exist_ok=True)
    date = result['date'][:10]
    path = os.path.join(directory, f'{date}-{name}.json')
    tmp = path + '.tmp'
    with open(tmp, 'w') as fd:
        json.dump(result, fd, indent=2, sort_keys=False)
        fd.write('\n')
    os.replace(tmp, path)
    return path


def now_iso():
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(
        timespec='seconds')


# --- PostgreSQL

def database_uri(name=''):
    url = urllib.parse.urlparse(PG_URI)
    return urllib.parse.urlunparse(url._replace(path='/' + name))


def connect(name='postgres', autocommit=True):
    import psycopg
    return psycopg.connect(database_uri(name), autocommit=autocommit)


def drop_database(name):
    with connect() as conn:
        conn.execute(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
            'WHERE datname = %s AND pid <> pg_backend_pid()', (name,))
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def create_database(name, template='template0'):
    "Create the database name, dropping it first if it exists"
    drop_database(name)
    with connect() as conn:
        if template == 'template0':
            conn.execute(
                f'CREATE DATABASE "{name}" TEMPLATE template0 '
                "ENCODING 'UTF8'")
        else:
            conn.execute(
                'SELECT pg_terminate_backend(pid) FROM pg_stat_activity '
                'WHERE datname = %s AND pid <> pg_backend_pid()',
                (template,))
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def database_exists(name):
    with connect() as conn:
        return bool(conn.execute(
                'SELECT 1 FROM pg_database WHERE datname = %s',
                (name,)).fetchone())


# --- trytond

def venv_script(name):
    "The path of a console script installed beside the running Python"
    path = os.path.join(os.path.dirname(sys.executable), name)
    return path if os.path.exists(path) else name


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def write_config(directory, port=None, extra=None):
    """Write a trytond configuration for the benchmarks, return its path

    extra adds sections: {section: {option: value}}"""
    path = os.path.join(directory, 'trytond.conf')
    lines = [
        '[database]',
        f'uri = {PG_URI}',
        'language = en',
        '',
        ]
    if port:
        lines += ['[web]', f'listen = 127.0.0.1:{port}', '']
    for section, options in (extra or {}).items():
        lines.append(f'[{section}]')
        lines += [f'{name} = {value}' for name, value in options.items()]
        lines.append('')
    with open(path, 'w') as fd:
        fd.write('\n'.join(lines))
    return path


SQL_LOG_CONF = """\
[formatters]
keys=plain

[formatter_plain]
format=%(message)s

[handlers]
keys=sql,console

[handler_sql]
class=FileHandler
args=({path!r}, 'w')
formatter=plain
level=DEBUG

[handler_console]
class=StreamHandler
args=(sys.stderr,)
level=ERROR

[loggers]
keys=root,sql

[logger_root]
level=ERROR
handlers=console

[logger_sql]
qualname=trytond.backend.postgresql.database
level=DEBUG
handlers=sql
propagate=0
"""


class TrytondServer:
    """One real trytond process serving database on a free local port

    With sql_log set to a path, every SQL statement the server runs is
    written to that file (trytond's cursor logging at DEBUG level).
    config adds sections to the server's configuration (see write_config).
    With worker set (a number: how many), `[queue] worker = True` and that
    many `trytond-worker` processes (each with one worker process of its
    own: `-n 1`) run beside the server, as in production: the tasks of
    Tryton's queue leave the request.
    """

    def __init__(self, database, sql_log=None, start_timeout=120,
            config=None, worker=False):
        self.database = database
        self.sql_log = sql_log
        self.config = config
        if worker:
            self.config = {**(config or {}), 'queue': {'worker': 'True'}}
        self.worker = int(worker)
        self.worker_processes = []
        self.start_timeout = start_timeout
        self.port = None
        self.process = None
        self._tmp = None

    def start(self):
        self._tmp = tempfile.TemporaryDirectory(prefix='helpdesk-bench-')
        self.port = free_port()
        config = write_config(self._tmp.name, self.port, self.config)
        cmd = self.command(config)
        if self.sql_log:
            logconf = os.path.join(self._tmp.name, 'logging.conf')
            with open(logconf, 'w') as fd:
                fd.write(SQL_LOG_CONF.format(path=self.sql_log))
            cmd += ['--logconf', logconf]
        env = {k: v for k, v in os.environ.items()
            if not k.startswith('TRYTOND_')}
        self._stderr = open(os.path.join(self._tmp.name, 'stderr'), 'w+')
        self.process = subprocess.Popen(
            cmd, env=self.environ(env, config), stdout=subprocess.DEVNULL,
            stderr=self._stderr, start_new_session=True)
        for _ in range(self.worker):
            self.worker_processes.append(subprocess.Popen(
                    [venv_script('trytond-worker'), '-c', config,
                        '-d', self.database, '-n', '1'],
                    env=env, stdout=subprocess.DEVNULL, stderr=self._stderr,
                    start_new_session=True))
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"trytond exited with {self.process.returncode}: "
                    + self.stderr())
            try:
                version = RpcClient('127.0.0.1', self.port, None).call(
                    'common.server.version')
            except (OSError, http.client.HTTPException):
                time.sleep(0.2)
                continue
            else:
                self.version = version
                return self
        self.stop()
        raise RuntimeError("trytond did not answer in time: " + self.stderr())

    def command(self, config):
        "The command of the server process"
        return [venv_script('trytond'), '-c', config, '-d', self.database]

    def environ(self, env, config):
        "The environment of the server process"
        return env

    def stderr(self):
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read()[-4000:]

    def stop(self):
        for process in [self.process] + self.worker_processes:
            if process and process.poll() is None:
                # The whole session: a trytond-worker leaves the processes
                # of its pool running when it alone is stopped
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        for process in self.worker_processes:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.killpg(process.pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
        self.worker_processes = []
        if self._tmp:
            self._stderr.close()
            self._tmp.cleanup()
            self._tmp = None

    def client(self):
        return RpcClient('127.0.0.1', self.port, self.database)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


class GunicornServer(TrytondServer):
    """trytond.application:app under gunicorn with workers processes,
    configured by deploy/gunicorn.conf.py as `make serve` runs it (the
    bind and the number of workers from HELPDESK_BIND and
    HELPDESK_WORKERS, the access log off)"""

    def __init__(self, database, workers, **kwargs):
        super().__init__(database, **kwargs)
        self.workers = workers

    def command(self, config):
        if self.sql_log:
            raise ValueError("no SQL log under gunicorn")
        return [venv_script('gunicorn'),
            '-c', os.path.join(ROOT, 'deploy', 'gunicorn.conf.py')]

    def environ(self, env, config):
        return {
            **env,
            'TRYTOND_CONFIG': config,
            'TRYTOND_DATABASE_NAMES': self.database,
            'HELPDESK_BIND': f'127.0.0.1:{self.port}',
            'HELPDESK_WORKERS': str(self.workers),
            'HELPDESK_ACCESS_LOG': '',
            }

    def worker_pids(self):
        "The process ids of gunicorn's workers (the master's children)"
        return children(self.process.pid)


def children(pid):
    "The ids of the processes whose parent is pid"
    pids = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open(f'/proc/{entry}/stat') as fd:
                # pid (comm) state ppid ...: comm may hold spaces
                ppid = int(fd.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            pids.append(int(entry))
    return sorted(pids)


def process_memory(pid):
    """The resident memory of the process in MiB: now (VmRSS) and its
    peak (VmHWM), None once it ended"""
    values = {}
    try:
        with open(f'/proc/{pid}/status') as fd:
            for line in fd:
                if line.startswith(('VmRSS:', 'VmHWM:')):
                    name, value = line.split(':', 1)
                    values[name] = int(value.split()[0]) / 1024
    except OSError:
        return None
    return values


def http_request(connection, method, path, body, headers):
    """Send a request on the kept-alive connection (reconnecting once if
    the server closed it), return the response and its body, ungzipped"""
    for attempt in range(2):
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            break
        except (http.client.RemoteDisconnected, BrokenPipeError,
                ConnectionResetError):
            # The server closed the kept-alive connection: reconnect
            connection.close()
            if attempt:
                raise
    if (response.getheader('Content-Encoding') == 'gzip'
            and data[:2] == b'\x1f\x8b'):
        data = gzip.decompress(data)
    return response, data


class RpcError(Exception):
    pass


class RpcClient:
    """Tryton's JSON-RPC over one keep-alive HTTP connection, authenticated
    as sao does: `Authorization: Session base64(login:user_id:session)`"""

    def __init__(self, host, port, database):
        self.host = host
        self.port = port
        self.database = database
        self.path = f'/{database}/rpc/' if database else '/rpc/'
        self.connection = http.client.HTTPConnection(host, port, timeout=120)
        # As a browser: keep-alive (werkzeug's server answers
        # "Connection: close" anyway) and gzip (without it trytond streams
        # a large answer in thousands of tiny chunks)
        self.headers = {
            'Content-Type': 'application/json',
            'Connection': 'keep-alive',
            'Accept-Encoding': 'gzip',
            }
        self.context = {}
        self.user_id = None
        self._id = 0

    def call(self, method, *params):
        self._id += 1
        body = json.dumps({
                'id': self._id,
                'method': method,
                'params': list(params),
                }).encode()
        response, data = http_request(
            self.connection, 'POST', self.path, body, self.headers)
        if response.status != 200:
            raise RpcError(f"{method}: HTTP {response.status} {data[:500]!r}")
        result = json.loads(data)
        if result.get('error'):
            raise RpcError(f"{method}: {result['error']!r}")
        return result['result']

    def login(self, login, password):
        "Open a session as sao does and load the user's preferences"
        user_id, session, _ = self.call(
            'common.db.login', login, {'password': password}, 'en')
        token = base64.b64encode(
            f'{login}:{user_id}:{session}'.encode()).decode()
        self.headers['Authorization'] = f'Session {token}'
        self.user_id = user_id
        self.context = self.call('model.res.user.get_preferences', True, {})
        return user_id

    def model(self, model, method, *params, context=None):
        ctx = dict(self.context)
        if context:
            ctx.update(context)
        return self.call(f'model.{model}.{method}', *params, ctx)

    def close(self):
        self.connection.close()
