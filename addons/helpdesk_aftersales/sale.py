# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import secrets
from collections import defaultdict

from sql import Null

from trytond.model import Index, fields
from trytond.model.modelstorage import is_leaf
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, inactive_records

# Without the letters and digits that read alike (0 O, 1 I L)
COUPON_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789'


def _asks_active(domain):
    "Tell whether domain has a clause on the active field"
    if is_leaf(domain):
        return domain[0] == 'active'
    return any(
        _asks_active(d) for d in domain if not isinstance(d, str))


COUPON_STATUSES = [
    ('valid', "Valid"),
    ('used', "Used"),
    ('expired', "Expired"),
    ]


class Sale(metaclass=PoolMeta):
    __name__ = 'sale.sale'

    helpdesk_ticket = fields.Many2One(
        'helpdesk.ticket', "Helpdesk Ticket", readonly=True,
        ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'invisible': ~Eval('helpdesk_ticket'),
            },
        help="The ticket from which the return was made.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # A coupon number issued to a customer serves only that customer
        cls.coupons.domain = list(cls.coupons.domain) + [
            ['OR',
                ('party', '=', None),
                ('party', 'in', Eval('coupon_parties', [])),
                ],
            ]

    @classmethod
    def copy(cls, sales, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('helpdesk_ticket', None)
        return super().copy(sales, default=default)

    def get_returnable_quantities(self):
        """Return the quantity of each line of goods that the customer may
        still return: what was delivered less what other return sales
        made from this sale take back"""
        pool = Pool()
        Move = pool.get('stock.move')
        Uom = pool.get('product.uom')
        returned = defaultdict(float)
        returns = self.search([
                ('origin', '=', str(self)),
                ('state', '!=', 'cancelled'),
                ])
        for return_sale in returns:
            for line in return_sale.lines:
                if (line.type == 'line' and line.product
                        and line.quantity < 0):
                    returned[line.product] += Uom.compute_qty(
                        line.unit, -line.quantity, line.product.default_uom,
                        round=False)
        quantities = {}
        for line in self.lines:
            if (line.type != 'line'
                    or not line.product
                    or line.product.type not in Move.get_product_types()
                    or line.quantity <= 0):
                continue
            delivered = 0
            for move in line.moves:
                if move.state != 'done':
                    continue
                quantity = Uom.compute_qty(
                    move.unit, move.quantity, line.unit, round=False)
                if move.to_location.type == 'customer':
                    delivered += quantity
                elif move.from_location.type == 'customer':
                    delivered -= quantity
            default_uom = line.product.default_uom
            delivered = Uom.compute_qty(
                line.unit, delivered, default_uom, round=False)
            taken = min(delivered, returned[line.product])
            returned[line.product] -= taken
            quantity = Uom.compute_qty(
                default_uom, delivered - taken, line.unit, round=False)
            quantities[line] = line.unit.round(max(quantity, 0))
        return quantities

    def create_return(self, quantities, ticket=None, comment=None):
        """Create and return the draft return sale of the quantities of
        the sale lines, as the return sale of Tryton does"""
        pool = Pool()
        Line = pool.get('sale.line')
        default = {
            'lines': None,
            'origin': str(self),
            'helpdesk_ticket': ticket.id if ticket else None,
            # The coupons were used by the sale, not by its return
            'coupons': None,
            # The goods are expected back now
            'shipment_method': 'order',
            }
        if comment:
            default['comment'] = comment
        return_sale, = self.copy([self], default=default)
        lines = [l for l in self.lines if l in quantities]
        quantity = {l.id: -quantities[l] for l in lines}
        Line.copy(lines, default={
                'sale': return_sale.id,
                'quantity': lambda data: quantity[data['id']],
                })
        return self.__class__(return_sale.id)


class PromotionCouponNumber(metaclass=PoolMeta):
    __name__ = 'sale.promotion.coupon.number'

    party = fields.Many2One(
        'party.party', "Customer", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="When set, only this customer may use the number.")
    helpdesk_ticket = fields.Many2One(
        'helpdesk.ticket', "Helpdesk Ticket", readonly=True,
        ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'invisible': ~Eval('helpdesk_ticket'),
            },
        help="The ticket from which the number was offered.")
    sales = fields.Many2Many(
        'sale.sale-sale.promotion.coupon.number', 'number', 'sale', "Sales",
        readonly=True,
        help="The sales that used the number.")
    status = fields.Function(fields.Selection(
            COUPON_STATUSES, "Status", sort=False,
            help="Valid: the number may still be used.\n"
            "Used: sales used it as many times as the coupon allows.\n"
            "Expired: its validity period is over."),
        'get_status')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(
                t, (t.helpdesk_ticket, Index.Range()),
                where=t.helpdesk_ticket != Null))

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        # The searcher of the active field replaces its clause before the
        # active test is added, which then drops the used and expired
        # numbers even when the domain asks for them
        if _asks_active(domain):
            with inactive_records():
                return super().search(
                    domain, offset=offset, limit=limit, order=order,
                    count=count, query=query)
        return super().search(
            domain, offset=offset, limit=limit, order=order, count=count,
            query=query)

    @classmethod
    def get_status(cls, numbers, name):
        pool = Pool()
        Date = pool.get('ir.date')
        statuses = {}
        todays = {}
        for number in numbers:
            company = number.company.id
            if company not in todays:
                with Transaction().set_context(company=company):
                    todays[company] = Date.today()
            limit = number.coupon.number_of_use
            if limit > 0 and len(number.sales) >= limit:
                statuses[number.id] = 'used'
            elif number.end_date and number.end_date < todays[company]:
                statuses[number.id] = 'expired'
            else:
                statuses[number.id] = 'valid'
        return statuses

    @classmethod
    def get_unique_number(cls, company, size=12):
        "Return a random number that no coupon number of company uses"
        while True:
            code = ''.join(
                secrets.choice(COUPON_ALPHABET) for _ in range(size))
            code = '-'.join(code[i:i + 4] for i in range(0, size, 4))
            with Transaction().set_context(active_test=False):
                if not cls.search([
                            ('company', '=', company.id),
                            ('number', 'ilike', code),
                            ], limit=1):
                    return code

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree/field[@name="status"]', 'visual',
                If(Eval('status') == 'expired', 'muted',
                    If(Eval('status') == 'used', 'success', ''))),
            ]

    @classmethod
    def copy(cls, numbers, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('helpdesk_ticket', None)
        default.setdefault('sales', None)
        return super().copy(numbers, default=default)
