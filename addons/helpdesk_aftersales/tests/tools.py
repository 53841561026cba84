# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Tools shared by the helpdesk after-sales tests"

from lxml import etree
from proteus import Model
from proteus.config import get_config

from trytond.modules.helpdesk_core.tests.tools import create_helpdesk_user
from trytond.pyson import PYSONDecoder

__all__ = ['create_user', 'button_state', 'conversation']


def create_user(login, name=None, groups=(), config=None):
    """Create a helpdesk agent who is also in the groups,
    given by their English names ("Accounting", "Sales", "Stock")"""
    Group = Model.get('res.group', config=config)
    user = create_helpdesk_user(login, name, config=config)
    if groups:
        # Group names are translated
        with (config or get_config()).set_context(language='en'):
            found = Group.find([('name', 'in', list(groups))])
        assert len(found) == len(groups), groups
        for group in found:
            user.groups.append(Group(group.id))
        user.save()
    return user


def _value(value):
    if isinstance(value, Model):
        return value.id
    if isinstance(value, (list, tuple)):
        return [_value(v) for v in value]
    return value


def button_state(record, name, config=None):
    """Return how the form of record shows its button name to the current
    user: 'visible', 'readonly' or 'invisible'"""
    if config is None:
        config = get_config()
    view = record._proxy.fields_view_get(None, 'form', config.context)
    tree = etree.fromstring(view['arch'])
    buttons = tree.xpath('//button[@name=$name]', name=name)
    if not buttons:
        return 'invisible'
    button, = buttons
    env = {
        'id': record.id,
        'context': config.context,
        }
    for field in record._fields:
        env[field] = _value(getattr(record, field))
    states = PYSONDecoder(env).decode(button.get('states', '{}'))
    if states.get('invisible'):
        return 'invisible'
    if states.get('readonly'):
        return 'readonly'
    return 'visible'


def conversation(record, audience=None, config=None):
    "Return the content of the messages of the conversation of record"
    if config is None:
        config = get_config()
    Channel = Model.get('ir.chat.channel', config=config)
    resource = '%s,%s' % (record.__class__.__name__, record.id)
    return [
        m['content'] for m in Channel._proxy.get(
            resource, None, None, config.context)
        if audience is None or m['audience'] == audience]
