# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""helpdesk-fetchmail: bring the mails of a mailbox reachable only by IMAP
into an inbox of the e-mail intake

Each unseen message is read without marking it (BODY.PEEK), handed to the
inbox as the webhook does (an inbound e-mail processed by the inbox's rules)
in a trytond transaction, and marked \\Seen (or moved to a folder) only once
that transaction is committed. A connection lost half-way is opened again,
with a growing delay; a message processed whose mark was lost is read again
and recognised by its Message-ID: it makes nothing twice."""

import argparse
import getpass
import imaplib
import logging
import os
import re
import signal
import socket
import ssl
import sys
import time

logger = logging.getLogger('helpdesk.fetchmail')

ACTION = 'helpdesk.ticket|from_inbound_email'
# The errors of a connection that is lost or broken
CONNECTION_ERRORS = (
    imaplib.IMAP4.abort, OSError, EOFError, ssl.SSLError, socket.timeout)
_MESSAGE_ID = re.compile(rb'^Message-ID:\s*(<[^<>\s]+>)', re.I | re.M)


class FetchError(Exception):
    "The server refused what was asked: a configuration to fix"


def _quote(folder):
    return '"%s"' % folder.replace('\\', '\\\\').replace('"', '\\"')


def _check(response, what):
    typ, data = response
    if typ != 'OK':
        detail = b' '.join(d for d in data if isinstance(d, bytes))
        raise FetchError(f"{what}: {typ} {detail.decode(errors='replace')}")
    return data


class Delivery:
    """Hand raw mails to an inbox of a database, one trytond transaction
    each"""

    def __init__(self, database, inbox=None):
        from trytond.pool import Pool
        self.database = database
        self.pool = Pool(database)
        self.pool.init()
        self.inbox_identifier = inbox
        self.inbox_id = self._find_inbox()

    def _transaction(self, readonly=False):
        from trytond.transaction import Transaction
        return Transaction().start(self.database, 0, readonly=readonly)

    def _find_inbox(self):
        with self._transaction(readonly=True):
            Inbox = self.pool.get('inbound.email.inbox')
            if self.inbox_identifier:
                inboxes = Inbox.search([
                        ('identifier', '=', self.inbox_identifier)])
                if not inboxes:
                    raise FetchError(
                        f"No inbox has the identifier "
                        f"{self.inbox_identifier} in {self.database}")
            else:
                inboxes = Inbox.search([('rules.action', '=', ACTION)])
                if len(inboxes) != 1:
                    raise FetchError(
                        f"{len(inboxes)} inboxes of {self.database} have a "
                        "rule making helpdesk tickets: name one with --inbox")
            return inboxes[0].id

    def deliver(self, data):
        """Process the raw mail in a transaction committed on return and
        return a description of what it became"""
        import trytond.config as config
        from trytond import backend
        from trytond.transaction import Transaction, TransactionError
        from trytond.worker import run_task
        retry = config.getint('database', 'retry')
        extras = {}
        count = 0
        while True:
            if count:
                time.sleep(0.02 * count)
            with Transaction().start(
                    self.database, 0, **extras) as transaction:
                try:
                    Email = self.pool.get('inbound.email')
                    Inbox = self.pool.get('inbound.email.inbox')
                    inbox = Inbox(self.inbox_id)
                    emails = Email.from_webhook(inbox, data, 'raw')
                    for email_ in emails:
                        inbox.process(email_)
                    Email.save(emails)
                    outcome = ', '.join(
                        f"inbound e-mail {e.id}: "
                        f"{e.helpdesk_outcome or 'no rule matched'}"
                        + (f" ({e.result.rec_name})" if e.result else '')
                        for e in emails)
                except TransactionError as exception:
                    transaction.rollback()
                    transaction.tasks.clear()
                    exception.fix(extras)
                    continue
                except backend.DatabaseOperationalError:
                    if count < retry:
                        transaction.rollback()
                        transaction.tasks.clear()
                        count += 1
                        continue
                    raise
            while transaction.tasks:
                run_task(self.pool, transaction.tasks.pop())
            return outcome


class Fetcher:
    "Read the unseen mails of an IMAP folder and deliver them"

    def __init__(self, delivery, host, port=None, user=None, password=None,
            security='ssl', folder='INBOX', move_to=None, cafile=None,
            verify=True, timeout=60):
        self.delivery = delivery
        self.host = host
        self.security = security
        self.port = port or (993 if security == 'ssl' else 143)
        self.user = user
        self.password = password
        self.folder = folder
        self.move_to = move_to
        self.timeout = timeout
        self.context = ssl.create_default_context(cafile=cafile)
        if not verify:
            self.context.check_hostname = False
            self.context.verify_mode = ssl.CERT_NONE
        self.imap = None
        self.capabilities = set()

    def connect(self):
        if self.security == 'ssl':
            imap = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=self.context,
                timeout=self.timeout)
        else:
            imap = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
            _check(imap.starttls(ssl_context=self.context), "STARTTLS")
        try:
            _check(imap.login(self.user, self.password),
                f"Login as {self.user}")
        except imaplib.IMAP4.error as exception:
            raise FetchError(f"Login as {self.user} refused: {exception}")
        data = _check(imap.capability(), "CAPABILITY")
        self.capabilities = set(data[0].upper().split())
        try:
            _check(imap.select(_quote(self.folder)),
                f"Opening the folder {self.folder}")
        except imaplib.IMAP4.error as exception:
            raise FetchError(f"Opening the folder {self.folder}: {exception}")
        if self.move_to:
            try:
                _check(imap.status(_quote(self.move_to), '(MESSAGES)'),
                    f"The folder {self.move_to} to move the mails to")
            except imaplib.IMAP4.error as exception:
                raise FetchError(
                    f"The folder {self.move_to} to move the mails to: "
                    f"{exception}")
        self.imap = imap
        logger.info(
            "Connected to %s:%s (%s) as %s, folder %s", self.host, self.port,
            'IMAPS' if self.security == 'ssl' else 'STARTTLS', self.user,
            self.folder)

    def close(self):
        if self.imap is not None:
            try:
                self.imap.logout()
            except Exception:
                try:
                    self.imap.shutdown()
                except Exception:
                    pass
            self.imap = None

    def unseen(self):
        data = _check(self.imap.uid('SEARCH', None, 'UNSEEN'), "SEARCH")
        return data[0].split() if data and data[0] else []

    def fetch(self, uid):
        data = _check(
            self.imap.uid('FETCH', uid, '(BODY.PEEK[])'), f"FETCH {uid}")
        for item in data:
            if isinstance(item, tuple):
                return item[1]
        return None

    def mark(self, uid):
        "Mark the message seen, or move it to the folder of the done ones"
        if not self.move_to:
            _check(self.imap.uid('STORE', uid, '+FLAGS', '(\\Seen)'),
                f"STORE {uid}")
            return "marked \\Seen"
        _check(self.imap.uid('STORE', uid, '+FLAGS', '(\\Seen)'),
            f"STORE {uid}")
        if b'MOVE' in self.capabilities:
            _check(self.imap.uid('MOVE', uid, _quote(self.move_to)),
                f"MOVE {uid}")
        else:
            _check(self.imap.uid('COPY', uid, _quote(self.move_to)),
                f"COPY {uid}")
            _check(self.imap.uid('STORE', uid, '+FLAGS', '(\\Deleted)'),
                f"STORE {uid}")
            if b'UIDPLUS' in self.capabilities:
                _check(self.imap.uid('EXPUNGE', uid), f"EXPUNGE {uid}")
            else:
                _check(self.imap.expunge(), "EXPUNGE")
        return f"moved to {self.move_to}"

    def run_once(self):
        """Deliver every unseen message of the folder; return how many
        were delivered and how many failed"""
        if self.imap is None:
            self.connect()
        delivered = failed = 0
        uids = self.unseen()
        if uids:
            logger.info("%s unseen message(s) in %s", len(uids), self.folder)
        for uid in uids:
            uid = uid.decode()
            try:
                data = self.fetch(uid)
            except FetchError as exception:
                # Gone meanwhile (another client expunged it)
                logger.warning("Message UID %s skipped: %s", uid, exception)
                continue
            if data is None:
                continue
            found = _MESSAGE_ID.search(data[:65536])
            message_id = found.group(1).decode(errors='replace') \
                if found else '(no Message-ID)'
            try:
                outcome = self.delivery.deliver(data)
            except Exception:
                # Left unseen: read again at the next round
                logger.exception(
                    "Message UID %s %s could not be processed; it stays "
                    "unseen", uid, message_id)
                failed += 1
                continue
            try:
                mark = self.mark(uid)
            except FetchError as exception:
                # Read again at the next round, and known by its Message-ID
                logger.warning(
                    "Message UID %s %s: %s; it could not be marked: %s",
                    uid, message_id, outcome, exception)
                failed += 1
                continue
            logger.info(
                "Message UID %s %s: %s; %s", uid, message_id, outcome, mark)
            delivered += 1
        return delivered, failed


class Stop(BaseException):
    "Raised by SIGTERM: stop between two mails or in the wait"
    pass


def run(fetcher, once=True, interval=60, max_retries=5, backoff=1.0,
        max_backoff=300.0):
    """Fetch once or until stopped, opening the connection again with a
    growing delay when it is lost; return the exit status"""
    failures = 0
    status = 0
    while True:
        try:
            delivered, failed = fetcher.run_once()
            failures = 0
            if failed:
                status = 1
            if once:
                fetcher.close()
                return status
            time.sleep(interval)
        except CONNECTION_ERRORS as exception:
            fetcher.close()
            failures += 1
            if max_retries is not None and failures > max_retries:
                logger.error(
                    "Connection to %s:%s lost %s times in a row (%s): "
                    "giving up", fetcher.host, fetcher.port, failures - 1,
                    exception)
                return 2
            delay = min(backoff * 2 ** (failures - 1), max_backoff)
            logger.warning(
                "Connection to %s:%s lost (%s: %s); connecting again in "
                "%.1f s", fetcher.host, fetcher.port,
                type(exception).__name__, exception, delay)
            time.sleep(delay)
        except FetchError as exception:
            fetcher.close()
            logger.error("%s", exception)
            return 3
        except Stop:
            fetcher.close()
            logger.info("Stopped")
            return status


def parser():
    parser = argparse.ArgumentParser(
        prog='helpdesk-fetchmail',
        description="Bring the unseen mails of an IMAP mailbox into the "
        "helpdesk (an inbox of the inbound e-mails): each becomes a ticket "
        "or a reply, and is marked seen (or moved) once committed.")
    parser.add_argument('-c', '--config', dest='config',
        default=os.environ.get('TRYTOND_CONFIG'),
        help="the trytond configuration file")
    parser.add_argument('-d', '--database', required=True,
        help="the database of the helpdesk")
    parser.add_argument('--inbox',
        help="the identifier of the inbox (default: the only inbox with a "
        "rule making helpdesk tickets)")
    parser.add_argument('--host', required=True, help="the IMAP server")
    parser.add_argument('--port', type=int,
        help="the port (default: 993 for IMAPS, 143 for STARTTLS)")
    parser.add_argument('--security', choices=['ssl', 'starttls'],
        default='ssl',
        help="IMAPS (TLS from the start, default) or STARTTLS")
    parser.add_argument('--cafile',
        help="the certificates to trust (default: the system's)")
    parser.add_argument('--insecure', action='store_true',
        help="do not check the server's certificate")
    parser.add_argument('-u', '--user', required=True)
    group = parser.add_mutually_exclusive_group()
    group.add_argument('--password',
        help="the password (prefer --password-file or the "
        "HELPDESK_FETCHMAIL_PASSWORD environment variable)")
    group.add_argument('--password-file',
        help="a file whose first line is the password")
    parser.add_argument('--folder', default='INBOX',
        help="the folder to read (default: INBOX)")
    parser.add_argument('--move-to',
        help="move each processed mail to this folder instead of marking "
        "it seen")
    parser.add_argument('--once', action='store_true',
        help="fetch the unseen mails once and exit (default: poll)")
    parser.add_argument('--interval', type=float, default=60,
        help="seconds between two polls (default: 60)")
    parser.add_argument('--max-retries', type=int, default=None,
        help="give up after so many lost connections in a row (default: "
        "5 with --once, never when polling)")
    parser.add_argument('--backoff', type=float, default=1.0,
        help="the first delay before connecting again, doubled at each "
        "failure (default: 1 s, at most 300 s)")
    parser.add_argument('--timeout', type=float, default=60,
        help="the timeout of the network operations (default: 60 s)")
    parser.add_argument('-v', '--verbose', action='store_true')
    return parser


def main(argv=None):
    if argv is None:
        argv = sys.argv[1:]
    args = parser().parse_args(argv)
    if args.config:
        config_file = os.path.abspath(args.config)
        if os.environ.get('TRYTOND_CONFIG') != config_file:
            # trytond reads its configuration when it is first imported, as
            # the package of this module imports it: start again with it
            os.environ['TRYTOND_CONFIG'] = config_file
            os.execv(sys.executable, [
                    sys.executable, '-m', __name__ if __name__ != '__main__'
                    else 'trytond.modules.helpdesk_website.fetchmail',
                    *argv])
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format='%(asctime)s %(levelname)s %(name)s %(message)s')
    if args.password_file:
        with open(args.password_file) as fp:
            password = fp.readline().rstrip('\r\n')
    elif args.password is not None:
        password = args.password
    elif os.environ.get('HELPDESK_FETCHMAIL_PASSWORD'):
        password = os.environ['HELPDESK_FETCHMAIL_PASSWORD']
    else:
        password = getpass.getpass(f"Password of {args.user}: ")

    max_retries = args.max_retries
    if max_retries is None and args.once:
        max_retries = 5

    def stop(signum, frame):
        raise Stop()
    signal.signal(signal.SIGTERM, stop)

    try:
        delivery = Delivery(args.database, inbox=args.inbox)
    except FetchError as exception:
        logger.error("%s", exception)
        return 3
    fetcher = Fetcher(
        delivery, args.host, port=args.port, user=args.user,
        password=password, security=args.security, folder=args.folder,
        move_to=args.move_to, cafile=args.cafile, verify=not args.insecure,
        timeout=args.timeout)
    try:
        return run(
            fetcher, once=args.once, interval=args.interval,
            max_retries=max_retries, backoff=args.backoff)
    except KeyboardInterrupt:
        fetcher.close()
        return 130


if __name__ == '__main__':
    sys.exit(main())
