# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from collections import defaultdict

from trytond.i18n import gettext
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Bool, Eval, Id, If
from trytond.transaction import Transaction, inactive_records
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import (
    AfterSalesError, CouponError, CreditNoteError, RepairLotError,
    ReturnSaleError)

_GROUPS = Eval('context', {}).get('groups', [])


def _action_invisible(switch, group):
    "The PYSON that hides the button of an after-sales action"
    return (~Eval(switch, False)
        | ~Eval('party')
        | (Eval('state') == 'cancelled')
        | ~Id(*group).in_(_GROUPS))


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    credit_notes = fields.One2Many(
        'account.invoice', 'helpdesk_ticket', "Credit Notes", readonly=True,
        help="The credit notes issued from the ticket.")
    coupons = fields.Function(fields.Many2Many(
            'sale.promotion.coupon.number', None, None, "Coupons",
            help="The coupon numbers offered from the ticket, "
            "used or expired included."),
        'get_coupons')
    return_sales = fields.One2Many(
        'sale.sale', 'helpdesk_ticket', "Return Sales", readonly=True,
        help="The return sales made from the ticket.")
    return_shipments = fields.Function(fields.Many2Many(
            'stock.shipment.out.return', None, None, "Return Shipments",
            help="The customer return shipments of the return sales."),
        'get_return_shipments')
    repairs = fields.One2Many(
        'helpdesk.repair', 'ticket', "Repairs", readonly=True,
        help="The repair orders made from the ticket.")
    use_credit_notes = fields.Function(
        fields.Boolean("Use Credit Notes"),
        'on_change_with_use_credit_notes')
    use_coupons = fields.Function(
        fields.Boolean("Use Coupons"), 'on_change_with_use_coupons')
    use_returns = fields.Function(
        fields.Boolean("Use Returns"), 'on_change_with_use_returns')
    use_repairs = fields.Function(
        fields.Boolean("Use Repairs"), 'on_change_with_use_repairs')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        depends = ['party', 'state']
        cls._buttons.update({
                'create_credit_note': {
                    'invisible': _action_invisible(
                        'use_credit_notes', ('account', 'group_account')),
                    'icon': 'tryton-account',
                    'depends': depends + ['use_credit_notes'],
                    },
                'create_coupon': {
                    'invisible': _action_invisible(
                        'use_coupons', ('sale', 'group_sale')),
                    'icon': 'tryton-sale',
                    'depends': depends + ['use_coupons'],
                    },
                'create_return_sale': {
                    'invisible': _action_invisible(
                        'use_returns', ('sale', 'group_sale')),
                    'icon': 'tryton-shipment-in',
                    'depends': depends + ['use_returns'],
                    },
                'create_repair': {
                    'invisible': _action_invisible(
                        'use_repairs', ('stock', 'group_stock')),
                    'icon': 'tryton-launch',
                    'depends': depends + ['use_repairs'],
                    },
                })

    @fields.depends('team')
    def on_change_with_use_credit_notes(self, name=None):
        return bool(self.team and self.team.use_credit_notes)

    @fields.depends('team')
    def on_change_with_use_coupons(self, name=None):
        return bool(self.team and self.team.use_coupons)

    @fields.depends('team')
    def on_change_with_use_returns(self, name=None):
        return bool(self.team and self.team.use_returns)

    @fields.depends('team')
    def on_change_with_use_repairs(self, name=None):
        return bool(self.team and self.team.use_repairs)

    @classmethod
    def get_coupons(cls, tickets, name):
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        coupons = {t.id: [] for t in tickets}
        # Searching on the active function field of the numbers is not
        # reliable (it is replaced before the active test is added)
        with inactive_records():
            numbers = Number.search([
                    ('helpdesk_ticket', 'in', [t.id for t in tickets]),
                    ], order=[('id', 'ASC')])
        for number in numbers:
            coupons[number.helpdesk_ticket.id].append(number.id)
        return coupons

    def get_return_shipments(self, name):
        return sorted({
                s.id for sale in self.return_sales
                for s in sale.shipment_returns})

    @classmethod
    def view_attributes(cls):
        used = (Eval('use_credit_notes', False) | Eval('use_coupons', False)
            | Eval('use_returns', False) | Eval('use_repairs', False))
        made = (Bool(Eval('credit_notes', [])) | Bool(Eval('coupons', []))
            | Bool(Eval('return_sales', [])) | Bool(Eval('repairs', [])))
        return super().view_attributes() + [
            ('/form/notebook/page[@id="aftersales"]', 'states', {
                    'invisible': ~used & ~made,
                    }),
            ]

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('credit_notes', None)
        default.setdefault('return_sales', None)
        default.setdefault('repairs', None)
        return super().copy(tickets, default=default)

    @classmethod
    @ModelView.button_action('helpdesk_aftersales.wizard_ticket_credit_note')
    def create_credit_note(cls, tickets):
        pass

    @classmethod
    @ModelView.button_action('helpdesk_aftersales.wizard_ticket_coupon')
    def create_coupon(cls, tickets):
        pass

    @classmethod
    @ModelView.button_action('helpdesk_aftersales.wizard_ticket_return_sale')
    def create_return_sale(cls, tickets):
        pass

    @classmethod
    @ModelView.button_action('helpdesk_aftersales.wizard_ticket_repair')
    def create_repair(cls, tickets):
        pass

    def check_aftersales(self, switch):
        "Raise unless the after-sales action of switch may be used"
        pool = Pool()
        Team = pool.get('helpdesk.team')
        if not getattr(self.team, switch):
            action = Team.fields_get([switch])[switch]['string']
            raise AfterSalesError(gettext(
                    'helpdesk_aftersales.msg_ticket_action_disabled',
                    ticket=self.rec_name, team=self.team.rec_name,
                    action=action))
        if self.state == 'cancelled':
            raise AfterSalesError(gettext(
                    'helpdesk_aftersales.msg_ticket_action_cancelled',
                    ticket=self.rec_name))
        if not self.party:
            raise AfterSalesError(gettext(
                    'helpdesk_aftersales.msg_ticket_action_no_customer',
                    ticket=self.rec_name))

    def post_internal_note(self, text):
        "Record text as an internal note of the conversation"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Channel.post(self, text, audience='internal')

    def _get_credit_note(self, invoice, lines=None, date=None, reason=None):
        """Return the unsaved credit note of invoice, of all its lines
        or only of lines, as Tryton's credit does"""
        credit_note = invoice._credit(invoice_date=date)
        if lines:
            credit_note.lines = [
                l._credit() for l in invoice.lines if l in lines]
            # Manual taxes go with the whole invoice only
            credit_note.taxes = []
        if reason:
            credit_note.description = reason
        credit_note.helpdesk_ticket = self
        return credit_note

    def _get_coupon_number(self, coupon, start_date, end_date):
        "Return the unsaved coupon number of the customer"
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        return Number(
            number=Number.get_unique_number(self.company),
            coupon=coupon,
            company=self.company,
            party=self.party,
            start_date=start_date,
            end_date=end_date,
            helpdesk_ticket=self,
            )

    def _get_repair(self, product, description, lot=None,
            under_warranty=False, warehouse=None):
        "Return the unsaved repair order of product"
        pool = Pool()
        Repair = pool.get('helpdesk.repair')
        repair = Repair(
            ticket=self,
            company=self.company,
            party=self.party,
            product=product,
            lot=lot,
            description=description,
            under_warranty=under_warranty,
            )
        repair.on_change_party()
        if warehouse:
            repair.warehouse = warehouse
        return repair


