# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import json
import unittest
import zlib

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
        from trytond.protocols.jsonrpc import encoder
        from trytond.protocols.wrappers import GzipStream
        from trytond.modules.helpdesk_core import speedups
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
