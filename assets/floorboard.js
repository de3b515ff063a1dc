/*
 * Floorboard in the browser: one Server-Sent Events stream per page, applied to the Dash
 * components the page's layout built (dashboard/wall.py), through dash_clientside.set_props.
 *
 * Items arrive as view-models (dashboard/viewmodels.py). Everything that depends on the time
 * (timers, ages, staleness, message start/expiry, the clock) is re-rendered once a second from
 * the last items and the server's clock, so a number never freezes between updates and a
 * quiet feed shows its age instead of looking live.
 */
(function () {
    "use strict";

    var TICK_MS = 1000;
    var SILENCE_MS = 25000; // heartbeats come every 10 s: 25 s of nothing means a dead stream
    var CLOSED_RETRY_MS = [2000, 5000]; // when we reopen the stream ourselves, jittered
    var CLOCK_WINDOW_MS = 120000; // server-time samples kept for the clock offset
    var TICKER_PX_PER_S = 90; // slow enough to read from the back of the room
    var RANK = {ok: 0, warn: 1, alert: 2};
    var NO_VALUE = "\u2014";
    var LOST = "Connection to the server lost \u2014 reconnecting\u2026 (showing last values)";
    var BUS_DOWN = "Data bus unavailable \u2014 showing last values since ";

    var S = {
        view: null, // the page's fb-view store: stream URL, time zone, component manifest
        source: null, // the one EventSource
        lastId: null, // last event id seen, to resume after a forced reopen
        offset: 0, // server clock minus this PC's clock, seconds
        samples: [], // recent [local ms, offset] observations, see observeClock
        lastEvent: 0, // Date.now() of the last event (or of opening), for the silence watchdog
        link: "connecting", // connecting | up | down
        bus: {up: true},
        items: {},
        props: {}, // props last set per id: set_props only what changed
        ticker: {scroll: false, width: 0},
        timer: null,
        retry: null,
        clocks: {}
    };

    // -- time ----------------------------------------------------------------------------

    function serverNow() {
        return Date.now() / 1000 + S.offset;
    }

    // Every server time we are given was stamped before it reached us, so each sample
    // underestimates the offset: the largest recent one is the best. That also discounts a
    // snapshot the server built earlier and re-sent. The window lets a corrected PC clock in.
    function observeClock(serverSeconds) {
        var local = Date.now();
        S.samples = S.samples.filter(function (s) {
            return local - s[0] < CLOCK_WINDOW_MS;
        });
        S.samples.push([local, serverSeconds - local / 1000]);
        S.offset = Math.max.apply(null, S.samples.map(function (s) {
            return s[1];
        }));
    }

    function clockFormat(seconds) {
        var tz = (S.view && S.view.timezone) || undefined;
        var f = S.clocks[tz] || (S.clocks[tz] = new Intl.DateTimeFormat("en-GB", {
            hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: tz
        }));
        return f.format(new Date(seconds * 1000));
    }

    function hhmm(seconds) {
        return clockFormat(seconds).slice(0, 5);
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

    function worst(statuses) {
        return statuses.reduce(function (a, b) {
            return (RANK[b] || 0) > (RANK[a] || 0) ? b : a;
        }, "ok");
    }

    function cls() {
        return Array.prototype.filter.call(arguments, Boolean).join(" ");
    }

    // -- applying props ------------------------------------------------------------------

    function same(a, b) {
        return a === b || (typeof a === "object" && JSON.stringify(a) === JSON.stringify(b));
    }

    // set_props is the Dash-sanctioned way in; React keeps owning the DOM. Only changes are
    // sent, so the once-a-second render costs nothing for what did not move.
    function setProps(id, props) {
        var prev = S.props[id] || (S.props[id] = {});
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

    // A Dash component as set_props takes it. User text goes in as children text, which React
    // escapes: a message or outage wording can never run as HTML.
    function el(type, className, children, extra) {
        var props = Object.assign({className: className, children: children}, extra || {});
        return {type: type, namespace: "dash_html_components", props: props};
    }

    // -- rendering -----------------------------------------------------------------------

    function renderValues(spec, item, now) {
        var stale = item.ts != null && item.stale_after != null &&
            now - item.ts > item.stale_after;
        var statuses = [item.status || "ok"];
        (spec.fields || []).forEach(function (name) {
            var f = (item.fields || {})[name];
            // A field with an end (a delay reason's expiry) disappears on the second.
            var text = !f || (f.until != null && now >= f.until) ? "" : f.text;
            setProps(spec.id + "-" + name, {
                children: text,
                className: cls("value", f && f.status && "status-" + f.status, !text && "empty")
            });
        });
        (spec.timers || []).forEach(function (name) {
            var t = (item.timers || {})[name];
            // Stale: the wait as last known, not a guess that keeps climbing as if live.
            var waited = !t || t.since == null ? null : (stale ? item.ts : now) - t.since;
            var status = thresholdStatus(waited, t && t.warn, t && t.alert);
            statuses.push(status);
            setProps(spec.id + "-" + name, {
                children: duration(waited),
                className: cls("value", "timer", "status-" + status)
            });
        });
        if (spec.age) {
            var age = item.ts == null ? "waiting for data"
                : stale ? "no data for " + ago(now - item.ts)
                    : "updated " + ago(now - item.ts) + " ago";
            setProps(spec.id + "-age", {children: age, className: cls("age", stale && "stale")});
        }
        setProps(spec.id, {
            className: cls(spec.class, "status-" + worst(statuses), stale && "stale",
                spec.age && item.ts == null && "nodata")
        });
    }

    function renderOutages(spec, item, now) {
        var entries = item.list || [];
        var children = entries.map(function (o) {
            var parts = [
                el("Span", "sev", o.severity.toUpperCase()),
                el("Span", "service", o.service),
                el("Span", "ostatus", o.status),
                el("Span", "eta", o.eta ? "ETA " + hhmm(o.eta) : "no ETA yet"),
                el("Span", "since", "for " + ago(now - o.since))
            ];
            if (o.wording) {
                parts.push(el("Span", "wording", o.wording));
            }
            return el("Div", cls("outage", "sev-" + o.severity), parts, {key: o.id});
        });
        setProps(spec.id, {
            children: children,
            className: cls(spec.class, "status-" + (item.status || "ok"),
                !entries.length && "hidden")
        });
    }

    function renderMessages(spec, item, now) {
        // Start and expiry are checked every tick, so a message appears and goes on time
        // without the server sending anything at those moments.
        var shown = (item.list || []).filter(function (m) {
            return (m.starts_at == null || m.starts_at <= now) && now < m.expires_at;
        });
        var isUrgent = function (m) {
            return m.priority === "urgent";
        };
        var live = spec.urgent ? shown.filter(function (m) {
            return !isUrgent(m);
        }) : shown;
        if (spec.urgent) {
            // Urgent messages stand still in their own band, whole, with their line breaks.
            var urgent = shown.filter(isUrgent);
            setProps(spec.urgent, {
                children: urgent.map(function (m) {
                    return el("Div", "urgent-msg", [
                        el("Span", "urgent-label", "\u26A0\uFE0E URGENT"),
                        el("Span", "urgent-text", m.text)
                    ], {key: m.id});
                }),
                className: cls("urgent-band", !urgent.length && "hidden")
            });
        }
        var copy = function (hidden) {
            return el("Div", "ticker-copy", live.map(function (m) {
                return el("Span", cls("msg", "prio-" + m.priority), m.text, {key: m.id});
            }), hidden ? {"aria-hidden": "true"} : {});
        };
        // Too long to fit: two copies side by side scroll by one copy's width, seamlessly.
        var scroll = live.length > 0 && S.ticker.scroll;
        var seconds = Math.round(S.ticker.width / TICKER_PX_PER_S);
        var track = el("Div", cls("ticker-track", scroll && "scrolling"),
            scroll ? [copy(false), copy(true)] : [copy(false)],
            scroll ? {style: {animationDuration: seconds + "s"}} : {});
        setProps(spec.id, {
            children: live.length ? [track] : [],
            className: cls(spec.class, live.some(isUrgent) && "has-urgent", !live.length && "empty")
        });
    }

    // Whether the messages overflow their region. Reading layout is fine; writing stays React's.
    function measureTicker() {
        var box = document.getElementById("messages");
        if (!box) {
            return;
        }
        var first = box.querySelector(".ticker-copy");
        var width = first ? Math.ceil(first.scrollWidth / 10) * 10 : 0;
        S.ticker = {scroll: width > box.clientWidth, width: width};
    }

    function renderConnection() {
        var text = "";
        var state = "live";
        if (S.link === "down") {
            text = LOST;
            state = "lost";
        } else if (S.bus && S.bus.up === false) {
            text = BUS_DOWN + clockFormat(S.bus.since || serverNow());
            state = "bus-down";
        } else if (S.link === "connecting") {
            state = "connecting";
        }
        var labels = {
            live: "Live", lost: "Reconnecting", "bus-down": "Bus down", connecting: "Connecting"
        };
        setProps("conn-band", {
            children: text,
            className: cls("conn-band", "conn-" + state, !text && "hidden")
        });
        setProps("conn-indicator", {
            children: labels[state],
            className: cls("conn-indicator", "conn-" + state)
        });
    }

    function render() {
        // Navigated away (the wall is no longer in the page): nothing to apply to.
        if (!S.view || !document.getElementById(S.view.root)) {
            return;
        }
        var now = serverNow();
        measureTicker();
        Object.keys(S.view.items).forEach(function (key) {
            var spec = S.view.items[key];
            var item = S.items[key];
            if (!item) {
                return;
            }
            var custom = spec.render && RENDERERS[spec.render];
            if (custom) {
                custom(spec, item, now, HELPERS);
            } else if (spec.list === "outages") {
                renderOutages(spec, item, now);
            } else if (spec.list === "messages") {
                renderMessages(spec, item, now);
            } else {
                renderValues(spec, item, now);
            }
        });
        renderConnection();
        setProps("clock", {children: clockFormat(now)});
    }

    // -- the stream ----------------------------------------------------------------------

    function onEvent(handler) {
        return function (e) {
            S.lastEvent = Date.now();
            if (e.lastEventId) {
                S.lastId = e.lastEventId;
            }
            var data = JSON.parse(e.data);
            if (typeof data.now === "number") {
                observeClock(data.now);
            }
            S.link = "up";
            handler(data);
            render();
        };
    }

    function close() {
        if (S.source) {
            S.source.close();
            S.source = null;
        }
        clearTimeout(S.retry);
    }

    function open() {
        close();
        var url = S.view.stream;
        // Resume after the last event, unless the bus was down: only a snapshot says it is
        // back, and a resumed stream from a restarted server would never send one.
        if (S.lastId !== null && S.bus.up !== false) {
            url += "&last_event_id=" + encodeURIComponent(S.lastId);
        }
        var es = new EventSource(url);
        S.source = es;
        S.lastEvent = Date.now();
        es.addEventListener("snapshot", onEvent(function (d) {
            S.items = d.items || {};
            S.bus = d.bus || {up: true};
        }));
        es.addEventListener("update", onEvent(function (d) {
            Object.assign(S.items, d.items || {});
        }));
        // System events and heartbeats both carry the bus status: a page never keeps a stale one.
        var busStatus = onEvent(function (d) {
            S.bus = d.bus || S.bus;
        });
        es.addEventListener("system", busStatus);
        es.addEventListener("heartbeat", busStatus);
        // A stream that opens again after an error may resume from Last-Event-ID with no
        // snapshot, so the band goes as soon as the server answers, not at the next snapshot.
        es.onopen = function () {
            S.link = "up";
            S.lastEvent = Date.now();
            render();
        };
        es.onerror = function () {
            if (es !== S.source) {
                return;
            }
            S.link = "down";
            // The browser retries by itself (resuming with Last-Event-ID) unless the server
            // refused the stream outright; we retry instead when it refused, or when we need a
            // snapshot rather than a resume (see open).
            if (es.readyState === EventSource.CLOSED || S.bus.up === false) {
                es.close();
                var span = CLOSED_RETRY_MS[1] - CLOSED_RETRY_MS[0];
                S.retry = setTimeout(open, CLOSED_RETRY_MS[0] + Math.random() * span);
            }
            render();
        };
    }

    function tick() {
        if (S.view && S.source && Date.now() - S.lastEvent > SILENCE_MS) {
            // A half-open connection never errors: reopen, resuming after the last event.
            S.link = "down";
            open();
        }
        render();
    }

    // -- entry point (the clientside callback on fb-view) --------------------------------

    // Called whenever a wall layout is rendered. Idempotent: the same stream stays open; the
    // freshly mounted components get the current values at once.
    function connect(view) {
        if (!view || !view.stream) {
            close();
            S.view = null;
            return null;
        }
        var sameStream = S.view && S.view.stream === view.stream;
        S.view = view;
        S.props = {};
        if (typeof view.now === "number") {
            observeClock(view.now); // when the server built this page: fresher than a snapshot
        }
        if (!sameStream) {
            S.items = {};
            S.lastId = null;
            S.link = "connecting";
            open();
        }
        if (!S.timer) {
            S.timer = setInterval(tick, TICK_MS);
        }
        // Rotating boards: the next board after `seconds` on this one (a plain navigation, so
        // the next page starts from its own snapshot).
        clearTimeout(S.rotation);
        if (view.rotate) {
            S.rotation = setTimeout(function () {
                window.location.assign(view.rotate.next);
            }, view.rotate.seconds * 1000);
        }
        render();
        return view.stream;
    }

    // Background tabs get their timers throttled: catch up the moment the screen is shown.
    document.addEventListener("visibilitychange", function () {
        if (document.visibilityState === "visible") {
            tick();
        }
    });

    // -- extension point: item renderers of other pages ---------------------------------

    // A page whose items are not the wall's names a renderer in its manifest (``render``) and
    // registers it in window.floorboardRenderers[name] = function (spec, item, now, helpers);
    // this script keeps the one stream, the clock, reconnection and the connection band, and
    // calls the renderer on every update and every tick. Looked up at render time, so it does
    // not matter which script loads first (Dash loads assets in alphabetical order).
    var RENDERERS = window.floorboardRenderers = window.floorboardRenderers || {};
    var HELPERS = {
        el: el, setProps: setProps, cls: cls, hhmm: hhmm, ago: ago, duration: duration,
        clockFormat: clockFormat, thresholdStatus: thresholdStatus
    };

    // Added to, not replaced: the Dash renderer keeps set_props on the same object.
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.floorboard = {connect: connect};
})();
