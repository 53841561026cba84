# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""helpdesk-worker: trytond-worker that ends when it loses its database

trytond's worker pulls the tasks and listens for new ones on one connection
kept for its whole run. When PostgreSQL restarts, that connection is dead
and every pull fails on it: the worker goes on without ever running a task
again, the acknowledgements and e-mails of the queue wait for good. This
worker ends instead, with exit code 75 (EX_TEMPFAIL), and its supervisor
(systemd's Restart=always in deploy/helpdesk-worker.service, make serve)
starts it again on a new connection. Everything else is trytond-worker's:
the same options, the same loop (doc/design.rst, "The queue worker")."""

import logging
import os
import sys

EX_TEMPFAIL = 75
logger = logging.getLogger(__name__)


class ConnectionLost(Exception):
    "The worker's connection to the database is lost"


def _config_file(argv):
    "The configuration file given by -c or --config"
    for i, arg in enumerate(argv):
        if arg in {'-c', '--config'} and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith('--config='):
            return arg.split('=', 1)[1]


def _queue_class():
    from trytond import backend, worker

    class Queue(worker.Queue):
        def pull(self, name=None):
            try:
                return super().pull(name=name)
            except backend.DatabaseOperationalError:
                if self.connection.closed or self.connection.broken:
                    raise ConnectionLost(self.database.name)
                raise
    return Queue


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    config_file = _config_file(argv)
    if config_file and os.environ.get('TRYTOND_CONFIG') != os.path.abspath(
            config_file):
        # trytond reads its configuration when it is first imported, as the
        # package of this module imports it: start again with it
        os.environ['TRYTOND_CONFIG'] = os.path.abspath(config_file)
        os.execv(sys.executable, [
                sys.executable, '-m', 'trytond.modules.helpdesk_core.worker',
                *argv])

    import trytond.worker
    from trytond import backend
    from trytond.cli import worker as cli
    trytond.worker.Queue = _queue_class()
    sys.argv[1:] = argv
    try:
        cli.main()
    except (ConnectionLost, backend.DatabaseOperationalError) as exception:
        logger.critical(
            "lost the connection to the database (%s): ending, to be "
            "started again by the supervisor", exception)
        return EX_TEMPFAIL
    return 0


if __name__ == '__main__':
    sys.exit(main())
