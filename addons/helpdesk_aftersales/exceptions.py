# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class AfterSalesError(UserError):
    pass


class CreditNoteError(UserError):
    pass


class CouponError(UserError):
    pass


class ReturnSaleError(UserError):
    pass


class RepairAccessError(AccessError):
    pass


class RepairLotError(ValidationError):
    pass


class RepairLineError(ValidationError):
    pass


class RepairStockError(UserError):
    pass


class RepairInvoiceError(UserError):
    pass
