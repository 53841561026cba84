# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

# The website's routes join trytond's WSGI application
from . import (  # noqa: F401
    board_routes, livechat_routes, routes, similar_routes)
