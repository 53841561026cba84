# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""What the web client needs of the views of every module, beyond what
trytond's own view checks test"""

import unittest

from lxml import etree

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, drop_db
from trytond.tests.tools import activate_modules
from trytond.transaction import Transaction

MODULES = [
    'helpdesk_core', 'helpdesk_sla', 'helpdesk_aftersales',
    'helpdesk_website', 'helpdesk_crm']


class ViewsTestCase(unittest.TestCase):
    "The views of the five modules, as sao draws them"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_modules(MODULES + ['timesheet'])

    def test_list_timestamps_have_a_widget(self):
        """sao 8.0 cannot draw a date and time column in a list: Tryton's
        lists show it as a date column and a time column (widget="date",
        widget="time"); without a widget the whole list fails to open"""
        missing = []
        with Transaction().start(DB_NAME, 0, readonly=True):
            pool = Pool()
            View = pool.get('ir.ui.view')
            views = View.search([
                    ('module', 'in', MODULES),
                    ['OR',
                        ('type', '=', 'tree'),
                        ('inherit.type', '=', 'tree'),
                        ],
                    ])
            for view in views:
                model = view.model or (view.inherit and view.inherit.model)
                if not model:
                    continue
                Model = pool.get(model)
                tree = etree.fromstring(view.arch)
                for element in tree.iter('field'):
                    field = Model._fields.get(element.get('name'))
                    if (field is not None
                            and field._type in {'datetime', 'timestamp'}
                            and element.get('widget') not in {
                                'date', 'time'}):
                        missing.append(
                            f"{view.module}: {view.name} "
                            f"({model}.{element.get('name')})")
        self.assertEqual(missing, [], "\n".join(missing))
