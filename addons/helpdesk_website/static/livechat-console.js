/* Helpdesk for Tryton: the console of the live chat operators.
 * It polls /livechat/console/poll (long polling on Tryton's bus when the
 * server has it): the visitors waiting in the operator's teams and the
 * messages of the operator's chats. Every change is a POST with the CSRF
 * token of the console's session. */
(function () {
    'use strict';

    function element(tag, className, text) {
        var node = document.createElement(tag);
        if (className) {
            node.className = className;
        }
        if (text !== undefined && text !== null) {
            node.textContent = text;
        }
        return node;
    }

    function time(iso) {
        var date = new Date(iso.endsWith('Z') ? iso : iso + 'Z');
        return date.toLocaleTimeString(document.documentElement.lang || [], {
            hour: '2-digit', minute: '2-digit'});
    }

    function Console(root) {
        this.root = root;
        this.base = root.dataset.root;
        this.csrf = root.dataset.csrf;
        this.interval = parseInt(root.dataset.interval, 10) || 2000;
        this.after = 0;
        this.bus = '';
        this.chats = {};
        this.waiting = [];
        this.error = document.getElementById('console-error');
        this.numbers = new Intl.NumberFormat(
            document.documentElement.lang || undefined);
        var self = this;
        document.getElementById('console-away').addEventListener(
            'click', function () {
                self.post('/console/away', {}).then(function () {
                    var badge = document.getElementById('console-online');
                    badge.textContent = root.dataset.textOffline;
                    badge.className = 'badge text-bg-secondary';
                    self.stopped = true;
                });
            });
        window.setInterval(function () {
            self.tick();
        }, 1000);
        this.poll();
    }

    Console.prototype.showError = function (text) {
        this.error.textContent = text || '';
        this.error.hidden = !text;
    };

    Console.prototype.request = function (method, path, data) {
        var self = this;
        var options = {
            method: method,
            credentials: 'same-origin',
            headers: {
                'X-Requested-With': 'fetch',
                'X-CSRF-Token': this.csrf,
                'Accept': 'application/json',
            },
        };
        if (data) {
            options.body = new URLSearchParams(data);
        }
        return fetch(this.base + path, options).then(function (response) {
            return response.json().catch(function () {
                return {error: self.root.dataset.textError};
            }).then(function (body) {
                body.status = response.status;
                return body;
            });
        });
    };

    Console.prototype.post = function (path, data) {
        var self = this;
        return this.request('POST', path, data).then(function (body) {
            if (body.status !== 200) {
                self.showError(body.error || self.root.dataset.textError);
            } else {
                self.showError('');
            }
            return body;
        }, function () {
            self.showError(self.root.dataset.textError);
            return {status: 0};
        });
    };

    Console.prototype.poll = function () {
        var self = this;
        function next(delay) {
            window.setTimeout(loop, delay);
        }
        function loop() {
            if (self.stopped) {
                return;
            }
            self.request('GET', '/console/poll?after=' + self.after +
                '&bus=' + encodeURIComponent(self.bus || '')).then(
                function (body) {
                    if (body.status !== 200) {
                        self.showError(
                            body.error || self.root.dataset.textError);
                        next(5000);
                        return;
                    }
                    self.bus = body.bus || '';
                    if (body.chats) {
                        self.update(body);
                    }
                    next(body.poll === 'long' ? 0 :
                        body.interval || self.interval);
                }, function () {
                    next(5000);
                });
        }
        loop();
    };

    Console.prototype.update = function (state) {
        var self = this;
        document.getElementById('console-team-names').textContent =
            state.teams.map(function (t) {
                return t.name;
            }).join(', ');
        this.renderWaiting(state.waiting);
        var current = {};
        state.chats.forEach(function (chat) {
            current[chat.id] = true;
            var known = self.chats[chat.id];
            if (!known) {
                known = self.chats[chat.id] = self.addChat(chat);
                // A chat new to the console: its whole conversation
                self.request('GET', '/console/chats/' + chat.id).then(
                    function (body) {
                        (body.messages || []).forEach(function (m) {
                            self.addMessage(known, m);
                        });
                    });
            }
            self.updateChat(known, chat);
            chat.messages.forEach(function (m) {
                self.addMessage(known, m);
            });
        });
        Object.keys(this.chats).forEach(function (id) {
            if (!current[id]) {
                self.chats[id].node.remove();
                delete self.chats[id];
            }
        });
        document.getElementById('console-no-chat').hidden =
            state.chats.length > 0;
        this.after = Math.max(this.after, state.last || 0);
    };

    Console.prototype.renderWaiting = function (waiting) {
        var self = this;
        var list = document.getElementById('console-waiting');
        var template = document.getElementById('console-waiting-item');
        list.replaceChildren();
        this.waiting = [];
        var now = Date.now();
        waiting.forEach(function (chat) {
            var item = template.content.firstElementChild.cloneNode(true);
            item.dataset.chat = chat.id;
            item.querySelector('.helpdesk-console-visitor').textContent =
                chat.visitor;
            item.querySelector('.helpdesk-console-team').textContent =
                chat.team;
            item.querySelector('.helpdesk-console-email').textContent =
                chat.email;
            item.querySelector('.helpdesk-console-preview').textContent =
                chat.preview;
            var wait = item.querySelector('.helpdesk-console-wait');
            self.waiting.push({node: wait, since: now - chat.wait * 1000});
            item.querySelector('.helpdesk-console-take').addEventListener(
                'click', function (event) {
                    event.target.disabled = true;
                    self.post('/console/chats/' + chat.id + '/take', {}).then(
                        function () {
                            self.after = 0;
                        });
                });
            list.append(item);
        });
        document.getElementById('console-waiting-count').textContent =
            this.numbers.format(waiting.length);
        // The tab of the console tells how many visitors wait
        if (this.title === undefined) {
            this.title = document.title;
        }
        document.title = (waiting.length ?
            '(' + this.numbers.format(waiting.length) + ') ' : '') +
            this.title;
        document.getElementById('console-nobody').hidden = waiting.length > 0;
        this.tick();
    };

    Console.prototype.tick = function () {
        var self = this;
        var now = Date.now();
        this.waiting.forEach(function (w) {
            var seconds = Math.max(0, Math.round((now - w.since) / 1000));
            w.node.dataset.seconds = seconds;
            w.node.textContent = self.root.dataset.textSeconds
                .replace('%(minutes)s',
                    self.numbers.format(Math.floor(seconds / 60)))
                .replace('%(seconds)s', self.numbers.format(seconds % 60));
        });
    };

    Console.prototype.addChat = function (chat) {
        var self = this;
        var template = document.getElementById('console-chat');
        var node = template.content.firstElementChild.cloneNode(true);
        node.dataset.chat = chat.id;
        node.querySelector('.helpdesk-console-visitor').textContent =
            chat.visitor;
        node.querySelector('.helpdesk-console-email').textContent =
            chat.email;
        node.querySelector('.helpdesk-console-team').textContent = chat.team;
        var known = {
            id: chat.id, node: node, seen: {},
            messages: node.querySelector('.helpdesk-livechat-messages'),
        };
        var form = node.querySelector('form');
        var field = form.querySelector('textarea');
        field.setAttribute('aria-label',
            form.querySelector('label').textContent);
        function send() {
            if (!field.value.trim()) {
                return;
            }
            var button = form.querySelector('.helpdesk-console-send');
            button.disabled = true;
            self.post('/console/chats/' + chat.id + '/send',
                {content: field.value}).then(function (body) {
                button.disabled = false;
                if (body.status === 200) {
                    field.value = '';
                    if (body.message) {
                        self.addMessage(known, body.message);
                    }
                }
            });
        }
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            send();
        });
        field.addEventListener('keydown', function (event) {
            if (event.key === 'Enter' && !event.shiftKey) {
                event.preventDefault();
                send();
            }
        });
        node.querySelector('.helpdesk-console-make-ticket').addEventListener(
            'click', function (event) {
                event.target.disabled = true;
                self.post('/console/chats/' + chat.id + '/ticket', {});
            });
        node.querySelector('.helpdesk-console-handover').addEventListener(
            'click', function () {
                var select = node.querySelector('.helpdesk-console-operators');
                if (select.value) {
                    self.post('/console/chats/' + chat.id + '/handover',
                        {operator: select.value});
                }
            });
        node.querySelector('.helpdesk-console-close').addEventListener(
            'click', function () {
                self.post('/console/chats/' + chat.id + '/close', {});
            });
        document.getElementById('console-chats').append(node);
        return known;
    };

    Console.prototype.updateChat = function (known, chat) {
        var root = this.root;
        var away = known.node.querySelector('.helpdesk-console-away');
        away.textContent = root.dataset.textAway;
        away.hidden = chat.visitor_online !== false;
        known.node.dataset.visitorOnline = String(chat.visitor_online);
        var ticket = known.node.querySelector('.helpdesk-console-ticket');
        if (chat.ticket) {
            ticket.textContent = root.dataset.textTicket + ' ' + chat.ticket;
            // The ticket in the web client, beside which the console opened
            ticket.href = root.dataset.ticketUrl + chat.ticket_id;
            ticket.hidden = false;
            known.node.querySelector('.helpdesk-console-make-ticket')
                .disabled = true;
        }
        var select = known.node.querySelector('.helpdesk-console-operators');
        var value = select.value;
        select.replaceChildren();
        chat.operators.forEach(function (operator) {
            var option = element('option', null, operator.name + ' (' +
                (operator.online ? root.dataset.textOnline :
                    root.dataset.textOffline) + ')');
            option.value = operator.id;
            select.append(option);
        });
        if (value) {
            select.value = value;
        }
        known.node.querySelector('.helpdesk-console-handover').disabled =
            !chat.operators.length;
    };

    Console.prototype.addMessage = function (known, message) {
        if (known.seen[message.id]) {
            return;
        }
        known.seen[message.id] = true;
        var item = element(
            'li', 'helpdesk-livechat-message helpdesk-livechat-' +
            message.author);
        item.dataset.author = message.author;
        item.dataset.message = message.id;
        if (message.author !== 'system') {
            var meta = element('div', 'helpdesk-livechat-meta');
            meta.append(element('span', 'helpdesk-livechat-name',
                message.name));
            meta.append(' · ');
            meta.append(element('time', null, time(message.time)));
            item.append(meta);
        }
        item.append(element(
            'div', 'helpdesk-livechat-content', message.content));
        // In the order of the messages, whatever the order they came in
        var before = Array.prototype.find.call(
            known.messages.children, function (child) {
                return parseInt(child.dataset.message, 10) > message.id;
            });
        known.messages.insertBefore(item, before || null);
        known.messages.scrollTop = known.messages.scrollHeight;
    };

    document.addEventListener('DOMContentLoaded', function () {
        var root = document.getElementById('console');
        if (root) {
            window.helpdeskConsole = new Console(root);
        }
    });
}());
