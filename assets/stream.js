/*
 * Floorboard's stream client, shared by every page (Dash serves assets/ on all of them): the
 * page's one Server-Sent Events stream, its reconnection, the server's clock and the connection
 * band. What it receives it hands to the page's item renderers, through render.js's helpers.
 *
 * Each page's layout gives the fb-view store a manifest (stream URL, time zone, items); each
 * item names the renderer that draws it, which the page's own script registers:
 *
 *     window.floorboardRenderers[name] = function (spec, item, now, h) { ... };
 *
 * (h: window.floorboard, see render.js.) Renderers are called on every update and once a
 * second, so everything that depends on the time (timers, ages, staleness, a message's start
 * and expiry) is right the moment it is seen, and a quiet feed shows its age instead of looking
 * live. They are looked up when rendering, so it does not matter which script loads first.
 * Items are view-models: dashboard/pages/items.py and each page's model.py.
 */
(function () {
    "use strict";

    var TICK_MS = 1000;
    var SILENCE_MS = 25000; // heartbeats come every 10 s: 25 s of nothing means a dead stream
    var CLOSED_RETRY_MS = [2000, 5000]; // when we reopen the stream ourselves, jittered
    var CLOCK_WINDOW_MS = 120000; // server-time samples kept for the clock offset
    var RELOAD_GAP_MS = 15000; // a page reloads itself at most this often (see onVersion)
    var LOST = "Connection to the server lost \u2014 reconnecting\u2026 (showing last values)";
    var BUS_DOWN = "Data bus unavailable \u2014 showing last values since ";
    var SIGNED_OUT = ["Signed out \u2014 ", " to see live values again (showing last values)"];
    var LINK_LABELS = {
        live: "Live", lost: "Reconnecting", "bus-down": "Bus down", connecting: "Connecting",
        "signed-out": "Signed out"
    };

    var S = {
        view: null, // the page's fb-view store: stream URL, time zone, component manifest
        source: null, // the one EventSource
        lastId: null, // last event id seen, to resume after a forced reopen
        offset: 0, // server clock minus this PC's clock, seconds
        samples: [], // recent [local ms, offset] observations, see observeClock
        lastEvent: 0, // Date.now() of the last event (or of opening), for the silence watchdog
        link: "connecting", // connecting | up | down | signed-out (refused: 401 or 403)
        bus: {up: true},
        items: {},
        timer: null,
        retry: null,
        rotation: null,
        release: null, // the app release this page was built by (the first the stream said)
        reloading: false
    };

    var H = window.floorboard; // render.js: loaded first (Dash loads assets/ alphabetically)

    // -- the server's clock --------------------------------------------------------------

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

    // -- rendering -----------------------------------------------------------------------

    function signInLink() {
        var here = window.location.pathname + window.location.search;
        return H.el("A", "conn-link", "sign in", {href: "/login?next=" + encodeURIComponent(here)});
    }

    function renderConnection() {
        var text = "";
        var state = "live";
        if (S.link === "signed-out") {
            text = [SIGNED_OUT[0], signInLink(), SIGNED_OUT[1]];
            state = "signed-out";
        } else if (S.link === "down") {
            text = LOST;
            state = "lost";
        } else if (S.bus && S.bus.up === false) {
            text = BUS_DOWN + H.clockFormat(S.bus.since || serverNow());
            state = "bus-down";
        } else if (S.link === "connecting") {
            state = "connecting";
        }
        H.setProps("conn-band", {
            children: text,
            className: H.cls("conn-band", "conn-" + state, !text && "hidden")
        });
        H.setProps("conn-indicator", {
            children: LINK_LABELS[state],
            className: H.cls("conn-indicator", "conn-" + state)
        });
    }

    // The manifest's items that an update's keys touch: each key itself, and any item whose
    // renderer also reads other items (spec.reads: key prefixes; the floor's cells, one item
    // per agent laid over the list of all).
    function readers(keys) {
        var out = keys.slice();
        Object.keys(S.view.items).forEach(function (key) {
            var reads = S.view.items[key].reads;
            if (reads && out.indexOf(key) < 0 && keys.some(function (k) {
                return reads.some(function (prefix) {
                    return k.indexOf(prefix) === 0;
                });
            })) {
                out.push(key);
            }
        });
        return out;
    }

    // keys: the items to draw (an update's); every item when not given (a snapshot, the
    // once-a-second tick). An update draws only what it changed: nothing else moved, and
    // what depends on the time is redrawn within the second anyway.
    function render(keys) {
        // Navigated away (the page's root is no longer there): nothing to apply to.
        if (!S.view || !document.getElementById(S.view.root)) {
            return;
        }
        var now = serverNow();
        (keys ? readers(keys) : Object.keys(S.view.items)).forEach(function (key) {
            var spec = S.view.items[key];
            var item = S.items[key];
            var renderer = spec && RENDERERS[spec.render];
            if (item && renderer) {
                renderer(spec, item, now, H);
            }
        });
        renderConnection();
        H.text("clock", H.clockFormat(now));
    }

    // -- a new release or layout: reload ---------------------------------------------------

    // The server says which release it runs and which layout the view's items fit (a wall's
    // board version). A page built by another release, or for another layout (its board was
    // edited), reloads itself, if its view asks for that (walls do; forms would lose work).
    // Never more than once per RELOAD_GAP_MS: while workers disagree for a moment, a screen
    // waits rather than flickers.
    function onVersion(d) {
        if (!S.view) {
            return;
        }
        if (S.release === null) {
            S.release = d.app;
        }
        var stale = d.app !== S.release ||
            (S.view.layout !== undefined && d.layout !== S.view.layout);
        if (!stale || !S.view.reload || S.reloading) {
            return;
        }
        S.reloading = true;
        var last = 0;
        try {
            last = Number(window.sessionStorage.getItem("fb-reloaded")) || 0;
        } catch (e) { /* storage refused: reload at once */ }
        setTimeout(function () {
            try {
                window.sessionStorage.setItem("fb-reloaded", String(Date.now()));
            } catch (e) { /* nothing to remember it in */ }
            window.location.reload();
        }, Math.max(0, last + RELOAD_GAP_MS - Date.now()));
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
            render(handler(data));
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
            return Object.keys(d.items || {});
        }));
        // System events and heartbeats both carry the bus status: a page never keeps a stale one.
        var busStatus = onEvent(function (d) {
            S.bus = d.bus || S.bus;
        });
        es.addEventListener("system", busStatus);
        es.addEventListener("heartbeat", busStatus);
        es.addEventListener("version", onEvent(onVersion));
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
            if (es.readyState === EventSource.CLOSED) {
                es.close();
                refused(es);
            } else if (S.bus.up === false) {
                es.close();
                retryLater();
            }
            render();
        };
    }

    function retryLater() {
        var span = CLOSED_RETRY_MS[1] - CLOSED_RETRY_MS[0];
        S.retry = setTimeout(open, CLOSED_RETRY_MS[0] + Math.random() * span);
    }

    // The server refused the stream outright. EventSource does not say why: ask the snapshot
    // route (same access rules, answered from memory). 401 or 403 means the credential has
    // ended (signed out elsewhere, a new password, a changed role): retrying would never work,
    // so the band says so, with the way back. Anything else (a restart): retry.
    function refused(es) {
        var url = S.view.stream.replace(/^\/stream\?/, "/api/v1/snapshot?");
        fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
            return r.status;
        }, function () {
            return 0;
        }).then(function (status) {
            if (es !== S.source) {
                return; // the page moved on meanwhile
            }
            if (status === 401 || status === 403) {
                S.link = "signed-out";
                render();
            } else {
                retryLater();
            }
        });
    }

    function tick() {
        if (S.view && S.source && S.link !== "signed-out" && Date.now() - S.lastEvent > SILENCE_MS) {
            // A half-open connection never errors: reopen, resuming after the last event.
            S.link = "down";
            open();
        }
        render();
    }

    // -- entry point (the clientside callback on fb-view, see dashboard/pages/assets.py) ----

    // Called whenever a page's layout is rendered. Idempotent: the same stream stays open; the
    // freshly mounted components get the current values at once.
    function connect(view) {
        if (!view || !view.stream) {
            close();
            S.view = null;
            return null;
        }
        var sameStream = S.view && S.view.stream === view.stream;
        S.view = view;
        H.newPage(view);
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
        // A view may hand over to another page after a while (a rotating wall): Dash's own
        // page router draws it, with no reload and no blank screen; its stream starts from a
        // snapshot of its own.
        clearTimeout(S.rotation);
        if (view.rotate) {
            S.rotation = setTimeout(function () {
                window.dash_clientside.set_props("_pages_location",
                    {pathname: view.rotate.path, search: view.rotate.search});
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

    var RENDERERS = window.floorboardRenderers = window.floorboardRenderers || {};

    // Every item the stream holds, for a renderer that lays items over another (the floor's
    // cells: one item per agent changed since the view was built, over the full list).
    H.items = function () {
        return S.items;
    };

    // Added to, not replaced: the Dash renderer keeps set_props on the same object.
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.floorboard = {connect: connect};
})();
