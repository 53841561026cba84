# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.cache import Cache
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.pool import Pool

CATEGORIES = [
    ('new', "New"),
    ('in_progress', "In Progress"),
    ('waiting', "Waiting for Customer"),
    ('solved', "Solved"),
    ('cancelled', "Cancelled"),
    ]
CLOSING_CATEGORIES = {'solved', 'cancelled'}


class Stage(sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'helpdesk.stage'

    name = fields.Char("Name", required=True, translate=True)
    teams = fields.Many2Many(
        'helpdesk.stage-helpdesk.team', 'stage', 'team', "Teams",
        help="The teams that use the stage.\n"
        "Leave empty for every team.")
    category = fields.Selection(
        CATEGORIES, "Category", required=True, sort=False,
        help="What the stage means for the ticket's lifecycle.")
    fold = fields.Boolean(
        "Folded",
        help="Hide the tickets of this stage from the ticket list "
        "unless searched for.")
    email_template = fields.Many2One(
        'ir.email.template', "Email Template", ondelete='RESTRICT',
        domain=[
            ('model.name', '=', 'helpdesk.ticket'),
            ],
        help="The message sent to the customer "
        "when a ticket enters this stage.")

    @classmethod
    def default_category(cls):
        return 'in_progress'

    @classmethod
    def default_fold(cls):
        return False

    _state_cache = Cache('helpdesk.stage.state', context=False)

    @property
    def closing(self):
        return self.category in CLOSING_CATEGORIES

    @classmethod
    def get_ticket_state(cls, stage_id):
        """Return the category and the fold of the stage, which every
        ticket entering it copies"""
        values = cls._state_cache.get(stage_id)
        if values is None:
            stage = cls(stage_id)
            values = (stage.category, stage.fold)
            cls._state_cache.set(stage_id, values)
        return values

    @classmethod
    def on_modification(cls, mode, stages, field_names=None):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        Ticket = pool.get('helpdesk.ticket')
        super().on_modification(mode, stages, field_names=field_names)
        Team._new_ticket_cache.clear()
        cls._state_cache.clear()
        if mode == 'write' and field_names & {'category', 'fold'}:
            for stage in stages:
                tickets = Ticket.search([
                        ('stage', '=', stage.id),
                        ['OR',
                            ('state', '!=', stage.category),
                            ('folded', '!=', stage.fold),
                            ],
                        ('active', 'in', [True, False]),
                        ])
                if tickets:
                    Ticket.write(tickets, {'stage': stage.id})


class StageTeam(ModelSQL):
    __name__ = 'helpdesk.stage-helpdesk.team'

    stage = fields.Many2One(
        'helpdesk.stage', "Stage", required=True, ondelete='CASCADE')
    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE')

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        super().on_modification(mode, records, field_names=field_names)
        Team._new_ticket_cache.clear()
