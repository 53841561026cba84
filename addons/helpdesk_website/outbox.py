# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The outbox: every e-mail of the helpdesk is kept in the transaction that
writes it and sent after the commit, by Tryton's queue worker when there is
one. A mail the SMTP server refuses or cannot take (the server is down) is
tried again later, with a growing delay, instead of being lost."""

import datetime as dt
import email
import email.policy
import logging
import smtplib
import urllib.parse

import trytond.config as config
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.modules.helpdesk_core.common import has_worker
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.sendmail import get_smtp_server, send_message
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)

STATES = [
    ('queued', "Queued"),
    ('sent', "Sent"),
    ('failed', "Failed"),
    ]
# Tried for about two days before giving up: 1, 2, 4 ... minutes (see
# retry_delay), at most an hour between two attempts
MAX_ATTEMPTS = 60
MAX_DELAY = dt.timedelta(hours=1)
# A queued mail older than this is sent by the cron job: its process ended
# between the commit and the sending (or its task was lost)
STALE = dt.timedelta(minutes=5)


def retry_delay(attempts):
    """The delay before the next attempt after so many failed ones: the
    first one is `[helpdesk_website] outbox_retry_delay` seconds (60)"""
    first = config.getint('helpdesk_website', 'outbox_retry_delay', default=60)
    return min(
        dt.timedelta(seconds=first * 2 ** max(attempts - 1, 0)), MAX_DELAY)


def is_permanent(exception):
    """Tell if the SMTP server refused the mail for good (a 5xx reply):
    sending it again would be refused again"""
    if isinstance(exception, smtplib.SMTPRecipientsRefused):
        return all(
            code >= 500 for code, _ in exception.recipients.values())
    if isinstance(exception, smtplib.SMTPResponseException):
        return exception.smtp_code >= 500
    return False


def smtp_uri():
    """The `[email] uri` with a timeout: without one, trytond's SMTP client
    waits for ever on a server that accepted the connection and stopped
    answering, and the queue's worker with it"""
    uri = config.get('email', 'uri')
    parts = urllib.parse.urlsplit(uri)
    query = urllib.parse.parse_qs(parts.query)
    if 'timeout' not in query:
        query['timeout'] = [str(config.getint(
                    'helpdesk_website', 'smtp_timeout', default=60))]
        uri = parts._replace(
            query=urllib.parse.urlencode(query, doseq=True)).geturl()
    return uri


