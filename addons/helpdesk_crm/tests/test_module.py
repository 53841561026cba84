# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.modules.company.tests import CompanyTestMixin
from trytond.tests.test_tryton import ModuleTestCase


class HelpdeskCrmTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Helpdesk CRM module"
    module = 'helpdesk_crm'


del ModuleTestCase
