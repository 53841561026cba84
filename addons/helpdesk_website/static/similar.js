/* Helpdesk for Tryton: "is your question one of these?" on the ticket
 * form of a team.  While a signed-in customer types the subject (and the
 * description), their own tickets that look like it are fetched from the
 * page's similar route and listed with links to their portal pages. */
(function () {
    'use strict';

    var DELAY = 400;
    var MIN_SUBJECT = 4;

    function setUp(box) {
        var form = box.closest('form');
        var subject = form && form.querySelector('[name=name]');
        var description = form && form.querySelector('[name=description]');
        var list = box.querySelector('#similar-tickets-list');
        var timer = null;
        var asked = '';
        if (!subject || !list || !window.fetch) {
            return;
        }

        function show(tickets) {
            list.replaceChildren();
            tickets.forEach(function (ticket) {
                var item = document.createElement('li');
                var link = document.createElement('a');
                link.href = ticket.url;
                link.textContent = '[' + ticket.number + '] ' + ticket.name;
                var state = document.createElement('span');
                state.className = 'badge text-bg-secondary ms-2';
                state.textContent = ticket.state;
                item.append(link, state);
                list.append(item);
            });
            box.hidden = !tickets.length;
        }

        function ask() {
            var name = subject.value.trim();
            var text = description ? description.value.trim() : '';
            var query = new URLSearchParams({name: name, description: text});
            if (name.length < MIN_SUBJECT) {
                show([]);
                return;
            }
            if (query.toString() === asked) {
                return;
            }
            asked = query.toString();
            window.fetch(box.dataset.url + '?' + asked, {
                credentials: 'same-origin',
                headers: {
                    'X-Requested-With': 'fetch',
                    'Accept': 'application/json'},
            }).then(function (response) {
                return response.ok ? response.json() : {tickets: []};
            }).then(function (data) {
                if (query.toString() === asked) {
                    show(data.tickets || []);
                }
            }).catch(function () {
                show([]);
            });
        }

        function later() {
            window.clearTimeout(timer);
            timer = window.setTimeout(ask, DELAY);
        }

        subject.addEventListener('input', later);
        if (description) {
            description.addEventListener('change', later);
        }
        ask();
    }

    document.addEventListener('DOMContentLoaded', function () {
        var box = document.getElementById('similar-tickets');
        if (box) {
            setUp(box);
        }
    });
}());
