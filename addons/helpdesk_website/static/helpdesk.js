/* Helpdesk for Tryton: the website pages.
 * - Forms with files are sent in the background with a progress bar per
 *   file; without JavaScript they are sent as usual.
 * - Images of the file manager open in a preview. */
(function () {
    'use strict';

    function formatSize(size) {
        if (size >= 1e6) {
            return (size / 1e6).toFixed(1) + ' MB';
        } else if (size >= 1e3) {
            return (size / 1e3).toFixed(1) + ' kB';
        }
        return size + ' B';
    }

    function element(tag, className, text) {
        var node = document.createElement(tag);
        if (className) {
            node.className = className;
        }
        if (text !== undefined) {
            node.textContent = text;
        }
        return node;
    }

    function listFiles(input, list) {
        var bars = [];
        list.replaceChildren();
        Array.prototype.forEach.call(input.files, function (file) {
            var item = element('li', 'mb-2 helpdesk-upload');
            item.dataset.name = file.name;
            var label = element('div', 'small d-flex justify-content-between');
            label.append(element('span', 'text-truncate', file.name));
            var percent = element('span', 'helpdesk-percent', '0 %');
            label.append(element('span', 'text-muted ms-2',
                formatSize(file.size)));
            label.append(percent);
            var progress = element('div', 'progress');
            progress.setAttribute('role', 'progressbar');
            progress.setAttribute('aria-label', file.name);
            progress.setAttribute('aria-valuemin', '0');
            progress.setAttribute('aria-valuemax', '100');
            progress.setAttribute('aria-valuenow', '0');
            var bar = element('div', 'progress-bar');
            bar.style.width = '0%';
            progress.append(bar);
            item.append(label, progress);
            list.append(item);
            bars.push({
                size: file.size, bar: bar, progress: progress,
                percent: percent});
        });
        return bars;
    }

    function showProgress(bars, loaded, total) {
        // The files go in the order of the form, after the other fields:
        // what was sent beyond the fields fills the bars one after the
        // other
        var files = bars.reduce(function (sum, b) {
            return sum + b.size;
        }, 0);
        var sent = Math.max(0, loaded - Math.max(0, total - files));
        bars.forEach(function (b) {
            var done = b.size ? Math.min(sent, b.size) / b.size : 1;
            if (loaded >= total) {
                done = 1;
            }
            sent = Math.max(0, sent - b.size);
            var value = Math.round(done * 100);
            b.bar.style.width = value + '%';
            b.progress.setAttribute('aria-valuenow', String(value));
            b.percent.textContent = value + ' %';
            if (value >= 100) {
                b.bar.classList.add('bg-success');
            }
        });
    }

    function showErrors(form, errors) {
        form.querySelectorAll('[data-error]').forEach(function (node) {
            node.remove();
        });
        form.querySelectorAll('.is-invalid').forEach(function (node) {
            node.classList.remove('is-invalid');
        });
        var alert = form.querySelector('.helpdesk-form-alert');
        if (!alert) {
            alert = element('div', 'alert alert-danger helpdesk-form-alert');
            alert.setAttribute('role', 'alert');
            form.prepend(alert);
        }
        var messages = [];
        Object.keys(errors).forEach(function (name) {
            var field = form.querySelector('[name="' + name + '"]');
            var feedback = element(
                'div', 'invalid-feedback d-block', errors[name]);
            feedback.dataset.error = name;
            if (field) {
                field.classList.add('is-invalid');
                field.after(feedback);
            } else {
                messages.push(errors[name]);
            }
        });
        alert.textContent = messages.join(' ') ||
            form.dataset.errorText || alert.textContent;
        alert.hidden = !alert.textContent;
    }

    function setUpUpload(form) {
        var input = form.querySelector('input[type=file]');
        var list = form.querySelector('.helpdesk-uploads');
        var bars = [];
        if (!input || !list || !window.FormData || !window.XMLHttpRequest) {
            return;
        }
        input.addEventListener('change', function () {
            bars = listFiles(input, list);
        });
        form.addEventListener('submit', function (event) {
            event.preventDefault();
            var submit = form.querySelector('[type=submit]');
            var request = new XMLHttpRequest();
            bars = listFiles(input, list);
            request.open(form.method, form.action);
            request.setRequestHeader('X-Requested-With', 'fetch');
            request.setRequestHeader('Accept', 'application/json');
            request.upload.addEventListener('progress', function (e) {
                if (e.lengthComputable) {
                    showProgress(bars, e.loaded, e.total);
                }
            });
            request.upload.addEventListener('load', function () {
                showProgress(bars, 1, 1);
            });
            request.addEventListener('load', function () {
                var data = {};
                try {
                    data = JSON.parse(request.responseText);
                } catch (error) {
                    data = {error: request.statusText};
                }
                if (data.redirect) {
                    window.location.assign(data.redirect);
                    return;
                }
                if (submit) {
                    submit.disabled = false;
                }
                showErrors(form, data.errors || {form: data.error});
            });
            request.addEventListener('error', function () {
                if (submit) {
                    submit.disabled = false;
                }
                showErrors(form, {form: form.dataset.networkError ||
                    'The connection failed: try again.'});
            });
            if (submit) {
                submit.disabled = true;
            }
            request.send(new FormData(form));
        });
    }

    function setUpPreview() {
        var modal = document.getElementById('preview');
        if (!modal || !window.bootstrap) {
            return;
        }
        var dialog = window.bootstrap.Modal.getOrCreateInstance(modal);
        document.querySelectorAll('.helpdesk-preview').forEach(function (b) {
            b.addEventListener('click', function () {
                modal.querySelector('#preview-image').src = b.dataset.preview;
                modal.querySelector('#preview-image').alt = b.dataset.title;
                modal.querySelector('#preview-title').textContent =
                    b.dataset.title;
                dialog.show();
            });
        });
    }

    document.addEventListener('DOMContentLoaded', function () {
        document.querySelectorAll('.helpdesk-upload-form').forEach(
            setUpUpload);
        setUpPreview();
    });
}());