class _TicketActionMixin:
    "A wizard that acts from a ticket"
    __slots__ = ()
    _switch = None

    @property
    def ticket(self):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        if not isinstance(self.record, Ticket):
            raise AfterSalesError(gettext(
                    'helpdesk_aftersales.msg_ticket_action_record'))
        return self.record

    def check_ticket(self):
        "Raise unless the action may be taken on the ticket"
        self.ticket.check_aftersales(self._switch)
        return self.ticket

    def default_start(self, fields):
        ticket = self.check_ticket()
        return {
            'company': ticket.company.id,
            'party': ticket.party.id,
            }


class CreditNoteStart(ModelView):
    __name__ = 'helpdesk.ticket.credit_note.start'

    company = fields.Many2One('company.company', "Company", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    invoices = fields.Many2Many(
        'account.invoice', None, None, "Invoices", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('party', '=', Eval('party', -1)),
            ('type', '=', 'out'),
            ('state', 'in', ['posted', 'paid']),
            ],
        help="The posted invoices of the customer to credit.")
    lines = fields.Many2Many(
        'account.invoice.line', None, None, "Lines",
        domain=[
            ('invoice', 'in', Eval('invoices', [])),
            ('type', '=', 'line'),
            ],
        states={
            'invisible': ~Eval('invoices'),
            },
        help="The lines to credit.\n"
        "An invoice none of whose lines are picked is credited whole.")
    method = fields.Selection([
            ('credit', "Credit Only"),
            ('refund', "Refund"),
            ], "Method", required=True, sort=False,
        help="Credit Only: create draft credit notes.\n"
        "Refund: post the credit notes and cancel the invoices with them, "
        "as Tryton's invoice credit does.")
    reason = fields.Char(
        "Reason", required=True,
        help="Why the customer is credited: "
        "the description of the credit notes.")
    date = fields.Date(
        "Date", required=True,
        help="The invoice date of the credit notes.")

    @classmethod
    def default_method(cls):
        return 'credit'

    @classmethod
    def default_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return Date.today()

    @fields.depends('invoices', 'lines')
    def on_change_invoices(self):
        invoices = set(self.invoices or [])
        self.lines = [l for l in (self.lines or []) if l.invoice in invoices]


