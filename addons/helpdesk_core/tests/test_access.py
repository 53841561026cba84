# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Who may do what on a ticket: roles x visibility modes x operations"""

import unittest

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.bus import filter_channels
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction

MODES = ['invited', 'internal', 'portal', 'assigned']
OPERATIONS = [
    'read', 'search', 'count', 'write', 'delete',
    'chat_read', 'chat_post', 'bus']
ERP_ROLES = [
    'administrator', 'manager', 'leader', 'member', 'other_agent', 'clerk']
PORTAL_ROLES = ['portal_manager', 'portal_member', 'portal_other']
ALL, NONE = set(OPERATIONS), set()
SEE = ALL - {'delete'}
PORTAL_SEE = {'read', 'search', 'count', 'chat_read'}

# What each role may do on an unassigned ticket of the team in each mode
EXPECTED = {
    'administrator': {m: ALL for m in MODES},
    'manager': {m: SEE for m in MODES},
    'leader': {m: SEE for m in MODES},
    'member': {
        'invited': NONE, 'internal': SEE, 'portal': SEE, 'assigned': NONE},
    'other_agent': {
        'invited': NONE, 'internal': SEE, 'portal': SEE, 'assigned': NONE},
    'clerk': {m: NONE for m in MODES},
    'portal_manager': {
        'invited': NONE, 'internal': NONE, 'portal': PORTAL_SEE,
        'assigned': NONE},
    'portal_member': {
        'invited': NONE, 'internal': NONE, 'portal': PORTAL_SEE,
        'assigned': NONE},
    'portal_other': {m: NONE for m in MODES},
    }


