# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .exceptions import TicketPortalCloseError, TicketRatingError
from .team import website_url


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    rating = fields.Integer(
        "Rating", readonly=True,
        help="The stars, from 1 to 5, the customer gave once solved.")
    rating_comment = fields.Text(
        "Rating Comment", readonly=True,
        states={
            'invisible': ~Eval('rating'),
            })
    rating_date = fields.Timestamp(
        "Rated On", readonly=True,
        states={
            'invisible': ~Eval('rating'),
            })
    portal_url = fields.Function(
        fields.Char("Portal URL"), 'get_portal_url')

    @classmethod
    def copy(cls, tickets, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('rating', None)
        default.setdefault('rating_comment', None)
        default.setdefault('rating_date', None)
        return super().copy(tickets, default=default)

    def get_portal_url(self, name):
        return website_url('portal', 'tickets', self.id)

    @classmethod
    def helpdesk_acknowledge(cls, tickets, url, language, in_reply_to=None):
        """Acknowledge the tickets to their customer (the task of the queue
        that portal.acknowledge creates when a worker sends the mails)"""
        from . import portal
        for ticket in tickets:
            if ticket.contact_email:
                # A task: the mail is sent at once, and tried again
                # later by the outbox if the SMTP server refuses it
                portal._acknowledge(
                    ticket, url, language, in_reply_to=in_reply_to,
                    now=True)

    @classmethod
    def validate_fields(cls, tickets, field_names):
        super().validate_fields(tickets, field_names)
        cls.check_rating(tickets, field_names)

    @classmethod
    def check_rating(cls, tickets, field_names=None):
        if field_names and 'rating' not in field_names:
            return
        for ticket in tickets:
            if ticket.rating is not None and not 1 <= ticket.rating <= 5:
                raise TicketRatingError(gettext(
                        'helpdesk_website.msg_ticket_rating_range',
                        ticket=ticket.rec_name))

    @classmethod
    def rate(cls, tickets, rating, comment=None):
        "Record the customer's rating of the solved tickets"
        for ticket in tickets:
            if not ticket.team.use_rating:
                raise TicketRatingError(gettext(
                        'helpdesk_website.msg_ticket_rate_team',
                        ticket=ticket.rec_name, team=ticket.team.rec_name))
            if ticket.state != 'solved':
                raise TicketRatingError(gettext(
                        'helpdesk_website.msg_ticket_rate_not_solved',
                        ticket=ticket.rec_name))
        if not 1 <= rating <= 5:
            raise TicketRatingError(gettext(
                    'helpdesk_website.msg_ticket_rating_range',
                    ticket=', '.join(t.rec_name for t in tickets)))
        cls.write(tickets, {
                'rating': rating,
                'rating_comment': (comment or '').strip() or None,
                'rating_date': dt.datetime.now(),
                })

    @classmethod
    def portal_close(cls, tickets):
        "Close the tickets as their customer asks, where the team allows it"
        for ticket in tickets:
            if not ticket.team.portal_close:
                raise TicketPortalCloseError(gettext(
                        'helpdesk_website.msg_ticket_portal_close',
                        ticket=ticket.rec_name, team=ticket.team.rec_name))
            if ticket.is_closed:
                raise TicketPortalCloseError(gettext(
                        'helpdesk_website.msg_ticket_portal_closed',
                        ticket=ticket.rec_name))
        cls._move_to(tickets, 'solved')

    @classmethod
    def portal_emails(cls, emails):
        pool = Pool()
        WebUser = pool.get('web.user')
        emails = {e.lower() for e in emails if e}
        if not emails:
            return set()
        return {u.email for u in WebUser.search([
                    ('email', 'in', list(emails)),
                    ])}


class TicketAnalysis(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket.analysis'

    rating = fields.Integer("Rating", readonly=True)

    @classmethod
    def table_query(cls):
        query = super().table_query()
        # The core's query reads the ticket table alone
        ticket, = query.from_
        query.columns += (ticket.rating.as_('rating'),)
        return query
