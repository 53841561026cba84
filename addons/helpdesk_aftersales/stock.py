# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.model import fields
from trytond.pool import Pool, PoolMeta


class Move(metaclass=PoolMeta):
    __name__ = 'stock.move'

    @classmethod
    def _get_origin(cls):
        return super()._get_origin() + ['helpdesk.repair.line']


class ShipmentOutReturn(metaclass=PoolMeta):
    __name__ = 'stock.shipment.out.return'

    helpdesk_ticket = fields.Function(fields.Many2One(
            'helpdesk.ticket', "Helpdesk Ticket",
            help="The ticket from which the return was made."),
        'get_helpdesk_ticket', searcher='search_helpdesk_ticket')

    def get_helpdesk_ticket(self, name):
        pool = Pool()
        SaleLine = pool.get('sale.line')
        for move in self.moves:
            if (isinstance(move.origin, SaleLine)
                    and move.origin.sale.helpdesk_ticket):
                return move.origin.sale.helpdesk_ticket.id

    @classmethod
    def search_helpdesk_ticket(cls, name, clause):
        # Searched through the sales without checking their access, so
        # that the stock users who may not read the sales find the returns
        # of a ticket
        _, operator, operand, *extra = clause
        nested = clause[0][len(name):]
        return [('moves.sale.helpdesk_ticket' + nested, operator, operand,
                *extra)]
