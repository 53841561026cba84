# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""Real RFC 5322 mails, as bytes, as mail clients and mail systems send
them, and the inbox of the e-mail intake, for the tests"""

import base64
import email.utils
import itertools
import quopri
import uuid

INBOX_IDENTIFIER = 'a1b2c3d4e5f60718293a4b5c6d7e8f90'
TEAM_EMAIL = 'support@helpdesk.example'

_counter = itertools.count(1)


def new_message_id(domain='customer.example'):
    return f'<mail-{next(_counter)}.{uuid.uuid4().hex[:16]}@{domain}>'


def encoded_word(text, charset='utf-8'):
    "The RFC 2047 encoded word of text (base64, as most clients write it)"
    data = base64.b64encode(text.encode(charset)).decode('ascii')
    return f'=?{charset}?B?{data}?='


def _headers(sender, to, subject, message_id, extra):
    lines = [
        ('From', sender),
        ('To', to),
        ('Subject', subject),
        ('Date', email.utils.formatdate(localtime=False)),
        ('Message-ID', message_id),
        ('MIME-Version', '1.0'),
        ]
    lines.extend(extra)
    lines = [
        (k, encoded_word(v) if k == 'Subject' and not v.isascii() else v)
        for k, v in lines if v is not None]
    return ''.join(f'{k}: {v}\r\n' for k, v in lines)


def _crlf(text):
    return text.replace('\r\n', '\n').replace('\n', '\r\n')


def _b64(data):
    text = base64.encodebytes(data).decode('ascii')
    return _crlf(text)


def plain(sender, to, subject, text, message_id=None, charset='utf-8',
        encoding='quoted-printable', extra=()):
    "A text/plain mail"
    message_id = message_id or new_message_id()
    data = text.encode(charset)
    if encoding == 'quoted-printable':
        body = _crlf(quopri.encodestring(data).decode('ascii'))
        head = _headers(sender, to, subject, message_id, extra)
        head += (f'Content-Type: text/plain; charset="{charset}"\r\n'
            'Content-Transfer-Encoding: quoted-printable\r\n')
        return (head + '\r\n' + body).encode('ascii')
    elif encoding == 'base64':
        head = _headers(sender, to, subject, message_id, extra)
        head += (f'Content-Type: text/plain; charset="{charset}"\r\n'
            'Content-Transfer-Encoding: base64\r\n')
        return (head + '\r\n' + _b64(data)).encode('ascii')
    # 8bit: the bytes of the charset as they are
    head = _headers(sender, to, subject, message_id, extra)
    head += (f'Content-Type: text/plain; charset="{charset}"\r\n'
        'Content-Transfer-Encoding: 8bit\r\n')
    return head.encode('ascii') + b'\r\n' + data.replace(b'\n', b'\r\n')


def alternative(sender, to, subject, text, html, message_id=None,
        attachments=(), extra=()):
    """A multipart/alternative mail (text and HTML), in a multipart/mixed
    with the attachments [(filename, content type, data)]"""
    message_id = message_id or new_message_id()
    inner = 'alt-' + message_id.strip('<>').replace('@', '.')
    outer = 'mixed-' + message_id.strip('<>').replace('@', '.')
    alt = (f'--{inner}\r\n'
        'Content-Type: text/plain; charset="utf-8"\r\n'
        'Content-Transfer-Encoding: base64\r\n\r\n'
        + _b64(text.encode('utf-8'))
        + f'--{inner}\r\n'
        'Content-Type: text/html; charset="utf-8"\r\n'
        'Content-Transfer-Encoding: quoted-printable\r\n\r\n'
        + _crlf(quopri.encodestring(html.encode('utf-8')).decode('ascii'))
        + f'\r\n--{inner}--\r\n')
    head = _headers(sender, to, subject, message_id, extra)
    if not attachments:
        head += (
            f'Content-Type: multipart/alternative; boundary="{inner}"\r\n')
        return (head + '\r\n' + alt).encode('ascii')
    head += f'Content-Type: multipart/mixed; boundary="{outer}"\r\n'
    parts = [f'--{outer}\r\n'
        f'Content-Type: multipart/alternative; boundary="{inner}"\r\n\r\n'
        + alt]
    for filename, content_type, data in attachments:
        try:
            filename.encode('ascii')
            disposition = f'attachment; filename="{filename}"'
        except UnicodeEncodeError:
            disposition = "attachment; filename*=utf-8''%s" % (
                ''.join('%%%02X' % b for b in filename.encode('utf-8')))
        parts.append(f'--{outer}\r\n'
            f'Content-Type: {content_type}\r\n'
            f'Content-Disposition: {disposition}\r\n'
            'Content-Transfer-Encoding: base64\r\n\r\n'
            + _b64(data))
    return (head + '\r\n' + ''.join(parts) + f'--{outer}--\r\n').encode(
        'ascii')


def html_only(sender, to, subject, html, message_id=None, extra=()):
    "A mail of a single text/html part"
    message_id = message_id or new_message_id()
    head = _headers(sender, to, subject, message_id, extra)
    head += ('Content-Type: text/html; charset="utf-8"\r\n'
        'Content-Transfer-Encoding: base64\r\n')
    return (head + '\r\n' + _b64(html.encode('utf-8'))).encode('ascii')


def bounce(to, original_message_id, recipient, message_id=None):
    "A delivery status notification of a mail system (RFC 3464)"
    message_id = message_id or new_message_id('mx.customer.example')
    boundary = 'report-' + message_id.strip('<>').replace('@', '.')
    head = _headers(
        'Mail Delivery System <MAILER-DAEMON@mx.customer.example>', to,
        'Undelivered Mail Returned to Sender', message_id,
        [('Auto-Submitted', 'auto-replied')])
    head += ('Content-Type: multipart/report; report-type=delivery-status; '
        f'boundary="{boundary}"\r\n')
    body = (f'--{boundary}\r\n'
        'Content-Type: text/plain; charset="us-ascii"\r\n\r\n'
        f'I\'m sorry to have to inform you that your message could not be '
        f'delivered to {recipient}.\r\n'
        f'--{boundary}\r\n'
        'Content-Type: message/delivery-status\r\n\r\n'
        'Reporting-MTA: dns; mx.customer.example\r\n\r\n'
        f'Final-Recipient: rfc822; {recipient}\r\n'
        'Action: failed\r\nStatus: 5.1.1\r\n'
        f'--{boundary}\r\n'
        'Content-Type: text/rfc822-headers\r\n\r\n'
        f'Message-ID: {original_message_id}\r\n'
        f'--{boundary}--\r\n')
    return (head + '\r\n' + body).encode('ascii')


def setup_inbox(identifier=INBOX_IDENTIFIER, name="Helpdesk"):
    """Create the inbox of the helpdesk with its rule, in the current
    transaction, and return it"""
    from trytond.pool import Pool
    pool = Pool()
    Inbox = pool.get('inbound.email.inbox')
    inbox, = Inbox.create([{
                'name': name,
                'rules': [('create', [{
                                'action':
                                'helpdesk.ticket|from_inbound_email',
                                }])],
                }])
    inbox.identifier = identifier
    inbox.save()
    return inbox
