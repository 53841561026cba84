# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.model import fields
from trytond.pool import PoolMeta

ACTIONS = ['credit_notes', 'coupons', 'returns', 'repairs']


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    use_credit_notes = fields.Boolean(
        "Credit Notes",
        help="Let accountants credit the customer's invoices "
        "from the tickets of the team.")
    use_coupons = fields.Boolean(
        "Coupons",
        help="Let salespeople offer promotion coupons "
        "from the tickets of the team.")
    use_returns = fields.Boolean(
        "Returns",
        help="Let salespeople take back goods of the customer's sales "
        "from the tickets of the team.")
    use_repairs = fields.Boolean(
        "Repairs",
        help="Let the stock staff open repair orders "
        "from the tickets of the team.")

    @classmethod
    def default_use_credit_notes(cls):
        return False

    @classmethod
    def default_use_coupons(cls):
        return False

    @classmethod
    def default_use_returns(cls):
        return False

    @classmethod
    def default_use_repairs(cls):
        return False
