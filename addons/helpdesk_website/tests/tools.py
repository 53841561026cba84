# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Tools shared by the tests of the website"

import io
import re
import struct
import types
import zlib

from proteus import Model

CSRF_RE = re.compile(r'name="csrf_token" value="([0-9a-f]*)"')
PASSWORD = 'Portal-Password-2024'


def png(width=2, height=2):
    "A real PNG image"
    def chunk(kind, data):
        return (struct.pack('>I', len(data)) + kind + data
            + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff))
    raw = b''.join(
        b'\x00' + b'\xff\x00\x00' * width for _ in range(height))
    return (b'\x89PNG\r\n\x1a\n'
        + chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0))
        + chunk(b'IDAT', zlib.compress(raw))
        + chunk(b'IEND', b''))


def pdf():
    return (b'%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n'
        b'2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>'
        b'\n%%EOF\n')


def executable():
    "A Windows program: what a disguised file holds"
    return b'MZ\x90\x00\x03' + b'\x00' * 200


def upload(name, data):
    return (io.BytesIO(data), name)


def create_portal_data(config=None):
    """Create with proteus a published portal team, an internal team, and
    two customers: Acme with a customer manager and two members, Globex
    with one customer; each with tickets"""
    Party = Model.get('party.party', config=config)
    Team = Model.get('helpdesk.team', config=config)
    Ticket = Model.get('helpdesk.ticket', config=config)
    Type = Model.get('helpdesk.ticket.type', config=config)
    WebUser = Model.get('web.user', config=config)

    support = Team(name="Customer Support", visibility='portal')
    support.description = "Orders, invoices and <your> account."
    support.website_published = True
    support.use_rating = True
    support.portal_close = True
    support.save()
    internal = Team(name="IT Internal", visibility='internal')
    internal.website_published = True
    internal.save()
    unpublished = Team(name="Billing", visibility='portal')
    unpublished.portal_close = False
    unpublished.save()

    question = Type(name="Question")
    question.save()

    def party(name, email):
        party = Party(name=name)
        mechanism = party.contact_mechanisms.new(type='email')
        mechanism.value = email
        party.save()
        return party

    acme = party("Acme", 'office@acme.example')
    globex = party("Globex", 'office@globex.example')

    def web_user(email, party, manager=False, mobile=None):
        user = WebUser(email=email, party=party)
        user.password = PASSWORD
        user.email_valid = True
        user.helpdesk_manager = manager
        user.mobile = mobile
        user.save()
        return user

    users = types.SimpleNamespace(
        manager=web_user('boss@acme.example', acme, manager=True),
        member=web_user(
            'ann@acme.example', acme, mobile='+98 912 000 1111'),
        colleague=web_user('bob@acme.example', acme),
        other=web_user('gina@globex.example', globex))

    def ticket(subject, party, email, team=support):
        ticket = Ticket(name=subject, team=team, party=party)
        ticket.contact_email = email
        ticket.channel = 'portal'
        ticket.description = f"About {subject}."
        ticket.save()
        return ticket

    tickets = types.SimpleNamespace(
        member=ticket("Ann's printer", acme, 'ann@acme.example'),
        colleague=ticket("Bob's invoice", acme, 'bob@acme.example'),
        other=ticket("Gina's order", globex, 'gina@globex.example'),
        internal=ticket(
            "Ann's laptop", acme, 'ann@acme.example', team=internal),
        billing=ticket(
            "Ann's refund", acme, 'ann@acme.example', team=unpublished))
    return types.SimpleNamespace(
        support=support, internal=internal, unpublished=unpublished,
        question=question, acme=acme, globex=globex, users=users,
        tickets=tickets)
