# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Tools shared by the helpdesk CRM tests"

from proteus import Model
from proteus.config import get_config

from trytond.modules.helpdesk_core.tests.tools import create_helpdesk_user


def get_group(name, config=None):
    "Return the group of the name in English (group names are translated)"
    Group = Model.get('res.group', config=config)
    with (config or get_config()).set_context(language='en'):
        group, = Group.find([('name', '=', name)])
    return Group(group.id)


def create_employee(name, company=None, config=None):
    "Create an employee of the company (the only one by default)"
    Party = Model.get('party.party', config=config)
    Employee = Model.get('company.employee', config=config)
    Company = Model.get('company.company', config=config)
    if company is None:
        company, = Company.find()
    party = Party(name=name)
    party.save()
    employee = Employee(party=party, company=company)
    employee.save()
    return employee


def create_crm_user(
        login, name=None, helpdesk=True, sales=True, employee=None,
        config=None):
    """Create a user of the helpdesk (an agent), of the sales opportunities,
    or of both, working as employee"""
    User = Model.get('res.user', config=config)
    Company = Model.get('company.company', config=config)
    if helpdesk:
        user = User(create_helpdesk_user(login, name, config=config).id)
    else:
        user = User(login=login, name=name or login.title())
        for company in Company.find():
            user.companies.append(company)
            user.company = company
    if sales:
        user.groups.append(get_group("Sale Opportunity", config=config))
    if employee:
        user.employees.append(employee)
        user.employee = employee
    user.save()
    return user
