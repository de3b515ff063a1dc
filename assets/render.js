/*
 * How Floorboard's pages draw, shared by every page (Dash serves assets/ on all of them, in
 * alphabetical order, so this file is in place before stream.js): Dash components and the
 * props set on them, time as text in the centre's time zone, and the entries that several
 * pages show, a key message and an outage. Nothing here knows about any one page.
 *
 * window.floorboard is what every item renderer is given as its last argument (h):
 *
 *     window.floorboardRenderers[name] = function (spec, item, now, h) { ... };
 *
 * User text only ever goes in as children text, which React escapes: it can never run as HTML.
 */
(function () {
    "use strict";

    var DAY_S = 20 * 3600; // closer than this to now, a time is said without its date
    var NO_VALUE = "\u2014";
    // An item the server could not compute or send ({broken: true}, dashboard/live/hub.py):
    // its values are shown as NO_VALUE and it says why, so nothing looks live that is not.
    var BROKEN = "bad data from the feed";
    var FORMATS = {
        clock: {hour: "2-digit", minute: "2-digit", second: "2-digit"},
        hhmm: {hour: "2-digit", minute: "2-digit"},
        dated: {day: "numeric", month: "short", hour: "2-digit", minute: "2-digit"}
    };

    var zone; // the centre's time zone (the view's), never this PC's
    var formats = {}; // Intl.DateTimeFormat by time zone and FORMATS name
    var sent = {}; // props last set per component id: set_props only what changed

    // -- time as text --------------------------------------------------------------------

    function format(seconds, name) {
        var key = zone + " " + name;
        var f = formats[key] || (formats[key] = new Intl.DateTimeFormat("en-GB",
            Object.assign({hour12: false, timeZone: zone}, FORMATS[name])));
        return f.format(new Date(seconds * 1000));
    }

    function clockFormat(seconds) {
        return format(seconds, "clock");
    }

    // The clock time when it is near now; with its date when it is not ("28 Nov 14:30").
    function when(seconds, now) {
        if (seconds === null || seconds === undefined) {
            return "";
        }
        return format(seconds, Math.abs(seconds - now) < DAY_S ? "hhmm" : "dated");
    }

    // Same form as the server's fmt_duration: m:ss under an hour, then 1h05.
    function duration(seconds) {
        if (seconds === null || seconds === undefined) {
            return NO_VALUE;
        }
        var s = Math.max(0, Math.round(seconds));
        if (s < 3600) {
            return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
        }
        return Math.floor(s / 3600) + "h" + String(Math.floor((s % 3600) / 60)).padStart(2, "0");
    }

    // Ages in words, rounded the way people say them: "45 s", "2 min", "1 h 20 min".
    function ago(seconds) {
        var s = Math.max(0, Math.floor(seconds));
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return Math.floor(s / 60) + " min";
        }
        var m = Math.floor((s % 3600) / 60);
        return Math.floor(s / 3600) + " h" + (m ? " " + m + " min" : "");
    }

    // Threshold.status from feeds/config.py: warn < alert means higher is worse.
    function thresholdStatus(value, warn, alert) {
        if (value === null || warn === null || warn === undefined) {
            return "ok";
        }
        if (warn < alert) {
            return value >= alert ? "alert" : value >= warn ? "warn" : "ok";
        }
        return value <= alert ? "alert" : value <= warn ? "warn" : "ok";
    }

    // -- components and props ------------------------------------------------------------

    // The watches of feeds/alerts.py that fire now: each after its seconds since its start, so
    // the console and the walls fire an alert on the second with nothing sent.
    function firing(list, now) {
        return (list || []).filter(function (w) {
            return now - w.since >= w.after;
        });
    }

    function cls() {
        return Array.prototype.filter.call(arguments, Boolean).join(" ");
    }

    function same(a, b) {
        return a === b || (typeof a === "object" && JSON.stringify(a) === JSON.stringify(b));
    }

    // set_props is the Dash-sanctioned way in; React keeps owning the DOM. Only changes are
    // sent, so the once-a-second render costs nothing for what did not move.
    function setProps(id, props) {
        var prev = sent[id] || (sent[id] = {});
        var diff = null;
        Object.keys(props).forEach(function (k) {
            if (!same(prev[k], props[k])) {
                diff = diff || {};
                diff[k] = prev[k] = props[k];
            }
        });
        if (diff) {
            window.dash_clientside.set_props(id, diff);
        }
    }

    // A hot value (a number, a timer, an age, the clock): its text and class written straight
    // to its element, with no React render in between, on every update and every second. Dash
    // still owns the layout: the element is the one it drew, whose only child is text (React
    // keeps such a child as the element's textContent, so nothing of React's goes stale), and
    // nothing else ever sets these props, so a React render never undoes what is written here.
    // Text only: a value can never be HTML.
    function text(id, value, className) {
        var node = document.getElementById(id);
        if (!node) {
            return; // not on this page (or not drawn yet: the next second's render writes it)
        }
        if (node.textContent !== value) {
            node.textContent = value;
        }
        if (className !== undefined && node.className !== className) {
            node.className = className;
        }
    }

    // A Dash component as set_props takes it. User text goes in as children text, which React
    // escapes: a message or outage wording can never run as HTML.
    function el(type, className, children, extra) {
        var props = Object.assign({className: className, children: children}, extra || {});
        return {type: type, namespace: "dash_html_components", props: props};
    }

    // -- entries several pages show (styles: assets/base.css and each page's CSS) -----------

    function empty(text) {
        return [el("Div", "fb-empty", text)];
    }

    // A list item that came broken: its list makes way for one marked line saying so
    // (className: the list's own, when the page sets it, e.g. to show a hidden band).
    function brokenList(id, className) {
        var props = {children: [el("Div", "fb-broken", NO_VALUE + " " + BROKEN)]};
        if (className) {
            props.className = className;
        }
        setProps(id, props);
    }

    // "CRITICAL", "URGENT": the one badge of a severity or a priority.
    function badge(kind, value) {
        return el("Span", cls("fb-badge", kind + "-" + value), value.toUpperCase());
    }

    // A labelled detail; nothing at all when there is no text.
    function line(label, text, className) {
        if (!text) {
            return null;
        }
        return el("Div", cls("fb-line", className), [
            el("Span", "fb-label", label), el("Span", "fb-line-text", text)
        ]);
    }

    // The frame every entry has: the head, the body, an optional foot.
    function entry(className, key, head, body, foot) {
        return el("Div", cls("fb-item", className), [el("Div", "fb-item-head", head)]
            .concat(body || [], foot ? [el("Div", "fb-item-foot", foot)] : []), {key: key});
    }

    // Where a message is at `now` (the rule of feeds/notices/messages.py's message_status),
    // checked every second, so a message appears and goes on time with nothing sent.
    function messageStatus(m, now) {
        if (m.expires_at <= now) {
            return "expired";
        }
        return m.starts_at != null && m.starts_at > now ? "scheduled" : "active";
    }

    // A key message: its priority badge, what the page adds to the head, the text (its line
    // breaks kept by CSS), then what the page adds below it. parts: {className, head, body, foot}
    function messageEntry(m, parts) {
        return entry(cls("fb-msg", "prio-" + m.priority, parts.className), m.id,
            [badge("prio", m.priority)].concat(parts.head || []),
            [el("Div", "fb-text", m.text)].concat(parts.body || []), parts.foot);
    }

    // An outage: its severity badge and the service, what the page adds to the head, then its
    // detail lines (see line) and an optional foot. parts: {head, lines, foot}
    function outageEntry(o, parts) {
        return entry(cls("fb-outage", "sev-" + o.severity), o.id,
            [badge("sev", o.severity), el("Span", "fb-strong", o.service)]
                .concat(parts.head || []), parts.lines, parts.foot);
    }

    // A waiting contact (dashboard/pages/items.py blended_entry) as the floor's blended queue
    // and the agent tab's "Next for me" list it: its place in line, channel icon, queue, how
    // long it has waited (ticking), priority and flags (callback, VIP).
    var FLAG_LABELS = {callback: "\u21A9 callback", vip: "\u2605 VIP"};

    function waitingEntry(e, place, now) {
        return el("Li", cls("fb-waiting", "channel-" + e.channel), [
            el("Span", "fb-waiting-pos", String(place)),
            el("Span", "fb-waiting-icon", e.icon, {title: e.channel_label || e.channel}),
            el("Span", "fb-waiting-queue", e.queue_name),
            el("Span", "fb-waiting-waited", duration(now - e.since)),
            e.priority ? el("Span", "fb-waiting-prio", "P" + e.priority) : null
        ].concat(e.flags.map(function (f) {
            return el("Span", cls("fb-waiting-flag", "flag-" + f), FLAG_LABELS[f] || f, {key: f});
        })), {key: e.id, "data-contact": e.id});
    }

    // Where a producer is at `now`, from its entry (dashboard/pages/items.py source_entry:
    // the times feeds/adapters/health.py gives), so a source goes late and down on time with
    // nothing sent: "live", "late" or "down" (also when it said it is cut off upstream).
    function sourceStatus(s, now) {
        if (s.cut_off || now > s.down_at) {
            return "down";
        }
        return now > s.late_at ? "late" : "live";
    }

    // The first producer an item's figures stand on that is not live (items.py
    // feeding_sources), or none: its figures are then as old as that silence.
    function silentSource(item, now) {
        return (item.sources || []).filter(function (s) {
            return sourceStatus(s, now) !== "live";
        })[0];
    }

    // Why a producer is not live, in words: "asterisk silent for 2 min".
    function sourceSilence(s, now) {
        return s.cut_off && now <= s.down_at ? s.name + " cut off from its ACD"
            : s.name + " silent for " + ago(now - s.seen);
    }

    function etaText(eta, now) {
        return eta ? "ETA " + when(eta, now) : "no ETA yet";
    }

    // A page's layout was (re)rendered: its components have the props of the layout again.
    function newPage(view) {
        zone = view.timezone || undefined;
        sent = {};
    }

    window.floorboard = {
        el: el, setProps: setProps, text: text, cls: cls, empty: empty, line: line,
        brokenList: brokenList, badge: badge,
        NO_VALUE: NO_VALUE, BROKEN: BROKEN,
        messageEntry: messageEntry, messageStatus: messageStatus, outageEntry: outageEntry,
        waitingEntry: waitingEntry,
        etaText: etaText, clockFormat: clockFormat, when: when, ago: ago, duration: duration,
        thresholdStatus: thresholdStatus, newPage: newPage, sourceStatus: sourceStatus,
        silentSource: silentSource, sourceSilence: sourceSilence, firing: firing
    };
})();
