# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import logging

from trytond.model import fields
from trytond.pool import PoolMeta

logger = logging.getLogger(__name__)


class Configuration(metaclass=PoolMeta):
    __name__ = 'helpdesk.configuration'

    sms_sender = fields.Selection([
            ('log', "Server Log"),
            ], "SMS Sender", required=True,
        help="How the one-time sign-in codes reach the customers' mobiles.")

    @classmethod
    def default_sms_sender(cls):
        return 'log'

    def send_sms(self, number, text):
        """Send the text to the mobile number with the configured sender

        An add-on adds a gateway with a value of sms_sender and a method
        send_sms_<value>(number, text)."""
        getattr(self, 'send_sms_%s' % (self.sms_sender or 'log'))(
            number, text)

    def send_sms_log(self, number, text):
        "Write the SMS to the server log: for demos and tests"
        logger.info("SMS to %s: %s", number, text)
