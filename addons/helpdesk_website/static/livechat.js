/* Helpdesk for Tryton: the live chat widget of the visitors.
 * - On the website's pages the widget is fetched from /livechat/widget and
 *   the chat is the visitor's by an HttpOnly cookie; every request carries
 *   the CSRF token of the page.
 * - In the frame that other sites embed (livechat-embed.js) the widget
 *   keeps the token of the chat in the storage of our origin and sends it
 *   in a header.
 * Messages come by long polling when the server has Tryton's bus, by
 * polling every few seconds otherwise. */
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

    function Widget(root) {
        this.root = root;
        this.base = root.dataset.root;
        this.frame = root.dataset.mode === 'frame';
        this.csrf = root.dataset.csrf;
        this.interval = parseInt(root.dataset.interval, 10) || 2000;
        this.team = root.querySelector('#livechat-team');
        this.panel = root.querySelector('#livechat-panel');
        this.launcher = root.querySelector('#livechat-open');
        this.start = root.querySelector('#livechat-start');
        this.leave = root.querySelector('#livechat-leave');
        this.conversation = root.querySelector('#livechat-conversation');
        this.messages = root.querySelector('#livechat-messages');
        this.reply = root.querySelector('#livechat-reply');
        this.error = root.querySelector('#livechat-error');
        this.done = root.querySelector('#livechat-done');
        this.seen = {};
        this.after = 0;
        this.bus = '';
        this.polling = false;
        this.storageKey = 'helpdesk_livechat_' + this.base;
        this.token = null;
        if (this.frame) {
            try {
                this.token = window.sessionStorage.getItem(this.storageKey);
            } catch (error) {
                this.token = null;
            }
        }
        this.bind();
        if (root.dataset.session || this.token) {
            this.showConversation();
            this.poll();
        } else {
            this.showForm();
        }
    }

    Widget.prototype.text = function (name) {
        return this.root.dataset['text' + name] || '';
    };

    Widget.prototype.bind = function () {
        var self = this;
        this.launcher.addEventListener('click', function () {
            self.toggle(self.panel.hidden);
        });
        this.root.querySelector('#livechat-minimize').addEventListener(
            'click', function () {
                self.toggle(false);
            });
        if (this.team.tagName === 'SELECT') {
            this.team.addEventListener('change', function () {
                self.showForm();
            });
        }
        this.start.addEventListener('submit', function (event) {
            event.preventDefault();
            self.submitStart();
        });
        this.leave.addEventListener('submit', function (event) {
            event.preventDefault();
            self.submitLeave();
        });
        this.reply.addEventListener('submit', function (event) {
            event.preventDefault();
            self.submitReply();
        });
        this.reply.querySelector('textarea').addEventListener(
            'keydown', function (event) {
                if (event.key === 'Enter' && !event.shiftKey) {
                    event.preventDefault();
                    self.submitReply();
                }
            });
        this.root.querySelector('#livechat-end').addEventListener(
            'click', function () {
                self.end();
            });
    };

    Widget.prototype.toggle = function (open) {
        this.panel.hidden = !open;
        this.launcher.hidden = open;
        this.launcher.setAttribute('aria-expanded', String(open));
        if (this.frame && window.parent !== window) {
            window.parent.postMessage(
                {type: 'helpdesk-livechat', open: open}, '*');
        }
        if (open) {
            var field = this.panel.querySelector(
                'form:not([hidden]) input:not([type=hidden]), ' +
                'form:not([hidden]) textarea');
            if (field) {
                field.focus();
            }
        }
    };

    Widget.prototype.online = function () {
        var option = this.team;
        if (option.tagName === 'SELECT') {
            option = option.options[option.selectedIndex];
        }
        return option.dataset.online === '1';
    };

    Widget.prototype.showForm = function (offline) {
        var online = !offline && this.online();
        this.start.hidden = !online;
        this.leave.hidden = online;
        this.conversation.hidden = true;
        this.root.querySelector('#livechat-status').textContent = '';
    };

    Widget.prototype.showConversation = function () {
        this.start.hidden = true;
        this.leave.hidden = true;
        var choice = this.root.querySelector('#livechat-team-choice');
        if (choice) {
            choice.hidden = true;
        }
        this.conversation.hidden = false;
        this.done.hidden = true;
    };

    Widget.prototype.showError = function (text) {
        this.error.textContent = text || '';
        this.error.hidden = !text;
    };

    Widget.prototype.request = function (method, path, data) {
        var self = this;
        var headers = {
            'X-Requested-With': 'fetch',
            'Accept': 'application/json',
        };
        if (this.frame) {
            if (this.token) {
                headers['X-Livechat-Token'] = this.token;
            }
        } else {
            headers['X-CSRF-Token'] = this.csrf;
        }
        var options = {
            method: method, headers: headers, credentials: 'same-origin'};
        if (data) {
            options.body = new URLSearchParams(data);
        }
        return fetch(this.base + path, options).then(function (response) {
            return response.json().catch(function () {
                return {error: self.text('Error')};
            }).then(function (body) {
                body.status = response.status;
                return body;
            });
        });
    };

    Widget.prototype.formData = function (form) {
        var data = new FormData(form);
        data.append('team', this.team.value);
        if (this.frame) {
            data.append('mode', 'frame');
        }
        return data;
    };

    Widget.prototype.errorsOf = function (body) {
        if (body.errors) {
            return Object.keys(body.errors).map(function (key) {
                return body.errors[key];
            }).join(' ');
        }
        return body.error || this.text('Error');
    };

    Widget.prototype.submitStart = function () {
        var self = this;
        var button = this.start.querySelector('[type=submit]');
        button.disabled = true;
        this.request('POST', '/start', this.formData(this.start)).then(
            function (body) {
                button.disabled = false;
                if (body.offline) {
                    // Nobody online any more: the message is kept for
                    // the form of the ticket
                    ['name', 'email', 'content'].forEach(function (name) {
                        var from = self.start.querySelector(
                            '[name=' + name + ']');
                        var to = self.leave.querySelector(
                            '[name=' + name + ']');
                        if (from && to) {
                            to.value = from.value;
                        }
                    });
                    self.showError('');
                    self.showForm(true);
                    return;
                }
                if (body.status !== 200) {
                    self.showError(self.errorsOf(body));
                    return;
                }
                self.showError('');
                if (body.token) {
                    self.token = body.token;
                    try {
                        window.sessionStorage.setItem(
                            self.storageKey, body.token);
                    } catch (error) {
                        // The chat lasts as long as the page
                    }
                }
                self.start.reset();
                self.showConversation();
                self.render(body.chat);
                self.poll();
            }, function () {
                button.disabled = false;
                self.showError(self.text('Error'));
            });
    };

    Widget.prototype.submitLeave = function () {
        var self = this;
        var button = this.leave.querySelector('[type=submit]');
        button.disabled = true;
        this.request('POST', '/leave', this.formData(this.leave)).then(
            function (body) {
                button.disabled = false;
                if (body.status !== 200) {
                    self.showError(self.errorsOf(body));
                    return;
                }
                self.showError('');
                self.leave.reset();
                self.leave.hidden = true;
                var choice = self.root.querySelector('#livechat-team-choice');
                if (choice) {
                    choice.hidden = true;
                }
                self.done.textContent = body.text;
                self.done.dataset.ticket = body.ticket;
                self.done.hidden = false;
            }, function () {
                button.disabled = false;
                self.showError(self.text('Error'));
            });
    };

    Widget.prototype.submitReply = function () {
        var self = this;
        var field = this.reply.querySelector('textarea');
        if (!field.value.trim()) {
            return;
        }
        var button = this.reply.querySelector('[type=submit]');
        button.disabled = true;
        this.request('POST', '/message', {content: field.value}).then(
            function (body) {
                button.disabled = false;
                if (body.status !== 200) {
                    self.showError(self.errorsOf(body));
                    return;
                }
                self.showError('');
                field.value = '';
                self.add(body.message);
                field.focus();
            }, function () {
                button.disabled = false;
                self.showError(self.text('Error'));
            });
    };

    Widget.prototype.end = function () {
        var self = this;
        this.request('POST', '/close', {}).then(function (body) {
            if (body.chat) {
                self.render(body.chat);
            }
            self.finish();
        });
    };

    Widget.prototype.finish = function () {
        this.polling = false;
        this.token = null;
        try {
            window.sessionStorage.removeItem(this.storageKey);
        } catch (error) {
            // Nothing kept
        }
        this.reply.hidden = true;
        this.root.querySelector('#livechat-end').hidden = true;
        this.done.textContent = this.text('Ended');
        this.done.hidden = false;
    };

    Widget.prototype.add = function (message) {
        if (this.seen[message.id]) {
            return;
        }
        this.seen[message.id] = true;
        this.after = Math.max(this.after, message.id);
        var item = element(
            'li', 'helpdesk-livechat-message helpdesk-livechat-' +
            message.author);
        item.dataset.author = message.author;
        item.dataset.message = message.id;
        if (message.author !== 'system') {
            var meta = element('div', 'helpdesk-livechat-meta');
            meta.append(element('span', 'helpdesk-livechat-name',
                message.author === 'visitor' ? this.text('You') :
                message.name));
            meta.append(' · ');
            meta.append(element('time', null, time(message.time)));
            item.append(meta);
        }
        item.append(element('div', 'helpdesk-livechat-content',
            message.content));
        this.messages.append(item);
        this.messages.scrollTop = this.messages.scrollHeight;
    };

    Widget.prototype.render = function (chat) {
        var self = this;
        chat.messages.forEach(function (message) {
            self.add(message);
        });
        var operator = this.root.querySelector('#livechat-operator');
        var status = this.root.querySelector('#livechat-status');
        this.root.dataset.state = chat.state;
        if (chat.state === 'waiting') {
            operator.textContent = this.text('Waiting');
            status.textContent = '';
        } else if (chat.operator) {
            operator.textContent = this.text('With') + ' ' + chat.operator;
            status.textContent = chat.operator;
        }
        var ticket = this.root.querySelector('#livechat-ticket');
        if (chat.ticket) {
            this.root.querySelector('#livechat-ticket-number').textContent =
                this.text('Ticket') + ' ' + chat.ticket;
            ticket.hidden = false;
        }
        if (chat.state === 'closed') {
            this.finish();
        }
    };

    Widget.prototype.poll = function () {
        var self = this;
        if (this.polling) {
            return;
        }
        this.polling = true;
        function next(delay) {
            window.setTimeout(loop, delay);
        }
        function loop() {
            if (!self.polling) {
                return;
            }
            self.request('GET', '/poll?after=' + self.after + '&bus=' +
                encodeURIComponent(self.bus || '')).then(function (body) {
                if (body.status === 404) {
                    // The chat is gone: the visitor may start another
                    self.polling = false;
                    self.finish();
                    return;
                }
                if (body.status !== 200) {
                    next(5000);
                    return;
                }
                self.bus = body.bus || '';
                self.render(body.chat);
                next(body.poll === 'long' ? 0 : body.interval || self.interval);
            }, function () {
                next(5000);
            });
        }
        loop();
    };

    function setUp(root) {
        var widget = new Widget(root);
        if (root.dataset.mode === 'frame' || root.dataset.session) {
            // The frame is opened by the button of the host page; an open
            // chat shows at once
            widget.toggle(Boolean(root.dataset.session || widget.token));
        }
        root.helpdeskLivechat = widget;
        document.dispatchEvent(new CustomEvent('helpdesk-livechat-ready'));
    }

    document.addEventListener('DOMContentLoaded', function () {
        var root = document.getElementById('livechat');
        if (root) {
            setUp(root);
            return;
        }
        var slot = document.getElementById('helpdesk-livechat-slot');
        if (!slot || !window.fetch) {
            return;
        }
        fetch(slot.dataset.url, {credentials: 'same-origin'}).then(
            function (response) {
                if (response.status !== 200) {
                    return null;
                }
                return response.text();
            }).then(function (html) {
                if (!html) {
                    return;
                }
                // Our own page's fragment, escaped by its template
                slot.innerHTML = html;
                setUp(slot.querySelector('#livechat'));
            });
    });
}());
