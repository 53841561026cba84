# This file is part of Helpdesk for Tryton.  The COPYRIGHT file at the top
# level of this repository contains the full copyright notices and license
# terms.

import datetime as dt
from email.message import EmailMessage
from unittest.mock import patch

import trytond.config as config
from trytond.model import ModelSQL
from trytond.model.exceptions import AccessError, SQLConstraintError
from trytond.modules.company.tests import (
    CompanyTestMixin, create_company, set_company)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction


def create_agent(login, manager=False):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    groups = [ModelData.get_id('helpdesk_core', 'group_helpdesk')]
    if manager:
        groups.append(
            ModelData.get_id('helpdesk_core', 'group_helpdesk_manager'))
    company = User(Transaction().user).company
    user, = User.create([{
                'login': login,
                'name': login.title(),
                'groups': [('add', groups)],
                'companies': [('add', [company.id])] if company else [],
                'company': company.id if company else None,
                }])
    return user


class HelpdeskCoreTestCase(CompanyTestMixin, ModuleTestCase):
    "Test Helpdesk Core module"
    module = 'helpdesk_core'
    # The views, access and records of the optional timesheet part too
    extras = ['timesheet']

    def _create_team(self, **values):
        pool = Pool()
        Team = pool.get('helpdesk.team')
        values.setdefault('name', "Support")
        team, = Team.create([values])
        return team

    def _create_ticket(self, team, **values):
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        values.setdefault('name', "Printer broken")
        values['team'] = team.id
        ticket, = Ticket.create([values])
        return ticket

    def _solved_stage_with_template(self, body):
        "The solved stage, given an e-mail template of body"
        pool = Pool()
        Model = pool.get('ir.model')
        Stage = pool.get('helpdesk.stage')
        Template = pool.get('ir.email.template')
        model, = Model.search([('name', '=', 'helpdesk.ticket')])
        template = Template(model=model, name="Solved", body=body)
        template.save()
        solved, = Stage.search([('category', '=', 'solved')])
        solved.email_template = template
        solved.save()
        return solved

    def _followers(self, ticket):
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        return [
            f['key'] for f in Channel._get_followers(ticket).values()]

    @with_transaction()
    def test_ticket_number_per_sequence(self):
        "Each ticket gets the next number of the configured sequence"
        company = create_company()
        with set_company(company):
            team = self._create_team()
            first = self._create_ticket(team)
            second = self._create_ticket(team)
        # PostgreSQL sequences do not roll back with the tests
        self.assertRegex(first.number, r'^HD\d{5}$')
        self.assertEqual(int(second.number[2:]), int(first.number[2:]) + 1)
        self.assertEqual(
            second.rec_name, '[%s] Printer broken' % second.number)

    @with_transaction()
    def test_request_key_once(self):
        """A client's request key makes one ticket: sent again it is
        refused with a message; a copy does not carry it"""
        company = create_company()
        with set_company(company):
            team = self._create_team()
            ticket = self._create_ticket(team, request_key='k' * 32)
            copy, = ticket.copy([ticket])
            self.assertIsNone(copy.request_key)
            with self.assertRaises(SQLConstraintError) as cm:
                self._create_ticket(team, request_key='k' * 32)
            self.assertEqual(
                cm.exception.message,
                "This request has already made a ticket.")

    @with_transaction()
    def test_queue_requeue_lost(self):
        """A task a worker took long ago and never finished is queued again
        by the cron job; a running one and a finished one are left"""
        pool = Pool()
        Queue = pool.get('ir.queue')
        Cron = pool.get('ir.cron')
        table = Queue.__table__()
        cursor = Transaction().connection.cursor()
        now = dt.datetime.now()
        data = {
            'model': 'helpdesk.ticket', 'method': 'close_inactive',
            'user': 0, 'context': {}, 'instances': (), 'args': (),
            'kwargs': {}}
        lost, running, finished = [
            Queue.push('helpdesk.ticket.close_inactive', data)
            for _ in range(3)]
        for id_, dequeued_at, finished_at in [
                (lost, now - dt.timedelta(minutes=11), None),
                (running, now - dt.timedelta(minutes=9), None),
                (finished, now - dt.timedelta(minutes=11), now)]:
            cursor.execute(*table.update(
                    [table.dequeued_at, table.finished_at],
                    [dequeued_at, finished_at],
                    where=table.id == id_))

        cron, = Cron.search([('method', '=', 'ir.queue|requeue_lost')])
        Cron.run_once([cron])

        tasks = Queue.search([], order=[('id', 'ASC')])
        self.assertEqual(
            [(t.id, t.finished_at is None) for t in tasks[:2]],
            [(running, True), (finished, False)])
        copy, = tasks[2:]
        self.assertNotIn(copy.id, {lost, running, finished})
        self.assertEqual(copy.name, 'helpdesk.ticket.close_inactive')
        self.assertEqual(copy.data, data)
        self.assertIsNone(copy.dequeued_at)

    @with_transaction()
    def test_queue_requeue_lost_rescheduled(self):
        """A lost task that trytond's worker queued again itself, after a
        failure on the database, is removed without a second copy"""
        pool = Pool()
        Queue = pool.get('ir.queue')
        Cron = pool.get('ir.cron')
        now = dt.datetime.now()
        data = {
            'model': 'helpdesk.ticket', 'method': 'close_inactive',
            'user': 0, 'context': {}, 'instances': [1], 'args': [],
            'kwargs': {}}
        other = dict(data, instances=[2])
        lost = Queue.push('helpdesk.ticket.close_inactive', data)
        Queue.write(
            [Queue(lost)], {'dequeued_at': now - dt.timedelta(minutes=11)})
        # What trytond's run_task pushes when the database failed the task
        rescheduled = Queue.push(
            'helpdesk.ticket.close_inactive', data,
            scheduled_at=now + dt.timedelta(seconds=5))
        # The same method for other records is not a copy
        another = Queue.push('helpdesk.ticket.close_inactive', other)

        cron, = Cron.search([('method', '=', 'ir.queue|requeue_lost')])
        Cron.run_once([cron])

        tasks = Queue.search([], order=[('id', 'ASC')])
        self.assertEqual([t.id for t in tasks], [rescheduled, another])

    @with_transaction()
    def test_search_box(self):
        "The search box finds by number, subject, description and e-mail"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            printer = self._create_ticket(
                team, name="Printer broken",
                description="The paper tray is jammed",
                contact_email='Carol@Customer.example')
            invoice = self._create_ticket(
                team, name="Wrong invoice", contact_email='dan@shop.example')

            def find(text):
                return Ticket.search([('rec_name', 'ilike', f'%{text}%')])

            self.assertEqual(find(printer.number), [printer])
            self.assertEqual(find("invoice"), [invoice])
            self.assertEqual(find("paper tray"), [printer])
            self.assertEqual(find("carol@customer"), [printer])
            self.assertEqual(find("shop.example"), [invoice])
            self.assertEqual(find("nothing like this"), [])
            self.assertEqual(
                Ticket.search([('rec_name', 'not ilike', '%invoice%')]),
                [printer])

    @with_transaction()
    def test_read_selection_strings(self):
        "The list reads the strings of the selections as the user sees them"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            ticket = self._create_ticket(
                team, priority='3', channel='phone')
            other = self._create_ticket(team, priority='0', channel='api')

            rows = Ticket.read([ticket.id, other.id], [
                    'name', 'priority', 'priority:string', 'state:string',
                    'channel:string'])

        self.assertEqual(
            sorted((r['id'], r['name'], r['priority'], r['priority:string'],
                    r['state:string'], r['channel:string'])
                for r in rows),
            [(ticket.id, "Printer broken", '3', "Urgent", "New", "Phone"),
                (other.id, "Printer broken", '0', "Low", "New", "API")])
        # Only what was asked comes back
        self.assertEqual(
            {k for r in rows for k in r},
            {'id', 'name', 'priority', 'priority:string', 'state:string',
                'channel:string'})

    @with_transaction()
    def test_read_list_as_trytond(self):
        "A read of the list gives what trytond's own read gives"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Tag = pool.get('helpdesk.tag')
        Party = pool.get('party.party')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            agent = create_agent('agent')
            urgent, vip, billing = Tag.create([
                    {'name': "Urgent"}, {'name': "VIP"}, {'name': "Billing"}])
            carol, dan = Party.create([{'name': "Carol"}, {'name': "Dan"}])
            tickets = [
                self._create_ticket(
                    team, party=carol.id, user=agent.id,
                    tags=[('add', [vip.id, urgent.id])]),
                self._create_ticket(team, party=dan.id),
                self._create_ticket(
                    team, priority='3', tags=[('add', [billing.id])]),
                ]
            Ticket.write([tickets[1]], {'tags': [('add', [billing.id])]})
            ids = [t.id for t in tickets]
            fields = [
                'name', 'party', 'party.rec_name', 'company',
                'company.rec_name', 'user', 'user.rec_name', 'tags',
                'priority', 'priority:string', 'state:string', 'rec_name',
                '_timestamp']

            ours = Ticket.read(ids, fields)
            theirs = ModelSQL.read.__func__(Ticket, ids, fields)

        self.assertEqual(ours, theirs)
        rows = sorted(ours, key=lambda r: ids.index(r['id']))
        self.assertEqual(
            [(r['party.'] or {}).get('rec_name') for r in rows],
            ["Carol", "Dan", None])
        self.assertEqual(
            [r['tags'] for r in rows],
            [(vip.id, urgent.id), (billing.id,), (billing.id,)])

    @with_transaction()
    def test_transfer_deciders(self):
        """A transfer into a team without leaders goes to the managers, and
        "To Decide" lists the requests each user decides on"""
        pool = Pool()
        Transfer = pool.get('helpdesk.ticket.transfer')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            leader = create_agent('leader')
            manager = create_agent('manager', manager=True)
            support = self._create_team(name="Support")
            billing = self._create_team(name="Billing")
            field = self._create_team(name="Field", leaders=[
                    ('add', [leader.id])])
            first = self._create_ticket(support, name="Refund")
            second = self._create_ticket(support, name="Broken screen")

            with Transaction().set_user(agent.id):
                to_billing = Transfer.request(first, billing)
                to_field = Transfer.request(second, field)

            def notified(user):
                # Saved when the transaction commits
                return sorted(
                    n.label for n in Transaction().user_notifications
                    if n.user.id == user.id
                    and n.label.startswith('Transfer'))

            def to_decide(user):
                with Transaction().set_user(user.id):
                    return set(Transfer.search([
                                ('state', '=', 'requested'),
                                ('decidable', '=', True),
                                ]))

            def not_to_decide(user):
                with Transaction().set_user(user.id):
                    return set(Transfer.search([
                                ('decidable', '=', False),
                                ]))

            self.assertEqual(notified(manager), [
                    f'Transfer of "{first.rec_name}" to "Billing" to decide'])
            self.assertEqual(notified(leader), [
                    f'Transfer of "{second.rec_name}" to "Field" to decide'])
            self.assertEqual(notified(agent), [])
            self.assertEqual(to_decide(manager), {to_billing, to_field})
            self.assertEqual(to_decide(leader), {to_field})
            self.assertEqual(to_decide(agent), set())
            self.assertEqual(not_to_decide(leader), {to_billing})
            self.assertEqual(not_to_decide(agent), {to_billing, to_field})

    @with_transaction()
    def test_state_follows_stage_category(self):
        "The state is the category of the stage, even when it changes"
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            review = Stage(name="Review", category='in_progress')
            review.teams = [team]
            review.save()
            ticket = self._create_ticket(team, stage=review.id)
            self.assertEqual(ticket.state, 'in_progress')
            self.assertIsNone(ticket.closed_date)

            review.category = 'solved'
            review.save()
            ticket = ticket.__class__(ticket.id)
            self.assertEqual(ticket.state, 'solved')
            self.assertIsNotNone(ticket.closed_date)

    @with_transaction()
    def test_folded_stages_hidden(self):
        "The list hides the tickets of the folded stages, even once folded"
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            review = Stage(name="Review", category='in_progress')
            review.teams = [team]
            review.save()
            new = self._create_ticket(team, name="New one")
            reviewed = self._create_ticket(
                team, name="Reviewed", stage=review.id)

            def listed():
                return Ticket.search([('folded', '=', False)])

            self.assertEqual(set(listed()), {new, reviewed})

            review.fold = True
            review.save()
            self.assertEqual(listed(), [new])
            self.assertTrue(Ticket(reviewed.id).folded)

            Ticket.write([Ticket(reviewed.id)], {'stage': new.stage.id})
            self.assertEqual(set(listed()), {new, reviewed})

    @with_transaction()
    def test_followers_of_new_ticket(self):
        "The customer, the assignee and the team's followers follow"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            boss = create_agent('boss')
            team = self._create_team(
                follower_users=[('add', [boss.id])],
                follower_emails="audit@example.com\n\n sales@example.com ")
            ticket = self._create_ticket(
                team, contact_email='carol@customer.example')
            self.assertEqual(
                self._followers(ticket),
                ['carol@customer.example', 'audit@example.com',
                    'sales@example.com', 'boss'])

            Ticket.write([ticket], {'user': agent.id})
            self.assertIn('agent', self._followers(ticket))
            self.assertIsNotNone(ticket.assigned_date)

    @with_transaction()
    def test_followers_of_new_ticket_once(self):
        "An assignee who follows the team follows a new ticket once"
        pool = Pool()
        Follower = pool.get('ir.chat.follower')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            team = self._create_team(follower_users=[('add', [agent.id])])
            ticket = self._create_ticket(
                team, user=agent.id, contact_email='Carol@Customer.example')

            self.assertEqual(
                self._followers(ticket), ['Carol@Customer.example', 'agent'])
            followers = Follower.search([('helpdesk_ticket', '=', ticket.id)])
            self.assertEqual(len(followers), 2)
            channel, = {f.channel for f in followers}
            self.assertEqual(channel.resource, ticket)
            self.assertRegex(channel.identifier, r'^[0-9a-f]{32}$')

    @with_transaction()
    def test_team_changes_reach_new_tickets(self):
        "A new ticket takes the stage and followers the team has now"
        pool = Pool()
        Stage = pool.get('helpdesk.stage')
        Team = pool.get('helpdesk.team')
        company = create_company()
        with set_company(company):
            boss = create_agent('boss')
            team = self._create_team()
            first = self._create_ticket(team)
            self.assertEqual(first.stage.category, 'new')
            self.assertEqual(self._followers(first), [])

            Team.write([team], {'follower_users': [('add', [boss.id])]})
            triage, = Stage.create([{
                        'name': "Triage", 'category': 'new', 'sequence': 0,
                        'teams': [('add', [team.id])],
                        }])
            second = self._create_ticket(team)
            self.assertEqual(second.stage, triage)
            self.assertEqual(self._followers(second), ['boss'])

            Stage.write([triage], {'category': 'in_progress'})
            self.assertEqual(self._create_ticket(team).stage, first.stage)
            Stage.write([first.stage], {'teams': [('add', [team.id])]})
            Stage.write([triage], {'category': 'new'})
            self.assertEqual(self._create_ticket(team).stage, triage)
            other = self._create_team(name="Sales")
            Stage.write([triage], {
                    'teams': [('remove', [team.id]), ('add', [other.id])],
                    })
            self.assertEqual(self._create_ticket(team).stage, first.stage)

            Team.write([team], {'follower_users': [('remove', [boss.id])]})
            self.assertEqual(self._followers(self._create_ticket(team)), [])

    @with_transaction()
    def test_assignments_of_new_team(self):
        "A transaction counts the assignments of the team it creates"
        pool = Pool()
        Assignment = pool.get('helpdesk.team.assignment')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            team = self._create_team()
            # On PostgreSQL, the counter of an uncommitted team is kept by
            # the transaction itself: another connection would wait for it
            for _ in range(3):
                self._create_ticket(team, user=agent.id)

            assignment, = Assignment.search([('team', '=', team.id)])
            self.assertEqual((assignment.user, assignment.count), (agent, 3))

    @with_transaction()
    def test_assignment_in_creation(self):
        """A ticket created alone gets its assignee without a second write;
        tickets created together are spread as if created one by one"""
        pool = Pool()
        Assignment = pool.get('helpdesk.team.assignment')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            ann, bob = create_agent('ann'), create_agent('bob')
            team = self._create_team(
                auto_assign=True, assign_method='equal_count',
                members=[('add', [ann.id, bob.id])])

            with patch.object(Ticket, 'write', wraps=Ticket.write) as write:
                ticket = self._create_ticket(team)
            self.assertEqual(write.call_count, 0)
            self.assertIn(ticket.user, {ann, bob})
            self.assertTrue(ticket.assigned_date)
            self.assertEqual(self._followers(ticket), [ticket.user.login])

            tickets = Ticket.create([
                    {'name': f"Printer {i}", 'team': team.id}
                    for i in range(3)])
            self.assertTrue(all(t.user for t in tickets))
            counts = {a.user: a.count for a in Assignment.search([
                        ('team', '=', team.id)])}
            self.assertEqual(counts, {ann: 2, bob: 2})

    @with_transaction()
    def test_stage_email_template(self):
        "A ticket entering a stage with a template sends it to the customer"
        pool = Pool()
        Message = pool.get('ir.chat.message')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            solved = self._solved_stage_with_template(
                "Hello ${record.contact_name}, "
                "ticket ${record.number} is solved.")
            ticket = self._create_ticket(
                team, contact_name="Carol",
                contact_email='carol@customer.example')

            with Transaction().set_context(_notify=False):
                Ticket.solve([ticket])

            message, = Message.search([
                    ('channel.resource', '=', str(ticket)),
                    ('audience', '=', 'public'),
                    ])
            self.assertEqual(
                message.content,
                "Hello Carol, ticket %s is solved." % ticket.number)
            self.assertEqual(message.user.id, 0)
            ticket = Ticket(ticket.id)
            # An automatic message is not a response from an agent
            self.assertIsNone(ticket.first_response_date)

            # Writing the same stage again does not send it twice
            Ticket.write([ticket], {'stage': solved.id})
            self.assertEqual(Message.search([
                        ('channel.resource', '=', str(ticket)),
                        ('audience', '=', 'public'),
                        ], count=True), 1)

    @with_transaction()
    def test_stage_email_template_queued(self):
        """With a worker for the queue, the template of the stage entered
        is posted by a task, not in the user's request"""
        pool = Pool()
        Message = pool.get('ir.chat.message')
        Queue = pool.get('ir.queue')
        Ticket = pool.get('helpdesk.ticket')
        if not config.has_section('queue'):
            config.add_section('queue')
        config.set('queue', 'worker', 'True')
        self.addCleanup(config.set, 'queue', 'worker', 'False')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            self._solved_stage_with_template(
                "Ticket ${record.number} is solved.")
            ticket = self._create_ticket(
                team, contact_email='carol@customer.example')
            with Transaction().set_context(_notify=False):
                Ticket.solve([ticket])
            public = [
                ('channel.resource', '=', str(ticket)),
                ('audience', '=', 'public'),
                ]
            self.assertEqual(Message.search(public), [])

            task, = [t for t in Queue.search([])
                if t.data['method'] == 'post_stage_email']
            self.assertEqual(task.data['instances'], (ticket.id,))
            with Transaction().set_context(_notify=False):
                task.run()

            message, = Message.search(public)
            self.assertEqual(
                message.content, "Ticket %s is solved." % ticket.number)
            self.assertEqual(message.user.id, 0)

    @with_transaction()
    def test_agent_reply_dates(self):
        "An agent's public reply sets the first response; a note does not"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            team = self._create_team()
            ticket = self._create_ticket(team)
            with Transaction().set_user(agent.id), \
                    Transaction().set_context(_notify=False):
                Channel.post(ticket, "Let me check.", audience='internal')
                ticket = Ticket(ticket.id)
                self.assertIsNone(ticket.first_response_date)
                self.assertIsNone(ticket.last_agent_message)

                Channel.post(ticket, "Please try again.", audience='public')
                ticket = Ticket(ticket.id)
                self.assertIsNotNone(ticket.first_response_date)
                first = ticket.first_response_date
                Channel.post(ticket, "Any news?", audience='public')
                ticket = Ticket(ticket.id)
                self.assertEqual(ticket.first_response_date, first)
                self.assertGreaterEqual(ticket.last_agent_message, first)

    @with_transaction()
    def test_email_threading(self):
        "Replies thread by reference, by number only for followers"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Ticket = pool.get('helpdesk.ticket')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            ticket = self._create_ticket(
                team, contact_email='carol@customer.example')
            Ticket.wait([ticket])

            def email(sender, subject, body, **headers):
                message = EmailMessage()
                message['From'] = sender
                message['Subject'] = subject
                for name, value in headers.items():
                    message[name.replace('_', '-')] = value
                message.set_content(body)
                return message

            with Transaction().set_context(_notify=False):
                stranger = Channel.post_from_email(email(
                        'mallory@evil.example', '[%s] Hi' % ticket.number,
                        "Spam"))
                self.assertIsNone(stranger)
                self.assertEqual(Ticket(ticket.id).state, 'waiting')

                reply = Channel.post_from_email(email(
                        'Carol <CAROL@customer.example>',
                        'Re: [%s] Printer broken' % ticket.number,
                        "It works now.\n"))
                self.assertEqual(reply.content, "It works now.")
                self.assertEqual(reply.channel.resource, ticket)
                self.assertEqual(Ticket(ticket.id).state, 'new')

                encoded = email(
                    'carol@customer.example',
                    'Re: [%s] Printer broken' % ticket.number,
                    "چاپگر دوباره کار نمی‌کند.\n" + "x" * 200)
                self.assertIn(
                    encoded['Content-Transfer-Encoding'],
                    {'base64', 'quoted-printable'})
                persian = Channel.post_from_email(encoded)
                self.assertEqual(
                    persian.content.splitlines()[0],
                    "چاپگر دوباره کار نمی‌کند.")

                reply.reference = '<abc@helpdesk.example>'
                reply.save()
                threaded = Channel.post_from_email(email(
                        'someone@customer.example', 'Re: question', "Me too",
                        In_Reply_To='<abc@helpdesk.example>'))
                self.assertEqual(threaded.channel.resource, ticket)

    @with_transaction()
    def test_user_without_helpdesk_rights(self):
        "An internal user outside the helpdesk sees no ticket nor its chat"
        pool = Pool()
        User = pool.get('res.user')
        Ticket = pool.get('helpdesk.ticket')
        Channel = pool.get('ir.chat.channel')
        company = create_company()
        with set_company(company):
            team = self._create_team()
            ticket = self._create_ticket(team)
            clerk, = User.create([{'login': 'clerk', 'name': "Clerk"}])
            with Transaction().set_user(clerk.id), \
                    Transaction().set_context(_check_access=True):
                with self.assertRaises(AccessError):
                    Ticket.search([])
                with self.assertRaises(AccessError):
                    Channel.get(str(ticket))
                with self.assertRaises(AccessError):
                    Channel.post(str(ticket), "Hi", 'public')

    @with_transaction()
    def test_ticket_analysis(self):
        "The analysis measures the hours to assign, respond and close"
        pool = Pool()
        Ticket = pool.get('helpdesk.ticket')
        Analysis = pool.get('helpdesk.ticket.analysis')
        company = create_company()
        with set_company(company):
            agent = create_agent('agent')
            team = self._create_team()
            ticket = self._create_ticket(team, user=agent.id)
            Ticket.solve([ticket])
            ticket = Ticket(ticket.id)
            cursor = Transaction().connection.cursor()
            table = Ticket.__table__()
            # Pretend the ticket was created 3 hours ago
            cursor.execute(*table.update(
                    [table.create_date],
                    [ticket.closed_date - dt.timedelta(hours=3)],
                    where=table.id == ticket.id))
            analysis, = Analysis.search([('ticket', '=', ticket.id)])
            self.assertEqual(analysis.tickets, 1)
            self.assertAlmostEqual(analysis.hours_to_close, 3, places=2)
            self.assertIsNone(analysis.hours_to_first_response)
            self.assertEqual(analysis.team, team)


del ModuleTestCase
