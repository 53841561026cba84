# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.model import ModelSQL, fields
from trytond.modules.company.model import CompanyValueMixin
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

OPPORTUNITY_FIELDS = {'opportunity_employee', 'opportunity_as_lead'}


class Configuration(metaclass=PoolMeta):
    __name__ = 'helpdesk.configuration'

    opportunity_employee = fields.MultiValue(fields.Many2One(
            'company.employee', "Default Salesperson",
            domain=[
                ('company', '=', Eval('context', {}).get('company', -1)),
                ],
            help="The salesperson proposed for the leads and opportunities "
            "converted from tickets."))
    opportunity_as_lead = fields.MultiValue(fields.Boolean(
            "Convert to Lead",
            help="Convert tickets into leads to qualify by default, "
            "rather than into opportunities."))

    @classmethod
    def multivalue_model(cls, field):
        pool = Pool()
        if field in OPPORTUNITY_FIELDS:
            return pool.get('helpdesk.configuration.opportunity')
        return super().multivalue_model(field)

    @classmethod
    def default_opportunity_as_lead(cls, **pattern):
        return cls.multivalue_model(
            'opportunity_as_lead').default_opportunity_as_lead()


class ConfigurationOpportunity(ModelSQL, CompanyValueMixin):
    __name__ = 'helpdesk.configuration.opportunity'

    opportunity_employee = fields.Many2One(
        'company.employee', "Default Salesperson", ondelete='SET NULL',
        domain=[
            ('company', '=', Eval('company', -1)),
            ])
    opportunity_as_lead = fields.Boolean("Convert to Lead")

    @classmethod
    def default_opportunity_as_lead(cls):
        return False
