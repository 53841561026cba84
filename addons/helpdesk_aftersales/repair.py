# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from collections import defaultdict
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.modules.company import CompanyReport
from trytond.modules.currency.fields import Monetary
from trytond.modules.product import price_digits
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

from .exceptions import (
    RepairAccessError, RepairInvoiceError, RepairLineError, RepairStockError)

STATES = [
    ('draft', "Draft"),
    ('confirmed', "Confirmed"),
    ('in_progress', "In Progress"),
    ('done', "Done"),
    ('cancelled', "Cancelled"),
    ]
LINE_TYPES = [
    ('part', "Part"),
    ('labour', "Labour"),
    ]


class Repair(Workflow, ModelSQL, ModelView):
    __name__ = 'helpdesk.repair'
    _rec_name = 'number'

    _states = {
        'readonly': Eval('state') != 'draft',
        }
    _closed = {
        'readonly': Eval('state').in_(['done', 'cancelled']),
        }

    number = fields.Char("Number", readonly=True)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': (Eval('state') != 'draft') | Eval('ticket'),
            })
    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", required=True, ondelete='RESTRICT',
        domain=[
            ('company', '=', Eval('company', -1)),
            If(Eval('party'),
                ('party', '=', Eval('party', -1)),
                ()),
            ],
        states={
            'readonly': Eval('id', -1) >= 0,
            },
        help="The ticket from which the repair was ordered.")
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states=_states)
    date = fields.Date(
        "Date", required=True, states=_states,
        help="When the customer handed the product over.")
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[
            ('type', '=', 'warehouse'),
            ],
        states=_closed,
        help="Where the parts are taken from.")
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='RESTRICT',
        domain=[
            ('type', 'in', ['goods', 'assets']),
            ],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states=_states,
        help="The product of the customer to repair.")
    lot = fields.Many2One(
        'stock.lot', "Lot or Serial Number", ondelete='RESTRICT',
        domain=[
            ('product', '=', Eval('product', -1)),
            ],
        states={
            'readonly': _states['readonly'],
            'required': Eval('lot_required', False),
            'invisible': ~Eval('product'),
            })
    lot_required = fields.Function(
        fields.Boolean("Lot Required"), 'on_change_with_lot_required')
    description = fields.Text(
        "Description", required=True, states=_closed,
        help="The fault reported and the work to do.")
    under_warranty = fields.Boolean(
        "Under Warranty", states=_closed,
        help="A repair under warranty is not invoiced.")
    lines = fields.One2Many(
        'helpdesk.repair.line', 'repair', "Lines", states=_closed,
        help="The parts taken from stock and the labour.")
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    untaxed_amount = fields.Function(Monetary(
            "Untaxed Amount", currency='currency', digits='currency'),
        'get_untaxed_amount')
    effective_date = fields.Date(
        "Effective Date", readonly=True,
        help="When the repair was done.")
    invoice = fields.Many2One(
        'account.invoice', "Invoice", readonly=True, ondelete='RESTRICT',
        states={
            'invisible': ~Eval('invoice'),
            })
    moves = fields.Function(fields.Many2Many(
            'stock.move', None, None, "Stock Moves",
            states={
                'invisible': ~Eval('moves'),
                }),
        'get_moves')
    state = fields.Selection(
        STATES, "State", readonly=True, required=True, sort=False)

    del _states, _closed

    @classmethod
    def __setup__(cls):
        cls.number.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.number, Index.Similarity())),
                Index(t, (t.party, Index.Range())),
                Index(
                    t, (t.state, Index.Equality(cardinality='low')),
                    where=t.state.in_(['draft', 'confirmed', 'in_progress'])),
                })
        cls._order = [
            ('date', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
        cls._transitions |= {
            ('draft', 'confirmed'),
            ('confirmed', 'in_progress'),
            ('in_progress', 'done'),
            ('confirmed', 'draft'),
            ('cancelled', 'draft'),
            ('draft', 'cancelled'),
            ('confirmed', 'cancelled'),
            ('in_progress', 'cancelled'),
            }
        cls._buttons.update({
                'cancel': {
                    'invisible': Eval('state').in_(['done', 'cancelled']),
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': ~Eval('state').in_(
                        ['confirmed', 'cancelled']),
                    'icon': If(Eval('state') == 'cancelled',
                        'tryton-undo', 'tryton-back'),
                    'depends': ['state'],
                    },
                'confirm': {
                    'invisible': Eval('state') != 'draft',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': Eval('state') != 'confirmed',
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'do': {
                    'invisible': Eval('state') != 'in_progress',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def order_number(cls, tables):
        table, _ = tables[None]
        return [table.number]

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return Date.today()

    @classmethod
    def default_warehouse(cls):
        pool = Pool()
        Location = pool.get('stock.location')
        return Location.get_default_warehouse()

    @classmethod
    def default_under_warranty(cls):
        return False

    @classmethod
    def default_state(cls):
        return 'draft'

    @fields.depends(
        'ticket', 'party', 'company', methods=['on_change_party'])
    def on_change_ticket(self):
        if self.ticket:
            self.company = self.ticket.company
            if self.ticket.party:
                self.party = self.ticket.party
                self.on_change_party()

    @fields.depends('party')
    def on_change_party(self):
        pass

    @fields.depends('product', 'lot')
    def on_change_product(self):
        if self.lot and self.lot.product != self.product:
            self.lot = None

    @fields.depends('product')
    def on_change_with_lot_required(self, name=None):
        if self.product:
            return bool(self.product.lot_required)
        return False

    @fields.depends('company')
    def on_change_with_currency(self, name=None):
        if self.company:
            return self.company.currency

    @classmethod
    def get_untaxed_amount(cls, repairs, name):
        amounts = {}
        for repair in repairs:
            amount = sum(
                (l.amount or Decimal(0) for l in repair.lines), Decimal(0))
            amounts[repair.id] = repair.company.currency.round(amount)
        return amounts

    def get_moves(self, name):
        return [l.move.id for l in self.lines if l.move]

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'cancelled', 'muted', '')),
            ]

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('helpdesk.configuration')
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not values.get('number'):
            company_id = values.get('company', cls.default_company())
            if company_id is not None:
                configuration = Configuration(1)
                if sequence := configuration.get_multivalue(
                        'repair_sequence', company=company_id):
                    values['number'] = sequence.get()
        return values

    @classmethod
    def check_modification(cls, mode, repairs, values=None, external=False):
        super().check_modification(
            mode, repairs, values=values, external=external)
        if mode == 'delete':
            for repair in repairs:
                if repair.state not in {'draft', 'cancelled'}:
                    raise RepairAccessError(gettext(
                            'helpdesk_aftersales.msg_repair_delete',
                            repair=repair.rec_name))
        elif mode == 'write':
            for repair in repairs:
                if repair.state == 'done':
                    raise RepairAccessError(gettext(
                            'helpdesk_aftersales.msg_repair_modify_done',
                            repair=repair.rec_name))

    @classmethod
    def copy(cls, repairs, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number', None)
        default.setdefault('effective_date', None)
        default.setdefault('invoice', None)
        return super().copy(repairs, default=default)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, repairs):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, repairs):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('confirmed')
    def confirm(cls, repairs):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('in_progress')
    def start(cls, repairs):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def do(cls, repairs):
        pool = Pool()
        Date = pool.get('ir.date')
        Invoice = pool.get('account.invoice')
        Line = pool.get('helpdesk.repair.line')
        Move = pool.get('stock.move')

        lines, moves = [], []
        for repair in repairs:
            for line in repair.lines:
                move = line.get_move()
                if move:
                    line.move = move
                    lines.append(line)
                    moves.append(move)
        if moves:
            Move.save(moves)
            Line.save(lines)
            cls._check_stock(moves)
            Move.do(moves)

        invoices = {}
        for repair in repairs:
            invoice = repair.get_invoice()
            if invoice:
                invoices[repair] = invoice
        if invoices:
            Invoice.save(list(invoices.values()))
        for repair in repairs:
            with Transaction().set_context(company=repair.company.id):
                repair.effective_date = Date.today()
            repair.invoice = invoices.get(repair)
        cls.save(repairs)

    @classmethod
    def _check_stock(cls, moves):
        "Raise unless the parts are in stock"
        pool = Pool()
        Move = pool.get('stock.move')
        if not Move.assign_try(moves, with_childs=True):
            missing = defaultdict(list)
            for move in moves:
                if move.state != 'assigned':
                    missing[move.origin.repair].append(move.product.rec_name)
            # assign_try may split the moves: there is at least one missing
            repair, products = next(iter(missing.items()))
            raise RepairStockError(gettext(
                    'helpdesk_aftersales.msg_repair_part_missing',
                    repair=repair.rec_name,
                    products=', '.join(sorted(set(products))),
                    warehouse=repair.warehouse.rec_name))

    def _get_invoice(self):
        "Return the invoice without lines"
        pool = Pool()
        Invoice = pool.get('account.invoice')
        address = self.party.address_get(type='invoice')
        if not address:
            raise RepairInvoiceError(gettext(
                    'helpdesk_aftersales.msg_repair_party_address',
                    party=self.party.rec_name,
                    repair=self.rec_name))
        invoice = Invoice(
            company=self.company,
            type='out',
            party=self.party,
            invoice_address=address,
            currency=self.company.currency,
            account=self.party.account_receivable_used,
            payment_term=self.party.customer_payment_term,
            description=self.number,
            )
        invoice.set_journal()
        if not invoice.account:
            raise RepairInvoiceError(gettext(
                    'helpdesk_aftersales.msg_repair_party_account_receivable',
                    party=self.party.rec_name,
                    repair=self.rec_name))
        return invoice

    def get_invoice(self):
        "Return the unsaved customer invoice or None"
        if self.under_warranty:
            return
        lines = [l.get_invoice_line() for l in self.lines]
        lines = [l for l in lines if l]
        if not lines:
            return
        invoice = self._get_invoice()
        invoice.lines = lines
        return invoice


class RepairLine(sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'helpdesk.repair.line'

    _states = {
        'readonly': Eval('repair_state').in_(['done', 'cancelled']),
        }

    repair = fields.Many2One(
        'helpdesk.repair', "Repair", required=True, ondelete='CASCADE',
        states={
            'readonly': _states['readonly'] & Bool(Eval('repair')),
            })
    type = fields.Selection(
        LINE_TYPES, "Type", required=True, sort=False, states=_states,
        help="Part: a product taken from stock.\n"
        "Labour: a service.")
    type_string = type.translated('type')
    product = fields.Many2One(
        'product.product', "Product", required=True, ondelete='RESTRICT',
        domain=[
            If(Eval('type') == 'labour',
                ('type', '=', 'service'),
                ('type', 'in', ['goods', 'assets'])),
            ],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states=_states)
    lot = fields.Many2One(
        'stock.lot', "Lot", ondelete='RESTRICT',
        domain=[
            ('product', '=', Eval('product', -1)),
            ],
        states={
            'readonly': _states['readonly'],
            'invisible': Eval('type') != 'part',
            })
    description = fields.Text("Description", states=_states)
    quantity = fields.Float(
        "Quantity", digits='unit', required=True, states=_states)
    unit = fields.Many2One(
        'product.uom', "Unit", required=True, ondelete='RESTRICT',
        domain=[
            If(Eval('product_uom_category'),
                ('category', '=', Eval('product_uom_category', -1)),
                ()),
            ],
        states=_states)
    product_uom_category = fields.Function(
        fields.Many2One('product.uom.category', "Product UoM Category"),
        'on_change_with_product_uom_category')
    unit_price = Monetary(
        "Unit Price", currency='currency', digits=price_digits,
        required=True, states=_states)
    amount = fields.Function(Monetary(
            "Amount", currency='currency', digits='currency'),
        'on_change_with_amount')
    currency = fields.Function(
        fields.Many2One('currency.currency', "Currency"),
        'on_change_with_currency')
    company = fields.Function(
        fields.Many2One('company.company', "Company"),
        'on_change_with_company')
    move = fields.Many2One(
        'stock.move', "Stock Move", readonly=True, ondelete='RESTRICT',
        states={
            'invisible': Eval('type') != 'part',
            })
    invoice_lines = fields.One2Many(
        'account.invoice.line', 'origin', "Invoice Lines", readonly=True)
    repair_state = fields.Function(
        fields.Selection(STATES, "Repair State"),
        'on_change_with_repair_state')

    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('repair')

    @classmethod
    def default_type(cls):
        return 'part'

    @classmethod
    def default_quantity(cls):
        return 1

    @fields.depends('repair', '_parent_repair.state')
    def on_change_with_repair_state(self, name=None):
        if self.repair:
            return self.repair.state

    @fields.depends('repair', '_parent_repair.company')
    def on_change_with_company(self, name=None):
        if self.repair and self.repair.company:
            return self.repair.company

    @fields.depends('repair', '_parent_repair.company')
    def on_change_with_currency(self, name=None):
        if self.repair and self.repair.company:
            return self.repair.company.currency

    @fields.depends('product')
    def on_change_with_product_uom_category(self, name=None):
        if self.product:
            return self.product.default_uom_category

    @fields.depends(
        'quantity', 'unit_price', methods=['on_change_with_currency'])
    def on_change_with_amount(self, name=None):
        amount = (Decimal(str(self.quantity or 0))
            * (self.unit_price or Decimal(0)))
        currency = self.on_change_with_currency()
        if currency:
            amount = currency.round(amount)
        return amount

    @fields.depends(
        'repair', 'unit', 'product', 'quantity',
        '_parent_repair.party', '_parent_repair.date',
        methods=['on_change_with_company', 'on_change_with_currency'])
    def _get_context_sale_price(self):
        context = {}
        company = self.on_change_with_company()
        if company:
            context['company'] = company.id
        currency = self.on_change_with_currency()
        if currency:
            context['currency'] = currency.id
        if self.repair:
            if self.repair.party:
                context['customer'] = self.repair.party.id
            context['sale_date'] = self.repair.date
        if self.unit:
            context['uom'] = self.unit.id
        elif self.product:
            context['uom'] = self.product.sale_uom.id
        return context

    @fields.depends(
        'product', 'quantity', 'unit_price',
        methods=['_get_context_sale_price'])
    def compute_unit_price(self):
        pool = Pool()
        Product = pool.get('product.product')
        if not self.product:
            return self.unit_price
        with Transaction().set_context(self._get_context_sale_price()):
            return Product.get_sale_price(
                [self.product], abs(self.quantity or 0))[self.product.id]

    @fields.depends(
        'product', 'unit', 'lot',
        methods=['compute_unit_price', 'on_change_with_amount'])
    def on_change_product(self):
        if self.product:
            category = self.product.sale_uom.category
            if not self.unit or self.unit.category != category:
                self.unit = self.product.sale_uom
            if self.lot and self.lot.product != self.product:
                self.lot = None
            self.unit_price = self.compute_unit_price()
        self.amount = self.on_change_with_amount()

    @fields.depends(methods=['compute_unit_price', 'on_change_with_amount'])
    def on_change_quantity(self):
        self.unit_price = self.compute_unit_price()
        self.amount = self.on_change_with_amount()

    @fields.depends(methods=['on_change_quantity'])
    def on_change_unit(self):
        self.on_change_quantity()

    def get_rec_name(self, name):
        return '%s @ %s' % (self.product.rec_name, self.repair.rec_name)

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('product.rec_name',) + tuple(clause[1:])]

    @classmethod
    def validate_fields(cls, lines, field_names):
        super().validate_fields(lines, field_names)
        cls.check_quantity(lines, field_names)

    @classmethod
    def check_quantity(cls, lines, field_names=None):
        if field_names and not (field_names & {'quantity', 'unit_price'}):
            return
        for line in lines:
            if line.quantity <= 0:
                raise RepairLineError(gettext(
                        'helpdesk_aftersales.msg_repair_line_quantity',
                        product=line.product.rec_name,
                        repair=line.repair.rec_name))
            if line.unit_price < 0:
                raise RepairLineError(gettext(
                        'helpdesk_aftersales.msg_repair_line_unit_price',
                        product=line.product.rec_name,
                        repair=line.repair.rec_name))

    @classmethod
    def check_modification(cls, mode, lines, values=None, external=False):
        super().check_modification(
            mode, lines, values=values, external=external)
        # The lines of a cancelled repair go with it when it is deleted
        states = {'done'} if mode == 'delete' else {'done', 'cancelled'}
        for line in lines:
            if line.repair.state in states:
                raise RepairAccessError(gettext(
                        'helpdesk_aftersales.msg_repair_line_modify',
                        repair=line.repair.rec_name))

    @classmethod
    def copy(cls, lines, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('move', None)
        default.setdefault('invoice_lines', None)
        return super().copy(lines, default=default)

    @property
    def from_location(self):
        return self.repair.warehouse.storage_location

    @property
    def to_location(self):
        return self.repair.party.customer_location

    def get_move(self):
        "Return the unsaved stock move of a part or None"
        pool = Pool()
        Date = pool.get('ir.date')
        Move = pool.get('stock.move')
        if self.type != 'part' or self.move:
            return
        if not self.to_location:
            raise RepairStockError(gettext(
                    'helpdesk_aftersales.msg_repair_customer_location',
                    party=self.repair.party.rec_name,
                    repair=self.repair.rec_name))
        with Transaction().set_context(company=self.repair.company.id):
            today = Date.today()
        move = Move(
            product=self.product,
            lot=self.lot,
            quantity=self.quantity,
            unit=self.unit,
            from_location=self.from_location,
            to_location=self.to_location,
            company=self.repair.company,
            planned_date=today,
            effective_date=today,
            origin=self,
            state='draft',
            )
        if move.on_change_with_unit_price_required():
            move.unit_price = (
                Decimal(0) if self.repair.under_warranty
                else self.unit_price)
            move.currency = self.currency
        return move

    def _get_tax_rule_pattern(self):
        return {}

    def compute_taxes(self):
        "Return the customer taxes of the product for the repair's party"
        party = self.repair.party
        pattern = self._get_tax_rule_pattern()
        taxes = set()
        for tax in self.product.customer_taxes_used:
            if party.customer_tax_rule:
                tax_ids = party.customer_tax_rule.apply(tax, pattern)
                if tax_ids:
                    taxes.update(tax_ids)
                continue
            taxes.add(tax.id)
        if party.customer_tax_rule:
            tax_ids = party.customer_tax_rule.apply(None, pattern)
            if tax_ids:
                taxes.update(tax_ids)
        return list(taxes)

    def get_invoice_line(self):
        "Return the unsaved invoice line or None"
        pool = Pool()
        InvoiceLine = pool.get('account.invoice.line')
        if self.invoice_lines:
            return
        account = self.product.account_revenue_used
        if not account:
            raise RepairInvoiceError(gettext(
                    'helpdesk_aftersales.msg_repair_product_account_revenue',
                    product=self.product.rec_name,
                    repair=self.repair.rec_name))
        line = InvoiceLine(
            type='line',
            invoice_type='out',
            company=self.repair.company,
            currency=self.currency,
            product=self.product,
            description=self.description,
            quantity=self.quantity,
            unit=self.unit,
            unit_price=self.unit_price,
            account=account,
            taxes=self.compute_taxes(),
            origin=self,
            )
        if self.move:
            line.stock_moves = [self.move]
        return line


class RepairReport(CompanyReport):
    __name__ = 'helpdesk.repair'

    @classmethod
    def execute(cls, ids, data):
        with Transaction().set_context(address_with_party=True):
            return super().execute(ids, data)

    @classmethod
    def get_context(cls, records, header, data):
        pool = Pool()
        Date = pool.get('ir.date')
        context = super().get_context(records, header, data)
        company = header.get('company')
        with Transaction().set_context(
                company=company.id if company else None):
            context['today'] = Date.today()
        return context


class Repair_PriceList(metaclass=PoolMeta):
    __name__ = 'helpdesk.repair'

    price_list = fields.Many2One(
        'product.price_list', "Price List",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states={
            'readonly': Eval('state').in_(['done', 'cancelled']),
            },
        help="Used to compute the unit price of the lines.")

    @fields.depends('party', 'company', 'price_list')
    def on_change_party(self):
        pool = Pool()
        Configuration = pool.get('sale.configuration')
        super().on_change_party()
        if self.party and self.party.sale_price_list:
            self.price_list = self.party.sale_price_list
        else:
            self.price_list = Configuration(1).get_multivalue(
                'sale_price_list',
                company=self.company.id if self.company else None)


class RepairLine_PriceList(metaclass=PoolMeta):
    __name__ = 'helpdesk.repair.line'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.product.context['price_list'] = Eval(
            '_parent_repair', {}).get('price_list')

    @fields.depends('repair', '_parent_repair.price_list')
    def _get_context_sale_price(self):
        context = super()._get_context_sale_price()
        if self.repair and getattr(self.repair, 'price_list', None):
            context['price_list'] = self.repair.price_list.id
        return context
