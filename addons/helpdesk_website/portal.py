# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""What the website does with tickets, apart from HTTP: who sees which
tickets and files, tickets from the public form, customer replies"""

import datetime as dt
from email.message import EmailMessage

from sql.functions import Lower

import trytond.config as config
from trytond.model import Index, fields
from trytond.modules.helpdesk_core.common import has_worker
from trytond.pool import Pool, PoolMeta
from trytond.tools.email_ import normalize_email, set_from_header
from trytond.transaction import Transaction

from . import outgoing, website

PAGE_SIZE = 20
OPEN_STATES = ['new', 'in_progress', 'waiting']
CLOSED_STATES = ['solved', 'cancelled']


class ContactMechanism(metaclass=PoolMeta):
    __name__ = 'party.contact_mechanism'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The website finds the customer of a visitor by their e-mail
        cls._sql_indexes.add(
            Index(t, (Lower(t.value), Index.Equality()),
                where=t.type == 'email'))

    @classmethod
    def party_of_email(cls, email):
        "The active party that has the e-mail address, if any"
        pool = Pool()
        Party = pool.get('party.party')
        table = cls.__table__()
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.join(party,
                condition=party.id == table.party).select(
                table.party,
                where=(table.type == 'email')
                & (Lower(table.value) == normalize_email(email).lower())
                & (table.active == True)  # noqa: E712
                & (party.active == True),  # noqa: E712
                order_by=[table.party.asc],
                limit=1))
        row = cursor.fetchone()
        return Party(row[0]) if row else None


class Attachment(metaclass=PoolMeta):
    __name__ = 'ir.attachment'

    helpdesk_shared = fields.Boolean(
        "Shared with the Customer",
        help="The customer sees the file in the portal.")
    helpdesk_message = fields.Many2One(
        'ir.chat.message', "Message", readonly=True, ondelete='SET NULL',
        help="The message of the ticket's conversation the file came with.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.resource, Index.Equality()),
                where=t.helpdesk_shared == True))  # noqa: E712

    @classmethod
    def default_helpdesk_shared(cls):
        return False


def tickets_domain(web_user):
    """The domain of the tickets the web user sees: a customer manager
    those of their party, the others those they follow by their e-mail,
    once it is validated"""
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    if not web_user or not web_user.email or not web_user.email_valid:
        return [('id', '=', None)]
    if web_user.helpdesk_manager and web_user.party:
        # The tickets the manager follows are searched first: ORed with
        # the party as a sub-query, they keep PostgreSQL from using the
        # index on party (it reads every ticket for the list and its count)
        with Transaction().set_context(active_test=False):
            followed = Ticket.search(
                Ticket.portal_domain(email=web_user.email))
        return ['OR',
            Ticket.portal_domain(party=web_user.party),
            ('id', 'in', [t.id for t in followed]),
            ]
    return Ticket.portal_domain(email=web_user.email)


def get_ticket(web_user, ticket_id):
    "The ticket if the web user may see it, else None"
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    with Transaction().set_context(active_test=False):
        tickets = Ticket.search([
                ('id', '=', ticket_id),
                tickets_domain(web_user),
                ], limit=1)
    return tickets[0] if tickets else None


def search_tickets(web_user, filters, page=1):
    """The tickets of the web user's list matching filters (a dict: q,
    subject, number, team, state, start, end) and their count"""
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    domain = [tickets_domain(web_user)]
    if filters.get('q'):
        domain.append(['OR',
                ('number', 'ilike', '%' + filters['q'] + '%'),
                ('name', 'ilike', '%' + filters['q'] + '%'),
                ])
    if filters.get('subject'):
        domain.append(('name', 'ilike', '%' + filters['subject'] + '%'))
    if filters.get('number'):
        domain.append(('number', 'ilike', '%' + filters['number'] + '%'))
    if filters.get('team'):
        domain.append(('team', '=', filters['team']))
    state = filters.get('state')
    if state == 'open':
        domain.append(('state', 'in', OPEN_STATES))
    elif state == 'closed':
        domain.append(('state', 'in', CLOSED_STATES))
    elif state:
        domain.append(('state', '=', state))
    if filters.get('start'):
        domain.append(('create_date', '>=', dt.datetime.combine(
                    filters['start'], dt.time())))
    if filters.get('end'):
        domain.append(('create_date', '<', dt.datetime.combine(
                    filters['end'] + dt.timedelta(days=1), dt.time())))
    # The merged tickets live on in the ticket they were merged into
    with Transaction().set_context(active_test=False):
        tickets = Ticket.search(
            domain, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
            order=[('create_date', 'DESC'), ('id', 'DESC')])
        count = Ticket.search_count(domain)
    return tickets, count


def conversation(ticket):
    """The public messages of the ticket, oldest first, with the files
    that came with each: [(message, role, [attachment])], and the files
    that came with the request itself"""
    pool = Pool()
    Message = pool.get('ir.chat.message')
    Ticket = pool.get('helpdesk.ticket')
    messages = Message.search([
            ('channel.resource', '=', str(ticket)),
            ('audience', '=', 'public'),
            ], order=[('create_date', 'ASC'), ('id', 'ASC')])
    files, request_files = {}, []
    for attachment in shared_files([ticket]):
        if attachment.helpdesk_message:
            files.setdefault(attachment.helpdesk_message.id, []).append(
                attachment)
        else:
            request_files.append(attachment)
    return [
        (m, Ticket._chat_author_role(m), files.get(m.id, []))
        for m in messages], request_files


def shared_files(tickets):
    "The files of the tickets the customer sees, oldest first"
    pool = Pool()
    Attachment = pool.get('ir.attachment')
    if not tickets:
        return []
    return Attachment.search([
            ('resource', 'in', [str(t) for t in tickets]),
            ('helpdesk_shared', '=', True),
            ('type', '=', 'data'),
            ], order=[('create_date', 'ASC'), ('id', 'ASC')])


def get_file(web_user, attachment_id):
    "The shared file of a ticket the web user sees, else None"
    pool = Pool()
    Attachment = pool.get('ir.attachment')
    Ticket = pool.get('helpdesk.ticket')
    attachments = Attachment.search([
            ('id', '=', attachment_id),
            ('helpdesk_shared', '=', True),
            ('type', '=', 'data'),
            ], limit=1)
    if not attachments:
        return None
    attachment, = attachments
    resource = attachment.resource
    if (not isinstance(resource, Ticket)
            or not get_ticket(web_user, resource.id)):
        return None
    return attachment


def attach(ticket, files, message=None):
    "Attach the checked files [(name, type, data)] to the ticket"
    pool = Pool()
    Attachment = pool.get('ir.attachment')
    Attachment.create([{
                'resource': str(ticket),
                'name': name,
                'type': 'data',
                'data': data,
                'helpdesk_shared': True,
                'helpdesk_message': message.id if message else None,
                } for name, _, data in files])


def customer_of(email, name, phone=None):
    "The party of the e-mail, a new one if nobody has it"
    pool = Pool()
    ContactMechanism = pool.get('party.contact_mechanism')
    Party = pool.get('party.party')
    party = ContactMechanism.party_of_email(email)
    if party:
        return party
    # The values the party module computes after the creation, given at
    # once: otherwise it writes each mechanism again (and validates it
    # again) for its compact value. A new party has no address: the phone
    # is formatted with no country, as the party module would.
    mechanism = ContactMechanism()
    mechanisms = []
    for type_, value in [('email', email), ('phone', phone)]:
        if value:
            mechanisms.append({
                    'type': type_,
                    'value': mechanism.format_value(
                        value=value, type_=type_),
                    'value_compact': mechanism.format_value_compact(
                        value=value, type_=type_),
                    })
    party, = Party.create([{
                'name': name,
                'contact_mechanisms': [('create', mechanisms)],
                }])
    return party


def create_ticket(team, values, files, web_user=None):
    """Create the ticket of the team's form with values (contact_name,
    contact_email, contact_phone, name, description, type, priority,
    request_key) and the checked files; the channel is the portal for a
    signed-in customer"""
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    if web_user and web_user.party:
        party = web_user.party
    else:
        party = customer_of(
            values['contact_email'], values['contact_name'],
            values.get('contact_phone'))
    with Transaction().set_context(company=team.company.id):
        ticket, = Ticket.create([{
                    'company': team.company.id,
                    'team': team.id,
                    'name': values['name'],
                    'description': values.get('description'),
                    'type': values.get('type'),
                    'priority': values.get('priority') or '1',
                    'party': party.id,
                    'contact_name': values['contact_name'],
                    'contact_email': values['contact_email'],
                    'contact_phone': values.get('contact_phone'),
                    'channel': 'portal' if web_user else 'website',
                    'request_key': values.get('request_key'),
                    }])
        if files:
            attach(ticket, files)
    return ticket


def reply(ticket, web_user, content, files):
    """Post the customer's reply with its files in the ticket's
    conversation: a reply on a waiting or solved ticket reopens it"""
    pool = Pool()
    Channel = pool.get('ir.chat.channel')
    Message = pool.get('ir.chat.message')
    email = normalize_email(web_user.email).lower()
    channel = Channel._get_channel(ticket)
    if not any(
            f.email and f.email.lower() == email for f in channel.followers):
        Channel.subscribe_email(ticket, email)
    message = Message(
        channel=channel, email=email, audience='public', content=content)
    message.save()
    if files:
        attach(ticket, files, message=message)
    Channel.dispatch_message(message, lambda u: u == email)
    return message


def send_email(
        to, subject, template, language, headers=None, resource=None,
        now=False, **values):
    """Send the e-mail of the template (its .txt and .html) in language once
    the transaction commits (through the outbox), with the headers given
    (From included); now sends it at once (from a task of the queue)"""
    pool = Pool()
    Outbox = pool.get('helpdesk.email.outbox')
    msg = EmailMessage()
    headers = dict(headers or {})
    from_ = config.get('email', 'from')
    if 'From' in headers:
        msg['From'] = headers.pop('From')
    else:
        set_from_header(msg, from_, from_)
    for name, value in headers.items():
        msg[name] = value
    msg['To'] = to
    msg['Subject'] = subject
    msg.set_content(
        website.render(f'email/{template}.txt', language, **values))
    msg.add_alternative(
        website.render(f'email/{template}.html', language, **values),
        subtype='html')
    Outbox.send(msg, resource=resource, now=now)


def acknowledge(ticket, url, language, in_reply_to=None):
    """E-mail the customer that their ticket is received, with its link,
    from the team's address and in reply to the customer's e-mail of
    Message-ID in_reply_to, if any; the acknowledgement's own Message-ID is
    kept in the ticket's conversation: a reply to it comes back there

    With a worker for Tryton's queue (`[queue] worker = True`), it is a task
    of the queue created in the transaction: the worker writes and sends the
    mail once the ticket is committed (never if it is rolled back), the
    visitor does not wait for it. Without a worker it is done here, the mail
    sent when the transaction commits."""
    pool = Pool()
    Ticket = pool.get('helpdesk.ticket')
    if not ticket.contact_email:
        return
    if has_worker():
        transaction = Transaction()
        # Only what the mail needs goes into the task's context (the
        # request's context may hold values that do not serialise)
        with transaction.reset_context(), transaction.set_context(
                company=ticket.company.id if ticket.company else None):
            Ticket.__queue__.helpdesk_acknowledge(
                [ticket], url, language, in_reply_to)
    else:
        _acknowledge(ticket, url, language, in_reply_to=in_reply_to)


def _acknowledge(ticket, url, language, in_reply_to=None, now=False):
    pool = Pool()
    Channel = pool.get('ir.chat.channel')
    headers = Channel.helpdesk_acknowledgement(
        ticket, in_reply_to=in_reply_to)
    send_email(
        ticket.contact_email, outgoing.ticket_subject(ticket, reply=False),
        'ticket_created', language, headers=headers, resource=ticket,
        now=now, ticket=ticket, url=url, **outgoing.reply_line(language))
