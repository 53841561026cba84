# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Merge duplicate tickets and undo the merge: what moves and comes back"""

import datetime as dt
import unittest

from trytond.model.exceptions import AccessError
from trytond.modules.company.tests import create_company, set_company
from trytond.modules.helpdesk_core.exceptions import TicketMergeError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    _DBTestCase, activate_module, with_transaction)
from trytond.transaction import Transaction

DAY = dt.timedelta(days=1)
START = dt.datetime(2026, 3, 2, 9, 0)


class HelpdeskMergeTestCase(unittest.TestCase):
    "Test the merge of tickets"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['helpdesk_core'])

    def setup_fixture(self):
        pool = Pool()
        User = pool.get('res.user')
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        Tag = pool.get('helpdesk.tag')
        ModelData = pool.get('ir.model.data')
        agent = ModelData.get_id('helpdesk_core', 'group_helpdesk')
        company = User(Transaction().user).company

        def user(login, groups):
            user, = User.create([{
                        'login': login, 'name': login.title(),
                        'groups': [('add', groups)],
                        'companies': [('add', [company.id])],
                        'company': company.id,
                        }])
            return user

        self.ann = user('ann', [agent])
        self.bob = user('bob', [agent])
        self.watcher = user('watcher', [agent])
        self.outsider = user('outsider', [agent])
        self.clerk = user('clerk', [])
        self.support, self.private = Team.create([{
                    'name': "Support", 'visibility': 'internal',
                    'members': [('add', [self.ann.id, self.bob.id])],
                    'follower_users': [('add', [self.watcher.id])],
                    }, {
                    'name': "Private", 'visibility': 'invited',
                    'leaders': [('add', [self.ann.id])],
                    }])
        self.urgent, self.printer, self.refund = Tag.create([
                {'name': "Urgent"}, {'name': "Printer"}, {'name': "Refund"}])
        original, duplicate = Ticket.create([{
                    'name': "Printer broken", 'team': self.support.id,
                    'contact_email': 'carol@customer.example',
                    'tags': [('add', [self.printer.id])],
                    }, {
                    'name': "Printer still broken",
                    'team': self.support.id,
                    'contact_email': 'carol.work@customer.example',
                    'user': self.bob.id,
                    'tags': [('add', [self.urgent.id, self.printer.id])],
                    }])
        return original, duplicate

    def set_dates(self, Model, dates):
        "Give the records {record: create_date}, as if created then"
        table = Model.__table__()
        cursor = Transaction().connection.cursor()
        for record, date in dates.items():
            cursor.execute(*table.update(
                    [table.create_date], [date],
                    where=table.id == record.id))
        for cache in Transaction().cache.values():
            cache.pop(Model.__name__, None)

    def conversation(self, ticket):
        "The contents of the ticket's conversation as the chat shows it"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        return [m['content'] for m in Channel.get(str(ticket))]

    def attachments(self, ticket):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        return sorted(a.name for a in Attachment.search([
                    ('resource', '=', str(ticket)),
                    ]))

    def followers(self, ticket):
        "The (user login or email, through team) who follow the ticket"
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        return sorted(
            (f.user.login if f.user else f.email,
                bool(f.helpdesk_through_team))
            for f in Follower.search([('helpdesk_ticket', '=', ticket.id)]))

    def tags(self, ticket):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        return [t.name for t in Ticket(ticket.id).tags]

    def state(self, ticket):
        "Everything the merge touches on a ticket"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        with Transaction().set_context(active_test=False):
            ticket = Ticket(ticket.id)
            return {
                'conversation': self.conversation(ticket),
                'attachments': self.attachments(ticket),
                'followers': self.followers(ticket),
                'tags': self.tags(ticket),
                'active': ticket.active,
                'merged_into': ticket.merged_into,
                'create_date': ticket.create_date,
                'last_agent_message': ticket.last_agent_message,
                }

    def converse(self, original, duplicate):
        """Post a conversation on both tickets, interleaved in time, and
        attach files"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Message = pool.get('ir.chat.message')
        Attachment = pool.get('ir.attachment')
        messages = {}
        for i, (ticket, text) in enumerate([
                    (duplicate, "Duplicate 1"),
                    (original, "Original 1"),
                    (duplicate, "Duplicate 2"),
                    (original, "Original 2"),
                    ]):
            message = Channel.post(ticket, text, 'internal')
            messages[message] = START + i * DAY
        self.set_dates(Message, messages)
        Attachment.create([{
                    'resource': str(original), 'name': "photo.jpg",
                    'data': b'jpeg',
                    }, {
                    'resource': str(duplicate), 'name': "error.log",
                    'data': b'paper jam',
                    }, {
                    'resource': str(duplicate), 'name': "invoice.pdf",
                    'data': b'pdf',
                    }])

    @with_transaction()
    def test_merge_and_undo(self):
        "Merging moves everything onto the survivor; undo puts it back"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Channel = pool.get('ir.chat.channel')
        Follower = pool.get('ir.chat.follower')
        Log = pool.get('helpdesk.ticket.merge.log')
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            Follower.add_user(Channel._get_channel(duplicate), self.ann)
            self.converse(original, duplicate)
            # The duplicate came first; the agent keeps the other one
            self.set_dates(Ticket, {
                    duplicate: START - DAY, original: START})
            before_original = self.state(original)
            before_duplicate = self.state(duplicate)

            self.assertEqual(before_original['followers'], [
                    ('carol@customer.example', False),
                    ('watcher', True),
                    ])
            self.assertEqual(before_duplicate['followers'], [
                    ('ann', False),
                    ('bob', False),
                    ('carol.work@customer.example', False),
                    ('watcher', True),
                    ])

            log, = Ticket.merge_into(original, [duplicate])

            merged = self.state(original)
            self.assertEqual(merged['conversation'], [
                    "Duplicate 1", "Original 1", "Duplicate 2", "Original 2",
                    "Merged into this ticket: %s." % duplicate.rec_name,
                    ])
            self.assertEqual(merged['attachments'], [
                    "error.log", "invoice.pdf", "photo.jpg"])
            # The followers of the duplicate's own, not its team's
            self.assertEqual(merged['followers'], [
                    ('ann', False),
                    ('bob', False),
                    ('carol.work@customer.example', False),
                    ('carol@customer.example', False),
                    ('watcher', True),
                    ])
            self.assertEqual(merged['tags'], ["Printer", "Urgent"])
            self.assertEqual(merged['create_date'], START - DAY)
            self.assertTrue(merged['active'])

            archived = self.state(duplicate)
            self.assertFalse(archived['active'])
            self.assertEqual(archived['merged_into'], original)
            self.assertEqual(archived['conversation'], [
                    "This ticket was merged into ticket %s: its "
                    "conversation, attachments, followers and tags are "
                    "there now." % original.rec_name])
            self.assertEqual(archived['attachments'], [])
            # The archived ticket keeps its followers and tags
            self.assertEqual(
                archived['followers'], before_duplicate['followers'])
            self.assertEqual(archived['tags'], ["Urgent", "Printer"])
            self.assertEqual(log.ticket, duplicate)
            self.assertEqual(log.survivor, original)
            self.assertEqual(log.state, 'merged')

            Ticket.undo_merge([Ticket(duplicate.id)])

            self.assertEqual(Log(log.id).state, 'undone')
            self.assertEqual(Log(log.id).undone_by.id, Transaction().user)
            after_original = self.state(original)
            after_duplicate = self.state(duplicate)
            notes = {
                'conversation': [
                    "Merged into this ticket: %s." % duplicate.rec_name,
                    "The merge of ticket %s was undone: it is a ticket of "
                    "its own again." % duplicate.rec_name],
                }
            self.assertEqual(
                after_original['conversation'],
                before_original['conversation'] + notes['conversation'])
            self.assertEqual(
                after_duplicate['conversation'],
                before_duplicate['conversation'] + [
                    archived['conversation'][0],
                    "The merge into ticket %s was undone: the conversation, "
                    "attachments, followers and tags of this ticket are "
                    "back." % original.rec_name])
            for state, before in [
                    (after_original, before_original),
                    (after_duplicate, before_duplicate)]:
                del state['conversation']
                del before['conversation']
                self.assertEqual(state, before)

    @with_transaction()
    def test_merge_several_undo_latest_first(self):
        "Tickets merged together are undone the latest first"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            third, = Ticket.create([{
                        'name': "Printer", 'team': self.support.id,
                        'tags': [('add', [self.refund.id])],
                        }])
            self.set_dates(Ticket, {
                    original: START, duplicate: START + DAY,
                    third: START - DAY})
            before = [self.state(t) for t in [original, duplicate, third]]

            first, second = Ticket.merge_into(original, [duplicate, third])

            self.assertEqual(
                self.tags(original), ["Printer", "Urgent", "Refund"])
            self.assertEqual(
                Ticket(original.id).create_date, START - DAY)
            with self.assertRaises(TicketMergeError) as cm:
                Ticket.undo_merge([Ticket(duplicate.id)])
            self.assertEqual(
                cm.exception.message,
                'You cannot undo the merge of ticket "%s" yet because '
                'ticket "%s" was merged into ticket "%s" after it. Undo the '
                'later merge first.' % (
                    duplicate.rec_name, third.rec_name, original.rec_name))

            # Both at once go in the right order
            Ticket.undo_merge(Ticket.browse([duplicate.id, third.id]))

            after = [self.state(t) for t in [original, duplicate, third]]
            for state, previous in zip(after, before):
                del state['conversation']
                del previous['conversation']
                self.assertEqual(state, previous)

    @with_transaction()
    def test_merged_refused(self):
        "A merged ticket is neither merged again nor transferred"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Transfer = pool.get('helpdesk.ticket.transfer')
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            other, = Ticket.create([{
                        'name': "Other", 'team': self.support.id}])
            Ticket.merge_into(original, [duplicate])
            duplicate = Ticket(duplicate.id)

            for survivor, tickets in [
                    (other, [duplicate]), (duplicate, [other])]:
                with self.assertRaises(TicketMergeError) as cm:
                    Ticket.merge_into(survivor, tickets)
                self.assertEqual(
                    cm.exception.message,
                    'Ticket "%s" was merged into ticket "%s": it cannot be '
                    'merged again. Undo that merge first.' % (
                        duplicate.rec_name, original.rec_name))

            with self.assertRaises(TicketMergeError) as cm:
                Transfer.request(duplicate, self.private)
            self.assertEqual(
                cm.exception.message,
                'You cannot transfer ticket "%s" because it was merged into '
                'ticket "%s". Transfer that ticket instead.' % (
                    duplicate.rec_name, original.rec_name))

            with self.assertRaises(TicketMergeError):
                Ticket.merge_into(original, [original])

            # The survivor merged elsewhere is undone first
            Ticket.merge_into(other, [original])
            with self.assertRaises(TicketMergeError) as cm:
                Ticket.undo_merge([duplicate])
            self.assertIn(
                'is itself merged into ticket "%s"' % other.rec_name,
                cm.exception.message)

    @with_transaction()
    def test_pending_transfer_of_merged(self):
        "A transfer requested before the merge is not approved after"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Transfer = pool.get('helpdesk.ticket.transfer')
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            transfer = Transfer.request(duplicate, self.private)
            Ticket.merge_into(original, [duplicate])

            with self.assertRaises(TicketMergeError):
                Transfer.approve([Transfer(transfer.id)])
            self.assertEqual(Ticket(duplicate.id).team, self.support)

    @with_transaction()
    def test_visibility(self):
        "Nobody merges or takes out a ticket they cannot see or write"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Group = pool.get('res.group')
        ModelAccess = pool.get('ir.model.access')
        transaction = Transaction()
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            hidden, = Ticket.create([{
                        'name': "Printer broken", 'team': self.private.id}])
            viewers, = Group.create([{'name': "Viewers"}])
            ModelAccess.create([{
                        'model': 'helpdesk.ticket', 'group': viewers.id,
                        'perm_read': True, 'perm_write': False,
                        'perm_create': False, 'perm_delete': False,
                        }])
            self.clerk.groups = [viewers]
            self.clerk.save()

            # Bob sees the tickets of Support only
            with transaction.set_user(self.bob.id):
                with self.assertRaises(AccessError):
                    Ticket.merge_into(
                        Ticket(original.id), [Ticket(hidden.id)])
                with self.assertRaises(AccessError):
                    Ticket.merge_into(
                        Ticket(hidden.id), [Ticket(original.id)])
            # The clerk reads the tickets, she does not write them
            with transaction.set_user(self.clerk.id):
                with self.assertRaises(AccessError):
                    Ticket.merge_into(
                        Ticket(original.id), [Ticket(duplicate.id)])
            self.assertTrue(Ticket(original.id).active)
            self.assertTrue(Ticket(hidden.id).active)
            self.assertEqual(self.conversation(hidden), [])

            # Ann leads Private: she merges the hidden ticket
            with transaction.set_user(self.ann.id):
                Ticket.merge_into(Ticket(original.id), [Ticket(hidden.id)])
            with transaction.set_context(active_test=False):
                self.assertEqual(Ticket(hidden.id).merged_into, original)
            # Bob may not take it out again
            with transaction.set_user(self.bob.id), \
                    transaction.set_context(active_test=False):
                with self.assertRaises(AccessError):
                    Ticket.undo_merge([Ticket(hidden.id)])
            with transaction.set_user(self.ann.id), \
                    transaction.set_context(active_test=False):
                Ticket.undo_merge([Ticket(hidden.id)])
            self.assertTrue(Ticket(hidden.id).active)
            self.assertIsNone(Ticket(hidden.id).merged_into)

    @with_transaction()
    def test_undo_order_with_hidden_later_merge(self):
        "A later merge the user cannot see still comes first"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        transaction = Transaction()
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            hidden, = Ticket.create([{
                        'name': "Printer broken", 'team': self.private.id}])
            with transaction.set_user(self.bob.id):
                Ticket.merge_into(
                    Ticket(original.id), [Ticket(duplicate.id)])
            with transaction.set_user(self.ann.id):
                Ticket.merge_into(Ticket(original.id), [Ticket(hidden.id)])

            with transaction.set_user(self.bob.id), \
                    transaction.set_context(active_test=False):
                with self.assertRaises(TicketMergeError) as cm:
                    Ticket.undo_merge([Ticket(duplicate.id)])
            self.assertIn(
                'ticket "%s" was merged into ticket "%s" after it' % (
                    hidden.rec_name, original.rec_name),
                cm.exception.message)
            with transaction.set_context(active_test=False):
                self.assertEqual(Ticket(duplicate.id).merged_into, original)

    @with_transaction()
    def test_wizard(self):
        """The wizard lists the tickets with their similarity and keeps
        the oldest"""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Merge = pool.get('helpdesk.ticket.merge', type='wizard')
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            unrelated, = Ticket.create([{
                        'name': "Password reset", 'team': self.support.id}])
            self.set_dates(Ticket, {
                    duplicate: START - DAY, original: START,
                    unrelated: START - 2 * DAY})
            context = {
                'active_model': 'helpdesk.ticket',
                'active_ids': [original.id, duplicate.id],
                'active_id': original.id,
                }
            with Transaction().set_context(context):
                session_id, _, _ = Merge.create()
                result = Merge.execute(session_id, {}, 'start')
                defaults = result['view']['defaults']
                self.assertEqual(defaults['survivor'], duplicate.id)
                lines = defaults['tickets']
                self.assertEqual(
                    [(l['ticket'], l['merge'], l['survivor']) for l in lines],
                    [(duplicate.id, True, True),
                        (original.id, True, False)])
                self.assertEqual(lines[0]['score'], 1.)
                scores = Ticket.similarity_scores(duplicate, [original])
                self.assertEqual(lines[1]['score'], scores[original.id])
                self.assertGreater(lines[1]['score'], 0)
                self.assertLess(lines[1]['score'], 1)

                # The agent keeps the other one
                start = Pool().get('helpdesk.ticket.merge.start')(
                    survivor=original.id,
                    tickets=lines)
                start.on_change_survivor()
                score = Ticket.similarity_scores(
                    original, [duplicate])[duplicate.id]
                self.assertEqual(
                    [(l.ticket, l.survivor, l.score) for l in start.tickets],
                    [(duplicate, False, score), (original, True, 1.)])

                data = {'start': {
                        'survivor': original.id,
                        'tickets': lines,
                        }}
                Merge.execute(session_id, data, 'merge')
                Merge.delete(session_id)

            with Transaction().set_context(active_test=False):
                self.assertEqual(Ticket(duplicate.id).merged_into, original)
                self.assertTrue(Ticket(unrelated.id).active)
                self.assertEqual(Ticket(original.id).create_date, START - DAY)

    @with_transaction()
    def test_wizard_single_ticket(self):
        "From one ticket, the wizard offers its likely duplicates unchecked"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Merge = pool.get('helpdesk.ticket.merge', type='wizard')
        company = create_company()
        with set_company(company):
            original, duplicate = self.setup_fixture()
            Ticket.create([{
                        'name': "Password reset", 'team': self.support.id}])
            context = {
                'active_model': 'helpdesk.ticket',
                'active_ids': [duplicate.id],
                'active_id': duplicate.id,
                }
            with Transaction().set_context(context):
                session_id, _, _ = Merge.create()
                result = Merge.execute(session_id, {}, 'start')
                lines = result['view']['defaults']['tickets']
                self.assertEqual(
                    [(l['ticket'], l['merge']) for l in lines],
                    [(original.id, False), (duplicate.id, True)])
                self.assertEqual(
                    result['view']['defaults']['survivor'], duplicate.id)

                data = {'start': {
                        'survivor': duplicate.id,
                        'tickets': lines,
                        }}
                with self.assertRaises(TicketMergeError):
                    # Nothing else checked
                    Merge.execute(session_id, data, 'merge')


class HelpdeskMergeTranslationTestCase(_DBTestCase):
    "Test the merge in Persian"
    module = 'helpdesk_core'
    language = 'fa'

    @with_transaction(context={'language': 'fa'})
    def test_notes_and_errors(self):
        "The notes of a merge and its refusals are in Persian"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        Channel = pool.get('ir.chat.channel')
        company = create_company()
        with set_company(company):
            team, = Team.create([{'name': "Support"}])
            original, duplicate = Ticket.create([
                    {'name': "Printer", 'team': team.id},
                    {'name': "Printer again", 'team': team.id},
                    ])
            Ticket.merge_into(original, [duplicate])

            self.assertEqual(
                [m['content'] for m in Channel.get(str(duplicate))],
                ["این تیکت در تیکت [HD00001] Printer ادغام شد: گفتگو، "
                    "پیوست‌ها، دنبال‌کنندگان و برچسب‌های آن اکنون آنجاست."])
            with self.assertRaises(TicketMergeError) as cm:
                Ticket.merge_into(original, [Ticket(duplicate.id)])
            self.assertEqual(
                cm.exception.message,
                "تیکت «[HD00002] Printer again» در تیکت «[HD00001] Printer» "
                "ادغام شده است و دوباره ادغام نمی‌شود. ابتدا آن ادغام را لغو "
                "کنید.")


del _DBTestCase
