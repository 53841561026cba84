# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction
from trytond.url import http_host


def website_url(*path):
    "The URL of a page of the website of the current database"
    database = Transaction().database.name
    return '/'.join(
        [http_host(), database, 'helpdesk', *(str(p) for p in path)])


class Team(metaclass=PoolMeta):
    __name__ = 'helpdesk.team'

    website_published = fields.Boolean(
        "Published on the Website",
        help="List the team's ticket form on the website. "
        "Only the teams open to the portal are listed.")
    website_url = fields.Function(
        fields.Char("Website URL"), 'get_website_url')
    email = fields.Char(
        "E-mail Address",
        help="The address customers write to: their mails become tickets "
        "of the team, and the team's e-mails are sent from it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'open_website': {
                    'invisible': (~Eval('website_published')
                        | (Eval('visibility') != 'portal')
                        | (Eval('id', -1) < 0)),
                    'depends': ['website_published', 'visibility', 'id'],
                    },
                })

    @classmethod
    def default_website_published(cls):
        return False

    def get_website_url(self, name):
        return website_url('teams', self.id)

    @classmethod
    @ModelView.button
    def open_website(cls, teams):
        pool = Pool()
        Action = pool.get('ir.action')
        ModelData = pool.get('ir.model.data')
        action_id = ModelData.get_id(
            'helpdesk_website', 'url_team_website')
        action = Action.get_action_values('ir.action.url', [action_id])[0]
        if teams:
            action['url'] = teams[0].website_url
        return action

    @classmethod
    def website_domain(cls):
        "The domain of the teams whose form is on the website"
        return [
            ('visibility', '=', 'portal'),
            ('website_published', '=', True),
            ]

    @classmethod
    def website_teams(cls):
        "The teams whose form is on the website, in their order"
        return cls.search(cls.website_domain())
