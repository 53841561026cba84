# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Two costs of trytond that a page of tickets pays on every request

- trytond's cursor_dict asks cursor.description for every row, and psycopg 3
  builds a new Column object per column each time it is asked: for a page of
  80 tickets with their customers, stages, teams and users that is tens of
  thousands of objects. The names are the same for every row of a result,
  so they are taken once.
- An answer of more than 1400 bytes is encoded to JSON as a stream of tiny
  strings (a key, a comma, a value) and gzip compresses each one on its own:
  thousands of calls for a page. The strings are gathered into pieces of
  64 KiB before they are compressed.

Both keep what trytond returns byte for byte; they only do it with fewer
Python calls."""

import trytond.ir.model
import trytond.ir.translation
import trytond.model.modelsql
import trytond.protocols.wrappers
import trytond.tools

PIECE_SIZE = 64 * 1024


def cursor_dict(cursor, size=None):
    size = cursor.arraysize if size is None else size
    names = None
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            break
        if names is None:
            names = [d[0] for d in cursor.description]
        for row in rows:
            yield dict(zip(names, row))


def _gzip_stream_iter(self):
    pieces, size = [], 0
    for chunk in self.iterator:
        pieces.append(chunk)
        size += len(chunk)
        if size >= PIECE_SIZE:
            compressed = self.compressor.compress(
                ''.join(pieces).encode('utf-8'))
            pieces, size = [], 0
            if compressed:
                yield compressed
    if pieces:
        compressed = self.compressor.compress(''.join(pieces).encode('utf-8'))
        if compressed:
            yield compressed
    tail = self.compressor.flush()
    if tail:
        yield tail


for _module in [
        trytond.tools, trytond.model.modelsql, trytond.ir.model,
        trytond.ir.translation]:
    _module.cursor_dict = cursor_dict
trytond.protocols.wrappers.GzipStream.__iter__ = _gzip_stream_iter
