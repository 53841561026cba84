# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"Tools shared by the helpdesk after-sales tests"

import zipfile
from io import BytesIO

from lxml import etree
from proteus import Model, launch_action
from proteus.config import get_config

from trytond.modules.helpdesk_core.tests.tools import create_helpdesk_user
from trytond.pyson import PYSONDecoder

__all__ = [
    'create_user', 'button_state', 'conversation', 'form_links', 'related',
    'odt_text']


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


def form_links(record, config=None):
    """Return the links of the form of record as the client shows them to
    the current user: the name of each link shown with its counter"""
    if config is None:
        config = get_config()
    Action = Model.get('ir.action', config=config)
    context = config.context
    view = record._proxy.fields_view_get(None, 'form', context)
    tree = etree.fromstring(view['arch'])
    # The client decodes the domains with the record and counts with the
    # context of the record, not the one of the action
    decoder = PYSONDecoder({
            'active_model': record.__class__.__name__,
            'active_id': record.id,
            'active_ids': [record.id],
            'context': context,
            })
    links = {}
    for link in tree.xpath('//link'):
        action = Action.get_action_value(int(link.get('id')), context)
        domain = decoder.decode(action['pyson_domain'])
        if action.get('pyson_search_value'):
            domain = [domain, decoder.decode(action['pyson_search_value'])]
        Target = Model.get(action['res_model'], config=config)
        tabs = [decoder.decode(d) for _, d, count in action['domains']
            if count]
        counts = [
            Target._proxy.search_count(
                ['AND', domain, tab] if tabs else domain, 0, 100, context)
            for tab in (tabs or [None])]
        if link.get('empty') == 'hide' and not any(counts):
            continue
        links[action['name']] = counts if tabs else counts[0]
    return links


def related(record, xml_id, records=None, config=None):
    """Return the ids of the records listed by the action xml_id opened
    from record (or from the selected records), as the client does"""
    if records is None:
        records = [record]
    return sorted(
        r.id for r in launch_action(xml_id, records, config=config))


def odt_text(content):
    """Return the text of the paragraphs of an OpenDocument text report,
    one line each, the cells of a table row on one line joined by "|"."""
    ns = {
        'table': 'urn:oasis:names:tc:opendocument:xmlns:table:1.0',
        'text': 'urn:oasis:names:tc:opendocument:xmlns:text:1.0',
        }
    with zipfile.ZipFile(BytesIO(content)) as odt:
        tree = etree.fromstring(odt.read('content.xml'))
    body = tree.xpath('//office:text', namespaces={
            'office': 'urn:oasis:names:tc:opendocument:xmlns:office:1.0'})[0]

    def text(element):
        return ' '.join(''.join(element.itertext()).split())

    lines = []
    for element in body.iter(
            '{%(table)s}table-row' % ns, '{%(text)s}p' % ns,
            '{%(text)s}h' % ns):
        if element.tag.endswith('table-row'):
            # A table in a cell gives its own rows
            cells = [
                ' '.join(text(p) for p in c.xpath(
                        'text:p|text:h', namespaces=ns))
                for c in element.xpath('table:table-cell', namespaces=ns)]
            line = ' | '.join(cells).strip()
        elif element.xpath('ancestor::table:table-row', namespaces=ns):
            continue
        else:
            line = text(element)
        if line.strip(' |'):
            lines.append(line)
    return '\n'.join(lines)
