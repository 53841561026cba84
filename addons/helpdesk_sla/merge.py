# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The SLA clocks of merged tickets

Per policy, the survivor keeps the clock with the earliest deadline: the
customer has waited since the first of the duplicates. The clocks as they
were are on the merge log and come back when the merge is undone."""

from trytond.pool import Pool, PoolMeta

from . import common

# The fields of a ticket SLA that make its clock
CLOCK_FIELDS = [
    'start_date', 'deadline', 'reached_date', 'status', 'paused_since',
    'paused_hours', 'paused_duration', 'reached_hours']


def _clock(ticket_sla):
    return {n: getattr(ticket_sla, n) for n in CLOCK_FIELDS}


def _earlier(clock, other):
    "Tell if the deadline of clock comes before the one of other"
    if clock.deadline is None:
        return False
    return other.deadline is None or clock.deadline < other.deadline


def _pending(clock):
    """Tell if the clock still waits for its target: a duplicate that
    reached it does not make the survivor reach it"""
    return clock.reached_date is None


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    @classmethod
    def _merge_into(cls, log, survivor, ticket):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        lines = super()._merge_into(log, survivor, ticket)
        moment = common.now()
        survivor = cls(survivor.id)
        own = {ts.sla: ts for ts in TicketSLA.search([
                    ('ticket', '=', survivor.id),
                    ])}
        to_save, events = [], []
        for ticket_sla in TicketSLA.search([('ticket', '=', ticket.id)]):
            # The clocks of the ticket are paused while it is archived
            lines.append(cls._merge_line(
                    'sla_source', ticket_sla.id, _clock(ticket_sla)))
            if not _pending(ticket_sla):
                continue
            policy = ticket_sla.sla
            current = own.get(policy)
            if current is None:
                if not policy.applies_to(survivor):
                    continue
                current = TicketSLA(ticket=survivor, sla=policy)
                created = True
            elif _earlier(ticket_sla, current):
                lines.append(cls._merge_line(
                        'sla_survivor', current.id, _clock(current)))
                created = False
            else:
                continue
            for name, value in _clock(ticket_sla).items():
                setattr(current, name, value)
            if created:
                current.save()
                lines.append(cls._merge_line('sla_created', current.id))
            own[policy] = current
            to_save.append(current)
            events.append(current._event('reschedule', moment))
        TicketSLA._save(to_save, events)
        return lines

    @classmethod
    def _merged(cls, survivor, tickets, logs):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        super()._merged(survivor, tickets, logs)
        TicketSLA.update_tickets([survivor], apply=False)


class MergeLog(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket.merge.log'

    def _undo(self):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        super()._undo()
        TicketSLA.update_tickets([self.ticket, self.survivor], apply=False)

    def _restore_clocks(self, lines):
        "Put back the clocks as they were at the merge"
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        existing = {ts.id: ts for ts in TicketSLA.search([
                    ('id', 'in', [l.record for l in lines]),
                    ])}
        moment = common.now()
        to_save, events = [], []
        for line in lines:
            ticket_sla = existing.get(line.record)
            if ticket_sla is None:
                continue
            for name, value in line.previous.items():
                setattr(ticket_sla, name, value)
            to_save.append(ticket_sla)
            events.append(ticket_sla._event('reschedule', moment))
        TicketSLA._save(to_save, events)

    def _undo_sla_source(self, lines):
        self._restore_clocks(lines)

    def _undo_sla_survivor(self, lines):
        self._restore_clocks(lines)

    def _undo_sla_created(self, lines):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        TicketSLA._stop(TicketSLA.search([
                    ('id', 'in', [l.record for l in lines]),
                    ]), common.now())


class MergeLogLine(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket.merge.log.line'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection += [
            ('sla_source', "SLA of the Merged Ticket"),
            ('sla_survivor', "SLA of the Survivor"),
            ('sla_created', "SLA Added to the Survivor"),
            ]
