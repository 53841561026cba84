# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
import hashlib
import hmac
import re
import secrets

from sql import Null
from sql.operators import Equal

import trytond.config as config
from trytond.i18n import gettext
from trytond.model import Exclude, Index, ModelSQL, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import MobileValidationError

_NOT_DIGITS = re.compile(r'[\s\-.()/]')


def normalize_mobile(value):
    "A mobile number as + and digits: 0098 912-345 becomes +98912345"
    if not value:
        return value
    value = _NOT_DIGITS.sub('', value.strip())
    if value.startswith('00'):
        value = '+' + value[2:]
    return value


def party_language(party):
    """The code of the party's language; it is a value per company: the
    one of the company of the context, else of the first company"""
    pool = Pool()
    Company = pool.get('company.company')
    Party = pool.get('party.party')
    company = Transaction().context.get('company')
    if not company:
        companies = Company.search([], order=[('id', 'ASC')], limit=1)
        company = companies[0].id if companies else None
    with Transaction().set_context(company=company):
        lang = Party(party.id).lang
    return lang.code if lang else None


class WebUser(metaclass=PoolMeta):
    __name__ = 'web.user'

    helpdesk_manager = fields.Boolean(
        "Helpdesk Manager",
        help="The user sees every ticket of their party on the portal.")
    mobile = fields.Char(
        "Mobile",
        help="The number the one-time sign-in codes are sent to.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('helpdesk_mobile_exclude',
                Exclude(t, (t.mobile, Equal),
                    where=(t.active == True) & (t.mobile != Null)),  # noqa
                'helpdesk_website.msg_web_user_mobile_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.mobile, Index.Equality()), where=t.mobile != Null))

    @classmethod
    def default_helpdesk_manager(cls):
        return False

    @classmethod
    def check_password(cls, password, hash_):
        # The accounts created by the staff have no password yet
        if not hash_:
            return False, None
        return super().check_password(password, hash_)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if values.get('mobile'):
            values['mobile'] = normalize_mobile(values['mobile'])
        elif 'mobile' in values:
            values['mobile'] = None
        return values

    @classmethod
    def validate_fields(cls, users, field_names):
        super().validate_fields(users, field_names)
        if field_names and 'mobile' not in field_names:
            return
        for user in users:
            if user.mobile and not re.fullmatch(r'\+?\d{8,16}', user.mobile):
                raise MobileValidationError(gettext(
                        'helpdesk_website.msg_web_user_mobile_invalid',
                        mobile=user.mobile, user=user.rec_name))

    @classmethod
    def by_mobile(cls, number):
        "The active user of the mobile number, or None"
        number = normalize_mobile(number)
        if not number:
            return None
        users = cls.search([('mobile', '=', number)], limit=1)
        return users[0] if users else None


def _hash_code(salt, code):
    return hmac.new(
        salt.encode(), code.encode(), hashlib.sha256).hexdigest()


class LoginCode(ModelSQL):
    "A one-time code sent by SMS to sign a web user in"
    __name__ = 'web.user.login_code'

    user = fields.Many2One(
        'web.user', "User", required=True, ondelete='CASCADE')
    code_hash = fields.Char("Code Hash", strip=False)
    expire = fields.Timestamp("Expire")
    attempts = fields.Integer("Attempts")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls.__rpc__ = {}
        cls._sql_indexes.add(Index(t, (t.user, Index.Equality())))

    @classmethod
    def default_attempts(cls):
        return 0

    @classmethod
    def timeout(cls):
        return dt.timedelta(seconds=config.getint(
                'helpdesk_website', 'code_timeout', default=10 * 60))

    @classmethod
    def max_attempts(cls):
        return config.getint('helpdesk_website', 'code_attempts', default=5)

    @classmethod
    def send(cls, number):
        """Send a new code to the user of the mobile number, if any.
        Nothing tells whether the number has an account."""
        pool = Pool()
        WebUser = pool.get('web.user')
        Configuration = pool.get('helpdesk.configuration')
        user = WebUser.by_mobile(number)
        if not user:
            return
        cls.delete(cls.search([('user', '=', user.id)]))
        code = '%06d' % secrets.randbelow(10 ** 6)
        salt = secrets.token_hex(16)
        cls.create([{
                    'user': user.id,
                    'code_hash': f'{salt}${_hash_code(salt, code)}',
                    'expire': dt.datetime.now() + cls.timeout(),
                    }])
        language = (
            user.party and party_language(user.party)
            or Transaction().language)
        with Transaction().set_context(language=language):
            text = gettext('helpdesk_website.msg_login_code_sms', code=code)
        Configuration(1).send_sms(user.mobile, text)

    @classmethod
    def check(cls, number, code):
        "The user whose valid code is code, used up; None otherwise"
        pool = Pool()
        WebUser = pool.get('web.user')
        user = WebUser.by_mobile(number)
        if not user:
            return None
        now = dt.datetime.now()
        for login_code in cls.search([('user', '=', user.id)]):
            salt, _, digest = (login_code.code_hash or '').partition('$')
            if (login_code.expire < now
                    or login_code.attempts >= cls.max_attempts()):
                cls.delete([login_code])
                continue
            if hmac.compare_digest(_hash_code(salt, code.strip()), digest):
                cls.delete([login_code])
                return user
            login_code.attempts += 1
            if login_code.attempts >= cls.max_attempts():
                cls.delete([login_code])
            else:
                login_code.save()
        return None
