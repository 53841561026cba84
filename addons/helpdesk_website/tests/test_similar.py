# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The suggestions of the ticket form ("is your question one of these?"):
a customer is offered their own tickets only, a visitor nothing"""

import unittest

from trytond.modules.company.tests.tools import create_company
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client, drop_db
from trytond.tests.tools import activate_modules
from trytond.wsgi import app

from .tools import CSRF_RE, PASSWORD, create_portal_data

ROOT = f'/{DB_NAME}/helpdesk'


class SimilarTicketsTestCase(unittest.TestCase):
    "The similar tickets suggested on the ticket form"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.config = activate_modules('helpdesk_website', create_company)
        cls.data = create_portal_data(cls.config)

    def sign_in(self, email):
        client = Client(app, Response)
        page = client.get(ROOT + '/signin')
        token = CSRF_RE.search(page.text).group(1)
        response = client.post(ROOT + '/signin', data={
                'email': email, 'password': PASSWORD, 'csrf_token': token})
        self.assertEqual(response.status_code, 303)
        return client

    def similar(self, client, name, description='', team=None):
        team = team or self.data.support
        response = client.get(
            f'{ROOT}/teams/{team.id}/similar',
            query_string={'name': name, 'description': description},
            headers={'X-Requested-With': 'fetch'})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        return response.json['tickets']

    def test_own_ticket_suggested(self):
        "A customer typing their question again sees their ticket"
        ticket = self.data.tickets.member
        client = self.sign_in('ann@acme.example')

        suggestions = self.similar(
            client, "Ann's printer is broken", "About the printer.")

        self.assertEqual(suggestions, [{
                    'number': ticket.number,
                    'name': "Ann's printer",
                    'state': "New",
                    'url': f'{ROOT}/portal/tickets/{ticket.id}',
                    }])
        page = client.get(suggestions[0]['url'])
        self.assertEqual(page.status_code, 200)
        self.assertIn("Ann&#39;s printer", page.text)

    def test_suggestions_in_persian(self):
        "The state of a suggestion is in the visitor's language"
        client = self.sign_in('ann@acme.example')
        client.get(ROOT + '/?lang=fa')

        suggestions = self.similar(client, "Ann's printer")

        self.assertEqual(len(suggestions), 1)
        self.assertNotEqual(suggestions[0]['state'], "New")

    def test_other_customers_tickets_never_suggested(self):
        "Nobody is offered the tickets of others"
        member = self.sign_in('ann@acme.example')
        other = self.sign_in('gina@globex.example')
        manager = self.sign_in('boss@acme.example')

        # Another customer's and a colleague's tickets
        self.assertEqual(self.similar(member, "Gina's order"), [])
        self.assertEqual(self.similar(member, "Bob's invoice"), [])
        self.assertEqual(self.similar(other, "Ann's printer"), [])
        # The customer manager sees the tickets of the company
        self.assertEqual(
            [t['name'] for t in self.similar(manager, "Bob's invoice")],
            ["Bob's invoice"])
        # Only the tickets of the team of the form, though Ann sees her
        # ticket of Billing in the portal
        self.assertEqual(self.similar(member, "Ann's refund"), [])
        self.assertEqual(self.similar(member, "Ann's laptop"), [])

    def test_anonymous_gets_nothing(self):
        "A visitor who is not signed in gets no suggestion and no box"
        client = Client(app, Response)

        self.assertEqual(self.similar(client, "Ann's printer"), [])
        self.assertEqual(self.similar(client, "Gina's order"), [])
        page = client.get(f'{ROOT}/teams/{self.data.support.id}')
        self.assertNotIn('similar-tickets', page.text)
        self.assertNotIn('similar.js', page.text)

    def test_form_has_suggestion_box(self):
        "The form of a signed-in customer has the box, hidden, and its script"
        client = self.sign_in('ann@acme.example')

        page = client.get(f'{ROOT}/teams/{self.data.support.id}')

        self.assertIn(
            f'data-url="{ROOT}/teams/{self.data.support.id}/similar"',
            page.text)
        self.assertIn("Is your question one of these?", page.text)
        self.assertIn(f'src="{ROOT}/static/similar.js"', page.text)
        script = client.get(ROOT + '/static/similar.js')
        self.assertEqual(script.status_code, 200)
        script.close()

    def test_unpublished_team_not_found(self):
        "A team without a website form has no suggestions either"
        client = self.sign_in('ann@acme.example')
        response = client.get(
            f'{ROOT}/teams/{self.data.unpublished.id}/similar',
            query_string={'name': "Ann's refund"})
        self.assertEqual(response.status_code, 404)
