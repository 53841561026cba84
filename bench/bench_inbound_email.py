# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""inbound_email_tickets: customers' mails posted to the inbound webhook of
trytond_inbound_email (as an MTA's pipe to curl posts them) and turned into
tickets by the helpdesk's rule action, through one trytond server process on
PostgreSQL; each ticket acknowledged by e-mail to a local SMTP sink"""

import http.client
import random
import threading
import time
import uuid
from email.message import EmailMessage
from email.utils import formatdate

import dataset
from bench_website import (
    QUEUE_WORKER, QUEUE_WORKER_NOTE, SmtpSink, _indexes, _visitors,
    ensure_website_base)
from harness import (
    TrytondServer, benchmark, connect, create_database, drop_database,
    http_request, say, summary)

DATABASE = 'bench_helpdesk_inbound_email'
TARGET_PER_SECOND = 50
TEAM_EMAIL = 'support@helpdesk.example'
INBOX_IDENTIFIER = 'b' * 32
SUBJECT_MARK = ' - mail '
# A small PDF: a third of the mails come with one
PDF = (b'%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n'
    b'2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>'
    b'\n%%EOF\n') + b'%' + bytes(random.Random(3).randrange(256)
    for _ in range(20_000))


def _mail(i, visitor, reply_to=None):
    "The raw bytes of the i-th mail of the visitor, as a mail client sends"
    message = EmailMessage()
    message['From'] = f"{visitor['name']} <{visitor['email']}>"
    message['To'] = f"Customer Support <{TEAM_EMAIL}>"
    message['Date'] = formatdate()
    message['Message-ID'] = f'<bench-{i}.{uuid.uuid4().hex}@customer.example>'
    if reply_to:
        number, subject = reply_to
        message['Subject'] = f"Re: [{number}] {subject}"
        message.set_content(
            "Thank you, here is more information.\n\n> earlier text\n")
    else:
        subject = (f'{dataset.SUBJECTS[i % len(dataset.SUBJECTS)]}'
            f'{SUBJECT_MARK}{i:05d}')
        message['Subject'] = subject
        message.set_content(dataset.DESCRIPTION)
        message.add_alternative(
            '<p>' + dataset.DESCRIPTION.replace('\n', '<br>') + '</p>',
            subtype='html')
        if i % 3 == 0:
            message.add_attachment(
                PDF, maintype='application', subtype='pdf',
                filename=f'document-{i}.pdf')
    return message['Message-ID'], message.as_bytes()


def _post(server, mails, records, errors):
    "One MTA: a keep-alive connection posting the mails one after another"
    connection = http.client.HTTPConnection(
        '127.0.0.1', server.port, timeout=120)
    path = f'/{server.database}/inbound_email/inbox/{INBOX_IDENTIFIER}'
    try:
        for message_id, data in mails:
            start = time.perf_counter()
            response, body = http_request(
                connection, 'POST', path, data,
                {'Content-Type': 'message/rfc822'})
            latency = (time.perf_counter() - start) * 1000
            if response.status != 204:
                raise RuntimeError(
                    f"POST {path}: HTTP {response.status} {body[:500]!r}")
            records.append({
                    'message_id': message_id, 'latency_ms': latency})
    except Exception as exception:
        errors.append(repr(exception))
        raise
    finally:
        connection.close()


def _phase(server, mails, clients):
    records, errors, threads = [], [], []
    shares = [mails[i::clients] for i in range(clients)]
    started = time.perf_counter()
    for share in shares:
        thread = threading.Thread(
            target=_post, args=(server, share, records, errors))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"posting the mails failed: {errors[0]}")
    return elapsed, records


def _setup(name):
    """Give the first team its address, create the inbox and its rule;
    return the team and the customers"""
    with connect(name) as conn:
        team, = conn.execute(
            'SELECT id FROM helpdesk_team ORDER BY id LIMIT 1').fetchone()
        conn.execute(
            "UPDATE helpdesk_team SET email = %s WHERE id = %s",
            (TEAM_EMAIL, team))
        inbox, = conn.execute(
            "INSERT INTO inbound_email_inbox "
            "(name, identifier, create_uid, create_date) "
            "VALUES ('Helpdesk', %s, 0, now()) RETURNING id",
            (INBOX_IDENTIFIER,)).fetchone()
        conn.execute(
            "INSERT INTO inbound_email_rule "
            "(inbox, sequence, action, create_uid, create_date) "
            "VALUES (%s, 10, 'helpdesk.ticket|from_inbound_email', 0, now())",
            (inbox,))
        customers = conn.execute(
            "SELECT id, name FROM party_party WHERE code LIKE 'C%' "
            "ORDER BY id").fetchall()
    return team, customers


def _check(name, new_ids, reply_ids, sink):
    """Every new mail made exactly one ticket of the team, with the
    sender's e-mail, and one acknowledgement; every reply one message"""
    with connect(name) as conn:
        rows = conn.execute(
            "SELECT e.helpdesk_message_id, e.helpdesk_outcome, e.result, "
            "t.channel "
            "FROM inbound_email AS e "
            "LEFT JOIN helpdesk_ticket AS t "
            "ON e.result = 'helpdesk.ticket,' || t.id "
            "WHERE e.helpdesk_message_id LIKE '<bench-%%'").fetchall()
        tickets = conn.execute(
            "SELECT count(*) FROM helpdesk_ticket WHERE name LIKE %s",
            (f'%{SUBJECT_MARK}%',)).fetchone()[0]
    by_id = {}
    for message_id, outcome, result, channel in rows:
        by_id.setdefault(message_id, []).append((outcome, result, channel))
    problems = []
    for message_id in new_ids:
        got = by_id.get(message_id, [])
        if [(o, c) for o, _, c in got] != [('ticket', 'email')]:
            problems.append(f"{message_id}: {got}")
    for message_id in reply_ids:
        got = by_id.get(message_id, [])
        if [o for o, _, _ in got] != ['reply']:
            problems.append(f"{message_id}: {got}")
    if tickets != len(new_ids):
        problems.append(f"{tickets} tickets for {len(new_ids)} new mails")
    acknowledgements = sink.count()
    if acknowledgements < len(new_ids):
        problems.append(
            f"{acknowledgements} acknowledgements for {len(new_ids)} tickets")
    return {
        'new_mails': len(new_ids),
        'replies': len(reply_ids),
        'tickets': tickets,
        'emails_received': acknowledgements,
        'problems': problems[:20],
        'ok': not problems,
        }


@benchmark(
    'inbound_email_tickets',
    "Post customers' mails (multipart text and HTML, a third with a PDF) "
    "to the inbound webhook of trytond_inbound_email, as an MTA does, "
    "through one trytond server process on PostgreSQL: each becomes a "
    "ticket (customer matched or created, files attached, acknowledgement "
    "e-mailed to a local SMTP sink); throughput with 1 and 4 clients, and "
    "replies threaded by the ticket reference")
def run(options):
    count = 40 if options.quick else 1000
    warmup = 5 if options.quick else 20
    replies = 20 if options.quick else 250
    pool_size = 40 if options.quick else 400
    concurrency = 4
    base = ensure_website_base(options)
    create_database(DATABASE, template=base)
    try:
        team, customers = _setup(DATABASE)
        visitors = _visitors(pool_size, customers)
        with SmtpSink() as sink:
            config = {
                'email': {
                    'uri': sink.uri,
                    'from': 'Helpdesk <helpdesk@helpdesk.example>',
                    },
                }
            with TrytondServer(
                    DATABASE, config=config, worker=QUEUE_WORKER) as server:
                say(f"  warm-up: {warmup} mails")
                mails = [_mail(i, visitors[i % len(visitors)])
                    for i in range(warmup)]
                _phase(server, mails, 1)
                new_ids = [m for m, _ in mails]
                sink.wait(len(new_ids), timeout=120)
                phases = {}
                offset = warmup
                for clients in [1, concurrency]:
                    mails = [_mail(i, visitors[i % len(visitors)])
                        for i in range(offset, offset + count)]
                    offset += count
                    say(f"  posting {count} mails, {clients} client(s)")
                    elapsed, records = _phase(server, mails, clients)
                    new_ids += [m for m, _ in mails]
                    latencies = [r['latency_ms'] for r in records]
                    drained = time.perf_counter()
                    sink.wait(len(new_ids), timeout=120)
                    drained = time.perf_counter() - drained
                    phases[f'clients_{clients}'] = {
                        'clients': clients,
                        'mails': count,
                        'elapsed_s': round(elapsed, 3),
                        'mails_per_s': round(count / elapsed, 1),
                        # The acknowledgements still to send at the end
                        # (by the queue's worker): how long they took
                        'acknowledgements_drained_s': round(drained, 3),
                        'latency_ms': summary(latencies),
                        'samples_ms': [round(x, 2) for x in latencies],
                        }
                    median = phases[f'clients_{clients}']['latency_ms'][
                        'median']
                    say(f"    {count / elapsed:.1f} mails/s, median "
                        f"{median} ms per mail")
                # Replies of the customers to their tickets
                with connect(DATABASE) as conn:
                    tickets = conn.execute(
                        "SELECT number, name, contact_email, contact_name "
                        "FROM helpdesk_ticket WHERE name LIKE %s "
                        "ORDER BY id LIMIT %s",
                        (f'%{SUBJECT_MARK}%', replies)).fetchall()
                mails = [_mail(
                        offset + i, {'name': name, 'email': email},
                        reply_to=(number, subject))
                    for i, (number, subject, email, name)
                    in enumerate(tickets)]
                say(f"  posting {len(mails)} replies, {concurrency} "
                    "client(s)")
                elapsed, records = _phase(server, mails, concurrency)
                reply_ids = [m for m, _ in mails]
                latencies = [r['latency_ms'] for r in records]
                phases['replies'] = {
                    'clients': concurrency,
                    'mails': len(mails),
                    'elapsed_s': round(elapsed, 3),
                    'mails_per_s': round(len(mails) / elapsed, 1),
                    'latency_ms': summary(latencies),
                    }
                say(f"    {len(mails) / elapsed:.1f} replies/s")
            sink.wait(len(new_ids))
            checks = _check(DATABASE, new_ids, reply_ids, sink)
        say(f"  checks: {checks['tickets']} tickets for "
            f"{checks['new_mails']} mails, {checks['emails_received']} "
            "e-mails"
            + ('' if checks['ok'] else f": {checks['problems'][:3]}"))
        indexes = _indexes(DATABASE, ['inbound_email', 'helpdesk_team'])
    finally:
        if not options.keep:
            drop_database(DATABASE)

    sequential = phases['clients_1']['mails_per_s']
    concurrent = phases[f'clients_{concurrency}']['mails_per_s']
    return {
        'parameters': {
            'mails': count,
            'warmup_mails': warmup,
            'replies': replies,
            'concurrency': [1, concurrency],
            'visitors': {
                'pool': pool_size,
                'note': "as website_form_submit: 60% known customers "
                "(matched by their address), the others new (a party is "
                "created on their first mail); the mails cycle through "
                "the pool",
                },
            'mail': "multipart/alternative text and HTML (the HTML kept "
            "sanitised as message.html), a third in a multipart/mixed "
            "with a 20 kB PDF (attached, shared with the customer); "
            "replies: text with the ticket's [number] in the subject",
            'flow': "each client is an MTA: a keep-alive HTTP connection "
            "posting message/rfc822 bodies to "
            "/<db>/inbound_email/inbox/<identifier> (204 expected), one "
            "mail after another; every POST is timed",
            'server': "one trytond process (werkzeug, threaded), "
            "PostgreSQL, same machine as the client",
            'email': "the acknowledgement is sent to a local aiosmtpd sink; "
            + (QUEUE_WORKER_NOTE if QUEUE_WORKER else "no queue worker: "
                "it is written and sent when the transaction commits, "
                "inside the timed POST"),
            'queue_worker': QUEUE_WORKER,
            'database': DATABASE,
            'indexes': indexes,
            },
        'results': phases,
        'checks': checks,
        'targets': [
            {
                'name': "mails turned into tickets per second, one client",
                'metric': 'results.clients_1.mails_per_s',
                'target': f'>= {TARGET_PER_SECOND}',
                'measured': sequential,
                'met': sequential >= TARGET_PER_SECOND,
                },
            {
                'name': f"mails turned into tickets per second, "
                f"{concurrency} concurrent clients",
                'metric': f'results.clients_{concurrency}.mails_per_s',
                'target': f'>= {TARGET_PER_SECOND}',
                'measured': concurrent,
                'met': concurrent >= TARGET_PER_SECOND,
                },
            {
                'name': "every mail made exactly one ticket (or one reply) "
                "and every ticket one acknowledgement",
                'metric': 'checks.ok',
                'target': 'true',
                'measured': checks['ok'],
                'met': checks['ok'],
                },
            ],
        }
