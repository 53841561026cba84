# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The e-mail intake: real mails posted to the webhook of the inbox, as an
MTA posts them, and what each becomes"""

import unittest

from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink
from trytond.modules.inbound_email.inbound_email import Email as InboundEmail
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import mails
from .mails import INBOX_IDENTIFIER, TEAM_EMAIL
from .tools import pdf, png

LOGGER = 'trytond.modules.helpdesk_website.inbound'
CUSTOMER = 'shirin.ahmadi@customer.example'
FIRST = 'shirin@first.example'
SUBJECT_FA = "فاکتور دو بار پرداخت شده است"


class InboundEmailTestCase(unittest.TestCase):
    "Mails to a team's address"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        activate_modules('helpdesk_website', create_company)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            Team = pool.get('helpdesk.team')
            company, = Company.search([])
            with transaction.set_context(company=company.id):
                cls.team, cls.billing = Team.create([{
                            'name': "Customer Support",
                            'visibility': 'portal',
                            'email': ' Support@Helpdesk.Example ',
                            }, {
                            'name': "Billing",
                            'email': 'billing@helpdesk.example',
                            }])
            mails.setup_inbox()
            transaction.commit()

    def setUp(self):
        super().setUp()
        self.smtp.clear()
        self.client = Client(app, Response)

    # --- helpers

    def deliver(self, data, client=None):
        response = (client or self.client).post(
            f'/{DB_NAME}/inbound_email/inbox/{INBOX_IDENTIFIER}',
            data=data, content_type='message/rfc822')
        self.assertEqual(response.status_code, 204, response.text[:2000])

    def tickets(self, domain=()):
        "The tickets as (number, name, state, party name) of the domain"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            with Transaction().set_context(active_test=False):
                return [
                    {'id': t.id, 'number': t.number, 'name': t.name,
                        'state': t.state, 'team': t.team.name,
                        'party': t.party.name if t.party else None,
                        'contact_name': t.contact_name,
                        'contact_email': t.contact_email,
                        'channel': t.channel,
                        'description': t.description,
                        'origin': t.origin_ticket.id
                        if t.origin_ticket else None}
                    for t in Ticket.search(
                        list(domain), order=[('id', 'ASC')])]

    def ticket_of(self, message_id):
        "The ticket made of the mail"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Email = Pool().get('inbound.email')
            emails = Email.search([
                    ('helpdesk_message_id', '=', message_id),
                    ], order=[('id', 'ASC')])
            self.assertTrue(emails, f"no inbound e-mail {message_id}")
            result = emails[0].result
            return result.id if result else None

    def inbound(self, message_id):
        "The (outcome, result) of each inbound e-mail of the Message-ID"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Email = Pool().get('inbound.email')
            return [
                (e.helpdesk_outcome, str(e.result) if e.result else None)
                for e in Email.search([
                        ('helpdesk_message_id', '=', message_id),
                        ], order=[('id', 'ASC')])]

    def conversation(self, ticket_id):
        "The public messages of the ticket as (email, content, reference)"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Message = Pool().get('ir.chat.message')
            return [
                (m.email, m.content, m.reference)
                for m in Message.search([
                        ('channel.resource', '=',
                            f'helpdesk.ticket,{ticket_id}'),
                        ('audience', '=', 'public'),
                        ('email', '!=', None),
                        ], order=[('id', 'ASC')])]

    def attachments(self, ticket_id):
        "The files of the ticket as {name: (data, shared, message)}"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Attachment = Pool().get('ir.attachment')
            return {
                a.name: (bytes(a.data), a.helpdesk_shared,
                    a.helpdesk_message.id if a.helpdesk_message else None)
                for a in Attachment.search([
                        ('resource', '=', f'helpdesk.ticket,{ticket_id}'),
                        ])}

    def acknowledgement(self, to):
        "The acknowledgement e-mailed to the address"
        for recipients, message in self.smtp.wait(1):
            if to in recipients:
                return message
        self.fail(f"no acknowledgement to {to}: {self.smtp.messages}")

    def new_ticket(self, sender=CUSTOMER, subject="The parcel never came"):
        message_id = mails.new_message_id()
        self.deliver(mails.plain(
                f"Shirin Ahmadi <{sender}>", TEAM_EMAIL, subject,
                "Ordered on Monday, nothing yet.", message_id=message_id))
        ticket_id = self.ticket_of(message_id)
        self.assertTrue(ticket_id)
        ticket, = self.tickets([('id', '=', ticket_id)])
        return ticket, message_id

    def set_state(self, ticket_id, method):
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            getattr(Ticket, method)([Ticket(ticket_id)])
            transaction.commit()

    # --- new tickets

    def test_new_ticket_multipart(self):
        "A multipart mail with a Persian subject and files makes a ticket"
        message_id = mails.new_message_id()
        text = ("سلام،\nمبلغ فاکتور INV-2090 دو بار از کارت من کسر شده "
            "است.\nلطفاً بررسی کنید.")
        html = ('<html><body><p>سلام،</p><p>مبلغ فاکتور <b>INV-2090</b> '
            'دو بار کسر شده است.</p><script>alert(1)</script>'
            '<img src="x" onerror="alert(2)"></body></html>')
        self.deliver(mails.alternative(
                f'{mails.encoded_word("شیرین احمدی")} <{FIRST}>',
                f'"Customer Support" <{TEAM_EMAIL}>',
                mails.encoded_word(SUBJECT_FA), text, html,
                message_id=message_id,
                attachments=[
                    ('receipt.pdf', 'application/pdf', pdf()),
                    ('صفحه.png', 'image/png', png()),
                    ('tool.exe', 'application/octet-stream',
                        b'MZ' + bytes(64)),
                    ]))
        ticket_id = self.ticket_of(message_id)
        ticket, = self.tickets([('id', '=', ticket_id)])
        self.assertEqual(ticket['name'], SUBJECT_FA)
        self.assertEqual(ticket['channel'], 'email')
        self.assertEqual(ticket['team'], "Customer Support")
        self.assertEqual(ticket['state'], 'new')
        self.assertEqual(ticket['contact_name'], "شیرین احمدی")
        self.assertEqual(ticket['contact_email'], FIRST)
        self.assertEqual(ticket['party'], "شیرین احمدی")
        self.assertEqual(ticket['description'], text)
        self.assertEqual(self.inbound(message_id), [
                ('ticket', f'helpdesk.ticket,{ticket_id}')])

        files = self.attachments(ticket_id)
        self.assertEqual(
            set(files),
            {'receipt.pdf', 'صفحه.png', 'tool.exe', 'message.html'})
        self.assertEqual(files['receipt.pdf'][0], pdf())
        self.assertEqual(files['صفحه.png'][0], png())
        # The customer sees the files the portal accepts
        self.assertTrue(files['receipt.pdf'][1])
        self.assertTrue(files['صفحه.png'][1])
        self.assertFalse(files['tool.exe'][1])
        # The HTML is kept, sanitised, for the agents
        kept = files['message.html'][0].decode('utf-8')
        self.assertIn('<b>INV-2090</b>', kept)
        self.assertNotIn('script', kept)
        self.assertNotIn('onerror', kept)
        self.assertFalse(files['message.html'][1])

        # The acknowledgement answers the mail, in the customer's language
        ack = self.acknowledgement(FIRST)
        self.assertIn(f'[{ticket["number"]}]', ack['Subject'])
        self.assertEqual(ack['In-Reply-To'], message_id)
        self.assertIn(message_id, ack['References'])
        self.assertIn(
            f'/portal/tickets/{ticket_id}',
            ack.get_body(('plain',)).get_content())

    def test_customer_matched_by_address(self):
        "A known customer's mail is theirs: no second party"
        with Transaction().start(DB_NAME, 0) as transaction:
            Party = Pool().get('party.party')
            party, = Party.create([{
                        'name': "Northwind Traders",
                        'contact_mechanisms': [('create', [{
                                        'type': 'email',
                                        'value': 'Office@Northwind.example',
                                        }])],
                        }])
            transaction.commit()
        ticket, _ = self.new_ticket(sender='office@northwind.example')
        self.assertEqual(ticket['party'], "Northwind Traders")
        with Transaction().start(DB_NAME, 0, readonly=True):
            Party = Pool().get('party.party')
            self.assertEqual(
                Party.search_count([('name', '=', "Northwind Traders")]), 1)

    def test_html_only(self):
        "An HTML-only mail gets a text version"
        message_id = mails.new_message_id()
        self.deliver(mails.html_only(
                'Pat <pat@customer.example>', TEAM_EMAIL, "Broken link",
                '<div>Hello,</div><div>the link <a href="https://shop.example/'
                'x">here</a> is broken.<br>Thanks</div>'
                '<style>div {color: red}</style>',
                message_id=message_id))
        ticket, = self.tickets([('id', '=', self.ticket_of(message_id))])
        self.assertEqual(
            ticket['description'],
            "Hello,\n\nthe link here <https://shop.example/x> is broken.\n"
            "Thanks")
        files = self.attachments(ticket['id'])
        self.assertEqual(list(files), ['message.html'])
        self.assertIn('href="https://shop.example/x"',
            files['message.html'][0].decode())

    def test_charsets(self):
        "Bodies in ISO-8859-1 and windows-1256 are decoded"
        latin = "Grüße aus Köln: la facture est erronée."
        message_id = mails.new_message_id()
        self.deliver(mails.plain(
                f'{mails.encoded_word("Jürgen", "iso-8859-1")} '
                '<juergen@customer.example>', TEAM_EMAIL,
                mails.encoded_word("Rückerstattung", 'iso-8859-1'), latin,
                message_id=message_id, charset='iso-8859-1'))
        ticket, = self.tickets([('id', '=', self.ticket_of(message_id))])
        self.assertEqual(ticket['name'], "Rückerstattung")
        self.assertEqual(ticket['description'], latin)

        # Windows writes Persian with the Arabic yeh of windows-1256
        persian = "سفارش من هنوز نرسيده است."
        message_id = mails.new_message_id()
        self.deliver(mails.plain(
                'reza@customer.example', TEAM_EMAIL,
                mails.encoded_word("سفارش", 'windows-1256'), persian,
                message_id=message_id, charset='windows-1256',
                encoding='8bit'))
        ticket, = self.tickets([('id', '=', self.ticket_of(message_id))])
        self.assertEqual(ticket['name'], "سفارش")
        self.assertEqual(ticket['description'], persian)
        # Persian mail, unknown customer: the acknowledgement in Persian
        ack = self.acknowledgement('reza@customer.example')
        self.assertIn('rtl', ack.get_body(('html',)).get_content())

    def test_subaddress_and_delivered_to(self):
        "The team is found by its address with a +tag or in Delivered-To"
        message_id = mails.new_message_id()
        self.deliver(mails.plain(
                'pat@customer.example', 'billing+invoices@helpdesk.example',
                "Invoice copy", "Please send me a copy.",
                message_id=message_id))
        ticket, = self.tickets([('id', '=', self.ticket_of(message_id))])
        self.assertEqual(ticket['team'], "Billing")

        message_id = mails.new_message_id()
        self.deliver(mails.plain(
                'pat@customer.example', 'undisclosed-recipients:;',
                "Bcc to billing", "Hidden copy.", message_id=message_id,
                extra=[('Delivered-To', 'billing@helpdesk.example')]))
        ticket, = self.tickets([('id', '=', self.ticket_of(message_id))])
        self.assertEqual(ticket['team'], "Billing")

    def test_unknown_address(self):
        "A mail to an address no team has is refused and makes nothing"
        message_id = mails.new_message_id()
        before = len(self.tickets())
        with self.assertLogs(LOGGER, 'WARNING') as logs:
            self.deliver(mails.plain(
                    'pat@customer.example', 'sales@helpdesk.example',
                    "A quote", "Send me a quote.", message_id=message_id))
        self.assertEqual(len(self.tickets()), before)
        self.assertEqual(self.inbound(message_id), [('unknown', None)])
        log, = logs.output
        self.assertIn('sales@helpdesk.example', log)
        self.assertIn(message_id, log)
        self.assertIn('refused', log)
        self.assertEqual(self.smtp.wait(1, timeout=1), [])

    def test_duplicate(self):
        "The same mail twice is stored once"
        message_id = mails.new_message_id()
        data = mails.plain(
            'pat@customer.example', TEAM_EMAIL, "Twice", "Sent twice.",
            message_id=message_id)
        self.deliver(data)
        ticket_id = self.ticket_of(message_id)
        with self.assertLogs(LOGGER, 'INFO') as logs:
            self.deliver(data)
        self.assertIn('already received', logs.output[0])
        self.assertEqual(
            len(self.tickets([('name', '=', "Twice")])), 1)
        self.assertEqual(self.inbound(message_id), [
                ('ticket', f'helpdesk.ticket,{ticket_id}'),
                ('duplicate', f'helpdesk.ticket,{ticket_id}'),
                ])
        # One acknowledgement
        self.assertEqual(len(self.smtp.wait(2, timeout=1)), 1)

    def test_duplicate_reply(self):
        "The same reply twice is posted once"
        ticket, _ = self.new_ticket()
        reply = mails.plain(
            CUSTOMER, TEAM_EMAIL, f"Re: [{ticket['number']}] Parcel",
            "Any news?")
        self.deliver(reply)
        self.deliver(reply)
        self.assertEqual(
            [c for _, c, _ in self.conversation(ticket['id'])], ["Any news?"])

    def test_no_message_id(self):
        "A mail without Message-ID is known by its content"
        data = mails.plain(
            'pat@customer.example', TEAM_EMAIL, "No id", "No Message-ID.",
            message_id=None).replace(b'Message-ID', b'X-Old-Message-ID')
        self.deliver(data)
        self.deliver(data)
        self.assertEqual(len(self.tickets([('name', '=', "No id")])), 1)

    # --- replies

    def test_reply_by_subject(self):
        "A reply with the ticket's reference in the subject joins the ticket"
        ticket, _ = self.new_ticket()
        message_id = mails.new_message_id()
        self.deliver(mails.alternative(
                f'Shirin <{CUSTOMER.upper()}>', TEAM_EMAIL,
                f"RE: [{ticket['number']}] The parcel never came",
                "It came today, thanks.\n\n> quoted earlier text",
                "<p>It came today, thanks.</p>", message_id=message_id,
                attachments=[('photo.png', 'image/png', png())]))
        self.assertEqual(self.conversation(ticket['id']), [
                (CUSTOMER, "It came today, thanks.\n\n> quoted earlier text",
                    message_id)])
        self.assertEqual(len(self.tickets([('id', '>', ticket['id'])])), 0)
        files = self.attachments(ticket['id'])
        self.assertEqual(files['photo.png'][0], png())
        self.assertTrue(files['photo.png'][1])
        message = files['photo.png'][2]
        self.assertTrue(message)
        self.assertEqual(files['message.html'][2], message)
        self.assertEqual(self.inbound(message_id)[0][0], 'reply')

    def test_reply_by_in_reply_to(self):
        "A reply to the acknowledgement joins the ticket"
        ticket, first_id = self.new_ticket()
        ack = self.acknowledgement(CUSTOMER)
        self.deliver(mails.plain(
                CUSTOMER, TEAM_EMAIL, "Re: your mail", "Here is the number.",
                extra=[
                    ('In-Reply-To', ack['Message-ID']),
                    ('References', f'{first_id} {ack["Message-ID"]}'),
                    ]))
        self.assertEqual(
            [c for _, c, _ in self.conversation(ticket['id'])],
            ["Here is the number."])

    def test_reply_to_first_mail(self):
        "A mail answering the customer's first mail joins its ticket"
        ticket, first_id = self.new_ticket()
        self.deliver(mails.plain(
                CUSTOMER, TEAM_EMAIL, "Re: The parcel", "One more thing.",
                extra=[('In-Reply-To', first_id)]))
        self.assertEqual(
            [c for _, c, _ in self.conversation(ticket['id'])],
            ["One more thing."])

    def test_reply_by_reply_address(self):
        "A reply to the ticket's reply address joins the ticket"
        ticket, _ = self.new_ticket()
        with Transaction().start(DB_NAME, 0, readonly=True):
            Channel = Pool().get('ir.chat.channel')
            channel, = Channel.search([
                    ('resource', '=', f'helpdesk.ticket,{ticket["id"]}')])
            identifier = channel.identifier
        self.deliver(mails.plain(
                CUSTOMER, f'helpdesk+{identifier}@example.com',
                "Re: a question", "Answering by the reply address."))
        self.assertEqual(
            [c for _, c, _ in self.conversation(ticket['id'])],
            ["Answering by the reply address."])
        # The team's address with the identifier, as the mails of the
        # ticket give it
        ack = self.acknowledgement(CUSTOMER)
        self.assertEqual(
            ack['Reply-To'].addresses[0].addr_spec,
            f'support+{identifier}@helpdesk.example')
        self.deliver(mails.plain(
                CUSTOMER, f'Support <support+{identifier}@helpdesk.example>',
                "Re: a question", "Answering the acknowledgement."))
        self.assertEqual(
            [c for _, c, _ in self.conversation(ticket['id'])],
            ["Answering by the reply address.",
                "Answering the acknowledgement."])

    def test_reply_reopens_solved(self):
        "A reply on a solved ticket reopens it; on a waiting one too"
        ticket, _ = self.new_ticket()
        self.set_state(ticket['id'], 'solve')
        self.assertEqual(
            self.tickets([('id', '=', ticket['id'])])[0]['state'], 'solved')
        self.deliver(mails.plain(
                CUSTOMER, TEAM_EMAIL, f"Re: [{ticket['number']}]",
                "It broke again."))
        self.assertIn(
            self.tickets([('id', '=', ticket['id'])])[0]['state'],
            {'new', 'in_progress'})
        self.set_state(ticket['id'], 'wait')
        self.deliver(mails.plain(
                CUSTOMER, TEAM_EMAIL, f"Re: [{ticket['number']}]",
                "Here is what you asked."))
        self.assertIn(
            self.tickets([('id', '=', ticket['id'])])[0]['state'],
            {'new', 'in_progress'})

    def test_reply_to_merged(self):
        "A reply to a merged ticket joins the ticket it was merged into"
        merged, _ = self.new_ticket(subject="Parcel, first mail")
        survivor, _ = self.new_ticket(subject="Parcel, second mail")
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            Ticket.write([Ticket(merged['id'])], {
                    'merged_into': survivor['id'], 'active': False})
            transaction.commit()
        self.deliver(mails.plain(
                CUSTOMER, TEAM_EMAIL, f"Re: [{merged['number']}] Parcel",
                "Still nothing."))
        self.assertEqual(
            [c for _, c, _ in self.conversation(survivor['id'])],
            ["Still nothing."])
        self.assertEqual(self.conversation(merged['id']), [])

    def test_non_follower_reply(self):
        "A reply from someone who does not follow the ticket is a new one"
        ticket, first_id = self.new_ticket()
        message_id = mails.new_message_id()
        with self.assertLogs(LOGGER, 'INFO') as logs:
            self.deliver(mails.plain(
                    'mallory@other.example', TEAM_EMAIL,
                    f"Re: [{ticket['number']}] The parcel never came",
                    "Me too!", message_id=message_id,
                    extra=[('In-Reply-To', first_id)]))
        self.assertIn('does not follow', logs.output[0])
        self.assertEqual(self.conversation(ticket['id']), [])
        new, = self.tickets([('id', '=', self.ticket_of(message_id))])
        self.assertNotEqual(new['id'], ticket['id'])
        self.assertEqual(new['origin'], ticket['id'])
        self.assertEqual(new['contact_email'], 'mallory@other.example')
        self.assertEqual(new['description'], "Me too!")
        self.assertEqual(self.inbound(message_id)[0][0], 'linked')

    def test_reply_to_cancelled(self):
        "A reply to a cancelled ticket is a new ticket related to it"
        ticket, _ = self.new_ticket()
        self.set_state(ticket['id'], 'cancel')
        message_id = mails.new_message_id()
        self.deliver(mails.plain(
                CUSTOMER, TEAM_EMAIL, f"Re: [{ticket['number']}] Parcel",
                "Why was it cancelled?", message_id=message_id))
        new, = self.tickets([('id', '=', self.ticket_of(message_id))])
        self.assertEqual(new['origin'], ticket['id'])
        self.assertEqual(
            self.tickets([('id', '=', ticket['id'])])[0]['state'],
            'cancelled')

    # --- automatic mails

    def test_auto_reply(self):
        "Auto-replies open no ticket and reopen none"
        ticket, _ = self.new_ticket()
        self.set_state(ticket['id'], 'solve')
        before = len(self.tickets())
        cases = [
            [('Auto-Submitted', 'auto-replied')],
            [('Precedence', 'bulk')],
            [('Precedence', 'junk')],
            [('X-Autoreply', 'yes')],
            [('X-Autorespond', 'Out of office')],
            ]
        for extra in cases:
            message_id = mails.new_message_id()
            with self.assertLogs(LOGGER, 'INFO') as logs:
                self.deliver(mails.plain(
                        CUSTOMER, TEAM_EMAIL,
                        f"Out of office: [{ticket['number']}]",
                        "I am away until Monday.", message_id=message_id,
                        extra=extra))
            self.assertIn('automatic mail', logs.output[0])
            self.assertEqual(
                self.inbound(message_id), [('automatic', None)], extra)
        self.assertEqual(len(self.tickets()), before)
        self.assertEqual(self.conversation(ticket['id']), [])
        self.assertEqual(
            self.tickets([('id', '=', ticket['id'])])[0]['state'], 'solved')
        # Auto-Submitted: no is a person's mail
        message_id = mails.new_message_id()
        self.deliver(mails.plain(
                'pat@customer.example', TEAM_EMAIL, "A person", "Hello.",
                message_id=message_id, extra=[('Auto-Submitted', 'no')]))
        self.assertEqual(self.inbound(message_id)[0][0], 'ticket')

    def test_bounce(self):
        "A bounce opens no ticket"
        ticket, first_id = self.new_ticket()
        before = len(self.tickets())
        message_id = mails.new_message_id('mx.customer.example')
        self.deliver(mails.bounce(
                TEAM_EMAIL, first_id, CUSTOMER, message_id=message_id))
        self.assertEqual(self.inbound(message_id), [('automatic', None)])
        # From the postmaster, even without the other headers
        postmaster_id = mails.new_message_id('mx.customer.example')
        self.deliver(mails.plain(
                'postmaster@customer.example', TEAM_EMAIL,
                f"Delivery failure [{ticket['number']}]", "Mailbox full.",
                message_id=postmaster_id))
        self.assertEqual(self.inbound(postmaster_id), [('automatic', None)])
        self.assertEqual(len(self.tickets()), before)
        self.assertEqual(self.conversation(ticket['id']), [])

    def test_own_mail_loop(self):
        "A mail from a team's address makes no ticket"
        message_id = mails.new_message_id('helpdesk.example')
        self.deliver(mails.plain(
                'billing@helpdesk.example', TEAM_EMAIL, "Loop", "Ours.",
                message_id=message_id))
        self.assertEqual(self.inbound(message_id), [('automatic', None)])

    # --- the forms

    def test_forms(self):
        "The forms show the related ticket and the outcome of a mail"
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            view = pool.get('helpdesk.ticket').fields_view_get(
                view_type='form')
            self.assertEqual(
                view['fields']['origin_ticket']['string'], "Related To")
            self.assertIn('name="origin_ticket"', view['arch'])
            Email = pool.get('inbound.email')
            for view_type in ['form', 'tree']:
                view = Email.fields_view_get(view_type=view_type)
                self.assertIn('name="helpdesk_outcome"', view['arch'])
                self.assertIn('name="helpdesk_message_id"', view['arch'])
            Rule = pool.get('inbound.email.rule')
            self.assertIn(
                ('helpdesk.ticket|from_inbound_email', "Helpdesk Ticket"),
                Rule.fields_get(['action'])['action']['selection'])

    # --- the team's address

    def test_team_email_normalised(self):
        "The team's address is kept normalised"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Team = Pool().get('helpdesk.team')
            self.assertEqual(Team(self.team.id).email, TEAM_EMAIL)

    def test_team_email_checks(self):
        "A team's address must be valid and no other team's"
        from trytond.model.exceptions import ValidationError
        with Transaction().start(DB_NAME, 0) as transaction:
            Team = Pool().get('helpdesk.team')
            transaction.set_context(company=Team(self.team.id).company.id)
            team, = Team.create([{'name': "Sales", 'email': None}])
            with self.assertRaises(ValidationError) as context:
                Team.write([team], {'email': 'not an address'})
            self.assertIn('"not an address"', context.exception.message)
            self.assertIn('"Sales"', context.exception.message)
            with self.assertRaises(ValidationError) as context:
                Team.write([team], {'email': 'BILLING@helpdesk.example'})
            self.assertEqual(
                context.exception.message,
                'Team "Billing" already has the e-mail address '
                '"billing@helpdesk.example": team "Sales" needs another one.')
            with self.assertRaises(ValidationError):
                Team.create([
                        {'name': "A", 'email': 'same@helpdesk.example'},
                        {'name': "B", 'email': 'Same@helpdesk.example'},
                        ])
            transaction.rollback()

    def test_rule_values_as_inbound_email(self):
        """The rules see the values trytond_inbound_email gives, from the
        mail the helpdesk parses once for them and for its action"""
        samples = [
            mails.plain(
                f'{mails.encoded_word("Jürgen", "iso-8859-1")} <{FIRST}>',
                f'Support <{TEAM_EMAIL}>, other@example.com',
                mails.encoded_word("Rückerstattung", 'iso-8859-1'),
                "Grüße", charset='iso-8859-1',
                extra=[('Cc', 'Billing <billing@helpdesk.example>')]),
            mails.alternative(
                f'{mails.encoded_word("شیرین احمدی")} <{CUSTOMER}>',
                TEAM_EMAIL, mails.encoded_word(SUBJECT_FA),
                "سلام", '<p>سلام</p>',
                attachments=[
                    ('invoice.pdf', 'application/pdf', pdf()),
                    ('رسید.png', 'image/png', png()),
                    ]),
            mails.html_only(
                FIRST, TEAM_EMAIL, "HTML only", '<p>Hello</p>'),
            mails.bounce(TEAM_EMAIL, mails.new_message_id(), FIRST),
            ]
        with Transaction().start(DB_NAME, 0, readonly=True):
            Email = Pool().get('inbound.email')
            for data in samples:
                email = Email(data=data, data_type='raw')
                self.assertEqual(
                    email.as_dict(), InboundEmail._as_dict(email, data))
