# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from sql import Literal
from sql.aggregate import Sum
from sql.conditionals import Case, Coalesce, NullIf

from trytond.model import Index, fields
from trytond.modules.helpdesk_core.performance import KINDS
from trytond.pool import Pool, PoolMeta

SLA = 4
assert SLA < KINDS


class TicketSLA(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket.sla'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                # The performance reports read the SLAs settled in a period
                Index(t, (t.reached_date, Index.Range()),
                    where=t.status == 'reached'),
                Index(t, (t.deadline, Index.Range()),
                    where=t.status == 'failed'),
                })


class PerformanceSLAMixin:
    "The SLAs settled in the period: reached when reached, failed at deadline"
    __slots__ = ()

    sla_reached = fields.Integer(
        "SLAs Reached", readonly=True,
        help="The SLAs of the tickets reached in the period.")
    sla_failed = fields.Integer(
        "SLAs Failed", readonly=True,
        help="The SLAs of the tickets whose deadline passed in the period "
        "before the target was reached.")
    sla_success_rate = fields.Float(
        "SLA Success Rate (%)", digits=(16, 1), readonly=True,
        help="The share of the SLAs settled in the period "
        "that were reached in time.")

    @classmethod
    def _event_measures(cls):
        return super()._event_measures() | {
            'sla_reached': Sum,
            'sla_failed': Sum,
            }

    @classmethod
    def _events(cls):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        ticket_sla = TicketSLA.__table__()
        ticket = Ticket.__table__()
        reached = ticket_sla.status == 'reached'
        failed = ticket_sla.status == 'failed'
        # One scan for both: each status by its own date and partial index
        return super()._events() + [
            cls._event_query(
                ticket_sla.join(ticket,
                    condition=ticket_sla.ticket == ticket.id),
                ticket, ticket_sla.id, SLA,
                Case((reached, ticket_sla.reached_date),
                    else_=ticket_sla.deadline),
                where=reached | failed,
                date_where=lambda condition: (
                    (reached & condition(ticket_sla.reached_date))
                    | (failed & condition(ticket_sla.deadline))),
                sla_reached=Case((reached, Literal(1)), else_=Literal(0)),
                sla_failed=Case((failed, Literal(1)), else_=Literal(0))),
            ]

    @classmethod
    def _columns(cls, events):
        columns = super()._columns(events)
        reached = Coalesce(Sum(events.sla_reached), 0)
        failed = Coalesce(Sum(events.sla_failed), 0)
        columns['sla_success_rate'] = cls.sla_success_rate.sql_cast(
            Literal(100.0) * reached / NullIf(reached + failed, 0))
        return columns


class AgentPerformance(PerformanceSLAMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.agent.performance'


class PerformanceMonth(PerformanceSLAMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.performance.month'
