# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Tickets that wait for the customer in vain: warned, then closed"""

import datetime as dt
import logging

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

# How long before closing the customer is warned
WARNING_DELAY = dt.timedelta(days=1)


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    inactive_close_days = fields.Integer(
        "Close Inactive Tickets After",
        domain=['OR',
            ('inactive_close_days', '=', None),
            ('inactive_close_days', '>', 0),
            ],
        help="The number of days after which a ticket waiting for the "
        "customer without an answer is solved; the customer is warned a "
        "day before.\n"
        "Leave empty to never close them.")


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    waiting_date = fields.Timestamp(
        "Waiting Since", readonly=True,
        help="When the ticket started to wait for the customer.")
    inactive_warning_date = fields.Timestamp(
        "Inactivity Warning Date", readonly=True,
        help="When the customer was warned that the waiting ticket will be "
        "closed without an answer.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The waiting tickets of a team by how long they have waited
        cls._sql_indexes.add(
            Index(t,
                (t.team, Index.Equality()),
                (t.waiting_date, Index.Range()),
                where=t.state == 'waiting'))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and values.get('state') == 'waiting':
            values['waiting_date'] = dt.datetime.now()
        return values

    @classmethod
    def on_write(cls, tickets, values):
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        callbacks = super().on_write(tickets, values)
        if values.get('stage'):
            category, _ = Stage.get_ticket_state(values['stage'])
            waiting = category == 'waiting'
            # A new waiting period starts; leaving waiting ends it
            changed = [
                t.id for t in tickets if (t.state == 'waiting') != waiting]
            if changed:
                date = dt.datetime.now() if waiting else None
                callbacks.append(
                    lambda: cls._set_waiting(changed, date))
        return callbacks

    @classmethod
    def _set_waiting(cls, ids, date, warning=None):
        """Store when the tickets started to wait (unless date is False)
        and when their customer was warned, directly as the dates of the
        conversation are: no agent's form looks modified by the cron"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        columns, values = [table.inactive_warning_date], [warning]
        if date is not False:
            columns.append(table.waiting_date)
            values.append(date)
        for sub_ids in grouped_slice(ids, MAX_QUERY_PARAMS):
            cursor.execute(*table.update(
                    columns, values, where=table.id.in_(list(sub_ids))))
        for cache in Transaction().cache.values():
            if cls.__name__ in cache:
                for id_ in ids:
                    cache[cls.__name__].pop(id_, None)

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('waiting_date', None)
        default.setdefault('inactive_warning_date', None)
        return super().copy(tickets, default=default)

    @classmethod
    def _inactive_domain(cls, team, since):
        "The domain of the team's tickets waiting with no news since"
        return [
            ('team', '=', team.id),
            ('state', '=', 'waiting'),
            ('waiting_date', '<=', since),
            ['OR',
                ('last_customer_message', '=', None),
                ('last_customer_message', '<=', since),
                ],
            ]

    @classmethod
    def close_inactive(cls, now=None):
        """Warn the customers of the tickets that waited for them a day less
        than their team allows and solve those they were warned of a day
        ago at least"""
        pool = Pool()
        Team = pool.get('helpdesk.team')
        if now is None:
            now = dt.datetime.now()
        transaction = Transaction()
        teams = Team.search([('inactive_close_days', '!=', None)])
        for team in teams:
            if 'solved' not in {s.category for s in team.get_stages()}:
                logger.warning(
                    "team %s has no solved stage: "
                    "its inactive tickets stay open", team.rec_name)
                continue
            deadline = now - dt.timedelta(days=team.inactive_close_days)
            with transaction.set_context(company=team.company.id):
                to_close = cls.search([
                        cls._inactive_domain(team, deadline),
                        ('inactive_warning_date', '<=', now - WARNING_DELAY),
                        ], order=[('id', 'ASC')])
                if to_close:
                    cls._close_inactive(to_close)
                to_warn = cls.search([
                        cls._inactive_domain(team, deadline + WARNING_DELAY),
                        ('inactive_warning_date', '=', None),
                        ], order=[('id', 'ASC')])
                if to_warn:
                    cls._warn_inactive(to_warn, now)

    @classmethod
    def _post_to_customers(cls, tickets, message_id):
        """Post the message as the system in the conversation of each
        ticket, in its customer's language

        The channels and the messages are created in bulk: the cron posts
        on many tickets at once."""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        User = pool.get('res.user')
        transaction = Transaction()
        resources = [str(t) for t in tickets]
        channels = {}
        for sub_resources in grouped_slice(resources, MAX_QUERY_PARAMS):
            channels.update((str(c.resource), c) for c in Channel.search([
                        ('resource', 'in', list(sub_resources)),
                        ]))
        missing = [r for r in resources if r not in channels]
        if missing:
            channels.update(zip(missing, Channel.create([
                            {'resource': r} for r in missing])))
        messages = []
        for ticket in tickets:
            with transaction.set_context(
                    language=ticket.chat_language(audience='public')):
                text = gettext(message_id, ticket=ticket.rec_name)
            messages.append(Message(
                    channel=channels[str(ticket)], user=0,
                    audience='public', content=text))
        Message.save(messages)
        root = User(0)
        for message in messages:
            Channel.dispatch_message(message, lambda u: u == root)

    @classmethod
    def _warn_inactive(cls, tickets, now):
        cls._post_to_customers(
            tickets, 'helpdesk_core.msg_ticket_inactive_warning')
        cls._set_waiting([t.id for t in tickets], False, warning=now)

    @classmethod
    def _close_inactive(cls, tickets):
        cls._post_to_customers(
            tickets, 'helpdesk_core.msg_ticket_inactive_closed')
        cls._move_to(tickets, 'solved')


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('helpdesk.ticket|close_inactive',
                    "Close Inactive Helpdesk Tickets"),
                ])
