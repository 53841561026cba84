# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""What keeps the website safe: CSRF tokens bound to the session, the rate
limit of anonymous forms, the checks of uploaded files and the security
headers"""

import datetime as dt
import hashlib
import hmac
import os
import secrets
from collections import namedtuple

import puremagic
from sql import Null
from sql.aggregate import Count

import trytond.config as config
from trytond.model import Index, ModelSQL, fields
from trytond.transaction import Transaction

SESSION_COOKIE = 'helpdesk_session'
BROWSER_COOKIE = 'helpdesk_browser'
CSRF_FIELD = 'csrf_token'
HONEYPOT_FIELD = 'website'

SECURITY_HEADERS = {
    # No inline script nor style: everything comes from our own server
    'Content-Security-Policy': (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; "
        "frame-ancestors 'none'"),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    }

# The files a customer may send, by extension: the type their content must
# have. Text has no signature: it is checked by decoding it.
ZIP = {
    'application/zip',
    'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    'application/vnd.openxmlformats-officedocument.presentationml'
    '.presentation',
    'application/vnd.oasis.opendocument.text',
    'application/vnd.oasis.opendocument.spreadsheet',
    }
FILE_TYPES = {
    'png': {'image/png'},
    'jpg': {'image/jpeg'},
    'jpeg': {'image/jpeg'},
    'gif': {'image/gif'},
    'webp': {'image/webp'},
    'pdf': {'application/pdf'},
    'txt': {'text/plain'},
    'log': {'text/plain'},
    'csv': {'text/plain'},
    'zip': ZIP,
    'docx': ZIP,
    'xlsx': ZIP,
    'pptx': ZIP,
    'odt': ZIP,
    'ods': ZIP,
    }
IMAGE_TYPES = {'image/png', 'image/jpeg', 'image/gif', 'image/webp'}
MIME_TYPES = {
    'png': 'image/png', 'jpg': 'image/jpeg', 'jpeg': 'image/jpeg',
    'gif': 'image/gif', 'webp': 'image/webp', 'pdf': 'application/pdf',
    'txt': 'text/plain', 'log': 'text/plain', 'csv': 'text/csv',
    'zip': 'application/zip',
    'docx': 'application/vnd.openxmlformats-officedocument'
    '.wordprocessingml.document',
    'xlsx': 'application/vnd.openxmlformats-officedocument'
    '.spreadsheetml.sheet',
    'pptx': 'application/vnd.openxmlformats-officedocument'
    '.presentationml.presentation',
    'odt': 'application/vnd.oasis.opendocument.text',
    'ods': 'application/vnd.oasis.opendocument.spreadsheet',
    }


def setting(name, default):
    "An integer of the [helpdesk_website] section of the configuration"
    return config.getint('helpdesk_website', name, default=default)


def new_token():
    return secrets.token_urlsafe(32)


def csrf_token(secret):
    """The CSRF token of the session (or of the browser, for anonymous
    visitors): a page of another site can read neither"""
    if not secret:
        return ''
    return hmac.new(
        secret.encode(), b'helpdesk-csrf', hashlib.sha256).hexdigest()


def check_csrf(secret, token):
    return bool(secret and token) and hmac.compare_digest(
        csrf_token(secret), token)


class UploadError(ValueError):
    "A file refused: message is the key of the website's message"

    def __init__(self, message, **variables):
        super().__init__(message)
        self.message = message
        self.variables = variables


def file_extension(filename):
    filename = os.path.basename((filename or '').replace('\\', '/'))
    if '.' not in filename:
        return ''
    return filename.rsplit('.', 1)[1].lower()


def content_type(filename, data):
    """The type of the file as its content says, if it is one the customer
    may send and its name agrees; raises UploadError otherwise"""
    extension = file_extension(filename)
    accepted = FILE_TYPES.get(extension)
    if not accepted:
        raise UploadError(
            "The type of the file %(name)s is not accepted.", name=filename)
    if accepted == {'text/plain'}:
        try:
            text = data.decode('utf-8')
        except UnicodeDecodeError:
            text = None
        if text is None or '\x00' in text:
            raise UploadError(
                "The content of %(name)s does not match its name.",
                name=filename)
        return MIME_TYPES[extension]
    try:
        detected = puremagic.from_string(data, mime=True)
    except puremagic.PureError:
        detected = None
    if detected not in accepted:
        raise UploadError(
            "The content of %(name)s does not match its name.",
            name=filename)
    return MIME_TYPES[extension]


UploadLimits = namedtuple('UploadLimits', ['count', 'size', 'total'])


def upload_limits():
    "The number of files of a form, the size of each and of all in bytes"
    return UploadLimits(
        count=setting('upload_count', 10),
        size=setting('upload_size', 10 * 1000 * 1000),
        total=setting('upload_total', 25 * 1000 * 1000))


# The accept attribute of the file inputs: the extensions we take
UPLOAD_ACCEPT = ','.join('.' + extension for extension in FILE_TYPES)


def check_uploads(files):
    """Check the uploaded files: (filename, data) pairs, their count, size
    and total size, and the type of each by its content.
    Returns [(filename, mime type, data)]."""
    max_count, max_size, max_total = upload_limits()
    files = [(n, d) for n, d in files if n or d]
    if len(files) > max_count:
        raise UploadError(
            "You can send at most %(count)s files at once.",
            count=max_count)
    total = 0
    checked = []
    for filename, data in files:
        filename = os.path.basename(filename.replace('\\', '/'))[:200]
        if not data:
            raise UploadError("The file %(name)s is empty.", name=filename)
        if len(data) > max_size:
            raise UploadError(
                "The file %(name)s is larger than %(size)s.",
                name=filename, size=max_size)
        total += len(data)
        checked.append((filename, content_type(filename, data), data))
    if total > max_total:
        raise UploadError(
            "The files together are larger than %(size)s.", size=max_total)
    return checked


# On average, the attempts are pruned once in so many
PRUNE_EVERY = 100


class Attempt(ModelSQL):
    """An action of a visitor that is rate limited: the submissions of
    anonymous forms and the attempts to sign in, per address network"""
    __name__ = 'helpdesk.website.attempt'

    action = fields.Char("Action", required=True)
    ip_network = fields.Char("IP Network")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(
            Index(t,
                (t.action, Index.Equality()),
                (t.ip_network, Index.Equality()),
                (t.create_date, Index.Range())))

    @classmethod
    def window(cls):
        return dt.timedelta(seconds=setting('rate_window', 10 * 60))

    @classmethod
    def limit(cls, action):
        return setting(f'{action}_limit', setting('rate_limit', 30))

    @classmethod
    def _network(cls):
        _, ip_network = Transaction().remote_address()
        return str(ip_network) if ip_network else None

    @classmethod
    def exceeded(cls, action):
        "Tell if the visitor's network did action too often lately"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        network = cls._network()
        since = dt.datetime.now() - cls.window()
        cursor.execute(*table.select(Count(),
                where=(table.action == action)
                & ((table.ip_network == network) if network is not None
                    else (table.ip_network == Null))
                & (table.create_date >= since)))
        count, = cursor.fetchone()
        return count >= cls.limit(action)

    @classmethod
    def add(cls, action):
        "Count one more attempt of the visitor's network"
        table = cls.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        now = dt.datetime.now()
        # A plain insert: this is on the path of every anonymous form
        cursor.execute(*table.insert(
                [table.action, table.ip_network, table.create_date,
                    table.create_uid],
                [[action, cls._network(), now, transaction.user]]))
        # The attempts out of the window are pruned now and then rather
        # than at each attempt: they are not counted anyway
        if secrets.randbelow(PRUNE_EVERY) == 0:
            cursor.execute(*table.delete(
                    where=table.create_date < now - cls.window()))
