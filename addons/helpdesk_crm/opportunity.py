# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.model import ChatMixin, Unique, fields
from trytond.pool import PoolMeta
from trytond.pyson import Eval


class Opportunity(metaclass=PoolMeta):
    __name__ = 'sale.opportunity'

    helpdesk_ticket = fields.Many2One(
        'helpdesk.ticket', "Helpdesk Ticket", readonly=True,
        ondelete='SET NULL',
        states={
            'invisible': ~Eval('helpdesk_ticket'),
            },
        help="The helpdesk ticket the lead or opportunity comes from.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('helpdesk_ticket_unique', Unique(t, t.helpdesk_ticket),
                'helpdesk_crm.msg_opportunity_helpdesk_ticket_unique'),
            ]

    @classmethod
    def copy(cls, opportunities, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('helpdesk_ticket', None)
        return super().copy(opportunities, default=default)

    def chat_language(self, audience='internal'):
        if audience == 'public' and not self.party:
            # sale_opportunity reads the language of the party, which a lead
            # converted without customer has not
            return ChatMixin.chat_language(self, audience=audience)
        return super().chat_language(audience=audience)
