# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The e-mails a ticket sends to its customer, as a real SMTP server
receives them: subject, sender, reply address and threading headers"""

import datetime as dt
import email.utils
import re
import types
import unittest

from proteus import Model

import trytond.config as tconfig
from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink, reply_to
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.worker import run_task
from trytond.wsgi import app

from .. import outgoing, portal

ROOT = f'/{DB_NAME}/helpdesk'
CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
MSGID_RE = re.compile(r'^<[^<>@\s]+@[^<>@\s]+>$')
REPLY_LINE = '\N{EM DASH}' * 80


def load_persian(config):
    "Load the Persian translations of the modules"
    Lang = Model.get('ir.lang', config=config)
    persian, = Lang.find([('code', '=', 'fa')])
    persian.click('load_translations')


def addresses(header):
    return [a for _, a in email.utils.getaddresses([header or ''])]


class OutgoingEmailTestCase(unittest.TestCase):
    "The e-mails of the tickets"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        activate_modules('helpdesk_website', create_company, load_persian)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            Lang = pool.get('ir.lang')
            ModelData = pool.get('ir.model.data')
            Party = pool.get('party.party')
            Team = pool.get('helpdesk.team')
            User = pool.get('res.user')
            company, = Company.search([])
            cls.company_id = company.id
            persian, = Lang.search([('code', '=', 'fa')])
            with transaction.set_context(company=company.id):
                care, plain = Team.create([{
                            'name': "Customer Care",
                            'visibility': 'portal',
                            'website_published': True,
                            'email': 'care@support.example',
                            }, {
                            'name': "Back Office",
                            'visibility': 'internal',
                            }])
                agent, = User.create([{
                            'login': 'sophie', 'name': "Sophie Martin",
                            'email': 'sophie@staff.example',
                            'groups': [('add', [ModelData.get_id(
                                            'helpdesk_core',
                                            'group_helpdesk')])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            }])
                shirin, = Party.create([{
                            'name': "Shirin Ahmadi", 'lang': persian.id,
                            }])
            cls.care_id, cls.plain_id = care.id, plain.id
            cls.agent_id = agent.id
            cls.shirin_id = shirin.id
            transaction.commit()

    def setUp(self):
        super().setUp()
        self.smtp.clear()

    # --- helpers

    def ticket(self, team_id=None, **values):
        "Create a committed ticket and return its id"
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id}) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            values.setdefault('name', "Printer jammed")
            values.setdefault('contact_name', "Carol")
            values.setdefault('contact_email', 'carol@customer.example')
            ticket, = Ticket.create([{
                        'team': team_id or self.care_id, **values}])
            transaction.commit()
            return ticket.id

    def read(self, ticket_id):
        "The number and the channel identifier of the ticket"
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Ticket = pool.get('helpdesk.ticket')
            ticket = Ticket(ticket_id)
            return ticket.number, Channel._get_channel(ticket).identifier

    def post(self, ticket_id, content, audience='public', user=None):
        "Post in the conversation as the user and commit"
        with Transaction().start(DB_NAME, user or self.agent_id, context={
                    'company': self.company_id}) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Ticket = pool.get('helpdesk.ticket')
            message = Channel.post(
                Ticket(ticket_id), content, audience=audience)
            transaction.commit()
            return message.id

    def customer_mail(self, ticket_id, body, reference):
        "Store an e-mail of the customer in the conversation"
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Message = pool.get('ir.chat.message')
            Ticket = pool.get('helpdesk.ticket')
            channel = Channel._get_channel(Ticket(ticket_id))
            with transaction.set_context(_notify=False):
                Message(
                    channel=channel, email='carol@customer.example',
                    audience='public', content=body,
                    reference=reference).save()
            transaction.commit()

    def reference(self, message_id):
        with Transaction().start(DB_NAME, 0, readonly=True):
            return Pool().get('ir.chat.message')(message_id).reference

    def only_mail(self, recipient='carol@customer.example'):
        messages = self.smtp.wait(1)
        self.assertEqual(len(messages), 1, [m['Subject'] for _, m in messages])
        (recipients, message), = messages
        self.assertEqual(recipients, [recipient])
        self.assertEqual(addresses(message['To']), [recipient])
        self.assertRegex(message['Message-ID'], MSGID_RE)
        return message

    def parts(self, message):
        return (
            message.get_body(('plain',)).get_content(),
            message.get_body(('html',)).get_content())

    # --- tests

    def test_subject(self):
        "The reference comes once, before the subject, after one Re:"
        ticket = types.SimpleNamespace(number='HD00012', name="Re: RE: Jam")
        self.assertEqual(
            outgoing.ticket_subject(ticket), "Re: [HD00012] Jam")
        self.assertEqual(
            outgoing.ticket_subject(ticket, reply=False), "[HD00012] Jam")
        self.assertEqual(
            outgoing.ticket_subject(ticket, "Solved:\n  your request"),
            "[HD00012] Solved: your request")
        self.assertEqual(
            outgoing.ticket_subject(ticket, "Ticket [HD00012] solved"),
            "Ticket [HD00012] solved")

    def test_acknowledgement_of_the_form(self):
        "The form's acknowledgement comes from the team and threads back"
        client = Client(app, Response)
        page = client.get(f'{ROOT}/teams/{self.care_id}')
        token = CSRF_RE.search(page.text).group(1)
        response = client.post(f'{ROOT}/teams/{self.care_id}', data={
                'csrf_token': token,
                'contact_name': "Vera Visitor",
                'contact_email': 'vera@visitor.example',
                'name': "The parcel never came",
                'description': "Ordered on Monday.",
                'priority': '1',
                })
        self.assertEqual(response.status_code, 303, response.text[:2000])
        message = self.only_mail('vera@visitor.example')
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Message = pool.get('ir.chat.message')
            Ticket = pool.get('helpdesk.ticket')
            ticket, = Ticket.search([('name', '=', "The parcel never came")])
            number = ticket.number
            identifier = Pool().get('ir.chat.channel')._get_channel(
                ticket).identifier
            note, = Message.search([
                    ('channel.resource', '=', str(ticket)),
                    ('reference', '=', message['Message-ID']),
                    ])
            self.assertEqual(note.audience, 'internal')
            self.assertEqual(note.user.id, 0)
            self.assertEqual(
                note.content,
                "Acknowledgement of receipt e-mailed to vera@visitor.example.")
        self.assertEqual(
            message['Subject'], f"[{number}] The parcel never came")
        self.assertEqual(
            message['From'], "Customer Care <care@support.example>")
        self.assertEqual(
            message['Reply-To'],
            f"Customer Care <care+{identifier}@support.example>")
        self.assertEqual(message['Auto-Submitted'], 'auto-generated')
        self.assertIsNone(message['In-Reply-To'])
        text, html = self.parts(message)
        self.assertTrue(text.startswith(REPLY_LINE), text)
        self.assertIn(f"opened the ticket {number}", text)
        self.assertIn(f"{ROOT}/portal/tickets/{ticket.id}", text)
        self.assertIn('href="http://', html)

        # The customer's answer to the acknowledgement comes to the ticket
        answer = reply_to(
            message, 'vera@visitor.example',
            "Here is the tracking number.\n\n" + text)
        answer.replace_header('Subject', "Re: my parcel")
        with Transaction().start(DB_NAME, 0) as transaction:
            Channel = Pool().get('ir.chat.channel')
            posted = Channel.post_from_email(answer)
            self.assertEqual(posted.channel.resource.id, ticket.id)
            self.assertEqual(posted.content, "Here is the tracking number.")
            transaction.commit()

    def with_queue_worker(self):
        "[queue] worker = True for the test: the tasks wait for a worker"
        if not tconfig.has_section('queue'):
            tconfig.add_section('queue')
        tconfig.set('queue', 'worker', 'True')

        def remove():
            tconfig._config.remove_option('queue', 'worker')
            tconfig._cache_clear()
        self.addCleanup(remove)

    def acknowledgement_tasks(self):
        "The (id, ticket ids, finished) of the acknowledgements queued"
        with Transaction().start(DB_NAME, 0, readonly=True):
            Queue = Pool().get('ir.queue')
            return [
                (t.id, list(t.data['instances']), bool(t.finished_at))
                for t in Queue.search([], order=[('id', 'ASC')])
                if t.data.get('method') == 'helpdesk_acknowledge']

    def test_acknowledgement_queued(self):
        "With a worker, the acknowledgement leaves the request and is sent"
        self.with_queue_worker()
        before = {t for t, _, _ in self.acknowledgement_tasks()}
        client = Client(app, Response)
        page = client.get(f'{ROOT}/teams/{self.care_id}')
        token = CSRF_RE.search(page.text).group(1)
        response = client.post(f'{ROOT}/teams/{self.care_id}', data={
                'csrf_token': token,
                'contact_name': "Quentin Queue",
                'contact_email': 'quentin@visitor.example',
                'name': "Waiting for the worker",
                'description': "Sent by the worker.",
                'priority': '1',
                })
        self.assertEqual(response.status_code, 303, response.text[:2000])
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Message = pool.get('ir.chat.message')
            Ticket = pool.get('helpdesk.ticket')
            ticket, = Ticket.search([('name', '=', "Waiting for the worker")])
            ticket_id, number = ticket.id, ticket.number
            self.assertFalse(Message.search([
                        ('channel.resource', '=', str(ticket)),
                        ]))
        # The ticket is saved, the mail is a task of the queue, not sent
        tasks = [t for t in self.acknowledgement_tasks() if t[0] not in before]
        self.assertEqual(
            [(i, f) for _, i, f in tasks], [([ticket_id], False)])
        self.assertEqual(self.smtp.wait(1, timeout=0.5), [])

        # The worker runs it: the acknowledgement as without a worker
        run_task(DB_NAME, tasks[0][0])
        message = self.only_mail('quentin@visitor.example')
        self.assertEqual(
            message['Subject'], f"[{number}] Waiting for the worker")
        self.assertEqual(
            message['From'], "Customer Care <care@support.example>")
        self.assertEqual(message['Auto-Submitted'], 'auto-generated')
        _, identifier = self.read(ticket_id)
        self.assertEqual(
            message['Reply-To'],
            f"Customer Care <care+{identifier}@support.example>")
        text, _ = self.parts(message)
        self.assertIn(f"{ROOT}/portal/tickets/{ticket_id}", text)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Message = Pool().get('ir.chat.message')
            note, = Message.search([
                    ('channel.resource', '=', f'helpdesk.ticket,{ticket_id}'),
                    ('reference', '=', message['Message-ID']),
                    ])
            self.assertEqual(note.audience, 'internal')
        self.assertEqual(
            [f for t, _, f in self.acknowledgement_tasks()
                if t == tasks[0][0]], [True])

    def test_acknowledgement_queued_rolled_back(self):
        "A ticket rolled back leaves no task and sends no mail"
        self.with_queue_worker()
        before = self.acknowledgement_tasks()
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id}) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.create([{
                        'team': self.care_id, 'name': "Never saved",
                        'contact_email': 'nobody@customer.example',
                        }])
            portal.acknowledge(ticket, 'http://example.com/t', 'en')
            transaction.rollback()
        self.assertEqual(self.acknowledgement_tasks(), before)
        self.assertEqual(self.smtp.wait(1, timeout=0.5), [])

    def test_acknowledgement_in_reply(self):
        "The acknowledgement of a mail answers it"
        ticket_id = self.ticket(channel='email')
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id}) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            portal.acknowledge(
                Ticket(ticket_id), 'http://example.com/t', 'en',
                in_reply_to='<first@customer.example>')
            transaction.commit()
        message = self.only_mail()
        self.assertEqual(message['In-Reply-To'], '<first@customer.example>')
        self.assertEqual(message['References'], '<first@customer.example>')
        self.assertEqual(message['Auto-Submitted'], 'auto-replied')

        # A broken Message-ID of the customer's mail is left out
        self.smtp.clear()
        ticket_id = self.ticket(channel='email')
        with Transaction().start(DB_NAME, 0, context={
                    'company': self.company_id}) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            portal.acknowledge(
                Ticket(ticket_id), 'http://example.com/t', 'en',
                in_reply_to='no identifier\r\nBcc: x@evil.example')
            transaction.commit()
        message = self.only_mail()
        self.assertIsNone(message['In-Reply-To'])
        self.assertIsNone(message['Bcc'])

    def test_agent_reply(self):
        "An agent's answer: the ticket's subject, threaded to the customer"
        ticket_id = self.ticket()
        number, identifier = self.read(ticket_id)
        self.customer_mail(
            ticket_id, "It jams again.", '<second@customer.example>')
        self.smtp.clear()

        reply_id = self.post(ticket_id, "Please open the back cover.")
        message = self.only_mail()
        self.assertEqual(message['To'], "Carol <carol@customer.example>")
        self.assertEqual(message['Subject'], f"Re: [{number}] Printer jammed")
        self.assertEqual(
            message['From'], "Customer Care <care@support.example>")
        self.assertEqual(
            message['Reply-To'],
            f"Customer Care <care+{identifier}@support.example>")
        self.assertEqual(message['Message-ID'], self.reference(reply_id))
        self.assertEqual(message['In-Reply-To'], '<second@customer.example>')
        self.assertEqual(message['References'], '<second@customer.example>')
        self.assertIsNone(message['Auto-Submitted'])
        text, html = self.parts(message)
        self.assertTrue(text.startswith(REPLY_LINE), text)
        self.assertIn("Please reply above this line.", text)
        self.assertIn("Please open the back cover.", text)
        self.assertIn("Sophie Martin, Customer Care", text)
        self.assertIn(f"Ticket {number}: Printer jammed", text)
        self.assertIn("<div>Please open the back cover.</div>", html)
        first = message['Message-ID']

        # The next answer still answers the customer's mail, after ours
        self.smtp.clear()
        self.post(ticket_id, "Did it <work>?")
        message = self.only_mail()
        self.assertEqual(message['In-Reply-To'], '<second@customer.example>')
        self.assertEqual(
            message['References'].split(),
            [first, '<second@customer.example>'])
        text, html = self.parts(message)
        self.assertIn("Did it &lt;work&gt;?", html)

        # The customer answers the agent's mail: it comes to the ticket
        answer = reply_to(message, 'carol@customer.example', "Yes, thanks!")
        answer.replace_header('Subject', "Re: thanks")
        with Transaction().start(DB_NAME, 0) as transaction:
            Channel = Pool().get('ir.chat.channel')
            posted = Channel.post_from_email(answer)
            self.assertEqual(posted.channel.resource.id, ticket_id)
            transaction.commit()

    def test_internal_notes_stay(self):
        "An internal note, by an agent or by the system, is never e-mailed"
        ticket_id = self.ticket()
        self.smtp.clear()
        self.post(ticket_id, "The customer is grumpy.", audience='internal')
        self.post(
            ticket_id, "Assigned by the system.", audience='internal', user=0)
        # The sink has received what the commits sent
        self.assertEqual(self.smtp.messages, [])
        self.post(ticket_id, "We are on it.")
        message = self.only_mail()
        text, html = self.parts(message)
        for part in [text, html]:
            self.assertNotIn("grumpy", part)
            self.assertNotIn("Assigned by the system", part)

    def test_customer_message_to_other_followers(self):
        "The customer's own message goes to the other followers, not them"
        ticket_id = self.ticket()
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Ticket = pool.get('helpdesk.ticket')
            with transaction.set_context(_notify=False):
                Channel.subscribe_email(
                    Ticket(ticket_id), 'colleague@customer.example')
            transaction.commit()
        self.smtp.clear()
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            Message = pool.get('ir.chat.message')
            Ticket = pool.get('helpdesk.ticket')
            message = Message(
                channel=Channel._get_channel(Ticket(ticket_id)),
                email='carol@customer.example', audience='public',
                content="Any news?")
            message.save()
            Channel.dispatch_message(
                message, lambda u: u == 'carol@customer.example')
            transaction.commit()
        message = self.only_mail('colleague@customer.example')
        self.assertEqual(message['To'], 'colleague@customer.example')
        text, html = self.parts(message)
        self.assertIn("carol@customer.example wrote:\n\nAny news?", text)
        self.assertNotIn("carol@customer.example, Customer Care", text)

    def test_team_without_address(self):
        "A team without address sends from the server's address"
        ticket_id = self.ticket(self.plain_id)
        _, identifier = self.read(ticket_id)
        self.post(ticket_id, "Noted.")
        message = self.only_mail()
        self.assertEqual(message['From'], 'helpdesk@example.com')
        self.assertEqual(
            message['Reply-To'], f'helpdesk+{identifier}@example.com')
        text, _ = self.parts(message)
        # An internal team has no portal
        self.assertNotIn('/portal/', text)

    def test_stage_template(self):
        "A stage's template: its subject, its HTML and its text"
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Model = pool.get('ir.model')
            Stage = pool.get('helpdesk.stage')
            Template = pool.get('ir.email.template')
            model, = Model.search([('name', '=', 'helpdesk.ticket')])
            template, = Template.create([{
                        'model': model.id, 'name': "Solved",
                        'subject': "Solved: ${record.name}",
                        'body': "<p>Hello ${record.contact_name},</p>"
                        "<p>your ticket is <b>solved</b>.</p>",
                        }])
            stage, = Stage.create([{
                        'name': "Solved by template", 'category': 'solved',
                        'sequence': 1, 'teams': [('add', [self.care_id])],
                        'email_template': template.id,
                        }])
            transaction.commit()
        self.addCleanup(self._delete_stage, stage.id, template.id)
        ticket_id = self.ticket()
        number, _ = self.read(ticket_id)
        self.smtp.clear()
        with Transaction().start(DB_NAME, self.agent_id, context={
                    'company': self.company_id}) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            Ticket.solve([Ticket(ticket_id)])
            transaction.commit()
        message = self.only_mail()
        self.assertEqual(
            message['Subject'], f"[{number}] Solved: Printer jammed")
        self.assertEqual(
            message['From'], "Customer Care <care@support.example>")
        self.assertEqual(message['Auto-Submitted'], 'auto-generated')
        text, html = self.parts(message)
        self.assertIn("Hello Carol,\n\nyour ticket is solved.", text)
        self.assertIn("<p>your ticket is <b>solved</b>.</p>", html)
        with Transaction().start(DB_NAME, 0, readonly=True):
            Message = Pool().get('ir.chat.message')
            posted, = Message.search([
                    ('channel.resource', '=', f'helpdesk.ticket,{ticket_id}'),
                    ('audience', '=', 'public'),
                    ])
            # The conversation keeps the text
            self.assertEqual(
                posted.content, "Hello Carol,\n\nyour ticket is solved.")
            self.assertEqual(posted.reference, message['Message-ID'])

    def _delete_stage(self, stage_id, template_id):
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Stage = pool.get('helpdesk.stage')
            Template = pool.get('ir.email.template')
            Ticket = pool.get('helpdesk.ticket')
            Stage.write([Stage(stage_id)], {'email_template': None})
            Template.delete([Template(template_id)])
            with transaction.set_context(active_test=False):
                tickets = Ticket.search([('stage', '=', stage_id)])
            if tickets:
                Stage.write([Stage(stage_id)], {'teams': [
                            ('remove', [self.care_id])]})
                solved, = Stage.search([
                        ('category', '=', 'solved'), ('id', '!=', stage_id)],
                    limit=1)
                Ticket.write(tickets, {'stage': solved.id})
            Stage.delete([Stage(stage_id)])
            transaction.commit()

    def test_inactive_warning_in_persian(self):
        "The cron's warning and closing reach a Persian customer in Persian"
        ticket_id = self.ticket(
            party=self.shirin_id, contact_name="Shirin",
            contact_email='shirin@mail.example', name="چاپگر گیر کرده")
        number, _ = self.read(ticket_id)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Team = pool.get('helpdesk.team')
            Ticket = pool.get('helpdesk.ticket')
            Team.write([Team(self.care_id)], {'inactive_close_days': 3})
            Ticket.wait([Ticket(ticket_id)])
            table = Ticket.__table__()
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    [table.waiting_date],
                    [dt.datetime.now() - dt.timedelta(days=2, hours=1)],
                    where=table.id == ticket_id))
            transaction.commit()
        self.addCleanup(self._team_setting, None)
        self.smtp.clear()
        with Transaction().start(DB_NAME, 0) as transaction:
            Pool().get('helpdesk.ticket').close_inactive()
            transaction.commit()
        warning = self.only_mail('shirin@mail.example')
        self.assertEqual(
            warning['Subject'], f"Re: [{number}] چاپگر گیر کرده")
        self.assertEqual(warning['Auto-Submitted'], 'auto-generated')
        text, html = self.parts(warning)
        self.assertIn("هنوز منتظر پاسخ شما", text)
        self.assertIn('dir="rtl"', html)

        # A rerun does not warn again
        self.smtp.clear()
        with Transaction().start(DB_NAME, 0) as transaction:
            Pool().get('helpdesk.ticket').close_inactive()
            transaction.commit()
        self.assertEqual(self.smtp.messages, [])

        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            Ticket.close_inactive(
                now=dt.datetime.now() + dt.timedelta(days=1, hours=1))
            self.assertEqual(Ticket(ticket_id).state, 'solved')
            transaction.commit()
        closing = self.only_mail('shirin@mail.example')
        self.assertEqual(closing['In-Reply-To'], warning['Message-ID'])
        self.assertIn("بسته شد", self.parts(closing)[0])

    def _team_setting(self, days):
        with Transaction().start(DB_NAME, 0) as transaction:
            Team = Pool().get('helpdesk.team')
            Team.write([Team(self.care_id)], {'inactive_close_days': days})
            transaction.commit()
