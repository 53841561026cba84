# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""E-mail intake: the mails that reach an inbox of trytond_inbound_email
(through its webhook or helpdesk-fetchmail) become tickets of the team
they are addressed to, or customer messages of the ticket they answer"""

import email
import email.policy
import functools
import hashlib
import logging
import mimetypes
import re
import weakref
from email.message import EmailMessage
from email.utils import getaddresses

from sql import Literal, Null, Select

from trytond.i18n import gettext
from trytond.ir.cron import str2bigint
from trytond.model import Index, fields
from trytond.modules.helpdesk_core.common import check_email, html_to_text
from trytond.modules.inbound_email.inbound_email import (
    _email_attachments, _email_text)
from trytond.modules.inbound_email.ir import DESTINATION_RE
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools.email_ import EmailNotValidError, normalize_email
from trytond.transaction import Transaction

from . import portal, security, website
from .exceptions import TeamEmailError
from .web import party_language

logger = logging.getLogger(__name__)

ACTION = 'helpdesk.ticket|from_inbound_email'
# The headers that name the recipients of a mail, in the order a team is
# looked for: Delivered-To and X-Original-To are added by the MTA and name
# the address the mail was delivered to, even a Bcc one
RECIPIENT_HEADERS = ['To', 'Cc', 'Delivered-To', 'X-Original-To', 'Bcc']
# The senders of automatic mails: bounces and notices of mail systems
AUTOMATIC_SENDERS = re.compile(
    r'^(mailer-daemon|postmaster|mail-daemon|mailerdaemon)@', re.IGNORECASE)
_MESSAGE_ID = re.compile(r'<[^<>\s]+>')
# The letters of the Arabic script: a mail written in Persian gets its
# acknowledgement in Persian when the customer's language is unknown
_ARABIC_SCRIPT = re.compile(r'[\u0600-\u06ff]')
OUTCOMES = [
    (None, ""),
    ('ticket', "New Ticket"),
    ('linked', "New Ticket Related to Another"),
    ('reply', "Reply"),
    ('duplicate', "Duplicate"),
    ('automatic', "Automatic Reply or Bounce"),
    ('unknown', "Unknown Address"),
    ('invalid', "Invalid Sender"),
    ]


def clean(text):
    """The text with the bytes that are not UTF-8 (raw 8-bit headers)
    replaced: the database takes only valid strings"""
    if text is None:
        return None
    text = str(text)
    try:
        text.encode('utf-8')
    except UnicodeEncodeError:
        text = text.encode('utf-8', 'surrogateescape').decode(
            'utf-8', 'replace')
    return text.replace('\x00', '')


def address_key(address):
    """The address as a team's is matched: lower case, without its +tag
    (sub-addressing)"""
    address = (address or '').strip().lower()
    if '@' not in address:
        return address
    local, domain = address.rsplit('@', 1)
    return local.split('+', 1)[0] + '@' + domain


class _Policy(email.policy.EmailPolicy):
    """The default policy of the standard library, keeping the headers it
    parsed: an EmailMessage parses a header at each read, and the intake
    reads the same few ones (Content-Type above all) dozens of times"""

    @functools.lru_cache(maxsize=4096)
    def _parsed_header(self, name, value):
        return super().header_fetch_parse(name, value)

    def header_fetch_parse(self, name, value):
        if hasattr(value, 'name'):
            return value
        return self._parsed_header(name, value)


POLICY = _Policy()
# The EmailMessage of an inbound.email record (by its id(), as long as it
# lives: the records of unsaved mails are equal to each other)
_PARSED = {}


def _keep_parsed(record, message):
    key = id(record)
    if key not in _PARSED:
        weakref.finalize(record, _PARSED.pop, key, None)
    _PARSED[key] = message


def parse(data):
    "The EmailMessage of the raw bytes (or text) of a mail"
    if isinstance(data, str):
        return email.message_from_string(data, policy=POLICY)
    return email.message_from_bytes(bytes(data), policy=POLICY)


def header(message, name):
    "The decoded value of the header, None if absent or unreadable"
    try:
        value = message.get(name)
    except Exception:
        # A header the parser cannot decode: its raw value
        values = message.get_all(name, [], )
        value = values[0] if values else None
    if value is None:
        return None
    return clean(' '.join(str(value).split()))


def addresses(message, *names):
    "The e-mail addresses of the headers, in their order, normalised"
    result = []
    for name in names:
        try:
            values = [str(v) for v in message.get_all(name, [])]
        except Exception:
            continue
        for _, address in getaddresses(values):
            address = clean(address).strip()
            if '@' in address:
                address = normalize_email(address).lower()
                if address not in result:
                    result.append(address)
    return result


def sender(message):
    "The (name, address) of the sender, address None if there is none"
    try:
        values = [str(v) for v in message.get_all('From', [])]
    except Exception:
        values = []
    for name, address in getaddresses(values):
        address = clean(address).strip()
        if address:
            try:
                check_email(address)
            except EmailNotValidError:
                continue
            return clean(name).strip(), normalize_email(address).lower()
    return None, None


def message_id(message, data):
    """The Message-ID of the mail; a mail without one is known by the hash
    of its bytes"""
    value = header(message, 'Message-ID') or ''
    found = _MESSAGE_ID.search(value)
    if found:
        return found.group(0)[:250]
    if isinstance(data, str):
        data = data.encode('utf-8', 'surrogateescape')
    return '<%s@sha256.invalid>' % hashlib.sha256(bytes(data)).hexdigest()


def references(message):
    "The Message-IDs the mail answers, the most recent first"
    ids = _MESSAGE_ID.findall(' '.join(
            (header(message, 'In-Reply-To') or '',
                ' '.join(reversed(
                        (header(message, 'References') or '').split())))))
    return list(dict.fromkeys(ids))


def is_automatic(message, from_):
    """Tell why the mail is an automatic one (an auto-reply, a bounce, a
    list's mail) or None: such a mail opens no ticket"""
    auto_submitted = (header(message, 'Auto-Submitted') or '').lower()
    if auto_submitted and auto_submitted.split(';')[0].strip() != 'no':
        return f"Auto-Submitted: {auto_submitted}"
    precedence = (header(message, 'Precedence') or '').lower()
    if precedence in {'bulk', 'junk', 'list', 'auto_reply'}:
        return f"Precedence: {precedence}"
    for name in [
            'X-Autoreply', 'X-Autorespond', 'X-Autogenerated',
            'X-Failed-Recipients']:
        value = header(message, name)
        if value:
            return f"{name}: {value}"
    if from_ and AUTOMATIC_SENDERS.match(from_):
        return f"From: {from_}"
    if message.get_content_type() == 'multipart/report':
        return "Content-Type: multipart/report"
    return None


def _text(part):
    "The text of a text part, decoded from its charset"
    try:
        return clean(part.get_content())
    except (LookupError, UnicodeError, AssertionError):
        payload = part.get_payload(decode=True) or b''
        return clean(payload.decode('utf-8', 'replace'))


def body(message):
    """The (text, html) of the mail: the text part, or the text of the HTML
    part when there is no text part; the HTML sanitised"""
    text = html = None
    try:
        plain_part = message.get_body(preferencelist=('plain',))
        html_part = message.get_body(preferencelist=('html',))
    except Exception:
        plain_part = html_part = None
    if plain_part is not None:
        text = _text(plain_part)
    if html_part is not None:
        raw_html = _text(html_part)
        html = website.sanitize_html(raw_html)
        if not text or not text.strip():
            text = html_to_text(raw_html)
    text = (text or '').replace('\r\n', '\n').strip()
    return text, html


def attachments(message):
    """The files of the mail: [(filename, data)], the forwarded mails as
    .eml files"""
    bodies = set()
    for preference in [('plain',), ('html',)]:
        try:
            part = message.get_body(preferencelist=preference)
        except Exception:
            part = None
        if part is not None:
            bodies.add(id(part))
    files = []

    def walk(part):
        content_type = part.get_content_type()
        if content_type == 'message/rfc822':
            inner = part.get_payload()
            inner = inner[0] if isinstance(inner, list) else inner
            subject = header(inner, 'Subject') or 'message'
            files.append((
                    _safe_name(subject)[:100] + '.eml', inner.as_bytes()))
            return
        if part.is_multipart():
            for sub in part.iter_parts():
                walk(sub)
            return
        if id(part) in bodies:
            return
        filename = part.get_filename()
        disposition = part.get_content_disposition()
        if (not filename and disposition != 'attachment'
                and part.get_content_maintype() == 'text'):
            # Another text part of an alternative: not a file
            return
        try:
            data = part.get_payload(decode=True) or b''
        except Exception:
            data = b''
        if not data:
            return
        if not filename:
            extension = mimetypes.guess_extension(content_type) or '.bin'
            filename = 'attachment-%s%s' % (len(files) + 1, extension)
        files.append((_safe_name(clean(filename)), data))
    walk(message)
    return files


def _safe_name(name):
    name = (name or '').replace('\\', '/').rsplit('/', 1)[-1]
    name = re.sub(r'[\x00-\x1f<>:"|?*]', '_', name).strip(' .')
    return name[:200] or 'attachment'


def _thread_headers(message):
    """A mail of the headers the chat threads by, with only the valid
    addresses: the chat splits each address at its @"""
    thread = EmailMessage()
    for name in ['From', 'To', 'Cc']:
        found = addresses(message, name)
        if found:
            thread[name] = ', '.join(found)
    for name in ['Subject', 'Message-ID', 'In-Reply-To', 'References']:
        value = header(message, name)
        if value:
            thread[name] = value
    return thread


def _raw_message(inbound_email):
    "The EmailMessage of the inbound e-mail, whatever its data type"
    data_type = inbound_email.data_type
    if data_type in {'raw', 'mailchimp', 'mailpace', 'sendgrid'}:
        # The message the rules matched (Email._as_dict)
        if id(inbound_email) not in _PARSED:
            inbound_email.as_dict()
        return _PARSED[id(inbound_email)]
    # Postmark posts the parts of the mail, not the mail
    values = inbound_email.as_dict()
    message = EmailMessage()
    skip = {'content-type', 'content-transfer-encoding', 'mime-version'}
    for name, value in values.get('headers', {}).items():
        if name.lower() not in skip:
            message[name] = value
    for name, key in [('From', 'from'), ('Subject', 'subject')]:
        if name not in message and values.get(key):
            message[name] = values[key]
    for name in ['To', 'Cc']:
        if name not in message and values.get(name.lower()):
            message[name] = ', '.join(values[name.lower()])
    message.set_content(values.get('text') or '')
    if values.get('html'):
        message.add_alternative(values['html'], subtype='html')
    for attachment in values.get('attachments') or []:
        maintype, _, subtype = (
            attachment.get('type') or 'application/octet-stream'
            ).partition('/')
        message.add_attachment(
            attachment['data'], maintype=maintype,
            subtype=subtype or 'octet-stream',
            filename=attachment.get('filename'))
    return message


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.email, Index.Equality()), where=t.email != None))  # noqa: E711,E501

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('email'):
            values['email'] = normalize_email(
                values['email'].strip()).lower()
        elif 'email' in values:
            values['email'] = None
        return values

    @classmethod
    def validate_fields(cls, teams, field_names):
        super().validate_fields(teams, field_names)
        cls.check_email(teams, field_names)

    @classmethod
    def check_email(cls, teams, field_names=None):
        "Check the e-mail address of each team is valid and no other team's"
        if field_names and 'email' not in field_names:
            return
        teams = [t for t in teams if t.email]
        for team in teams:
            try:
                check_email(team.email)
            except EmailNotValidError as exception:
                raise TeamEmailError(gettext(
                        'helpdesk_website.msg_team_email_invalid',
                        email=team.email, team=team.rec_name),
                    str(exception)) from exception
        if not teams:
            return
        with Transaction().set_context(active_test=False):
            others = cls.search([
                    ('email', 'in', [t.email for t in teams]),
                    ], order=[('id', 'ASC')])
        owners = {}
        for team in others + teams:
            owner = owners.setdefault(team.email, team)
            if owner != team:
                raise TeamEmailError(gettext(
                        'helpdesk_website.msg_team_email_unique',
                        email=team.email, team=team.rec_name,
                        other=owner.rec_name))

    @classmethod
    def copy(cls, teams, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('email', None)
        return super().copy(teams, default=default)

    @classmethod
    def with_email(cls):
        "The teams that have an e-mail address"
        return cls.search([
                ('email', '!=', None),
                ])

    @classmethod
    def of_addresses(cls, addresses, teams=None):
        """The team that has one of the addresses (the first one that a team
        has, exactly, else without its +tag), among teams (by default the
        teams with an address)"""
        if not addresses:
            return None
        if teams is None:
            teams = cls.with_email()
        exact = {t.email: t for t in teams}
        by_key = {}
        for team in teams:
            by_key.setdefault(address_key(team.email), team)
        for address in addresses:
            if address in exact:
                return exact[address]
        for address in addresses:
            if address_key(address) in by_key:
                return by_key[address_key(address)]
        return None


class Rule(metaclass=PoolMeta):
    __name__ = 'inbound.email.rule'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.action.selection.append((ACTION, "Helpdesk Ticket"))


class Email(metaclass=PoolMeta):
    __name__ = 'inbound.email'

    helpdesk_message_id = fields.Char(
        "Message-ID", readonly=True,
        help="The Message-ID of the mail: a mail delivered twice is "
        "processed once.")
    helpdesk_outcome = fields.Selection(
        OUTCOMES, "Helpdesk Outcome", readonly=True, sort=False,
        help="What the helpdesk made of the mail.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.helpdesk_message_id, Index.Equality())))

    def _as_dict(self, raw):
        """The values the rules match, as trytond_inbound_email gives them,
        of a mail parsed once for the rules and the helpdesk's action (the
        message is kept on the record)"""
        message = parse(raw)
        _keep_parsed(self, message)
        value = {}
        if 'From' in message:
            value['from'] = getaddresses([message.get('From')])[0][1]
        for key in ['To', 'Cc', 'Bcc']:
            if key in message:
                value[key.lower()] = [
                    a for _, a in getaddresses(message.get_all(key))]
        if 'Subject' in message:
            value['subject'] = message['Subject']
        text = _email_text(message)
        if text is not None:
            value['text'] = text
        html = _email_text(message, 'html')
        if html is not None:
            value['html'] = html
        value['attachments'] = list(_email_attachments(message))
        value['headers'] = dict(message.items())
        return value

    @classmethod
    def helpdesk_lock(cls, message_id):
        """Lock the Message-ID until the transaction ends and return the
        first inbound e-mail that was processed with it, if any

        Two deliveries of the same mail at once wait for each other: the
        second one sees the first committed (it reads in a transaction
        started after the lock)."""
        transaction = Transaction()
        database = transaction.database
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        if database.has_select_for():
            cursor.execute(*Select([database.lock_id(
                            str2bigint(f'{cls.__name__},{message_id}'),
                            timeout=True)]))
            with transaction.new_transaction(readonly=True):
                return cls._helpdesk_first(message_id)
        else:
            # SQLite takes the lock of the database at the first write:
            # nobody else writes until the transaction ends
            cursor.execute(*table.update(
                    [table.helpdesk_message_id], [table.helpdesk_message_id],
                    where=table.id == Literal(-1)))
            return cls._helpdesk_first(message_id)

    @classmethod
    def _helpdesk_first(cls, message_id):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id, table.result, table.helpdesk_outcome,
                where=(table.helpdesk_message_id == message_id)
                & ((table.helpdesk_outcome != 'duplicate')
                    | (table.helpdesk_outcome == Null)),
                order_by=[table.id.asc], limit=1))
        row = cursor.fetchone()
        if row:
            id_, result, outcome = row
            return {'id': id_, 'result': result or None, 'outcome': outcome}

    @classmethod
    def helpdesk_answered(cls, ids):
        """The ticket made from or answered by one of the mails of the
        Message-IDs, if any"""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        Ticket = pool.get('helpdesk.ticket')
        if not ids:
            return None
        emails = cls.search([
                ('helpdesk_message_id', 'in', ids),
                ('helpdesk_outcome', 'in', ['ticket', 'linked', 'reply']),
                ], order=[('id', 'DESC')], limit=1)
        if emails:
            result = emails[0].result
            if isinstance(result, Ticket):
                return result
            if isinstance(result, Message):
                resource = result.channel.resource
                if isinstance(resource, Ticket):
                    return resource
        return None


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    origin_ticket = fields.Many2One(
        'helpdesk.ticket', "Related To", ondelete='SET NULL',
        domain=[
            ('id', '!=', Eval('id', -1)),
            ],
        help="The ticket this one comes from: a mail answering it, sent "
        "by someone who does not follow it, is kept as a new ticket.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.origin_ticket, Index.Equality()),
                where=t.origin_ticket != None))  # noqa: E711

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('origin_ticket', None)
        return super().copy(tickets, default=default)

    @classmethod
    def from_inbound_email(cls, inbound_email, rule):
        """Make a ticket of the mail, or a customer message of the ticket
        it answers; return it (None for a mail that makes nothing)"""
        pool = Pool()
        Email = pool.get('inbound.email')
        Team = pool.get('helpdesk.team')
        message = _raw_message(inbound_email)
        id_ = message_id(message, inbound_email.data)
        inbound_email.helpdesk_message_id = id_
        name, from_ = sender(message)
        recipients = addresses(message, *RECIPIENT_HEADERS)
        where = (f"inbound e-mail {id_} from {from_ or '(no sender)'} "
            f"to {', '.join(recipients) or '(no recipient)'}")

        first = Email.helpdesk_lock(id_)
        if first:
            inbound_email.helpdesk_outcome = 'duplicate'
            logger.info(
                "%s: already received (inbound e-mail %s), ignored",
                where, first['id'])
            return first['result']

        teams = Team.with_email()
        reason = is_automatic(message, from_)
        if not reason and from_ in {t.email for t in teams}:
            # A mail of a team (a loop of our own mails)
            reason = f"From: {from_}, a team's address"
        if reason:
            inbound_email.helpdesk_outcome = 'automatic'
            logger.info(
                "%s: automatic mail (%s), no ticket created nor reopened",
                where, reason)
            return None
        if not from_:
            inbound_email.helpdesk_outcome = 'invalid'
            logger.warning(
                "%s: refused, the sender has no valid address", where)
            return None

        origin = cls._inbound_thread(message)
        while origin and origin.merged_into:
            # The conversation goes on in the ticket it was merged into
            origin = origin.merged_into
        if origin:
            channel = cls._inbound_follower_channel(origin, from_)
            if channel:
                result = cls._inbound_reply(
                    origin, channel, message, id_, from_)
                inbound_email.helpdesk_outcome = 'reply'
                logger.info("%s: reply posted on ticket %s", where,
                    origin.number)
                return result
        team = Team.of_addresses(recipients, teams=teams)
        if not team and origin:
            team = origin.team
        if not team:
            inbound_email.helpdesk_outcome = 'unknown'
            logger.warning(
                "%s: refused, no team has the address %s; "
                "no ticket created", where, ', '.join(recipients) or '-')
            return None
        ticket = cls._inbound_ticket(
            team, message, id_, name, from_, origin=origin)
        if origin:
            inbound_email.helpdesk_outcome = 'linked'
            logger.info(
                "%s: the sender does not follow ticket %s: new ticket %s "
                "related to it", where, origin.number, ticket.number)
        else:
            inbound_email.helpdesk_outcome = 'ticket'
            logger.info("%s: ticket %s created", where, ticket.number)
        return ticket

    @classmethod
    def _inbound_thread(cls, message):
        """The ticket the mail answers: by the reply address, the
        In-Reply-To and References, or the ticket number in the subject"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Email = pool.get('inbound.email')
        channel = Channel._email_channel(_thread_headers(message))
        if channel is None:
            channel = cls._inbound_reply_channel(message)
        if channel and isinstance(channel.resource, cls):
            return channel.resource
        # The mails received before (the first mail of the ticket)
        ticket = Email.helpdesk_answered(references(message))
        if ticket:
            return ticket
        # The chat takes the number of the subject only from a follower
        return cls.from_email_subject(header(message, 'Subject') or '')

    @classmethod
    def _inbound_reply_channel(cls, message):
        """The channel whose identifier is the sub-address of a team's
        address among the recipients: the reply address of the ticket's
        mails (the chat knows those of the domain of its own address)"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Team = pool.get('helpdesk.team')
        identifiers = {}
        for address in addresses(message, *RECIPIENT_HEADERS):
            if match := DESTINATION_RE.match(address):
                identifiers[match.group(1)] = address_key(address)
        if not identifiers:
            return None
        teams = {t.email for t in Team.search([
                    ('email', 'in', list(set(identifiers.values()))),
                    ])}
        identifiers = [i for i, a in identifiers.items() if a in teams]
        if identifiers:
            channels = Channel.search([
                    ('identifier', 'in', identifiers),
                    ], limit=1)
            if channels:
                return channels[0]
        return None

    @classmethod
    def _inbound_follower_channel(cls, ticket, from_):
        """The channel of the ticket if the sender follows it and it takes
        replies, else None"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        if ticket.state == 'cancelled':
            return None
        channel = Channel._get_channel(ticket)
        followers = set()
        for follower in channel.followers:
            if follower.email:
                followers.add(normalize_email(follower.email).lower())
            elif follower.user and follower.user.email:
                followers.add(normalize_email(follower.user.email).lower())
        if from_ in followers:
            return channel
        return None

    @classmethod
    def _inbound_reply(cls, ticket, channel, message, id_, from_):
        "Post the mail in the ticket's conversation as the customer's"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        text, html = body(message)
        content = Channel._email_content(text)
        if not content:
            content = gettext('helpdesk_website.msg_inbound_no_text')
        chat_message = Message(
            channel=channel, email=from_, audience='public',
            content=content, reference=id_)
        chat_message.save()
        cls._inbound_files(ticket, message, html, chat_message)
        Channel.dispatch_message(chat_message, lambda u: u == from_)
        return chat_message

    @classmethod
    def _inbound_ticket(cls, team, message, id_, name, from_, origin=None):
        "Create the ticket of the mail in the team, acknowledge it"
        text, html = body(message)
        subject = header(message, 'Subject')
        if not subject:
            subject = gettext('helpdesk_website.msg_inbound_no_subject')
        party = portal.customer_of(from_, name or from_)
        with Transaction().set_context(company=team.company.id):
            ticket, = cls.create([{
                        'company': team.company.id,
                        'team': team.id,
                        'name': subject[:500],
                        'description': text or None,
                        'party': party.id,
                        'contact_name': name or party.name,
                        'contact_email': from_,
                        'channel': 'email',
                        'origin_ticket': origin.id if origin else None,
                        }])
            cls._inbound_files(ticket, message, html)
            language = website.best_language(
                None, party_language(party),
                header(message, 'Content-Language'),
                'fa' if _ARABIC_SCRIPT.search(subject + text) else None)
            portal.acknowledge(
                ticket, ticket.portal_url, language, in_reply_to=id_)
        return ticket

    @classmethod
    def _inbound_files(cls, ticket, message, html, chat_message=None):
        """Attach the files of the mail to the ticket: those the portal
        accepts are shared with the customer, the others (and the HTML of
        the mail, sanitised) only for the agents"""
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        files = attachments(message)
        to_create = []
        for filename, data in files:
            try:
                security.content_type(filename, data)
                shared = True
            except security.UploadError:
                shared = False
                logger.info(
                    "The file %s of the mail for ticket %s is kept for the "
                    "agents only: the portal does not accept its type",
                    filename, ticket.number)
            to_create.append((filename, data, shared))
        if html:
            to_create.append(('message.html', html.encode('utf-8'), False))
        Attachment.create([{
                    'resource': str(ticket),
                    'name': filename,
                    'type': 'data',
                    'data': data,
                    'helpdesk_shared': shared,
                    'helpdesk_message': (
                        chat_message.id if chat_message else None),
                    } for filename, data, shared in to_create])
