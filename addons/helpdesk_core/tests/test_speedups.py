# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
import json
import unittest
import zlib

from trytond.ir.session import Session as CoreSession
from trytond.pool import Pool
from trytond.tests.test_tryton import activate_module, with_transaction
from trytond.transaction import Transaction


class SpeedupsTestCase(unittest.TestCase):
    "Test the speed-ups of trytond keep what it returns"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module('helpdesk_core')

    @with_transaction()
    def test_cursor_dict(self):
        "Every row becomes a dictionary of its columns"
        import trytond.model.modelsql
        from trytond.modules.helpdesk_core import speedups
        cursor = Transaction().connection.cursor()
        cursor.execute(
            'SELECT 1 AS a, \'x\' AS b UNION ALL SELECT 2, \'y\' '
            'UNION ALL SELECT 3, \'z\' ORDER BY 1')

        rows = list(speedups.cursor_dict(cursor, size=2))

        self.assertEqual(rows, [
                {'a': 1, 'b': 'x'}, {'a': 2, 'b': 'y'}, {'a': 3, 'b': 'z'}])
        self.assertIs(trytond.model.modelsql.cursor_dict, speedups.cursor_dict)

    def test_gzip_stream(self):
        "The compressed answer is the JSON of the result"
        from trytond.modules.helpdesk_core import speedups
        from trytond.protocols.jsonrpc import encoder
        from trytond.protocols.wrappers import GzipStream
        result = {'result': [
                {'id': i, 'name': f"Ticket {i} «پرینتر»",
                    'rows': list(range(i))}
                for i in range(400)]}

        stream = GzipStream(encoder.iterencode(result), compresslevel=1)
        pieces = list(stream)

        self.assertEqual(
            json.loads(zlib.decompress(b''.join(pieces), wbits=31)), result)
        # Gathered: a few pieces, not one per JSON token
        self.assertLess(len(pieces), 10)
        self.assertEqual(
            GzipStream.__iter__.__name__, speedups._gzip_stream_iter.__name__)

    def test_stream_encoder(self):
        "The answer streamed by items is the JSON trytond would give"
        import datetime
        from decimal import Decimal

        from trytond.modules.helpdesk_core import speedups
        from trytond.protocols import jsonrpc
        reference = jsonrpc.JSONEncoder(separators=(',', ':'))
        rows = [{
                'id': i, 'name': f"Ticket {i} «پرینتر» \"quoted\"\n",
                'create_date': datetime.datetime(2026, 11, 29, 10, i % 60),
                'amount': Decimal('%d.25' % i), 'ratio': i / 7,
                'tags': [], 'party.': {'id': i, 'rec_name': None},
                'flags': (True, False), 1: 'int key', 'empty': {},
                } for i in range(100)]
        answers = [
            {'id': 3, 'result': rows},
            {'id': 4, 'result': list(range(500))},
            {'id': 5, 'result': []},
            {'id': 6, 'result': {}},
            {'id': 7, 'error': ['UserError', ['Wrong', '']]},
            rows, 'text', None, 1.5, [[1, [2, [3]]]],
            ]

        for answer in answers:
            with self.subTest(answer=str(answer)[:40]):
                pieces = list(jsonrpc.encoder.iterencode(answer))
                self.assertEqual(
                    ''.join(pieces), ''.join(reference.iterencode(answer)))
                self.assertEqual(
                    jsonrpc.encoder.encode(answer), reference.encode(answer))
        # Streamed by record, not by JSON token
        self.assertLess(
            len(list(jsonrpc.encoder.iterencode(answers[0]))), 2 * 100 + 10)
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
