# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The live chat as visitors and operators use it, through trytond's WSGI
application: the widget, the console, the tickets of the chats, and who
may see which chat"""

import base64
import datetime as dt
import json
import os
import re
import threading
import time
import types
import unittest

from proteus import Model

import trytond.config as tconfig
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import (
    SMTPSink, create_helpdesk_user)
from trytond.modules.helpdesk_website import livechat, livechat_routes
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import (
    DB_NAME, Client, _DBTestCase, drop_db, with_transaction)
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.wsgi import app

ROOT = f'/{DB_NAME}/helpdesk'
LIVECHAT = ROOT + '/livechat'
CSRF_RE = re.compile(r'data-csrf="([0-9a-f]*)"')
FETCH = {'X-Requested-With': 'fetch'}
# The test client has no address: nor has the session of the web client
REQUEST = {}


def stop_bus_listener():
    """Stop the listener thread of Tryton's bus on the test database: it
    holds a connection to it"""
    from trytond.bus import LongPollingBus
    key = (os.getpid(), DB_NAME)
    with LongPollingBus._queues_lock[os.getpid()]:
        queue = LongPollingBus._queues.get(key)
        if not queue:
            return
        queue['timeout'] = 0
        listener = queue.get('listener')
    if listener:
        listener.join(timeout=30)


class LiveChatTestCase(unittest.TestCase):
    "The live chat of the website"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        cls.config = activate_modules('helpdesk_website', create_company)
        Team = Model.get('helpdesk.team')
        User = Model.get('res.user')
        alice = create_helpdesk_user('alice', "Alice Agent")
        bob = create_helpdesk_user('bob', "Bob Agent")
        carl = create_helpdesk_user('carl', "Carl Agent")
        support = Team(name="Customer Support", visibility='portal')
        support.website_published = True
        support.livechat = True
        support.members.extend([User(alice.id), User(bob.id)])
        support.save()
        billing = Team(name="Billing", visibility='portal')
        billing.livechat = True
        billing.members.append(User(carl.id))
        billing.save()
        quiet = Team(name="Internal IT", visibility='internal')
        quiet.members.append(User(carl.id))
        quiet.save()
        outsider = User(login='olga', name="Olga Outsider")
        outsider.save()
        cls.data = types.SimpleNamespace(
            outsider=outsider.id,
            alice=alice.id, bob=bob.id, carl=carl.id, support=support.id,
            billing=billing.id, quiet=quiet.id)
        for section in ['helpdesk_website', 'bus']:
            if not tconfig.has_section(section):
                tconfig.add_section(section)

    def setting(self, section, name, value):
        "Set an option of the configuration for the test"
        tconfig.set(section, name, value)

        def remove():
            tconfig._config.remove_option(section, name)
            tconfig._cache_clear()
        self.addCleanup(remove)

    def setUp(self):
        super().setUp()
        self.smtp.clear()
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            for model in [
                    'helpdesk.livechat.presence',
                    'helpdesk.website.attempt']:
                Model_ = pool.get(model)
                table = Model_.__table__()
                transaction.connection.cursor().execute(*table.delete())
            Session = pool.get('helpdesk.livechat.session')
            Session.write(Session.search([('state', '!=', 'closed')]), {
                    'state': 'closed'})
            transaction.commit()

    # --- helpers

    def visitor(self):
        "A visitor's browser on a page of the website: its CSRF token"
        client = Client(app, Response)
        response = client.get(LIVECHAT + '/widget', query_string={
                'team': self.data.support})
        self.assertEqual(response.status_code, 200, response.text[:500])
        client.csrf = CSRF_RE.search(response.text).group(1)
        return client

    def visitor_post(self, client, path, data, csrf=True, headers=None):
        headers = dict(FETCH, **(headers or {}))
        if csrf:
            headers['X-CSRF-Token'] = client.csrf
        return client.post(LIVECHAT + path, data=data, headers=headers)

    def start(self, client, team=None, **values):
        data = {
            'team': team or self.data.support,
            'name': "Vera Visitor",
            'email': 'vera@visitor.example',
            'content': "Hello, my parcel never came.",
            }
        data.update(values)
        return self.visitor_post(client, '/start', data)

    def operator(self, user_id):
        """The console of the operator, opened as from the web client's
        menu: the wizard's address, exchanged for the console's cookie"""
        with Transaction().start(
                DB_NAME, user_id, context=REQUEST) as transaction:
            pool = Pool()
            Wizard = pool.get('helpdesk.livechat.console.open', type='wizard')
            session_id, _, _ = Wizard.create()
            wizard = Wizard(session_id)
            action, _ = wizard.do_start({})
            transaction.commit()
        url = action['url']
        self.assertIn('/helpdesk/livechat/console?user=', url)
        path = url[url.index(ROOT):]
        client = Client(app, Response)
        response = client.get(path)
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.location.endswith('/livechat/console'))
        response = client.get(LIVECHAT + '/console')
        self.assertEqual(response.status_code, 200, response.text[:500])
        client.csrf = CSRF_RE.search(response.text).group(1)
        # The key of the address opened the console once, not twice
        other = Client(app, Response)
        other.get(path)
        self.assertEqual(
            other.get(LIVECHAT + '/console').status_code, 403)
        return client

    def console(self, client, after=0):
        response = client.get(
            LIVECHAT + '/console/poll', query_string={'after': after})
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response.json

    def console_post(self, client, path, data=None):
        return client.post(
            LIVECHAT + '/console' + path, data=data or {},
            headers=dict(FETCH, **{'X-CSRF-Token': client.csrf}))

    def poll(self, client, after=0, headers=None):
        return client.get(
            LIVECHAT + '/poll', query_string={'after': after},
            headers=headers or {})

    def contents(self, messages):
        return [m['content'] for m in messages]

    # --- the tests

    def test_team_snippet(self):
        "The team form shows the snippet that embeds the chat elsewhere"
        Team = Model.get('helpdesk.team')
        team = Team(self.data.support)
        self.assertTrue(team.livechat)
        self.assertRegex(
            team.livechat_snippet,
            r'^<script src="http://[^"]+/%s/helpdesk/livechat/embed\.js" '
            r'data-team="%s" async></script>$' % (
                re.escape(DB_NAME), self.data.support))

    def test_embed_script_and_frame(self):
        "Any site loads the snippet's script and frames the chat"
        client = Client(app, Response)
        response = client.get(LIVECHAT + '/embed.js')
        self.assertEqual(response.status_code, 200)
        self.assertTrue(
            response.headers['Content-Type'].startswith('text/javascript'))
        self.assertEqual(
            response.headers['Cross-Origin-Resource-Policy'], 'cross-origin')
        self.assertIn("'/frame/'", response.text)

        response = client.get(LIVECHAT + f'/frame/{self.data.support}')
        self.assertEqual(response.status_code, 200)
        self.assertNotIn('X-Frame-Options', response.headers)
        csp = response.headers['Content-Security-Policy']
        self.assertIn('frame-ancestors *', csp)
        self.assertIn("script-src 'self'", csp)
        self.assertIn('data-mode="frame"', response.text)
        # No CSRF token in the frame: it sends the token of its chat
        self.assertIn('data-csrf=""', response.text)
        # The pages of the website itself are never framed
        response = client.get(ROOT + '/')
        self.assertEqual(response.headers['X-Frame-Options'], 'DENY')

        self.setting('helpdesk_website', 'livechat_origins',
            'https://shop.example https://www.shop.example')
        response = client.get(LIVECHAT + f'/frame/{self.data.support}')
        self.assertIn(
            'frame-ancestors https://shop.example https://www.shop.example',
            response.headers['Content-Security-Policy'])

        # A team without live chat has no frame
        response = client.get(LIVECHAT + f'/frame/{self.data.quiet}')
        self.assertEqual(response.status_code, 404)

    def test_widget_on_the_pages(self):
        "The pages have the slot of the widget, which lists the chat teams"
        client = Client(app, Response)
        response = client.get(ROOT + '/')
        self.assertIn('id="helpdesk-livechat-slot"', response.text)
        response = client.get(LIVECHAT + '/widget')
        self.assertEqual(response.status_code, 200)
        self.assertIn("Customer Support", response.text)
        self.assertIn("Billing", response.text)
        self.assertNotIn("Internal IT", response.text)
        # Nobody online: the widget offers to leave a message
        self.assertIn('data-online="0"', response.text)
        self.assertNotIn('data-online="1"', response.text)

        response = client.get(ROOT + f'/teams/{self.data.support}')
        self.assertIn(
            f'/livechat/widget?team={self.data.support}', response.text)
        response = client.get(
            LIVECHAT + '/widget', query_string={'team': self.data.support})
        self.assertNotIn("Billing", response.text)

        response = client.get(
            LIVECHAT + '/widget', query_string={'lang': 'fa'})
        self.assertIn('dir="rtl"', response.text)
        self.assertIn("گفتگو با ما", response.text)

    def test_offline_message_makes_ticket(self):
        "Nobody online: the visitor's message is a ticket, acknowledged"
        visitor = self.visitor()
        response = self.start(visitor)
        self.assertEqual(response.status_code, 409)
        self.assertTrue(response.json['offline'])
        self.assertEqual(
            self.count('helpdesk.livechat.session', [
                    ('visitor_email', '=', 'vera@visitor.example'),
                    ('state', '!=', 'closed')]), 0)

        response = self.visitor_post(visitor, '/leave', {
                'team': self.data.support, 'name': "Vera Visitor",
                'email': 'Vera@Visitor.example', 'subject': "",
                'content': "My parcel never came.\nOrder SO-1187."})
        self.assertEqual(response.status_code, 200, response.text)
        number = response.json['ticket']
        self.assertIn(number, response.json['text'])

        Ticket = Model.get('helpdesk.ticket')
        ticket, = Ticket.find([('number', '=', number)])
        self.assertEqual(ticket.channel, 'livechat')
        self.assertEqual(ticket.team.id, self.data.support)
        self.assertEqual(ticket.name, "My parcel never came.")
        self.assertEqual(
            ticket.description, "My parcel never came.\nOrder SO-1187.")
        self.assertEqual(
            ticket.contact_email.lower(), 'vera@visitor.example')
        self.assertEqual(ticket.party.name, "Vera Visitor")
        messages = self.smtp.wait(1)
        recipients, message = messages[-1]
        self.assertEqual(
            [r.lower() for r in recipients], ['vera@visitor.example'])
        self.assertIn(f'[{number}]', message['Subject'])

        # Bad input loses nothing and says what is wrong
        response = self.visitor_post(visitor, '/leave', {
                'team': self.data.support, 'name': "",
                'email': 'not an address', 'content': ""})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            set(response.json['errors']), {'name', 'email', 'content'})

    def test_chat_with_operator_to_ticket(self):
        """A visitor chats with an operator, who makes a ticket by typing
        /ticket: the transcript is in its conversation, the visitor is
        its follower and gets the acknowledgement"""
        alice = self.operator(self.data.alice)
        state = self.console(alice)
        self.assertEqual(state['waiting'], [])
        self.assertEqual(
            [t['name'] for t in state['teams']], ["Customer Support"])

        visitor = self.visitor()
        response = self.start(visitor)
        self.assertEqual(response.status_code, 200, response.text)
        chat = response.json['chat']
        self.assertEqual(chat['state'], 'waiting')
        self.assertNotIn('token', response.json)
        self.assertIn('helpdesk_livechat=', response.headers['Set-Cookie'])
        self.assertIn('HttpOnly', response.headers['Set-Cookie'])

        state = self.console(alice)
        waiting, = state['waiting']
        self.assertEqual(waiting['visitor'], "Vera Visitor")
        self.assertEqual(waiting['email'], 'vera@visitor.example')
        self.assertEqual(waiting['preview'], "Hello, my parcel never came.")
        self.assertGreaterEqual(waiting['wait'], 0)

        response = self.console_post(alice, f'/chats/{chat["id"]}/take')
        self.assertEqual(response.status_code, 200, response.text)
        # Bob was too late
        bob = self.operator(self.data.bob)
        response = self.console_post(bob, f'/chats/{chat["id"]}/take')
        self.assertEqual(response.status_code, 400)
        self.assertIn("already taken", response.json['error'])

        response = self.console_post(
            alice, f'/chats/{chat["id"]}/send',
            {'content': "Hello Vera, let me look at your order."})
        self.assertEqual(response.status_code, 200, response.text)

        response = self.poll(visitor)
        self.assertEqual(response.status_code, 200)
        seen = response.json['chat']
        self.assertEqual(seen['state'], 'active')
        self.assertEqual(seen['operator'], "Alice Agent")
        self.assertEqual(self.contents(seen['messages']), [
                "Hello, my parcel never came.",
                "Alice Agent joined the chat.",
                "Hello Vera, let me look at your order."])
        last = seen['messages'][-1]['id']

        response = self.visitor_post(
            visitor, '/message', {'content': "Order SO-1187."})
        self.assertEqual(response.status_code, 200, response.text)
        state = self.console(alice, after=last)
        mine, = state['chats']
        self.assertEqual(self.contents(mine['messages']), ["Order SO-1187."])
        self.assertEqual(mine['messages'][0]['name'], "Vera Visitor")
        self.assertEqual(
            [(o['name'], o['online']) for o in mine['operators']],
            [("Bob Agent", True)])

        response = self.console_post(
            alice, f'/chats/{chat["id"]}/send',
            {'content': "/ticket Parcel SO-1187 never delivered"})
        self.assertEqual(response.status_code, 200, response.text)
        number = response.json['ticket']

        Ticket = Model.get('helpdesk.ticket')
        ticket, = Ticket.find([('number', '=', number)])
        self.assertEqual(ticket.name, "Parcel SO-1187 never delivered")
        self.assertEqual(ticket.channel, 'livechat')
        self.assertEqual(ticket.team.id, self.data.support)
        self.assertEqual(ticket.user.id, self.data.alice)
        self.assertEqual(ticket.contact_email, 'vera@visitor.example')
        self.assertEqual(ticket.party.name, "Vera Visitor")
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            Channel = pool.get('ir.chat.channel')
            TicketModel = pool.get('helpdesk.ticket')
            channel = Channel._get_channel(TicketModel(ticket.id))
            followers = {f.email for f in channel.followers if f.email}
            self.assertIn('vera@visitor.example', followers)
            transcript = [
                m for m in Channel.get(str(TicketModel(ticket.id)))
                if m['audience'] == 'public']
        transcript, = transcript
        lines = transcript['content'].splitlines()
        self.assertTrue(lines[0].startswith(
                "Live chat with Vera Visitor <vera@visitor.example>"))
        self.assertRegex(
            lines[1],
            r'^\[\d\d:\d\d:\d\d\] Vera Visitor: Hello, my parcel never '
            r'came\.$')
        self.assertRegex(
            lines[2], r'^\[\d\d:\d\d:\d\d\] Alice Agent joined the chat\.$')
        self.assertEqual(transcript['author'], "Alice Agent")
        self.assertRegex(
            lines[3], r'^\[\d\d:\d\d:\d\d\] Alice Agent: Hello Vera, let me '
            r'look at your order\.$')
        self.assertRegex(
            lines[4], r'^\[\d\d:\d\d:\d\d\] Vera Visitor: Order SO-1187\.$')

        recipients, message = self.smtp.wait(1)[-1]
        self.assertIn('vera@visitor.example', recipients)
        self.assertIn(f'[{number}]', message['Subject'])

        # Both sides see the number of the ticket
        response = self.poll(visitor, after=last)
        self.assertEqual(response.json['chat']['ticket'], number)
        self.assertIn(number, response.json['chat']['messages'][-1]['content'])
        state = self.console(alice)
        self.assertEqual(state['chats'][0]['ticket'], number)
        # A chat makes one ticket
        response = self.console_post(alice, f'/chats/{chat["id"]}/ticket')
        self.assertEqual(response.status_code, 400)
        self.assertIn(number, response.json['error'])

        # The visitor ends the chat: it is gone from the console
        response = self.visitor_post(visitor, '/close', {})
        self.assertEqual(response.json['chat']['state'], 'closed')
        self.assertEqual(self.console(alice)['chats'], [])
        response = self.visitor_post(
            visitor, '/message', {'content': "Still there?"})
        self.assertEqual(response.status_code, 404)

    def test_ticket_button(self):
        "The operator's button makes the ticket, its subject from the chat"
        alice = self.operator(self.data.alice)
        visitor = self.visitor()
        chat = self.start(
            visitor, content="Where is my refund?\nIt's been weeks."
            ).json['chat']
        self.console_post(alice, f'/chats/{chat["id"]}/take')
        response = self.console_post(alice, f'/chats/{chat["id"]}/ticket')
        self.assertEqual(response.status_code, 200, response.text)
        Ticket = Model.get('helpdesk.ticket')
        ticket, = Ticket.find([('number', '=', response.json['ticket'])])
        self.assertEqual(ticket.name, "Where is my refund?")
        self.assertEqual(
            ticket.description, "Where is my refund?\nIt's been weeks.")

    def test_visitor_token_isolation(self):
        "A visitor sees their own chat only, and only from their browser"
        alice = self.operator(self.data.alice)
        vera = self.visitor()
        chat = self.start(vera).json['chat']
        self.console_post(alice, f'/chats/{chat["id"]}/take')

        # Another browser has no chat
        other = self.visitor()
        self.assertEqual(self.poll(other).status_code, 404)
        response = self.visitor_post(
            other, '/message', {'content': "Let me in"})
        self.assertEqual(response.status_code, 404)
        # Nor with a made-up token
        self.assertEqual(self.poll(other, headers={
                    'X-Livechat-Token': 'x' * 43}).status_code, 404)
        # The cookie alone does not post: the CSRF token of the page must
        # come with it, and the header of our scripts
        response = self.visitor_post(
            vera, '/message', {'content': "Forged"}, csrf=False)
        self.assertEqual(response.status_code, 403)
        response = vera.post(LIVECHAT + '/message', data={
                'content': "Forged", 'csrf_token': vera.csrf})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.count('helpdesk.livechat.message', [
                    ('content', '=', "Forged")]), 0)

        # The embedded frame keeps its token and sends it in a header
        frame = Client(app, Response)
        response = frame.post(LIVECHAT + '/start', data={
                'team': self.data.support, 'mode': 'frame',
                'name': "Omid", 'email': 'omid@shop.example',
                'content': "Do you ship to Tabriz?"}, headers=FETCH)
        self.assertEqual(response.status_code, 200, response.text)
        token = response.json['token']
        self.assertGreaterEqual(len(token), 40)
        self.assertNotIn('helpdesk_livechat=', str(
                response.headers.get('Set-Cookie', '')))
        headers = {'X-Livechat-Token': token}
        response = self.poll(Client(app, Response), headers=headers)
        self.assertEqual(
            self.contents(response.json['chat']['messages']),
            ["Do you ship to Tabriz?"])
        # The database keeps only a digest of the token
        self.assertEqual(
            self.count('helpdesk.livechat.session', [
                    ('token_digest', '=', token)]), 0)
        self.assertEqual(
            self.count('helpdesk.livechat.session', [
                    ('token_digest', '=', livechat.token_digest(token))]), 1)
        # Neither visitor reads the other's chat
        response = self.poll(vera)
        self.assertNotIn(
            "Do you ship to Tabriz?",
            self.contents(response.json['chat']['messages']))

    def test_operator_team_isolation(self):
        "An operator sees and answers only the chats of their teams"
        visitor = self.visitor()
        # Carl (Billing) is online: the Support team is not
        carl = self.operator(self.data.carl)
        self.assertEqual(self.start(visitor).status_code, 409)
        alice = self.operator(self.data.alice)
        chat = self.start(visitor).json['chat']

        state = self.console(carl)
        self.assertEqual(
            [t['name'] for t in state['teams']], ["Billing"])
        self.assertEqual(state['waiting'], [])
        for action in ['take', 'ticket', 'close', 'send']:
            response = self.console_post(
                carl, f'/chats/{chat["id"]}/{action}', {'content': "Hi"})
            self.assertEqual(response.status_code, 400, action)
            self.assertIn("do not answer the chats", response.json['error'])
        response = carl.get(LIVECHAT + f'/console/chats/{chat["id"]}')
        self.assertEqual(response.status_code, 400)

        # The record rules say the same to the web client
        with Transaction().start(DB_NAME, self.data.carl, context={
                    '_check_access': True}):
            Session = Pool().get('helpdesk.livechat.session')
            Message = Pool().get('helpdesk.livechat.message')
            self.assertEqual(Session.search([('id', '=', chat['id'])]), [])
            self.assertEqual(
                Message.search([('session', '=', chat['id'])]), [])
        with Transaction().start(DB_NAME, self.data.outsider, context={
                    '_check_access': True}):
            Session = Pool().get('helpdesk.livechat.session')
            with self.assertRaises(AccessError):
                Session.search([])
        with Transaction().start(DB_NAME, self.data.alice, context={
                    '_check_access': True}):
            Session = Pool().get('helpdesk.livechat.session')
            Message = Pool().get('helpdesk.livechat.message')
            self.assertEqual(
                [s.id for s in Session.search([('id', '=', chat['id'])])],
                [chat['id']])
            self.assertEqual(
                [m.content for m in Message.search(
                        [('session', '=', chat['id'])])],
                ["Hello, my parcel never came."])

        # A console needs its cookie, and its CSRF token to change anything
        stranger = Client(app, Response)
        response = stranger.get(LIVECHAT + '/console/poll')
        self.assertEqual(response.status_code, 403)
        response = alice.post(
            LIVECHAT + f'/console/chats/{chat["id"]}/take', headers=FETCH)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(self.console(alice)['chats'], [])

    def test_hand_over(self):
        "The operator hands the chat over to another operator of the team"
        alice = self.operator(self.data.alice)
        bob = self.operator(self.data.bob)
        visitor = self.visitor()
        chat = self.start(visitor).json['chat']
        self.console_post(alice, f'/chats/{chat["id"]}/take')
        # Only to an operator of the team
        response = self.console_post(
            alice, f'/chats/{chat["id"]}/handover',
            {'operator': self.data.carl})
        self.assertEqual(response.status_code, 400)
        self.assertIn("Carl Agent", response.json['error'])
        # Only the one who has it hands it over
        response = self.console_post(
            bob, f'/chats/{chat["id"]}/handover', {'operator': self.data.bob})
        self.assertEqual(response.status_code, 400)

        response = self.console_post(
            alice, f'/chats/{chat["id"]}/handover',
            {'operator': self.data.bob})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(self.console(alice)['chats'], [])
        mine, = self.console(bob)['chats']
        self.assertEqual(mine['id'], chat['id'])
        self.assertEqual(
            mine['messages'][-1]['content'],
            "Alice Agent handed the chat over to Bob Agent.")
        response = self.console_post(
            bob, f'/chats/{chat["id"]}/send', {'content': "Bob here."})
        self.assertEqual(response.status_code, 200)
        response = self.console_post(
            alice, f'/chats/{chat["id"]}/send', {'content': "Alice here."})
        self.assertEqual(response.status_code, 400)
        seen = self.poll(visitor).json['chat']
        self.assertEqual(seen['operator'], "Bob Agent")
        self.assertEqual(seen['messages'][-1]['content'], "Bob here.")

        # Several chats at once
        other = self.visitor()
        second = self.start(
            other, name="Omid", email='omid@visitor.example').json['chat']
        self.console_post(bob, f'/chats/{second["id"]}/take')
        self.assertEqual(
            [c['visitor'] for c in self.console(bob)['chats']],
            ["Vera Visitor", "Omid"])

    def test_abandoned_chat(self):
        """A waiting visitor whose widget stopped asking left: the chat is
        closed; the operator is told when the visitor of their chat left"""
        alice = self.operator(self.data.alice)
        gone = self.visitor()
        chat = self.start(gone).json['chat']
        here = self.visitor()
        other = self.start(
            here, name="Omid", email='omid@visitor.example').json['chat']
        self.console_post(alice, f'/chats/{other["id"]}/take')
        self.assertEqual(
            [w['id'] for w in self.console(alice)['waiting']], [chat['id']])
        with Transaction().start(DB_NAME, 0) as transaction:
            Session = Pool().get('helpdesk.livechat.session')
            table = Session.__table__()
            transaction.connection.cursor().execute(*table.update(
                    [table.visitor_seen],
                    [dt.datetime.now() - dt.timedelta(hours=1)],
                    where=table.id.in_([chat['id'], other['id']])))
            transaction.commit()

        state = self.console(alice)
        self.assertEqual(state['waiting'], [])
        mine, = state['chats']
        self.assertFalse(mine['visitor_online'])
        response = self.poll(gone)
        self.assertEqual(response.json['chat']['state'], 'closed')
        self.assertEqual(
            response.json['chat']['messages'][-1]['content'],
            "Vera Visitor left the chat.")
        # The visitor of the operator's chat is back
        self.poll(here)
        mine, = self.console(alice)['chats']
        self.assertTrue(mine['visitor_online'])

    def test_operator_offline(self):
        "An operator who leaves the console, or stops polling, is offline"
        alice = self.operator(self.data.alice)
        visitor = self.visitor()
        self.assertIn('data-online="1"', visitor.get(
                LIVECHAT + '/widget',
                query_string={'team': self.data.support}).text)
        response = self.console_post(alice, '/away')
        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.start(visitor).status_code, 409)
        self.console(alice)
        self.assertEqual(self.start(visitor).status_code, 200)
        self.setting('helpdesk_website', 'livechat_online_timeout', '0')
        self.assertEqual(self.start(visitor).status_code, 409)

    def test_start_rate_limit(self):
        "The chats a network starts are limited"
        self.setting('helpdesk_website', 'livechat_limit', '2')
        self.operator(self.data.alice)
        visitor = self.visitor()
        for _ in range(2):
            self.assertEqual(self.start(visitor).status_code, 200)
        response = self.start(visitor)
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many attempts", response.json['error'])

    def test_start_needs_csrf(self):
        "A page of another site cannot start a chat in the visitor's name"
        self.operator(self.data.alice)
        visitor = self.visitor()
        response = visitor.post(LIVECHAT + '/start', data={
                'team': self.data.support, 'name': "X",
                'email': 'x@example.com', 'content': "Spam"})
        self.assertEqual(response.status_code, 403)
        response = self.visitor_post(visitor, '/start', {
                'team': self.data.support, 'name': "X",
                'email': 'x@example.com', 'content': "Spam"}, csrf=False)
        self.assertEqual(response.status_code, 403)
        response = self.start(visitor, website="http://spam.example")
        self.assertEqual(response.status_code, 400)

    def test_bus_route_answers(self):
        "Tryton's bus route, guarded, still answers the web client"
        self.setting('bus', 'allow_subscribe', 'True')
        self.setting('bus', 'long_polling_timeout', '1')
        self.setting('bus', 'select_timeout', '1')
        self.addCleanup(stop_bus_listener)
        with Transaction().start(DB_NAME, self.data.alice) as transaction:
            key = Pool().get('ir.session').new()
            transaction.commit()
        authorization = base64.b64encode(
            f'alice:{self.data.alice}:{key}'.encode()).decode()
        response = Client(app, Response).post(
            f'/{DB_NAME}/bus', data=json.dumps({
                    'channels': [livechat.team_channel(self.data.support)]}),
            headers={
                'Authorization': f'Session {authorization}',
                'Content-Type': 'application/json'})
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            response.json, {'message': None, 'channel': None})

    def test_bus_route_guard(self):
        "Tryton's bus route never listens to the channels of the chat"
        import trytond.bus
        rules = [
            r for r in app.url_map.iter_rules()
            if getattr(r.endpoint, 'helpdesk_livechat_guard', False)]
        self.assertEqual(len(rules), 1)
        received = []

        def subscribe(request, database_name):
            received.extend(request.parsed_data['channels'])
        guarded = livechat_routes._guard(subscribe)
        guarded(types.SimpleNamespace(
                parsed_data={'channels': [
                        'chat:helpdesk.ticket,1',
                        livechat.session_channel(3),
                        livechat.team_channel(1)]},
                user_id=1), DB_NAME)
        self.assertEqual(received, ['chat:helpdesk.ticket,1'])
        wrapped, endpoint = [], rules[0].endpoint
        while endpoint is not None:
            wrapped.append(endpoint)
            endpoint = getattr(endpoint, '__wrapped__', None)
        self.assertIn(trytond.bus.subscribe, wrapped)

    def test_short_or_long_polling(self):
        """Without the bus the widget polls again after a while; with it,
        the visitor's request waits until the operator answers"""
        alice = self.operator(self.data.alice)
        visitor = self.visitor()
        chat = self.start(visitor).json['chat']
        self.console_post(alice, f'/chats/{chat["id"]}/take')
        last = self.poll(visitor).json['chat']['messages'][-1]['id']
        with Transaction().start(DB_NAME, 0, readonly=True) as transaction:
            has_channel = transaction.database.has_channel()
        if not has_channel:
            response = self.poll(visitor, after=last)
            self.assertEqual(response.json['poll'], 'short')
            self.assertEqual(response.json['chat']['messages'], [])
            self.assertEqual(
                response.json['interval'], livechat_routes.SHORT_POLL)
            return
        self.setting('bus', 'allow_subscribe', 'True')
        self.setting('bus', 'long_polling_timeout', '20')
        self.setting('bus', 'select_timeout', '1')
        self.addCleanup(stop_bus_listener)
        result = {}

        def wait(after):
            result['response'] = self.poll(visitor, after=after)
            result['time'] = time.monotonic()
        waiter = threading.Thread(target=wait, args=(last,))
        waiter.start()
        # The visitor's request waits (and starts the listener of the bus):
        # no answer without news
        waiter.join(timeout=1)
        self.assertTrue(waiter.is_alive(), "the poll answered without news")
        sent = time.monotonic()
        response = self.console_post(
            alice, f'/chats/{chat["id"]}/send', {'content': "Right away."})
        self.assertEqual(response.status_code, 200)
        waiter.join(timeout=10)
        self.assertFalse(waiter.is_alive(), "the poll did not wake up")
        response = result['response']
        self.assertEqual(response.json['poll'], 'long')
        self.assertEqual(
            self.contents(response.json['chat']['messages']), ["Right away."])
        self.assertLess(result['time'] - sent, 5)

    def count(self, model, domain):
        with Transaction().start(DB_NAME, 0, readonly=True):
            Model_ = Pool().get(model)
            return Model_.search_count(domain)


class LiveChatPersianTestCase(_DBTestCase):
    "What a Persian visitor and agent read of the live chat"
    module = 'helpdesk_website'
    language = 'fa'

    @with_transaction(context={'language': 'fa'})
    def test_team_form(self):
        "The live chat fields of the team form are in Persian"
        pool = Pool()
        Team = pool.get('helpdesk.team')

        fields = Team.fields_get(['livechat', 'livechat_snippet'])

        self.assertEqual(fields['livechat']['string'], "گفتگوی زنده")
        self.assertEqual(
            fields['livechat_snippet']['string'], "قطعه‌کد گفتگوی زنده")

    @with_transaction()
    def test_system_messages_in_visitor_language(self):
        "The chat tells a Persian visitor in Persian who joined it"
        pool = Pool()
        Session = pool.get('helpdesk.livechat.session')

        persian = Session(language='fa')
        english = Session(language='en')

        self.assertEqual(
            persian._gettext(
                'helpdesk_website.msg_livechat_joined', operator="Reza"),
            "Reza به گفتگو پیوست.")
        self.assertEqual(
            english._gettext(
                'helpdesk_website.msg_livechat_joined', operator="Reza"),
            "Reza joined the chat.")
