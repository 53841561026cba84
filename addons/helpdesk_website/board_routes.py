# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The routes of the agent board, under /<database>/helpdesk/board/: the
list of the boards, the board of a team, its data, the moves of the cards
and the poll that tells the board when tickets changed

The agent is known by a Tryton session of their own, opened from the web
client's menu (agent_session.py); every request runs as the agent with
their access rights and record rules."""

import datetime as dt
from http import HTTPStatus

from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.protocols.wrappers import Response, with_pool
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import agent_session, board, security, website
from .livechat_routes import SHORT_POLL, _long_poll, _poll_mode
from .routes import (
    PREFIX, PRIORITIES, PageError, _, _static, _vendor_directory, page, route)

BOARD_COOKIE = 'helpdesk_board'
MAX_SEARCH = 100

# The routes that only read still write the time of the board's session
# (ir.session), which keeps it alive: no route is read-only
agent = agent_session.agent_page(
    BOARD_COOKIE, _("Open the board from the Helpdesk menu of Tryton."),
    access=True)


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _language(site, user):
    "The language asked for (?lang=), else the user's, else the browser's"
    return website.best_language(
        site.request.accept_languages, site.request.args.get('lang'),
        user.language.code if user.language else None)


def _check_ticket_access():
    pool = Pool()
    ModelAccess = pool.get('ir.model.access')
    if not ModelAccess.check('helpdesk.ticket', 'read', raise_exception=False):
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "You may not see the tickets of the helpdesk."))


def _team(site, team_id):
    "The team of the board, if the agent may see it"
    Team = site.pool.get('helpdesk.team')
    teams = Team.search([('id', '=', team_id)], limit=1)
    if not teams:
        raise PageError(HTTPStatus.NOT_FOUND)
    return teams[0]


def _filters(site):
    args = site.request.args
    who = args.get('who')
    return {
        'who': who if who in {'mine', 'unassigned'} else None,
        'urgent': args.get('urgent') == '1',
        'text': args.get('q', '').strip()[:MAX_SEARCH] or None,
        }


def _stages(team):
    "The stages of the team's board, in their order"
    return team.get_stages()


class Cards:
    "The cards of the board in the language of the page"

    def __init__(self, site, user, language):
        self.site = site
        self.user = user
        self.language = language
        company = user.company
        self.fmt = website.Formatter(
            language, timezone=company.timezone if company else None)
        self.priorities = {
            k: website.gettext(language, v) for k, v in PRIORITIES}
        self.now = dt.datetime.now()

    def card(self, row):
        deadline = row.get('sla_deadline')
        band = row.get('waiting_band')
        assignee = row.get('user.') or {}
        party = row.get('party.') or {}
        return {
            'id': row['id'],
            'number': row['number'] or '',
            'name': row['name'],
            'customer': party.get('rec_name') or row['contact_name'] or '',
            'assignee': assignee.get('rec_name') or '',
            'mine': row['user'] == self.user.id,
            'priority': row['priority'],
            'priority_string': self.priorities.get(row['priority'], ''),
            'stage': row['stage'],
            'sla': 'sla_deadline' in row,
            'deadline': self.fmt.datetime(deadline, 'short')
            if deadline else '',
            'overdue': bool(deadline and deadline < self.now),
            'band': band or '',
            'last': board.last_writer(row) or '',
            }

    def cards(self, ids):
        rows = board.read_cards(ids)
        return [self.card(rows[i]) for i in ids if i in rows]


def _board_data(site, user, team):
    "The columns of the board with their counts and first cards"
    language = _language(site, user)
    with Transaction().set_context(language=language):
        stages = _stages(team)
        domain = board.board_domain(team, **_filters(site))
        stage_ids = [s.id for s in stages]
        counts = board.stage_counts(domain, stage_ids)
        unfolded = [s.id for s in stages if not s.fold]
        first = board.first_cards(domain, unfolded)
        cards = Cards(site, user, language)
        rows = board.read_cards([i for ids in first.values() for i in ids])
        columns = []
        for stage in stages:
            ids = first.get(stage.id, [])
            columns.append({
                    'id': stage.id,
                    'name': stage.name,
                    'category': stage.category,
                    'fold': bool(stage.fold),
                    'count': counts[stage.id],
                    'cards': [cards.card(rows[i]) for i in ids if i in rows],
                    })
    return {
        'team': {'id': team.id, 'name': team.rec_name},
        'stages': columns,
        'stamp': board.stamp(team),
        'sla': 'sla_deadline' in site.pool.get('helpdesk.ticket')._fields,
        'band': 'waiting_band' in site.pool.get('helpdesk.ticket')._fields,
        }


# --- The pages

@app.route(PREFIX + '/vendor/sortablejs/<path:path>', methods=['GET'])
def vendor_sortablejs(request, database_name, path):
    "SortableJS from npm (web/node_modules), for the cards' drag and drop"
    return _static(
        request, _vendor_directory('sortablejs', '', 'sortablejs'), path)


@page(readonly=False)
@route('/board', methods=['GET'])
def board_teams(site):
    """The list of the boards: opened from the web client with a key of
    Tryton's session, exchanged at once for a session of the board"""
    args = site.request.args
    if agent_session.exchange_key(site, BOARD_COOKIE):
        team = _int(args.get('team'))
        path = ('board', team) if team else ('board',)
        return agent_session.redirect(
            site, site.url(*path, lang=args.get('lang')))
    return _board_teams(site)


