# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Three costs of trytond that a page of tickets pays on every request

- trytond's cursor_dict asks cursor.description for every row, and psycopg 3
  builds a new Column object per column each time it is asked: for a page of
  80 tickets with their customers, stages, teams and users that is tens of
  thousands of objects. The names are the same for every row of a result,
  so they are taken once.
- An answer of more than 1400 bytes is encoded to JSON as a stream of tiny
  strings (a key, a comma, a value) and gzip compresses each one on its own:
  thousands of calls for a page. The strings are gathered into pieces of
  64 KiB before they are compressed.
- That stream comes from the pure Python JSON encoder: Python's C encoder
  only works in one go. The answer is now streamed by the items of its
  lists (the records of a read, the ids of a search), each encoded in one
  go by the C encoder, which is several times faster.

All keep what trytond returns byte for byte; they only do it with fewer
Python calls."""

import trytond.ir.model
import trytond.ir.translation
import trytond.model.modelsql
import trytond.protocols.jsonrpc
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


class StreamEncoder(trytond.protocols.jsonrpc.JSONEncoder):
    "trytond's JSON encoder, streaming by the items of the answer's lists"

    def iterencode(self, o, _one_shot=False):
        if _one_shot:
            return super().iterencode(o, _one_shot=True)
        return self._pieces(o, 2)

    def _pieces(self, o, depth):
        if depth and isinstance(o, (list, tuple)) and o:
            yield '['
            for i, item in enumerate(o):
                if i:
                    yield ','
                yield from self._pieces(item, depth - 1)
            yield ']'
        elif (depth and type(o) is dict and o
                and all(type(k) is str for k in o)):
            yield '{'
            for i, (key, value) in enumerate(o.items()):
                yield (',' if i else '') + self.encode(key) + ':'
                yield from self._pieces(value, depth - 1)
            yield '}'
        else:
            yield self.encode(o)


for _module in [
        trytond.tools, trytond.model.modelsql, trytond.ir.model,
        trytond.ir.translation]:
    _module.cursor_dict = cursor_dict
trytond.protocols.wrappers.GzipStream.__iter__ = _gzip_stream_iter
trytond.protocols.jsonrpc.encoder = StreamEncoder(
    **{k: getattr(trytond.protocols.jsonrpc.encoder, k) for k in [
            'skipkeys', 'ensure_ascii', 'check_circular', 'allow_nan',
            'sort_keys', 'indent']},
    separators=(
        trytond.protocols.jsonrpc.encoder.item_separator,
        trytond.protocols.jsonrpc.encoder.key_separator))