class CreditNote(_TicketActionMixin, Wizard):
    __name__ = 'helpdesk.ticket.credit_note'
    _switch = 'use_credit_notes'

    start = StateView(
        'helpdesk.ticket.credit_note.start',
        'helpdesk_aftersales.credit_note_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Credit", 'credit', 'tryton-ok', default=True),
            ])
    credit = StateAction('account_invoice.act_invoice_out_form')

    def check_invoices(self):
        "Raise unless the invoices and lines may be credited"
        ticket = self.ticket
        invoices = self.start.invoices
        if not invoices:
            raise CreditNoteError(gettext(
                    'helpdesk_aftersales.msg_credit_note_no_invoice',
                    ticket=ticket.rec_name))
        for invoice in invoices:
            if (invoice.company != ticket.company
                    or invoice.party != ticket.party
                    or invoice.type != 'out'
                    or invoice.state not in {'posted', 'paid'}):
                raise CreditNoteError(gettext(
                        'helpdesk_aftersales.msg_credit_note_invoice',
                        invoice=invoice.rec_name,
                        party=ticket.party.rec_name))
        for line in self.start.lines:
            if line.invoice not in invoices or line.type != 'line':
                raise CreditNoteError(gettext(
                        'helpdesk_aftersales.msg_credit_note_line',
                        line=line.rec_name))
        if self.start.method == 'refund':
            partial = {l.invoice for l in self.start.lines}
            for invoice in invoices:
                if invoice in partial:
                    raise CreditNoteError(gettext(
                            'helpdesk_aftersales.msg_credit_note_refund_lines',
                            invoice=invoice.rec_name))
                if invoice.state != 'posted' or invoice.payment_lines:
                    raise CreditNoteError(gettext(
                            'helpdesk_aftersales.msg_credit_note_refund_paid',
                            invoice=invoice.rec_name))

    def do_credit(self, action):
        pool = Pool()
        Invoice = pool.get('account.invoice')
        Lang = pool.get('ir.lang')
        ticket = self.check_ticket()
        self.check_invoices()
        refund = self.start.method == 'refund'
        invoices = list(self.start.invoices)
        lines = defaultdict(list)
        for line in self.start.lines:
            lines[line.invoice].append(line)

        credit_notes = [
            ticket._get_credit_note(
                invoice, lines.get(invoice),
                date=self.start.date, reason=self.start.reason)
            for invoice in invoices]
        Invoice.save(credit_notes)
        if refund:
            Invoice.post(credit_notes)
            for invoice, credit_note in zip(invoices, credit_notes):
                invoice.cancel_move = credit_note.move
            Invoice.save(invoices)
            Invoice.cancel(invoices)

        lang = Lang.get()
        notes = []
        for invoice, credit_note in zip(invoices, credit_notes):
            amount = lang.currency(
                credit_note.total_amount, credit_note.currency)
            if refund:
                notes.append(gettext(
                        'helpdesk_aftersales.msg_ticket_note_refund',
                        invoice=invoice.rec_name,
                        credit_note=credit_note.rec_name,
                        amount=amount))
            else:
                notes.append(gettext(
                        'helpdesk_aftersales.msg_ticket_note_credit_note',
                        invoice=invoice.rec_name, amount=amount))
        notes.append(gettext(
                'helpdesk_aftersales.msg_ticket_note_reason',
                reason=self.start.reason))
        ticket.post_internal_note('\n'.join(notes))

        data = {'res_id': [c.id for c in credit_notes]}
        if len(credit_notes) == 1:
            action['views'].reverse()
        return action, data


