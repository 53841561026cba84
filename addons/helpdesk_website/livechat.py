# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The live chat of the website: the conversations of visitors with the
operators of a team, the presence of the operators, and the tickets made
from a chat or from a message left while nobody was online

The visitor is no Tryton user: a chat is found by the digest of a random
token that only the visitor's browser holds. The operators are the agents of
the team; the console of livechat_routes.py acts with their own rights."""

import datetime as dt
import hashlib
import hmac
import secrets

from sql.aggregate import Max

import trytond.config as config
from trytond import backend
from trytond.bus import Bus
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.model.exceptions import AccessError
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import firstline, sqlite_apply_types
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

from . import portal
from .exceptions import LiveChatError
from .team import website_url

STATES = [
    ('waiting', "Waiting"),
    ('active', "In Progress"),
    ('closed', "Closed"),
    ]
AUTHORS = [
    ('visitor', "Visitor"),
    ('operator', "Operator"),
    ('system', "System"),
    ]
# The prefix of the bus channels of the live chat: the route of Tryton's
# bus never listens to them (livechat_routes.py), only ours do
CHANNEL = 'helpdesk.livechat'
MAX_MESSAGE = 4000
# The presence of an operator is written at most once in so many seconds
PRESENCE_EVERY = 5


def setting(name, default):
    return config.getint(
        'helpdesk_website', f'livechat_{name}', default=default)


def token_digest(token):
    "What the database keeps of a visitor's token: its SHA-256"
    return hashlib.sha256((token or '').encode()).hexdigest()


def bus_available():
    """Whether the messages may be waited for on Tryton's bus: a database
    with channels (PostgreSQL) and the bus allowed by [bus] allow_subscribe"""
    transaction = Transaction()
    return (transaction.database.has_channel()
        and config.getboolean('bus', 'allow_subscribe', default=False))


def bus_available_config():
    """Whether the configuration allows the bus, out of any transaction:
    the backend must have channels too (bus_available)"""
    return (backend.name == 'postgresql'
        and config.getboolean('bus', 'allow_subscribe', default=False))


def session_channel(session_id):
    return f'{CHANNEL}.session:{session_id}'


def team_channel(team_id):
    return f'{CHANNEL}.team:{team_id}'


def online_timeout():
    """How long an operator stays online after their console last asked:
    longer than a long poll of the bus lasts"""
    timeout = setting('online_timeout', 60)
    if bus_available():
        timeout = max(
            timeout, config.getint('bus', 'long_polling_timeout') + 30)
    return dt.timedelta(seconds=timeout)


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    livechat = fields.Boolean(
        "Live Chat",
        help="Show a chat on the website pages of the team, and on the "
        "other sites that embed its snippet: the visitors chat with the "
        "agents of the team.")
    livechat_snippet = fields.Function(
        fields.Text(
            "Live Chat Snippet",
            states={
                'invisible': ~Eval('livechat') | (Eval('id', -1) < 0),
                },
            help="Paste this code into the pages of another site to show "
            "the chat of the team there."),
        'get_livechat_snippet')

    @classmethod
    def default_livechat(cls):
        return False

    def get_livechat_snippet(self, name):
        return (
            '<script src="%s" data-team="%s" async></script>' % (
                website_url('livechat', 'embed.js'), self.id))

    @classmethod
    def livechat_teams(cls):
        "The teams whose chat is open to visitors"
        return cls.search([('livechat', '=', True)])

    def livechat_agent_ids(self):
        "The users who answer the chats of the team: its agents and leaders"
        return sorted(set(self.get_agent_ids()) | {
                u.id for u in self.leaders if u.active})

    def livechat_online(self):
        "Whether an operator of the team has the console open"
        pool = Pool()
        Presence = pool.get('helpdesk.livechat.presence')
        return bool(Presence.online_ids(self.livechat_agent_ids()))

    @classmethod
    def livechat_teams_of(cls, user_id):
        "The teams with live chat of which the user is an operator"
        return [
            t for t in cls.livechat_teams()
            if user_id in t.livechat_agent_ids()]


class Session(ModelSQL, ModelView):
    "A conversation of a visitor of the website with the team"
    __name__ = 'helpdesk.livechat.session'

    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, readonly=True,
        ondelete='CASCADE')
    company = fields.Many2One(
        'company.company', "Company", required=True, readonly=True)
    visitor_name = fields.Char("Visitor", required=True, readonly=True)
    visitor_email = fields.Char("E-mail", required=True, readonly=True)
    language = fields.Char("Language", readonly=True)
    token_digest = fields.Char("Token Digest", readonly=True, strip=False)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    operator = fields.Many2One(
        'res.user', "Operator", readonly=True, ondelete='SET NULL')
    taken_date = fields.Timestamp("Taken On", readonly=True)
    closed_date = fields.Timestamp("Closed On", readonly=True)
    visitor_seen = fields.Timestamp(
        "Visitor Seen", readonly=True,
        help="When the visitor's widget last asked for news.")
    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", readonly=True, ondelete='SET NULL')
    messages = fields.One2Many(
        'helpdesk.livechat.message', 'session', "Messages", readonly=True)
    wait = fields.Function(
        fields.TimeDelta("Wait"), 'get_wait')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.token_digest, Index.Equality())),
                Index(t,
                    (t.team, Index.Equality()),
                    (t.state, Index.Equality()),
                    where=t.state != 'closed'),
                Index(t, (t.ticket, Index.Equality())),
                })
        cls._order = [('create_date', 'DESC'), ('id', 'DESC')]
        cls.__rpc__ = {
            k: v for k, v in cls.__rpc__.items()
            if k not in {'create', 'write', 'delete'}}

    @classmethod
    def default_state(cls):
        return 'waiting'

    def get_rec_name(self, name):
        return '%s (%s)' % (self.visitor_name, self.team.rec_name)

    def get_wait(self, name):
        "How long the visitor has waited for an operator"
        end = self.taken_date or self.closed_date or dt.datetime.now()
        return end - self.create_date

    # The visitor

    @classmethod
    def start(cls, team, name, email, language, content=None):
        """Open a chat of the visitor with the team; returns the session
        and the token the visitor's browser keeps"""
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        if not team.livechat:
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_disabled',
                    team=team.rec_name))
        token = secrets.token_urlsafe(32)
        session, = cls.create([{
                    'team': team.id,
                    'company': team.company.id,
                    'visitor_name': name,
                    'visitor_email': email,
                    'language': language,
                    'token_digest': token_digest(token),
                    'visitor_seen': dt.datetime.now(),
                    }])
        if content:
            Message.post(session, 'visitor', content)
        else:
            session.notify()
        return session, token

    @classmethod
    def from_token(cls, token):
        "The chat of the visitor's token, or None"
        if not token or len(token) > 200:
            return None
        digest = token_digest(token)
        sessions = cls.search([('token_digest', '=', digest)], limit=1)
        if sessions and hmac.compare_digest(
                sessions[0].token_digest, digest):
            return sessions[0]
        return None

    def visitor_post(self, content):
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        if self.state == 'closed':
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_closed'))
        return Message.post(self, 'visitor', content)

    def visitor_close(self):
        if self.state != 'closed':
            self._close(gettext(
                    'helpdesk_website.msg_livechat_visitor_left',
                    visitor=self.visitor_name))

    def visitor_here(self):
        """The visitor's widget asks: note it, at most every few seconds
        (a plain update: no cache to clear, no conflict with the operator's
        writes)"""
        now = dt.datetime.now()
        seen = self.visitor_seen
        if seen and seen >= now - dt.timedelta(seconds=PRESENCE_EVERY):
            return
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.visitor_seen], [now], where=table.id == self.id))

    @property
    def visitor_online(self):
        "Whether the visitor's widget asked lately"
        return bool(self.visitor_seen and self.visitor_seen
            >= dt.datetime.now() - online_timeout())

    @classmethod
    def close_abandoned(cls, sessions):
        """Close the waiting chats whose visitor left (their widget no
        longer asks): nobody is there to answer"""
        for session in sessions:
            if session.state == 'waiting' and not session.visitor_online:
                session._close(session._gettext(
                        'helpdesk_website.msg_livechat_visitor_left',
                        visitor=session.visitor_name))

    # The operators

    def check_operator(self, user_id):
        "Raise unless the user is an operator of the team of the chat"
        if user_id not in self.team.livechat_agent_ids():
            raise AccessError(gettext(
                    'helpdesk_website.msg_livechat_not_operator',
                    chat=self.rec_name))

    def check_own(self, user_id):
        "Raise unless the chat is the user's"
        self.check_operator(user_id)
        if self.state != 'active' or not self.operator \
                or self.operator.id != user_id:
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_not_yours',
                    chat=self.rec_name))

    def take(self, user):
        "The user answers the chat, which must be waiting"
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        self.check_operator(user.id)
        # Two operators clicking at once: the first one gets it
        self.lock()
        table = self.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.state, where=table.id == self.id))
        state, = cursor.fetchone()
        if state != 'waiting':
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_taken',
                    chat=self.rec_name))
        self.state = 'active'
        self.operator = user
        self.taken_date = dt.datetime.now()
        self.save()
        Message.post(self, 'system', self._gettext(
                'helpdesk_website.msg_livechat_joined', operator=user.name))

    def hand_over(self, user, to_user):
        "Give the chat of user to another operator of the team"
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        self.check_own(user.id)
        if to_user.id == user.id or (
                to_user.id not in self.team.livechat_agent_ids()):
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_hand_over_operator',
                    operator=to_user.rec_name, team=self.team.rec_name))
        self.operator = to_user
        self.save()
        Message.post(self, 'system', self._gettext(
                'helpdesk_website.msg_livechat_handed_over',
                operator=user.name, to=to_user.name))

    def operator_post(self, user, content):
        """Post the operator's reply; '/ticket subject' makes the ticket
        of the chat instead. Returns the message or the ticket."""
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        self.check_own(user.id)
        command, _, rest = content.strip().partition(' ')
        if command == '/ticket':
            return self.make_ticket(user, rest.strip())
        return Message.post(self, 'operator', content, user=user)

    def operator_close(self, user):
        self.check_own(user.id)
        self._close(self._gettext(
                'helpdesk_website.msg_livechat_operator_left',
                operator=user.name))

    def _close(self, text):
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        self.state = 'closed'
        self.closed_date = dt.datetime.now()
        self.save()
        Message.post(self, 'system', text)

    def _gettext(self, message_id, **variables):
        "The text of a message of the chat, in the visitor's language"
        with Transaction().set_context(language=self.language or 'en'):
            return gettext(message_id, **variables)

    # The ticket

    def transcript(self):
        "The messages of the chat as text, each with its time and author"
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        lines = [self._gettext(
                'helpdesk_website.msg_livechat_transcript',
                visitor=self.visitor_name, email=self.visitor_email,
                date=self.create_date.strftime('%Y-%m-%d %H:%M UTC'))]
        for message in Message.search(
                [('session', '=', self.id)],
                order=[('id', 'ASC')]):
            when = message.create_date.strftime('%H:%M:%S')
            if message.author == 'system':
                lines.append('[%s] %s' % (when, message.content))
            else:
                lines.append('[%s] %s: %s' % (
                        when, message.author_name, message.content))
        return '\n'.join(lines)

    def make_ticket(self, user, subject=None):
        """Make the ticket of the chat: channel livechat, the visitor its
        customer and follower, the transcript in its conversation"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('helpdesk.livechat.message')
        Ticket = pool.get('helpdesk.ticket')
        self.check_own(user.id)
        if self.ticket:
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_ticket_exists',
                    chat=self.rec_name, ticket=self.ticket.rec_name))
        transaction = Transaction()
        first = Message.search([
                ('session', '=', self.id),
                ('author', '=', 'visitor'),
                ], order=[('id', 'ASC')], limit=1)
        if not subject:
            subject = (
                firstline(first[0].content)[:100] if first
                else self._gettext(
                    'helpdesk_website.msg_livechat_ticket_subject',
                    visitor=self.visitor_name))
        transcript = self.transcript()
        with transaction.set_user(0), transaction.set_context(
                company=self.company.id, _check_access=False):
            party = portal.customer_of(self.visitor_email, self.visitor_name)
            ticket, = Ticket.create([{
                        'company': self.company.id,
                        'team': self.team.id,
                        'name': subject[:200],
                        'description': first[0].content if first else None,
                        'party': party.id,
                        'contact_name': self.visitor_name,
                        'contact_email': self.visitor_email,
                        'channel': 'livechat',
                        'user': user.id,
                        }])
            # The transcript is in the conversation, by the operator who
            # answered the chat; not e-mailed: the acknowledgement tells
            # the customer about the ticket
            with transaction.set_context(_notify=False, user=user.id):
                Channel.post(ticket, transcript, audience='public')
        self.ticket = ticket
        self.save()
        Message.post(self, 'system', self._gettext(
                'helpdesk_website.msg_livechat_ticket_made',
                ticket=ticket.number))
        portal.acknowledge(ticket, ticket.portal_url, self.language or 'en')
        return ticket

    @classmethod
    def leave_message(cls, team, name, email, subject, content, language):
        """The ticket of a message left while no operator was online, and
        its acknowledgement"""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        if not team.livechat:
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_disabled',
                    team=team.rec_name))
        party = portal.customer_of(email, name)
        with Transaction().set_context(company=team.company.id):
            ticket, = Ticket.create([{
                        'company': team.company.id,
                        'team': team.id,
                        'name': (subject or firstline(content))[:200],
                        'description': content,
                        'party': party.id,
                        'contact_name': name,
                        'contact_email': email,
                        'channel': 'livechat',
                        }])
        portal.acknowledge(ticket, ticket.portal_url, language)
        return ticket

    # What the console and the widget show

    def notify(self, message_id=None):
        "Wake up who waits for news of the chat on the bus"
        if not Transaction().database.has_channel():
            return
        payload = {
            'type': 'livechat', 'session': self.id, 'state': self.state,
            'last': message_id}
        # No content: only our routes listen, and they read the database
        Bus.publish(session_channel(self.id), dict(payload))
        Bus.publish(team_channel(self.team.id), dict(payload))

    def visitor_view(self, after=None):
        "What the visitor's widget shows of the chat"
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        return {
            'id': self.id,
            'state': self.state,
            'operator': self.operator.name if self.operator else None,
            'ticket': self.ticket.number if self.ticket else None,
            'messages': [
                m.as_dict() for m in Message.since([self.id], after)],
            }

    @classmethod
    def console_view(cls, user_id, after=None):
        """What the console of the operator shows: the waiting chats of
        their teams, their own chats with the messages after the id after,
        the other operators of their teams"""
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        Presence = pool.get('helpdesk.livechat.presence')
        Team = pool.get('helpdesk.team')
        User = pool.get('res.user')
        teams = Team.livechat_teams_of(user_id)
        now = dt.datetime.now()
        waiting = cls.search([
                ('team', 'in', [t.id for t in teams]),
                ('state', '=', 'waiting'),
                ], order=[('create_date', 'ASC'), ('id', 'ASC')])
        abandoned = [s for s in waiting if not s.visitor_online]
        if abandoned and not Transaction().readonly:
            cls.close_abandoned(abandoned)
            waiting = [s for s in waiting if s not in abandoned]
        mine = cls.search([
                ('operator', '=', user_id),
                ('state', '=', 'active'),
                ], order=[('taken_date', 'ASC'), ('id', 'ASC')])
        messages = {}
        for message in Message.since([s.id for s in mine], after):
            messages.setdefault(message.session.id, []).append(
                message.as_dict())
        agents = {}
        for team in teams:
            agents[team.id] = [
                a for a in team.livechat_agent_ids() if a != user_id]
        online = set(Presence.online_ids(
                {a for ids in agents.values() for a in ids}))
        names = {
            u.id: u.name or u.login
            for u in User.browse({a for ids in agents.values() for a in ids})}
        last = Message.last_id()
        return {
            'last': last,
            'teams': [{'id': t.id, 'name': t.rec_name} for t in teams],
            'waiting': [{
                    'id': s.id,
                    'visitor': s.visitor_name,
                    'email': s.visitor_email,
                    'team': s.team.rec_name,
                    'since': s.create_date.isoformat(),
                    'wait': int((now - s.create_date).total_seconds()),
                    'preview': s.preview(),
                    } for s in waiting],
            'chats': [{
                    'id': s.id,
                    'visitor': s.visitor_name,
                    'email': s.visitor_email,
                    'team': s.team.rec_name,
                    'ticket': s.ticket.number if s.ticket else None,
                    'ticket_id': s.ticket.id if s.ticket else None,
                    'visitor_online': s.visitor_online,
                    'operators': [{
                            'id': a, 'name': names[a], 'online': a in online}
                        for a in agents.get(s.team.id, [])],
                    'messages': messages.get(s.id, []),
                    } for s in mine],
            }

    def preview(self):
        pool = Pool()
        Message = pool.get('helpdesk.livechat.message')
        messages = Message.search([
                ('session', '=', self.id),
                ('author', '=', 'visitor'),
                ], order=[('id', 'DESC')], limit=1)
        return firstline(messages[0].content)[:120] if messages else ''


class Message(ModelSQL, ModelView):
    "A message of a live chat"
    __name__ = 'helpdesk.livechat.message'

    session = fields.Many2One(
        'helpdesk.livechat.session', "Chat", required=True, readonly=True,
        ondelete='CASCADE')
    author = fields.Selection(AUTHORS, "Author", required=True, readonly=True)
    user = fields.Many2One('res.user', "User", readonly=True)
    content = fields.Text("Content", required=True, readonly=True)
    author_name = fields.Function(
        fields.Char("Author Name"), 'get_author_name')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__access__.add('session')
        cls._sql_indexes.add(
            Index(t, (t.session, Index.Equality()), (t.id, Index.Range())))
        cls._order = [('id', 'ASC')]
        cls.__rpc__ = {
            k: v for k, v in cls.__rpc__.items()
            if k not in {'create', 'write', 'delete'}}

    def get_author_name(self, name):
        if self.author == 'visitor':
            return self.session.visitor_name
        elif self.author == 'operator':
            return self.user.name if self.user else ''
        return ''

    @classmethod
    def post(cls, session, author, content, user=None):
        "Add a message to the chat and tell who waits for it"
        content = (content or '').strip()
        if not content:
            raise LiveChatError(gettext(
                    'helpdesk_website.msg_livechat_empty'))
        message, = cls.create([{
                    'session': session.id,
                    'author': author,
                    'user': user.id if user else None,
                    'content': content[:MAX_MESSAGE],
                    }])
        session.notify(message.id)
        return message

    @classmethod
    def since(cls, session_ids, after=None):
        "The messages of the chats after the id after, oldest first"
        if not session_ids:
            return []
        domain = [('session', 'in', list(session_ids))]
        if after:
            domain.append(('id', '>', after))
        return cls.search(domain, order=[('id', 'ASC')])

    @classmethod
    def last_id(cls):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(Max(table.id)))
        last, = cursor.fetchone()
        return last or 0

    def as_dict(self):
        return {
            'id': self.id,
            'session': self.session.id,
            'author': self.author,
            'name': self.author_name,
            'content': self.content,
            'time': self.create_date.isoformat(),
            }


class Presence(ModelSQL):
    "When an operator's console last asked for the chats"
    __name__ = 'helpdesk.livechat.presence'

    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')
    seen = fields.Timestamp("Seen", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__rpc__ = {}
        cls._sql_indexes.add(Index(t, (t.user, Index.Equality())))

    @classmethod
    def seen_now(cls, user_id):
        "The console of the user asks now: they are online"
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        now = dt.datetime.now()
        query = table.select(
            table.seen.as_('seen'), where=table.user == user_id, limit=1)
        if backend.name == 'sqlite':
            sqlite_apply_types(query, ['DATETIME'])
        cursor.execute(*query)
        row = cursor.fetchone()
        if row and row[0] >= now - dt.timedelta(seconds=PRESENCE_EVERY):
            # Seen a moment ago: no write, which concurrent requests of the
            # same console would conflict on
            return
        if row:
            cursor.execute(*table.update(
                    [table.seen, table.write_date], [now, now],
                    where=table.user == user_id))
        else:
            cursor.execute(*table.insert(
                    [table.user, table.seen, table.create_date,
                        table.create_uid],
                    [[user_id, now, now, 0]]))

    @classmethod
    def gone(cls, user_id):
        "The user closed the console"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=table.user == user_id))

    @classmethod
    def online_ids(cls, user_ids):
        "The users among user_ids whose console asked lately"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        user_ids = list(user_ids)
        if not user_ids:
            return []
        since = dt.datetime.now() - online_timeout()
        cursor.execute(*table.select(
                table.user,
                where=table.user.in_(user_ids) & (table.seen >= since)))
        return [u for u, in cursor]


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        context = super()._get_context(model_name)
        if model_name in {
                'helpdesk.livechat.session', 'helpdesk.livechat.message'}:
            user_id = Transaction().user
            context['helpdesk_livechat_teams'] = [
                t.id for t in Team.livechat_teams_of(user_id)]
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        key = super()._get_cache_key(model_names)
        if model_names & {
                'helpdesk.livechat.session', 'helpdesk.livechat.message'}:
            # The teams of the user change without the rules changing
            key = (*key, tuple(
                    t.id for t in Team.livechat_teams_of(
                        Transaction().user)))
        return key


class OpenConsole(Wizard):
    "Open the console of the live chat in a window beside the web client"
    __name__ = 'helpdesk.livechat.console.open'

    start = StateAction('helpdesk_website.url_livechat_console')

    def do_start(self, action):
        """The address of the console with a new key of the user's Tryton
        session: the console exchanges it at once for its own"""
        pool = Pool()
        Session = pool.get('ir.session')
        user_id = Transaction().user
        key = Session.new()
        action['url'] = website_url('livechat', 'console') + (
            '?user=%s&key=%s' % (user_id, key))
        return action, {}
