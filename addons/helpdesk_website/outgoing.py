# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The e-mails a ticket sends to its customer: the reference of the ticket
in the subject, the team's address, a reply address and threading headers
that bring the answer back to the ticket"""

import logging
import re
import urllib.parse
from email.message import EmailMessage
from email.utils import formataddr, make_msgid, parseaddr

from markupsafe import Markup
from sql import Null

from trytond.i18n import gettext
from trytond.model import Index
from trytond.modules.helpdesk_core.ticket import stage_email
from trytond.modules.inbound_email.ir import REPLY_LINE
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction
from trytond.url import host

from . import website
from .team import website_url

logger = logging.getLogger(__name__)

# How many earlier mails of the thread the References header lists
REFERENCES_LIMIT = 20
_MESSAGE_ID = re.compile(r'<[^<>\s@]+@[^<>\s@]+>')
_REPLY_PREFIX = re.compile(
    r'^\s*((re|fwd?|aw|wg|sv|vs|رد|پاسخ)\s*:\s*)+', re.IGNORECASE)


def ticket_subject(ticket, subject=None, reply=True):
    """The subject of an e-mail of the ticket: its reference in brackets
    before subject (the ticket's, as a reply, by default)"""
    reference = f'[{ticket.number}]'
    if subject:
        subject = ' '.join(subject.split())
        if reference in subject:
            return subject
        return f'{reference} {subject}'
    subject = f"{reference} {_REPLY_PREFIX.sub('', ticket.name)}"
    return f'Re: {subject}' if reply else subject


def new_message_id(sender):
    """A new Message-ID in the domain of the sender's address (the host of
    the server without its port, which no Message-ID may carry, else)"""
    domain = parseaddr(sender or '')[1].rpartition('@')[2]
    if not domain:
        domain = urllib.parse.urlsplit('//' + host()).hostname or 'localhost'
    return make_msgid(domain=domain)


def team_address(team):
    "The address of the team with its name, None when it has none"
    if team and team.email:
        return formataddr((team.name, team.email), 'utf-8')


def reply_address(team, channel, default=None):
    """The address whose answers come back to the channel: the team's
    with the identifier of the channel as sub-address, else default"""
    if team and team.email:
        local, _, domain = parseaddr(team.email)[1].rpartition('@')
        local = local.split('+', 1)[0]
        return formataddr(
            (team.name, f'{local}+{channel.identifier}@{domain}'), 'utf-8')
    return default


def reply_line(language):
    """The line above which the customer answers: the inbound e-mail keeps
    of an answer only what is above it"""
    with Transaction().set_context(language=language):
        return {
            'reply_line': REPLY_LINE,
            'reply_above': gettext('helpdesk_website.msg_email_reply_above'),
            }


class Message(metaclass=PoolMeta):
    __name__ = 'ir.chat.message'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The mails of a thread, latest first, for In-Reply-To and
        # References
        cls._sql_indexes.add(
            Index(t,
                (t.channel, Index.Equality()),
                (t.id, Index.Range(order='DESC')),
                where=t.reference != Null))


class Channel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    def _helpdesk_ticket(cls, channel):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        if channel and isinstance(channel.resource, Ticket):
            return channel.resource

    @classmethod
    def _email_from(cls, message):
        from_ = super()._email_from(message)
        ticket = cls._helpdesk_ticket(message.channel)
        if ticket:
            from_ = team_address(ticket.team) or from_
        return from_

    @classmethod
    def _email_reply_to(cls, message):
        ticket = cls._helpdesk_ticket(message.channel)
        try:
            reply_to = super()._email_reply_to(message)
        except ValueError:
            # inbound_email builds it from an address without "@": the
            # team's address, if any, still gives one
            if not ticket:
                raise
            logger.warning(
                "No reply address from [inbound_email] chat_reply_to or "
                "[email] from: they need a local part and a domain")
            reply_to = None
        if ticket:
            reply_to = reply_address(ticket.team, message.channel, reply_to)
        return reply_to

    @classmethod
    def dispatch_message(cls, message, is_sender):
        ticket = cls._helpdesk_ticket(message.channel)
        if not ticket:
            return super().dispatch_message(message, is_sender)
        # The chat publishes and notifies the users; the e-mail of a
        # ticket is written here
        super().dispatch_message(
            message, lambda f: isinstance(f, str) or is_sender(f))
        if not Transaction().context.get('_notify', True):
            return
        if message.audience == 'internal':
            return
        recipients = [
            f.email for f in message.channel.followers
            if f.email and not is_sender(f.email)]
        if recipients:
            cls._helpdesk_send(ticket, message, recipients)

    @classmethod
    def _helpdesk_channel(cls, ticket):
        """The channel of the ticket with its resource set: the headers of a
        mail ask it several times, each reading the channel and checking
        that the ticket exists"""
        channel = cls._get_channel(ticket)
        if channel is not None:
            channel.resource = ticket
        return channel

    @classmethod
    def helpdesk_thread(cls, channel, exclude=None):
        """Return the In-Reply-To and References of a new mail of the
        channel: the last mail of the customer, else the last mail of the
        thread, and the thread's mails oldest first"""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        if channel is None or channel.id is None or channel.id < 0:
            return None, []
        domain = [
            ('channel', '=', channel.id),
            ('reference', '!=', None),
            ]
        if exclude is not None:
            domain.append(('id', '!=', exclude.id))
        messages = Message.search(
            domain, order=[('id', 'DESC')], limit=REFERENCES_LIMIT)
        if not messages:
            return None, []
        # Only well-formed identifiers go into the headers: a stored
        # reference comes from any mail
        messages = [m for m in messages if _MESSAGE_ID.fullmatch(m.reference)]
        if not messages:
            return None, []
        parent = next((m for m in messages if m.email), messages[0])
        references = [
            m.reference for m in reversed(messages) if m != parent]
        references.append(parent.reference)
        return parent.reference, references

    @classmethod
    def helpdesk_headers(cls, ticket, reference, in_reply_to=None,
            exclude=None, automatic=None, channel=None):
        """Return the headers of an e-mail of the ticket: From, Reply-To,
        Message-ID and the threading headers

        automatic is the Auto-Submitted value of a mail no person wrote."""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        if channel is None:
            channel = cls._helpdesk_channel(ticket)
        from_ = cls._email_from(Message(channel=channel))
        headers = {
            'From': from_,
            'Message-ID': reference,
            }
        reply_to = cls._email_reply_to(Message(channel=channel))
        if reply_to:
            headers['Reply-To'] = reply_to
        parent, references = cls.helpdesk_thread(channel, exclude=exclude)
        if in_reply_to and _MESSAGE_ID.fullmatch(in_reply_to.strip()):
            in_reply_to = in_reply_to.strip()
            parent = in_reply_to
            if in_reply_to in references:
                references.remove(in_reply_to)
            references.append(in_reply_to)
        if parent:
            headers['In-Reply-To'] = parent
            headers['References'] = ' '.join(references)
        if automatic:
            headers['Auto-Submitted'] = automatic
        return headers

    @classmethod
    def _helpdesk_send(cls, ticket, message, recipients):
        "E-mail the public message of the ticket to each recipient"
        pool = Pool()
        Outbox = pool.get('helpdesk.email.outbox')
        transaction = Transaction()
        language = message.channel.language
        system = bool(message.user and message.user.id == 0)
        template = (stage_email.get() if system else None) or {}
        message.reference = new_message_id(cls._email_from(message))
        headers = cls.helpdesk_headers(
            ticket, message.reference, exclude=message,
            automatic='auto-generated' if system else None)
        subject = ticket_subject(ticket, template.get('subject'))
        html = template.get('html')
        with transaction.set_context(language=language):
            # The names of the team in the customer's language
            ticket = ticket.__class__(ticket.id)
            values = {
                'ticket': ticket,
                # An agent signs; the message of a customer, sent on to
                # the other followers, says who wrote it
                'author': message.author if message.user and not system
                else None,
                'customer': message.email,
                'body': message.content,
                'body_html': (Markup(website.sanitize_html(html)) if html
                    else website.paragraphs(message.content)),
                'url': (website_url('portal', 'tickets', ticket.id)
                    if ticket.team.visibility == 'portal' else None),
                **reply_line(language),
                }
            text = website.render('email/message.txt', language, **values)
            html = website.render('email/message.html', language, **values)
        for recipient in dict.fromkeys(recipients):
            msg = EmailMessage()
            for name, value in headers.items():
                msg[name] = value
            if (ticket.contact_name and ticket.contact_email
                    and recipient.lower() == ticket.contact_email.lower()):
                msg['To'] = formataddr(
                    (ticket.contact_name, recipient), 'utf-8')
            else:
                msg['To'] = recipient
            msg['Subject'] = subject
            msg.set_content(text)
            msg.add_alternative(html, subtype='html')
            Outbox.send(msg, resource=ticket)
        message.save()

    @classmethod
    def helpdesk_acknowledgement(cls, ticket, in_reply_to=None):
        """Record the acknowledgement of the ticket in its conversation, as
        an internal note of the system whose reference is the Message-ID
        of the acknowledgement, and return the headers of its e-mail"""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        transaction = Transaction()
        channel = cls._helpdesk_channel(ticket)
        reference = new_message_id(cls._email_from(Message(channel=channel)))
        headers = cls.helpdesk_headers(
            ticket, reference, in_reply_to=in_reply_to,
            automatic='auto-replied' if in_reply_to else 'auto-generated',
            channel=channel)
        with transaction.set_context(
                language=ticket.chat_language(audience='internal')):
            content = gettext(
                'helpdesk_website.msg_ticket_acknowledged',
                email=ticket.contact_email)
        note = Message(
            channel=channel, user=0, audience='internal', content=content,
            reference=reference)
        note.save()
        with transaction.set_context(_notify=False):
            cls.dispatch_message(note, lambda f: True)
        return headers
