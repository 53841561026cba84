# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from trytond.exceptions import UserError
from trytond.model.exceptions import SQLConstraintError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, create_employee, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


class HelpdeskCrmTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Helpdesk CRM module"
    module = 'helpdesk_crm'

    def _create_ticket(self, **values):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        team, = Team.create([{'name': "Support"}])
        values.setdefault('name', "Quote for 3 seats")
        values['team'] = team.id
        ticket, = Ticket.create([values])
        return ticket

    def _create_party(self, name, email, active=True):
        pool = Pool()
        Party = pool.get('party.party')
        party, = Party.create([{
                    'name': name,
                    'active': active,
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': email,
                                    }])],
                    }])
        return party

    def _convert(self, ticket, **values):
        "Run the conversion wizard on the ticket and return the opportunity"
        pool = Pool()
        Convert = pool.get(
            'helpdesk.ticket.convert_opportunity', type='wizard')
        session_id, _, _ = Convert.create()
        convert = Convert(session_id)
        with Transaction().set_context(
                active_model='helpdesk.ticket', active_id=ticket.id,
                active_ids=[ticket.id]):
            defaults = convert.default_start(None)
            defaults.update(values)
            convert.start = convert.start.__class__(**defaults)
            _, data = convert.do_convert(convert.convert.get_action())
        Opportunity = pool.get('sale.opportunity')
        opportunity, = Opportunity.browse(data['res_id'])
        return opportunity

    @with_transaction()
    def test_one_opportunity_per_ticket(self):
        "A ticket is converted into one opportunity only"
        pool = Pool()
        Opportunity = pool.get('sale.opportunity')
        company = create_company()
        with set_company(company):
            ticket = self._create_ticket(contact_name="Dana")
            opportunity = self._convert(ticket, as_lead=True)

            copy, = Opportunity.copy([opportunity])
            self.assertIsNone(copy.helpdesk_ticket)
            self.assertEqual(copy.description, opportunity.description)

            with self.assertRaises(SQLConstraintError) as cm:
                Opportunity.write([copy], {'helpdesk_ticket': ticket.id})
            self.assertEqual(
                cm.exception.message,
                "A helpdesk ticket can be converted into only one lead or "
                "opportunity.")

    @with_transaction()
    def test_search_ticket_by_opportunity(self):
        "The tickets are searched by the opportunity they became"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            converted = self._create_ticket(contact_name="Dana")
            other = self._create_ticket(contact_name="Eve")
            opportunity = self._convert(converted, as_lead=True)

            with Transaction().set_context(active_test=False):
                self.assertEqual(
                    Ticket.search([('opportunity', '!=', None)]),
                    [converted])
                self.assertEqual(
                    Ticket.search([('opportunity', '=', None)]), [other])
                self.assertEqual(
                    Ticket.search([
                            ('opportunity.number', '=', opportunity.number),
                            ]),
                    [converted])

    @with_transaction()
    def test_email_party(self):
        "The customer with the e-mail is found whatever its case, if active"
        company = create_company()
        with set_company(company):
            self._create_party(
                "Old Northwind", 'support@northwind.example', active=False)
            northwind = self._create_party(
                "Northwind", 'Support@northwind.example')
            ticket = self._create_ticket(
                contact_email='support@NORTHWIND.example')
            nobody = self._create_ticket(contact_email='nina@north.example')

            self.assertEqual(ticket.get_email_party(), northwind)
            self.assertIsNone(nobody.get_email_party())

            # A wildcard is no match
            wildcard = self._create_ticket(
                contact_email='s_pport@northwind.example')
            self.assertIsNone(wildcard.get_email_party())

    @with_transaction()
    def test_configuration_per_company(self):
        "The default salesperson and lead are set per company"
        pool = Pool()
        Configuration = pool.get('helpdesk.configuration')
        User = pool.get('res.user')
        first = create_company("First")
        second = create_company("Second")
        with set_company(first):
            salesperson = create_employee(first, "Sam")
            configuration = Configuration(1)
            configuration.opportunity_employee = salesperson
            configuration.opportunity_as_lead = True
            configuration.save()
            lead = self._create_ticket(contact_name="Dana")
        User.write([User(Transaction().user)], {
                'companies': [('add', [second.id])],
                })
        with set_company(second):
            opportunity = self._create_ticket(contact_name="Eve")
            self.assertFalse(Configuration(1).opportunity_as_lead)

        self.assertTrue(lead.convert_as_lead)
        self.assertFalse(opportunity.convert_as_lead)
        with set_company(second):
            with self.assertRaises(UserError):
                # An opportunity needs a salesperson
                self._convert(opportunity)

            # The user working for the second company sees the tickets of
            # both and converts one of the first company
            User.write([User(Transaction().user)], {
                    'company_filter': 'all',
                    })
            converted = self._convert(lead)
        self.assertEqual(converted.state, 'lead')
        self.assertEqual(converted.employee, salesperson)
        self.assertEqual(converted.company, first)
        self.assertEqual(converted.currency, first.currency)

    @with_transaction()
    def test_conversation_copied(self):
        "The messages are copied with their author, audience and date"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        Follower = pool.get('ir.chat.follower')
        Ticket = pool.get('helpdesk.ticket')
        transaction = Transaction()
        company = create_company()
        with set_company(company), \
                transaction.set_context(_notify=False):
            ticket = self._create_ticket(
                contact_name="Dana", contact_email='dana@example.com')
            table = Message.__table__()
            cursor = transaction.connection.cursor()
            with transaction.set_user(0):
                Channel.post(ticket, "Dana is following", 'internal')
            customer = Message(
                channel=Channel._get_channel(ticket),
                email='dana@example.com', content="Hello", audience='public',
                reference='<hello@example.com>')
            customer.save()
            Channel.post(ticket, "VIP customer", 'internal')
            messages = Message.search([
                    ('channel.resource', '=', str(ticket)),
                    ], order=[('id', 'ASC')])
            # Each message its day
            for day, message in enumerate(messages, 1):
                cursor.execute(*table.update(
                        [table.create_date],
                        [dt.datetime(2024, 1, day, 9, 30)],
                        where=table.id == message.id))

            opportunity = self._convert(ticket, as_lead=True)

            copies = Message.search([
                    ('channel.resource', '=', str(opportunity)),
                    ], order=[('id', 'ASC')])
            self.assertEqual([
                    (m.user.id if m.user else None, m.email, m.content,
                        m.audience, m.create_date, m.reference)
                    for m in copies[:-1]], [
                    (0, None, "Dana is following", 'internal',
                        dt.datetime(2024, 1, 1, 9, 30), None),
                    (None, 'dana@example.com', "Hello", 'public',
                        dt.datetime(2024, 1, 2, 9, 30), None),
                    (transaction.user, None, "VIP customer", 'internal',
                        dt.datetime(2024, 1, 3, 9, 30), None),
                    ])
            note = copies[-1]
            self.assertEqual(note.audience, 'internal')
            self.assertIn(ticket.rec_name, note.content)
            self.assertIn(
                '/model/helpdesk.ticket/%s' % ticket.id, note.content)
            # The ticket keeps its conversation, with a note
            self.assertEqual(Message.search([
                        ('channel.resource', '=', str(ticket)),
                        ], count=True), 4)
            self.assertEqual(
                {f.email for f in Follower.search([
                            ('channel.resource', '=', str(opportunity)),
                            ])},
                {'dana@example.com'})
            ticket = Ticket(ticket.id)
            self.assertFalse(ticket.active)

    @with_transaction()
    def test_lead_without_customer_public_language(self):
        "A lead without customer writes in the default language"
        company = create_company()
        with set_company(company):
            ticket = self._create_ticket(contact_email='paul@example.com')
            lead = self._convert(ticket, customer_action='none', as_lead=True)
            self.assertIsNone(lead.party)
            self.assertIsNone(lead.chat_language(audience='public'))


del ModuleTestCase
