# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from collections import defaultdict

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.modules.helpdesk_core.ticket import PRIORITIES
from trytond.modules.helpdesk_core.working_time import (
    AroundTheClock, NoWorkingTimeError)
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access

from . import common
from .exceptions import SLADeleteError, SLAValidationError, SLAWorkingTimeError

TARGETS = [
    ('stage', "Stage Reached"),
    ('assigned', "Assigned"),
    ('first_response', "First Response"),
    ]


class SLA(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'helpdesk.sla'
    __string__ = "Helpdesk SLA Policy"

    name = fields.Char("Name", required=True, translate=True)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE',
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The team whose tickets the policy applies to.")
    priority = fields.Selection(
        PRIORITIES, "Minimum Priority", required=True, sort=False,
        help="The policy applies to the tickets of this priority or higher.")
    types = fields.Many2Many(
        'helpdesk.sla-helpdesk.ticket.type', 'sla', 'type', "Types",
        help="The policy applies to the tickets of one of these types.\n"
        "Leave empty for every type.")
    tags = fields.Many2Many(
        'helpdesk.sla-helpdesk.tag', 'sla', 'tag', "Tags",
        help="The policy applies to the tickets with all these tags.\n"
        "Leave empty to ignore the tags.")
    parties = fields.Many2Many(
        'helpdesk.sla-party.party', 'sla', 'party', "Customers",
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        help="The policy applies to the tickets of these customers.\n"
        "Leave empty for every customer.")
    target = fields.Selection(
        TARGETS, "Target", required=True, sort=False,
        help="What the team promises to do in time.")
    target_stage = fields.Many2One(
        'helpdesk.stage', "Target Stage", ondelete='RESTRICT',
        domain=[
            ['OR',
                ('teams', '=', None),
                ('teams', '=', Eval('team', -1)),
                ],
            ],
        states={
            'required': Eval('target') == 'stage',
            'invisible': Eval('target') != 'stage',
            },
        help="The target is reached when the ticket enters this stage "
        "or a later one in the team's order.")
    days = fields.Integer(
        "Days", required=True,
        domain=[
            ('days', '>=', 0),
            ],
        help="The working days allowed to reach the target.\n"
        "A day is the calendar's average working day "
        "or 24 hours around the clock.")
    hours = fields.Float(
        "Hours", digits=(16, 2), required=True,
        domain=[
            ('hours', '>=', 0),
            ],
        help="The working hours allowed to reach the target, "
        "added to the days.")
    working_hours = fields.Function(
        fields.Float("Working Hours Allowed", digits=(16, 2)),
        'on_change_with_working_hours')
    calendar = fields.Many2One(
        'helpdesk.calendar', "Calendar", ondelete='RESTRICT',
        help="The working hours and holidays that count.\n"
        "Leave empty to use the calendar of the team "
        "or to count around the clock when the team has none.")
    excluded_stages = fields.Many2Many(
        'helpdesk.sla-helpdesk.stage.excluded', 'sla', 'stage',
        "Excluded Stages",
        domain=[
            ['OR',
                ('teams', '=', None),
                ('teams', '=', Eval('team', -1)),
                ],
            If(Eval('target') == 'stage',
                ('id', '!=', Eval('target_stage', -1)),
                ()),
            ],
        help="The clock stops while the ticket is in these stages: "
        "the working time spent there is added to the deadline.")
    pause_when_waiting = fields.Boolean(
        "Pause When Waiting",
        help="Stop the clock while the ticket waits for the customer.")
    _team_criteria_cache = Cache('helpdesk.sla.team_criteria', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t, (t.team, Index.Equality()), where=t.active))
        cls._buttons.update({
                'apply_open_tickets': {
                    'icon': 'tryton-refresh',
                    'invisible': ~Eval('active', True),
                    'depends': ['active'],
                    },
                })

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_priority(cls):
        return '0'

    @classmethod
    def default_target(cls):
        return 'stage'

    @classmethod
    def default_days(cls):
        return 0

    @classmethod
    def default_hours(cls):
        return 0

    @classmethod
    def default_pause_when_waiting(cls):
        return True

    @fields.depends('target', 'target_stage')
    def on_change_target(self):
        if self.target != 'stage':
            self.target_stage = None

    @fields.depends('team', 'target_stage', 'excluded_stages')
    def on_change_team(self):
        if self.team:
            stages = self.team.get_stages()
            if self.target_stage and self.target_stage not in stages:
                self.target_stage = None
            self.excluded_stages = [
                s for s in self.excluded_stages if s in stages]

    @fields.depends('days', 'hours', 'calendar', 'team')
    def on_change_with_working_hours(self, name=None):
        if self.days is None or self.hours is None:
            return
        calendar = self.get_calendar()
        if calendar:
            working_time = calendar.get_sla_working_time()
        else:
            working_time = AroundTheClock()
        if not common.day_duration(working_time):
            return
        return round(common.hours(self.get_duration(working_time)), 2)

    def get_calendar(self):
        "Return the calendar of the policy or None around the clock"
        if self.calendar:
            return self.calendar
        if self.team and self.team.calendar:
            return self.team.calendar

    def get_working_time(self):
        "Return the working time on which the policy counts"
        calendar = self.get_calendar()
        if not calendar:
            return AroundTheClock()
        working_time = calendar.get_sla_working_time()
        if not common.day_duration(working_time):
            raise SLAWorkingTimeError(gettext(
                    'helpdesk_sla.msg_sla_calendar_no_working_time',
                    calendar=calendar.rec_name, sla=self.rec_name))
        return working_time

    def get_duration(self, working_time):
        "Return the working time allowed to reach the target"
        return (
            (self.days or 0) * common.day_duration(working_time)
            + common.duration(self.hours))

    def compute_deadline(self, start, paused=common.ZERO, working_time=None):
        """Return the deadline of a clock started at start and paused for
        paused working time"""
        if working_time is None:
            working_time = self.get_working_time()
        try:
            return working_time.add(
                start, self.get_duration(working_time) + paused)
        except NoWorkingTimeError as exception:
            raise SLAWorkingTimeError(gettext(
                    'helpdesk_sla.msg_sla_calendar_no_working_time',
                    calendar=self.get_calendar().rec_name,
                    sla=self.rec_name)) from exception

    @classmethod
    def get_team_policies(cls, team_ids):
        "Return by team id the active policies of the teams with criteria"
        criteria = cls._get_team_criteria(team_ids)
        # Browsed together to be read together
        slas = iter(cls.browse(
                [c['id'] for team in criteria.values() for c in team]))
        return {
            team_id: [(next(slas), c) for c in team]
            for team_id, team in criteria.items()}

    @classmethod
    def _get_team_criteria(cls, team_ids):
        """Return by team id the criteria of the active policies of the
        teams, in their order

        Every change of a ticket needs them and they seldom change, so they
        are cached until a policy or one of its criteria is modified."""
        criteria = {}
        missing = []
        for team_id in team_ids:
            team = cls._team_criteria_cache.get(team_id)
            if team is None:
                missing.append(team_id)
            else:
                criteria[team_id] = team
        if missing:
            found = defaultdict(list)
            # The policies of a team apply whoever changes its tickets
            with without_check_access():
                for sla in cls.search([('team', 'in', missing)]):
                    found[sla.team.id].append(sla._read_criteria())
            for team_id in missing:
                criteria[team_id] = cls._team_criteria_cache.set(
                    team_id, found[team_id])
        return criteria

    def _read_criteria(self):
        return {
            'id': self.id,
            'priority': int(self.priority),
            'types': {t.id for t in self.types},
            'tags': {t.id for t in self.tags},
            'parties': {p.id for p in self.parties},
            'excluded_stages': {s.id for s in self.excluded_stages},
            }

    def _get_criteria(self):
        if self.active:
            team_id = self.team.id
            for criteria in self._get_team_criteria([team_id])[team_id]:
                if criteria['id'] == self.id:
                    return criteria
        return self._read_criteria()

    def applies_to(self, ticket):
        "Tell if the policy applies to the ticket"
        return (self.active
            and ticket.team == self.team
            and self.meets_criteria(self._get_criteria(), ticket))

    @staticmethod
    def meets_criteria(criteria, ticket):
        "Tell if the ticket meets the criteria of a policy of its team"
        return (int(ticket.priority) >= criteria['priority']
            and (not criteria['types']
                or (ticket.type and ticket.type.id in criteria['types']))
            and criteria['tags'] <= {t.id for t in ticket.tags}
            and (not criteria['parties']
                or (ticket.party and ticket.party.id in criteria['parties'])))

    def is_reached(self, ticket, team_stages):
        """Tell if the ticket reached the target of the policy

        team_stages: the ordered stages of the policy's team."""
        return getattr(self, '_is_reached_%s' % self.target)(
            ticket, team_stages)

    def _is_reached_stage(self, ticket, team_stages):
        if ticket.stage == self.target_stage:
            return True
        if (ticket.stage in team_stages
                and self.target_stage in team_stages):
            return (team_stages.index(ticket.stage)
                >= team_stages.index(self.target_stage))
        return False

    def _is_reached_assigned(self, ticket, team_stages):
        return bool(ticket.assigned_date)

    def _is_reached_first_response(self, ticket, team_stages):
        return bool(ticket.first_response_date)

    def pauses(self, ticket):
        """Tell if the clock of the policy stops for the ticket as it is

        The clock also stops while the ticket is closed or archived: nobody
        works on it then."""
        return ((ticket.stage
                and ticket.stage.id in self._get_criteria()['excluded_stages'])
            or (self.pause_when_waiting and ticket.state == 'waiting')
            or ticket.is_closed
            or not ticket.active)

    @classmethod
    def validate_fields(cls, slas, field_names):
        super().validate_fields(slas, field_names)
        cls.check_time(slas, field_names)
        cls.check_stages(slas, field_names)
        cls.check_calendar(slas, field_names)

    @classmethod
    def check_time(cls, slas, field_names=None):
        if field_names and not (field_names & {'days', 'hours'}):
            return
        for sla in slas:
            if (sla.days or 0) <= 0 and (sla.hours or 0) <= 0:
                raise SLAValidationError(gettext(
                        'helpdesk_sla.msg_sla_time_zero', sla=sla.rec_name))

    @classmethod
    def check_stages(cls, slas, field_names=None):
        if field_names and not (field_names & {
                    'team', 'target', 'target_stage', 'excluded_stages'}):
            return
        for sla in slas:
            stages = sla.team.get_stages()
            if sla.target == 'stage' and sla.target_stage:
                if sla.target_stage not in stages:
                    raise SLAValidationError(gettext(
                            'helpdesk_sla.msg_sla_stage_team',
                            stage=sla.target_stage.rec_name,
                            sla=sla.rec_name, team=sla.team.rec_name))
                if sla.target_stage in sla.excluded_stages:
                    raise SLAValidationError(gettext(
                            'helpdesk_sla.msg_sla_target_excluded',
                            stage=sla.target_stage.rec_name,
                            sla=sla.rec_name))
            for stage in sla.excluded_stages:
                if stage not in stages:
                    raise SLAValidationError(gettext(
                            'helpdesk_sla.msg_sla_stage_team',
                            stage=stage.rec_name,
                            sla=sla.rec_name, team=sla.team.rec_name))

    @classmethod
    def check_calendar(cls, slas, field_names=None):
        if field_names and not (field_names & {'calendar', 'team'}):
            return
        for sla in slas:
            sla.get_working_time()

    @classmethod
    def check_modification(cls, mode, slas, values=None, external=False):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        Event = pool.get('helpdesk.ticket.sla.event')
        super().check_modification(
            mode, slas, values=values, external=external)
        if mode == 'delete':
            ids = [s.id for s in slas]
            for Model in [TicketSLA, Event]:
                records = Model.search([('sla', 'in', ids)], limit=1)
                if records:
                    record, = records
                    raise SLADeleteError(gettext(
                            'helpdesk_sla.msg_sla_delete_used',
                            sla=record.sla.rec_name))

    @classmethod
    def on_modification(cls, mode, slas, field_names=None):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        super().on_modification(mode, slas, field_names=field_names)
        cls._team_criteria_cache.clear()
        if mode != 'write':
            return
        # The clocks of the inactive policies stop: there is nothing more to
        # follow on them
        ids = [s.id for s in slas if s.active]
        if 'active' in field_names:
            inactive = [s.id for s in slas if not s.active]
            if inactive:
                TicketSLA.stop_ongoing([('sla', 'in', inactive)])
        if not ids:
            return
        if field_names & {'days', 'hours', 'calendar'}:
            TicketSLA.reschedule_ongoing([('sla', 'in', ids)])
        if field_names & {
                'target', 'target_stage', 'excluded_stages',
                'pause_when_waiting'}:
            TicketSLA.evaluate_ongoing([('sla', 'in', ids)])

    @classmethod
    @ModelView.button
    def apply_open_tickets(cls, slas):
        "Apply the policies of the teams to their open tickets now"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketSLA = pool.get('helpdesk.ticket.sla')
        with without_check_access():
            tickets = Ticket.search([
                    ('team', 'in', list({s.team.id for s in slas})),
                    ('state', 'not in', ['solved', 'cancelled']),
                    ], order=[('id', 'ASC')])
        TicketSLA.run_or_queue(Ticket, 'sla_apply', tickets)