class CouponStart(ModelView):
    __name__ = 'helpdesk.ticket.coupon.start'

    company = fields.Many2One('company.company', "Company", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    promotion = fields.Many2One(
        'sale.promotion', "Promotion", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('coupons', '!=', None),
            ],
        help="A promotion with coupons.")
    coupon = fields.Many2One(
        'sale.promotion.coupon', "Coupon", required=True,
        domain=[
            ('promotion', '=', Eval('promotion', -1)),
            ],
        states={
            'readonly': ~Eval('promotion'),
            },
        help="The coupon of the promotion: "
        "it sets how many times the number may be used.")
    start_date = fields.Date(
        "Start Date", required=True,
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('start_date', '<=', Eval('end_date')),
                ()),
            ])
    end_date = fields.Date(
        "End Date", required=True,
        domain=[
            If(Eval('start_date') & Eval('end_date'),
                ('end_date', '>=', Eval('start_date')),
                ()),
            ])
    message = fields.Text(
        "Message",
        help="A personal word put before the coupon in the e-mail.")

    @fields.depends('promotion', 'coupon', 'start_date', 'end_date')
    def on_change_promotion(self):
        if not self.promotion:
            self.coupon = None
            return
        coupons = list(self.promotion.coupons)
        if self.coupon not in coupons:
            self.coupon = coupons[0] if len(coupons) == 1 else None
        start_date, end_date = (
            self.promotion.start_date, self.promotion.end_date)
        if start_date and (
                not self.start_date or self.start_date < start_date):
            self.start_date = start_date
        if end_date and (not self.end_date or self.end_date > end_date):
            self.end_date = end_date


class Coupon(_TicketActionMixin, Wizard):
    __name__ = 'helpdesk.ticket.coupon'
    _switch = 'use_coupons'

    start = StateView(
        'helpdesk.ticket.coupon.start',
        'helpdesk_aftersales.coupon_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Send", 'send', 'tryton-email', default=True),
            ])
    send = StateTransition()

    def default_start(self, fields):
        pool = Pool()
        Configuration = pool.get('helpdesk.configuration')
        Date = pool.get('ir.date')
        defaults = super().default_start(fields)
        with Transaction().set_context(company=defaults['company']):
            today = Date.today()
        defaults['start_date'] = today
        defaults['end_date'] = today + Configuration(1).coupon_validity
        return defaults

    def check_coupon(self):
        "Raise unless the coupon may be offered"
        pool = Pool()
        Date = pool.get('ir.date')
        Lang = pool.get('ir.lang')
        ticket = self.ticket
        promotion, coupon = self.start.promotion, self.start.coupon
        start_date, end_date = self.start.start_date, self.start.end_date
        if not ticket.contact_email:
            raise CouponError(gettext(
                    'helpdesk_aftersales.msg_coupon_no_email',
                    ticket=ticket.rec_name))
        if (promotion.company != ticket.company
                or coupon.promotion != promotion):
            raise CouponError(gettext(
                    'helpdesk_aftersales.msg_coupon_promotion',
                    promotion=promotion.rec_name))
        with Transaction().set_context(company=ticket.company.id):
            today = Date.today()
        if end_date < start_date or end_date < today:
            raise CouponError(gettext(
                    'helpdesk_aftersales.msg_coupon_dates',
                    start_date=Lang.get().strftime(start_date),
                    end_date=Lang.get().strftime(end_date)))
        if ((promotion.start_date and start_date < promotion.start_date)
                or (promotion.end_date and end_date > promotion.end_date)):
            raise CouponError(gettext(
                    'helpdesk_aftersales.msg_coupon_promotion_dates',
                    promotion=promotion.rec_name))

    def transition_send(self):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Lang = pool.get('ir.lang')
        Number = pool.get('sale.promotion.coupon.number')
        Promotion = pool.get('sale.promotion')
        ticket = self.check_ticket()
        self.check_coupon()
        number = ticket._get_coupon_number(
            self.start.coupon, self.start.start_date, self.start.end_date)
        number.save()

        # The customer reads the e-mail in their language
        language = ticket.chat_language(audience='public')
        with Transaction().set_context(language=language):
            lang = Lang.get(language)
            number = Number(number.id)
            promotion = Promotion(self.start.promotion.id)
            text = gettext(
                'helpdesk_aftersales.msg_coupon_email',
                number=number.number,
                promotion=promotion.rec_name,
                start_date=lang.strftime(number.start_date),
                end_date=lang.strftime(number.end_date))
            uses = number.coupon.number_of_use
            if uses > 1:
                text += '\n' + gettext(
                    'helpdesk_aftersales.msg_coupon_email_uses',
                    uses=lang.format('%d', uses))
            elif uses <= 0:
                text += '\n' + gettext(
                    'helpdesk_aftersales.msg_coupon_email_unlimited')
        if self.start.message and self.start.message.strip():
            text = self.start.message.strip() + '\n\n' + text
        Channel.post(ticket, text, audience='public')
        return 'end'


