# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Automatic assignment bookkeeping

Decisions for a team are serialized with a transaction-scoped advisory lock.
On PostgreSQL the transaction's snapshot may predate the decisions committed
while it waited for the lock, so the figures are read and the counters
written through a separate autocommit connection that sees them all.
"""

import datetime as dt
import weakref
from collections import defaultdict
from contextlib import contextmanager

from sql import Cast, Literal, Select
from sql.aggregate import Count

from trytond import backend
from trytond.model import ModelSQL, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .stage import CLOSING_CATEGORIES

# "HDAS" in the high half of the advisory lock key, the team id in the low
_LOCK_PREFIX = int.from_bytes(b'HDAS', 'big') << 32
# The assignments of each transaction not yet visible to the others
_pending = weakref.WeakKeyDictionary()
# The (team, user) counters each transaction keeps itself
_kept = weakref.WeakKeyDictionary()


def _fresh_reads():
    return backend.name == 'postgresql'


@contextmanager
def _cursor():
    "Yield a cursor that sees every committed assignment"
    if _fresh_reads():
        with Transaction().new_transaction(autocommit=True) as transaction:
            yield transaction.connection.cursor()
    else:
        yield Transaction().connection.cursor()


class Assignment(ModelSQL):
    __name__ = 'helpdesk.team.assignment'

    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    count = fields.Integer("Tickets Assigned", required=True)
    last_date = fields.Timestamp("Last Assignment")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('team_user_unique', Unique(t, t.team, t.user),
                'helpdesk_core.msg_team_assignment_unique'),
            ]

    @classmethod
    def default_count(cls):
        return 0

    @classmethod
    def lock_team(cls, team):
        "Wait until no other transaction decides for the team"
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        key = Cast(Literal(_LOCK_PREFIX | team.id), 'BIGINT')
        cursor.execute(*Select([
                    transaction.database.lock_id(key, timeout=True)]))

    @classmethod
    def get_stats(cls, team, user_ids):
        "Return {user id: (tickets ever assigned, last assignment date)}"
        table = cls.__table__()
        query = table.select(
            table.user, table.count, table.last_date,
            where=(table.team == team.id) & table.user.in_(user_ids))
        stats = {}
        with _cursor() as cursor:
            cursor.execute(*query)
            stats.update({u: (c, d) for u, c, d in cursor})
        if _fresh_reads():
            # Counts kept by this transaction for uncommitted teams or users
            cursor = Transaction().connection.cursor()
            cursor.execute(*query)
            for user_id, count, date in cursor:
                if count > stats.get(user_id, (0, None))[0]:
                    stats[user_id] = (count, date)
        return stats

    @classmethod
    def open_counts(cls, team, user_ids):
        "Return {user id: open tickets in the team}"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        ticket = Ticket.__table__()
        counts = defaultdict(int)
        with _cursor() as cursor:
            cursor.execute(*ticket.select(
                    ticket.user, Count(ticket.id),
                    where=(ticket.team == team.id)
                    & ticket.user.in_(user_ids)
                    & ~ticket.state.in_(list(CLOSING_CATEGORIES))
                    & (ticket.active == Literal(True)),
                    group_by=[ticket.user]))
            counts.update(cursor)
        if _fresh_reads():
            # Those of this transaction are not committed yet
            for (team_id, user_id), count in _pending.get(
                    Transaction(), {}).items():
                if team_id == team.id:
                    counts[user_id] += count
        return counts

    @classmethod
    def record(cls, team, user, date=None):
        "Count one more ticket of the team assigned to the user"
        if date is None:
            date = dt.datetime.now()
        transaction = Transaction()
        cls.lock_team(team)
        kept = _kept.setdefault(transaction, set())
        if (team.id, user.id) in kept:
            # Another connection would wait for this transaction's counter
            cls._increment(transaction.connection.cursor(), team, user, date)
        else:
            try:
                with _cursor() as cursor:
                    cls._increment(cursor, team, user, date)
            except backend.DatabaseIntegrityError:
                # The team or the user is not committed yet, so nobody else
                # decides for them: this transaction may keep the count
                cls._increment(
                    transaction.connection.cursor(), team, user, date)
                kept.add((team.id, user.id))
        if _fresh_reads():
            pending = _pending.setdefault(Transaction(), defaultdict(int))
            pending[team.id, user.id] += 1

    @classmethod
    def _increment(cls, cursor, team, user, date):
        table = cls.__table__()
        cursor.execute(*table.update(
                [table.count, table.last_date],
                [table.count + 1, date],
                where=(table.team == team.id) & (table.user == user.id)))
        if not cursor.rowcount:
            cursor.execute(*table.insert(
                    [table.team, table.user, table.count, table.last_date,
                        table.create_uid, table.create_date],
                    [[team.id, user.id, 1, date,
                        Transaction().user, dt.datetime.now()]]))
