# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Fold duplicate tickets into one and take them out again

A merge moves the conversation and the attachments of a ticket onto the
surviving one, adds its followers and tags there and archives it. What it
changes is written on a merge log, from which "Undo Merge" puts everything
back."""

import datetime as dt
import json

from sql import Null
from sql.functions import Lower

from trytond.backend import MAX_QUERY_PARAMS
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.protocols.jsonrpc import JSONDecoder, JSONEncoder
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, check_access, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import TicketMergeError

# The dates of the survivor that take the earliest or the latest of the
# merged tickets
MERGED_DATES = {
    'create_date': min,
    'last_customer_message': max,
    'last_agent_message': max,
    }


def clear_cache(Model, ids):
    "The records of the transaction must see the rows written directly"
    for cache in Transaction().cache.values():
        if Model.__name__ in cache:
            for id_ in ids:
                cache[Model.__name__].pop(id_, None)


def dump_value(value):
    return json.dumps(value, cls=JSONEncoder, separators=(',', ':'))


def load_value(text):
    return json.loads(text, object_hook=JSONDecoder())


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    merge_logs = fields.One2Many(
        'helpdesk.ticket.merge.log', 'ticket', "Merges", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons['transfer']['invisible'] |= Eval('merged_into')
        cls._buttons['transfer']['depends'] = (
            list(cls._buttons['transfer'].get('depends', []))
            + ['merged_into'])
        cls._buttons.update({
                'merge': {
                    'invisible': Eval('merged_into') | ~Eval('active', True),
                    'icon': 'tryton-link',
                    'depends': ['merged_into', 'active'],
                    },
                'undo_merge': {
                    'invisible': ~Eval('merged_into'),
                    'icon': 'tryton-undo',
                    'depends': ['merged_into'],
                    },
                })

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        # A merged ticket is archived: its buttons are read-only but this
        cls._buttons['undo_merge'].pop('readonly', None)

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('merge_logs', None)
        return super().copy(tickets, default=default)

    @classmethod
    @ModelView.button_action('helpdesk_core.wizard_ticket_merge')
    def merge(cls, tickets):
        pass

    @classmethod
    @ModelView.button
    def undo_merge(cls, tickets):
        pool = Pool()
        Log = pool.get('helpdesk.ticket.merge.log')
        logs = []
        for ticket in tickets:
            if not ticket.merged_into:
                continue
            with Transaction().set_context(active_test=False), \
                    without_check_access():
                found = Log.search([
                        ('ticket', '=', ticket.id),
                        ('state', '=', 'merged'),
                        ], order=[('id', 'DESC')], limit=1)
            if not found:
                raise TicketMergeError(gettext(
                        'helpdesk_core.msg_ticket_merge_no_log',
                        ticket=ticket.rec_name))
            logs.extend(found)
        # The latest first: each undo finds the survivor as it left it
        Log.undo(sorted(logs, key=lambda l: l.id, reverse=True))

    @classmethod
    def check_merge_access(cls, tickets):
        "Raise unless the user may see and write every ticket"
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        Rule = pool.get('ir.rule')
        ids = [t.id for t in tickets]
        with check_access():
            ModelAccess.check(cls.__name__, 'write')
            for sub_ids in grouped_slice(ids, MAX_QUERY_PARAMS):
                sub_ids = list(sub_ids)
                Rule.check(cls.__name__, sub_ids, 'read')
                Rule.check(cls.__name__, sub_ids, 'write')

    @classmethod
    def check_mergeable(cls, survivor, tickets):
        for ticket in [survivor] + list(tickets):
            if ticket.merged_into:
                raise TicketMergeError(gettext(
                        'helpdesk_core.msg_ticket_merge_merged',
                        ticket=ticket.rec_name,
                        merged_into=ticket.merged_into.rec_name))
            if not ticket.active:
                raise TicketMergeError(gettext(
                        'helpdesk_core.msg_ticket_merge_archived',
                        ticket=ticket.rec_name))
            if ticket.company != survivor.company:
                raise TicketMergeError(gettext(
                        'helpdesk_core.msg_ticket_merge_company',
                        ticket=ticket.rec_name,
                        survivor=survivor.rec_name))

    @classmethod
    def merge_into(cls, survivor, tickets):
        """Merge the tickets into the survivor and return the merge logs

        The user must be allowed to see and write all of them."""
        pool = Pool()
        Log = pool.get('helpdesk.ticket.merge.log')
        ids = list(dict.fromkeys(t.id for t in tickets if t != survivor))
        if not ids:
            raise TicketMergeError(gettext(
                    'helpdesk_core.msg_ticket_merge_alone',
                    ticket=survivor.rec_name))
        cls.check_merge_access(cls.browse([survivor.id] + ids))
        cls.lock(cls.browse([survivor.id] + ids))
        # As they are now that nobody else changes them
        survivor, tickets = cls(survivor.id), cls.browse(ids)
        cls.check_mergeable(survivor, tickets)
        logs = []
        with without_check_access():
            for ticket in sorted(tickets, key=lambda t: t.id):
                log = Log(ticket=ticket, survivor=survivor, state='merged')
                for name in MERGED_DATES:
                    setattr(log, 'survivor_%s' % name,
                        getattr(cls(survivor.id), name))
                log.lines = cls._merge_into(log, survivor, ticket)
                log.save()
                logs.append(log)
                cls._set_merged_dates(survivor, [ticket])
            cls.write(tickets, {
                    'active': False,
                    'merged_into': survivor.id,
                    })
            cls._merged(survivor, tickets, logs)
        for ticket in tickets:
            ticket._merge_note(
                'helpdesk_core.msg_ticket_merged_note',
                survivor=survivor.rec_name)
        survivor._merge_note(
            'helpdesk_core.msg_ticket_merged_survivor_note',
            tickets=', '.join(t.rec_name for t in tickets))
        return logs

    @classmethod
    def _merge_into(cls, log, survivor, ticket):
        "Move the things of ticket onto survivor and return the log lines"
        lines = []
        lines.extend(cls._merge_messages(survivor, ticket))
        lines.extend(cls._merge_attachments(survivor, ticket))
        lines.extend(cls._merge_followers(survivor, ticket))
        lines.extend(cls._merge_tags(survivor, ticket))
        return lines

    @classmethod
    def _merged(cls, survivor, tickets, logs):
        "Called once the tickets are archived into the survivor"

    def _merge_note(self, message, **variables):
        "Post the internal note in the language of the ticket, synchronously"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        transaction = Transaction()
        with transaction.set_context(
                language=self.chat_language('internal')):
            text = gettext(message, ticket=self.rec_name, **variables)
        with transaction.set_user(0), without_check_access():
            Channel.post(self, text, audience='internal')

    @staticmethod
    def _merge_line(kind, record, value=None):
        pool = Pool()
        Line = pool.get('helpdesk.ticket.merge.log.line')
        return Line(
            kind=kind, record=record,
            value=dump_value(value) if value is not None else None)

    @classmethod
    def _chat_channel(cls, ticket):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        return Channel._get_channel(ticket)

    @classmethod
    def _merge_messages(cls, survivor, ticket):
        """Move the conversation: the messages keep their ids, so the
        survivor's conversation shows them in the order they were written"""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        message = Message.__table__()
        cursor = Transaction().connection.cursor()
        source = cls._chat_channel(ticket)
        target = cls._chat_channel(survivor)
        cursor.execute(*message.select(
                message.id, where=message.channel == source.id,
                order_by=[message.id.asc]))
        ids = [i for i, in cursor]
        cls._move_messages(ids, target)
        return [cls._merge_line('message', i) for i in ids]

    @classmethod
    def _move_messages(cls, ids, channel):
        pool = Pool()
        Message = pool.get('ir.chat.message')
        message = Message.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(ids, MAX_QUERY_PARAMS):
            cursor.execute(*message.update(
                    [message.channel], [channel.id],
                    where=message.id.in_(list(sub_ids))))
        clear_cache(Message, ids)

    @classmethod
    def _merge_attachments(cls, survivor, ticket):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        attachment = Attachment.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*attachment.select(
                attachment.id, where=attachment.resource == str(ticket),
                order_by=[attachment.id.asc]))
        ids = [i for i, in cursor]
        cls._move_attachments(ids, survivor)
        return [cls._merge_line('attachment', i) for i in ids]

    @classmethod
    def _move_attachments(cls, ids, ticket):
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        attachment = Attachment.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(ids, MAX_QUERY_PARAMS):
            cursor.execute(*attachment.update(
                    [attachment.resource], [str(ticket)],
                    where=attachment.id.in_(list(sub_ids))))
        clear_cache(Attachment, ids)

    @classmethod
    def _merge_followers(cls, survivor, ticket):
        """Make the followers of ticket follow the survivor

        The ticket keeps them: its followers still find the archived ticket
        that points to the survivor. Those who follow it only through its
        team are left out: they are no follower of the survivor's own."""
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        follower = Follower.__table__()
        cursor = Transaction().connection.cursor()
        target = cls._chat_channel(survivor)
        cursor.execute(*follower.select(
                follower.user, Lower(follower.email),
                where=follower.channel == target.id))
        following = set(cursor)
        source = cls._chat_channel(ticket)
        cursor.execute(*follower.select(
                follower.user, follower.email,
                where=(follower.channel == source.id)
                & ((follower.helpdesk_through_team == Null)
                    | ~follower.helpdesk_through_team),
                order_by=[follower.id.asc]))
        to_create = []
        for user, email in cursor.fetchall():
            key = (user, email.lower() if email else None)
            if key in following:
                continue
            following.add(key)
            to_create.append({
                    'channel': target.id,
                    'helpdesk_ticket': survivor.id,
                    'user': user,
                    'email': email,
                    })
        followers = Follower.create(to_create)
        return [cls._merge_line('follower', f.id) for f in followers]

    @classmethod
    def _merge_tags(cls, survivor, ticket):
        "Add the tags of ticket to the survivor, after its own"
        pool = Pool()
        TicketTag = pool.get('helpdesk.ticket-helpdesk.tag')
        tags = {t.id for t in cls(survivor.id).tags}
        to_create = []
        for tag in ticket.tags:
            if tag.id not in tags:
                tags.add(tag.id)
                to_create.append({'ticket': survivor.id, 'tag': tag.id})
        added = TicketTag.create(to_create)
        clear_cache(cls, [survivor.id])
        return [cls._merge_line('tag', t.id) for t in added]

    @classmethod
    def _set_merged_dates(cls, survivor, tickets):
        """Give the survivor the earliest creation date and the latest
        messages of the tickets

        The creation date is a column of the system: it is written
        directly, the previous one is on the merge log."""
        values = {}
        survivor = cls(survivor.id)
        for name, pick in MERGED_DATES.items():
            dates = [d for d in (
                    getattr(t, name) for t in [survivor] + list(tickets))
                if d is not None]
            value = pick(dates) if dates else None
            if value != getattr(survivor, name):
                values[name] = value
        if values:
            cls._write_dates(survivor, values)

    @classmethod
    def _write_dates(cls, ticket, values):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [getattr(table, n) for n in values], list(values.values()),
                where=table.id == ticket.id))
        clear_cache(cls, [ticket.id])


