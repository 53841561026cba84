/* Helpdesk for Tryton: the snippet that shows the live chat of a team on
 * the pages of another site:
 *   <script src="https://helpdesk.example/DB/helpdesk/livechat/embed.js"
 *       data-team="1" async></script>
 * It adds a frame of the helpdesk's own origin in the corner of the page:
 * the chat runs in it, with the helpdesk's styles and its security policy,
 * and the page's own scripts cannot read it. The frame tells by a message
 * whether it is open, and the snippet resizes it. The host page's Content
 * Security Policy, if any, must allow this script (script-src) and the
 * frame (frame-src) from the helpdesk's origin. */
(function () {
    'use strict';
    var script = document.currentScript;
    if (!script || !script.dataset.team) {
        return;
    }
    var source = new URL(script.src, window.location.href);
    var base = source.href.replace(/\/embed\.js(\?.*)?$/, '');
    var url = new URL(base + '/frame/' +
        encodeURIComponent(script.dataset.team));
    var language = script.dataset.lang || document.documentElement.lang;
    if (language) {
        url.searchParams.set('lang', language);
    }
    var frame = document.createElement('iframe');
    frame.src = url.href;
    frame.title = script.dataset.title || 'Live chat';
    frame.className = 'helpdesk-livechat-embed';
    frame.setAttribute('allow', '');
    var rtl = (document.documentElement.dir ||
        window.getComputedStyle(document.documentElement).direction) ===
        'rtl';
    var style = frame.style;
    style.position = 'fixed';
    style.bottom = '0';
    style[rtl ? 'left' : 'right'] = '0';
    style.border = '0';
    style.zIndex = '2147483000';
    style.background = 'transparent';
    style.colorScheme = 'normal';

    function size(open) {
        var small = window.innerWidth < 480;
        style.width = open ? (small ? '100vw' : '400px') : '220px';
        style.height = open ? (small ? '100vh' : '600px') : '80px';
        style.maxHeight = '100vh';
    }
    size(false);
    window.addEventListener('message', function (event) {
        if (event.source !== frame.contentWindow ||
                event.origin !== source.origin) {
            return;
        }
        var data = event.data || {};
        if (data.type === 'helpdesk-livechat') {
            size(Boolean(data.open));
        }
    });

    function add() {
        document.body.appendChild(frame);
    }
    if (document.body) {
        add();
    } else {
        document.addEventListener('DOMContentLoaded', add);
    }
}());
