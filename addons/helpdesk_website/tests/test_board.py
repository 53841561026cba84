# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The agent board as agents use it, through trytond's WSGI application:
opened from the web client's menu, its columns, counts and filters, the
moves of the cards as the agent, and the moves the agent's rights refuse"""

import datetime as dt
import re
import types
import unittest

from proteus import Model

from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import create_helpdesk_user
from trytond.modules.helpdesk_website import agent_session, board, board_routes
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.wsgi import app

ROOT = f'/{DB_NAME}/helpdesk'
BOARD = ROOT + '/board'
CSRF_RE = re.compile(r'data-csrf="([0-9a-f]*)"')
FETCH = {'X-Requested-With': 'fetch'}
# The test client has no address: nor has the session of the web client
REQUEST = {}


class BoardTestCase(unittest.TestCase):
    "The agent board of a team"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.config = activate_modules('helpdesk_website', create_company)
        User = Model.get('res.user')
        Group = Model.get('res.group')
        Access = Model.get('ir.model.access')
        Party = Model.get('party.party')
        Team = Model.get('helpdesk.team')
        Stage = Model.get('helpdesk.stage')
        Ticket = Model.get('helpdesk.ticket')
        RuleGroup = Model.get('ir.rule.group')

        alice = create_helpdesk_user('alice', "Alice Agent")
        bob = create_helpdesk_user('bob', "Bob Agent")
        # A user who may read the tickets and change none
        readers = Group(name="Ticket Readers")
        readers.save()
        for model in ['helpdesk.ticket', 'helpdesk.team', 'helpdesk.stage']:
            Access(
                model=model, group=readers, perm_read=True,
                perm_write=False, perm_create=False,
                perm_delete=False).save()
        # They open the board from the menu too
        ActionWizard = Model.get('ir.action.wizard')
        wizard, = ActionWizard.find([('wiz_name', '=', 'helpdesk.board.open')])
        wizard.groups.append(Group(readers.id))
        wizard.save()
        Company = Model.get('company.company')
        vera = User(login='vera', name="Vera Viewer")
        company, = Company.find()
        vera.companies.append(Company(company.id))
        vera.company = Company(company.id)
        vera.groups.append(Group(readers.id))
        vera.save()

        support = Team(name="Customer Support", visibility='internal')
        support.members.extend([User(alice.id), User(bob.id)])
        support.save()
        archive = Team(name="Archive", visibility='internal')
        archive.save()
        secret = Team(name="Secret", visibility='invited')
        secret.save()
        # The tickets of the archive are read-only for everyone
        rule_group = RuleGroup(
            name="Archive read-only", global_p=True, perm_read=False,
            perm_write=True, perm_create=False, perm_delete=True)
        rule_group.model = 'helpdesk.ticket'
        rule_group.rules.new(domain='[["team", "!=", %d]]' % archive.id)
        rule_group.save()

        stages = {s.category: s for s in reversed(Stage.find([]))}
        folded = Stage(name="Parked", category='waiting', fold=True)
        folded.sequence = 35
        folded.save()
        other_team_stage = Stage(name="Billing only", category='in_progress')
        other_team_stage.teams.append(Team(archive.id))
        other_team_stage.save()

        carol = Party(name="Carol Customer")
        carol.save()

        def ticket(name, team=support, stage='new', user=None,
                priority='1', party=carol):
            ticket = Ticket(name=name, team=team, party=party)
            ticket.priority = priority
            ticket.contact_email = 'carol@customer.example'
            ticket.stage = folded if stage == 'parked' else stages[stage]
            if user:
                ticket.user = User(user.id)
            ticket.save()
            return ticket

        tickets = types.SimpleNamespace(
            printer=ticket("Printer jams", user=alice, priority='3'),
            invoice=ticket("Invoice twice", stage='in_progress', user=bob),
            login=ticket("Cannot log in", priority='2'),
            parcel=ticket("Parcel late", stage='parked', user=alice),
            solved=ticket("Old question", stage='solved', user=alice),
            archived=ticket("Old archive", team=archive, user=alice),
            secret=ticket("Secret plan", team=secret))
        cls.data = types.SimpleNamespace(
            alice=alice.id, bob=bob.id, vera=vera.id, support=support.id,
            archive=archive.id, secret=secret.id,
            stages={k: s.id for k, s in stages.items()}, folded=folded.id,
            other_team_stage=other_team_stage.id,
            tickets=types.SimpleNamespace(
                **{k: t.id for k, t in vars(tickets).items()}),
            numbers={k: t.number for k, t in vars(tickets).items()})

    def setUp(self):
        super().setUp()
        # Each test starts from the stages of setUpClass
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            tickets = self.data.tickets
            for ticket_id, category in [
                    (tickets.printer, 'new'),
                    (tickets.invoice, 'in_progress'),
                    (tickets.login, 'new'),
                    (tickets.archived, 'new')]:
                ticket = Ticket(ticket_id)
                if ticket.stage.id != self.data.stages[category]:
                    Ticket.write(
                        [ticket], {'stage': self.data.stages[category]})
            transaction.commit()

    # --- helpers

    def agent(self, user_id, team=None):
        """The board of the agent, opened as from the web client's menu or
        the team's form: the wizard's address, exchanged for a cookie"""
        context = dict(REQUEST)
        if team:
            context.update(active_model='helpdesk.team', active_id=team)
        with Transaction().start(
                DB_NAME, user_id, context=context) as transaction:
            pool = Pool()
            Wizard = pool.get('helpdesk.board.open', type='wizard')
            session_id, _, _ = Wizard.create()
            action, _ = Wizard(session_id).do_start({})
            transaction.commit()
        url = action['url']
        path = url[url.index(ROOT):]
        client = Client(app, Response)
        response = client.get(path)
        self.assertEqual(response.status_code, 303)
        client.path = response.location[response.location.index(ROOT):]
        client.key_path = path
        return client

    def open(self, client, team=None, lang=None):
        team = team or self.data.support
        response = client.get(
            BOARD + f'/{team}', query_string={'lang': lang} if lang else {})
        self.assertEqual(response.status_code, 200, response.text[:500])
        client.csrf = CSRF_RE.search(response.text).group(1)
        return response

    def data_of(self, client, team=None, **filters):
        team = team or self.data.support
        response = client.get(
            BOARD + f'/{team}/data', query_string=filters, headers=FETCH)
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response.json

    def columns(self, data):
        "The stage names with their counts and the numbers of their cards"
        return [
            (s['name'], s['count'], [c['number'] for c in s['cards']])
            for s in data['stages']]

    def move(self, client, ticket, stage, team=None, csrf=True):
        team = team or self.data.support
        headers = dict(FETCH)
        if csrf:
            headers['X-CSRF-Token'] = client.csrf
        return client.post(
            BOARD + f'/{team}/move', data={'ticket': ticket, 'stage': stage},
            headers=headers)

    def stage_of(self, ticket_id):
        with Transaction().start(DB_NAME, 0):
            Ticket = Pool().get('helpdesk.ticket')
            ticket = Ticket(ticket_id)
            return ticket.stage.id, ticket.write_uid and ticket.write_uid.id

    # --- the tests

    def test_open_from_menu(self):
        "The menu opens the list of the boards, the team's form its board"
        client = self.agent(self.data.alice)
        self.assertEqual(client.path, BOARD)
        response = client.get(BOARD)
        self.assertEqual(response.status_code, 200)
        self.assertIn("Customer Support", response.text)
        self.assertIn(f'href="{BOARD}/{self.data.support}?lang=en"',
            response.text)
        # Alice is not invited to the secret team: she sees it without
        # any of its tickets
        teams = re.findall(
            r'<span>([^<]+)</span>\s*<span class="badge[^>]*>(\d+)<',
            response.text)
        self.assertEqual(
            dict(teams),
            {"Customer Support": '4', "Archive": '1', "Secret": '0'})

        client = self.agent(self.data.alice, team=self.data.support)
        self.assertEqual(client.path, BOARD + f'/{self.data.support}')
        self.open(client)

        # The key of the address opened the board once, not twice
        other = Client(app, Response)
        other.get(client.key_path)
        response = other.get(BOARD + f'/{self.data.support}')
        self.assertEqual(response.status_code, 403)
        self.assertIn(
            "Open the board from the Helpdesk menu of Tryton.", response.text)

    def test_columns_and_cards(self):
        """One column per stage of the team in their order, with its count;
        a folded stage shows its count and no card"""
        client = self.agent(self.data.alice)
        self.open(client)
        data = self.data_of(client)
        numbers = self.data.numbers
        self.assertEqual(self.columns(data), [
                ("New", 2, [numbers['printer'], numbers['login']]),
                ("In Progress", 1, [numbers['invoice']]),
                ("Waiting for Customer", 0, []),
                ("Parked", 1, []),
                ("Solved", 1, []),
                ("Cancelled", 0, []),
                ])
        self.assertEqual(
            [s['fold'] for s in data['stages']],
            [False, False, False, True, True, True])
        # The stage of another team is not a column
        self.assertNotIn(
            self.data.other_team_stage, [s['id'] for s in data['stages']])
        card = data['stages'][0]['cards'][0]
        self.assertEqual(card['name'], "Printer jams")
        self.assertEqual(card['customer'], "Carol Customer")
        self.assertEqual(card['assignee'], "Alice Agent")
        self.assertTrue(card['mine'])
        self.assertEqual(card['priority_string'], "Urgent")
        self.assertEqual(card['last'], '')
        self.assertEqual(
            data['stages'][0]['cards'][1]['assignee'], '')

        # The cards of the folded stage, when the agent opens it
        response = client.get(
            BOARD + f'/{self.data.support}/stages/{self.data.folded}',
            headers=FETCH)
        self.assertEqual(
            [c['number'] for c in response.json['cards']],
            [numbers['parcel']])
        self.assertFalse(response.json['more'])

    def test_last_writer(self):
        "A card tells whether the customer or an agent wrote last"
        self.assertEqual(board.last_writer({
                    'last_customer_message': None,
                    'last_agent_message': None}), None)
        earlier = dt.datetime(2026, 1, 1, 9)
        later = dt.datetime(2026, 1, 1, 10)
        self.assertEqual(board.last_writer({
                    'last_customer_message': later,
                    'last_agent_message': earlier}), 'customer')
        self.assertEqual(board.last_writer({
                    'last_customer_message': earlier,
                    'last_agent_message': later}), 'agent')
        self.assertEqual(board.last_writer({
                    'last_customer_message': None,
                    'last_agent_message': later}), 'agent')

        client = self.agent(self.data.alice)
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            Ticket._set_message_dates(
                Ticket(self.data.tickets.login),
                {'last_customer_message': later,
                    'last_agent_message': earlier})
            transaction.commit()
        self.addCleanup(self._clear_message_dates, self.data.tickets.login)
        data = self.data_of(client)
        card, = [c for c in data['stages'][0]['cards']
            if c['id'] == self.data.tickets.login]
        self.assertEqual(card['last'], 'customer')

    def _clear_message_dates(self, ticket_id):
        with Transaction().start(DB_NAME, 0) as transaction:
            Ticket = Pool().get('helpdesk.ticket')
            Ticket._set_message_dates(
                Ticket(ticket_id),
                {'last_customer_message': None, 'last_agent_message': None})
            transaction.commit()

    def test_filters(self):
        "My tickets, unassigned, urgent and the search box"
        client = self.agent(self.data.alice)
        numbers = self.data.numbers

        def counts(**filters):
            return {
                s['name']: s['count'] for s in self.data_of(
                    client, **filters)['stages'] if s['count']}
        self.assertEqual(
            counts(who='mine'), {"New": 1, "Parked": 1, "Solved": 1})
        self.assertEqual(counts(who='unassigned'), {"New": 1})
        self.assertEqual(counts(urgent='1'), {"New": 1})
        self.assertEqual(counts(who='mine', urgent='1'), {"New": 1})
        self.assertEqual(counts(q='invoice'), {"In Progress": 1})
        self.assertEqual(counts(q=numbers['login']), {"New": 1})
        # By the customer's name, and the characters of LIKE are text
        self.assertEqual(
            sum(counts(q='carol').values()), 5)
        self.assertEqual(counts(q='%'), {})
        self.assertEqual(counts(who='somebody'), counts())

    def test_move(self):
        "The agent moves a card: the ticket's stage, written as the agent"
        client = self.agent(self.data.alice)
        self.open(client)
        stage = self.data.stages['in_progress']
        response = self.move(client, self.data.tickets.login, stage)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(response.json, {
                'ticket': self.data.tickets.login, 'stage': stage})
        self.assertEqual(
            self.stage_of(self.data.tickets.login),
            (stage, self.data.alice))
        data = self.data_of(client)
        self.assertEqual(
            [s['count'] for s in data['stages'][:2]], [1, 2])

        # Into the folded stage, and back
        response = self.move(
            client, self.data.tickets.login, self.data.folded)
        self.assertEqual(response.status_code, 200, response.text)
        self.assertEqual(
            self.stage_of(self.data.tickets.login)[0], self.data.folded)

    def test_move_refused_by_access(self):
        """A user who may read the tickets and not change them sees the
        board; the move is refused with the server's message and the
        ticket stays where it was"""
        client = self.agent(self.data.vera)
        self.open(client)
        data = self.data_of(client)
        self.assertEqual(data['stages'][0]['count'], 2)
        before = self.stage_of(self.data.tickets.login)
        response = self.move(
            client, self.data.tickets.login, self.data.stages['in_progress'])
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json['error'],
            'You are not allowed to access "Helpdesk Ticket".')
        self.assertEqual(self.stage_of(self.data.tickets.login), before)

    def test_move_refused_by_rule(self):
        "The record rules of the agent apply: a read-only team's ticket"
        client = self.agent(self.data.alice)
        self.open(client, team=self.data.archive)
        before = self.stage_of(self.data.tickets.archived)
        response = self.move(
            client, self.data.tickets.archived,
            self.data.stages['in_progress'], team=self.data.archive)
        self.assertEqual(response.status_code, 400)
        self.assertIn("Archive read-only", response.json['error'])
        self.assertEqual(self.stage_of(self.data.tickets.archived), before)

        # A stage of another team, a ticket of another board
        response = self.move(
            client, self.data.tickets.login, self.data.other_team_stage)
        self.assertEqual(response.status_code, 400)
        self.assertIn(
            'The value "Billing only" for field "Stage"',
            response.json['error'])
        response = self.move(
            client, self.data.tickets.login, self.data.stages['in_progress'],
            team=self.data.archive)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            response.json['error'],
            "This ticket is no longer on the board of the team.")
        self.assertEqual(
            self.stage_of(self.data.tickets.login)[0],
            self.data.stages['new'])

    def test_visibility(self):
        "The board shows only what the agent may see"
        client = self.agent(self.data.alice)
        response = client.get(BOARD + f'/{self.data.secret}/data',
            headers=FETCH)
        data = response.json
        self.assertEqual(sum(s['count'] for s in data['stages']), 0)
        self.open(client)
        response = self.move(
            client, self.data.tickets.secret,
            self.data.stages['in_progress'], team=self.data.secret)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(
            self.stage_of(self.data.tickets.secret)[0],
            self.data.stages['new'])
        response = client.get(
            BOARD + '/999999/data', headers=FETCH)
        self.assertEqual(response.status_code, 404)

    def test_outsider(self):
        "A user who may not read the tickets gets no board"
        with Transaction().start(DB_NAME, 0) as transaction:
            User = Pool().get('res.user')
            olga, = User.create([{'login': 'olga', 'name': "Olga Outsider"}])
            transaction.commit()
        self.addCleanup(self._deactivate, olga.id)
        with Transaction().start(
                DB_NAME, olga.id, context=REQUEST) as transaction:
            url = agent_session.open_url(ROOT + '/board')
            transaction.commit()
        client = Client(app, Response)
        self.assertEqual(client.get(url).status_code, 303)
        for path in ['', f'/{self.data.support}']:
            response = client.get(BOARD + path)
            self.assertEqual(response.status_code, 403, path)
            self.assertIn(
                "You may not see the tickets of the helpdesk.", response.text)
        response = client.get(
            BOARD + f'/{self.data.support}/data', headers=FETCH)
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            response.json['error'],
            "You may not see the tickets of the helpdesk.")

    def _deactivate(self, user_id):
        with Transaction().start(DB_NAME, 0) as transaction:
            User = Pool().get('res.user')
            User.write([User(user_id)], {'active': False})
            transaction.commit()

    def test_needs_session_and_csrf(self):
        "A board needs its cookie, and its CSRF token to change anything"
        stranger = Client(app, Response)
        for path in ['', f'/{self.data.support}',
                f'/{self.data.support}/data',
                f'/{self.data.support}/poll']:
            response = stranger.get(BOARD + path, headers=FETCH)
            self.assertEqual(response.status_code, 403, path)
        client = self.agent(self.data.alice)
        self.open(client)
        stage = self.data.stages['in_progress']
        response = self.move(client, self.data.tickets.login, stage,
            csrf=False)
        self.assertEqual(response.status_code, 403)
        response = client.post(
            BOARD + f'/{self.data.support}/move',
            data={'ticket': self.data.tickets.login, 'stage': stage},
            headers={'X-CSRF-Token': client.csrf})
        self.assertEqual(response.status_code, 403)
        self.assertEqual(
            self.stage_of(self.data.tickets.login)[0],
            self.data.stages['new'])

    def test_poll(self):
        "The poll tells the board when tickets of the team changed"
        client = self.agent(self.data.alice)
        self.open(client)
        stamp = self.data_of(client)['stamp']
        poll = BOARD + f'/{self.data.support}/poll'
        response = client.get(poll, query_string={'stamp': stamp},
            headers=FETCH)
        if response.json['poll'] == 'short':
            self.assertFalse(response.json['changed'])
        bob = self.agent(self.data.bob)
        self.open(bob)
        self.move(bob, self.data.tickets.login, self.data.stages['waiting'])
        response = client.get(poll, query_string={'stamp': stamp},
            headers=FETCH)
        self.assertTrue(response.json['changed'])
        self.assertNotEqual(self.data_of(client)['stamp'], stamp)

    def test_session_kept_alive(self):
        """Using the board keeps its session alive, as the web client's
        calls do theirs"""
        client = self.agent(self.data.alice)
        self.open(client)
        with Transaction().start(DB_NAME, 0) as transaction:
            Session = Pool().get('ir.session')
            table = Session.__table__()
            aged = dt.datetime.now() - dt.timedelta(minutes=3)
            cursor = transaction.connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date, table.write_date], [aged, aged],
                    where=table.create_uid == self.data.alice))
            transaction.commit()
        self.data_of(client)
        with Transaction().start(DB_NAME, 0):
            Session = Pool().get('ir.session')
            sessions = Session.search([('create_uid', '=', self.data.alice)])
            self.assertTrue(any(
                    s.write_date > aged + dt.timedelta(minutes=2)
                    for s in sessions))

    def test_bus_channels_are_private(self):
        "Tryton's bus route never listens to the channels of the boards"
        from trytond.modules.helpdesk_website import livechat_routes
        seen = {}

        def subscribe(request, database_name):
            seen['channels'] = list(request.parsed_data['channels'])
        request = types.SimpleNamespace(parsed_data={'channels': [
                    board.team_channel(self.data.support),
                    'notification:1']})
        livechat_routes._guard(subscribe)(request, DB_NAME)
        self.assertEqual(seen['channels'], ['notification:1'])

    def test_persian(self):
        "The board in Persian, right to left"
        client = self.agent(self.data.alice)
        response = self.open(client, lang='fa')
        self.assertIn('dir="rtl"', response.text)
        self.assertIn('bootstrap.rtl.min.css', response.text)
        self.assertIn('تیکت‌های من', response.text)
        data = self.data_of(client, lang='fa')
        card = data['stages'][0]['cards'][0]
        self.assertEqual(card['priority_string'], 'فوری')

    def test_vendor_sortable(self):
        "SortableJS is served from npm's files"
        client = Client(app, Response)
        response = client.get(ROOT + '/vendor/sortablejs/Sortable.min.js')
        self.assertEqual(response.status_code, 200)
        self.assertIn(b'Sortable', response.data)
        response.close()
        self.assertEqual(board_routes.BOARD_COOKIE, 'helpdesk_board')
