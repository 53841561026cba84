# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.cache import Cache
from trytond.pool import Pool, PoolMeta


class Calendar(metaclass=PoolMeta):
    __name__ = 'helpdesk.calendar'

    # The working time of the calendars without personal leaves, shared by
    # the transactions until a calendar, an attendance or a leave changes
    _sla_working_time_cache = Cache(
        'helpdesk.calendar.sla_working_time', context=False)

    def get_sla_working_time(self):
        "Return the WorkingTime on which the SLA deadlines are counted"
        working_time = self._sla_working_time_cache.get(self.id)
        if working_time is None:
            working_time = self.working_time()
            self._sla_working_time_cache.set(self.id, working_time)
        return working_time

    @classmethod
    def on_modification(cls, mode, calendars, field_names=None):
        super().on_modification(mode, calendars, field_names=field_names)
        cls._sla_working_time_cache.clear()
        if mode == 'write' and 'timezone' in field_names:
            cls.sla_reschedule(calendars)

    @classmethod
    def sla_reschedule(cls, calendars):
        """Compute again the running SLA deadlines counted on the
        calendars

        Many deadlines are computed again by the task queue after the
        change is committed."""
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        ids = [c.id for c in calendars]
        if not ids:
            return
        # Forget the working time read before the change
        cls._sla_working_time_cache.clear()
        TicketSLA.reschedule_ongoing(['OR',
                ('sla.calendar', 'in', ids),
                [
                    ('sla.calendar', '=', None),
                    ('sla.team.calendar', 'in', ids),
                    ],
                ])


class _CalendarChildMixin:
    "Keep the SLA deadlines true when the working time changes"
    __slots__ = ()

    def _sla_relevant(self):
        return True

    @classmethod
    def _sla_calendars(cls, records):
        return list({r.calendar for r in records if r._sla_relevant()})

    @classmethod
    def on_modification(cls, mode, records, field_names=None):
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        super().on_modification(mode, records, field_names=field_names)
        Calendar._sla_working_time_cache.clear()
        if mode == 'create':
            Calendar.sla_reschedule(cls._sla_calendars(records))

    @classmethod
    def on_write(cls, records, values):
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        callbacks = super().on_write(records, values)
        # The calendars before and after: a record can move or change kind
        before = cls._sla_calendars(records)
        ids = [r.id for r in records]

        def reschedule():
            after = cls._sla_calendars(cls.browse(ids))
            Calendar.sla_reschedule(
                Calendar.browse(sorted({c.id for c in before + after})))
        callbacks.append(reschedule)
        return callbacks

    @classmethod
    def on_delete(cls, records):
        pool = Pool()
        Calendar = pool.get('helpdesk.calendar')
        callbacks = super().on_delete(records)
        calendars = cls._sla_calendars(records)
        if calendars:
            ids = [c.id for c in calendars]
            callbacks.append(
                lambda: Calendar.sla_reschedule(Calendar.browse(ids)))
        return callbacks


class Attendance(_CalendarChildMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.calendar.attendance'


class Leave(_CalendarChildMixin, metaclass=PoolMeta):
    __name__ = 'helpdesk.calendar.leave'

    def _sla_relevant(self):
        # Personal time off does not move the deadlines
        return not self.user


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    @classmethod
    def on_modification(cls, mode, teams, field_names=None):
        pool = Pool()
        TicketSLA = pool.get('helpdesk.ticket.sla')
        super().on_modification(mode, teams, field_names=field_names)
        if mode == 'write' and 'calendar' in field_names:
            TicketSLA.reschedule_ongoing([
                    ('sla.calendar', '=', None),
                    ('sla.team', 'in', [t.id for t in teams]),
                    ])
