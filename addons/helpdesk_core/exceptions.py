# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import AccessError, ValidationError


class TeamValidationError(ValidationError):
    pass


class StageValidationError(ValidationError):
    pass


class TicketValidationError(ValidationError):
    pass


class TicketStageError(ValidationError):
    pass


class TicketReplyError(ValidationError):
    pass


class TicketReassignError(UserError):
    pass


class TicketDeleteError(AccessError):
    pass


class CalendarValidationError(ValidationError):
    pass


class TeamMemberError(ValidationError):
    pass


class TransferError(UserError):
    pass


class TicketMergeError(UserError):
    pass


class VisibilityWarning(UserWarning):
    pass


class WaitingThresholdError(ValidationError):
    pass


class TimesheetEmployeeError(UserError):
    pass


class TicketDuplicateWarning(UserWarning):
    pass


class RemoteCallError(UserError):
    pass
