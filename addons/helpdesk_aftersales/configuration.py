# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval, Id


class Configuration(metaclass=PoolMeta):
    __name__ = 'helpdesk.configuration'

    repair_sequence = fields.MultiValue(fields.Many2One(
            'ir.sequence', "Repair Sequence", required=True,
            domain=[
                ('company', 'in',
                    [Eval('context', {}).get('company', -1), None]),
                ('sequence_type', '=',
                    Id('helpdesk_aftersales', 'sequence_type_repair')),
                ]))
    coupon_validity = fields.TimeDelta(
        "Coupon Validity", required=True,
        help="How long the coupons offered from a ticket are valid "
        "by default.")

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field == 'repair_sequence':
            return pool.get('helpdesk.configuration.sequence')
        return super().multivalue_model(field)

    @classmethod
    def default_repair_sequence(cls, **pattern):
        return cls.multivalue_model(
            'repair_sequence').default_repair_sequence()

    @classmethod
    def default_coupon_validity(cls):
        return dt.timedelta(days=90)


class ConfigurationSequence(metaclass=PoolMeta):
    __name__ = 'helpdesk.configuration.sequence'

    repair_sequence = fields.Many2One(
        'ir.sequence', "Repair Sequence", required=True,
        domain=[
            ('company', 'in', [Eval('company', -1), None]),
            ('sequence_type', '=',
                Id('helpdesk_aftersales', 'sequence_type_repair')),
            ])

    @classmethod
    def default_repair_sequence(cls):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('helpdesk_aftersales', 'sequence_repair')
        except KeyError:
            return None