@agent
def _board_teams(site, user, key):
    pool = site.pool
    Team = pool.get('helpdesk.team')
    _check_ticket_access()
    language = _language(site, user)
    with Transaction().set_context(language=language):
        teams = Team.search([])
        counts = board.open_counts(teams)
        html = website.render(
            'board_teams.html', language, site=site, operator=user,
            teams=teams, counts=counts)
    return site.response(Response(
            html, content_type='text/html; charset=utf-8'))


@page(readonly=False)
@route('/board/<int:team_id>', methods=['GET'])
@agent
def board_page(site, user, key, team_id):
    _check_ticket_access()
    team = _team(site, team_id)
    language = _language(site, user)
    html = website.render(
        'board.html', language, site=site, operator=user, team=team,
        csrf_token=security.csrf_token(key),
        board_root=site.url('board', team.id),
        poll_interval=SHORT_POLL, fmt=website.Formatter(language))
    return site.response(Response(
            html, content_type='text/html; charset=utf-8'))


@page(readonly=False)
@route('/board/<int:team_id>/data', methods=['GET'])
@agent
def board_data(site, user, key, team_id):
    _check_ticket_access()
    team = _team(site, team_id)
    data = _board_data(site, user, team)
    data['poll'] = _poll_mode()
    data['interval'] = SHORT_POLL
    return site.json(data)


@page(readonly=False)
@route('/board/<int:team_id>/stages/<int:stage_id>', methods=['GET'])
@agent
def board_stage(site, user, key, team_id, stage_id):
    "More cards of a column, or those of a folded column"
    _check_ticket_access()
    team = _team(site, team_id)
    if stage_id not in {s.id for s in _stages(team)}:
        raise PageError(HTTPStatus.NOT_FOUND)
    offset = max(_int(site.request.args.get('offset'), 0), 0)
    limit = min(
        max(_int(site.request.args.get('limit'), board.CARDS), 1),
        board.MAX_CARDS)
    language = _language(site, user)
    with Transaction().set_context(language=language):
        domain = board.board_domain(team, **_filters(site))
        ids = board.stage_cards(domain, stage_id, offset, limit + 1)
        cards = Cards(site, user, language).cards(ids[:limit])
    return site.json({'cards': cards, 'more': len(ids) > limit})


@page()
@route('/board/<int:team_id>/move', methods=['POST'])
@agent
def board_move(site, user, key, team_id):
    """Move a ticket to another stage as the agent: a write of the stage
    with the agent's access rights and record rules, refused with the
    server's message; answers the stage the ticket is in"""
    pool = site.pool
    Ticket = pool.get('helpdesk.ticket')
    form = site.request.form
    ticket_id = _int(form.get('ticket'))
    stage_id = _int(form.get('stage'))
    # The ticket of the team the agent may see; the domain of the stage
    # refuses a stage of another team
    tickets = Ticket.search([
            ('id', '=', ticket_id),
            ('team', '=', team_id),
            ], limit=1) if ticket_id and stage_id else []
    if not tickets:
        raise PageError(HTTPStatus.NOT_FOUND, _(
                "This ticket is no longer on the board of the team."))
    ticket, = tickets
    if ticket.stage.id != stage_id:
        Ticket.write([ticket], {'stage': stage_id})
    # The card is read again by the reload that the move causes
    return site.json({'ticket': ticket.id, 'stage': ticket.stage.id})


@app.route(PREFIX + '/board/<int:team_id>/poll', methods=['GET'])
@with_pool
@_long_poll
def board_poll(site, phase, team_id):
    """The board waits until tickets of the team change: at once when they
    changed since the board's stamp, else on Tryton's bus (PostgreSQL), or
    the board polls again (SQLite)"""
    user, _key = agent_session.session_user(site, BOARD_COOKIE)
    if not user:
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "Open the board from the Helpdesk menu of Tryton."))
    with Transaction().set_user(user.id), Transaction().set_context(
            agent_session.agent_context(user, company=True)):
        try:
            team = _team(site, team_id)
        except AccessError:
            raise PageError(HTTPStatus.FORBIDDEN)
    stamp = board.stamp(team)
    mode = _poll_mode()
    changed = stamp != site.request.args.get('stamp')
    if phase == 'first' and mode == 'long' and not changed:
        return {}, [board.team_channel(team.id)]
    return {'changed': changed, 'poll': mode}, []
