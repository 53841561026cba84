# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The routes of the live chat, under /<database>/helpdesk/livechat/: the
visitor's widget (on the website's pages and in the frame that other sites
embed) and the console of the operators

A visitor is known by the token of their chat: an HttpOnly cookie on the
website's pages, a header sent by the widget in the embedded frame. The
operators are known by a Tryton session of their own (ir.session), opened
from the web client's menu. Messages are waited for on Tryton's bus when it
is available, the widget and the console poll otherwise."""

import os
import threading
import time
from functools import wraps
from http import HTTPStatus

import trytond.bus
import trytond.config as config
from trytond import backend
from trytond.bus import Bus, LongPollingBus
from trytond.exceptions import UserError
from trytond.modules.helpdesk_core.bus import set_endpoint
from trytond.protocols.wrappers import Response, with_pool
from trytond.tools.email_ import normalize_email
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import agent_session, board, livechat, security, website
from .routes import PREFIX, PageError, Site, _, _error, page, route

VISITOR_COOKIE = 'helpdesk_livechat'
VISITOR_HEADER = 'X-Livechat-Token'
CONSOLE_COOKIE = 'helpdesk_console'
CSRF_HEADER = 'X-CSRF-Token'
# How long the widget and the console wait between two polls without bus
SHORT_POLL = 2000  # milliseconds
# How long a request waits for the bus listener it starts to listen
LISTEN_TIMEOUT = 5  # seconds


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _require_fetch(site):
    """The widget's requests carry a header no form of another site can
    send without our permission (we grant no CORS): they come from our
    pages or our frame"""
    if site.request.headers.get('X-Requested-With') != 'fetch':
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "This request did not come from the chat of this website."))


def _visitor_token(site):
    """The token of the visitor's chat: the header of the embedded frame,
    else the cookie of the website's pages, whose requests carry the CSRF
    token of the page"""
    token = site.request.headers.get(VISITOR_HEADER)
    if token:
        return token, 'header'
    return site.request.cookies.get(VISITOR_COOKIE), 'cookie'


def _check_csrf_header(site):
    token = (site.request.headers.get(CSRF_HEADER)
        or site.request.form.get(security.CSRF_FIELD))
    if not security.check_csrf(site.csrf_secret, token):
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "This form has expired or did not come from this website. "
                "Go back, reload the page and try again."))


def _visitor_session(site, write=False):
    "The visitor's chat, or 404: nobody sees the chat of another"
    Session = site.pool.get('helpdesk.livechat.session')
    token, kind = _visitor_token(site)
    if write:
        _require_fetch(site)
        if kind == 'cookie':
            _check_csrf_header(site)
    session = Session.from_token(token)
    if not session:
        raise PageError(HTTPStatus.NOT_FOUND, _(
                "This chat has ended or is not yours."))
    return session


def _livechat_team(site, team_id):
    Team = site.pool.get('helpdesk.team')
    teams = Team.search([
            ('id', '=', team_id),
            ('livechat', '=', True),
            ], limit=1)
    if not teams:
        raise PageError(HTTPStatus.NOT_FOUND)
    return teams[0]


def _widget_teams(site, team_id=None):
    "The teams the widget offers: the team of the page, else all with chat"
    Team = site.pool.get('helpdesk.team')
    if team_id:
        teams = Team.search([
                ('id', '=', team_id), ('livechat', '=', True)], limit=1)
        if teams:
            return teams
    return Team.livechat_teams()


def _visitor_values(site):
    form = site.request.form
    values = {
        'name': form.get('name', '').strip()[:200],
        'email': form.get('email', '').strip()[:200],
        'content': _text(form.get('content', ''))[:livechat.MAX_MESSAGE],
        'subject': form.get('subject', '').strip()[:200],
        }
    errors = {}
    if site.user:
        values['email'] = site.user.email
        if not values['name'] and site.user.party:
            values['name'] = site.user.party.rec_name
    if not values['name']:
        errors['name'] = site.gettext("Enter your name.")
    if website.is_email(values['email']):
        values['email'] = normalize_email(values['email'])
    else:
        errors['email'] = site.gettext("Enter a valid e-mail address.")
    if not values['content']:
        errors['content'] = site.gettext("Write your message.")
    return values, errors


def _text(value):
    return value.replace('\r\n', '\n').replace('\r', '\n').strip()


def _poll_mode():
    return 'long' if livechat.bus_available() else 'short'


def _set_visitor_cookie(site, token):
    site.cookies[VISITOR_COOKIE] = token


# --- The visitor's widget

def _widget_values(site, team_id=None, frame=False):
    teams = _widget_teams(site, team_id)
    online = {t.id: t.livechat_online() for t in teams}
    token, kind = _visitor_token(site)
    session = None
    if not frame and kind == 'cookie':
        Session = site.pool.get('helpdesk.livechat.session')
        session = Session.from_token(token)
        if session and session.state == 'closed':
            session = None
    return {
        'livechat_teams': teams,
        'livechat_online': online,
        'livechat_session': session,
        'livechat_frame': frame,
        'livechat_root': site.url('livechat'),
        'poll_mode': _poll_mode(),
        'poll_interval': SHORT_POLL,
        }


@page(readonly=True)
@route('/livechat/widget', methods=['GET'])
def livechat_widget(site):
    "The widget of the website's pages, as a fragment of HTML"
    values = _widget_values(site, _int(site.request.args.get('team')))
    if not values['livechat_teams']:
        return site.response(Response(status=HTTPStatus.NO_CONTENT))
    html = website.render(
        'livechat_widget.html', site.language, site=site,
        csrf_token=site.csrf_token, user=site.user, **values)
    return site.response(Response(
            html, content_type='text/html; charset=utf-8'))


def _frame_headers(response):
    """The frame is shown in the pages of other sites: they may frame it
    (the origins of [helpdesk_website] livechat_origins, any by default)"""
    origins = config.get(
        'helpdesk_website', 'livechat_origins', default='*').split()
    response.headers.pop('X-Frame-Options', None)
    csp = security.SECURITY_HEADERS['Content-Security-Policy'].replace(
        "frame-ancestors 'none'", 'frame-ancestors ' + ' '.join(origins))
    response.headers['Content-Security-Policy'] = csp
    # The frame opens no window: no opener to protect
    response.headers.pop('Cross-Origin-Opener-Policy', None)
    response.headers['Referrer-Policy'] = 'no-referrer'
    return response


@page(readonly=True)
@route('/livechat/frame/<int:team_id>', methods=['GET'])
def livechat_frame(site, team_id):
    "The widget that embed.js shows in the pages of another site"
    team = _livechat_team(site, team_id)
    values = _widget_values(site, team.id, frame=True)
    response = site.render('livechat_frame.html', **values)
    return _frame_headers(response)


@app.route(PREFIX + '/livechat/embed.js', methods=['GET'])
def livechat_embed(request, database_name):
    "The script of the snippet that other sites paste into their pages"
    path = os.path.join(website.STATIC, 'livechat-embed.js')
    with open(path, 'rb') as fp:
        script = fp.read()
    response = Response(
        script, content_type='text/javascript; charset=utf-8')
    response.headers['Cache-Control'] = 'public, max-age=3600'
    response.headers['X-Content-Type-Options'] = 'nosniff'
    # Any site may load it, even one that isolates its resources
    response.headers['Cross-Origin-Resource-Policy'] = 'cross-origin'
    response.headers['Access-Control-Allow-Origin'] = '*'
    return response


@page()
@route('/livechat/start', methods=['POST'])
def livechat_start(site):
    "The visitor starts a chat with an operator of the team"
    Session = site.pool.get('helpdesk.livechat.session')
    _require_fetch(site)
    frame = site.request.form.get('mode') == 'frame'
    if not frame:
        _check_csrf_header(site)
    site.check_honeypot()
    team = _livechat_team(site, _int(site.request.form.get('team')))
    values, errors = _visitor_values(site)
    if errors:
        return site.json({'errors': errors}, status=HTTPStatus.BAD_REQUEST)
    if not team.livechat_online():
        return site.json({'offline': True}, status=HTTPStatus.CONFLICT)
    site.check_rate('livechat')
    session, token = Session.start(
        team, values['name'], values['email'], site.language,
        content=values['content'])
    data = {
        'chat': session.visitor_view(),
        'poll': _poll_mode(),
        'interval': SHORT_POLL,
        }
    if frame:
        # The frame of another site may not get our cookie: the widget
        # keeps the token, in the storage of our origin
        data['token'] = token
    else:
        _set_visitor_cookie(site, token)
    return site.json(data)


@page()
@route('/livechat/leave', methods=['POST'])
def livechat_leave(site):
    "The visitor leaves a message while nobody is online: it is a ticket"
    Session = site.pool.get('helpdesk.livechat.session')
    _require_fetch(site)
    if site.request.form.get('mode') != 'frame':
        _check_csrf_header(site)
    site.check_honeypot()
    team = _livechat_team(site, _int(site.request.form.get('team')))
    values, errors = _visitor_values(site)
    if errors:
        return site.json({'errors': errors}, status=HTTPStatus.BAD_REQUEST)
    site.check_rate('livechat')
    try:
        ticket = Session.leave_message(
            team, values['name'], values['email'], values['subject'],
            values['content'], site.language)
    except UserError as exception:
        Transaction().rollback()
        return site.json(
            {'errors': {'form': exception.message}},
            status=HTTPStatus.BAD_REQUEST)
    return site.json({
            'ticket': ticket.number,
            'text': site.gettext(
                "Thank you: your message is our ticket %(number)s. We "
                "answer it by e-mail at %(email)s.",
                number=ticket.number, email=values['email']),
            })


@page()
@route('/livechat/message', methods=['POST'])
def livechat_message(site):
    "The visitor writes in their chat"
    session = _visitor_session(site, write=True)
    content = _text(site.request.form.get('content', ''))
    if not content:
        return site.json(
            {'errors': {'content': site.gettext("Write your message.")}},
            status=HTTPStatus.BAD_REQUEST)
    try:
        message = session.visitor_post(content)
    except UserError as exception:
        Transaction().rollback()
        return site.json(
            {'errors': {'form': exception.message}},
            status=HTTPStatus.BAD_REQUEST)
    return site.json({'message': message.as_dict()})


@page()
@route('/livechat/close', methods=['POST'])
def livechat_close(site):
    "The visitor ends their chat"
    session = _visitor_session(site, write=True)
    session.visitor_close()
    site.cookies[VISITOR_COOKIE] = None
    return site.json({'chat': session.visitor_view()})


def _ensure_listener(database):
    """Have the listener of Tryton's bus run before the database is read:
    a message committed between that read and the first subscription of
    the process would be missed until the long poll times out

    LongPollingBus starts its listener on the first subscription; this does
    what it does, and waits for the listener to listen."""
    if not (isinstance(Bus, type) and issubclass(Bus, LongPollingBus)):
        return
    pid = os.getpid()
    with Bus._queues_lock[pid]:
        start = (pid, database) not in Bus._queues
        Bus._queues[pid, database]['timeout'] = (
            time.time() + config.getint('database', 'timeout'))
        if start:
            Bus._messages.pop(database, None)
            listener = threading.Thread(
                target=Bus._listen, args=(database,), daemon=True)
            Bus._queues[pid, database]['listener'] = listener
            listener.start()
    if start:
        deadline = time.monotonic() + LISTEN_TIMEOUT
        while (database not in Bus._messages
                and time.monotonic() < deadline and listener.is_alive()):
            time.sleep(0.01)


def _wait(database, channels, last):
    """Wait on Tryton's bus for a message on one of the channels after the
    message last; returns the id of the message that woke us, or last"""
    try:
        response = Bus.subscribe(database, channels, last or None)
    except Exception:
        # The bus listener failed: the client polls again
        return last
    message = response.get('message') or {}
    return message.get('message_id') or last


def _start(pool, request, readonly=False):
    return Transaction().start(
        pool.database_name, 0, readonly=readonly,
        context={'_request': request.context})


def _long_poll(func):
    """Decorate a route that answers at once when there is news, else
    waits on the bus out of any transaction: func(site, phase, **kwargs)
    returns (data, channels) and is called once (phase 'first'), then again
    after the wait (phase 'after'); channels empty means answer now"""
    @wraps(func)
    def wrapper(request, pool, **kwargs):
        database = pool.database_name
        bus_id = request.args.get('bus') or None
        retry = config.getint('database', 'retry')
        if livechat.bus_available_config():
            _ensure_listener(database)
        for phase in ['first', 'after']:
            for count in range(retry, -1, -1):
                with _start(pool, request) as transaction:
                    site = Site(request, pool, database)
                    try:
                        with transaction.set_context(language=site.language):
                            data, channels = func(site, phase, **kwargs)
                    except PageError as exception:
                        transaction.rollback()
                        return _error(site, exception)
                    except backend.DatabaseOperationalError:
                        # Another request of the same visitor or operator
                        # wrote the same row: as with_transaction does
                        transaction.rollback()
                        if count:
                            continue
                        raise
                    transaction.commit()
                break
            if phase == 'first' and channels:
                bus_id = _wait(database, channels, bus_id)
                continue
            break
        data['bus'] = bus_id
        data['poll'] = 'long' if channels or phase == 'after' else data.get(
            'poll', 'short')
        data.setdefault('interval', SHORT_POLL)
        return site.json(data)
    return wrapper


@app.route(PREFIX + '/livechat/poll', methods=['GET'])
@with_pool
@_long_poll
def livechat_poll(site, phase):
    """The visitor's widget waits for the news of their chat: the messages
    after the id after, the operator, the ticket"""
    session = _visitor_session(site)
    after = _int(site.request.args.get('after'), 0)
    session.visitor_here()
    data = session.visitor_view(after=after)
    data['poll'] = _poll_mode()
    channels = []
    if (phase == 'first' and data['poll'] == 'long'
            and not data['messages'] and session.state != 'closed'):
        channels = [livechat.session_channel(session.id)]
    return {'chat': data, 'poll': data['poll']}, channels


# --- The console of the operators

def _console_user(site):
    """The operator of the console's session cookie, or None: a valid
    Tryton session of a user who answers the chats of a team"""
    return agent_session.session_user(site, CONSOLE_COOKIE)


# Decorate a route of the console: a transaction of its operator, whose
# console session is checked, or 403
console = agent_session.agent_page(
    CONSOLE_COOKIE, _("Open the console from the Helpdesk menu of Tryton."))


@page(readonly=False)
@route('/livechat/console', methods=['GET'])
def livechat_console(site):
    """The console of the operator: opened from the web client with a key
    of Tryton's session, exchanged at once for a session of the console"""
    pool = site.pool
    User = pool.get('res.user')
    args = site.request.args
    # The key of the address is used once: it opens the console's own
    # session, which the address cannot give away again
    if agent_session.exchange_key(site, CONSOLE_COOKIE):
        return agent_session.redirect(
            site, site.url('livechat', 'console', lang=args.get('lang')))
    Presence = pool.get('helpdesk.livechat.presence')
    user, key = _console_user(site)
    if not user:
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "Open the console from the Helpdesk menu of Tryton."))
    Presence.seen_now(user.id)
    # The language asked for (?lang=), else the user's, else the browser's
    language = website.best_language(
        site.request.accept_languages, site.request.args.get('lang'),
        user.language.code if user.language else None)
    html = website.render(
        'livechat_console.html', language, site=site, user=user,
        operator=User(user.id), csrf_token=security.csrf_token(key),
        livechat_root=site.url('livechat'), poll_mode=_poll_mode(),
        poll_interval=SHORT_POLL)
    return site.response(Response(
            html, content_type='text/html; charset=utf-8'))


