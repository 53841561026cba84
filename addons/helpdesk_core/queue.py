# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Tasks of Tryton's queue that a worker took and never finished"""

import datetime as dt
import logging

from sql import Null

import trytond.config as config
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


def lost_after():
    "How long a task may run before it is taken for lost"
    return dt.timedelta(seconds=config.getint(
            'helpdesk_core', 'queue_lost_after', default=600))


class Queue(metaclass=PoolMeta):
    __name__ = 'ir.queue'

    @classmethod
    def requeue_lost(cls):
        """Queue again the tasks taken by a worker more than
        queue_lost_after seconds ago and not finished (the cron job)

        A task runs in one transaction that also writes its end: one taken
        and not finished was rolled back with its work, when the worker's
        process was killed or lost the database. trytond leaves such a task
        taken for good; a copy of it is queued instead."""
        transaction = Transaction()
        database = transaction.database
        cursor = transaction.connection.cursor()
        table = cls.__table__()
        query = table.select(table.id,
            where=(table.finished_at == Null)
            & (table.dequeued_at < dt.datetime.now() - lost_after()))
        if database.has_select_for():
            # A task that ends meanwhile is left out once its end commits
            For = database.get_select_for_skip_locked()
            query.for_ = For('UPDATE')
        cursor.execute(*query)
        tasks = cls.browse([i for i, in cursor])
        for task in tasks:
            if copy := task._queued_again():
                logger.info(
                    "task %s (%s) taken at %s never finished: "
                    "already queued again as %s",
                    task.id, task.name, task.dequeued_at, copy.id)
                continue
            copy_id = cls.push(
                task.name, task.data, expected_at=task.expected_at)
            logger.warning(
                "task %s (%s) taken at %s never finished: queued again as %s",
                task.id, task.name, task.dequeued_at, copy_id)
        cls.delete(tasks)

    def _queued_again(self):
        """The copy of the task that trytond's worker queued itself, when
        the task failed on the database (it leaves the task taken and
        pushes the same one again): a second copy would do its work twice"""
        for task in self.search([
                    ('name', '=', self.name),
                    ('id', '>', self.id),
                    ('enqueued_at', '>=', self.dequeued_at),
                    ], order=[('id', 'ASC')]):
            if task.data == self.data:
                return task


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('ir.queue|requeue_lost', "Queue Again the Lost Tasks"))
