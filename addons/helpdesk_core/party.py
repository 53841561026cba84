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

    # The party module returns the forms of the code from compute_fields
    # even when they are stored already: every creation of a party wrote it
    # again after the insert (and validated it again), a third of the
    # creation of a customer by the website or an e-mail. They are given
    # with the creation and only changed values are written.
    _code_forms = ['code_alnum', 'code_digit']

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create' and not (set(cls._code_forms) & set(values)):
            forms = cls(code=values.get('code')).compute_fields({'code'})
            values.update(
                {k: v for k, v in forms.items() if k in cls._code_forms})
        return values

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names=field_names)
        for name in self._code_forms:
            if name in values and values[name] == getattr(self, name, None):
                del values[name]
        return values
