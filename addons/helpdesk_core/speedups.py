# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Two overrides of trytond that a page of tickets still pays for under
gunicorn (`make serve`)

Each replaces one function of trytond at import by one that returns the
same, byte for byte, with fewer Python calls. trytond's own function is kept
beside it (``trytond_*``) for the tests that compare the two
(tests/test_speedups.py). bench/bench_speedups.py measures what each wins on
the agent list's first page; doc/design.rst gives the figures and
doc/upstream.rst proposes them, and what was removed, to trytond."""

import trytond.ir.model
import trytond.ir.translation
import trytond.model.modelsql
import trytond.protocols.jsonrpc
import trytond.tools

# --- cursor_dict
# trytond asks cursor.description for every row, and psycopg 3 builds a new
# Column object per column each time it is asked: for a page of 80 tickets
# with the records they show, thousands of objects. The names are the same
# for every row of a result: they are taken once.

trytond_cursor_dict = trytond.tools.cursor_dict


def cursor_dict(cursor, size=None):
    "Yield the rows of cursor as dictionaries of their columns"
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


# The modules that imported trytond's function by its name
for _module in [
        trytond.tools, trytond.model.modelsql, trytond.ir.model,
        trytond.ir.translation]:
    _module.cursor_dict = cursor_dict

# --- The JSON-RPC encoder
# An answer of more than 1400 bytes is encoded by trytond's encoder as a
# stream, by the pure Python JSON encoder, token by token (a key, a comma, a
# value): Python's C encoder only works in one go. The answer is streamed by
# the items of its lists (the records of a read, the ids of a search), each
# encoded in one go by the C encoder: the same text in a few pieces per
# record, with the memory still bounded by the largest record. It also
# spares gzip the compression of each token on its own.

trytond_encoder = trytond.protocols.jsonrpc.encoder


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


trytond.protocols.jsonrpc.encoder = StreamEncoder(
    **{k: getattr(trytond_encoder, k) for k in [
            'skipkeys', 'ensure_ascii', 'check_circular', 'allow_nan',
            'sort_keys', 'indent']},
    separators=(trytond_encoder.item_separator, trytond_encoder.key_separator))
