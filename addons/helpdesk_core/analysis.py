# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from sql import Literal
from sql.functions import DateTrunc, Extract

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval

from .stage import CATEGORIES
from .ticket import CHANNELS, PRIORITIES


def _hours(start, end):
    return (Extract('EPOCH', end) - Extract('EPOCH', start)) / 3600


class TicketAnalysis(ModelSQL, ModelView):
    __name__ = 'helpdesk.ticket.analysis'

    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", required=True, readonly=True)
    company = fields.Many2One('company.company', "Company", readonly=True)
    team = fields.Many2One('helpdesk.team', "Team", readonly=True)
    stage = fields.Many2One('helpdesk.stage', "Stage", readonly=True)
    state = fields.Selection(CATEGORIES, "State", readonly=True, sort=False)
    user = fields.Many2One('res.user', "Assigned To", readonly=True)
    priority = fields.Selection(
        PRIORITIES, "Priority", readonly=True, sort=False)
    type = fields.Many2One('helpdesk.ticket.type', "Type", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    channel = fields.Selection(
        CHANNELS, "Channel", readonly=True, sort=False)
    date = fields.Timestamp("Created", readonly=True)
    month = fields.Date(
        "Month", readonly=True,
        help="The month the ticket was created (UTC).")
    tickets = fields.Integer("Tickets", readonly=True)
    hours_to_assign = fields.Float(
        "Hours to Assign", digits=(16, 2), readonly=True)
    hours_to_first_response = fields.Float(
        "Hours to First Response", digits=(16, 2), readonly=True)
    hours_to_close = fields.Float(
        "Hours to Close", digits=(16, 2), readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('ticket')
        cls._order.insert(0, ('date', 'DESC'))

    @classmethod
    def table_query(cls):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        ticket = Ticket.__table__()
        return ticket.select(
            ticket.id.as_('id'),
            ticket.id.as_('ticket'),
            ticket.company.as_('company'),
            ticket.team.as_('team'),
            ticket.stage.as_('stage'),
            ticket.state.as_('state'),
            ticket.user.as_('user'),
            ticket.priority.as_('priority'),
            ticket.type.as_('type'),
            ticket.party.as_('party'),
            ticket.channel.as_('channel'),
            ticket.create_date.as_('date'),
            cls.month.sql_cast(DateTrunc('month', ticket.create_date)).as_(
                'month'),
            Literal(1).as_('tickets'),
            _hours(ticket.create_date, ticket.assigned_date).as_(
                'hours_to_assign'),
            _hours(ticket.create_date, ticket.first_response_date).as_(
                'hours_to_first_response'),
            _hours(ticket.create_date, ticket.closed_date).as_(
                'hours_to_close'),
            where=ticket.merged_into == None)  # noqa: E711
