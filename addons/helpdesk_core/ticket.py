# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import contextvars
import datetime as dt
import re
import uuid
from collections import defaultdict

from sql import Literal, Null
from sql.functions import CurrentTimestamp, Lower

from trytond.backend import MAX_QUERY_PARAMS
from trytond.cache import freeze, unfreeze
from trytond.i18n import gettext
from trytond.model import (
    ChatMixin, DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.pyson import Eval, Id, If, PYSONDecoder, PYSONEncoder
from trytond.tools import grouped_slice
from trytond.tools.email_ import EmailNotValidError, normalize_email
from trytond.transaction import Transaction, without_check_access

from .common import check_email, has_worker, html_to_text, is_html
from .exceptions import (
    TicketDeleteError, TicketReassignError, TicketReplyError, TicketStageError,
    TicketValidationError)
from .stage import CATEGORIES, CLOSING_CATEGORIES
from .team import agent_group_ids

# The subject and the HTML of the stage's e-mail template while its message
# is posted, for the module that writes the e-mail: not in the context,
# which is part of the key of every trytond cache and would miss them all
stage_email = contextvars.ContextVar('helpdesk_stage_email', default=None)
# Whether the ticket being created is created alone (see Ticket.create)
_created_alone = contextvars.ContextVar('helpdesk_alone', default=False)

PRIORITIES = [
    ('0', "Low"),
    ('1', "Medium"),
    ('2', "High"),
    ('3', "Urgent"),
    ]
CHANNELS = [
    ('email', "Email"),
    ('website', "Website"),
    ('portal', "Portal"),
    ('livechat', "Live Chat"),
    ('phone', "Phone"),
    ('internal', "Internal"),
    ('api', "API"),
    ]
_SUBJECT_NUMBER = re.compile(r'\[([^\[\]\s]+)\]')
OPEN_CATEGORIES = [c for c, _ in CATEGORIES if c not in CLOSING_CATEGORIES]


class Type(DeactivableMixin, sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'helpdesk.ticket.type'

    name = fields.Char("Name", required=True, translate=True)


class Tag(ModelSQL, ModelView):
    __name__ = 'helpdesk.tag'

    name = fields.Char("Name", required=True, translate=True)
    color = fields.Char(
        "Color", help="The color of the tag, as a CSS color.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('name', 'ASC'))

    @classmethod
    def default_color(cls):
        return '#777777'


class Ticket(DeactivableMixin, ModelSQL, ModelView, ChatMixin):
    __name__ = 'helpdesk.ticket'

    _closed_readonly = {
        'readonly': Eval('state').in_(list(CLOSING_CATEGORIES)),
        }

    number = fields.Char("Number", readonly=True)
    name = fields.Char("Subject", required=True, states=_closed_readonly)
    description = fields.Text("Description", states=_closed_readonly)
    company = fields.Many2One(
        'company.company', "Company", required=True,
        states={
            'readonly': Eval('id', -1) >= 0,
            })
    team = fields.Many2One(
        'helpdesk.team', "Team", required=True,
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        states=_closed_readonly)
    stage = fields.Many2One(
        'helpdesk.stage', "Stage", required=True,
        domain=[
            ['OR',
                ('teams', '=', None),
                ('teams', '=', Eval('team', -1)),
                ],
            ],
        states={
            'readonly': (~Eval('team')
                | Eval('state').in_(list(CLOSING_CATEGORIES))),
            })
    state = fields.Selection(
        CATEGORIES, "State", readonly=True, required=True, sort=False,
        help="The lifecycle state, given by the category of the stage.")
    folded = fields.Boolean(
        "In Folded Stage", readonly=True,
        help="The stage of the ticket is folded: "
        "the ticket list hides it unless searched for.")
    type = fields.Many2One(
        'helpdesk.ticket.type', "Type", states=_closed_readonly)
    tags = fields.Many2Many(
        'helpdesk.ticket-helpdesk.tag', 'ticket', 'tag', "Tags",
        # In the order they were given: no sort on the translated names
        order=[('id', 'ASC')])
    priority = fields.Selection(
        PRIORITIES, "Priority", required=True, sort=False,
        states=_closed_readonly)
    party = fields.Many2One(
        'party.party', "Customer", ondelete='RESTRICT',
        context={
            'company': Eval('company', -1),
            },
        depends={'company'},
        states=_closed_readonly)
    contact_name = fields.Char("Contact Name", states=_closed_readonly)
    contact_email = fields.Char(
        "Contact Email", states=_closed_readonly,
        help="The customer's address: public replies are sent there.")
    contact_phone = fields.Char("Contact Phone", states=_closed_readonly)
    user = fields.Many2One(
        'res.user', "Assigned To", ondelete='RESTRICT',
        domain=[
            ('groups', 'in', [
                    Id('helpdesk_core', 'group_helpdesk'),
                    Id('helpdesk_core', 'group_helpdesk_manager'),
                    ]),
            ],
        states=_closed_readonly)
    channel = fields.Selection(
        CHANNELS, "Channel", required=True, sort=False,
        states={
            'readonly': Eval('id', -1) >= 0,
            },
        help="How the customer reached the team.")
    assigned_date = fields.Timestamp(
        "Assigned Date", readonly=True,
        help="When the ticket was first assigned.")
    first_response_date = fields.Timestamp(
        "First Response Date", readonly=True,
        help="When an agent first replied publicly.")
    closed_date = fields.Timestamp("Closed Date", readonly=True)
    last_customer_message = fields.Timestamp(
        "Last Customer Message", readonly=True)
    last_agent_message = fields.Timestamp("Last Agent Message", readonly=True)
    assigned_to_me = fields.Function(
        fields.Boolean("Assigned to Me"), 'get_assigned_to_me')
    transfers = fields.One2Many(
        'helpdesk.ticket.transfer', 'ticket', "Transfers", readonly=True)
    follower_users = fields.Function(fields.Many2Many(
            'res.user', None, None, "Following Users",
            help="The users who follow the conversation of the ticket."),
        'get_follower_users', searcher='search_follower_users')
    invited_users = fields.Function(fields.Many2Many(
            'res.user', None, None, "Invited Users",
            help="The users who follow the conversation of the ticket "
            "other than through its team."),
        'get_follower_users', searcher='search_follower_users')
    merged_into = fields.Many2One(
        'helpdesk.ticket', "Merged Into", readonly=True, ondelete='SET NULL',
        states={
            'invisible': ~Eval('merged_into'),
            })
    request_key = fields.Char(
        "Request Key", readonly=True, strip=False,
        help="The key the client sent with the request that made the "
        "ticket: the same request sent again does not make a second one.")

    del _closed_readonly

    @classmethod
    def __setup__(cls):
        cls.number.search_unaccented = False
        cls.contact_email.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('request_key_unique', Unique(t, t.request_key),
                'helpdesk_core.msg_ticket_request_key_unique'),
            ]
        open_ = t.state.in_(OPEN_CATEGORIES)
        cls._sql_indexes.update({
                Index(t, (t.number, Index.Equality())),
                Index(t, (t.number, Index.Similarity())),
                Index(t, (t.name, Index.Similarity())),
                Index(t, (t.description, Index.Similarity())),
                Index(t, (t.contact_email, Index.Similarity())),
                Index(t, (t.party, Index.Equality())),
                Index(
                    t, (t.team, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(
                    t, (t.user, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low'))),
                Index(
                    t, (t.state, Index.Equality(cardinality='low')),
                    where=open_),
                # The lists of open tickets (the action's search value and
                # tabs, assignment by open load) filter on "state not in
                # closing": PostgreSQL uses a partial index only when the
                # query's condition implies the index's, which "state not
                # in closing" does not for "state in open"
                Index(
                    t, (t.user, Index.Equality()),
                    where=~t.state.in_(sorted(CLOSING_CATEGORIES))),
                Index(
                    t, (t.team, Index.Equality()),
                    where=~t.state.in_(sorted(CLOSING_CATEGORIES))),
                Index(
                    t, (t.priority, Index.Range(order='DESC')),
                    (t.id, Index.Range(order='DESC'))),
                # The first page of the open tickets in the list's order,
                # read until the visibility rule has let 80 through
                Index(
                    t, (t.priority, Index.Range(order='DESC')),
                    (t.id, Index.Range(order='DESC')),
                    where=~t.state.in_(sorted(CLOSING_CATEGORIES))),
                # The list without the folded stages, its search value
                # (the condition trytond writes for "folded = False")
                Index(
                    t, (t.priority, Index.Range(order='DESC')),
                    (t.id, Index.Range(order='DESC')),
                    where=(t.folded == Literal(False)) | (t.folded == Null)),
                })
        cls._order = [
            ('priority', 'DESC'),
            ('id', 'DESC'),
            ]
        cls._buttons.update({
                'assign_to_me': {
                    'invisible': (Eval('state').in_(list(CLOSING_CATEGORIES))
                        | (Eval('assigned_to_me', False)
                            & (Eval('state') != 'new'))),
                    'icon': 'tryton-forward',
                    'depends': ['state', 'assigned_to_me'],
                    },
                'wait': {
                    'invisible': ~Eval('state').in_(['new', 'in_progress']),
                    'icon': 'tryton-history',
                    'depends': ['state'],
                    },
                'solve': {
                    'invisible': Eval('state').in_(
                        list(CLOSING_CATEGORIES)),
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': Eval('state').in_(
                        list(CLOSING_CATEGORIES)),
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                'assign_auto': {
                    'invisible': (Eval('state').in_(list(CLOSING_CATEGORIES))
                        | Eval('user')),
                    'icon': 'tryton-launch',
                    'depends': ['state', 'user'],
                    },
                'transfer': {
                    'invisible': Eval('state').in_(list(CLOSING_CATEGORIES)),
                    'icon': 'tryton-forward',
                    'depends': ['state'],
                    },
                'reopen': {
                    'invisible': ~Eval('state').in_(
                        ['waiting', 'solved', 'cancelled']),
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        table_h = cls.__table_handler__(module)
        fill_folded = not table_h.column_exist('folded')
        super().__register__(module)
        if fill_folded:
            table = cls.__table__()
            stage = Stage.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.folded],
                    [stage.select(
                            stage.fold, where=stage.id == table.stage)]))

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def default_priority(cls):
        return '1'

    @classmethod
    def default_channel(cls):
        return 'internal'

    @classmethod
    def default_state(cls):
        return 'new'

    @classmethod
    def order_priority(cls, tables):
        # The keys sort as the priorities, so the index serves the order
        table, _ = tables[None]
        return [table.priority]

    @classmethod
    def order_number(cls, tables):
        table, _ = tables[None]
        return [table.number]

    def get_assigned_to_me(self, name):
        return bool(self.user) and self.user.id == Transaction().user

    def get_rec_name(self, name):
        return self._format_rec_name(self.number, self.name)

    @staticmethod
    def _format_rec_name(number, name):
        if number:
            return f'[{number}] {name}'
        return name

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        domain = [bool_op,
            ('number', operator, operand, *extra),
            ('name', operator, operand, *extra),
            ('contact_email', operator, operand, *extra),
            ('description', operator, operand, *extra),
            ]
        return domain

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('state') == 'cancelled', 'muted',
                    If(Eval('priority') == '3', 'danger', ''))),
            ('/tree/field[@name="priority"]', 'visual',
                If(Eval('priority') == '3', 'danger',
                    If(Eval('priority') == '2', 'warning', ''))),
            ]

    @fields.depends('team', 'stage')
    def on_change_team(self):
        if self.team:
            if not self.stage or self.stage not in self.team.get_stages():
                self.stage = self.team.get_new_stage()

    @fields.depends('stage')
    def on_change_with_state(self):
        if self.stage:
            return self.stage.category
        return 'new'

    @fields.depends(
        'party', 'team', 'stage',
        'contact_name', 'contact_email', 'contact_phone')
    def on_change_party(self):
        if self.party:
            if self.party.helpdesk_team and not self.team:
                self.team = self.party.helpdesk_team
                self.on_change_team()
            if not self.contact_name:
                self.contact_name = self.party.name
            if not self.contact_email:
                self.contact_email = self.party.email
            if not self.contact_phone:
                self.contact_phone = self.party.phone or self.party.mobile

    def chat_language(self, audience='internal'):
        language = super().chat_language(audience=audience)
        if audience == 'public' and self.party and self.party.lang:
            language = self.party.lang.code
        return language

    @property
    def is_closed(self):
        return self.state in CLOSING_CATEGORIES

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Configuration = pool.get('helpdesk.configuration')
        Party = pool.get('party.party')
        Stage = pool.get('helpdesk.stage')
        Team = pool.get('helpdesk.team')
        values = super().preprocess_values(mode, values)
        now = dt.datetime.now()
        if mode == 'create':
            if not values.get('number'):
                company_id = values.get('company', cls.default_company())
                if company_id is not None:
                    configuration = Configuration(1)
                    if sequence := configuration.get_multivalue(
                            'ticket_sequence', company=company_id):
                        values['number'] = sequence.get()
            if not values.get('team') and values.get('party'):
                party = Party(values['party'])
                if party.helpdesk_team:
                    values['team'] = party.helpdesk_team.id
            if not values.get('stage') and values.get('team'):
                team = Team(values['team'])
                if stage := team.get_new_stage():
                    values['stage'] = stage.id
                else:
                    raise TicketStageError(gettext(
                            'helpdesk_core.msg_team_no_stage',
                            team=team.rec_name))
        if values.get('stage'):
            category, fold = Stage.get_ticket_state(values['stage'])
            values['state'] = category
            values['folded'] = fold
            values['closed_date'] = (
                now if category in CLOSING_CATEGORIES else None)
        if (mode == 'create' and not values.get('user')
                and values.get('team') and _created_alone.get()
                and values.get('state') not in CLOSING_CATEGORIES):
            ticket = cls(team=values['team'], party=values.get('party'))
            if user := ticket._choose_assignee(now):
                values['user'] = user.id
        if mode == 'create' and values.get('user'):
            values['assigned_date'] = now
        if values.get('contact_email'):
            values['contact_email'] = normalize_email(values['contact_email'])
        return values

    @classmethod
    def create(cls, vlist):
        # A ticket created alone (a form, a mail, a chat, an agent) gets its
        # automatic assignee in its values: assigned after its creation, it
        # would be a second write that runs again the validation, the
        # followers and the SLA clocks. Tickets created together are
        # assigned one after the other once created, so that each choice
        # counts the previous ones.
        token = _created_alone.set(len(vlist) == 1)
        try:
            return super().create(vlist)
        finally:
            _created_alone.reset(token)

    @classmethod
    def validate_fields(cls, tickets, field_names):
        super().validate_fields(tickets, field_names)
        cls.check_contact_email(tickets, field_names)

    @classmethod
    def check_contact_email(cls, tickets, field_names=None):
        if field_names and 'contact_email' not in field_names:
            return
        for ticket in tickets:
            if ticket.contact_email:
                try:
                    check_email(ticket.contact_email)
                except EmailNotValidError as exception:
                    raise TicketValidationError(gettext(
                            'helpdesk_core.msg_ticket_contact_email_invalid',
                            email=ticket.contact_email,
                            ticket=ticket.rec_name),
                        str(exception)) from exception

    @classmethod
    def check_modification(cls, mode, tickets, values=None, external=False):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        super().check_modification(
            mode, tickets, values=values, external=external)
        if mode == 'write' and external:
            cls.check_reassignment(tickets, values)
        if mode == 'delete' and external:
            user = User(Transaction().user)
            group_admin = ModelData.get_id('res', 'group_admin')
            if group_admin not in {g.id for g in user.groups}:
                ticket = tickets[0]
                raise TicketDeleteError(gettext(
                        'helpdesk_core.msg_ticket_delete',
                        ticket=ticket.rec_name))

    @classmethod
    def check_reassignment(cls, tickets, values):
        """Agents take tickets; only leaders reassign them inside the team
        and moving to another team goes through a transfer"""
        pool = Pool()
        Transfer = pool.get('helpdesk.ticket.transfer')
        User = pool.get('res.user')
        user = User(Transaction().user)
        if 'team' in values:
            for ticket in tickets:
                if (ticket.team.id != values['team']
                        and not Transfer.may_decide(None, user)):
                    raise TicketReassignError(gettext(
                            'helpdesk_core.msg_ticket_team_transfer',
                            ticket=ticket.rec_name))
        if 'user' in values:
            for ticket in tickets:
                if ticket.user and ticket.user.id == values['user']:
                    continue
                taking = (values['user'] == user.id
                    and (not ticket.user or ticket.user == user))
                if not taking and not Transfer.may_decide(ticket.team, user):
                    raise TicketReassignError(gettext(
                            'helpdesk_core.msg_transfer_reassign_leader',
                            ticket=ticket.rec_name, team=ticket.team.rec_name))

    @classmethod
    def on_modification(cls, mode, tickets, field_names=None):
        super().on_modification(mode, tickets, field_names=field_names)
        if mode == 'create':
            # Before the automatic assignment, which adds the assignee to
            # the followers of the channel
            cls._create_channels(tickets)
            cls._record_assignments([t for t in tickets if t.user])
            cls.assign_automatically([t for t in tickets if not t.user])
            cls._send_stage_email(tickets)
        elif mode == 'write' and 'team' in field_names:
            cls._clear_through_team(tickets)
        if mode == 'write' and field_names & {'user', 'contact_email'}:
            cls._add_followers(tickets)
            first = [t for t in tickets if t.user and not t.assigned_date]
            if first:
                cls.write(first, {'assigned_date': dt.datetime.now()})

    @classmethod
    def on_write(cls, tickets, values):
        callbacks = super().on_write(tickets, values)
        if values.get('stage'):
            moved = [t.id for t in tickets if t.stage.id != values['stage']]
            if moved:
                callbacks.append(
                    lambda: cls._send_stage_email(cls.browse(moved)))
        if values.keys() & {'user', 'team'}:
            before = {t.id: (t.team, t.user) for t in tickets}

            def assignments():
                tickets = cls.browse(list(before))
                cls._record_assignments([
                        t for t in tickets
                        if t.user and (t.team, t.user) != before[t.id]])
                if 'team' in values:
                    cls.assign_automatically([
                            t for t in tickets
                            if not t.user and t.team != before[t.id][0]])
            callbacks.append(assignments)
        return callbacks

    @classmethod
    def _clear_through_team(cls, tickets):
        "The tickets moved to another team: its followers no longer see them"
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        for sub_tickets in grouped_slice(tickets, MAX_QUERY_PARAMS):
            Follower.helpdesk_unmark_through_team(
                [t.id for t in sub_tickets])

    @classmethod
    def _record_assignments(cls, tickets):
        pool = Pool()
        Assignment = pool.get('helpdesk.team.assignment')
        for ticket in sorted(tickets, key=lambda t: (t.team.id, t.id)):
            Assignment.record(ticket.team, ticket.user)

    def get_routed_agent(self, moment):
        "Return the agent the customer is bound to, when available"
        pool = Pool()
        Leave = pool.get('helpdesk.calendar.leave')
        Party = pool.get('party.party')
        User = pool.get('res.user')
        if not self.party:
            return
        # Only the routing of the customer, not the whole party
        route, = Party.read(
            [self.party.id], ['helpdesk_agent', 'helpdesk_team'])
        if (route['helpdesk_agent'] is None
                or route['helpdesk_team'] != self.team.id):
            return
        agent = User(route['helpdesk_agent'])
        if agent.active and not Leave.users_on_leave(
                [agent], moment, calendar=self.team.calendar):
            return agent

    def _choose_assignee(self, moment, force=False):
        """Return the customer's agent or the agent chosen by the strategy
        of the team (always when forced), None when there is none

        The choice holds the lock of the team's assignments until the end
        of the transaction."""
        pool = Pool()
        Assignment = pool.get('helpdesk.team.assignment')
        user = self.get_routed_agent(moment)
        if not user and (self.team.auto_assign or force):
            Assignment.lock_team(self.team)
            user = self.team.choose_agent(moment)
        return user

    @classmethod
    def assign_automatically(cls, tickets, force=False):
        """Assign the unassigned open tickets to the customer's agent
        or by the strategy of their team (always when forced)"""
        now = dt.datetime.now()
        tickets = sorted(
            (t for t in tickets if not t.user and not t.is_closed),
            key=lambda t: (t.team.id, t.id))
        for ticket in tickets:
            user = ticket._choose_assignee(now, force=force)
            if not user and (ticket.team.auto_assign or force):
                ticket._notify_nobody_available()
            if user:
                values = {'user': user.id}
                if not ticket.assigned_date:
                    # With the user: a second write would run again all
                    # that follows a write of the ticket (SLA, followers)
                    values['assigned_date'] = now
                with without_check_access():
                    cls.write([ticket], values)

    def _notify_nobody_available(self):
        for leader in self.team.leaders:
            with Transaction().set_context(
                    language=leader.language.code
                    if leader.language else None):
                self.notify_user(
                    'tryton-warning',
                    gettext(
                        'helpdesk_core.msg_team_nobody_available',
                        team=self.team.rec_name),
                    gettext(
                        'helpdesk_core.msg_team_nobody_available_description',
                        ticket=self.rec_name),
                    user=leader.id)

    def _follower_emails(self):
        "Yield the email addresses that follow the ticket"
        if self.contact_email:
            yield self.contact_email
        yield from self.team.follower_email_list

    def _follower_users(self):
        "Yield the users who follow the ticket"
        if self.user:
            yield self.user
        yield from self.team.get_new_ticket_followers()

    def _followers(self):
        "Yield the (kind, value) of the ticket's followers, customer first"
        for email in self._follower_emails():
            yield 'email', normalize_email(email)
        for user in self._follower_users():
            yield 'user', user.id

    @classmethod
    def _create_channels(cls, tickets):
        """Insert the conversation channels of new tickets with their
        followers

        A new ticket has no channel yet. The rows are those the chat would
        create, inserted without its validation: it reads back each channel,
        its resource and each follower, which cost a fifth of the creation
        of a ticket."""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Follower = pool.get('ir.chat.follower')
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        channel = Channel.__table__()
        follower = Follower.__table__()
        if not tickets:
            return
        user = transaction.user
        now = CurrentTimestamp()
        for sub_tickets in grouped_slice(tickets, MAX_QUERY_PARAMS // 4):
            sub_tickets = list(sub_tickets)
            resources = [str(t) for t in sub_tickets]
            cursor.execute(*channel.insert(
                    [channel.resource, channel.identifier,
                        channel.create_uid, channel.create_date],
                    [[r, uuid.uuid4().hex, user, now] for r in resources]))
            cursor.execute(*channel.select(
                    channel.resource, channel.id,
                    where=channel.resource.in_(resources)))
            channel_ids = dict(cursor)
            rows = []
            for ticket in sub_tickets:
                team_users = {
                    u.id for u in ticket.team.get_new_ticket_followers()}
                followed = set()
                for kind, value in ticket._followers():
                    if value in followed:
                        continue
                    followed.add(value)
                    rows.append([
                            channel_ids[str(ticket)], ticket.id,
                            value if kind == 'user' else None,
                            value if kind == 'email' else None,
                            kind == 'user' and value in team_users,
                            user, now])
            for sub_rows in grouped_slice(rows, MAX_QUERY_PARAMS // 6):
                cursor.execute(*follower.insert(
                        [follower.channel, follower.helpdesk_ticket,
                            follower.user, follower.email,
                            follower.helpdesk_through_team,
                            follower.create_uid, follower.create_date],
                        list(sub_rows)))

    @classmethod
    def _add_followers(cls, tickets):
        """Make the customer, the assignee and the team's followers follow
        the tickets, with one query for the channels and the followers
        there are and one creation of each for those missing"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Follower = pool.get('ir.chat.follower')
        if not tickets:
            return
        resources = [str(t) for t in tickets]
        channels = {
            str(c.resource): c for c in Channel.search([
                    ('resource', 'in', resources),
                    ])}
        existing = [c.id for c in channels.values()]
        missing = [r for r in resources if r not in channels]
        if missing:
            channels.update(zip(
                    missing,
                    Channel.create([{'resource': r} for r in missing])))
        # The new channels have no follower yet
        following = {
            (f.channel.id, f.user.id if f.user else normalize_email(f.email))
            for f in Follower.search([('channel', 'in', existing)])
            } if existing else set()
        to_create = []
        for ticket in tickets:
            channel = channels[str(ticket)]
            # The customer comes first among the followers
            for kind, value in ticket._followers():
                if (channel.id, value) in following:
                    continue
                following.add((channel.id, value))
                to_create.append({
                        'channel': channel.id,
                        'helpdesk_ticket': ticket.id,
                        kind: value,
                        })
        Follower.create(to_create)

    @classmethod
    def _send_stage_email(cls, tickets):
        """Post the email template of the stage the tickets entered to their
        customer: with a worker for Tryton's queue (`[queue] worker =
        True`), by a task of the queue created in the transaction, so that
        the user does not wait for it; else at once"""
        entered = [
            (t.id, t.stage.id) for t in tickets if t.stage.email_template]
        if not entered:
            return
        if has_worker():
            transaction = Transaction()
            companies = defaultdict(list)
            for ticket in tickets:
                companies[ticket.company.id if ticket.company else None
                    ].append(ticket)
            for company, company_tickets in companies.items():
                ids = {t.id for t in company_tickets}
                # Only what the task needs: the request's context may hold
                # values that do not serialise
                with transaction.reset_context(), transaction.set_context(
                        company=company):
                    cls.__queue__.post_stage_email(
                        company_tickets,
                        [[t, s] for t, s in entered if t in ids])
        else:
            cls.post_stage_email(tickets, entered)

    @classmethod
    def post_stage_email(cls, tickets, entered):
        """Post to the customer of each ticket the email template of the
        stage it entered, entered being pairs [ticket id, stage id]

        The conversation keeps the text; the subject and the HTML of the
        template go with the message in stage_email, for the e-mail."""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Stage = pool.get('helpdesk.stage')
        Template = pool.get('ir.email.template')
        transaction = Transaction()
        stages = dict(entered)
        for ticket in tickets:
            stage = Stage(stages[ticket.id]) if ticket.id in stages else None
            if not stage or not stage.email_template:
                continue
            language = ticket.chat_language(audience='public')
            with transaction.set_context(language=language):
                template = Template(stage.email_template.id)
                values = template.get(ticket)
            body = values.get('body')
            if body and is_html(body):
                html, body = body, html_to_text(body)
            else:
                html = None
            if body:
                token = stage_email.set({
                        'subject': values.get('subject'),
                        'html': html,
                        })
                try:
                    with transaction.set_user(0):
                        Channel.post(ticket, body, audience='public')
                finally:
                    stage_email.reset(token)

    def check_chat_message(self, message):
        "Check the message may be posted on the ticket"
        if message.audience == 'public' and self.state == 'cancelled':
            raise TicketReplyError(gettext(
                    'helpdesk_core.msg_ticket_reply_cancelled',
                    ticket=self.rec_name))

    @classmethod
    def _chat_author_role(cls, message):
        "Return agent, customer or system for the author of the message"
        if message.user:
            if message.user.id == 0:
                return 'system'
            if set(agent_group_ids()) & {g.id for g in message.user.groups}:
                return 'agent'
        return 'customer'

    @classmethod
    def process_chat_messages(cls, tickets_messages):
        """Keep the ticket's message dates true and reopen the tickets
        on which the customer wrote"""
        reopen = []
        for ticket, message in tickets_messages:
            role = cls._chat_author_role(message)
            values = {}
            if role == 'customer':
                values['last_customer_message'] = message.create_date
                if ticket.state in {'waiting', 'solved'}:
                    reopen.append(ticket)
            elif role == 'agent' and message.audience == 'public':
                values['last_agent_message'] = message.create_date
                if not ticket.first_response_date:
                    values['first_response_date'] = message.create_date
            if values:
                cls._set_message_dates(ticket, values)
        if reopen:
            cls._reopen(reopen)

    @classmethod
    def _set_message_dates(cls, ticket, values):
        """Store the dates of the conversation on the ticket

        They are written directly: a message must not make the form the
        agent has open look modified by someone else."""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        columns = [getattr(table, name) for name in values]
        cursor.execute(*table.update(
                columns, list(values.values()),
                where=table.id == ticket.id))
        # The records of the transaction must see the new values
        for cache in Transaction().cache.values():
            if cls.__name__ in cache:
                cache[cls.__name__].pop(ticket.id, None)
        ticket._local_cache.pop(ticket.id, None)
        for name, value in values.items():
            setattr(ticket, name, value)

    @classmethod
    def _move_to(cls, tickets, category):
        "Move the tickets to the first stage of the category of their team"
        to_write = []
        for team, team_tickets in cls._group_by_team(tickets).items():
            stage = team.get_stage(category)
            to_write.extend((team_tickets, {'stage': stage.id}))
        if to_write:
            cls.write(*to_write)

    @classmethod
    def _group_by_team(cls, tickets):
        teams = defaultdict(list)
        for ticket in tickets:
            teams[ticket.team].append(ticket)
        return teams

    @classmethod
    def _reopen(cls, tickets):
        assigned = [t for t in tickets if t.user]
        unassigned = [t for t in tickets if not t.user]
        if assigned:
            cls._move_to(assigned, 'in_progress')
        for ticket in unassigned:
            categories = [s.category for s in ticket.team.get_stages()]
            category = 'new' if 'new' in categories else 'in_progress'
            cls._move_to([ticket], category)

    @classmethod
    @ModelView.button
    def assign_to_me(cls, tickets):
        user_id = Transaction().user
        to_assign = [t for t in tickets if not t.user or t.user.id != user_id]
        if to_assign:
            cls.write(to_assign, {'user': user_id})
        new = [t for t in tickets if t.state == 'new']
        if new:
            cls._move_to(new, 'in_progress')

    @classmethod
    @ModelView.button
    def assign_auto(cls, tickets):
        cls.assign_automatically(tickets, force=True)

    @classmethod
    @ModelView.button_action('helpdesk_core.wizard_transfer_ask')
    def transfer(cls, tickets):
        pass

    @classmethod
    @ModelView.button
    def wait(cls, tickets):
        cls._move_to(tickets, 'waiting')

    @classmethod
    @ModelView.button
    def solve(cls, tickets):
        cls._move_to(tickets, 'solved')

    @classmethod
    @ModelView.button
    def cancel(cls, tickets):
        cls._move_to(tickets, 'cancelled')

    @classmethod
    @ModelView.button
    def reopen(cls, tickets):
        cls._reopen(tickets)

    @classmethod
    def read(cls, ids, fields_names):
        # A page of the list reads 80 tickets. trytond gives the string of
        # a selection with a fields_get for each row, the rec_name with an
        # instance for each row, the context of a relation (the customer's)
        # evaluated for each row and the tags with a search and a read of
        # their relation: here they come from the columns, a context for
        # each value of what it depends on and one query.
        transaction = Transaction()
        suffix = ':string'
        strings = {
            n[:-len(suffix)] for n in fields_names
            if n.endswith(suffix) and isinstance(getattr(
                    cls._fields.get(n[:-len(suffix)]), 'selection', None),
                (list, tuple))}
        rec_name = 'rec_name' in fields_names
        contextual = defaultdict(list)
        if 'related_read_limit' not in transaction.context:
            for name in fields_names:
                fname, dot, subfield = name.partition('.')
                field = cls._fields.get(fname)
                if (dot and field is not None and field._type == 'many2one'
                        and field.context
                        and field.depends <= cls._fields.keys()):
                    contextual[fname].append(subfield)
        tags = ('tags' in fields_names
            and not any(n.startswith('tags.') for n in fields_names))
        if not (strings or rec_name or contextual or tags):
            return super().read(ids, fields_names)
        names = [n for n in fields_names
            if n != 'rec_name'
            and not (n.endswith(suffix) and n[:-len(suffix)] in strings)
            and not ('.' in n and n.partition('.')[0] in contextual)
            and not (tags and n == 'tags')]
        needed = set(strings)
        if rec_name:
            needed |= {'number', 'name'}
        for fname in contextual:
            needed |= {fname} | cls._fields[fname].depends
        extra = needed - set(names)
        rows = super().read(ids, names + sorted(extra))
        definitions = cls.fields_get(sorted(strings)) if strings else {}
        for name in strings:
            field = cls._fields[name]
            selection = dict(definitions[name]['selection'])
            for row in rows:
                row[name + suffix] = field.get_selection_string(
                    selection, row[name])
        for fname, subfields in contextual.items():
            cls._read_contextual(fname, subfields, rows)
        if tags:
            cls._read_tags(rows)
        for row in rows:
            if rec_name:
                row['rec_name'] = cls._format_rec_name(
                    row['number'], row['name'])
            for name in extra:
                del row[name]
        return rows

    @classmethod
    def _read_contextual(cls, fname, subfields, rows):
        """Add the subfields of the many2one fname to the rows, read in the
        context of the field for each value of what it depends on"""
        field = cls._fields[fname]
        Target = field.get_target()
        context = PYSONEncoder().encode(field.context)
        depends = sorted(field.depends)
        contexts, groups = {}, defaultdict(list)
        for row in rows:
            key = tuple(row[d] for d in depends)
            if key not in contexts:
                contexts[key] = freeze(PYSONDecoder(row).decode(context))
            groups[contexts[key]].append(row)
        for ctx, group in groups.items():
            target_ids = list(dict.fromkeys(
                    r[fname] for r in group
                    if r[fname] is not None and r[fname] >= 0))
            with Transaction().set_context(unfreeze(ctx)):
                targets = {
                    t['id']: t for t in Target.read(target_ids, subfields)}
            for row in group:
                value = row[fname]
                row[fname + '.'] = (
                    targets[value] if value is not None and value >= 0
                    else None)

    @classmethod
    def _read_tags(cls, rows):
        "Add the ids of the tags of the rows, in the order they were given"
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        TicketTag = pool.get('helpdesk.ticket-helpdesk.tag')
        ModelAccess.check(TicketTag.__name__, 'read')
        table = TicketTag.__table__()
        cursor = Transaction().connection.cursor()
        tags = defaultdict(list)
        for sub_ids in grouped_slice(
                [r['id'] for r in rows], MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.ticket, table.tag,
                    where=table.ticket.in_(list(sub_ids)),
                    order_by=[table.ticket, table.id]))
            for ticket_id, tag_id in cursor:
                tags[ticket_id].append(tag_id)
        for row in rows:
            row['tags'] = tuple(tags[row['id']])

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('number', None)
        default.setdefault('stage', None)
        default.setdefault('user', None)
        default.setdefault('assigned_date', None)
        default.setdefault('first_response_date', None)
        default.setdefault('closed_date', None)
        default.setdefault('last_customer_message', None)
        default.setdefault('last_agent_message', None)
        default.setdefault('merged_into', None)
        default.setdefault('transfers', None)
        default.setdefault('request_key', None)
        return super().copy(tickets, default=default)

    @classmethod
    def _followers_query(cls, invited=False):
        """Return the table of ticket ids with their following users and
        emails, only those who do not follow through the team if invited"""
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        follower = Follower.__table__()
        if invited:
            where = Follower.helpdesk_invited_where(follower)
        else:
            where = follower.helpdesk_ticket != Null
        return follower.select(
            follower.helpdesk_ticket.as_('ticket'),
            follower.user.as_('user'),
            Lower(follower.email).as_('email'),
            where=where)

    @classmethod
    def get_follower_users(cls, tickets, name):
        followers = {t.id: [] for t in tickets}
        query = cls._followers_query(invited=name == 'invited_users')
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(list(followers), MAX_QUERY_PARAMS):
            cursor.execute(*query.select(
                    query.ticket, query.user,
                    where=query.ticket.in_(list(sub_ids))
                    & (query.user != Null)))
            for ticket_id, user_id in cursor:
                followers[ticket_id].append(user_id)
        return followers

    @classmethod
    def search_follower_users(cls, name, clause):
        pool = Pool()
        User = pool.get('res.user')
        _, operator, value = clause[:3]
        query = cls._followers_query(invited=name == 'invited_users')
        if operator in {'=', '!='} and (
                value is None or isinstance(value, int)):
            users = [value] if value is not None else []
        else:
            users = [u.id for u in User.search(
                    [('rec_name', operator, value)], order=[])]
        where = query.user.in_(users or [-1])
        tickets = query.select(query.ticket, where=where)
        if operator.startswith('!') or operator.startswith('not '):
            return [('id', 'not in', tickets)]
        return [('id', 'in', tickets)]

    @classmethod
    def portal_domain(cls, party=None, email=None):
        """Return the domain of the tickets a portal user may see

        In the teams open to the portal: the tickets the user follows by
        email and those of the user's party."""
        query = cls._followers_query()
        whose = ['OR']
        if email:
            email = normalize_email(email).lower()
            whose.append(('id', 'in', query.select(
                        query.ticket, where=query.email == email)))
        if party:
            whose.append(('party', '=', party.id))
        if len(whose) == 1:
            return [('id', '=', None)]
        return [
            ('team.visibility', '=', 'portal'),
            ('merged_into', '=', None),
            whose,
            ]

    @classmethod
    def portal_emails(cls, emails):
        """Return the emails among emails that sign in to the portal

        The website module knows the portal accounts."""
        return set()

    def portal_may_see(self, party=None, email=None):
        "Tell if a portal user of the party with the email may see the ticket"
        with Transaction().set_context(active_test=False), \
                without_check_access():
            return bool(self.search([
                        ('id', '=', self.id),
                        self.portal_domain(party=party, email=email),
                        ], limit=1))

    @classmethod
    def from_email_subject(cls, subject):
        "Return the ticket whose number is in brackets in the subject"
        numbers = _SUBJECT_NUMBER.findall(subject or '')
        if numbers:
            tickets = cls.search([
                    ('number', 'in', numbers),
                    ('active', 'in', [True, False]),
                    ], limit=1)
            if tickets:
                ticket, = tickets
                return ticket

    @classmethod
    def check_chat_access(cls, ticket_id):
        "Raise unless the current user may see the ticket"
        with Transaction().set_context(active_test=False):
            if not cls.search([('id', '=', ticket_id)], limit=1):
                raise AccessError(gettext(
                        'helpdesk_core.msg_ticket_chat_access'))


class TicketTag(ModelSQL):
    __name__ = 'helpdesk.ticket-helpdesk.tag'

    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", required=True, ondelete='CASCADE')
    tag = fields.Many2One(
        'helpdesk.tag', "Tag", required=True, ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ticket, Index.Equality())),
                Index(t, (t.tag, Index.Equality())),
                })
