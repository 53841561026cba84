# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The suggestions of the ticket form: "is your question one of these?"

Only the signed-in customer's own tickets (those the portal shows them)
are suggested; anonymous visitors get none, whatever they type."""

from trytond.transaction import Transaction

from . import portal
from .routes import STATES, _website_team, page, route

SUGGESTIONS = 5
MIN_SUBJECT = 4


@page(readonly=True)
@route('/teams/<int:team_id>/similar', methods=['GET'])
def team_similar(site, team_id):
    Ticket = site.pool.get('helpdesk.ticket')
    team = _website_team(site, team_id)
    args = site.request.args
    name = args.get('name', '').strip()[:200]
    description = args.get('description', '').strip()[:2000]
    tickets = []
    if site.user and len(name) >= MIN_SUBJECT:
        domain = portal.tickets_domain(site.user)
        # The visitor's tickets only: the customer and the e-mail are
        # theirs, the subject and the description tell the question
        with Transaction().set_context(active_test=False):
            candidates = Ticket.duplicate_candidates(
                name, description=description or None, team=team,
                domain=domain, limit=SUGGESTIONS)
        states = dict(STATES)
        for ticket, score in candidates:
            tickets.append({
                    'number': ticket.number,
                    'name': ticket.name,
                    'state': site.gettext(states[ticket.state]),
                    'url': site.url('portal', 'tickets', ticket.id),
                    })
    return site.json({'tickets': tickets})
