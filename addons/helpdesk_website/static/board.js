/* Helpdesk for Tryton: the agent board of a team.
 * It loads the columns of the team's stages (GET data), lets the agent drag
 * a card to another column (SortableJS; POST move with the CSRF token of
 * the board's session: the server writes the stage as the agent, a refused
 * move snaps back with the server's message) and reloads when tickets of
 * the team change (GET poll: Tryton's bus on PostgreSQL, polling
 * otherwise). */
(function () {
    'use strict';

    var BAND_CLASSES = {
        green: 'text-bg-success',
        yellow: 'text-bg-warning',
        red: 'text-bg-danger',
    };
    var PRIORITY_CLASSES = {
        '0': 'text-bg-light',
        '1': 'text-bg-secondary',
        '2': 'text-bg-warning',
        '3': 'text-bg-danger',
    };

    function Board(root) {
        this.root = root;
        this.base = root.dataset.root;
        this.csrf = root.dataset.csrf;
        this.lang = root.dataset.lang;
        this.text = root.dataset;
        this.interval = parseInt(root.dataset.interval, 10) || 2000;
        this.columns = document.getElementById('board-columns');
        this.error = document.getElementById('board-error');
        this.form = document.getElementById('board-filters');
        this.numbers = new Intl.NumberFormat(this.lang || undefined);
        this.expanded = {};
        this.stages = {};
        this.stamp = '';
        this.bus = '';
        this.busy = 0;
        this.stale = false;
        this.generation = 0;
        var self = this;
        var timer = null;
        this.form.addEventListener('submit', function (event) {
            event.preventDefault();
            self.load();
        });
        this.form.addEventListener('change', function () {
            self.load();
        });
        document.getElementById('board-search').addEventListener(
            'input', function () {
                window.clearTimeout(timer);
                timer = window.setTimeout(function () {
                    self.load();
                }, 300);
            });
        this.load().then(function () {
            self.poll();
        });
    }

    Board.prototype.filters = function () {
        var data = new FormData(this.form);
        var query = new URLSearchParams();
        query.set('lang', this.lang);
        if (data.get('who')) {
            query.set('who', data.get('who'));
        }
        if (data.get('urgent')) {
            query.set('urgent', '1');
        }
        var text = (data.get('q') || '').trim();
        if (text) {
            query.set('q', text);
        }
        return query;
    };

    Board.prototype.showError = function (text) {
        this.error.textContent = text || '';
        this.error.hidden = !text;
    };

    Board.prototype.request = function (method, path, data) {
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
                return {error: self.text.textError};
            }).then(function (body) {
                body.status = response.status;
                return body;
            });
        }, function () {
            return {status: 0, error: self.text.textError};
        });
    };

    Board.prototype.load = function () {
        var self = this;
        var generation = ++this.generation;
        var filters = this.filters();
        return this.request('GET', '/data?' + filters).then(function (body) {
            if (generation !== self.generation) {
                return;
            }
            if (body.status !== 200) {
                self.showError(body.error || self.text.textError);
                return;
            }
            self.showError('');
            self.stamp = body.stamp;
            self.render(body);
            // The folded stages the agent opened stay open
            body.stages.forEach(function (stage) {
                if (stage.fold && self.expanded[stage.id]) {
                    self.more(stage.id, true);
                }
            });
        });
    };

    Board.prototype.render = function (data) {
        var self = this;
        var template = document.getElementById('board-column');
        var fragment = document.createDocumentFragment();
        this.stages = {};
        data.stages.forEach(function (stage) {
            var node = template.content.firstElementChild.cloneNode(true);
            var column = {
                stage: stage,
                node: node,
                list: node.querySelector('.helpdesk-board-cards'),
                count: stage.count,
                shown: 0,
            };
            self.stages[stage.id] = column;
            node.dataset.stage = stage.id;
            node.dataset.category = stage.category;
            column.list.dataset.stage = stage.id;
            node.querySelector('.helpdesk-board-stage').textContent =
                stage.name;
            stage.cards.forEach(function (card) {
                column.list.appendChild(self.card(card));
            });
            column.shown = stage.cards.length;
            var fold = node.querySelector('.helpdesk-board-fold');
            fold.addEventListener('click', function () {
                self.toggle(stage.id);
            });
            node.querySelector('.helpdesk-board-more').addEventListener(
                'click', function () {
                    self.more(stage.id, false);
                });
            self.setFolded(column, stage.fold && !self.expanded[stage.id]);
            self.updateCount(column);
            window.Sortable.create(column.list, {
                group: 'board',
                sort: false,
                animation: 150,
                // Mouse and touch events, not the browser's drag and drop:
                // the same on every device
                forceFallback: true,
                draggable: '.helpdesk-board-card',
                filter: '.helpdesk-board-busy',
                ghostClass: 'helpdesk-board-ghost',
                onStart: function () {
                    self.busy += 1;
                },
                onEnd: function (event) {
                    self.busy -= 1;
                    if (event.from !== event.to) {
                        self.move(event);
                    } else {
                        self.settle();
                    }
                },
            });
            fragment.appendChild(node);
        });
        this.columns.replaceChildren(fragment);
    };

    Board.prototype.card = function (card) {
        var template = document.getElementById('board-card');
        var node = template.content.firstElementChild.cloneNode(true);
        this.fillCard(node, card);
        return node;
    };

    Board.prototype.fillCard = function (node, card) {
        var text = this.text;
        var url = text.ticketUrl + card.id;
        node.dataset.ticket = card.id;
        node.dataset.priority = card.priority;
        node.classList.toggle('helpdesk-board-mine', card.mine);
        var number = node.querySelector('.helpdesk-board-number');
        number.textContent = card.number;
        number.href = url;
        var subject = node.querySelector('.helpdesk-board-subject');
        subject.textContent = card.name;
        subject.href = url;
        var priority = node.querySelector('.helpdesk-board-priority');
        priority.textContent = card.priority_string;
        priority.className = 'badge helpdesk-board-priority ' +
            (PRIORITY_CLASSES[card.priority] || '');
        node.querySelector('.helpdesk-board-customer').textContent =
            card.customer;
        var assignee = node.querySelector('.helpdesk-board-assignee');
        assignee.textContent = card.assignee || text.textUnassigned;
        assignee.classList.toggle('text-muted', !card.assignee);
        var deadline = node.querySelector('.helpdesk-board-deadline');
        deadline.hidden = !card.deadline;
        deadline.textContent = card.deadline ?
            text.textDeadline + ': ' + card.deadline +
            (card.overdue ? ' (' + text.textOverdue + ')' : '') : '';
        deadline.classList.toggle('text-danger', card.overdue);
        var band = node.querySelector('.helpdesk-board-band');
        band.hidden = !card.band;
        band.dataset.band = card.band;
        band.textContent = card.band ? text['textBand' +
            card.band.charAt(0).toUpperCase() + card.band.slice(1)] : '';
        band.className = 'badge helpdesk-board-band ' +
            (BAND_CLASSES[card.band] || '');
        var last = node.querySelector('.helpdesk-board-last');
        last.hidden = !card.last;
        last.dataset.last = card.last;
        last.textContent = card.last === 'customer' ?
            text.textCustomerLast : card.last === 'agent' ?
            text.textAgentLast : '';
        last.className = 'helpdesk-board-last ' +
            (card.last === 'customer' ? 'text-primary fw-semibold' :
                'text-muted');
    };

    Board.prototype.updateCount = function (column) {
        column.node.querySelector('.helpdesk-board-count').textContent =
            this.numbers.format(column.count);
        var more = column.node.querySelector('.helpdesk-board-more');
        more.hidden = column.folded || column.shown >= column.count;
        more.textContent = this.text.textMore + ' (' +
            this.numbers.format(column.count - column.shown) + ')';
        column.list.dataset.empty = column.count ? '' : this.text.textEmpty;
    };

    Board.prototype.setFolded = function (column, folded) {
        column.folded = folded;
        column.node.classList.toggle('helpdesk-board-folded', folded);
        var fold = column.node.querySelector('.helpdesk-board-fold');
        fold.setAttribute('aria-expanded', folded ? 'false' : 'true');
        fold.textContent = folded ? '»' : '«';
        fold.title = folded ? this.text.textExpand : this.text.textCollapse;
        fold.setAttribute('aria-label', fold.title);
        this.updateCount(column);
    };

    Board.prototype.toggle = function (stageId) {
        var column = this.stages[stageId];
        if (column.folded) {
            this.expanded[stageId] = true;
            this.setFolded(column, false);
            if (column.stage.fold && !column.shown) {
                this.more(stageId, true);
            }
        } else {
            delete this.expanded[stageId];
            this.setFolded(column, true);
        }
    };

    Board.prototype.more = function (stageId, first) {
        var self = this;
        var column = this.stages[stageId];
        var query = this.filters();
        if (first) {
            column.list.replaceChildren();
            column.shown = 0;
        }
        query.set('offset', column.shown);
        var generation = this.generation;
        return this.request('GET', '/stages/' + stageId + '?' + query).then(
            function (body) {
                if (generation !== self.generation) {
                    return;
                }
                if (body.status !== 200) {
                    self.showError(body.error || self.text.textError);
                    return;
                }
                body.cards.forEach(function (card) {
                    column.list.appendChild(self.card(card));
                });
                column.shown += body.cards.length;
                self.updateCount(column);
            });
    };

    Board.prototype.move = function (event) {
        var self = this;
        var node = event.item;
        var from = this.stages[event.from.dataset.stage];
        var to = this.stages[event.to.dataset.stage];
        node.classList.add('helpdesk-board-busy');
        node.setAttribute('aria-busy', 'true');
        this.busy += 1;
        from.count -= 1;
        from.shown -= 1;
        to.count += 1;
        to.shown += 1;
        this.updateCount(from);
        this.updateCount(to);
        this.request('POST', '/move', {
            ticket: node.dataset.ticket,
            stage: to.stage.id,
        }).then(function (body) {
            node.classList.remove('helpdesk-board-busy');
            node.removeAttribute('aria-busy');
            if (body.status === 200) {
                self.showError('');
                // The poll reloads the board with the card as saved
                self.stale = true;
            } else {
                // Refused: the card snaps back where it was
                var before = event.from.children[event.oldIndex] || null;
                event.from.insertBefore(node, before);
                from.count += 1;
                from.shown += 1;
                to.count -= 1;
                to.shown -= 1;
                self.updateCount(from);
                self.updateCount(to);
                node.classList.add('helpdesk-board-refused');
                window.setTimeout(function () {
                    node.classList.remove('helpdesk-board-refused');
                }, 2000);
                self.showError(body.error || self.text.textError);
            }
            self.busy -= 1;
            self.settle();
        });
    };

    Board.prototype.settle = function () {
        // The changes of others that came while the agent dragged
        if (!this.busy && this.stale) {
            this.stale = false;
            this.load();
        }
    };

    Board.prototype.poll = function () {
        var self = this;
        function next(delay) {
            window.setTimeout(loop, delay);
        }
        function loop() {
            var query = new URLSearchParams({
                stamp: self.stamp || '', bus: self.bus || ''});
            self.request('GET', '/poll?' + query).then(function (body) {
                if (body.status !== 200) {
                    next(5000);
                    return;
                }
                self.bus = body.bus || '';
                var wait = body.poll === 'long' ? 0 :
                    body.interval || self.interval;
                if (!body.changed) {
                    next(wait);
                } else if (self.busy) {
                    self.stale = true;
                    next(wait || self.interval);
                } else {
                    self.load().then(function () {
                        next(wait);
                    });
                }
            });
        }
        loop();
    };

    document.addEventListener('DOMContentLoaded', function () {
        var root = document.getElementById('board');
        if (root && window.Sortable) {
            window.helpdeskBoard = new Board(root);
        }
    });
}());