@app.route(PREFIX + '/livechat/console/poll', methods=['GET'])
@with_pool
@_long_poll
def livechat_console_poll(site, phase):
    """The console waits for the news of the teams of the operator: the
    waiting chats and the messages of their chats after the id after"""
    Presence = site.pool.get('helpdesk.livechat.presence')
    Session = site.pool.get('helpdesk.livechat.session')
    Message = site.pool.get('helpdesk.livechat.message')
    user, _key = _console_user(site)
    if not user:
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "Open the console from the Helpdesk menu of Tryton."))
    after = _int(site.request.args.get('after'), 0)
    transaction = Transaction()
    with transaction.set_user(user.id):
        Presence.seen_now(user.id)
        mode = _poll_mode()
        if (phase == 'first' and mode == 'long' and after
                and Message.last_id() <= after):
            Team = site.pool.get('helpdesk.team')
            teams = Team.livechat_teams_of(user.id)
            return {}, [livechat.team_channel(t.id) for t in teams] or [
                livechat.team_channel(0)]
        data = Session.console_view(user.id, after=after)
    data['poll'] = mode
    return data, []


def _operator_session(site, user, session_id):
    Session = site.pool.get('helpdesk.livechat.session')
    sessions = Session.search([('id', '=', session_id)], limit=1)
    if not sessions:
        raise PageError(HTTPStatus.NOT_FOUND)
    session, = sessions
    session.check_operator(user.id)
    return session


