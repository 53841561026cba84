# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The agent board: a team's tickets in one column per stage, served
beside the web client (board_routes.py)

Every read and every move runs as the agent, with the model access and the
record rules of the agent (check_access), as the web client's calls do."""

import datetime as dt

from sql import Literal, Window
from sql.aggregate import Count, Max
from sql.conditionals import Coalesce
from sql.functions import RowNumber
from sql.operators import Equal

from trytond.bus import Bus
from trytond.model import Index, ModelView
from trytond.modules.helpdesk_core.stage import CLOSING_CATEGORIES
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

from . import agent_session
from .team import website_url

# The prefix of the bus channels of the boards: the route of Tryton's bus
# never listens to them (livechat_routes.py), only the boards' poll does
CHANNEL = 'helpdesk.board'
# The cards a column shows at first and at each "more"
CARDS = 50
MAX_CARDS = 200


def team_channel(team_id):
    return f'{CHANNEL}.team:{team_id}'


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # The columns of a team's board, in the order of the cards
                Index(
                    t, (t.team, Index.Equality()),
                    (t.stage, Index.Equality()),
                    (t.priority, Index.Range(order='DESC')),
                    (t.id, Index.Range(order='DESC')),
                    where=t.active == Literal(True)),
                })

    @classmethod
    def on_write(cls, tickets, values):
        callbacks = super().on_write(tickets, values)
        if 'team' in values:
            # The board of the team the tickets leave changes too
            teams = {t.team.id for t in tickets}
            callbacks.append(lambda: cls._board_changed(teams))
        return callbacks

    @classmethod
    def on_modification(cls, mode, tickets, field_names=None):
        super().on_modification(mode, tickets, field_names=field_names)
        if mode != 'delete':
            cls._board_changed({t.team.id for t in tickets})

    @classmethod
    def on_delete(cls, tickets):
        callbacks = super().on_delete(tickets)
        teams = {t.team.id for t in tickets}
        callbacks.append(lambda: cls._board_changed(teams))
        return callbacks

    @classmethod
    def _board_changed(cls, team_ids):
        """Wake up the boards of the teams (delivered at commit), also from
        the processes that serve no bus (a worker, a cron, a script)"""
        if not team_ids or not Transaction().database.has_channel():
            return
        for team_id in sorted(team_ids):
            Bus.publish(team_channel(team_id), {'type': 'board'})

    @classmethod
    def board_fields(cls):
        "The fields a card reads: the SLA and the waiting band when there"
        names = [
            'number', 'name', 'priority', 'stage', 'user', 'user.rec_name',
            'party', 'party.rec_name', 'contact_name',
            'last_customer_message', 'last_agent_message']
        for optional in ['sla_deadline', 'waiting_band']:
            if optional in cls._fields:
                names.append(optional)
        return names


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'open_board': {
                    'invisible': Eval('id', -1) < 0,
                    'depends': ['id'],
                    },
                })

    @classmethod
    @ModelView.button_action('helpdesk_website.wizard_board_open')
    def open_board(cls, teams):
        pass


class OpenBoard(Wizard):
    "Open the board of a team (from its form) or the list of the boards"
    __name__ = 'helpdesk.board.open'

    start = StateAction('helpdesk_website.url_board')

    def do_start(self, action):
        """The address of the board with a new key of the user's Tryton
        session: the board exchanges it at once for its own"""
        context = Transaction().context
        team = None
        if context.get('active_model') == 'helpdesk.team':
            team = context.get('active_id')
        action['url'] = agent_session.open_url(website_url('board'), team=team)
        return action, {}


# --- What the board shows

def board_domain(team, who=None, urgent=False, text=None):
    "The domain of the tickets of the team's board with the filters"
    domain = [('team', '=', team.id)]
    if who == 'mine':
        domain.append(('user', '=', Transaction().user))
    elif who == 'unassigned':
        domain.append(('user', '=', None))
    if urgent:
        domain.append(('priority', '=', '3'))
    if text:
        like = '%' + text.replace('\\', '\\\\').replace(
            '%', '\\%').replace('_', '\\_') + '%'
        domain.append(['OR',
                ('rec_name', 'ilike', like),
                ('party.rec_name', 'ilike', like),
                ])
    return domain


def stage_counts(domain, stage_ids):
    "The number of tickets of the domain in each stage, as the agent sees"
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    table = Ticket.__table__()
    cursor = Transaction().connection.cursor()
    counts = dict.fromkeys(stage_ids, 0)
    if not stage_ids:
        return counts
    query = Ticket.search(domain, order=[], query=True)
    cursor.execute(*table.select(
            table.stage, Count(table.id),
            where=table.id.in_(query) & table.stage.in_(list(stage_ids)),
            group_by=[table.stage]))
    counts.update(cursor)
    return counts


def first_cards(domain, stage_ids, limit=CARDS):
    """The ids of the first tickets of each stage in the order of the
    cards, with one query"""
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    table = Ticket.__table__()
    cursor = Transaction().connection.cursor()
    if not stage_ids:
        return {}
    query = Ticket.search(domain, order=[], query=True)
    ranked = table.select(
        table.id, table.stage,
        RowNumber(window=_card_window(table)).as_('rank'),
        where=table.id.in_(query) & table.stage.in_(list(stage_ids)))
    cursor.execute(*ranked.select(
            ranked.stage, ranked.id,
            where=ranked.rank <= limit,
            order_by=[ranked.stage, ranked.rank]))
    cards = {s: [] for s in stage_ids}
    for stage_id, ticket_id in cursor:
        cards[stage_id].append(ticket_id)
    return cards


def _card_window(table):
    return Window(
        [table.stage], order_by=[table.priority.desc, table.id.desc])


def stage_cards(domain, stage_id, offset=0, limit=CARDS):
    "The ids of the tickets of a stage after offset in the order of the cards"
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    return [t.id for t in Ticket.search(
            domain + [('stage', '=', stage_id)],
            offset=offset, limit=limit,
            order=[('priority', 'DESC'), ('id', 'DESC')])]


def read_cards(ids):
    "The rows of the cards of the ticket ids, by id"
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    if not ids:
        return {}
    return {r['id']: r for r in Ticket.read(ids, Ticket.board_fields())}


def last_writer(row):
    "Who wrote last in the ticket's conversation: customer, agent or None"
    customer = row.get('last_customer_message')
    agent = row.get('last_agent_message')
    if customer and (not agent or customer > agent):
        return 'customer'
    if agent:
        return 'agent'
    return None


def stamp(team):
    """What changes when a ticket of the team's board changes: the last
    modification of the team's tickets and their number, read as root"""
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    table = Ticket.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(
            Max(Coalesce(table.write_date, table.create_date)),
            Count(table.id),
            where=Equal(table.team, team.id)))
    last, count = cursor.fetchone()
    if isinstance(last, dt.datetime):
        last = last.isoformat()
    return f'{last}/{count}'


def open_counts(teams):
    "The number of open tickets of each team, as the agent sees"
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    table = Ticket.__table__()
    cursor = Transaction().connection.cursor()
    counts = {t.id: 0 for t in teams}
    if not teams:
        return counts
    query = Ticket.search([
            ('team', 'in', list(counts)),
            ('state', 'not in', sorted(CLOSING_CATEGORIES)),
            ], order=[], query=True)
    cursor.execute(*table.select(
            table.team, Count(table.id),
            where=table.id.in_(query),
            group_by=[table.team]))
    counts.update(cursor)
    return counts