class _CriterionMixin:
    "A criterion of the policies, cached with them"
    __slots__ = ()

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        SLA = pool.get('helpdesk.sla')
        super().on_modification(mode, records, field_names=field_names)
        SLA._team_criteria_cache.clear()


class SLAType(_CriterionMixin, ModelSQL):
    __name__ = 'helpdesk.sla-helpdesk.ticket.type'
    __string__ = "Helpdesk SLA Policy - Ticket Type"

    sla = fields.Many2One(
        'helpdesk.sla', "SLA Policy", required=True, ondelete='CASCADE')
    type = fields.Many2One(
        'helpdesk.ticket.type', "Type", required=True, ondelete='CASCADE')


class SLATag(_CriterionMixin, ModelSQL):
    __name__ = 'helpdesk.sla-helpdesk.tag'
    __string__ = "Helpdesk SLA Policy - Tag"

    sla = fields.Many2One(
        'helpdesk.sla', "SLA Policy", required=True, ondelete='CASCADE')
    tag = fields.Many2One(
        'helpdesk.tag', "Tag", required=True, ondelete='CASCADE')


class SLAParty(_CriterionMixin, ModelSQL):
    __name__ = 'helpdesk.sla-party.party'
    __string__ = "Helpdesk SLA Policy - Customer"

    sla = fields.Many2One(
        'helpdesk.sla', "SLA Policy", required=True, ondelete='CASCADE')
    party = fields.Many2One(
        'party.party', "Customer", required=True, ondelete='CASCADE')


class SLAExcludedStage(_CriterionMixin, ModelSQL):
    __name__ = 'helpdesk.sla-helpdesk.stage.excluded'
    __string__ = "Helpdesk SLA Policy - Excluded Stage"

    sla = fields.Many2One(
        'helpdesk.sla', "SLA Policy", required=True, ondelete='CASCADE')
    stage = fields.Many2One(
        'helpdesk.stage', "Stage", required=True, ondelete='CASCADE')
