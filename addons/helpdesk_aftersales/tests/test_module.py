# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
import re
from decimal import Decimal
from unittest.mock import patch

from trytond.model.exceptions import AccessButtonError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.modules.helpdesk_aftersales import sale as sale_module
from trytond.modules.helpdesk_aftersales.exceptions import (
    AfterSalesError, RepairLineError)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, check_access

NUMBER = re.compile(r'^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$')


def create_product(name, price, type='goods', uom='uom_unit'):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Template = pool.get('product.template')
    template, = Template.create([{
                'name': name,
                'type': type,
                'default_uom': ModelData.get_id('product', uom),
                'sale_uom': ModelData.get_id('product', uom),
                'list_price': price,
                'salable': True,
                'products': [('create', [{}])],
                }])
    product, = template.products
    return product


def create_ticket(party=None, **team_values):
    pool = Pool()
    Team = pool.get('helpdesk.team')
    Ticket = pool.get('helpdesk.ticket')
    team_values.setdefault('name', "After Sales")
    team, = Team.create([team_values])
    ticket, = Ticket.create([{
                'name': "Broken machine",
                'team': team.id,
                'party': party.id if party else None,
                }])
    return ticket


def create_party(name="Carol Customer"):
    pool = Pool()
    Party = pool.get('party.party')
    party, = Party.create([{'name': name}])
    return party


class HelpdeskAftersalesTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Helpdesk After Sales module"
    module = 'helpdesk_aftersales'

    def _create_repair(self, ticket, product):
        pool = Pool()
        Repair = pool.get('helpdesk.repair')
        repair = ticket._get_repair(product, "Leaks")
        Repair.save([repair])
        return repair

    @with_transaction()
    def test_team_switches_off_by_default(self):
        "A new team uses none of the after-sales actions"
        company = create_company()
        with set_company(company):
            ticket = create_ticket(create_party())

        self.assertEqual(
            [ticket.use_credit_notes, ticket.use_coupons,
                ticket.use_returns, ticket.use_repairs],
            [False, False, False, False])

    @with_transaction()
    def test_ticket_follows_team_switches(self):
        "The buttons of a ticket follow the switches of its team"
        company = create_company()
        with set_company(company):
            ticket = create_ticket(
                create_party(), use_coupons=True, use_repairs=True)

        self.assertEqual(
            [ticket.use_credit_notes, ticket.use_coupons,
                ticket.use_returns, ticket.use_repairs],
            [False, True, False, True])

    @with_transaction()
    def test_action_refused_without_switch(self):
        "An action the team does not use is refused with a clear message"
        company = create_company()
        with set_company(company):
            ticket = create_ticket(create_party())

            with self.assertRaises(AfterSalesError) as cm:
                ticket.check_aftersales('use_returns')

        self.assertEqual(
            cm.exception.message,
            f'You cannot use "Returns" on ticket "{ticket.rec_name}" '
            'because its team "After Sales" does not allow it.')
        self.assertRegex(ticket.rec_name, r'^\[HD\d{5}\] Broken machine$')

    @with_transaction()
    def test_action_refused_without_customer(self):
        "An action needs the customer of the ticket"
        company = create_company()
        with set_company(company):
            ticket = create_ticket(use_coupons=True)

            with self.assertRaises(AfterSalesError) as cm:
                ticket.check_aftersales('use_coupons')

        self.assertEqual(
            cm.exception.message,
            f'Set the customer of ticket "{ticket.rec_name}" first.')

    @with_transaction()
    def test_action_refused_on_cancelled_ticket(self):
        "No action is taken on a cancelled ticket"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            ticket = create_ticket(create_party(), use_credit_notes=True)
            Ticket.cancel([ticket])

            with self.assertRaises(AfterSalesError):
                ticket.check_aftersales('use_credit_notes')

    @with_transaction()
    def test_buttons_groups(self):
        "Each button needs the rights of its documents"
        pool = Pool()
        Button = pool.get('ir.model.button')
        ModelData = pool.get('ir.model.data')
        ActionWizard = pool.get('ir.action.wizard')

        for button, wizard, group in [
                ('create_credit_note', 'helpdesk.ticket.credit_note',
                    ('account', 'group_account')),
                ('create_coupon', 'helpdesk.ticket.coupon',
                    ('sale', 'group_sale')),
                ('create_return_sale', 'helpdesk.ticket.return_sale',
                    ('sale', 'group_sale')),
                ('create_repair', 'helpdesk.ticket.repair',
                    ('stock', 'group_stock')),
                ]:
            with self.subTest(button=button):
                group_id = ModelData.get_id(*group)
                self.assertEqual(
                    Button.get_groups('helpdesk.ticket', button), {group_id})
                self.assertEqual(
                    ActionWizard.get_groups(wizard), {group_id})

    @with_transaction()
    def test_buttons_per_role(self):
        "Each role may click only the buttons of its rights"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Ticket = pool.get('helpdesk.ticket')
        User = pool.get('res.user')
        buttons = [
            'create_credit_note', 'create_coupon', 'create_return_sale',
            'create_repair']
        roles = {
            'agent': ([], set()),
            'accountant': (
                ['account.group_account'], {'create_credit_note'}),
            'salesperson': (
                ['sale.group_sale'], {'create_coupon', 'create_return_sale'}),
            'storekeeper': (['stock.group_stock'], {'create_repair'}),
            }
        company = create_company()
        with set_company(company):
            ticket = create_ticket(
                create_party(), use_credit_notes=True, use_coupons=True,
                use_returns=True, use_repairs=True)
            for login, (groups, expected) in roles.items():
                groups = ['helpdesk_core.group_helpdesk'] + groups
                user, = User.create([{
                            'login': login,
                            'groups': [('add', [
                                        ModelData.get_id(*g.split('.'))
                                        for g in groups])],
                            'companies': [('add', [company.id])],
                            'company': company.id,
                            }])
                allowed = set()
                with Transaction().set_user(user.id), check_access():
                    for button in buttons:
                        try:
                            getattr(Ticket, button)(Ticket.browse([ticket]))
                        except AccessButtonError:
                            continue
                        allowed.add(button)
                with self.subTest(role=login):
                    self.assertEqual(allowed, expected)

    @with_transaction()
    def test_origins_stay_readable(self):
        """The users who saw the origin of invoice lines and stock moves
        still see it although repair lines may be their origin"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')

        for groups, model in [
                (['account.group_account', 'sale.group_sale'],
                    'account.invoice.line'),
                (['stock.group_stock', 'sale.group_sale'], 'stock.move'),
                ]:
            with self.subTest(groups=groups, model=model):
                user, = User.create([{
                            'login': model,
                            'groups': [('add', [
                                        ModelData.get_id(*g.split('.'))
                                        for g in groups])],
                            }])
                with Transaction().set_user(user.id), check_access():
                    fields = pool.get(model).fields_get()
                self.assertIn('origin', fields)

    @with_transaction()
    def test_coupon_number_format(self):
        "Coupon numbers are random groups of unambiguous characters"
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        company = create_company()
        with set_company(company):
            numbers = {Number.get_unique_number(company) for _ in range(50)}

        self.assertEqual(len(numbers), 50)
        for number in numbers:
            self.assertRegex(number, NUMBER)
            self.assertFalse(set(number) & set('01OIL'))

    @with_transaction()
    def test_coupon_number_unique(self):
        "A number already used in the company is never given again"
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        Promotion = pool.get('sale.promotion')
        company = create_company()
        with set_company(company):
            promotion, = Promotion.create([{
                        'name': "Sorry",
                        'formula': '0.9 * unit_price',
                        'coupons': [('create', [{'number_of_use': 1}])],
                        }])
            coupon, = promotion.coupons
            # Expired long ago
            Number.create([{
                        'number': 'AAAA-AAAA-AAAA',
                        'coupon': coupon.id,
                        'start_date': dt.date(2000, 1, 1),
                        'end_date': dt.date(2000, 1, 31),
                        }])
            # The first draw gives the number in use, the second an other
            draws = iter('A' * 12 + 'B' * 12)
            with patch.object(
                    sale_module.secrets, 'choice',
                    lambda alphabet: next(draws)):
                number = Number.get_unique_number(company)

        self.assertEqual(number, 'BBBB-BBBB-BBBB')

    @with_transaction()
    def test_coupon_number_search_inactive(self):
        "A search that asks for used or expired numbers finds them"
        pool = Pool()
        Number = pool.get('sale.promotion.coupon.number')
        Promotion = pool.get('sale.promotion')
        company = create_company()
        with set_company(company):
            promotion, = Promotion.create([{
                        'name': "Sorry",
                        'formula': '0.9 * unit_price',
                        'coupons': [('create', [{'number_of_use': 1}])],
                        }])
            coupon, = promotion.coupons
            expired, valid = Number.create([{
                        'number': 'AAAA-AAAA-AAAA',
                        'coupon': coupon.id,
                        'start_date': dt.date(2000, 1, 1),
                        'end_date': dt.date(2000, 1, 31),
                        }, {
                        'number': 'BBBB-BBBB-BBBB',
                        'coupon': coupon.id,
                        }])

            self.assertEqual(Number.search([]), [valid])
            self.assertEqual(Number.search([('active', '=', True)]), [valid])
            self.assertEqual(
                Number.search([('active', '=', False)]), [expired])
            self.assertEqual(
                Number.search([('active', 'in', [True, False])],
                    order=[('number', 'ASC')]),
                [expired, valid])
            self.assertEqual(
                Number.search_count([
                        ('coupon', '=', coupon.id),
                        ['OR',
                            ('active', '=', True),
                            ('active', '=', False),
                            ],
                        ]),
                2)

    @with_transaction()
    def test_repair_number(self):
        "Repairs are numbered by the sequence of the configuration"
        pool = Pool()
        Repair = pool.get('helpdesk.repair')
        company = create_company()
        with set_company(company):
            party = create_party()
            ticket = create_ticket(party, use_repairs=True)
            machine = create_product("Machine", Decimal('400'))
            first = self._create_repair(ticket, machine)
            second = self._create_repair(ticket, machine)
            copy, = Repair.copy([first])

        # PostgreSQL sequences do not roll back with the tests before
        start = int(first.number[2:])
        self.assertEqual(
            [first.number, second.number, copy.number],
            [f'RP{n:05d}' for n in range(start, start + 3)])
        self.assertEqual(first.party, party)
        self.assertEqual(first.state, 'draft')
        self.assertEqual(set(ticket.repairs), {first, second, copy})

    @with_transaction()
    def test_repair_line_price(self):
        "Repair lines take the sale price of their product"
        pool = Pool()
        Line = pool.get('helpdesk.repair.line')
        company = create_company()
        with set_company(company):
            ticket = create_ticket(create_party(), use_repairs=True)
            machine = create_product("Machine", Decimal('400'))
            labour = create_product(
                "Labour", Decimal('40'), type='service', uom='uom_hour')
            repair = self._create_repair(ticket, machine)
            line = Line(repair=repair, type='labour', quantity=2)
            line.product = labour
            line.on_change_product()

        self.assertEqual(line.unit.name, "Hour")
        self.assertEqual(line.unit_price, Decimal('40'))
        self.assertEqual(line.amount, Decimal('80.00'))

    @with_transaction()
    def test_repair_line_quantity(self):
        "A repair line needs a positive quantity"
        pool = Pool()
        Line = pool.get('helpdesk.repair.line')
        company = create_company()
        with set_company(company):
            ticket = create_ticket(create_party(), use_repairs=True)
            machine = create_product("Machine", Decimal('400'))
            repair = self._create_repair(ticket, machine)

            with self.assertRaises(RepairLineError) as cm:
                Line.create([{
                            'repair': repair.id,
                            'type': 'part',
                            'product': machine.id,
                            'quantity': -1,
                            'unit': machine.default_uom.id,
                            'unit_price': Decimal('10'),
                            }])

        self.assertEqual(
            cm.exception.message,
            f'The quantity of "Machine" on repair "{repair.rec_name}" '
            'must be greater than zero.')
        self.assertRegex(repair.rec_name, r'^RP\d{5}$')

    @with_transaction()
    def test_ticket_copy_without_documents(self):
        "A copy of a ticket does not take its documents"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            ticket = create_ticket(create_party(), use_repairs=True)
            machine = create_product("Machine", Decimal('400'))
            self._create_repair(ticket, machine)
            copy, = Ticket.copy([ticket])

        self.assertEqual(len(ticket.repairs), 1)
        self.assertEqual(copy.repairs, ())


class HelpdeskAftersalesPriceListTestCase(ModuleTestCase):
    "Test Helpdesk After Sales module with sale price lists"
    module = 'helpdesk_aftersales'
    extras = ['sale_price_list']

    @with_transaction()
    def test_repair_price_list(self):
        "A repair takes the price list of the customer for its lines"
        pool = Pool()
        Line = pool.get('helpdesk.repair.line')
        Party = pool.get('party.party')
        PriceList = pool.get('product.price_list')
        Repair = pool.get('helpdesk.repair')
        company = create_company()
        with set_company(company):
            price_list, = PriceList.create([{
                        'name': "Contract",
                        'price': 'list_price',
                        'lines': [('create', [{
                                        'formula': 'unit_price * 0.8',
                                        }])],
                        }])
            party = create_party()
            Party.write([party], {'sale_price_list': price_list.id})
            ticket = create_ticket(party, use_repairs=True)
            machine = create_product("Machine", Decimal('400'))
            pump = create_product("Pump", Decimal('30'))
            repair = ticket._get_repair(machine, "Leaks")
            Repair.save([repair])
            line = Line(repair=repair, type='part', quantity=1)
            line.product = pump
            line.on_change_product()

        self.assertEqual(repair.price_list, price_list)
        self.assertEqual(line.unit_price, Decimal('24'))


del ModuleTestCase
