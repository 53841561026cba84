# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The routes of the website, under /<database>/helpdesk/: the teams and
their ticket forms, the customer accounts, the portal and the
announcements"""

import datetime as dt
import json
import os
import re
import urllib.parse
import uuid
from functools import wraps
from http import HTTPStatus

from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect as redirect_response
from werkzeug.utils import send_from_directory

import trytond.config as config
from trytond.exceptions import RateLimitException, UserError, UserWarning
from trytond.protocols.wrappers import Response, with_pool, with_transaction
from trytond.tools.email_ import normalize_email
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import portal, security, website
from .web import party_language

PREFIX = '/<database_name>/helpdesk'


def _(message):
    "Mark a message for the catalogue: translated when shown"
    return message


PRIORITIES = [
    ('0', _("Low")), ('1', _("Medium")), ('2', _("High")),
    ('3', _("Urgent"))]
STATES = [
    ('open', _("Open")), ('closed', _("Closed")), ('new', _("New")),
    ('in_progress', _("In Progress")), ('waiting', _("Waiting for You")),
    ('solved', _("Solved")), ('cancelled', _("Cancelled"))]
MAX_TEXT = 20000
# The key a ticket form carries (_request_key): uuid4().hex
REQUEST_KEY = re.compile('[0-9a-f]{32}')


class PageError(Exception):
    "Answer with the error page of status"

    def __init__(self, status, message=None, **variables):
        super().__init__(status)
        self.status = status
        self.message = message
        self.variables = variables


class Site:
    "What a page of the website knows of its request and its visitor"

    def __init__(self, request, pool, database):
        pool_get = pool.get
        self.request = request
        self.pool = pool
        self.database = database
        self.root = f'/{database}/helpdesk'
        self.cookies = {}
        self.session_key = request.cookies.get(security.SESSION_COOKIE)
        self.browser = request.cookies.get(security.BROWSER_COOKIE)
        self.user = None
        if self.session_key:
            WebUser = pool_get('web.user')
            self.user = WebUser.get_user(self.session_key)
            if not self.user:
                self.session_key = None
                self.cookies[security.SESSION_COOKIE] = None
        if not self.browser:
            self.browser = security.new_token()
            self.cookies[security.BROWSER_COOKIE] = self.browser
        language_of_party = None
        if self.user and self.user.party:
            language_of_party = party_language(self.user.party)
        self.language = website.best_language(
            request.accept_languages, request.args.get('lang'),
            request.cookies.get('helpdesk_language'), language_of_party)
        if request.args.get('lang') == self.language:
            self.cookies['helpdesk_language'] = self.language

    @property
    def csrf_secret(self):
        return self.session_key if self.user else self.browser

    @property
    def csrf_token(self):
        return security.csrf_token(self.csrf_secret)

    def check_csrf(self):
        if not security.check_csrf(
                self.csrf_secret,
                self.request.form.get(security.CSRF_FIELD)):
            raise PageError(
                HTTPStatus.FORBIDDEN,
                _("This form has expired or did not come from this "
                    "website. Go back, reload the page and try again."))

    def check_rate(self, action):
        Attempt = self.pool.get('helpdesk.website.attempt')
        if Attempt.exceeded(action):
            raise PageError(
                HTTPStatus.TOO_MANY_REQUESTS,
                _("Too many attempts from your network. Please wait a few "
                    "minutes and try again."))
        Attempt.add(action)

    def check_honeypot(self):
        "Refuse the forms filled by robots: people do not see the field"
        if self.request.form.get(security.HONEYPOT_FIELD):
            raise PageError(
                HTTPStatus.BAD_REQUEST,
                _("Your message looks automated and was not sent."))

    def require_user(self):
        if not self.user:
            raise _Redirect(self.url(
                    'signin', next=self.request.full_path.rstrip('?')))
        return self.user

    def gettext(self, message, **variables):
        return website.gettext(self.language, message, **variables)

    def url(self, *path, **query):
        url = '/'.join([self.root, *(str(p) for p in path)])
        query = {k: v for k, v in query.items() if v not in {None, ''}}
        if query:
            url += '?' + urllib.parse.urlencode(query)
        return url

    def absolute_url(self, *path, **query):
        return self.request.host_url.rstrip('/') + self.url(*path, **query)

    def safe_next(self, url):
        "Only a page of this website: never send the visitor elsewhere"
        if url and url.startswith(self.root + '/') and '//' not in url:
            return url
        return self.url('portal', 'tickets')

    def announcements(self, teams=None):
        Announcement = self.pool.get('helpdesk.announcement')
        return Announcement.current(teams=teams)

    def render(self, template, status=HTTPStatus.OK, **values):
        values.update(
            site=self, user=self.user, csrf_token=self.csrf_token,
            csrf_field=security.CSRF_FIELD,
            honeypot_field=security.HONEYPOT_FIELD,
            upload_limits=security.upload_limits(),
            upload_accept=security.UPLOAD_ACCEPT)
        values.setdefault('banners', self.announcements())
        html = website.render(template, self.language, **values)
        return self.response(Response(
                html, status=status, content_type='text/html; charset=utf-8'))

    def json(self, data, status=HTTPStatus.OK):
        return self.response(Response(
                json.dumps(data), status=status,
                content_type='application/json'))

    def redirect(self, url):
        return self.response(redirect_response(url, code=HTTPStatus.SEE_OTHER))

    def response(self, response):
        for name, value in security.SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers.setdefault('Cache-Control', 'no-store')
        for name, value in self.cookies.items():
            if value is None:
                response.delete_cookie(name, path=self.root)
            else:
                response.set_cookie(
                    name, value, path=self.root, httponly=True,
                    samesite='Lax', secure=self.request.is_secure,
                    max_age=(None if name == security.SESSION_COOKIE
                        else 365 * 24 * 60 * 60))
        return response

    def sign_in(self, user):
        self.session_key = user.new_session()
        self.user = user
        self.cookies[security.SESSION_COOKIE] = self.session_key

    def sign_out(self):
        Session = self.pool.get('web.user.session')
        if self.session_key:
            Session.remove(self.session_key)
        self.session_key = self.user = None
        self.cookies[security.SESSION_COOKIE] = None

    @property
    def wants_json(self):
        return self.request.headers.get('X-Requested-With') == 'fetch'


class _Redirect(Exception):
    def __init__(self, url):
        super().__init__(url)
        self.url = url


def page(readonly=None):
    """Decorate a route of the website: a transaction as root, the Site of
    the request, the error pages and the security headers"""
    def decorator(func):
        @app.route(*func._route)
        @with_pool
        @with_transaction(readonly=readonly, user=0)
        @wraps(func)
        def wrapper(request, pool, **kwargs):
            database = pool.database_name
            site = Site(request, pool, database)
            transaction = Transaction()
            with transaction.set_context(language=site.language):
                try:
                    return func(site, **kwargs)
                except _Redirect as exception:
                    return site.redirect(exception.url)
                except PageError as exception:
                    transaction.rollback()
                    return _error(site, exception)
                except RateLimitException:
                    transaction.rollback()
                    return _error(site, PageError(
                            HTTPStatus.TOO_MANY_REQUESTS,
                            _("Too many attempts from your network. Please "
                                "wait a few minutes and try again.")))
        return wrapper
    return decorator


def _error(site, exception):
    titles = {
        HTTPStatus.BAD_REQUEST: _("Your request could not be processed"),
        HTTPStatus.FORBIDDEN: _("Forbidden"),
        HTTPStatus.NOT_FOUND: _("Page not found"),
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE: _("Too large"),
        HTTPStatus.TOO_MANY_REQUESTS: _("Too many attempts"),
        }
    message = exception.message or _(
        "The page you asked for does not exist or is not yours to see.")
    message = site.gettext(message, **exception.variables)
    if site.wants_json:
        return site.json({'error': message}, status=exception.status)
    return site.render(
        'error.html', status=exception.status,
        title=titles.get(exception.status, _("Error")), message=message,
        banners=[])


def route(rule, methods=None):
    def decorator(func):
        func._route = (PREFIX + rule, methods)
        return func
    return decorator


def not_found():
    raise PageError(HTTPStatus.NOT_FOUND)


# --- Static files: our own, and Bootstrap from npm (web/node_modules)

def _vendor_directory(package='bootstrap5', directory='dist',
        option='bootstrap'):
    "The directory of an npm package's files: [helpdesk_website] option"
    configured = config.get('helpdesk_website', option, default=None)
    if configured:
        return configured
    candidates = []
    if config.get('web', 'root'):
        candidates.append(os.path.join(
                config.get('web', 'root'), 'node_modules', package,
                directory))
    candidates.append(os.path.join(
            website.HERE, '..', '..', 'web', 'node_modules', package,
            directory))
    for candidate in candidates:
        if os.path.isdir(candidate):
            return candidate
    return candidates[0]


def _static(request, directory, path):
    try:
        response = send_from_directory(
            directory, path, request.environ, max_age=24 * 60 * 60)
    except NotFound:
        return NotFound()
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route(PREFIX + '/static/<path:path>', methods=['GET'])
def static(request, database_name, path):
    return _static(request, website.STATIC, path)


@app.route(PREFIX + '/vendor/bootstrap/<path:path>', methods=['GET'])
def vendor_bootstrap(request, database_name, path):
    return _static(request, _vendor_directory(), path)


# --- Teams and their ticket forms

@page()
@route('/', methods=['GET'])
def teams(site):
    Team = site.pool.get('helpdesk.team')
    return site.render('teams.html', teams=Team.website_teams())


def _website_team(site, team_id):
    Team = site.pool.get('helpdesk.team')
    teams = Team.search([
            ('id', '=', team_id),
            Team.website_domain(),
            ], limit=1)
    if not teams:
        not_found()
    return teams[0]


def _ticket_types(site):
    Type = site.pool.get('helpdesk.ticket.type')
    return Type.search([])


def _form_values(site, team):
    "The values of the ticket form and the errors they have"
    form = site.request.form
    user = site.user
    values = {
        'contact_name': form.get('contact_name', '').strip()[:200],
        'contact_email': form.get('contact_email', '').strip()[:200],
        'contact_phone': form.get('contact_phone', '').strip()[:50],
        'name': form.get('name', '').strip()[:200],
        'description': _text(form.get('description', ''))[:MAX_TEXT],
        'priority': form.get('priority', '1'),
        'type': None,
        }
    if user:
        values['contact_email'] = user.email
        if not values['contact_name']:
            values['contact_name'] = (
                user.party.rec_name if user.party else user.email)
    errors = {}
    if not values['contact_name']:
        errors['contact_name'] = _("Enter your name.")
    if website.is_email(values['contact_email']):
        values['contact_email'] = normalize_email(values['contact_email'])
    else:
        errors['contact_email'] = _("Enter a valid e-mail address.")
    if not values['name']:
        errors['name'] = _("Enter the subject of your request.")
    if not values['description']:
        errors['description'] = _("Describe your request.")
    if values['priority'] not in dict(PRIORITIES):
        errors['priority'] = _("Choose a priority of the list.")
    if form.get('type'):
        types = {str(t.id): t.id for t in _ticket_types(site)}
        if form['type'] not in types:
            errors['type'] = _("Choose a type of the list.")
        else:
            values['type'] = types[form['type']]
    return values, errors


def _uploaded_files(site, field='files'):
    files = [
        (f.filename, f.read())
        for f in site.request.files.getlist(field) if f.filename]
    return security.check_uploads(files)


def _submitted_signature(site, ticket_id):
    return security.csrf_token(f'{site.browser}:{ticket_id}')


def _request_key(site):
    """The key of the form sent, made when the form was shown: the same
    form sent again (a retry after an error, a second click) is one ticket"""
    key = site.request.form.get('request_key', '')
    if REQUEST_KEY.fullmatch(key):
        return key


def _ticket_of_request(site, team, key):
    Ticket = site.pool.get('helpdesk.ticket')
    if key:
        tickets = Ticket.search([
                ('request_key', '=', key),
                ('team', '=', team.id),
                ], limit=1)
        if tickets:
            return tickets[0]


def _ticket_submitted(site, team, ticket):
    url = site.url(
        'teams', team.id, 'submitted', ticket.id,
        _submitted_signature(site, ticket.id))
    if site.wants_json:
        return site.json({'redirect': url, 'number': ticket.number})
    return site.redirect(url)


@page()
@route('/teams/<int:team_id>', methods=['GET', 'POST'])
def team_form(site, team_id):
    team = _website_team(site, team_id)
    values, errors = {'priority': '1'}, {}
    key = None
    if site.request.method == 'POST':
        site.check_csrf()
        key = _request_key(site)
        if ticket := _ticket_of_request(site, team, key):
            return _ticket_submitted(site, team, ticket)
        if not site.user:
            site.check_honeypot()
            site.check_rate('ticket_form')
        values, errors = _form_values(site, team)
        files = []
        try:
            files = _uploaded_files(site)
        except security.UploadError as exception:
            errors['files'] = site.gettext(
                exception.message, **_upload_variables(site, exception))
        errors = {k: site.gettext(v) if k != 'files' else v
            for k, v in errors.items()}
        if not errors:
            values['request_key'] = key
            try:
                ticket = portal.create_ticket(
                    team, values, files, web_user=site.user)
            except (UserError, UserWarning) as exception:
                Transaction().rollback()
                # The same form sent twice at once: the other made it
                if ticket := _ticket_of_request(site, team, key):
                    return _ticket_submitted(site, team, ticket)
                errors['form'] = exception.message
            else:
                portal.acknowledge(
                    ticket, site.absolute_url('portal', 'tickets', ticket.id),
                    site.language)
                return _ticket_submitted(site, team, ticket)
        if site.wants_json:
            return site.json({'errors': errors}, status=HTTPStatus.BAD_REQUEST)
    return site.render(
        'team_form.html', team=team, values=values, errors=errors,
        types=_ticket_types(site), priorities=PRIORITIES,
        banners=site.announcements(teams=[team]),
        request_key=key or uuid.uuid4().hex,
        status=HTTPStatus.BAD_REQUEST if errors else HTTPStatus.OK)


def _upload_variables(site, exception):
    variables = dict(exception.variables)
    fmt = website.Formatter(site.language)
    if 'size' in variables:
        variables['size'] = fmt.size(variables['size'])
    if 'count' in variables:
        variables['count'] = fmt.number(variables['count'])
    return variables


@page()
@route('/teams/<int:team_id>/submitted/<int:ticket_id>/<signature>',
    methods=['GET'])
def team_submitted(site, team_id, ticket_id, signature):
    Ticket = site.pool.get('helpdesk.ticket')
    # Only the browser that sent the form sees its number
    if not security.check_csrf(f'{site.browser}:{ticket_id}', signature):
        not_found()
    ticket = Ticket(ticket_id)
    if ticket.team.id != team_id:
        not_found()
    return site.render('ticket_created.html', ticket=ticket, team=ticket.team)


# --- Customer accounts

def _signed_in(site, user, next_=None):
    site.sign_in(user)
    return site.redirect(site.safe_next(next_))


def _check_password(site, password, confirm):
    WebUser = site.pool.get('web.user')
    if password != confirm:
        return site.gettext("The two passwords are not the same.")
    if len(password) < 8:
        return site.gettext("Choose a password of at least 8 characters.")
    try:
        WebUser.validate_password(password, [])
    except AttributeError:
        pass
    except UserError as exception:
        return exception.message


@page()
@route('/signin', methods=['GET', 'POST'])
def signin(site):
    WebUser = site.pool.get('web.user')
    form = site.request.form
    next_ = site.request.values.get('next')
    error = None
    if site.request.method == 'POST':
        site.check_csrf()
        site.check_rate('signin')
        email = form.get('email', '').strip()[:200]
        password = form.get('password', '')[:1024]
        user = None
        if email and password:
            user = WebUser.authenticate(email, password)
        if user:
            return _signed_in(site, user, next_)
        # Accounts created by the staff have no password: the first
        # sign-in sends the link to choose one. The answer is the same
        # for every account, and for no account.
        if email:
            users = WebUser.search([
                    ('email', '=', email.lower()),
                    ('password_hash', '=', None),
                    ], limit=1)
            if users:
                _send_reset(site, users[0], first=True)
        error = site.gettext(
            "The e-mail or the password is not right. If your account has "
            "no password yet, we have sent you an e-mail to choose one.")
    return site.render(
        'signin.html', error=error, next=next_,
        email=form.get('email', ''),
        status=HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK)


@page()
@route('/signin/mobile', methods=['POST'])
def signin_mobile(site):
    LoginCode = site.pool.get('web.user.login_code')
    site.check_csrf()
    site.check_rate('signin')
    number = site.request.form.get('mobile', '').strip()[:50]
    next_ = site.request.form.get('next')
    if not number:
        return site.render(
            'signin.html', error_mobile=site.gettext(
                "Enter your mobile number."),
            next=next_, status=HTTPStatus.BAD_REQUEST)
    with Transaction().set_context(language=site.language):
        LoginCode.send(number)
    # The same page whether the number has an account or not
    return site.render('signin_code.html', mobile=number, next=next_)


@page()
@route('/signin/code', methods=['POST'])
def signin_code(site):
    LoginCode = site.pool.get('web.user.login_code')
    site.check_csrf()
    site.check_rate('signin')
    number = site.request.form.get('mobile', '').strip()[:50]
    code = site.request.form.get('code', '').strip()[:20]
    next_ = site.request.form.get('next')
    user = LoginCode.check(number, code) if number and code else None
    if user:
        return _signed_in(site, user, next_)
    return site.render(
        'signin_code.html', mobile=number, next=next_,
        error=site.gettext(
            "This code is not right or has expired. Ask for a new one if "
            "needed."),
        status=HTTPStatus.BAD_REQUEST)


@page()
@route('/signup', methods=['GET', 'POST'])
def signup(site):
    WebUser = site.pool.get('web.user')
    form = site.request.form
    errors = {}
    values = {
        'name': form.get('name', '').strip()[:200],
        'email': form.get('email', '').strip()[:200],
        }
    if site.request.method == 'POST':
        site.check_csrf()
        site.check_honeypot()
        site.check_rate('signup')
        if not values['name']:
            errors['name'] = site.gettext("Enter your name.")
        if website.is_email(values['email']):
            values['email'] = normalize_email(values['email']).lower()
        else:
            errors['email'] = site.gettext("Enter a valid e-mail address.")
        password_error = _check_password(
            site, form.get('password', ''), form.get('confirm', ''))
        if password_error:
            errors['password'] = password_error
        if not errors:
            users = WebUser.search([
                    ('email', '=', values['email']),
                    ('active', 'in', [True, False]),
                    ], limit=1)
            if users:
                # Tell the owner of the address, not the visitor
                portal.send_email(
                    values['email'], site.gettext("Your helpdesk account"),
                    'account_exists', site.language, resource=users[0],
                    signin_url=site.absolute_url('signin'),
                    reset_url=site.absolute_url('reset'))
            else:
                party = portal.customer_of(values['email'], values['name'])
                user = WebUser(
                    email=values['email'], party=party,
                    password=form['password'])
                user.set_email_token()
                user.save()
                _send_validation(site, user)
            return site.render('signup_done.html', email=values['email'])
    return site.render(
        'signup.html', values=values, errors=errors,
        status=HTTPStatus.BAD_REQUEST if errors else HTTPStatus.OK)


def _send_validation(site, user):
    portal.send_email(
        user.email, site.gettext("Validate your e-mail address"),
        'validate_email', site.language, resource=user,
        url=site.absolute_url('validate', user.email_token))


def _send_reset(site, user, first=False):
    WebUser = site.pool.get('web.user')
    now = dt.datetime.now()
    # One link at a time: asking again does not flood the mailbox
    if (user.reset_password_token_expire
            and user.reset_password_token_expire > now
            and user.reset_password_token):
        return
    user.set_reset_password_token()
    WebUser.save([user])
    portal.send_email(
        user.email,
        site.gettext("Choose your password") if first
        else site.gettext("Reset your password"),
        'reset_password', site.language, resource=user, first=first,
        url=site.absolute_url(
            'reset', user.reset_password_token, email=user.email))


# The link of the e-mail validates and signs in: it writes on GET
@page(readonly=False)
@route('/validate/<token>', methods=['GET'])
def validate(site, token):
    WebUser = site.pool.get('web.user')
    users = WebUser.validate_email_token([token[:200]])
    if users:
        user, = users
        site.sign_in(user)
    return site.render('validated.html', validated=bool(users))


@page()
@route('/reset', methods=['GET', 'POST'])
def reset(site):
    WebUser = site.pool.get('web.user')
    if site.request.method == 'POST':
        site.check_csrf()
        site.check_rate('signin')
        email = site.request.form.get('email', '').strip().lower()[:200]
        users = WebUser.search([('email', '=', email)], limit=1)
        if users:
            _send_reset(site, users[0])
        return site.render('reset_sent.html', email=email)
    return site.render('reset.html')


@page()
@route('/reset/<token>', methods=['GET', 'POST'])
def reset_password(site, token):
    WebUser = site.pool.get('web.user')
    email = site.request.values.get('email', '').strip().lower()[:200]
    error = None
    if site.request.method == 'POST':
        site.check_csrf()
        site.check_rate('signin')
        form = site.request.form
        error = _check_password(
            site, form.get('password', ''), form.get('confirm', ''))
        if not error:
            if WebUser.set_password_token(
                    email, token[:200], form['password']):
                user, = WebUser.search([('email', '=', email)], limit=1)
                if not user.email_valid:
                    # The link came to the address: it is the user's
                    user.email_valid = True
                    user.save()
                site.sign_in(user)
                return site.redirect(site.url('portal', 'tickets'))
            error = site.gettext(
                "This link is not valid or has expired. Ask for a new one.")
    return site.render(
        'reset_password.html', token=token, email=email, error=error,
        status=HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK)


@page()
@route('/signout', methods=['POST'])
def signout(site):
    site.check_csrf()
    site.sign_out()
    return site.redirect(site.url(''))


# --- Portal

def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _text(value):
    "The text of a text area, its lines ended the way of Tryton"
    return value.replace('\r\n', '\n').replace('\r', '\n').strip()


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@page()
@route('/portal', methods=['GET'])
def portal_home(site):
    return site.redirect(site.url('portal', 'tickets'))


@page()
@route('/portal/tickets', methods=['GET'])
def portal_tickets(site):
    Team = site.pool.get('helpdesk.team')
    user = site.require_user()
    args = site.request.args
    filters = {
        'q': args.get('q', '').strip()[:100],
        'subject': args.get('subject', '').strip()[:100],
        'number': args.get('number', '').strip()[:50],
        'team': _int(args.get('team')),
        'state': args.get('state', 'open')
        if args.get('state', 'open') in dict(STATES) | {'all': ''}
        else 'open',
        'start': _date(args.get('start')),
        'end': _date(args.get('end')),
        }
    if filters['state'] == 'all':
        filters['state'] = ''
    page_number = max(_int(args.get('page'), 1), 1)
    tickets, count = portal.search_tickets(user, filters, page=page_number)
    pages = max((count + portal.PAGE_SIZE - 1) // portal.PAGE_SIZE, 1)
    now = dt.datetime.now()
    waiting = {}
    for ticket in tickets:
        # helpdesk_core's waiting_since, as the agents' bands count it
        since = ticket.waiting_since
        if since:
            waiting[ticket.id] = now - since
    query = {k: v for k, v in args.items() if k != 'page'}
    return site.render(
        'portal_tickets.html', tickets=tickets, count=count,
        page=page_number, pages=pages, filters=filters,
        state=args.get('state', 'open'), states=STATES,
        teams=Team.search([('visibility', '=', 'portal')]),
        waiting=waiting, query=query)


def _portal_ticket(site, ticket_id):
    user = site.require_user()
    ticket = portal.get_ticket(user, ticket_id)
    if not ticket:
        not_found()
    return ticket


def _render_ticket(site, ticket, status=HTTPStatus.OK, **values):
    values.setdefault('errors', {})
    messages, request_files = portal.conversation(ticket)
    return site.render(
        'portal_ticket.html', status=status, ticket=ticket,
        messages=messages, request_files=request_files,
        waiting=ticket.waiting_since, now=dt.datetime.now(),
        banners=site.announcements(teams=[ticket.team]), **values)


@page()
@route('/portal/tickets/<int:ticket_id>', methods=['GET'])
def portal_ticket(site, ticket_id):
    ticket = _portal_ticket(site, ticket_id)
    return _render_ticket(site, ticket, notice=site.request.args.get('done'))


@page()
@route('/portal/tickets/<int:ticket_id>/reply', methods=['POST'])
def portal_reply(site, ticket_id):
    ticket = _portal_ticket(site, ticket_id)
    site.check_csrf()
    content = _text(site.request.form.get('content', ''))[:MAX_TEXT]
    errors = {}
    files = []
    try:
        files = _uploaded_files(site)
    except security.UploadError as exception:
        errors['files'] = site.gettext(
            exception.message, **_upload_variables(site, exception))
    if not content:
        errors['content'] = site.gettext("Write your message.")
    if not errors:
        try:
            portal.reply(ticket, site.user, content, files)
        except (UserError, UserWarning) as exception:
            Transaction().rollback()
            errors['form'] = exception.message
        else:
            url = site.url('portal', 'tickets', ticket.id, done='replied')
            if site.wants_json:
                return site.json({'redirect': url})
            return site.redirect(url)
    if site.wants_json:
        return site.json({'errors': errors}, status=HTTPStatus.BAD_REQUEST)
    return _render_ticket(
        site, ticket, status=HTTPStatus.BAD_REQUEST, errors=errors,
        content=content)


@page()
@route('/portal/tickets/<int:ticket_id>/close', methods=['POST'])
def portal_close(site, ticket_id):
    Ticket = site.pool.get('helpdesk.ticket')
    ticket = _portal_ticket(site, ticket_id)
    site.check_csrf()
    try:
        Ticket.portal_close([ticket])
    except UserError as exception:
        Transaction().rollback()
        return _render_ticket(
            site, ticket, status=HTTPStatus.BAD_REQUEST,
            errors={'close': exception.message})
    return site.redirect(
        site.url('portal', 'tickets', ticket.id, done='closed'))


@page()
@route('/portal/tickets/<int:ticket_id>/rate', methods=['POST'])
def portal_rate(site, ticket_id):
    Ticket = site.pool.get('helpdesk.ticket')
    ticket = _portal_ticket(site, ticket_id)
    site.check_csrf()
    rating = _int(site.request.form.get('rating'))
    comment = site.request.form.get('comment', '').strip()[:MAX_TEXT]
    if rating is None:
        return _render_ticket(
            site, ticket, status=HTTPStatus.BAD_REQUEST,
            errors={'rating': site.gettext("Choose from one to five stars.")},
            comment=comment)
    try:
        Ticket.rate([ticket], rating, comment)
    except UserError as exception:
        Transaction().rollback()
        return _render_ticket(
            site, ticket, status=HTTPStatus.BAD_REQUEST,
            errors={'rating': exception.message}, comment=comment)
    return site.redirect(
        site.url('portal', 'tickets', ticket.id, done='rated'))


@page()
@route('/portal/files', methods=['GET'])
def portal_files(site):
    Ticket = site.pool.get('helpdesk.ticket')
    user = site.require_user()
    with Transaction().set_context(active_test=False):
        tickets = Ticket.search(
            [portal.tickets_domain(user)],
            order=[('create_date', 'DESC'), ('id', 'DESC')])
    files = {}
    for attachment in portal.shared_files(tickets):
        files.setdefault(attachment.resource.id, []).append(attachment)
    groups = [(t, files[t.id]) for t in tickets if t.id in files]
    return site.render(
        'portal_files.html', groups=groups,
        image_types=security.IMAGE_TYPES)


@page()
@route('/portal/files/<int:attachment_id>/<path:name>', methods=['GET'])
def portal_file(site, attachment_id, name):
    user = site.require_user()
    attachment = portal.get_file(user, attachment_id)
    if not attachment:
        not_found()
    extension = security.file_extension(attachment.name)
    mimetype = security.MIME_TYPES.get(
        extension, 'application/octet-stream')
    inline = (
        site.request.args.get('inline') == '1'
        and mimetype in security.IMAGE_TYPES)
    response = Response(bytes(attachment.data or b''), mimetype=mimetype)
    filename = urllib.parse.quote(attachment.name)
    response.headers['Content-Disposition'] = '%s; filename*=UTF-8\'\'%s' % (
        'inline' if inline else 'attachment', filename)
    response.headers['Content-Security-Policy'] = (
        "default-src 'none'; img-src 'self'; sandbox")
    return site.response(response)


# --- Announcements

@page()
@route('/announcements', methods=['GET'])
def announcements(site):
    "Every current announcement: the general ones and those of the teams"
    Team = site.pool.get('helpdesk.team')
    teams = Team.search([('visibility', '=', 'portal')])
    return site.render(
        'announcements.html', announcements=site.announcements(teams=teams),
        banners=[])
