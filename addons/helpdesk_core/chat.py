# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import json
import re
from email.message import Message as EmailMessage
from email.utils import getaddresses

from sql import Cast, Literal, Null
from sql.functions import Lower, Substring

from trytond.model import Index, fields
from trytond.pool import Pool, PoolMeta
from trytond.tools import firstline
from trytond.tools.email_ import normalize_email
from trytond.transaction import Transaction, check_access

_MESSAGE_ID = re.compile(r'<[^<>\s]+>')
_THREAD_HEADERS = [
    'From', 'To', 'Cc', 'Subject', 'Date', 'Message-ID', 'In-Reply-To',
    'References']


def _decoded(email):
    """Return a plain text copy of email with its text decoded

    The chat reads the raw payload, which stays base64 or quoted-printable
    encoded as most mail clients send non-ASCII text."""
    for part in email.walk():
        if part.get_content_type() == 'text/plain':
            break
    else:
        return email
    payload = part.get_payload(decode=True) or b''
    charset = part.get_content_charset() or 'utf-8'
    try:
        text = payload.decode(charset, errors='replace')
    except LookupError:
        text = payload.decode('utf-8', errors='replace')
    plain = EmailMessage()
    for name in _THREAD_HEADERS:
        for value in email.get_all(name, []):
            plain[name] = value
    plain.set_payload(text)
    return plain


class Channel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    @check_access
    def check_access(cls, resource):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        super().check_access(resource)
        # The chat checks only the access to the model
        model, id_ = str(resource).split(',')
        if model == Ticket.__name__:
            Ticket.check_chat_access(int(id_))

    @classmethod
    def post_from_email(cls, email):
        return super().post_from_email(_decoded(email))

    @classmethod
    def _email_content(cls, body):
        return super()._email_content(body).strip()

    @classmethod
    def _email_channel(cls, email):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Message = pool.get('ir.chat.message')
        channel = super()._email_channel(email)
        if channel is not None:
            return channel
        references = _MESSAGE_ID.findall(' '.join(
                    email.get_all('In-Reply-To', [])
                    + email.get_all('References', [])))
        if references:
            messages = Message.search([
                    ('reference', 'in', references),
                    ], order=[('id', 'DESC')], limit=1)
            if messages:
                channel, = {m.channel for m in messages}
                if (isinstance(channel.resource, Ticket)
                        and channel.resource.state != 'cancelled'):
                    return channel
                return
        ticket = Ticket.from_email_subject(email.get('Subject', ''))
        # A cancelled ticket takes no more replies
        if ticket and ticket.state != 'cancelled':
            channel = cls._get_channel(ticket)
            senders = {
                normalize_email(a).lower() for _, a in getaddresses(
                    email.get_all('From', []))}
            followers = {
                f.email.lower() for f in channel.followers if f.email}
            # A ticket number alone is easy to guess: only followers
            if senders & followers:
                return channel


