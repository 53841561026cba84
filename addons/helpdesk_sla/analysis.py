# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from sql import Literal
from sql.aggregate import Avg, Count, Min, Sum
from sql.conditionals import Case, NullIf
from sql.functions import DateTrunc

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import PYSONEncoder
from trytond.wizard import StateAction, Wizard


class SLAAnalysis(ModelSQL, ModelView):
    __name__ = 'helpdesk.sla.analysis'
    __string__ = "Helpdesk SLA Analysis"

    company = fields.Many2One('company.company', "Company", readonly=True)
    team = fields.Many2One('helpdesk.team', "Team", readonly=True)
    sla = fields.Many2One('helpdesk.sla', "Policy", readonly=True)
    user = fields.Many2One('res.user', "Agent", readonly=True)
    month = fields.Date(
        "Month", readonly=True,
        help="The month the policy started to apply to the tickets (UTC).")
    tickets = fields.Integer("Tickets", readonly=True)
    ongoing = fields.Integer("Ongoing", readonly=True)
    reached = fields.Integer("Reached", readonly=True)
    failed = fields.Integer("Failed", readonly=True)
    success_rate = fields.Float(
        "Success Rate (%)", digits=(16, 1), readonly=True,
        help="The share of the settled SLAs that were reached in time.")
    hours_to_reach = fields.Float(
        "Average Hours to Reach", digits=(16, 2), readonly=True,
        help="The average working hours it took to reach the target, "
        "without the pauses.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [
            ('month', 'DESC'),
            ('team', 'ASC'),
            ('sla', 'ASC'),
            ('user', 'ASC'),
            ('id', 'ASC'),
            ]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        SLA = pool.get('helpdesk.sla')
        Rule = pool.get('ir.rule')
        ticket_sla = TicketSLA.__table__()
        ticket = Ticket.__table__()
        sla = SLA.__table__()

        def count(status):
            return Sum(Case(
                    (ticket_sla.status == status, Literal(1)),
                    else_=Literal(0)))
        reached, failed = count('reached'), count('failed')
        month = cls.month.sql_cast(DateTrunc('month', ticket_sla.start_date))

        where = Literal(True)
        # Count only the tickets the user may see
        if Rule.domain_get(Ticket.__name__, mode='read'):
            where &= ticket.id.in_(
                Rule.query_get(Ticket.__name__, mode='read'))
        return (ticket_sla
            .join(ticket, condition=ticket_sla.ticket == ticket.id)
            .join(sla, condition=ticket_sla.sla == sla.id)
            .select(
                Min(ticket_sla.id).as_('id'),
                ticket.company.as_('company'),
                sla.team.as_('team'),
                ticket_sla.sla.as_('sla'),
                ticket.user.as_('user'),
                month.as_('month'),
                Count(ticket_sla.id).as_('tickets'),
                count('ongoing').as_('ongoing'),
                reached.as_('reached'),
                failed.as_('failed'),
                cls.success_rate.sql_cast(
                    Literal(100.0) * reached / NullIf(reached + failed, 0)
                    ).as_('success_rate'),
                cls.hours_to_reach.sql_cast(
                    Avg(ticket_sla.reached_hours)).as_('hours_to_reach'),
                where=where,
                # By the alias: PostgreSQL would not match the expression
                # of the select with its parameter bound again
                group_by=[
                    ticket.company, sla.team, ticket_sla.sla, ticket.user,
                    month.as_('month')]))

    def get_rec_name(self, name):
        return '%s - %s' % (self.sla.rec_name, self.month)

    def get_tickets_domain(self, status=None):
        "Return the domain of the ticket SLAs of the row"
        start = self.month
        if start.month == 12:
            end = start.replace(year=start.year + 1, month=1)
        else:
            end = start.replace(month=start.month + 1)
        domain = [
            ('sla', '=', self.sla.id),
            ('ticket.company', '=', self.company.id),
            ('ticket.user', '=', self.user.id if self.user else None),
            ('start_date', '>=', dt.datetime.combine(start, dt.time())),
            ('start_date', '<', dt.datetime.combine(end, dt.time())),
            ]
        if status:
            domain.append(('status', '=', status))
        return domain


class SLAAnalysisOpenFailed(Wizard):
    __name__ = 'helpdesk.sla.analysis.open_failed'
    start_state = 'open_'
    open_ = StateAction('helpdesk_sla.act_ticket_sla_failed')

    def do_open_(self, action):
        domain = ['OR'] + [
            r.get_tickets_domain(status='failed') for r in self.records]
        if len(domain) == 1:
            domain = [('id', '=', -1)]
        action['pyson_domain'] = PYSONEncoder().encode(domain)
        if len(self.records) == 1:
            action['name'] += ' - %s' % self.record.rec_name
        return action, {}