class Outbox(ModelSQL, ModelView):
    "Helpdesk E-mail"
    __name__ = 'helpdesk.email.outbox'

    message = fields.Text("Message", readonly=True)
    subject = fields.Char("Subject", readonly=True)
    recipients = fields.Char("Recipients", readonly=True)
    resource = fields.Reference(
        "Resource", selection='get_resources', readonly=True)
    state = fields.Selection(
        STATES, "State", required=True, readonly=True, sort=False)
    attempts = fields.Integer("Attempts", readonly=True)
    next_attempt = fields.Timestamp(
        "Next Attempt", readonly=True,
        states={
            'invisible': Eval('state') != 'queued',
            })
    sent_date = fields.Timestamp(
        "Sent", readonly=True,
        states={
            'invisible': Eval('state') != 'sent',
            })
    error = fields.Text(
        "Last Error", readonly=True,
        states={
            'invisible': ~Eval('error'),
            })

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.state, Index.Equality()),
                (t.next_attempt, Index.Range(nulls_first=True)),
                where=t.state == 'queued'))
        cls._order.insert(0, ('create_date', 'DESC'))
        cls._buttons.update({
                'send_again': {
                    'invisible': Eval('state') == 'sent',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'queued'

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def get_resources(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, "")] + [
            (m, Model.get_name(m))
            for m in ['helpdesk.ticket', 'web.user']]

    @classmethod
    def send(cls, msg, resource=None, now=False):
        """Keep the EmailMessage msg and send it once the transaction is
        committed: by the worker of Tryton's queue when there is one
        (`[queue] worker = True`), else by this process when the
        transaction ends; now sends it at once (a task of the queue)"""
        transaction = Transaction()
        recipients = [
            a for name in ['To', 'Cc', 'Bcc'] for a in msg.get_all(name, [])]
        outbox, = cls.create([{
                    'message': msg.as_string(),
                    'subject': str(msg['Subject'] or '')[:500],
                    'recipients': ', '.join(map(str, recipients))[:1000],
                    'resource': str(resource) if resource else None,
                    }])
        if now:
            cls.deliver([outbox])
        elif has_worker():
            # Only what the task needs: the request's context may hold
            # values that do not serialise
            with transaction.reset_context():
                cls.__queue__.deliver([outbox])
        else:
            transaction.atexit(
                cls._deliver_committed, transaction.database.name,
                [outbox.id])
        return outbox

    @classmethod
    def _deliver_committed(cls, database_name, ids):
        "Send the mails of a transaction that ended, if it committed"
        with Transaction(new=True).start(database_name, 0):
            outboxes = cls.search([
                    ('id', 'in', ids),
                    ('state', '=', 'queued'),
                    ])
            if outboxes:
                cls.deliver(outboxes)

    @classmethod
    def deliver(cls, outboxes):
        """Send the queued mails; those the SMTP server refuses are tried
        again later, and given up after MAX_ATTEMPTS"""
        now = dt.datetime.now()
        server = None
        for outbox in outboxes:
            if outbox.state != 'queued':
                continue
            msg = email.message_from_string(
                outbox.message, policy=email.policy.default)
            try:
                if server is None:
                    server = get_smtp_server(smtp_uri(), strict=True)
                server = send_message(msg, server=server, strict=True)
            except (smtplib.SMTPException, OSError) as exception:
                if server is not None:
                    try:
                        server.close()
                    except Exception:
                        pass
                    server = None
                outbox.attempts = (outbox.attempts or 0) + 1
                outbox.error = str(exception) or exception.__class__.__name__
                if is_permanent(exception):
                    outbox.state = 'failed'
                    outbox.next_attempt = None
                    logger.error(
                        "e-mail %s to %s refused for good: %s",
                        outbox.id, outbox.recipients, outbox.error)
                elif outbox.attempts >= MAX_ATTEMPTS:
                    outbox.state = 'failed'
                    outbox.next_attempt = None
                    logger.error(
                        "e-mail %s to %s given up after %s attempts: %s",
                        outbox.id, outbox.recipients, outbox.attempts,
                        outbox.error)
                else:
                    outbox.next_attempt = now + retry_delay(outbox.attempts)
                    logger.warning(
                        "e-mail %s to %s not sent (%s), tried again at %s",
                        outbox.id, outbox.recipients, outbox.error,
                        outbox.next_attempt)
            else:
                outbox.state = 'sent'
                outbox.sent_date = now
                outbox.next_attempt = None
                outbox.error = None
        if server is not None:
            try:
                server.quit()
            except smtplib.SMTPException:
                pass
        cls.save(outboxes)
        if has_worker():
            for outbox in outboxes:
                if outbox.state == 'queued' and outbox.next_attempt:
                    with Transaction().reset_context(), \
                            Transaction().set_context(
                                queue_scheduled_at=outbox.next_attempt - now):
                        cls.__queue__.deliver([outbox])

    @classmethod
    def deliver_due(cls):
        """Send the mails whose next attempt is due, and those left queued
        by a process that ended before sending them; forget the mails sent
        long ago (the cron job)"""
        now = dt.datetime.now()
        outboxes = cls.search(['OR', [
                    ('state', '=', 'queued'),
                    ('next_attempt', '<=', now),
                    ], [
                    ('state', '=', 'queued'),
                    ('next_attempt', '=', None),
                    ('create_date', '<', now - STALE),
                    ]], order=[('id', 'ASC')], limit=500)
        if outboxes:
            cls.deliver(outboxes)
        # The mails sent are kept a while, to tell what left and when
        keep = dt.timedelta(days=config.getint(
                'helpdesk_website', 'outbox_keep_days', default=30))
        cls.delete(cls.search([
                    ('state', '=', 'sent'),
                    ('sent_date', '<', now - keep),
                    ]))

    @classmethod
    @ModelView.button
    def send_again(cls, outboxes):
        "Send the mails now, even those given up"
        to_send = [o for o in outboxes if o.state != 'sent']
        cls.write(to_send, {'state': 'queued', 'next_attempt': None})
        cls.deliver(to_send)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('helpdesk.email.outbox|deliver_due',
                    "Send the Queued Helpdesk E-mails"),
                ])
