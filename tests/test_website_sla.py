# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The tickets of the website form follow the SLA policies of their team
like the tickets created by the agents"""

import re
import unittest

from trytond.modules.company.tests.tools import create_company
from trytond.modules.helpdesk_core.tests.tools import SMTPSink
from trytond.pool import Pool
from trytond.protocols.wrappers import Response
from trytond.tests.test_tryton import DB_NAME, Client, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction
from trytond.wsgi import app

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebsiteSLATestCase(unittest.TestCase):
    "The website with the SLA policies"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A fresh database: another test of the process may have left one
        drop_db()
        cls.addClassCleanup(drop_db)
        cls.smtp = SMTPSink().start()
        cls.addClassCleanup(cls.smtp.stop)
        activate_modules(['helpdesk_website', 'helpdesk_sla'], create_company)

    def test_form_ticket_under_sla(self):
        "A ticket of the form gets the deadlines of its team's policies"
        with Transaction().start(DB_NAME, 0) as transaction:
            pool = Pool()
            Company = pool.get('company.company')
            SLA = pool.get('helpdesk.sla')
            Team = pool.get('helpdesk.team')
            company, = Company.search([])
            with transaction.set_context(company=company.id):
                team, = Team.create([{
                            'name': "Support", 'visibility': 'portal',
                            'website_published': True,
                            }])
                answer, urgent = SLA.create([{
                            'name': "Answer within 4 hours",
                            'team': team.id, 'priority': '0',
                            'target': 'first_response', 'days': 0,
                            'hours': 4,
                            }, {
                            'name': "Urgent: answer within the hour",
                            'team': team.id, 'priority': '3',
                            'target': 'first_response', 'days': 0,
                            'hours': 1,
                            }])
            transaction.commit()

        client = Client(app, Response)
        root = f'/{DB_NAME}/helpdesk'
        page = client.get(f'{root}/teams/{team.id}')
        token = CSRF_RE.search(page.text).group(1)
        response = client.post(f'{root}/teams/{team.id}', data={
                'csrf_token': token,
                'contact_name': "Vera Visitor",
                'contact_email': 'vera@visitor.example',
                'name': "The parcel never came",
                'description': "Ordered on Monday.",
                'priority': '1',
                })
        self.assertEqual(response.status_code, 303, response.text[:2000])

        with Transaction().start(DB_NAME, 0, readonly=True):
            Ticket = Pool().get('helpdesk.ticket')
            ticket, = Ticket.search([('name', '=', "The parcel never came")])
            self.assertEqual(ticket.channel, 'website')
            self.assertEqual(
                [s.sla.id for s in ticket.slas], [answer.id])
            sla, = ticket.slas
            self.assertEqual(sla.status, 'ongoing')
            self.assertTrue(sla.deadline)
            self.assertEqual(ticket.sla_deadline, sla.deadline)
