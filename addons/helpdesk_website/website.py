# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.
"""The pages of the website: Jinja2 templates (autoescaped) translated by
the Babel catalogues of i18n/, with dates and numbers in the page's
language"""

import datetime as dt
import gettext as gettext_
import io
import os
import re
from functools import lru_cache

import babel
import babel.dates
import babel.numbers
import nh3
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, 'templates')
I18N = os.path.join(HERE, 'i18n')
STATIC = os.path.join(HERE, 'static')
# The languages of the pages: those with a catalogue, and English
LANGUAGES = ['en', 'fa']
DEFAULT_LANGUAGE = 'en'
_HTML_TAG = re.compile(r'<(p|div|br|table|ul|ol|a|b|strong|i|em|span)\b', re.I)
# What an agent's HTML message (a stage's e-mail template) may keep
_ALLOWED_TAGS = {
    'a', 'b', 'blockquote', 'br', 'code', 'div', 'em', 'h1', 'h2', 'h3',
    'h4', 'hr', 'i', 'li', 'ol', 'p', 'pre', 'span', 'strong', 'table',
    'tbody', 'td', 'th', 'thead', 'tr', 'u', 'ul'}


@lru_cache(maxsize=None)
def translations(language):
    "The gettext translations of the pages in language"
    path = os.path.join(I18N, f'{language}.po')
    if not os.path.exists(path):
        return gettext_.NullTranslations()
    with open(path, 'rb') as fp:
        catalog = read_po(fp, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_.GNUTranslations(buffer)


def text_direction(language):
    try:
        return babel.Locale.parse(language).text_direction
    except (ValueError, babel.UnknownLocaleError):
        return 'ltr'


def best_language(accept_languages, *preferred):
    """The language of the page: the first of preferred that has pages,
    else the best match of the browser's Accept-Language"""
    for language in preferred:
        if language:
            language = language.split('_')[0].split('-')[0].lower()
            if language in LANGUAGES:
                return language
    if accept_languages is not None:
        match = accept_languages.best_match(LANGUAGES)
        if match:
            return match.split('-')[0].lower()
    return DEFAULT_LANGUAGE


def sanitize_html(html):
    "Keep of html only the harmless tags and attributes"
    return nh3.clean(
        html, tags=_ALLOWED_TAGS,
        attributes={'a': {'href', 'title'}, 'td': {'colspan'},
            'th': {'colspan'}},
        url_schemes={'http', 'https', 'mailto'},
        link_rel='noopener noreferrer nofollow')


def message_html(content):
    """The content of a chat message as HTML: an HTML message (as the
    e-mail templates of stages post) sanitised, plain text escaped with
    its line breaks"""
    content = content or ''
    if _HTML_TAG.search(content):
        return Markup(sanitize_html(content))
    return paragraphs(content)


def paragraphs(text):
    "Escaped text with its line breaks"
    text = escape((text or '').strip())
    return Markup('<br>\n').join(text.split('\n'))


# One address, no display name; trytond's validate_email is a no-op
# without email-validator, and that one would resolve the domain
EMAIL_RE = re.compile(
    r'^[^@\s<>(),;:"\[\]]+@[^@\s<>(),;:"\[\]]+\.[^@\s.<>(),;:"\[\]]+$')


def is_email(value):
    "Whether value looks like one deliverable e-mail address"
    return bool(value) and len(value) <= 254 and bool(EMAIL_RE.match(value))


# The digits of the numbering systems of our languages that are not Latin
DIGITS = {
    'arabext': '۰۱۲۳۴۵۶۷۸۹',
    }


class Formatter:
    "Dates, numbers and durations in a language"

    def __init__(self, language, timezone=None):
        self.locale = babel.Locale.parse(language)
        self.timezone = timezone
        # Babel formats with the Latin digits and separators; Persian
        # is written with its own
        system = self.locale.default_numbering_system
        self._numbering = 'default' if system in DIGITS else 'latn'
        self._digits = (
            str.maketrans('0123456789', DIGITS[system])
            if system in DIGITS else {})

    def _localise(self, text):
        return text.translate(self._digits)

    def _aware(self, value):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value

    def datetime(self, value, format='medium'):
        if not value:
            return ''
        return self._localise(babel.dates.format_datetime(
                self._aware(value), format=format, tzinfo=self.timezone,
                locale=self.locale))

    def date(self, value, format='medium'):
        if not value:
            return ''
        if isinstance(value, dt.datetime):
            value = self._aware(value).astimezone(
                babel.dates.get_timezone(self.timezone)).date()
        return self._localise(babel.dates.format_date(
                value, format=format, locale=self.locale))

    def duration(self, value):
        "A duration as people say it: 3 hours, 2 days"
        if value is None:
            return ''
        return self._localise(babel.dates.format_timedelta(
                value, threshold=1, locale=self.locale))

    def number(self, value):
        return self._localise(babel.numbers.format_decimal(
                value, locale=self.locale,
                numbering_system=self._numbering))

    def size(self, value):
        "A size of file in bytes, kB or MB"
        for unit, factor in [('MB', 1e6), ('kB', 1e3)]:
            if value >= factor:
                return '%s %s' % (self.number(round(value / factor, 1)), unit)
        return '%s B' % self.number(value)


@lru_cache(maxsize=None)
def environment(language):
    "The Jinja2 environment of the pages in language"
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            ['html', 'xml'], default_for_string=True, default=False),
        extensions=['jinja2.ext.i18n'],
        trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(language), newstyle=True)
    env.filters['paragraphs'] = paragraphs
    env.filters['message_html'] = message_html
    env.globals['language'] = language
    env.globals['direction'] = text_direction(language)
    env.globals['languages'] = LANGUAGES
    env.globals['language_names'] = {
        code: babel.Locale.parse(code).get_display_name(code).capitalize()
        for code in LANGUAGES}
    return env


def render(template, language, **values):
    env = environment(language)
    values.setdefault('fmt', Formatter(language))
    return env.get_template(template).render(**values)


def gettext(language, message, **variables):
    "The translation of a message of the Python code in language"
    text = translations(language).gettext(message)
    return text % variables if variables else text


def ngettext(language, singular, plural, n, **variables):
    text = translations(language).ngettext(singular, plural, n)
    variables.setdefault('num', n)
    return text % variables
