# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.exceptions import UserError


class TicketConvertError(UserError):
    "The ticket cannot be converted"
    pass


class ConvertCustomerError(UserError):
    "The customer chosen for the conversion is not right"
    pass


class ConvertSalespersonError(UserError):
    "The salesperson chosen for the conversion is not right"
    pass