@page(readonly=False)
@route('/livechat/console/chats/<int:session_id>', methods=['GET'])
@console
def livechat_console_chat(site, user, key, session_id):
    "The whole chat, for the console that has just got it"
    session = _operator_session(site, user, session_id)
    return site.json(session.visitor_view())


@page()
@route('/livechat/console/chats/<int:session_id>/take', methods=['POST'])
@console
def livechat_console_take(site, user, key, session_id):
    session = _operator_session(site, user, session_id)
    session.take(user)
    return site.json({'ok': True})


@page()
@route('/livechat/console/chats/<int:session_id>/send', methods=['POST'])
@console
def livechat_console_send(site, user, key, session_id):
    "The operator's reply; '/ticket subject' makes the ticket of the chat"
    session = _operator_session(site, user, session_id)
    content = _text(site.request.form.get('content', ''))
    if not content:
        return site.json(
            {'error': site.gettext("Write your message.")},
            status=HTTPStatus.BAD_REQUEST)
    result = session.operator_post(user, content)
    if result.__name__ == 'helpdesk.ticket':
        return site.json({'ticket': result.number, 'ticket_id': result.id})
    return site.json({'message': result.as_dict()})


@page()
@route('/livechat/console/chats/<int:session_id>/ticket', methods=['POST'])
@console
def livechat_console_ticket(site, user, key, session_id):
    session = _operator_session(site, user, session_id)
    subject = site.request.form.get('subject', '').strip()[:200]
    ticket = session.make_ticket(user, subject or None)
    return site.json({'ticket': ticket.number, 'ticket_id': ticket.id})


