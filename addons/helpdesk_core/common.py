# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import re
from html.parser import HTMLParser

import trytond.config as config
from trytond.tools.email_ import EmailNotValidError, validate_email

_EMAIL = re.compile(r'^[^@\s<>(),;:"]+@[^@\s<>(),;:"]+\.[^@\s<>(),;:".]+$')
_HTML_TAG = re.compile(r'<(?:[a-zA-Z][a-zA-Z0-9]*)(?:\s[^<>]*)?/?>')
_BLOCKS = {
    'address', 'article', 'blockquote', 'dd', 'div', 'dl', 'dt',
    'figcaption', 'footer', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header',
    'hr', 'li', 'ol', 'p', 'pre', 'section', 'table', 'tr', 'ul'}


def has_worker():
    "Whether a worker runs the tasks of Tryton's queue (`[queue] worker`)"
    return config.getboolean('queue', 'worker', default=False)


def check_email(email):
    """Raise EmailNotValidError unless email is a single valid address

    The syntax is always checked, even without the email-validator package.
    """
    if not _EMAIL.match(email or ''):
        raise EmailNotValidError(email)
    validate_email(email)


def is_html(text):
    "Tell if the text is HTML, as the rich text editor writes it"
    return bool(_HTML_TAG.search(text or ''))


class _TextParser(HTMLParser):

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.links = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {'script', 'style', 'head', 'title'}:
            self._skip += 1
        elif tag == 'br':
            self.parts.append('\n')
        elif tag == 'li':
            self.parts.append('\n- ')
        elif tag in _BLOCKS:
            self.parts.append('\n\n' if tag in {'p', 'div'} else '\n')
        elif tag == 'a':
            self.links.append(dict(attrs).get('href'))

    def handle_endtag(self, tag):
        if tag in {'script', 'style', 'head', 'title'}:
            self._skip = max(self._skip - 1, 0)
        elif tag in _BLOCKS - {'li'}:
            self.parts.append('\n')
        elif tag == 'a' and self.links:
            href = self.links.pop()
            if href and not href.startswith(('#', 'javascript:')):
                self.parts.append(f' <{href}>')

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(re.sub(r'\s+', ' ', data))


def html_to_text(html):
    """Return the plain text of the HTML: its paragraphs and line breaks
    kept, the address of each link after its text"""
    parser = _TextParser()
    parser.feed(html or '')
    parser.close()
    lines = [line.strip() for line in ''.join(parser.parts).splitlines()]
    text = '\n'.join(lines)
    return re.sub(r'\n{3,}', '\n\n', text).strip()
