# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Ticket similarity, duplicate candidates and the duplicate warning

The same fixed set of tickets is ranked on SQLite (Python trigrams) and on
PostgreSQL (pg_trgm): the expected ranking and scores below are the same
for both backends."""

import unittest

from trytond import backend
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.exceptions import TicketDuplicateWarning
from trytond.modules.helpdesk_core.similarity import (
    DUPLICATE_THRESHOLD, trigram_similarity, trigrams)
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

REFERENCE = {
    'name': "The printer does not print anymore",
    'description': "Since the update the office printer prints blank pages.",
    'contact_email': 'alice@customer.example',
    }
# The fixed set: key, values (party 'customer' or 'other')
FIXED_SET = [
    ('twin', {
            'name': "Printer does not print anymore",
            'description': "Since the update the printer prints blank pages.",
            'party': 'customer', 'contact_email': 'alice@customer.example'}),
    ('same_subject', {
            'name': "The printer does not print",
            'party': 'other', 'contact_email': 'bob@other.example'}),
    ('same_email', {
            'name': "Printer prints blank pages",
            'party': 'customer', 'contact_email': 'alice@customer.example'}),
    ('near_subject', {
            'name': "My printer does not work",
            'party': 'other', 'contact_email': 'bob@other.example'}),
    ('same_customer_other_topic', {
            'name': "Invoice amount is wrong",
            'party': 'customer', 'contact_email': 'carol@customer.example'}),
    ('unrelated', {
            'name': "Cannot log in to the portal",
            'party': 'other', 'contact_email': 'bob@other.example'}),
    ]
EXPECTED_RANKING = [
    'twin', 'same_email', 'same_subject', 'near_subject',
    'same_customer_other_topic', 'unrelated']
# The scores from the trigram counts, e.g. same_subject: the subjects share
# 22 of 30 trigrams, no description, another customer and e-mail:
# 0.55 * 22 / 30 = 0.4033
EXPECTED_SCORES = {
    'twin': 0.9062,
    'same_email': 0.4179,
    'same_subject': 0.4033,
    'near_subject': 0.2461,
    'same_customer_other_topic': 0.1716,
    'unrelated': 0.0770,
    }


class HelpdeskSimilarityTestCase(unittest.TestCase):
    "Test the similarity of tickets and the duplicate warning"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_core'])

    def setup_fixture(self):
        pool = Pool()
        Party = pool.get('party.party')
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        customer, other = Party.create([
                {'name': "Customer"}, {'name': "Other"}])
        parties = {'customer': customer, 'other': other}
        team, = Team.create([{'name': "Support", 'visibility': 'internal'}])
        vlist = []
        for _, values in FIXED_SET:
            values = values.copy()
            values['party'] = parties[values['party']].id
            values['team'] = team.id
            vlist.append(values)
        tickets = dict(zip(
                [k for k, _ in FIXED_SET], Ticket.create(vlist)))
        reference, = Ticket.create([{
                    **REFERENCE, 'party': customer.id, 'team': team.id}])
        return team, customer, reference, tickets

    def test_trigrams_as_pg_trgm(self):
        "The trigrams are pg_trgm's: words padded, lower-cased, unique"
        self.assertEqual(
            trigrams("Cat, cat!"), {'  c', ' ca', 'cat', 'at '})
        self.assertEqual(len(trigrams("The printer")), 4 + 8)
        self.assertEqual(trigram_similarity("", "anything"), 0)
        self.assertAlmostEqual(
            trigram_similarity("word", "words"), 4 / 7, places=6)

    @with_transaction()
    def test_ranking_fixed_set(self):
        "The fixed set ranks the same on every backend"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team, customer, reference, tickets = self.setup_fixture()
            names = {t.id: k for k, t in tickets.items()}

            candidates = Ticket.duplicate_candidates(
                reference.name, description=reference.description,
                party=customer, contact_email=reference.contact_email,
                exclude=[reference], limit=10)
            self.assertEqual(
                [names[t.id] for t, _ in candidates],
                [k for k in EXPECTED_RANKING
                    if EXPECTED_SCORES[k] >= DUPLICATE_THRESHOLD])
            scores = Ticket.similarity_scores(
                reference, [reference] + list(tickets.values()))

        self.assertEqual(scores[reference.id], 1.)
        for key, ticket in tickets.items():
            with self.subTest(ticket=key):
                self.assertAlmostEqual(
                    scores[ticket.id], EXPECTED_SCORES[key], places=4)
        by_score = sorted(tickets, key=lambda k: -scores[tickets[k].id])
        self.assertEqual(by_score, EXPECTED_RANKING)
        for ticket, score in candidates:
            self.assertAlmostEqual(score, scores[ticket.id], places=6)

    @with_transaction()
    def test_candidates_exclude_merged_inactive_team(self):
        "Merged, archived and other teams' tickets are no candidates"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team, customer, reference, tickets = self.setup_fixture()
            other_team, = Team.create([{'name': "Sales"}])
            Ticket.write([tickets['twin']], {'merged_into': reference.id})
            Ticket.write([tickets['same_subject']], {'active': False})
            Ticket.write(
                [tickets['same_email']], {'team': other_team.id})

            candidates = Ticket.duplicate_candidates(
                reference.name, description=reference.description,
                party=customer, contact_email=reference.contact_email,
                team=team, exclude=[reference.id])
            self.assertEqual([t for t, _ in candidates], [])

            candidates = Ticket.duplicate_candidates(
                reference.name, description=reference.description,
                party=customer, contact_email=reference.contact_email,
                exclude=[reference.id])
            self.assertEqual(
                [t for t, _ in candidates], [tickets['same_email']])

    @with_transaction()
    def test_candidates_visibility(self):
        "An agent never gets candidates they cannot read"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            team, customer, reference, tickets = self.setup_fixture()
            Team.write([team], {'visibility': 'invited'})
            args = dict(
                name=reference.name, description=reference.description,
                party=customer, contact_email=reference.contact_email,
                exclude=[reference.id])

            with Transaction().set_user(agent.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(Ticket.duplicate_candidates(**args), [])
            Ticket.write([tickets['same_subject']], {'user': agent.id})
            with Transaction().set_user(agent.id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    [t for t, _ in Ticket.duplicate_candidates(**args)],
                    [tickets['same_subject']])
            self.assertEqual(
                len(Ticket.duplicate_candidates(**args)), 3)

    @with_transaction()
    def test_form_lists_duplicates(self):
        "The form of a new ticket lists its likely duplicates with scores"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team, customer, reference, tickets = self.setup_fixture()
            ticket = Ticket(
                name=REFERENCE['name'], description=REFERENCE['description'],
                party=customer, contact_email=REFERENCE['contact_email'])
            ids = ticket.on_change_with_likely_duplicates()
            self.assertEqual(ids, [
                    reference.id, tickets['twin'].id,
                    tickets['same_email'].id, tickets['same_subject'].id])

            with Transaction().set_context(
                    helpdesk_duplicate_name=REFERENCE['name'],
                    helpdesk_duplicate_description=REFERENCE['description'],
                    helpdesk_duplicate_party=customer.id,
                    helpdesk_duplicate_email=REFERENCE['contact_email']):
                twin = Ticket(tickets['twin'].id)
                self.assertAlmostEqual(
                    twin.duplicate_score, EXPECTED_SCORES['twin'], places=4)
            self.assertIsNone(Ticket(tickets['twin'].id).duplicate_score)

            saved = Ticket(reference.id)
            self.assertEqual(
                [t.id for t in saved.likely_duplicates],
                [tickets[k].id
                    for k in ['twin', 'same_email', 'same_subject']])

    @with_transaction()
    def test_warning_agent_creation(self):
        "An agent typing a likely duplicate in a client is warned"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Warning = pool.get('res.user.warning')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            team, customer, reference, tickets = self.setup_fixture()
            values = {
                'name': "Printer does not print anymore!",
                'party': customer.id, 'team': team.id,
                'contact_email': REFERENCE['contact_email'],
                }
            transaction = Transaction()
            with transaction.set_user(agent.id), \
                    transaction.set_context(
                        _check_access=True, _request={}, language='en'):
                # The client's request is rolled back on the warning
                cursor = transaction.connection.cursor()
                cursor.execute('SAVEPOINT duplicate')
                with self.assertRaises(TicketDuplicateWarning) as cm:
                    Ticket.create([values])
                cursor.execute('ROLLBACK TO SAVEPOINT duplicate')
                self.assertIn(reference.rec_name, cm.exception.message)
                self.assertIn(tickets['twin'].rec_name, cm.exception.message)
                self.assertIn("% similar", cm.exception.message)

                # "Yes" in the warning dialog skips it (as the client
                # does, without access checks): the retry passes
                with transaction.set_context(_check_access=False):
                    Warning.skip(cm.exception.name)
                ticket, = Ticket.create([values])
                self.assertEqual(ticket.name, values['name'])

    @with_transaction()
    def test_no_warning_customer_channels(self):
        "Tickets from the website, e-mail, live chat or API are never stopped"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            team, customer, reference, tickets = self.setup_fixture()
            values = {
                'name': REFERENCE['name'], 'party': customer.id,
                'team': team.id, 'contact_email': REFERENCE['contact_email'],
                }
            transaction = Transaction()
            for channel in ['website', 'portal', 'email', 'livechat', 'api']:
                with self.subTest(channel=channel), \
                        transaction.set_user(agent.id), \
                        transaction.set_context(
                            _check_access=True, _request={}):
                    ticket, = Ticket.create([{**values, 'channel': channel}])
                    self.assertEqual(ticket.channel, channel)
            # Scripts and server code are not a client
            with transaction.set_user(agent.id), \
                    transaction.set_context(_check_access=True):
                ticket, = Ticket.create([values])
                self.assertEqual(ticket.channel, 'internal')

    @with_transaction()
    def test_trigram_index(self):
        """On PostgreSQL the module creates pg_trgm and trigram indexes on
        the subject; elsewhere the scores are computed in Python"""
        from trytond.modules.helpdesk_core import similarity
        if backend.name != 'postgresql':
            self.assertFalse(similarity._use_trigram())
            return
        self.assertTrue(similarity._use_trigram())
        cursor = Transaction().connection.cursor()
        cursor.execute(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        self.assertTrue(cursor.fetchone())
        cursor.execute(
            "SELECT indexdef FROM pg_indexes "
            "WHERE tablename = 'helpdesk_ticket' "
            "AND indexdef LIKE '%%gin_trgm_ops%%'")
        definitions = ' '.join(r[0] for r in cursor)
        self.assertIn('(name gin_trgm_ops)', definitions)


def create_agent(login):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    company = User(Transaction().user).company
    user, = User.create([{
                'login': login,
                'name': login.title(),
                'groups': [
                    ('add', [ModelData.get_id(
                                'helpdesk_core', 'group_helpdesk')])],
                'companies': [('add', [company.id])],
                'company': company.id,
                }])
    return user