class MergeLog(ModelSQL, ModelView):
    __name__ = 'helpdesk.ticket.merge.log'

    ticket = fields.Many2One(
        'helpdesk.ticket', "Ticket", required=True, readonly=True,
        ondelete='CASCADE',
        help="The ticket merged into the survivor.")
    survivor = fields.Many2One(
        'helpdesk.ticket', "Survivor", required=True, readonly=True,
        ondelete='CASCADE',
        help="The ticket that received the merged one.")
    state = fields.Selection([
            ('merged', "Merged"),
            ('undone', "Undone"),
            ], "State", required=True, readonly=True, sort=False)
    survivor_create_date = fields.Timestamp(
        "Survivor Creation Date", readonly=True)
    survivor_last_customer_message = fields.Timestamp(
        "Survivor Last Customer Message", readonly=True)
    survivor_last_agent_message = fields.Timestamp(
        "Survivor Last Agent Message", readonly=True)
    lines = fields.One2Many(
        'helpdesk.ticket.merge.log.line', 'log', "Lines", readonly=True)
    undone_by = fields.Many2One('res.user', "Undone By", readonly=True)
    undone_date = fields.Timestamp("Undone Date", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('ticket')
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.ticket, Index.Equality())),
                Index(t,
                    (t.survivor, Index.Equality()),
                    where=t.state == 'merged'),
                })
        cls._order.insert(0, ('create_date', 'DESC'))

    @classmethod
    def default_state(cls):
        return 'merged'

    def get_rec_name(self, name):
        return '%s → %s' % (self.ticket.rec_name, self.survivor.rec_name)

    def check_undo(self):
        "Raise unless the merge may be undone now"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        survivor = Ticket(self.survivor.id)
        if survivor.merged_into:
            raise TicketMergeError(gettext(
                    'helpdesk_core.msg_ticket_merge_undo_survivor_merged',
                    ticket=self.ticket.rec_name,
                    survivor=survivor.rec_name,
                    merged_into=survivor.merged_into.rec_name))
        later = self.search([
                ('survivor', '=', survivor.id),
                ('state', '=', 'merged'),
                ('id', '>', self.id),
                ], order=[('id', 'DESC')], limit=1)
        if later:
            later, = later
            raise TicketMergeError(gettext(
                    'helpdesk_core.msg_ticket_merge_undo_later',
                    ticket=self.ticket.rec_name,
                    survivor=survivor.rec_name,
                    later=later.ticket.rec_name))

    @classmethod
    def undo(cls, logs):
        """Take the merged tickets out of their survivor as they were,
        the latest merge first"""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        transaction = Transaction()
        tickets = [l.ticket for l in logs]
        survivors = [l.survivor for l in logs]
        Ticket.check_merge_access(tickets + survivors)
        Ticket.lock(tickets + survivors)
        for log in logs:
            with transaction.set_context(active_test=False):
                log = cls(log.id)
                with without_check_access():
                    # Whether the user sees the later merges or not
                    log.check_undo()
                    log._undo()
            log.ticket._merge_note(
                'helpdesk_core.msg_ticket_merge_undone_note',
                survivor=log.survivor.rec_name)
            log.survivor._merge_note(
                'helpdesk_core.msg_ticket_merge_undone_survivor_note',
                merged=log.ticket.rec_name)

    def _undo(self):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Line = pool.get('helpdesk.ticket.merge.log.line')
        ticket, survivor = self.ticket, self.survivor
        Ticket.write([ticket], {
                'active': True,
                'merged_into': None,
                })
        kinds = {}
        for line in self.lines:
            kinds.setdefault(line.kind, []).append(line)
        for kind, _ in Line.kind.selection:
            if kind in kinds:
                getattr(self, '_undo_%s' % kind)(kinds[kind])
        values = {}
        survivor = Ticket(survivor.id)
        for name in MERGED_DATES:
            value = getattr(self, 'survivor_%s' % name)
            if value != getattr(survivor, name):
                values[name] = value
        if values:
            Ticket._write_dates(survivor, values)
        self.state = 'undone'
        self.undone_by = Transaction().user
        self.undone_date = dt.datetime.now()
        self.save()

    def _undo_message(self, lines):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Message = pool.get('ir.chat.message')
        target = Ticket._chat_channel(self.survivor)
        ids = [m.id for m in Message.browse([l.record for l in lines])
            if m.channel == target]
        Ticket._move_messages(ids, Ticket._chat_channel(self.ticket))

    def _undo_attachment(self, lines):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Attachment = pool.get('ir.attachment')
        attachment = Attachment.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*attachment.select(
                attachment.id,
                where=attachment.id.in_([l.record for l in lines])
                & (attachment.resource == str(self.survivor))))
        Ticket._move_attachments([i for i, in cursor], self.ticket)

    def _undo_follower(self, lines):
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        # Those the agents removed since are gone already
        Follower.delete(Follower.search([
                    ('id', 'in', [l.record for l in lines]),
                    ]))

    def _undo_tag(self, lines):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        TicketTag = pool.get('helpdesk.ticket-helpdesk.tag')
        TicketTag.delete(TicketTag.search([
                    ('id', 'in', [l.record for l in lines]),
                    ]))
        clear_cache(Ticket, [self.survivor.id])


