# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""`python -m unittest` with the database cache keyed by the sources.

trytond names a cached test database after the activated modules only
(test-<hash of their names> for a PostgreSQL template), so a cache built
before a model, a view or a tryton.cfg changed would be restored as if it
were current. tools/run-tests sets HELPDESK_DB_CACHE_KEY to a hash of the
sources; this mixes it into the cache names so that each state of the sources
gets its own cached databases and a stale one is never restored.

Usage: python tools/unittest_main.py [unittest arguments]
"""

import doctest
import os
import sys
import time
import unittest

# How many of the slowest test classes the run reports
SLOWEST = 8


def key_cache_names(key):
    from trytond.tests import test_tryton

    db_cache_file = test_tryton._db_cache_file

    def _db_cache_file(path, name):
        return db_cache_file(path, f'{name}@{key}')
    test_tryton._db_cache_file = _db_cache_file


def close_before_restore():
    """Close the connections this process keeps to the test database
    before a cached one replaces it, as drop_db does: trytond's restore
    from a template drops the database with them open, and PostgreSQL
    refuses ("is being accessed by other users") when a previous test left
    connections in the pool"""
    from trytond import backend
    from trytond.tests import test_tryton

    pg_restore = test_tryton._pg_restore

    def _pg_restore(cache_file):
        if test_tryton.db_exist(test_tryton.DB_NAME):
            backend.Database(test_tryton.DB_NAME).close()
        return pg_restore(cache_file)
    test_tryton._pg_restore = _pg_restore


class TimedResult(unittest.TextTestResult):
    """Report the test classes that took longest, their setUpClass and
    tearDownClass included: the time from the end of the previous test to
    the end of the class's last one"""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_seconds = {}
        self._last = time.monotonic()

    def stopTest(self, test):
        super().stopTest(test)
        now = time.monotonic()
        if isinstance(test, doctest.DocTestCase):
            name = test.id()
        else:
            name = f'{type(test).__module__}.{type(test).__qualname__}'
        self.class_seconds[name] = (
            self.class_seconds.get(name, 0) + now - self._last)
        self._last = now

    def printErrors(self):
        super().printErrors()
        slowest = sorted(
            self.class_seconds.items(), key=lambda i: i[1], reverse=True)
        if slowest:
            self.stream.writeln('Slowest test classes:')
            for name, seconds in slowest[:SLOWEST]:
                self.stream.writeln(f'  {seconds:7.1f}s  {name}')
        self.stream.flush()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # As `python -m unittest` does: the current directory first
    sys.path[0] = root
    if key := os.environ.get('HELPDESK_DB_CACHE_KEY'):
        key_cache_names(key)
    close_before_restore()
    sys.argv[0] = 'python -m unittest'
    unittest.main(module=None, testRunner=unittest.TextTestRunner(
            resultclass=TimedResult))


if __name__ == '__main__':
    main()
