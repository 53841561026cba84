# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Ticket similarity and duplicate candidates

The score of a ticket against a reference mixes the trigram similarity of
the subjects and of the descriptions with the equality of the customers and
of the e-mails. PostgreSQL computes the trigram similarity with pg_trgm; the
other backends with `trigram_similarity`, which follows pg_trgm's algorithm
so that both give the same scores and the same ranking.
"""

import struct

from sql import Literal
from sql.conditionals import Case, Coalesce
from sql.operators import BinaryOperator

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, fields
from trytond.model.modelsql import convert_from
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools.email_ import normalize_email
from trytond.transaction import Transaction

from .exceptions import TicketDuplicateWarning
from .team import agent_group_ids

# The weight of each criterion in the score; a criterion the reference
# leaves empty does not count
WEIGHTS = [
    ('name', 0.55),
    ('description', 0.15),
    ('party', 0.15),
    ('contact_email', 0.15),
    ]
_WEIGHT = dict(WEIGHTS)
# pg_trgm's default similarity_threshold: a ticket is a candidate when its
# subject is at least that similar (the trigram index finds them) or when
# it has the same customer or e-mail
SUBJECT_THRESHOLD = 0.3
# The score from which a candidate is shown as a likely duplicate
DUPLICATE_THRESHOLD = 0.4
# The descriptions refine the ranking of that many best candidates by
# subject, customer and e-mail (comparing long texts is what costs)
REFINED = 100
# The channels where an agent types the ticket in: only they are warned
INTERACTIVE_CHANNELS = {'internal', 'phone'}


class TrigramMatch(BinaryOperator):
    "pg_trgm's similarity operator, served by the trigram GIN index"
    __slots__ = ()
    _operator = '%%'


def _float4(value):
    # pg_trgm computes in single precision
    return struct.unpack('f', struct.pack('f', value))[0]


def trigrams(text):
    """Return the set of trigrams of text as pg_trgm extracts them:
    each word of letters and digits, lower-cased, padded with two spaces
    before and one after"""
    result = set()
    word = []
    for char in (text or '') + ' ':
        if char.isalnum():
            word.append(char)
        elif word:
            padded = '  ' + ''.join(word).lower() + ' '
            result.update(
                padded[i:i + 3] for i in range(len(padded) - 2))
            word = []
    return result


def trigram_similarity(first, second):
    "Return the similarity of two texts as pg_trgm's similarity()"
    if not isinstance(first, set):
        first = trigrams(first)
    if not isinstance(second, set):
        second = trigrams(second)
    if not first or not second:
        return 0.
    common = len(first & second)
    return _float4(common / (len(first) + len(second) - common))


class _Reference:
    "The values a ticket is compared with, normalized"

    def __init__(self, name, description=None, party=None,
            contact_email=None):
        self.name = name or ''
        self.description = (description or '').strip() or None
        self.party = getattr(party, 'id', party)
        self.contact_email = (
            normalize_email(contact_email) if contact_email else None)
        self.weights = [
            (criterion, weight) for criterion, weight in WEIGHTS
            if criterion == 'name' or getattr(self, criterion) is not None]
        self.total = sum(w for _, w in self.weights)

    @classmethod
    def from_ticket(cls, ticket):
        return cls(
            ticket.name, ticket.description, ticket.party,
            ticket.contact_email)

    def python_scores(self, name, description, party, contact_email):
        "Return the partial score (without description) and the score"
        partial = 0.
        for criterion, weight in self.weights:
            if criterion == 'name':
                partial += weight * trigram_similarity(self.name, name)
            elif criterion == 'party':
                partial += weight * float(party == self.party)
            elif criterion == 'contact_email':
                partial += weight * float(contact_email == self.contact_email)
        score = partial
        if self.description is not None:
            score += _WEIGHT['description'] * trigram_similarity(
                self.description, description or '')
        return partial / self.total, score / self.total

    def sql_scores(self, table):
        "Return the SQL expressions of the partial score and the score"
        database = Transaction().database
        partial = Literal(0.)
        for criterion, weight in self.weights:
            if criterion == 'name':
                term = database.similarity(table.name, self.name)
            elif criterion == 'party':
                term = Case((table.party == self.party, 1.), else_=0.)
            elif criterion == 'contact_email':
                term = Case(
                    (table.contact_email == self.contact_email, 1.), else_=0.)
            else:
                continue
            partial += Literal(weight) * term
        score = partial
        if self.description is not None:
            score += Literal(_WEIGHT['description']) * database.similarity(
                Coalesce(table.description, ''), self.description)
        total = Literal(self.total)
        return partial / total, score / total

    def candidate_condition(self, table):
        "The SQL condition of the candidates, served by indexes"
        condition = TrigramMatch(table.name, self.name)
        if self.party is not None:
            condition |= table.party == self.party
        if self.contact_email is not None:
            condition |= table.contact_email == self.contact_email
        return condition

    def is_candidate(self, name, party, contact_email):
        return (
            trigram_similarity(self.name, name) >= SUBJECT_THRESHOLD
            or (self.party is not None and party == self.party)
            or (self.contact_email is not None
                and contact_email == self.contact_email))


def _use_trigram():
    return (backend.name == 'postgresql'
        and Transaction().database.has_extension('pg_trgm'))


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    likely_duplicates = fields.Function(fields.Many2Many(
            'helpdesk.ticket', None, None, "Likely Duplicates",
            context={
                'helpdesk_duplicate_of': Eval('id', -1),
                'helpdesk_duplicate_name': Eval('name', ''),
                'helpdesk_duplicate_description': Eval('description', ''),
                'helpdesk_duplicate_party': Eval('party', None),
                'helpdesk_duplicate_email': Eval('contact_email', ''),
                },
            depends={'id', 'name', 'description', 'party', 'contact_email'},
            help="The open or closed tickets that look like this one "
            "(subject, description, customer and e-mail)."),
        'on_change_with_likely_duplicates')
    duplicate_score = fields.Function(fields.Float(
            "Similarity", digits=(1, 2),
            help="How much the ticket looks like the ticket being edited, "
            "from 0 to 1."),
        'get_duplicate_score')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The candidates of the same e-mail: the trigram index of the
        # e-mail serves equality too, but slowly on addresses that share
        # most of their trigrams
        cls._sql_indexes.add(Index(t, (t.contact_email, Index.Equality())))

    @classmethod
    def __register__(cls, module):
        cls._create_trigram_extension()
        super().__register__(module)

    @classmethod
    def _create_trigram_extension(cls):
        transaction = Transaction()
        database = transaction.database
        if backend.name != 'postgresql' or database.has_extension('pg_trgm'):
            return
        cursor = transaction.connection.cursor()
        try:
            cursor.execute('SAVEPOINT helpdesk_pg_trgm')
            cursor.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
            cursor.execute('RELEASE SAVEPOINT helpdesk_pg_trgm')
        except Exception as exception:
            cursor.execute('ROLLBACK TO SAVEPOINT helpdesk_pg_trgm')
            raise RuntimeError(
                "helpdesk_core needs the PostgreSQL extension pg_trgm for "
                "the similarity of tickets and could not create it (%s). "
                "Install PostgreSQL's contrib package and run "
                "'CREATE EXTENSION pg_trgm' in the database as a superuser, "
                "then update the module." % exception) from exception
        # The backend caches what it found before
        database._extensions[database.name].pop('pg_trgm', None)
        database._has_proc[database.name].pop('similarity', None)

    @fields.depends('id', 'name', 'description', 'party', 'contact_email')
    def on_change_with_likely_duplicates(self, name=None):
        if not self.name:
            return []
        exclude = [self.id] if self.id is not None and self.id >= 0 else []
        return [t.id for t, _ in self.duplicate_candidates(
                self.name, description=self.description, party=self.party,
                contact_email=self.contact_email, exclude=exclude)]

    @classmethod
    def get_duplicate_score(cls, tickets, name):
        context = Transaction().context
        if not context.get('helpdesk_duplicate_name'):
            return {t.id: None for t in tickets}
        reference = _Reference(
            context['helpdesk_duplicate_name'],
            context.get('helpdesk_duplicate_description'),
            context.get('helpdesk_duplicate_party'),
            context.get('helpdesk_duplicate_email'))
        scores = cls._scores(reference, [t.id for t in tickets])
        reference_id = context.get('helpdesk_duplicate_of')
        if reference_id in scores:
            scores[reference_id] = 1.
        return scores

    @classmethod
    def similarity_scores(cls, reference, tickets):
        """Return the score in [0, 1] of each ticket with the reference
        ticket as a dictionary by id; the reference scores 1"""
        scores = cls._scores(
            _Reference.from_ticket(reference), [t.id for t in tickets])
        if reference.id in scores:
            scores[reference.id] = 1.
        return scores

    @classmethod
    def _scores(cls, reference, ids):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        scores = {}
        if not ids:
            return scores
        where = table.id.in_(list(ids))
        if _use_trigram():
            _, score = reference.sql_scores(table)
            cursor.execute(*table.select(table.id, score, where=where))
            scores.update(cursor)
        else:
            cursor.execute(*table.select(
                    table.id, table.name, table.description, table.party,
                    table.contact_email, where=where))
            for id_, *values in cursor:
                _, scores[id_] = reference.python_scores(*values)
        return {i: min(max(float(s), 0.), 1.) for i, s in scores.items()}

    @classmethod
    def duplicate_candidates(
            cls, name, description=None, party=None, contact_email=None,
            team=None, exclude=None, limit=5, domain=None):
        """Return the likely duplicates of a ticket with these values as a
        list of (ticket, score), best first

        Only the active, not merged tickets the user may read (and which
        match domain) whose score is at least DUPLICATE_THRESHOLD; only
        those of team when given."""
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Rule = pool.get('ir.rule')
        if not name:
            return []
        if Transaction().check_access:
            ModelAccess.check(cls.__name__, 'read')
        reference = _Reference(name, description, party, contact_email)
        cursor = Transaction().connection.cursor()

        conditions = [
            ('active', '=', True),
            ('merged_into', '=', None),
            ]
        if team is not None:
            conditions.append(('team', '=', getattr(team, 'id', team)))
        exclude = [getattr(t, 'id', t) for t in exclude or []]
        if exclude:
            conditions.append(('id', 'not in', exclude))
        if domain:
            conditions.append(domain)
        # The record rules inline, as search puts them: a sub-query of the
        # readable ids would read every ticket
        rule_domain = Rule.domain_get(cls.__name__, mode='read')
        if rule_domain:
            conditions.append(rule_domain)
        table = cls.__table__()
        tables = {None: (table, None)}
        tables, where = cls.search_domain(
            conditions, active_test=False, tables=tables)
        from_ = convert_from(None, tables)

        if _use_trigram():
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
                (str(SUBJECT_THRESHOLD),))
            partial, _ = reference.sql_scores(table)
            best = from_.select(
                table.id, partial.as_('partial'),
                where=where & reference.candidate_condition(table),
                order_by=[partial.desc, table.id.asc],
                limit=REFINED)
            ticket = cls.__table__()
            _, score = reference.sql_scores(ticket)
            scored = best.join(ticket, condition=best.id == ticket.id).select(
                ticket.id, score.as_('score'))
            cursor.execute(*scored.select(
                    scored.id, scored.score,
                    where=scored.score >= DUPLICATE_THRESHOLD,
                    order_by=[scored.score.desc, scored.id.asc],
                    limit=limit))
            rows = [(i, float(s)) for i, s in cursor]
        else:
            cursor.execute(*from_.select(
                    table.id, table.name, table.description, table.party,
                    table.contact_email, where=where))
            scored = []
            for id_, name_, description_, party_, email_ in cursor:
                if not reference.is_candidate(name_, party_, email_):
                    continue
                partial, score = reference.python_scores(
                    name_, description_, party_, email_)
                scored.append((partial, id_, score))
            scored.sort(key=lambda r: (-r[0], r[1]))
            rows = sorted(
                ((id_, score) for _, id_, score in scored[:REFINED]
                    if score >= DUPLICATE_THRESHOLD),
                key=lambda r: (-r[1], r[0]))[:limit]
        return [(cls(i), min(s, 1.)) for i, s in rows]

    @classmethod
    def check_modification(cls, mode, tickets, values=None, external=False):
        super().check_modification(
            mode, tickets, values=values, external=external)
        if mode == 'create' and external:
            cls.check_duplicates(tickets)

    @classmethod
    def check_duplicates(cls, tickets):
        """Warn the agent who types new tickets in a client of their likely
        duplicates

        Only for the creations through a client (an RPC request) on the
        channels where an agent types the ticket: the website, e-mail, live
        chat and the API are never stopped."""
        pool = Pool()
        User = pool.get('res.user')
        Warning = pool.get('res.user.warning')
        transaction = Transaction()
        if '_request' not in transaction.context or not transaction.user:
            return
        tickets = [t for t in tickets if t.channel in INTERACTIVE_CHANNELS]
        if not tickets or not set(agent_group_ids()) & set(User.get_groups()):
            return
        new = [t.id for t in tickets]
        for ticket in tickets:
            # The creation checks run without access checks: the agent
            # must be told only of the tickets they may read
            with transaction.set_context(_check_access=True):
                candidates = cls.duplicate_candidates(
                    ticket.name, description=ticket.description,
                    party=ticket.party, contact_email=ticket.contact_email,
                    exclude=new)
            if not candidates:
                continue
            key = Warning.format(
                'helpdesk_ticket_duplicate', [t for t, _ in candidates])
            if Warning.check(key):
                raise TicketDuplicateWarning(key, gettext(
                        'helpdesk_core.msg_ticket_duplicate',
                        ticket=ticket.name,
                        duplicates='\n'.join(
                            gettext(
                                'helpdesk_core.msg_ticket_duplicate_line',
                                ticket=t.rec_name,
                                score=round(s * 100))
                            for t, s in candidates)))