@page()
@route('/livechat/console/chats/<int:session_id>/handover', methods=['POST'])
@console
def livechat_console_handover(site, user, key, session_id):
    User = site.pool.get('res.user')
    session = _operator_session(site, user, session_id)
    to_user = _int(site.request.form.get('operator'))
    users = User.search([('id', '=', to_user)], limit=1) if to_user else []
    if not users:
        raise PageError(HTTPStatus.NOT_FOUND)
    session.hand_over(user, users[0])
    return site.json({'ok': True})


@page()
@route('/livechat/console/chats/<int:session_id>/close', methods=['POST'])
@console
def livechat_console_close(site, user, key, session_id):
    session = _operator_session(site, user, session_id)
    session.operator_close(user)
    return site.json({'ok': True})


@page()
@route('/livechat/console/away', methods=['POST'])
@console
def livechat_console_away(site, user, key):
    "The operator leaves: the widget no longer says they are online"
    Presence = site.pool.get('helpdesk.livechat.presence')
    Presence.gone(user.id)
    return site.json({'ok': True})


# --- Tryton's bus never listens to the channels of the live chat and of
# the boards

def _guard(subscribe):
    @wraps(subscribe)
    def wrapper(request, database_name):
        data = request.parsed_data
        if isinstance(data, dict) and data.get('channels'):
            data['channels'] = [
                c for c in data['channels']
                if not str(c).startswith((livechat.CHANNEL, board.CHANNEL))]
        return subscribe(request, database_name)
    wrapper.helpdesk_livechat_guard = True
    return wrapper


def install():
    for rule in list(app.url_map.iter_rules()):
        endpoint = rule.endpoint
        if getattr(endpoint, 'helpdesk_livechat_guard', False):
            continue
        if (endpoint is trytond.bus.subscribe
                or getattr(endpoint, '__wrapped__', None)
                is trytond.bus.subscribe):
            set_endpoint(rule, _guard(endpoint))


install()
