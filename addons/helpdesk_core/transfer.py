# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Eval, Id
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import TicketStageError, TransferError


class Transfer(Workflow, ModelSQL, ModelView):
    __name__ = 'helpdesk.ticket.transfer'

    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", required=True, readonly=True,
        ondelete='CASCADE')
    from_team = fields.Many2One(
        'helpdesk.team', "From Team", required=True, readonly=True)
    to_team = fields.Many2One(
        'helpdesk.team', "To Team", required=True, readonly=True)
    to_user = fields.Many2One(
        'res.user', "To User", readonly=True,
        help="Leave empty to let the team assign it.")
    reason = fields.Text("Reason", readonly=True)
    requested_by = fields.Many2One(
        'res.user', "Requested By", required=True, readonly=True)
    state = fields.Selection([
            ('requested', "Requested"),
            ('approved', "Approved"),
            ('rejected', "Rejected"),
            ], "State", required=True, readonly=True, sort=False)
    decided_by = fields.Many2One('res.user', "Decided By", readonly=True)
    decision_date = fields.Timestamp("Decision Date", readonly=True)
    decidable = fields.Function(fields.Boolean(
            "Decidable",
            help="The current user decides on the transfer."),
        'get_decidable', searcher='search_decidable')
    rejection_reason = fields.Text(
        "Rejection Reason",
        states={
            'readonly': Eval('state') != 'requested',
            'invisible': Eval('state') == 'approved',
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('ticket')
        cls._order.insert(0, ('create_date', 'DESC'))
        cls._transitions |= {
            ('requested', 'approved'),
            ('requested', 'rejected'),
            }
        cls._buttons.update({
                'approve': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-ok',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': Eval('state') != 'requested',
                    'icon': 'tryton-cancel',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'requested'

    @classmethod
    def default_requested_by(cls):
        return Transaction().user

    def get_rec_name(self, name):
        return '%s → %s' % (self.ticket.rec_name, self.to_team.rec_name)

    @staticmethod
    def _manager_group():
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        return ModelData.get_id('helpdesk_core', 'group_helpdesk_manager')

    @classmethod
    def _is_manager(cls, user):
        "Tell if the user is a helpdesk manager: they decide on any transfer"
        return cls._manager_group() in {g.id for g in user.groups}

    @classmethod
    def may_decide(cls, team, user):
        """Tell if the user decides on the transfers into the team
        (or on any transfer without team)"""
        return ((team is not None and user in team.leaders)
            or cls._is_manager(user))

    @classmethod
    def deciders(cls, team):
        """Return the users who decide on the transfers into the team:
        its leaders, or the helpdesk managers of its company when it has
        none"""
        pool = Pool()
        User = pool.get('res.user')
        if team.leaders:
            return list(team.leaders)
        return User.search([
                ('groups', '=', cls._manager_group()),
                ('companies', '=', team.company.id),
                ], order=[('id', 'ASC')])

    def get_decidable(self, name):
        pool = Pool()
        User = pool.get('res.user')
        return (self.state == 'requested'
            and self.may_decide(self.to_team, User(Transaction().user)))

    @classmethod
    def search_decidable(cls, name, clause):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        User = pool.get('res.user')
        _, operator, value = clause[:3]
        user = User(Transaction().user)
        if cls._is_manager(user):
            teams = None
        else:
            with Transaction().set_context(active_test=False):
                teams = [t.id for t in Team.search([
                            ('leaders', '=', user.id),
                            ])]
        if (operator == '=') == bool(value):
            domain = [('state', '=', 'requested')]
            if teams is not None:
                domain.append(('to_team', 'in', teams))
            return domain
        domain = ['OR', ('state', '!=', 'requested')]
        if teams is not None:
            domain.append(('to_team', 'not in', teams))
        return domain

    @classmethod
    def request(cls, ticket, to_team, to_user=None, reason=None):
        """Transfer the ticket: at once inside its team for its leaders,
        else as a request the leaders of the destination decide on"""
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        if cls.search([
                    ('ticket', '=', ticket.id),
                    ('state', '=', 'requested'),
                    ], limit=1):
            raise TransferError(gettext(
                    'helpdesk_core.msg_transfer_pending',
                    ticket=ticket.rec_name))
        transfer = cls(
            ticket=ticket, from_team=ticket.team, to_team=to_team,
            to_user=to_user, reason=reason, requested_by=user)
        if to_team == ticket.team:
            if not cls.may_decide(to_team, user):
                raise TransferError(gettext(
                        'helpdesk_core.msg_transfer_reassign_leader',
                        ticket=ticket.rec_name, team=to_team.rec_name))
            if not to_user:
                raise TransferError(gettext(
                        'helpdesk_core.msg_transfer_same_team_user',
                        ticket=ticket.rec_name))
            transfer.save()
            cls._approve([transfer])
        else:
            transfer.save()
            ticket.chat_post(
                'helpdesk_core.msg_transfer_requested_note',
                user=user.rec_name, team=to_team.rec_name,
                reason=reason or '')
            for decider in cls.deciders(to_team):
                cls._notify(
                    transfer, decider,
                    'helpdesk_core.msg_transfer_requested_notification',
                    reason)
        return transfer

    @classmethod
    def _notify(cls, transfer, user, message, description=None):
        with Transaction().set_context(
                language=user.language.code if user.language else None):
            transfer.notify_user(
                'tryton-forward',
                gettext(message, ticket=transfer.ticket.rec_name,
                    team=transfer.to_team.rec_name),
                description, user=user.id)

    @classmethod
    def _check_decider(cls, transfers):
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        for transfer in transfers:
            if not cls.may_decide(transfer.to_team, user):
                raise TransferError(gettext(
                        'helpdesk_core.msg_transfer_decide_leader',
                        ticket=transfer.ticket.rec_name,
                        team=transfer.to_team.rec_name))

    @classmethod
    @ModelView.button
    @Workflow.transition('approved')
    def approve(cls, transfers):
        cls._check_decider(transfers)
        cls._approve(transfers)

    @classmethod
    def _approve(cls, transfers):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        user = Transaction().user
        for transfer in transfers:
            ticket = transfer.ticket
            to_user = transfer.to_user
            values = {'user': to_user.id if to_user else None}
            if transfer.to_team != ticket.team:
                values['team'] = transfer.to_team.id
                stages = transfer.to_team.get_stages()
                if ticket.stage not in stages:
                    same = [s for s in stages if s.category == ticket.state]
                    stage = (
                        same[0] if same else transfer.to_team.get_new_stage())
                    if not stage:
                        raise TicketStageError(gettext(
                                'helpdesk_core.msg_team_no_stage',
                                team=transfer.to_team.rec_name))
                    values['stage'] = stage.id
            # The decision is checked: the write is the system's
            with without_check_access():
                Ticket.write([ticket], values)
            ticket.chat_post(
                'helpdesk_core.msg_transfer_approved_note',
                team=transfer.to_team.rec_name,
                user=transfer.to_user.rec_name if transfer.to_user else '-')
            if transfer.requested_by.id != user:
                cls._notify(
                    transfer, transfer.requested_by,
                    'helpdesk_core.msg_transfer_approved_notification')
        cls.write(transfers, {
                'state': 'approved',
                'decided_by': user,
                'decision_date': dt.datetime.now(),
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('rejected')
    def reject(cls, transfers):
        cls._check_decider(transfers)
        for transfer in transfers:
            if not transfer.rejection_reason:
                raise TransferError(gettext(
                        'helpdesk_core.msg_transfer_rejection_reason',
                        ticket=transfer.ticket.rec_name))
        for transfer in transfers:
            transfer.ticket.chat_post(
                'helpdesk_core.msg_transfer_rejected_note',
                team=transfer.to_team.rec_name,
                reason=transfer.rejection_reason)
            cls._notify(
                transfer, transfer.requested_by,
                'helpdesk_core.msg_transfer_rejected_notification',
                transfer.rejection_reason)
        cls.write(transfers, {
                'decided_by': Transaction().user,
                'decision_date': dt.datetime.now(),
                })


class TransferAsk(Wizard):
    __name__ = 'helpdesk.ticket.transfer.ask'

    start = StateView(
        'helpdesk.ticket.transfer.ask.start',
        'helpdesk_core.transfer_ask_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Transfer", 'transfer', 'tryton-ok', default=True),
            ])
    transfer = StateTransition()

    def default_start(self, fields):
        return {
            'ticket': self.record.id,
            'to_team': self.record.team.id,
            }

    def transition_transfer(self):
        pool = Pool()
        Transfer = pool.get('helpdesk.ticket.transfer')
        Transfer.request(
            self.record, self.start.to_team, self.start.to_user,
            self.start.reason)
        return 'end'


class TransferAskStart(ModelView):
    __name__ = 'helpdesk.ticket.transfer.ask.start'

    ticket = fields.Many2One('helpdesk.ticket', "Ticket", readonly=True)
    to_team = fields.Many2One(
        'helpdesk.team', "To Team", required=True,
        help="Another team's leaders approve the transfer first.")
    to_user = fields.Many2One(
        'res.user', "To User",
        domain=[
            ('groups', 'in', [
                    Id('helpdesk_core', 'group_helpdesk'),
                    Id('helpdesk_core', 'group_helpdesk_manager'),
                    ]),
            ],
        help="Leave empty to let the team assign it.")
    reason = fields.Text("Reason")