class ReturnSaleStart(ModelView):
    __name__ = 'helpdesk.ticket.return_sale.start'

    company = fields.Many2One('company.company', "Company", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    sale = fields.Many2One(
        'sale.sale', "Sale", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ('party', '=', Eval('party', -1)),
            ('state', 'in', ['processing', 'done']),
            ],
        help="The processed sale of the customer to take goods back from.")
    lines = fields.One2Many(
        'helpdesk.ticket.return_sale.line', None, "Lines",
        states={
            'invisible': ~Eval('sale'),
            },
        help="The quantities to return: "
        "lines left at zero are not returned.")
    reason = fields.Text(
        "Reason", help="The comment of the return sale.")

    @fields.depends('sale', 'lines')
    def on_change_sale(self):
        pool = Pool()
        Line = pool.get('helpdesk.ticket.return_sale.line')
        lines = []
        if self.sale and self.sale.id is not None and self.sale.id >= 0:
            quantities = self.sale.get_returnable_quantities()
            for sale_line, quantity in quantities.items():
                if quantity > 0:
                    lines.append(Line(
                            sale_line=sale_line,
                            product=sale_line.product,
                            unit=sale_line.unit,
                            quantity=quantity,
                            returnable_quantity=quantity))
        self.lines = lines


class ReturnSaleLine(ModelView):
    __name__ = 'helpdesk.ticket.return_sale.line'

    sale_line = fields.Many2One('sale.line', "Sale Line", readonly=True)
    product = fields.Many2One('product.product', "Product", readonly=True)
    quantity = fields.Float(
        "Quantity", digits='unit', required=True,
        domain=[
            ('quantity', '>=', 0),
            ('quantity', '<=', Eval('returnable_quantity', 0)),
            ])
    returnable_quantity = fields.Float(
        "Returnable Quantity", digits='unit', readonly=True,
        help="The quantity delivered and not yet returned.")
    unit = fields.Many2One('product.uom', "Unit", readonly=True)


class ReturnSale(_TicketActionMixin, Wizard):
    __name__ = 'helpdesk.ticket.return_sale'
    _switch = 'use_returns'

    start = StateView(
        'helpdesk.ticket.return_sale.start',
        'helpdesk_aftersales.return_sale_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Return", 'return_', 'tryton-ok', default=True),
            ])
    return_ = StateAction('sale.act_sale_form')

    def get_quantities(self):
        "Return the quantity to return of each sale line or raise"
        pool = Pool()
        Lang = pool.get('ir.lang')
        ticket = self.ticket
        sale = self.start.sale
        if (sale.company != ticket.company
                or sale.party != ticket.party
                or sale.state not in {'processing', 'done'}):
            raise ReturnSaleError(gettext(
                    'helpdesk_aftersales.msg_return_sale',
                    sale=sale.rec_name,
                    party=ticket.party.rec_name))
        returnable = sale.get_returnable_quantities()
        lang = Lang.get()
        quantities = defaultdict(float)
        for line in self.start.lines:
            sale_line = line.sale_line
            if sale_line not in returnable:
                raise ReturnSaleError(gettext(
                        'helpdesk_aftersales.msg_return_line',
                        line=sale_line.rec_name if sale_line else '',
                        sale=sale.rec_name))
            if not line.quantity:
                continue
            quantities[sale_line] += line.quantity
        for sale_line, quantity in quantities.items():
            if quantity < 0 or quantity > returnable[sale_line]:
                unit = sale_line.unit
                raise ReturnSaleError(gettext(
                        'helpdesk_aftersales.msg_return_quantity',
                        quantity=lang.format_number_symbol(
                            quantity, unit, digits=unit.digits),
                        product=sale_line.product.rec_name,
                        sale=sale.rec_name,
                        returnable=lang.format_number_symbol(
                            returnable[sale_line], unit,
                            digits=unit.digits)))
        quantities = {l: q for l, q in quantities.items() if q > 0}
        if not quantities:
            raise ReturnSaleError(gettext(
                    'helpdesk_aftersales.msg_return_nothing',
                    sale=sale.rec_name))
        return quantities

    def do_return_(self, action):
        pool = Pool()
        Sale = pool.get('sale.sale')
        ticket = self.check_ticket()
        quantities = self.get_quantities()
        sale = self.start.sale
        return_sale = sale.create_return(
            quantities, ticket=ticket, comment=self.start.reason)
        Sale.quote([return_sale])
        Sale.confirm([return_sale])
        # Process at once so that the return shipment exists now
        Sale.process([return_sale])
        return_sale = Sale(return_sale.id)

        ticket.post_internal_note(gettext(
                'helpdesk_aftersales.msg_ticket_note_return',
                return_sale=return_sale.rec_name,
                sale=sale.rec_name,
                shipments=', '.join(
                    s.rec_name for s in return_sale.shipment_returns)
                or '-'))

        data = {'res_id': [return_sale.id]}
        action['views'].reverse()
        return action, data


