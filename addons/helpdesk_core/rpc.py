# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The arguments of the tickets' remote calls (create, write and the
buttons), checked before they reach the model: trytond takes the values of
JSON-RPC as they come, and a value of the wrong kind (a list for a subject,
a text for a customer, an id beyond the database's integers) fails deep in
the ORM or in PostgreSQL as a server error. Here it is refused with a
message saying which field and which value."""

import datetime as dt
from decimal import Decimal

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import PoolMeta
from trytond.rpc import RPC

from .exceptions import RemoteCallError

# The ids PostgreSQL's integer columns hold
MAX_ID = 2 ** 31 - 1
SYSTEM_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}
_TYPES = {
    'char': (str,),
    'text': (str,),
    'selection': (str,),
    'multiselection': (list, tuple),
    'boolean': (bool,),
    'integer': (int,),
    'biginteger': (int,),
    'float': (int, float, Decimal),
    'numeric': (int, float, Decimal),
    'date': (dt.date,),
    'datetime': (dt.datetime,),
    'timestamp': (dt.datetime,),
    'time': (dt.time,),
    'timedelta': (dt.timedelta,),
    'dict': (dict,),
    'binary': (bytes, bytearray),
    }
_X2MANY_ACTIONS = {'create', 'write', 'delete', 'add', 'remove', 'copy'}


def _bad(model, field, value):
    return RemoteCallError(gettext(
            'helpdesk_core.msg_rpc_bad_value',
            model=model.__names__()['model'],
            field=field.string if field else '?',
            value=repr(value)[:80]))


def _is_id(value):
    if isinstance(value, (bool, float, Decimal, str, bytes)):
        return False
    if not isinstance(value, int):
        # proteus, in the same process, gives its records
        try:
            value = int(value)
        except (TypeError, ValueError):
            return False
    return 0 < value <= MAX_ID


def check_ids(model, ids, unique=False):
    "Raise unless ids is a list of record ids (each once if unique)"
    if (not isinstance(ids, (list, tuple))
            or not all(map(_is_id, ids))
            or (unique and len(set(map(int, ids))) != len(ids))):
        raise RemoteCallError(gettext(
                'helpdesk_core.msg_rpc_bad_ids',
                model=model.__names__()['model'], ids=repr(ids)[:80]))


def check_values(model, values):
    "Raise unless values is a dictionary of values of model's fields"
    if not isinstance(values, dict):
        raise _bad(model, None, values)
    for name, value in values.items():
        field = model._fields.get(name) if isinstance(name, str) else None
        if field is None or name in SYSTEM_FIELDS:
            raise RemoteCallError(gettext(
                    'helpdesk_core.msg_rpc_unknown_field',
                    model=model.__names__()['model'], field=repr(name)[:80]))
        check_value(model, field, value)


def check_value(model, field, value):
    "Raise unless value is one the field takes"
    if value is None:
        return
    type_ = field._type
    if isinstance(value, bool) and type_ not in {'boolean'}:
        raise _bad(model, field, value)
    if type_ in _TYPES:
        if not isinstance(value, _TYPES[type_]):
            raise _bad(model, field, value)
        if (type_ in {'integer', 'biginteger'}
                and abs(value) > (MAX_ID if type_ == 'integer' else 2 ** 63)):
            raise _bad(model, field, value)
        if type_ == 'multiselection' and not all(
                isinstance(v, str) for v in value):
            raise _bad(model, field, value)
    elif type_ == 'many2one':
        if not _is_id(value):
            raise _bad(model, field, value)
    elif type_ == 'reference':
        if not isinstance(value, (str, list, tuple)):
            raise _bad(model, field, value)
    elif type_ in {'one2many', 'many2many'}:
        _check_x2many(model, field, value)


def _check_x2many(model, field, value):
    "The actions of a One2Many or a Many2Many: [('add', [ids]), ...]"
    Target = field.get_target()
    if not isinstance(value, (list, tuple)):
        raise _bad(model, field, value)
    for action in value:
        if (not isinstance(action, (list, tuple)) or not action
                or action[0] not in _X2MANY_ACTIONS):
            raise _bad(model, field, action)
        name, args = action[0], action[1:]
        try:
            if name in {'delete', 'add', 'remove'}:
                ids, = args
                check_ids(Target, ids)
            elif name == 'create':
                vlist, = args
                if not isinstance(vlist, (list, tuple)):
                    raise _bad(model, field, action)
                for values in vlist:
                    check_values(Target, values)
            elif name == 'write':
                if not args or len(args) % 2:
                    raise _bad(model, field, action)
                for ids, values in zip(args[::2], args[1::2]):
                    check_ids(Target, ids)
                    check_values(Target, values)
            elif name == 'copy':
                ids, *default = args
                check_ids(Target, ids)
                if default:
                    check_values(Target, default[0])
        except ValueError:
            raise _bad(model, field, action)


def _check_create(model, args):
    vlist, = args
    if not isinstance(vlist, (list, tuple)):
        raise _bad(model, None, vlist)
    for values in vlist:
        check_values(model, values)


def _check_write(model, args):
    if not args or len(args) % 2:
        raise _bad(model, None, args)
    for ids, values in zip(args[::2], args[1::2]):
        check_ids(model, ids, unique=True)
        check_values(model, values)


def _check_button(model, args):
    ids, = args
    check_ids(model, ids, unique=True)


class CheckedRPC(RPC):
    "An RPC whose arguments are checked before the call"
    __slots__ = ('check',)

    def __init__(self, rpc, check):
        super().__init__(
            readonly=rpc.readonly, instantiate=rpc.instantiate,
            decorator=rpc.decorator, result=rpc.result,
            check_access=rpc.check_access, fresh_session=rpc.fresh_session,
            unique=rpc.unique, cache=rpc.cache, timeout=rpc.timeout,
            size_limits=rpc.size_limits)
        self.check = check

    def convert(self, obj, *args, **kwargs):
        # The context is the last argument unless it is given by name
        checked = args if 'context' in kwargs else args[:-1]
        try:
            self.check(obj, checked)
        except (ValueError, TypeError):
            # Not the number of arguments the method takes
            raise RemoteCallError(gettext(
                    'helpdesk_core.msg_rpc_bad_arguments',
                    model=obj.__names__()['model']))
        return super().convert(obj, *args, **kwargs)


def check_remote_calls(cls, buttons):
    "Check the arguments of create, write and the buttons of cls over RPC"
    checks = {'create': _check_create, 'write': _check_write}
    checks.update({b: _check_button for b in buttons})
    for name, check in checks.items():
        rpc = cls.__rpc__.get(name)
        if rpc is not None and not isinstance(rpc, CheckedRPC):
            cls.__rpc__[name] = CheckedRPC(rpc, check)


class Ticket(metaclass=PoolMeta):
    __name__ = 'helpdesk.ticket'

    @classmethod
    def __post_setup__(cls):
        super().__post_setup__()
        check_remote_calls(cls, [
                b for b in cls._buttons
                if not isinstance(getattr(cls, b, None), fields.Field)])
