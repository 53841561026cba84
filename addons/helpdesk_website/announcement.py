# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt

from trytond.i18n import gettext
from trytond.model import DeactivableMixin, Index, ModelSQL, ModelView, fields
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .exceptions import AnnouncementValidationError


class Announcement(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'helpdesk.announcement'

    title = fields.Char("Title", required=True, translate=True)
    body = fields.Text(
        "Body", translate=True,
        help="Shown to the customers on the website, as plain text.")
    start = fields.Timestamp("Start", required=True)
    end = fields.Timestamp(
        "End",
        domain=['OR',
            ('end', '=', None),
            ('end', '>', Eval('start', None)),
            ],
        help="Leave empty to show it until it is archived.")
    teams = fields.Many2Many(
        'helpdesk.announcement-helpdesk.team', 'announcement', 'team',
        "Teams",
        domain=[
            ('company', '=', Eval('company', -1)),
            ],
        help="The pages of these teams show it. Empty for every page.")
    company = fields.Many2One('company.company', "Company", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('start', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(
            Index(t, (t.start, Index.Range()), (t.end, Index.Range())))

    @classmethod
    def default_start(cls):
        return dt.datetime.now()

    @classmethod
    def default_company(cls):
        return Transaction().context.get('company')

    @classmethod
    def validate_fields(cls, announcements, field_names):
        super().validate_fields(announcements, field_names)
        for announcement in announcements:
            if announcement.end and announcement.end <= announcement.start:
                raise AnnouncementValidationError(gettext(
                        'helpdesk_website.msg_announcement_end',
                        announcement=announcement.rec_name))

    @classmethod
    def current(cls, teams=None, date=None):
        """The announcements shown at date (now by default) on the pages of
        any of the teams (the general pages: those without teams)"""
        if date is None:
            date = dt.datetime.now()
        domain = [
            ('start', '<=', date),
            ['OR', ('end', '=', None), ('end', '>', date)],
            ]
        if teams:
            domain.append(['OR',
                    ('teams', '=', None),
                    ('teams', 'in', [t.id for t in teams]),
                    ])
        else:
            domain.append(('teams', '=', None))
        return cls.search(domain)


class AnnouncementTeam(ModelSQL):
    __name__ = 'helpdesk.announcement-helpdesk.team'

    announcement = fields.Many2One(
        'helpdesk.announcement', "Announcement", required=True,
        ondelete='CASCADE')
    team = fields.Many2One(
        'helpdesk.team', "Team", required=True, ondelete='CASCADE')
