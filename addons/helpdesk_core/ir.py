# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
from secrets import compare_digest

from sql import Null
from sql.conditionals import Coalesce

import trytond.config as config
from trytond import backend
from trytond.pool import PoolMeta
from trytond.tools import sqlite_apply_types
from trytond.transaction import Transaction

# The models whose record rules depend on the user
_USER_RULE_MODELS = {
    'helpdesk.ticket',
    }


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if model_name in _USER_RULE_MODELS:
            context['user_id'] = Transaction().user
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        key = super()._get_cache_key(model_names)
        if model_names & _USER_RULE_MODELS:
            key = (*key, Transaction().user)
        return key


class Session(metaclass=PoolMeta):
    __name__ = 'ir.session'

    @classmethod
    def check(cls, user, key, domain=None):
        """Check the key as ir.session does, with one query

        Every RPC call checks its session: the search and the read of the
        sessions of the user cost a millisecond of server time per call."""
        if domain:
            return super().check(user, key, domain=domain)
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        now = dt.datetime.now()
        timeout = dt.timedelta(seconds=config.getint('session', 'max_age'))
        ip_address, _ = transaction.remote_address()
        if ip_address:
            same_address = table.ip_address == str(ip_address)
        else:
            same_address = table.ip_address == Null
        query = table.select(
            table.id, table.key,
            table.create_date.as_('create_date'),
            Coalesce(table.write_date, table.create_date).as_(
                'last_modified_at'),
            where=(table.create_uid == user) & same_address,
            order_by=table.id)
        if backend.name == 'sqlite':
            sqlite_apply_types(query, [None, None, 'DATETIME', 'DATETIME'])
        cursor.execute(*query)
        find, last_reset = None, None
        to_delete = []
        for session_id, session_key, create_date, last_modified_at in cursor:
            if abs(create_date - now) < timeout:
                if compare_digest(session_key, key):
                    find = True
                    last_reset = last_modified_at
            else:
                if find is None and compare_digest(session_key, key):
                    find = False
                to_delete.append(session_id)
        cls.delete(cls.browse(to_delete))
        if find:
            cls._session_reset_cache.set(key, last_reset)
        return find
