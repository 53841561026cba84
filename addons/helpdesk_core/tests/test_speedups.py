# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
import json
import unittest
import zlib
from decimal import Decimal

from sql import Column

from trytond.ir.session import Session as CoreSession
from trytond.modules.company.tests import create_company, set_company
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


class SpeedupsTestCase(unittest.TestCase):
    "Test the speed-ups of trytond keep what it returns"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('helpdesk_core')

    def _tickets(self, count=80):
        "Create count tickets of a team, return them and the list's fields"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        team, = Team.create([{'name': "Support"}])
        tickets = Ticket.create([{
                    'name': f"Ticket {i} «پرینتر» \"quoted\"\n",
                    'team': team.id, 'priority': str(i % 4),
                    } for i in range(count)])
        view = Ticket.fields_view_get(view_type='tree')
        fields = []
        for name, field in view['fields'].items():
            fields.append(name)
            if field['type'] == 'many2one':
                fields.append(f'{name}.rec_name')
        return tickets, fields + ['rec_name', '_timestamp']

    @with_transaction()
    def test_cursor_dict(self):
        "The rows of a page of tickets are the dictionaries trytond gives"
        import trytond.model.modelsql
        from trytond.modules.helpdesk_core import speedups
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            tickets, fields = self._tickets()
        table = Ticket.__table__()
        cursor = Transaction().connection.cursor()
        columns = sorted(Ticket.__table_handler__()._columns)
        query = table.select(
            *(Column(table, c) for c in columns),
            where=table.id.in_([t.id for t in tickets]), order_by=table.id)

        for size in [None, 7, 1000]:
            with self.subTest(size=size):
                cursor.execute(*query)
                ours = list(speedups.cursor_dict(cursor, size=size))
                cursor.execute(*query)
                core = list(speedups.trytond_cursor_dict(cursor, size=size))
                self.assertEqual(len(ours), 80)
                self.assertEqual(ours, core)
                self.assertEqual(
                    [list(r) for r in ours], [list(r) for r in core])
        cursor.execute(*table.select(table.id, where=table.id < 0))
        self.assertEqual(list(speedups.cursor_dict(cursor)), [])
        self.assertIs(trytond.model.modelsql.cursor_dict, speedups.cursor_dict)

        # The read of the list's fields, through ours and through trytond's
        ids = [t.id for t in tickets]
        ours = Ticket.read(ids, fields)
        trytond.model.modelsql.cursor_dict = speedups.trytond_cursor_dict
        try:
            core = Ticket.read(ids, fields)
        finally:
            trytond.model.modelsql.cursor_dict = speedups.cursor_dict
        self.assertEqual(ours, core)
        self.assertEqual(ours[0]['team.']['rec_name'], "Support")

    @with_transaction()
    def test_stream_encoder(self):
        """The answer streamed by items is the JSON trytond gives, and its
        gzip the bytes trytond sends"""
        from trytond.modules.helpdesk_core import speedups
        from trytond.protocols import jsonrpc
        from trytond.protocols.wrappers import GzipStream
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            tickets, fields = self._tickets()
        ids = [t.id for t in tickets]
        core = speedups.trytond_encoder
        nested = [{
                'id': i, 'rows': list(range(i % 50)),
                'create_date': dt.datetime(2026, 11, 29, 10, i % 60),
                'date': dt.date(2026, 12, i % 28 + 1),
                'time': dt.time(i % 24, 30), 'delay': dt.timedelta(hours=i),
                'amount': Decimal('%d.25' % i), 'ratio': i / 7,
                'data': bytes(range(i % 256)), 'party.': {'rec_name': None},
                'flags': (True, False), 1: 'int key', 'empty': {},
                'deep': [[1, [2, [3, {'a': Decimal('1.5')}]]]],
                } for i in range(200)]
        answers = {
            'read page': {'id': 3, 'result': Ticket.read(ids, fields)},
            'search': {'id': 4, 'result': [
                    t.id for t in Ticket.search([], limit=80)]},
            'ids': {'id': 5, 'result': list(range(100_000, 101_000))},
            'nested': {'id': 6, 'result': nested},
            'empty': {'id': 7, 'result': []},
            'error': {'id': 8, 'error': ['UserError', ["Wrong " * 500, '']]},
            'list': nested, 'text': "x", 'none': None, 'float': 1.5,
            }

        def gzip(encoder, answer):
            return b''.join(GzipStream(
                    encoder.iterencode(answer), compresslevel=1))

        for name, answer in answers.items():
            with self.subTest(answer=name):
                text = ''.join(jsonrpc.encoder.iterencode(answer))
                self.assertEqual(text, ''.join(core.iterencode(answer)))
                self.assertEqual(
                    jsonrpc.encoder.encode(answer), core.encode(answer))
                compressed = gzip(jsonrpc.encoder, answer)
                self.assertEqual(compressed, gzip(core, answer))
                self.assertEqual(
                    zlib.decompress(compressed, wbits=31).decode(), text)
        page = answers['read page']
        self.assertEqual(
            json.loads(jsonrpc.encoder.encode(page),
                object_hook=jsonrpc.JSONDecoder())['result'][0]['team.'],
            {'id': tickets[0].team.id, 'rec_name': "Support"})
        # Streamed by record, not by JSON token
        self.assertLess(
            len(list(jsonrpc.encoder.iterencode(page))), 3 * 80 + 10)
        self.assertGreater(len(list(core.iterencode(page))), 80 * 20)
        self.assertIsInstance(jsonrpc.encoder, speedups.StreamEncoder)

    @with_transaction()
    def test_session_check(self):
        "The session check answers and cleans up as trytond's own"
        pool = Pool()
        Session = pool.get('ir.session')
        User = pool.get('res.user')
        transaction = Transaction()
        table = Session.__table__()
        cursor = transaction.connection.cursor()
        old = dt.datetime.now() - dt.timedelta(days=400)

        def sessions(user, address):
            "Create a valid, an expired and another valid session of user"
            with transaction.set_context(_request={'remote_addr': address}), \
                    transaction.set_user(user.id):
                keys = [Session.new() for _ in range(3)]
            cursor.execute(*table.update(
                    [table.create_date], [old], where=table.key == keys[1]))
            return keys

        def state(user):
            return sorted(s.key for s in Session.search([
                        ('create_uid', '=', user.id)]))

        def run(check, index):
            user, = User.create([{'login': f'session{index}'}])
            other, = User.create([{'login': f'other{index}'}])
            valid, expired, _ = sessions(user, '10.0.0.1')
            foreign, _, _ = sessions(other, '10.0.0.1')
            with transaction.set_context(
                    _request={'remote_addr': '10.0.0.1'}):
                # Any check deletes the expired sessions of the user
                answers = [check(Session, user.id, expired)]
                kept = state(user)
                answers += [
                    check(Session, user.id, valid),
                    check(Session, user.id, 'unknown'),
                    check(Session, user.id, foreign),
                    ]
            with transaction.set_context(
                    _request={'remote_addr': '10.0.0.2'}):
                answers.append(check(Session, user.id, valid))
            answers.append(Session._session_reset_cache.get(valid) is not None)
            return answers, len(kept), expired in kept, valid in state(user)

        core = run(CoreSession.check.__func__, 1)
        ours = run(Session.check.__func__, 2)

        self.assertEqual(ours, core)
        self.assertEqual(
            ours, ([False, True, None, None, None, True], 2, False, True))
        self.assertIsNot(Session.check.__func__, CoreSession.check.__func__)
