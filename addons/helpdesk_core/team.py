# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from sql import Literal

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, fields, sequence_ordered)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools.email_ import EmailNotValidError, normalize_email
from trytond.transaction import Transaction

from .common import check_email
from .exceptions import (
    TeamMemberError, TeamValidationError, TicketStageError, VisibilityWarning)


def agent_group_ids():
    "Return the ids of the groups of helpdesk agents"
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return [
        ModelData.get_id('helpdesk_core', 'group_helpdesk'),
        ModelData.get_id('helpdesk_core', 'group_helpdesk_manager'),
        ]


VISIBILITIES = [
    ('invited', "Invited Internal Users"),
    ('internal', "All Internal Users"),
    ('portal', "Invited Portal Users and All Internal Users"),
    ('assigned', "Assigned Agents and Team Leaders"),
    ]


class Team(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'helpdesk.team'

    name = fields.Char("Name", required=True, translate=True)
    description = fields.Text(
        "Description", translate=True,
        help="Shown to customers on the website form of the team.")
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    visibility = fields.Selection(
        VISIBILITIES, "Visibility", required=True, sort=False,
        help="Who may see the tickets of the team.")
    leaders = fields.Many2Many(
        'helpdesk.team-res.user.leader', 'team', 'user', "Leaders",
        help="The users who lead the team: they reassign its tickets "
        "and decide on transfers into it.")
    members = fields.Many2Many(
        'helpdesk.team-res.user.member', 'team', 'user', "Members",
        help="The agents who handle the tickets of the team.\n"
        "Leave empty to use every helpdesk agent.")
    follower_users = fields.Many2Many(
        'helpdesk.team-res.user.follower', 'team', 'user', "Followers",
        help="The users who follow every new ticket of the team.")
    follower_emails = fields.Text(
        "Follower Emails",
        help="The email addresses, one per line, "
        "that follow every new ticket of the team.")
    stages = fields.Many2Many(
        'helpdesk.stage-helpdesk.team', 'team', 'stage', "Stages",
        help="The stages used only by this team.\n"
        "Stages without team are used by every team.")
    auto_assign = fields.Boolean(
        "Automatic Assignment",
        help="Assign new tickets to a member of the team automatically.")
    assign_method = fields.Selection([
            ('equal_count', "Each Member Gets an Equal Number of Tickets"),
            ('balanced', "Each Member Has an Equal Number of Open Tickets"),
            ], "Assignment Method", required=True, sort=False,
        states={
            'invisible': ~Eval('auto_assign', False),
            })
    calendar = fields.Many2One(
        'helpdesk.calendar', "Calendar", ondelete='RESTRICT',
        help="The working hours and holidays of the team.")
    use_rating = fields.Boolean(
        "Customer Rating",
        help="Ask customers to rate the service of solved tickets.")
    portal_close = fields.Boolean(
        "Closable by Customers",
        help="Let customers close their tickets from the portal.")
    _new_ticket_cache = Cache('helpdesk.team.new_ticket', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        # The order is sequence_ordered's (sequence, id): a name after the
        # id never changed it, but made every search of the teams (the
        # validation of each ticket's team among them) join the
        # translations of the names

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_visibility(cls):
        return 'internal'

    @classmethod
    def default_auto_assign(cls):
        return False

    @classmethod
    def default_assign_method(cls):
        return 'balanced'

    @classmethod
    def default_use_rating(cls):
        return False

    @classmethod
    def default_portal_close(cls):
        return True

    @property
    def follower_email_list(self):
        "The normalized follower email addresses"
        return [normalize_email(e) for e in self._follower_emails()]

    def _follower_emails(self):
        for line in (self.follower_emails or '').splitlines():
            if line.strip():
                yield line.strip()

    @classmethod
    def validate_fields(cls, teams, field_names):
        super().validate_fields(teams, field_names)
        cls.check_follower_emails(teams, field_names)
        cls.check_members(teams, field_names)

    @classmethod
    def check_members(cls, teams, field_names=None):
        pool = Pool()
        User = pool.get('res.user')
        if field_names and not (field_names & {'members', 'leaders'}):
            return
        agents = set(User.search([
                    ('groups', 'in', agent_group_ids()),
                    ('active', 'in', [True, False]),
                    ]))
        for team in teams:
            for user in team.members + team.leaders:
                if user not in agents:
                    raise TeamMemberError(gettext(
                            'helpdesk_core.msg_team_member_not_agent',
                            user=user.rec_name, team=team.rec_name))

    @classmethod
    def check_follower_emails(cls, teams, field_names=None):
        if field_names and 'follower_emails' not in field_names:
            return
        for team in teams:
            for email in team._follower_emails():
                try:
                    check_email(email)
                except EmailNotValidError as exception:
                    raise TeamValidationError(gettext(
                            'helpdesk_core.msg_team_follower_email_invalid',
                            email=email, team=team.rec_name),
                        str(exception)) from exception

    def get_stages(self):
        "Return the stages of the team in their order"
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        return Stage.browse(self._new_ticket()['stages'])

    def _search_stages(self):
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        return Stage.search([
                ['OR',
                    ('teams', '=', None),
                    ('teams', '=', self.id),
                    ],
                ])

    @classmethod
    def check_modification(cls, mode, teams, values=None, external=False):
        pool = Pool()
        Warning = pool.get('res.user.warning')
        super().check_modification(
            mode, teams, values=values, external=external)
        if mode == 'write' and external and 'visibility' in values:
            for team in teams:
                if team.visibility == values['visibility']:
                    continue
                removed, added = team._visibility_follower_changes(
                    values['visibility'])
                if removed or added:
                    key = Warning.format('helpdesk_team_visibility', [team])
                    if Warning.check(key):
                        raise VisibilityWarning(key, gettext(
                                'helpdesk_core.msg_team_visibility_followers',
                                team=team.rec_name,
                                removed=len(removed), added=len(added)))

    @classmethod
    def on_modification(cls, mode, teams, field_names=None):
        super().on_modification(mode, teams, field_names=field_names)
        cls._new_ticket_cache.clear()

    @classmethod
    def on_write(cls, teams, values):
        callbacks = super().on_write(teams, values)
        if 'visibility' in values:
            visibility = values['visibility']
            changes = {
                t.id: (t.visibility == 'portal',
                    *t._visibility_follower_changes(visibility))
                for t in teams if t.visibility != visibility}
            if changes:
                def apply():
                    for team_id, change in changes.items():
                        cls(team_id)._apply_follower_changes(*change)
                callbacks.append(apply)
        return callbacks

    def _visibility_follower_changes(self, visibility):
        """Return the followers to remove and to add when the team
        changes to the visibility"""
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        Ticket = pool.get('helpdesk.ticket')
        removed, added = [], []
        with Transaction().set_context(active_test=False):
            tickets = Ticket.search([('team', '=', self.id)])
        ticket_ids = [t.id for t in tickets]
        if self.visibility == 'portal' and visibility != 'portal':
            followers = Follower.search([
                    ('helpdesk_ticket', 'in', ticket_ids),
                    ('email', '!=', None),
                    ])
            portal = Ticket.portal_emails({f.email for f in followers})
            removed = [f for f in followers if f.email in portal]
        elif visibility == 'portal':
            following = {
                (f.helpdesk_ticket.id, f.email.lower())
                for f in Follower.search([
                        ('helpdesk_ticket', 'in', ticket_ids),
                        ('email', '!=', None),
                        ])}
            added = [
                t for t in tickets if t.contact_email
                and (t.id, t.contact_email.lower()) not in following]
        return removed, added

    def _apply_follower_changes(self, leaving_portal, removed, added):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Follower = pool.get('ir.chat.follower')
        Ticket = pool.get('helpdesk.ticket')
        Follower.delete(removed)
        for ticket in added:
            Follower.add_email(
                Channel._get_channel(ticket), ticket.contact_email)
        if leaving_portal:
            portal = Ticket.portal_emails(set(self.follower_email_list))
            if portal:
                self.follower_emails = '\n'.join(
                    e for e in self._follower_emails()
                    if normalize_email(e) not in portal)
                self.save()

    def get_agent_ids(self):
        """Return the ids of the active users who handle the tickets of the
        team

        In SQL: the decision of each new ticket asks it."""
        pool = Pool()
        User = pool.get('res.user')
        Member = pool.get('helpdesk.team-res.user.member')
        UserGroup = pool.get('res.user-res.group')
        UserCompany = pool.get('res.user-company.company')
        user = User.__table__()
        member = Member.__table__()
        user_group = UserGroup.__table__()
        user_company = UserCompany.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*member.join(
                user, condition=member.user == user.id
                ).select(
                user.id, user.active,
                where=member.team == self.id,
                order_by=[user.id.asc]))
        members = cursor.fetchall()
        if members:
            return [u for u, active in members if active]
        cursor.execute(*user.select(
                user.id,
                where=(user.active == Literal(True))
                & user.id.in_(user_group.select(
                        user_group.user,
                        where=user_group.group.in_(agent_group_ids())))
                & user.id.in_(user_company.select(
                        user_company.user,
                        where=user_company.company == self.company.id)),
                order_by=[user.id.asc]))
        return [u for u, in cursor]

    def choose_agent(self, moment):
        """Return the available agent who gets the next ticket or None

        The caller must hold the lock of the team's assignments."""
        pool = Pool()
        Assignment = pool.get('helpdesk.team.assignment')
        Leave = pool.get('helpdesk.calendar.leave')
        User = pool.get('res.user')
        agents = self.get_agent_ids()
        on_leave = Leave.user_ids_on_leave(
            agents, moment, calendar=self.calendar)
        available = [a for a in agents if a not in on_leave]
        if not available:
            return
        stats = Assignment.get_stats(self, available)
        if self.assign_method == 'balanced':
            loads = Assignment.open_counts(self, available)
        else:
            loads = {u: c for u, (c, _) in stats.items()}

        def key(user_id):
            _, last_date = stats.get(user_id, (0, None))
            # Ties go to whoever waited longest since their last ticket
            return (loads.get(user_id, 0), last_date or dt.datetime.min,
                user_id)
        return User(min(available, key=key))

    def get_stage(self, category):
        "Return the first stage of the category or raise"
        for stage in self.get_stages():
            if stage.category == category:
                return stage
        raise TicketStageError(gettext(
                'helpdesk_core.msg_team_no_stage_category',
                team=self.rec_name,
                category=self.__stage_category_string(category)))

    @staticmethod
    def __stage_category_string(category):
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        return dict(Stage.fields_get(['category'])['category']['selection'])[
            category]

    def _new_ticket(self):
        """Return the ids of the stages of the team, of the stage and of the
        following users of a new ticket of the team

        Every new ticket needs them (its validation and its SLA clocks the
        stages) and they seldom change, so they are cached until a team or a
        stage is modified."""
        values = self._new_ticket_cache.get(self.id)
        if values is None:
            stages = self._search_stages()
            stage = next(
                (s for s in stages if s.category == 'new'),
                stages[0] if stages else None)
            values = {
                'stages': [s.id for s in stages],
                'stage': stage.id if stage else None,
                'follower_users': [u.id for u in self.follower_users],
                }
            self._new_ticket_cache.set(self.id, values)
        return values

    def get_new_stage(self):
        "Return the stage of a new ticket"
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        stage_id = self._new_ticket()['stage']
        if stage_id is not None:
            return Stage(stage_id)

    def get_new_ticket_followers(self):
        "Return the users who follow each new ticket of the team"
        pool = Pool()
        User = pool.get('res.user')
        return User.browse(self._new_ticket()['follower_users'])


class TeamLeader(ModelSQL):
    __name__ = 'helpdesk.team-res.user.leader'

    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class TeamMember(ModelSQL):
    __name__ = 'helpdesk.team-res.user.member'

    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')


class TeamFollower(ModelSQL):
    __name__ = 'helpdesk.team-res.user.follower'

    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='CASCADE')

    @classmethod
    def on_write(cls, records, values):
        callbacks = super().on_write(records, values)
        pairs = [(r.team.id, r.user.id) for r in records]
        callbacks.append(lambda: cls._stop_following_through_team(pairs))
        return callbacks

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        super().on_modification(mode, records, field_names=field_names)
        Team._new_ticket_cache.clear()
        if mode == 'delete':
            cls._stop_following_through_team(
                [(r.team.id, r.user.id) for r in records])

    @classmethod
    def _stop_following_through_team(cls, pairs):
        "The users no longer follow the teams of the (team, user) pairs"
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        Ticket = pool.get('helpdesk.ticket')
        ticket = Ticket.__table__()
        for team_id, user_id in pairs:
            Follower.helpdesk_unmark_through_team(
                ticket.select(ticket.id, where=ticket.team == team_id),
                user=user_id)