class Follower(metaclass=PoolMeta):
    __name__ = 'ir.chat.follower'

    helpdesk_ticket = fields.Many2One(
        'helpdesk.ticket', "Helpdesk Ticket", readonly=True,
        ondelete='CASCADE',
        help="The ticket of the channel, kept as an integer: the visibility "
        "rules search the tickets a user follows.")
    helpdesk_through_team = fields.Boolean(
        "Through the Team", readonly=True,
        help="The user follows the ticket because they follow its team: "
        "the visibility rules find such tickets through the team.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.user, Index.Equality()),
                    (t.helpdesk_ticket, Index.Equality()),
                    where=t.helpdesk_ticket != Null),
                Index(t,
                    (t.user, Index.Equality()),
                    (t.helpdesk_ticket, Index.Equality()),
                    where=cls.helpdesk_invited_where(t)),
                Index(t, (t.helpdesk_ticket, Index.Equality())),
                Index(t,
                    (Lower(t.email), Index.Equality()),
                    where=t.helpdesk_ticket != Null),
                })

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Ticket = pool.get('helpdesk.ticket')
        TeamFollower = pool.get('helpdesk.team-res.user.follower')
        table_h = cls.__table_handler__(module)
        fill_ticket = not table_h.column_exist('helpdesk_ticket')
        fill_through_team = not table_h.column_exist('helpdesk_through_team')
        super().__register__(module)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        if fill_ticket:
            channel = Channel.__table__()
            prefix = 'helpdesk.ticket,'
            # The followers of the tickets before the column
            cursor.execute(*table.update(
                    [table.helpdesk_ticket],
                    [channel.select(
                            Cast(Substring(channel.resource, len(prefix) + 1),
                                'INTEGER'),
                            where=channel.id == table.channel)],
                    where=(table.helpdesk_ticket == Null)
                    & table.channel.in_(channel.select(
                            channel.id,
                            where=channel.resource.like(prefix + '%')))))
        if fill_through_team:
            ticket = Ticket.__table__()
            team_follower = TeamFollower.__table__()
            cursor.execute(*table.update(
                    [table.helpdesk_through_team], [False]))
            # The users who follow the team of the ticket
            cursor.execute(*table.update(
                    [table.helpdesk_through_team], [True],
                    where=table.helpdesk_ticket.in_(
                        ticket.join(team_follower,
                            condition=team_follower.team == ticket.team
                            ).select(ticket.id,
                            where=team_follower.user == table.user))))

    @classmethod
    def default_helpdesk_through_team(cls):
        return False

    @classmethod
    def helpdesk_unmark_through_team(cls, tickets, user=None):
        """Make the users who follow the tickets through their team (of
        user, if given) followers of their own: the team no longer shows
        them the tickets. tickets is a list or a query of ticket ids."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = ((table.helpdesk_through_team == Literal(True))
            & table.helpdesk_ticket.in_(tickets))
        if user is not None:
            where &= table.user == user
        cursor.execute(*table.update(
                [table.helpdesk_through_team], [False], where=where))

    @classmethod
    def helpdesk_invited_where(cls, table):
        """Return the condition of the followers of tickets who follow
        them other than through the team

        Without parameters: it is the predicate of a partial index."""
        return ((table.helpdesk_ticket != Null)
            & ((table.helpdesk_through_team == Null)
                | ~table.helpdesk_through_team))

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Ticket = pool.get('helpdesk.ticket')
        values = super().preprocess_values(mode, values)
        if (mode == 'create' and values.get('channel') is not None
                and 'helpdesk_ticket' not in values):
            resource = Channel(values['channel']).resource
            if isinstance(resource, Ticket):
                values['helpdesk_ticket'] = resource.id
        return values

    def notify(self, message):
        pool = Pool()
        Notification = pool.get('res.notification')
        Ticket = pool.get('helpdesk.ticket')
        resource = message.channel.resource
        if (self.user and isinstance(resource, Ticket)
                and message.user and message.user.id == 0):
            # The notes of the system have no author: show the ticket
            Notification(
                user=self.user,
                label=resource.rec_name,
                description=firstline(message.content),
                icon='tryton-chat',
                model=resource.__name__,
                records=json.dumps([resource.id]),
                ).save()
        else:
            super().notify(message)


class Message(metaclass=PoolMeta):
    __name__ = 'ir.chat.message'

    @classmethod
    def check_modification(cls, mode, messages, values=None, external=False):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        super().check_modification(
            mode, messages, values=values, external=external)
        if mode == 'create':
            for message in messages:
                resource = message.channel.resource
                if isinstance(resource, Ticket):
                    resource.check_chat_message(message)

    @classmethod
    def on_modification(cls, mode, messages, field_names=None):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        super().on_modification(mode, messages, field_names=field_names)
        if mode == 'create':
            tickets_messages = [
                (m.channel.resource, m) for m in messages
                if isinstance(m.channel.resource, Ticket)]
            if tickets_messages:
                Ticket.process_chat_messages(tickets_messages)
