# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Tools shared by the helpdesk tests"

import email
import email.policy
import socket
import threading
import time

from aiosmtpd.controller import Controller
from proteus import Model
from proteus.config import get_config

import trytond.config as tconfig
from trytond.pool import Pool
from trytond.transaction import Transaction


class _Handler:

    def __init__(self):
        self.messages = []
        self.condition = threading.Condition()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default)
        with self.condition:
            self.messages.append((envelope.rcpt_tos, message))
            self.condition.notify_all()
        return '250 Message accepted for delivery'


class SMTPSink:
    """A real SMTP server listening on a free local port,
    keeping the messages it receives"""

    def __init__(self):
        self._handler = _Handler()
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            self.port = sock.getsockname()[1]
        self._controller = Controller(
            self._handler, hostname='127.0.0.1', port=self.port)
        self._previous_uri = None

    @property
    def uri(self):
        return f'smtp://127.0.0.1:{self.port}'

    def start(self):
        "Start the server and make trytond send its e-mails to it"
        self._controller.start()
        if not tconfig.has_section('email'):
            tconfig.add_section('email')
        self._previous_uri = tconfig.get('email', 'uri', default=None)
        tconfig.set('email', 'uri', self.uri)
        tconfig.set('email', 'from', 'helpdesk@example.com')
        return self

    def stop(self):
        self._controller.stop()
        if self._previous_uri is not None:
            tconfig.set('email', 'uri', self._previous_uri)

    def down(self):
        "Stop answering, as a server that is down, until up is called"
        self._controller.stop()

    def up(self):
        "Answer again on the same port, keeping the messages received"
        self._controller = Controller(
            self._handler, hostname='127.0.0.1', port=self.port)
        self._controller.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def messages(self):
        "The received messages as (recipients, message)"
        with self._handler.condition:
            return list(self._handler.messages)

    def wait(self, count, timeout=10):
        "Wait until count messages are received and return them"
        deadline = time.monotonic() + timeout
        with self._handler.condition:
            while len(self._handler.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._handler.condition.wait(remaining)
            return list(self._handler.messages)

    def clear(self):
        with self._handler.condition:
            self._handler.messages.clear()


def deliver_email(message, config=None):
    """Hand an incoming e-mail to the chat as the mail gateway does
    and return the id of the message posted or None"""
    if config is None:
        config = get_config()
    with Transaction().start(
            config.database_name, 0, context=config.context) as transaction:
        Channel = Pool().get('ir.chat.channel')
        posted = Channel.post_from_email(message)
        transaction.commit()
        return posted.id if posted else None


def reply_to(message, sender, body):
    "Return the e-mail a customer would send to answer message"
    reply = email.message.EmailMessage()
    reply['From'] = sender
    reply['To'] = message['Reply-To'] or message['From']
    reply['Subject'] = 'Re: ' + message['Subject']
    reply['Message-ID'] = email.utils.make_msgid(domain='customer.example')
    reply['In-Reply-To'] = message['Message-ID']
    reply['References'] = message['Message-ID']
    reply.set_content(body)
    return reply


def create_helpdesk_user(login, name=None, manager=False, config=None):
    "Create an agent (or a manager) of the helpdesk"
    User = Model.get('res.user', config=config)
    Group = Model.get('res.group', config=config)
    Company = Model.get('company.company', config=config)
    user = User(login=login, name=name or login.title())
    for company in Company.find():
        user.companies.append(company)
        user.company = company
    group_names = ["Helpdesk Agent"]
    if manager:
        group_names.append("Helpdesk Manager")
    # Group names are translated
    with (config or get_config()).set_context(language='en'):
        groups = Group.find([('name', 'in', group_names)])
    for group in groups:
        user.groups.append(Group(group.id))
    user.save()
    return user
