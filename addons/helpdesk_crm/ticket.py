# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import re

from trytond import backend
from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.tools import escape_wildcard, grouped_slice
from trytond.transaction import Transaction
from trytond.wizard import Button, StateAction, StateView, Wizard

from .exceptions import (
    ConvertCustomerError, ConvertSalespersonError, TicketConvertError)

CUSTOMER_ACTIONS = [
    ('create', "Create a New Customer"),
    ('link', "Link to an Existing Customer"),
    ('none', "No Customer"),
    ]
_NOT_DIGIT = re.compile(r'\D')


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    opportunities = fields.One2Many(
        'sale.opportunity', 'helpdesk_ticket', "Opportunities",
        readonly=True)
    opportunity = fields.Function(fields.Many2One(
            'sale.opportunity', "Opportunity",
            states={
                'invisible': ~Eval('opportunity'),
                },
            help="The lead or opportunity the ticket was converted into."),
        'get_opportunity', searcher='search_opportunity')
    convert_as_lead = fields.Function(
        fields.Boolean(
            "Convert as Lead",
            help="Whether the ticket is converted into a lead by default, "
            "as configured for its company."),
        'get_convert_as_lead')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        convertible = (
            (Eval('id', -1) >= 0)
            & Eval('active', True)
            & (Eval('state') != 'cancelled')
            & ~Eval('merged_into')
            & ~Eval('opportunity'))
        depends = [
            'active', 'state', 'merged_into', 'opportunity',
            'convert_as_lead']
        cls._buttons.update({
                'convert_opportunity': {
                    'invisible': (
                        ~convertible | Eval('convert_as_lead', False)),
                    'icon': 'tryton-sale-opportunity',
                    'depends': depends,
                    },
                'convert_lead': {
                    'invisible': (
                        ~convertible | ~Eval('convert_as_lead', False)),
                    'icon': 'tryton-sale-opportunity',
                    'depends': depends,
                    },
                })

    @classmethod
    def get_opportunity(cls, tickets, name):
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunities = dict.fromkeys(map(int, tickets))
        for sub_tickets in grouped_slice(
                tickets, backend.MAX_QUERY_PARAMS):
            for opportunity in Opportunity.search([
                        ('helpdesk_ticket', 'in', [t.id for t in sub_tickets]),
                        ], order=[('id', 'ASC')]):
                opportunities[opportunity.helpdesk_ticket.id] = opportunity.id
        return opportunities

    @classmethod
    def search_opportunity(cls, name, clause):
        return [('opportunities' + clause[0][len(name):], *clause[1:])]

    @classmethod
    def get_convert_as_lead(cls, tickets, name):
        pool = Pool()
        Configuration = pool.get('helpdesk.configuration')
        configuration = Configuration(1)
        as_lead = {}
        for ticket in tickets:
            company = ticket.company.id
            if company not in as_lead:
                as_lead[company] = bool(configuration.get_multivalue(
                        'opportunity_as_lead', company=company))
        return {t.id: as_lead[t.company.id] for t in tickets}

    @classmethod
    @ModelView.button_action(
        'helpdesk_crm.wizard_ticket_convert_opportunity')
    def convert_opportunity(cls, tickets):
        pass

    @classmethod
    @ModelView.button_action(
        'helpdesk_crm.wizard_ticket_convert_opportunity')
    def convert_lead(cls, tickets):
        pass

    def check_convertible(self):
        "Raise unless the ticket may be converted into an opportunity"
        if self.opportunity:
            raise TicketConvertError(gettext(
                    'helpdesk_crm.msg_ticket_convert_converted',
                    ticket=self.rec_name,
                    opportunity=self.opportunity.rec_name))
        if self.merged_into:
            raise TicketConvertError(gettext(
                    'helpdesk_crm.msg_ticket_convert_merged',
                    ticket=self.rec_name,
                    merged_into=self.merged_into.rec_name))
        if not self.active:
            raise TicketConvertError(gettext(
                    'helpdesk_crm.msg_ticket_convert_archived',
                    ticket=self.rec_name))
        if self.state == 'cancelled':
            raise TicketConvertError(gettext(
                    'helpdesk_crm.msg_ticket_convert_cancelled',
                    ticket=self.rec_name))

    @property
    def has_contact(self):
        return bool(
            self.contact_name or self.contact_email or self.contact_phone)

    def get_email_party(self):
        "Return the active party that has the contact's e-mail, if any"
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        if not self.contact_email:
            return
        mechanisms = ContactMechanism.search([
                ('type', '=', 'email'),
                ('value', 'ilike', escape_wildcard(self.contact_email)),
                ('party.active', '=', True),
                ], order=[('party', 'ASC'), ('id', 'ASC')], limit=1)
        if mechanisms:
            mechanism, = mechanisms
            return mechanism.party

    def _get_opportunity_party(self):
        "Return an unsaved party for the contact of the ticket"
        pool = Pool()
        Party = pool.get('party.party')
        ContactMechanism = pool.get('party.contact_mechanism')
        party = Party(
            name=(self.contact_name or self.contact_email
                or self.contact_phone))
        mechanisms = []
        if self.contact_email:
            mechanisms.append(ContactMechanism(
                    type='email', value=self.contact_email))
        if self.contact_phone:
            mechanisms.append(ContactMechanism(
                    type='phone', value=self.contact_phone))
        party.contact_mechanisms = mechanisms
        return party

    def _get_opportunity_contact(self, party):
        """Return the contact mechanism of party for the contact of the
        ticket: an unsaved one for an e-mail address the party lacks"""
        pool = Pool()
        ContactMechanism = pool.get('party.contact_mechanism')
        email = (self.contact_email or '').lower()
        phone = _NOT_DIGIT.sub('', self.contact_phone or '')
        for mechanism in party.contact_mechanisms:
            if (email and mechanism.type == 'email'
                    and (mechanism.value or '').lower() == email):
                return mechanism
        for mechanism in party.contact_mechanisms:
            if (phone and mechanism.type in {'phone', 'mobile'}
                    and _NOT_DIGIT.sub(
                        '', mechanism.value_compact or mechanism.value or '')
                    == phone):
                return mechanism
        if email:
            name = self.contact_name
            if name == party.name:
                name = None
            return ContactMechanism(
                party=party, type='email', value=self.contact_email,
                name=name)
        return party.contact_mechanism_get({'email', 'phone', 'mobile'})

    def _get_opportunity_comment(self, party):
        lines = []
        if self.description:
            lines.append(self.description)
        if not party and self.has_contact:
            contact = ', '.join(filter(None, [
                        self.contact_name, self.contact_email,
                        self.contact_phone]))
            lines.append(gettext(
                    'helpdesk_crm.msg_opportunity_comment_contact',
                    contact=contact))
        return '\n\n'.join(lines) or None

    def _get_opportunity(
            self, party=None, contact=None, employee=None, as_lead=False):
        "Return an unsaved lead or opportunity for the ticket"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        opportunity = Opportunity(
            company=self.company,
            amount=None,
            description=self.name,
            comment=self._get_opportunity_comment(party),
            party=party,
            contact=contact,
            employee=employee,
            state='lead' if as_lead else 'opportunity',
            helpdesk_ticket=self,
            )
        opportunity.on_change_company()
        if party:
            opportunity.on_change_party()
        return opportunity

    def copy_conversation_to(self, resource):
        """Copy the messages of the ticket's chat into the chat of resource
        with their author, audience and date, without sending them again,
        and return the copies"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        messages = Message.search([
                ('channel.resource', '=', str(self)),
                ], order=[('create_date', 'ASC'), ('id', 'ASC')])
        if not messages:
            return []
        channel = Channel._get_channel(resource)
        copies = [
            Message(
                channel=channel, user=m.user, email=m.email,
                content=m.content, audience=m.audience)
            for m in messages]
        Message.save(copies)
        # The creation date is the date the chat shows
        table = Message.__table__()
        cursor = Transaction().connection.cursor()
        for message, copy in zip(messages, copies):
            cursor.execute(*table.update(
                    [table.create_date], [message.create_date],
                    where=table.id == copy.id))
        return Message.browse(copies)

    def copy_attachments_to(self, resource):
        "Copy the attachments and the notes of the ticket to resource"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        Note = pool.get('ir.note')
        for Model in [Attachment, Note]:
            records = Model.search([
                    ('resource', '=', str(self)),
                    ], order=[('id', 'ASC')])
            if records:
                Model.copy(records, default={
                        'resource': str(resource),
                        'copy_to_resources': None,
                        })

    def _opportunity_follower_emails(self, opportunity):
        "Yield the e-mail addresses that follow the opportunity"
        if self.contact_email:
            yield self.contact_email

    def _opportunity_follower_users(self, opportunity):
        "Yield the users who follow the opportunity: the salesperson's"
        pool = Pool()
        User = pool.get('res.user')
        if opportunity.employee:
            yield from User.search([
                    ('employees', '=', opportunity.employee.id),
                    ], order=[('id', 'ASC')])

    def add_opportunity_followers(self, opportunity):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Follower = pool.get('ir.chat.follower')
        channel = Channel._get_channel(opportunity)
        for email in self._opportunity_follower_emails(opportunity):
            Follower.add_email(channel, email)
        for user in self._opportunity_follower_users(opportunity):
            Follower.add_user(channel, user)


class ConvertOpportunityStart(ModelView):
    __name__ = 'helpdesk.ticket.convert_opportunity.start'

    ticket = fields.Many2One('helpdesk.ticket', "Ticket", readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    contact_name = fields.Char("Contact Name", readonly=True)
    contact_email = fields.Char("Contact Email", readonly=True)
    contact_phone = fields.Char("Contact Phone", readonly=True)
    customer_action = fields.Selection(
        CUSTOMER_ACTIONS, "Customer", required=True, sort=False,
        domain=[
            If(Eval('as_lead', False),
                (),
                ('customer_action', '!=', 'none')),
            ],
        help="Create the customer from the contact of the ticket, "
        "link an existing customer or, for a lead only, none.")
    party = fields.Many2One(
        'party.party', "Existing Customer",
        context={
            'company': Eval('company', -1),
            },
        states={
            'invisible': Eval('customer_action') != 'link',
            'required': Eval('customer_action') == 'link',
            },
        depends={'company'})
    email_party = fields.Many2One(
        'party.party', "Customer with this Email", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        states={
            'invisible': ~Eval('email_party'),
            },
        depends={'company'},
        help="The customer who already has the e-mail address of the "
        "contact: link it rather than create another one.")
    employee = fields.Many2One(
        'company.employee', "Salesperson",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'required': ~Eval('as_lead', False),
            },
        help="The employee in charge of the lead or opportunity.")
    as_lead = fields.Boolean(
        "As Lead",
        help="Create a lead to qualify rather than an opportunity.")

    @fields.depends('customer_action', 'party', 'ticket', 'email_party')
    def on_change_customer_action(self):
        if self.customer_action == 'link' and not self.party:
            if self.ticket and self.ticket.party:
                self.party = self.ticket.party
            else:
                self.party = self.email_party


class ConvertOpportunity(Wizard):
    __name__ = 'helpdesk.ticket.convert_opportunity'

    start = StateView(
        'helpdesk.ticket.convert_opportunity.start',
        'helpdesk_crm.ticket_convert_opportunity_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Convert", 'convert', 'tryton-ok', default=True),
            ])
    convert = StateAction('sale_opportunity.act_opportunity_form')

    @property
    def ticket(self):
        if len(self.records) != 1:
            raise TicketConvertError(gettext(
                    'helpdesk_crm.msg_ticket_convert_one'))
        return self.record

    def default_start(self, fields):
        pool = Pool()
        Configuration = pool.get('helpdesk.configuration')
        ticket = self.ticket
        ticket.check_convertible()
        configuration = Configuration(1)
        company = ticket.company.id
        employee = configuration.get_multivalue(
            'opportunity_employee', company=company)
        as_lead = bool(configuration.get_multivalue(
                'opportunity_as_lead', company=company))
        email_party = ticket.get_email_party()
        party = ticket.party or email_party
        if party:
            customer_action = 'link'
        elif ticket.has_contact:
            customer_action = 'create'
        elif as_lead:
            customer_action = 'none'
        else:
            customer_action = 'link'
        return {
            'ticket': ticket.id,
            'company': company,
            'contact_name': ticket.contact_name,
            'contact_email': ticket.contact_email,
            'contact_phone': ticket.contact_phone,
            'customer_action': customer_action,
            'party': party.id if party else None,
            'email_party': email_party.id if email_party else None,
            'employee': employee.id if employee else None,
            'as_lead': as_lead,
            }

    def _customer_create(self, ticket):
        "Return an unsaved party from the contact of the ticket"
        if not ticket.has_contact:
            raise ConvertCustomerError(gettext(
                    'helpdesk_crm.msg_convert_party_no_contact',
                    ticket=ticket.rec_name))
        party = ticket.get_email_party()
        if party:
            raise ConvertCustomerError(gettext(
                    'helpdesk_crm.msg_convert_party_duplicate',
                    party=party.rec_name,
                    email=ticket.contact_email,
                    ticket=ticket.rec_name))
        return ticket._get_opportunity_party()

    def _customer_link(self, ticket):
        if not self.start.party:
            raise ConvertCustomerError(gettext(
                    'helpdesk_crm.msg_convert_party_required',
                    ticket=ticket.rec_name))
        return self.start.party

    def _customer_none(self, ticket):
        if not self.start.as_lead:
            raise ConvertCustomerError(gettext(
                    'helpdesk_crm.msg_convert_customer_none',
                    ticket=ticket.rec_name))

    def get_party(self, ticket):
        "Return the customer of the opportunity, unsaved when new"
        return getattr(self, '_customer_%s' % self.start.customer_action)(
            ticket)

    def check_salesperson(self, ticket):
        employee = self.start.employee
        if not employee and not self.start.as_lead:
            raise ConvertSalespersonError(gettext(
                    'helpdesk_crm.msg_convert_employee_required',
                    ticket=ticket.rec_name))
        if employee and employee.company != ticket.company:
            raise ConvertSalespersonError(gettext(
                    'helpdesk_crm.msg_convert_employee_company',
                    employee=employee.rec_name,
                    company=ticket.company.rec_name,
                    ticket=ticket.rec_name))

    def do_convert(self, action):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        # Two agents converting the same ticket at once make one opportunity
        Ticket.lock([self.ticket])
        ticket = Ticket(self.ticket.id)
        ticket.check_convertible()
        # The opportunity belongs to the company of the ticket, which may not
        # be the current company of the user
        with Transaction().set_context(company=ticket.company.id):
            opportunity = self.convert_ticket(Ticket(ticket.id))
        action['views'].reverse()
        return action, {'res_id': [opportunity.id]}

    def convert_ticket(self, ticket):
        "Convert the ticket as the user chose and return the opportunity"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Ticket = pool.get('helpdesk.ticket')
        party = self.get_party(ticket)
        self.check_salesperson(ticket)
        if party and party.id is None:
            party.save()
        contact = ticket._get_opportunity_contact(party) if party else None
        if contact and contact.id is None:
            contact.save()

        opportunity = ticket._get_opportunity(
            party=party, contact=contact, employee=self.start.employee,
            as_lead=self.start.as_lead)
        opportunity.save()

        ticket.copy_conversation_to(opportunity)
        ticket.copy_attachments_to(opportunity)
        ticket.add_opportunity_followers(opportunity)
        Channel.post(
            opportunity,
            gettext('helpdesk_crm.msg_opportunity_from_ticket',
                ticket=ticket.rec_name, url=ticket.__href__),
            audience='internal')
        Channel.post(
            ticket,
            gettext('helpdesk_crm.msg_ticket_converted_%s' % opportunity.state,
                opportunity=opportunity.rec_name, url=opportunity.__href__),
            audience='internal')

        values = {'active': False}
        if party and not ticket.party:
            values['party'] = party.id
        Ticket.write([ticket], values)
        return opportunity
