# Helpdesk for Tryton: gunicorn's configuration, serving trytond's WSGI
# application (trytond.application:app) with several worker processes.
#
#     TRYTOND_CONFIG=/etc/helpdesk/trytond.conf \
#     TRYTOND_DATABASE_NAMES=helpdesk \
#         gunicorn -c /etc/helpdesk/gunicorn.conf.py
#
# `make serve` uses this file as it is; deploy/helpdesk-web.service runs it
# under systemd. The environment variables below (HELPDESK_*) override the
# defaults. doc/deployment.rst tells why gunicorn and how many workers.

import multiprocessing
import os

wsgi_app = 'trytond.application:app'

bind = os.environ.get('HELPDESK_BIND', '127.0.0.1:8000').split()

# One process per core: a trytond process runs Python code most of the
# time and holds the GIL while it does, so processes, not threads, use the
# cores
workers = int(
    os.environ.get('HELPDESK_WORKERS') or multiprocessing.cpu_count())

# A few threads per process: a long poll of the bus (the web client's
# notifications, the live chat, the board) waits up to
# [bus] long_polling_timeout seconds without using the CPU, and must not
# hold the whole process meanwhile
worker_class = 'gthread'
threads = int(os.environ.get('HELPDESK_THREADS') or 4)

# No preloading: each worker imports trytond and opens its own connections
# to PostgreSQL after the fork (a connection must not be shared by two
# processes)
preload_app = False

# Above the bus's long polling (60 s in deploy/trytond.conf) and the
# slowest report; a worker silent for longer is killed and replaced
timeout = int(os.environ.get('HELPDESK_TIMEOUT') or 120)
graceful_timeout = 30
keepalive = 5

# Replace a worker after so many requests: memory stays bounded whatever a
# module keeps; the jitter keeps the workers from restarting together
max_requests = int(os.environ.get('HELPDESK_MAX_REQUESTS') or 5000)
max_requests_jitter = max_requests // 10

# The access log on standard output (journald under systemd); trytond's
# own logging is configured by TRYTOND_LOGGING_CONFIG or
# TRYTOND_LOGGING_LEVEL
accesslog = os.environ.get('HELPDESK_ACCESS_LOG', '-') or None
errorlog = '-'
proc_name = 'helpdesk-web'
# gunicorn's control socket (~/.gunicorn/gunicorn.ctl) is one per user:
# two servers of one user would take it from each other. systemd and
# signals (HUP: reload, TERM: stop) do what it does
control_socket_disable = True
# trytond reads X-Forwarded-For itself ([web] num_proxies)
forwarded_allow_ips = os.environ.get(
    'HELPDESK_FORWARDED_ALLOW_IPS', '127.0.0.1')
