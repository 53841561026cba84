# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from sql import Literal, Null
from sql.aggregate import Avg, Sum

from trytond.model import Index, fields
from trytond.modules.helpdesk_core.performance import KINDS
from trytond.pool import Pool, PoolMeta

RATING = 3
assert RATING < KINDS


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The performance reports read the ratings given in a period
        cls._sql_indexes.add(
            Index(t, (t.rating_date, Index.Range()), where=t.rating != Null))


class PerformanceRatingMixin:
    "The ratings the customers gave in the period"
    __slots__ = ()

    ratings = fields.Integer(
        "Ratings", readonly=True,
        help="The number of ratings the customers gave in the period.")
    rating = fields.Float(
        "Average Rating", digits=(16, 2), readonly=True,
        help="The average rating, from 1 to 5, "
        "the customers gave in the period.")

    @classmethod
    def _event_measures(cls):
        return super()._event_measures() | {
            'ratings': Sum,
            'rating': Avg,
            }

    @classmethod
    def _events(cls):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        ticket = Ticket.__table__()
        return super()._events() + [
            cls._event_query(
                ticket, ticket, ticket.id, RATING, ticket.rating_date,
                where=(ticket.rating != Null) & (ticket.rating_date != Null),
                ratings=Literal(1),
                rating=ticket.rating),
            ]


class AgentPerformance(PerformanceRatingMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.agent.performance'


class PerformanceMonth(PerformanceRatingMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.performance.month'