class MergeLogLine(ModelSQL):
    __name__ = 'helpdesk.ticket.merge.log.line'

    log = fields.Many2One(
        'helpdesk.ticket.merge.log', "Log", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('message', "Message"),
            ('attachment', "Attachment"),
            ('follower', "Follower"),
            ('tag', "Tag"),
            ], "Kind", required=True,
        help="What the merge moved or added, in the order it is undone.")
    record = fields.Integer(
        "Record", required=True,
        help="The id of what was moved or added.")
    value = fields.Text(
        "Value", help="What was there before, in JSON, when it was changed.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('log')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.log, Index.Equality())))

    @property
    def previous(self):
        if self.value is not None:
            return load_value(self.value)


class MergeStart(ModelView):
    __name__ = 'helpdesk.ticket.merge.start'

    survivor = fields.Many2One(
        'helpdesk.ticket', "Surviving Ticket", required=True,
        domain=[
            ('id', 'in', Eval('ticket_ids', [])),
            ],
        help="The ticket that keeps the conversation; the others are "
        "archived into it.")
    tickets = fields.One2Many(
        'helpdesk.ticket.merge.start.ticket', None, "Tickets",
        help="Check the tickets to merge into the surviving one.")
    ticket_ids = fields.Many2Many(
        'helpdesk.ticket', None, None, "Ticket IDs", readonly=True)

    @fields.depends('survivor', 'tickets')
    def on_change_survivor(self):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        if not self.survivor:
            return
        others = [l.ticket for l in self.tickets or [] if l.ticket]
        scores = Ticket.similarity_scores(
            self.survivor, [t for t in others if t != self.survivor])
        lines = []
        for line in self.tickets or []:
            if line.survivor and line.ticket != self.survivor:
                # The previous survivor was selected: it is merged now
                line.merge = True
            line.survivor = line.ticket == self.survivor
            line.score = (
                1. if line.survivor else scores.get(line.ticket.id, 0.))
            lines.append(line)
        self.tickets = lines


class MergeStartTicket(ModelView):
    __name__ = 'helpdesk.ticket.merge.start.ticket'

    merge = fields.Boolean(
        "Merge", states={
            'readonly': Eval('survivor', False),
            },
        help="Merge the ticket into the surviving one.")
    ticket = fields.Many2One('helpdesk.ticket', "Ticket", readonly=True)
    survivor = fields.Boolean("Survivor", readonly=True)
    score = fields.Float(
        "Similarity", digits=(1, 2), readonly=True,
        help="How much the ticket looks like the surviving one, "
        "from 0 to 1.")
    create_date = fields.DateTime("Created", readonly=True)
    team = fields.Many2One('helpdesk.team', "Team", readonly=True)
    party = fields.Many2One('party.party', "Customer", readonly=True)
    contact_email = fields.Char("Contact Email", readonly=True)
    state = fields.Char("State", readonly=True)


class Merge(Wizard):
    __name__ = 'helpdesk.ticket.merge'

    start = StateView(
        'helpdesk.ticket.merge.start',
        'helpdesk_core.ticket_merge_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Merge", 'merge', 'tryton-ok', default=True),
            ])
    merge = StateTransition()

    def _candidates(self):
        """The selected tickets, and for a single one its likely
        duplicates the user may check"""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        selected = sorted(
            self.records, key=lambda t: (t.create_date, t.id))
        candidates = []
        if len(selected) == 1:
            ticket, = selected
            candidates = [t for t, _ in Ticket.duplicate_candidates(
                    ticket.name, description=ticket.description,
                    party=ticket.party, contact_email=ticket.contact_email,
                    team=ticket.team, exclude=[ticket.id])
                if not t.merged_into and t.active]
        return selected, candidates

    def default_start(self, fields):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        selected, candidates = self._candidates()
        tickets = sorted(
            selected + candidates, key=lambda t: (t.create_date, t.id))
        # The oldest of the selected tickets survives
        survivor = selected[0]
        scores = Ticket.similarity_scores(
            survivor, [t for t in tickets if t != survivor])
        selection = dict(Ticket.fields_get(['state'])['state']['selection'])
        lines = []
        for ticket in tickets:
            lines.append({
                    'merge': ticket in selected,
                    'ticket': ticket.id,
                    'survivor': ticket == survivor,
                    'score': (
                        1. if ticket == survivor
                        else scores.get(ticket.id, 0.)),
                    'create_date': ticket.create_date,
                    'team': ticket.team.id,
                    'party': ticket.party.id if ticket.party else None,
                    'contact_email': ticket.contact_email,
                    'state': selection.get(ticket.state, ticket.state),
                    })
        return {
            'survivor': survivor.id,
            'tickets': lines,
            'ticket_ids': [t.id for t in tickets],
            }

    def transition_merge(self):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        survivor = self.start.survivor
        tickets = [
            l.ticket for l in self.start.tickets
            if (l.merge or l.ticket == survivor) and l.ticket]
        if survivor not in tickets:
            raise TicketMergeError(gettext(
                    'helpdesk_core.msg_ticket_merge_survivor_listed',
                    ticket=survivor.rec_name))
        Ticket.merge_into(
            survivor, [t for t in tickets if t != survivor])
        return 'end'


class Transfer(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket.transfer'

    @classmethod
    def request(cls, ticket, to_team, to_user=None, reason=None):
        cls._check_not_merged([ticket])
        return super().request(
            ticket, to_team, to_user=to_user, reason=reason)

    @classmethod
    def _approve(cls, transfers):
        cls._check_not_merged([t.ticket for t in transfers])
        super()._approve(transfers)

    @staticmethod
    def _check_not_merged(tickets):
        for ticket in tickets:
            if ticket.merged_into:
                raise TicketMergeError(gettext(
                        'helpdesk_core.msg_ticket_merged_transfer',
                        ticket=ticket.rec_name,
                        merged_into=ticket.merged_into.rec_name))
