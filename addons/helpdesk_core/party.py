# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval, Id


class Party(metaclass=PoolMeta):
    __name__ = 'party.party'

    helpdesk_team = fields.Many2One(
        'helpdesk.team', "Helpdesk Team", ondelete='SET NULL',
        help="The team that handles the customer's tickets.")
    helpdesk_agent = fields.Many2One(
        'res.user', "Helpdesk Agent", ondelete='SET NULL',
        domain=[
            ('groups', 'in', [
                    Id('helpdesk_core', 'group_helpdesk'),
                    Id('helpdesk_core', 'group_helpdesk_manager'),
                    ]),
            ],
        states={
            'invisible': ~Eval('helpdesk_team'),
            },
        help="The agent who gets the customer's new tickets "
        "of the team, unless on leave.")
