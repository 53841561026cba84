# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class AnnouncementValidationError(ValidationError):
    pass


class MobileValidationError(ValidationError):
    pass


class TicketRatingError(UserError):
    pass


class TicketPortalCloseError(UserError):
    pass


class LiveChatError(UserError):
    pass


class TeamEmailError(ValidationError):
    pass
