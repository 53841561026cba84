# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import re

from trytond.pool import Pool, PoolMeta

_MESSAGE_ID = re.compile(r'<[^<>\s]+>')


class Channel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    def _email_channel(cls, email):
        """Follow the conversation of a converted ticket into its
        opportunity: the customer's answers reach the salesperson"""
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Opportunity = pool.get('sale.opportunity')
        Message = pool.get('ir.chat.message')
        channel = super()._email_channel(email)
        if channel is not None:
            resource = channel.resource
            if isinstance(resource, Ticket) and resource.opportunity:
                return cls._get_channel(resource.opportunity)
            return channel
        references = _MESSAGE_ID.findall(' '.join(
                    email.get_all('In-Reply-To', [])
                    + email.get_all('References', [])))
        if references:
            messages = Message.search([
                    ('reference', 'in', references),
                    ], order=[('id', 'DESC')], limit=1)
            if messages:
                message, = messages
                resource = message.channel.resource
                # Only the opportunities that come from a ticket take the
                # answers of the customer by e-mail
                if (isinstance(resource, Opportunity)
                        and resource.helpdesk_ticket):
                    return message.channel
