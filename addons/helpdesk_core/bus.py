# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Keep the bus channels of ticket chats to those who may see the ticket

Tryton's bus route lets any signed-in user listen to any chat channel; the
route is wrapped to drop the channels of tickets the user may not see."""

from functools import wraps

import trytond.bus
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access
from trytond.wsgi import app

CHANNEL_PREFIX = 'chat:helpdesk.ticket,'


def filter_channels(channels):
    """Return the channels without those of tickets the current user
    of the transaction may not see"""
    tickets = {}
    for channel in channels:
        if channel.startswith(CHANNEL_PREFIX):
            try:
                tickets[channel] = int(channel[len(CHANNEL_PREFIX):])
            except ValueError:
                tickets[channel] = None
    if not tickets:
        return list(channels)
    pool = Pool()
    try:
        Ticket = pool.get('helpdesk.ticket')
    except KeyError:
        # The helpdesk is not activated on this database
        return list(channels)
    ids = [i for i in tickets.values() if i is not None]
    try:
        with check_access(), Transaction().set_context(active_test=False):
            visible = {t.id for t in Ticket.search([('id', 'in', ids)])}
    except AccessError:
        visible = set()
    return [
        c for c in channels if c not in tickets or tickets[c] in visible]


def visible_channels(database_name, user_id, channels):
    "Return the channels the user may listen to"
    with Transaction().start(database_name, user_id, readonly=True):
        return filter_channels(channels)


def _guard(subscribe):
    @wraps(subscribe)
    def wrapper(request, database_name):
        data = request.parsed_data
        if (isinstance(data, dict) and data.get('channels')
                and request.user_id):
            data['channels'] = visible_channels(
                database_name, request.user_id, data['channels'])
        return subscribe(request, database_name)
    wrapper.helpdesk_guard = True
    return wrapper


def set_endpoint(rule, endpoint):
    """Give the rule another endpoint, and werkzeug's index of the rules by
    endpoint too: matching a rule looks it up there"""
    rules_by_endpoint = app.url_map._rules_by_endpoint
    for key, rules in list(rules_by_endpoint.items()):
        if rule in rules:
            rules.remove(rule)
            if not rules:
                del rules_by_endpoint[key]
    rule.endpoint = endpoint
    rules_by_endpoint.setdefault(endpoint, []).append(rule)


def install():
    for rule in list(app.url_map.iter_rules()):
        if (rule.endpoint is trytond.bus.subscribe
                and not getattr(rule.endpoint, 'helpdesk_guard', False)):
            set_endpoint(rule, _guard(rule.endpoint))


install()
