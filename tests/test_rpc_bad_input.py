# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Bad input over JSON-RPC, as an agent: random values (hypothesis) given
to the ticket's create, write and buttons. Every refusal is a user error
with a message, never a server crash, and a refused call writes nothing."""

import base64
import json
import unittest

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from trytond.modules.company.tests.tools import create_company
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.wsgi import app

AGENT = 'fuzz_agent'
PASSWORD = 'Helpdesk-Fuzz-2026!'
# The errors a user may be shown: their message says what is wrong
USER_ERRORS = {'UserError', 'UserWarning', 'ConcurrencyException'}
BUTTONS = ['assign_to_me', 'wait', 'solve', 'cancel', 'reopen']
SETTINGS = settings(
    max_examples=120, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow])

# Any JSON value, and the values of Tryton's JSON-RPC encoder
anything = st.recursive(
    st.one_of(
        st.none(), st.booleans(),
        st.integers(min_value=-2 ** 70, max_value=2 ** 70),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=50)),
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(st.text(max_size=8), children, max_size=3)),
    max_leaves=6)
dates = st.fixed_dictionaries({
        '__class__': st.just('datetime'),
        'year': st.integers(1, 9999), 'month': st.integers(1, 12),
        'day': st.integers(1, 28), 'hour': st.integers(0, 23),
        'minute': st.integers(0, 59), 'second': st.integers(0, 59),
        'microsecond': st.just(0),
        })
texts = st.text(max_size=3000)


def ids(known):
    "Ids of records that exist, that do not, and other values"
    return st.one_of(
        st.sampled_from(known), st.integers(-5, 2 ** 40), st.none(),
        anything)


def ticket_values(context):
    return st.fixed_dictionaries({}, optional={
            'name': st.one_of(texts, anything),
            'description': st.one_of(texts, anything),
            'team': ids(context['teams']),
            'stage': ids(context['stages']),
            'user': ids(context['users']),
            'party': ids(context['parties']),
            'type': ids([None]),
            'priority': st.one_of(
                st.sampled_from(['0', '1', '2', '3', '4', '']), anything),
            'channel': st.one_of(
                st.sampled_from([
                        'email', 'website', 'portal', 'livechat', 'phone',
                        'internal', 'api', 'fax']), anything),
            'contact_name': st.one_of(texts, anything),
            'contact_email': st.one_of(
                st.emails(), st.sampled_from([
                        'not an address', 'a@b', '@x.example',
                        'carol@@customer.example']), anything),
            'contact_phone': st.one_of(st.text(max_size=40), anything),
            'tags': st.one_of(
                st.just([('add', [-1])]), st.just([('remove', [10 ** 9])]),
                st.lists(st.tuples(st.sampled_from(
                                ['add', 'create', 'delete', 'bogus']),
                            anything), max_size=2),
                anything),
            'active': st.one_of(st.booleans(), anything),
            'state': st.one_of(st.sampled_from(['solved', 'new']), anything),
            'number': st.one_of(st.text(max_size=20), anything),
            'closed_date': st.one_of(dates, anything),
            'merged_into': ids(context['tickets']),
            })


class RPCBadInputTestCase(unittest.TestCase):
    "Random values for the tickets over JSON-RPC"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_modules('helpdesk_sla', create_company)
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            ModelData = pool.get('ir.model.data')
            Party = pool.get('party.party')
            Stage = pool.get('helpdesk.stage')
            Team = pool.get('helpdesk.team')
            Ticket = pool.get('helpdesk.ticket')
            User = pool.get('res.user')
            company, = Company.search([])
            with transaction.set_context(company=company.id):
                agent, = User.create([{
                            'login': AGENT, 'name': "Fuzz Agent",
                            'password': PASSWORD,
                            'groups': [('add', [ModelData.get_id(
                                            'helpdesk_core',
                                            'group_helpdesk')])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            }])
                teams = Team.create([
                        {'name': "Support", 'visibility': 'internal'},
                        {'name': "Private", 'visibility': 'invited'},
                        ])
                party, = Party.create([{'name': "Carol Customer"}])
                tickets = Ticket.create([{
                            'team': teams[0].id, 'name': f"Existing {i}",
                            'channel': 'api',
                            } for i in range(3)])
            cls.context = {
                'teams': [t.id for t in teams],
                'stages': [s.id for s in Stage.search([])],
                'users': [agent.id, 0, 1],
                'parties': [party.id],
                'tickets': [t.id for t in tickets],
                }
            transaction.commit()
        cls.client = Client(app, Response)
        user_id, key, *_ = cls.rpc(
            'common.db.login', AGENT, {'password': PASSWORD}, 'en',
            session=None)['result']
        cls.session = base64.b64encode(
            f'{AGENT}:{user_id}:{key}'.encode()).decode()
        cls.preferences = cls.rpc(
            'model.res.user.get_preferences', True, {})['result']

    @classmethod
    def rpc(cls, method, *params, session=True):
        headers = {}
        if session:
            headers['Authorization'] = 'Session ' + cls.session
        response = cls.client.post(
            f'/{DB_NAME}/rpc/', data=json.dumps({
                    'id': 1, 'method': method, 'params': list(params),
                    }), content_type='application/json', headers=headers)
        assert response.status_code == 200, (
            method, params, response.status_code, response.text[:2000])
        return json.loads(response.text)

    def snapshot(self):
        "Every ticket as the database holds it"
        with Transaction().start(DB_NAME, 0, readonly=True) as transaction:
            cursor = transaction.connection.cursor()
            Ticket = Pool().get('helpdesk.ticket')
            table = Ticket.__table__()
            cursor.execute(*table.select(
                    table.id, table.write_date, order_by=[table.id]))
            return cursor.fetchall()

    def assertRefusedOrDone(self, answer, before, call):
        if 'error' in answer:
            error = answer['error']
            self.assertIn(
                error[0], USER_ERRORS, f"{call}: {error[0]}\n{error[1]}")
            args = error[1]
            if error[0] == 'UserError':
                message = args[0]
            elif error[0] == 'UserWarning':
                message = args[1]
            else:
                message = args
            self.assertTrue(
                isinstance(message, str) and message.strip(), (call, error))
            self.assertEqual(self.snapshot(), before, call)

    @SETTINGS
    @seed(20261207)
    @given(st.data())
    def test_create(self, data):
        "Creating a ticket with random values"
        values = data.draw(ticket_values(self.context), label='values')
        before = self.snapshot()
        answer = self.rpc(
            'model.helpdesk.ticket.create', [values], self.preferences)
        self.assertRefusedOrDone(answer, before, ('create', values))
        if 'result' in answer:
            self.assertEqual(len(self.snapshot()), len(before) + 1)

    @SETTINGS
    @seed(20261208)
    @given(st.data())
    def test_write(self, data):
        "Writing random values on tickets, existing or not"
        records = data.draw(st.one_of(
                st.lists(st.sampled_from(self.context['tickets']),
                    min_size=1, max_size=2, unique=True),
                st.lists(ids(self.context['tickets']), max_size=2)),
            label='ids')
        values = data.draw(ticket_values(self.context), label='values')
        before = self.snapshot()
        answer = self.rpc(
            'model.helpdesk.ticket.write', records, values, self.preferences)
        self.assertRefusedOrDone(answer, before, ('write', records, values))

    @SETTINGS
    @seed(20261209)
    @given(st.data())
    def test_buttons(self, data):
        "Clicking the ticket's buttons on random records"
        button = data.draw(st.sampled_from(BUTTONS), label='button')
        records = data.draw(st.one_of(
                st.lists(st.sampled_from(self.context['tickets']),
                    min_size=1, max_size=3),
                st.lists(ids(self.context['tickets']), max_size=3),
                anything), label='ids')
        before = self.snapshot()
        answer = self.rpc(
            f'model.helpdesk.ticket.{button}', records, self.preferences)
        self.assertRefusedOrDone(answer, before, (button, records))

    def test_valid_input_accepted(self):
        "The values the web client sends are taken, as before the checks"
        team, = self.context['teams'][:1]
        party, = self.context['parties']
        before = len(self.snapshot())
        answer = self.rpc('model.helpdesk.ticket.create', [{
                    'team': team, 'name': "Printer jammed",
                    'description': "Paper stuck in tray 2.",
                    'party': party, 'priority': '2', 'channel': 'phone',
                    'contact_email': 'carol@customer.example',
                    'tags': [['create', [{'name': "hardware"}]]],
                    'closed_date': None,
                    }], self.preferences)
        self.assertIn('result', answer, answer.get('error'))
        ticket_id, = answer['result']
        self.assertEqual(len(self.snapshot()), before + 1)
        answer = self.rpc(
            'model.helpdesk.ticket.write', [ticket_id],
            {'priority': '3', 'tags': [['remove', []]]}, self.preferences)
        self.assertIn('result', answer, answer.get('error'))
        answer = self.rpc(
            'model.helpdesk.ticket.assign_to_me', [ticket_id],
            self.preferences)
        self.assertIn('result', answer, answer.get('error'))
        ticket, = self.rpc(
            'model.helpdesk.ticket.read', [ticket_id],
            ['priority', 'user', 'tags'], self.preferences)['result']
        self.assertEqual(ticket['priority'], '3')
        self.assertEqual(ticket['user'], self.context['users'][0])
        self.assertEqual(len(ticket['tags']), 1)

    def test_refusal_message(self):
        "A refused value is named in a message of the user's language"
        answer = self.rpc('model.helpdesk.ticket.create', [{
                    'team': self.context['teams'][0], 'name': ["a", "list"],
                    }], self.preferences)
        self.assertEqual(answer['error'][0], 'UserError')
        self.assertEqual(
            answer['error'][1][0],
            "The value ['a', 'list'] is not valid for the field \"Subject\" "
            "of \"Helpdesk Ticket\".")