class RepairStart(ModelView):
    __name__ = 'helpdesk.ticket.repair.start'

    company = fields.Many2One('company.company', "Company", readonly=True)
    party = fields.Many2One(
        'party.party', "Customer", readonly=True,
        context={
            'company': Eval('company', -1),
            },
        depends={'company'})
    product = fields.Many2One(
        'product.product', "Product", required=True,
        domain=[
            ('type', 'in', ['goods', 'assets']),
            ],
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The product of the customer to repair.")
    lot = fields.Many2One(
        'stock.lot', "Lot or Serial Number",
        domain=[
            ('product', '=', Eval('product', -1)),
            ],
        states={
            'required': Eval('lot_required', False),
            'invisible': ~Eval('product'),
            })
    lot_required = fields.Boolean("Lot Required", readonly=True)
    description = fields.Text(
        "Description", required=True,
        help="The fault reported and the work to do.")
    under_warranty = fields.Boolean(
        "Under Warranty", help="A repair under warranty is not invoiced.")
    warehouse = fields.Many2One(
        'stock.location', "Warehouse", required=True,
        domain=[
            ('type', '=', 'warehouse'),
            ])

    @classmethod
    def default_warehouse(cls):
        pool = Pool()
        Location = pool.get('stock.location')
        return Location.get_default_warehouse()

    @classmethod
    def default_under_warranty(cls):
        return False

    @fields.depends('product', 'lot')
    def on_change_product(self):
        self.lot_required = bool(self.product and self.product.lot_required)
        if self.lot and self.lot.product != self.product:
            self.lot = None


class Repair(_TicketActionMixin, Wizard):
    __name__ = 'helpdesk.ticket.repair'
    _switch = 'use_repairs'

    start = StateView(
        'helpdesk.ticket.repair.start',
        'helpdesk_aftersales.repair_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Create", 'create_', 'tryton-ok', default=True),
            ])
    create_ = StateAction('helpdesk_aftersales.act_repair_form')

    def default_start(self, fields):
        defaults = super().default_start(fields)
        ticket = self.ticket
        defaults['description'] = '\n'.join(
            filter(None, [ticket.name, ticket.description]))
        return defaults

    def do_create_(self, action):
        ticket = self.check_ticket()
        product = self.start.product
        if product.lot_required and not self.start.lot:
            raise RepairLotError(gettext(
                    'helpdesk_aftersales.msg_repair_lot_required',
                    product=product.rec_name,
                    ticket=ticket.rec_name))
        repair = ticket._get_repair(
            self.start.product, self.start.description,
            lot=self.start.lot,
            under_warranty=self.start.under_warranty,
            warehouse=self.start.warehouse)
        repair.save()
        ticket.post_internal_note(gettext(
                'helpdesk_aftersales.msg_ticket_note_repair',
                repair=repair.rec_name,
                product=repair.product.rec_name))
        data = {'res_id': [repair.id]}
        action['views'].reverse()
        return action, data
