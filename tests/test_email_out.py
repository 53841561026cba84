# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""An agent answers a ticket through a real trytond server, as the web
client does: the reply reaches a real SMTP server with the ticket reference
in its subject and the headers that thread the customer's answer back"""

import base64
import email.utils
import json
import re
import unittest
import urllib.request

from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink, reply_to
from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction

from . import support

AGENT = 'nadia'
PASSWORD = 'Helpdesk-Nadia-2024!'
CUSTOMER_MAIL = '<printer-1@customer.example>'


class EmailOutTestCase(unittest.TestCase):
    "The agent's reply, from the server to the customer's mailbox"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        support.require_server_database()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        activate_modules('helpdesk_website', create_company)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Company = pool.get('company.company')
            Message = pool.get('ir.chat.message')
            ModelData = pool.get('ir.model.data')
            Team = pool.get('helpdesk.team')
            Ticket = pool.get('helpdesk.ticket')
            User = pool.get('res.user')
            company, = Company.search([])
            with transaction.set_context(company=company.id):
                User.create([{
                            'login': AGENT, 'name': "Nadia Karimi",
                            'password': PASSWORD,
                            'groups': [('add', [ModelData.get_id(
                                            'helpdesk_core',
                                            'group_helpdesk')])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            }])
                team, = Team.create([{
                            'name': "Customer Care", 'visibility': 'portal',
                            'email': 'care@support.example',
                            }])
                ticket, = Ticket.create([{
                            'team': team.id, 'name': "Printer jammed",
                            'channel': 'email', 'contact_name': "Carol",
                            'contact_email': 'carol@customer.example',
                            }])
                channel = Channel._get_channel(ticket)
                # The customer's e-mail the ticket was made from
                with transaction.set_context(_notify=False):
                    Message(
                        channel=channel, email='carol@customer.example',
                        audience='public', content="The printer jams.",
                        reference=CUSTOMER_MAIL).save()
            cls.ticket_id = ticket.id
            cls.number = ticket.number
            cls.identifier = channel.identifier
            transaction.commit()
        cls.server = support.TrytondServer(DB_NAME, cls.smtp.uri).start()
        cls.addClassCleanup(cls.server.cleanup)

    def rpc(self, method, *params, session=None):
        "Call the server's JSON-RPC as the web client does"
        request = urllib.request.Request(
            f'{self.server.url}{DB_NAME}/rpc/',
            data=json.dumps({
                    'id': 1, 'method': method, 'params': list(params),
                    }).encode(),
            headers={'Content-Type': 'application/json'})
        if session:
            request.add_header('Authorization', 'Session ' + session)
        opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            answer = json.load(response)
        self.assertNotIn('error', answer, self.server.log())
        return answer['result']

    def test_agent_reply_reaches_the_customer(self):
        "The reply is threaded to the customer's mail and comes back"
        self.smtp.clear()
        user_id, key, *_ = self.rpc(
            'common.db.login', AGENT, {'password': PASSWORD}, 'en')
        session = base64.b64encode(
            f'{AGENT}:{user_id}:{key}'.encode()).decode()
        context = self.rpc('model.res.user.get_preferences', True, {},
            session=session)
        self.rpc(
            'model.ir.chat.channel.post',
            f'helpdesk.ticket,{self.ticket_id}',
            "Please open the back cover and remove the sheet.", 'public',
            context, session=session)

        messages = self.smtp.wait(1)
        self.assertEqual(len(messages), 1, self.server.log())
        (recipients, message), = messages
        self.assertEqual(recipients, ['carol@customer.example'])
        self.assertEqual(
            message['Subject'], f"Re: [{self.number}] Printer jammed")
        self.assertEqual(
            message['From'], "Customer Care <care@support.example>")
        self.assertEqual(
            email.utils.parseaddr(message['Reply-To'])[1],
            f'care+{self.identifier}@support.example')
        self.assertEqual(message['In-Reply-To'], CUSTOMER_MAIL)
        self.assertEqual(message['References'], CUSTOMER_MAIL)
        self.assertRegex(message['Message-ID'], r'^<[^<>@\s]+@[^<>@\s]+>$')
        text = message.get_body(('plain',)).get_content()
        self.assertIn("Please open the back cover and remove the sheet.", text)
        self.assertIn("Nadia Karimi, Customer Care", text)
        self.assertRegex(
            text, re.escape(f'/{DB_NAME}/helpdesk/portal/tickets/')
            + str(self.ticket_id))

        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Message = pool.get('ir.chat.message')
            reply, = Message.search([
                    ('channel.resource', '=',
                        f'helpdesk.ticket,{self.ticket_id}'),
                    ('user.login', '=', AGENT),
                    ])
            # The Message-ID is the message's: an answer finds the ticket
            self.assertEqual(reply.reference, message['Message-ID'])
            answer = reply_to(
                message, 'carol@customer.example', "It works, thank you!")
            # Mail clients shorten subjects as they like
            answer.replace_header('Subject', "Re: printer")
            posted = Channel.post_from_email(answer)
            self.assertEqual(posted.channel.resource.id, self.ticket_id)
            transaction.commit()
