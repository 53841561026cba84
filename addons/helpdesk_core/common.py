# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import re

from trytond.tools.email_ import EmailNotValidError, validate_email

_EMAIL = re.compile(r'^[^@\s<>(),;:"]+@[^@\s<>(),;:"]+\.[^@\s<>(),;:".]+$')


def check_email(email):
    """Raise EmailNotValidError unless email is a single valid address

    The syntax is always checked, even without the email-validator package.
    """
    if not _EMAIL.match(email or ''):
        raise EmailNotValidError(email)
    validate_email(email)
