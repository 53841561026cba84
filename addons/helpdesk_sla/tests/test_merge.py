# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The SLA clocks of merged tickets and of an undone merge"""

import unittest

from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction

from .tools import Clock, keep_assignments_in_transaction, to_local


class HelpdeskSlaMergeTestCase(unittest.TestCase):
    "Test the SLAs of merged tickets"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_sla'])

    def setUp(self):
        super().setUp()
        keep_assignments_in_transaction(self)

    def setup_policies(self):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        SLA = pool.get('helpdesk.sla')
        Stage = pool.get('helpdesk.stage')
        Tag = pool.get('helpdesk.tag')
        solved, = Stage.search([('category', '=', 'solved')], limit=1)
        self.support, = Team.create([{'name': "Support"}])
        self.vip, = Tag.create([{'name': "VIP"}])
        SLA.create([{
                    'name': "Resolve", 'team': self.support.id,
                    'target': 'stage', 'target_stage': solved.id,
                    'hours': 8,
                    }, {
                    'name': "Urgent", 'team': self.support.id,
                    'target': 'stage', 'target_stage': solved.id,
                    'hours': 4, 'priority': '3',
                    }, {
                    'name': "VIP", 'team': self.support.id,
                    'target': 'stage', 'target_stage': solved.id,
                    'hours': 2, 'tags': [('add', [self.vip.id])],
                    }])

    def ticket(self, **values):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        values.setdefault('name', "Printer broken")
        values['team'] = self.support.id
        ticket, = Ticket.create([values])
        return ticket

    def clocks(self, ticket):
        "The clocks of the ticket by policy, as the agents read them"
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        return {
            ts.sla.name: (
                ts.status, to_local(ts.start_date), to_local(ts.deadline),
                ts.paused_since, ts.paused_duration, ts.reached_date)
            for ts in TicketSLA.search([('ticket', '=', ticket.id)])}

    def deadline(self, ticket):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        return to_local(Ticket(ticket.id).sla_deadline)

    @with_transaction()
    def test_earliest_deadline_kept_and_restored(self):
        "Per policy the survivor keeps the earliest clock; undo restores"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            self.setup_policies()
            clock.set('2026-11-23 09:00')
            duplicate = self.ticket(
                priority='3', tags=[('add', [self.vip.id])])
            clock.set('2026-11-23 10:00')
            original = self.ticket(priority='1')
            before = {
                t: (self.clocks(t), self.deadline(t))
                for t in [original, duplicate]}
            self.assertEqual(
                {n: c[2] for n, c in before[duplicate][0].items()}, {
                    'Resolve': '2026-11-23 17:00',
                    'Urgent': '2026-11-23 13:00',
                    'VIP': '2026-11-23 11:00',
                    })
            self.assertEqual(
                {n: c[2] for n, c in before[original][0].items()},
                {'Resolve': '2026-11-23 18:00'})

            clock.set('2026-11-23 10:30')
            Ticket.merge_into(original, [duplicate])

            clocks = self.clocks(original)
            # The duplicate's clock of Resolve came first; VIP came with
            # its tag; Urgent does not apply to the survivor
            self.assertEqual(clocks, {
                    'Resolve': before[duplicate][0]['Resolve'],
                    'VIP': before[duplicate][0]['VIP'],
                    })
            self.assertEqual(self.deadline(original), '2026-11-23 11:00')
            # The archived duplicate's clocks stop
            self.assertEqual(
                {n: (c[0], c[3]) for n, c in self.clocks(duplicate).items()},
                {n: ('ongoing', clock.moment)
                    for n in ['Resolve', 'Urgent', 'VIP']})
            self.assertIsNone(self.deadline(duplicate))

            clock.set('2026-11-23 10:45')
            Ticket.undo_merge([Ticket(duplicate.id)])

            for ticket in [original, duplicate]:
                self.assertEqual(
                    (self.clocks(ticket), self.deadline(ticket)),
                    before[ticket])

    @with_transaction()
    def test_survivor_earlier_kept(self):
        "The survivor keeps its own clock when its deadline comes first"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Log = pool.get('helpdesk.ticket.merge.log')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            self.setup_policies()
            clock.set('2026-11-23 09:00')
            original = self.ticket()
            clock.set('2026-11-23 10:00')
            duplicate = self.ticket()
            before = self.clocks(original)

            clock.set('2026-11-23 10:30')
            log, = Ticket.merge_into(original, [duplicate])

            self.assertEqual(self.clocks(original), before)
            self.assertEqual(self.deadline(original), '2026-11-23 17:00')
            self.assertEqual(
                sorted(l.kind for l in Log(log.id).lines
                    if l.kind.startswith('sla_')),
                ['sla_source'])

    @with_transaction()
    def test_reached_duplicate_not_taken(self):
        "A duplicate that reached its target does not make the survivor"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Stage = pool.get('helpdesk.stage')
        company = create_company()
        with set_company(company), Clock('UTC') as clock:
            self.setup_policies()
            solved, = Stage.search([('category', '=', 'solved')], limit=1)
            clock.set('2026-11-23 09:00')
            duplicate = self.ticket()
            clock.set('2026-11-23 09:30')
            Ticket.write([duplicate], {'stage': solved.id})
            clock.set('2026-11-23 10:00')
            original = self.ticket()
            before = self.clocks(original)
            self.assertEqual(
                self.clocks(duplicate)['Resolve'][0], 'reached')

            clock.set('2026-11-23 10:30')
            Ticket.merge_into(original, [duplicate])

            self.assertEqual(self.clocks(original), before)
            self.assertEqual(self.deadline(original), '2026-11-23 18:00')