class HelpdeskAccessTestCase(unittest.TestCase):
    "Test the access matrix of tickets"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_core'])

    def setup_fixture(self):
        pool = Pool()
        User = pool.get('res.user')
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        Party = pool.get('party.party')
        ModelData = pool.get('ir.model.data')
        agent = ModelData.get_id('helpdesk_core', 'group_helpdesk')
        manager = ModelData.get_id('helpdesk_core', 'group_helpdesk_manager')
        company = User(Transaction().user).company

        def user(login, groups):
            user, = User.create([{
                        'login': login, 'name': login.title(),
                        'groups': [('add', groups)],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        }])
            return user

        users = {
            'administrator': User(1),
            'manager': user('manager', [manager]),
            'leader': user('leader', [agent]),
            'member': user('member', [agent]),
            'other_agent': user('other', [agent]),
            'clerk': user('clerk', []),
            }
        customer, other_customer = Party.create([
                {'name': "Customer"}, {'name': "Other Customer"}])
        portals = {
            'portal_manager': (customer, 'boss@customer.example'),
            'portal_member': (customer, 'carol@customer.example'),
            'portal_other': (other_customer, 'dan@other.example'),
            }
        team, other_team = Team.create([{
                    'name': "Support",
                    'leaders': [('add', [users['leader'].id])],
                    'members': [('add', [users['member'].id])],
                    }, {
                    'name': "Sales",
                    'members': [('add', [users['other_agent'].id])],
                    }])
        ticket, mine = Ticket.create([{
                    'name': "Printer broken", 'team': team.id,
                    'party': customer.id,
                    'contact_email': 'carol@customer.example',
                    }, {
                    'name': "Mine", 'team': team.id,
                    'user': users['member'].id,
                    }])
        return users, portals, team, ticket, mine

    def can(self, operation, ticket):
        "Tell if the current user may do the operation on the ticket"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Channel = pool.get('ir.chat.channel')
        transaction = Transaction()
        # The chat's RPC methods check the access themselves
        check = not operation.startswith('chat_')
        try:
            with transaction.set_context(_check_access=check, _notify=False):
                if operation == 'read':
                    Ticket.read([ticket.id], ['name'])
                elif operation == 'search':
                    return ticket in Ticket.search([])
                elif operation == 'count':
                    return Ticket.search_count(
                        [('id', '=', ticket.id)]) == 1
                elif operation == 'write':
                    Ticket.write(
                        [Ticket(ticket.id)], {'description': "Checked"})
                elif operation == 'delete':
                    with transaction.set_user(0), \
                            transaction.set_context(_check_access=False):
                        victim, = Ticket.copy([ticket])
                    Ticket.delete([Ticket(victim.id)])
                elif operation == 'chat_read':
                    Channel.get(str(ticket))
                elif operation == 'chat_post':
                    Channel.post(str(ticket), "Hello", 'internal')
                elif operation == 'bus':
                    channel = 'chat:%s' % ticket
                    return filter_channels([channel]) == [channel]
        except (AccessError, UserError):
            return False
        return True

    def portal_can(self, operation, ticket, party, email):
        "Tell what a portal user may do: only see, by the predicate"
        if operation not in PORTAL_SEE:
            return False
        return ticket.portal_may_see(party=party, email=email)

    @with_transaction()
    def test_matrix(self):
        "Every role, mode and operation on a ticket"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        company = create_company()
        with set_company(company):
            users, portals, team, ticket, mine = self.setup_fixture()
            for mode in MODES:
                Team.write([team], {'visibility': mode})
                for role in ERP_ROLES + PORTAL_ROLES:
                    for operation in OPERATIONS:
                        with self.subTest(
                                mode=mode, role=role, operation=operation):
                            if role in PORTAL_ROLES:
                                party, email = portals[role]
                                result = self.portal_can(
                                    operation, ticket, party, email)
                            else:
                                with Transaction().set_user(
                                        users[role].id):
                                    result = self.can(operation, ticket)
                            self.assertEqual(
                                result, operation in EXPECTED[role][mode])

    @with_transaction()
    def test_assignee_and_followers(self):
        "The assignee always sees; invited followers see in invited mode"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Channel = pool.get('ir.chat.channel')
        Follower = pool.get('ir.chat.follower')
        company = create_company()
        with set_company(company):
            users, portals, team, ticket, mine = self.setup_fixture()
            for mode in MODES:
                Team.write([team], {'visibility': mode})
                with Transaction().set_user(users['member'].id):
                    self.assertTrue(self.can('read', mine), mode)
                    self.assertTrue(self.can('chat_post', mine), mode)

            Team.write([team], {'visibility': 'invited'})
            with Transaction().set_user(users['other_agent'].id):
                self.assertFalse(self.can('read', ticket))
            Follower.add_user(
                Channel._get_channel(ticket), users['other_agent'])
            with Transaction().set_user(users['other_agent'].id):
                self.assertTrue(self.can('read', ticket))
                self.assertTrue(self.can('bus', ticket))

            Team.write([team], {
                    'follower_users': [('add', [users['member'].id])]})
            with Transaction().set_user(users['member'].id):
                self.assertTrue(self.can('search', ticket))

            # An assigned team ignores followers
            Team.write([team], {'visibility': 'assigned'})
            with Transaction().set_user(users['other_agent'].id):
                self.assertFalse(self.can('read', ticket))

    @with_transaction()
    def test_followers_through_team(self):
        "Who follows the team keeps the tickets followed when it stops"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        Follower = pool.get('ir.chat.follower')
        company = create_company()
        with set_company(company):
            users, portals, team, ticket, mine = self.setup_fixture()
            other = users['other_agent']
            sales, = Team.search([('name', '=', "Sales")])
            Team.write([team, sales], {
                    'visibility': 'invited',
                    'follower_users': [('add', [other.id])],
                    })
            followed, = Ticket.create([{
                        'name': "Followed", 'team': team.id,
                        'user': users['member'].id,
                        }])
            moved, = Ticket.create([{'name': "Moved", 'team': team.id}])

            def through_team(ticket):
                follower, = Follower.search([
                        ('helpdesk_ticket', '=', ticket.id),
                        ('user', '=', other.id),
                        ])
                return follower.helpdesk_through_team

            def visible():
                with Transaction().set_user(other.id), \
                        Transaction().set_context(_check_access=True):
                    return set(Ticket.search([]))

            self.assertTrue(through_team(followed))
            self.assertEqual(
                Ticket.search([('invited_users', '=', other.id)]), [])
            self.assertEqual(
                set(Ticket.search([('follower_users', '=', other.id)])),
                {followed, moved})
            self.assertEqual(visible(), {ticket, mine, followed, moved})

            # Into a team the user does not follow
            Team.write([sales], {'follower_users': [('remove', [other.id])]})
            Ticket.write([moved], {'team': sales.id})
            self.assertFalse(through_team(moved))
            self.assertTrue(through_team(followed))

            # The tickets followed stay visible, the others go
            Team.write([team], {'follower_users': [('remove', [other.id])]})
            self.assertFalse(through_team(followed))
            self.assertEqual(
                set(Ticket.search([('invited_users', '=', other.id)])),
                {followed, moved})
            self.assertEqual(visible(), {followed, moved})

    @with_transaction()
    def test_counters_and_reports(self):
        "Tab counters and the analysis count only visible tickets"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        Analysis = pool.get('helpdesk.ticket.analysis')
        company = create_company()
        with set_company(company):
            users, portals, team, ticket, mine = self.setup_fixture()
            Team.write([team], {'visibility': 'assigned'})
            with Transaction().set_user(users['member'].id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(Ticket.search_count([]), 1)
                self.assertEqual(
                    Ticket.search_count([('user', '=', None)]), 0)
            with Transaction().set_user(users['manager'].id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(
                    {a.ticket for a in Analysis.search([])}, {ticket, mine})
            with Transaction().set_user(users['leader'].id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(Analysis.search_count([]), 2)
            with Transaction().set_user(users['other_agent'].id), \
                    Transaction().set_context(_check_access=True):
                self.assertEqual(Analysis.search_count([]), 0)
