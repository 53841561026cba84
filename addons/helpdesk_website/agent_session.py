# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The pages of the agents beside the web client (the live chat console,
the board): they act with a Tryton session of the agent (ir.session)

The web client's menu opens them with a new key of the user's session in
the address; the page exchanges it at once for a session of its own, kept
in an HttpOnly cookie of the page, so that the address cannot give it away
again. Every change is a fetch POST with a CSRF token bound to that key."""

from functools import wraps
from http import HTTPStatus

from werkzeug.utils import redirect as redirect_response

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.pool import Pool
from trytond.transaction import Transaction, check_access

from . import security
from .routes import PageError, _

CSRF_HEADER = 'X-CSRF-Token'


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def open_url(url, **query):
    """The address of the page url with a new key of the Tryton session of
    the current user, for the page to exchange (from a wizard of the menu)"""
    pool = Pool()
    Session = pool.get('ir.session')
    key = Session.new()
    query = {'user': Transaction().user, 'key': key, **query}
    return url + '?' + '&'.join(
        f'{k}={v}' for k, v in query.items() if v is not None)


def exchange_key(site, cookie):
    """Exchange the key of the address for a session of the page in the
    cookie; return whether the address had a key (the page redirects)"""
    pool = site.pool
    Session = pool.get('ir.session')
    args = site.request.args
    user_id, key = _int(args.get('user')), args.get('key', '')[:200]
    if not (user_id and key):
        return False
    if Session.check(user_id, key):
        Session.remove(key)
        with Transaction().set_user(user_id):
            new_key = Session.new()
        site.cookies[cookie] = f'{user_id}:{new_key}'
    return True


def redirect(site, url):
    return site.response(redirect_response(url, code=HTTPStatus.SEE_OTHER))


def session_user(site, cookie):
    """The agent of the session in the cookie, with its key, or (None,
    None): a valid Tryton session of an active user"""
    pool = site.pool
    Session = pool.get('ir.session')
    User = pool.get('res.user')
    value = site.request.cookies.get(cookie, '')
    user_id, _sep, key = value.partition(':')
    user_id = _int(user_id)
    if not user_id or not key:
        return None, None
    if not Session.check(user_id, key):
        return None, None
    if not Session.check_timeout(user_id, key):
        return None, None
    Session.reset(key)
    user = User(user_id)
    if not user.active:
        return None, None
    return user, key


def check_csrf(site, key):
    token = site.request.headers.get(CSRF_HEADER)
    if not security.check_csrf(key, token):
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "This form has expired or did not come from this website. "
                "Go back, reload the page and try again."))


def require_fetch(site):
    """The page's requests carry a header no form of another site can send
    without our permission (we grant no CORS)"""
    if site.request.headers.get('X-Requested-With') != 'fetch':
        raise PageError(HTTPStatus.FORBIDDEN, _(
                "This request did not come from a page of this website."))


def agent_page(cookie, refused, access=False):
    """Decorate a route of an agent's page: it runs as the agent of the
    cookie's session (else 403 with the message refused), a POST needs
    the fetch header and the CSRF token; with access, the model access and
    the record rules of the agent apply as they do over RPC. The user errors
    and access errors are answered in JSON with their message."""
    def decorator(func):
        @wraps(func)
        def wrapper(site, **kwargs):
            user, key = session_user(site, cookie)
            if not user:
                raise PageError(HTTPStatus.FORBIDDEN, refused)
            if site.request.method == 'POST':
                require_fetch(site)
                check_csrf(site, key)
            transaction = Transaction()
            with transaction.set_user(user.id), transaction.set_context(
                    agent_context(user, access)):
                try:
                    if access:
                        with check_access():
                            return func(site, user, key, **kwargs)
                    return func(site, user, key, **kwargs)
                except (UserError, AccessError) as exception:
                    transaction.rollback()
                    return site.json(
                        {'error': exception.message},
                        status=HTTPStatus.BAD_REQUEST)
        return wrapper
    return decorator


def agent_context(user, company=False):
    """The context of the agent's requests: the language of the user, and
    with company the user's company as the web client sends it (the record
    rules get the user's companies themselves)"""
    context = {'language': user.language.code if user.language else 'en'}
    if company:
        context['company'] = user.company.id if user.company else None
    return context
