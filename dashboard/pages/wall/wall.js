/*
 * The wall screen's items (layout.py, next to this file): queue tiles and the agents strip
 * (values), the outage band, and key messages (the urgent band and the ticker).
 *
 * assets/stream.js owns the page's one stream, its reconnection, the server clock and the
 * connection band; it calls these renderers with each item (dashboard/pages/items.py) on every
 * update and once a second, so timers tick, ages grow and a quiet feed greys out with nothing
 * sent. The manifest names the components: field f of item spec lands on "<spec.id>-f". The
 * helpers (h) are assets/render.js's: time as text, and the message and outage entries.
 */
(function () {
    "use strict";

    var TICKER_PX_PER_S = 90; // slow enough to read from the back of the room
    var RANK = {ok: 0, warn: 1, alert: 2};
    var ticker = {scroll: false, width: 0};

    function worst(statuses) {
        return statuses.reduce(function (a, b) {
            return (RANK[b] || 0) > (RANK[a] || 0) ? b : a;
        }, "ok");
    }

    // -- tiles and the agents strip ------------------------------------------------------

    function renderValues(spec, item, now, h) {
        var stale = item.ts != null && item.stale_after != null &&
            now - item.ts > item.stale_after;
        var statuses = [item.status || "ok"];
        var broken = !!item.broken; // every value "—", marked, and the age line says why
        (spec.fields || []).forEach(function (name) {
            // (A delay reason is words, not a value: it just goes.)
            var f = !broken ? (item.fields || {})[name]
                : {text: name === "delay" ? "" : h.NO_VALUE, status: "invalid"};
            // A field with an end (a delay reason's expiry) disappears on the second.
            var text = !f || (f.until != null && now >= f.until) ? "" : f.text;
            h.setProps(spec.id + "-" + name, {
                children: text,
                className: h.cls("value", f && f.status && "status-" + f.status, !text && "empty")
            });
        });
        (spec.timers || []).forEach(function (name) {
            var t = (item.timers || {})[name];
            // Stale: the wait as last known, not a guess that keeps climbing as if live.
            var waited = !t || t.since == null ? null : (stale ? item.ts : now) - t.since;
            var status = broken ? "invalid" : h.thresholdStatus(waited, t && t.warn, t && t.alert);
            statuses.push(status);
            h.setProps(spec.id + "-" + name, {
                children: broken ? h.NO_VALUE : h.duration(waited),
                className: h.cls("value", "timer", "status-" + status)
            });
        });
        if (spec.age) {
            var age = broken ? h.BROKEN : item.ts == null ? "waiting for data"
                : stale ? "no data for " + h.ago(now - item.ts)
                    : "updated " + h.ago(now - item.ts) + " ago";
            h.setProps(spec.id + "-age", {
                children: age, className: h.cls("age", stale && "stale")
            });
        }
        h.setProps(spec.id, {
            className: h.cls(spec.class, "status-" + worst(statuses), stale && "stale",
                spec.age && item.ts == null && !broken && "nodata", broken && "broken")
        });
    }

    // -- the outage band: most severe first, as sent -------------------------------------

    function renderOutages(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id, h.cls(spec.class, "broken"));
        }
        var entries = item.list || [];
        h.setProps(spec.id, {
            children: entries.map(function (o) {
                return h.outageEntry(o, {
                    head: [
                        h.el("Span", "fb-status", o.status),
                        h.el("Span", "fb-eta", h.etaText(o.eta, now)),
                        h.el("Span", "fb-since", "for " + h.ago(now - o.since))
                    ],
                    lines: [h.line("Tell customers: ", o.wording)]
                });
            }),
            className: h.cls(spec.class, "status-" + (item.status || "ok"),
                !entries.length && "hidden")
        });
    }

    // -- key messages: urgent ones in their own band, the others in the ticker ------------

    // Whether the messages overflow their region. Reading layout is fine; writing stays React's.
    function measureTicker(spec) {
        var box = document.getElementById(spec.id);
        var first = box && box.querySelector(".ticker-copy");
        var width = first ? Math.ceil(first.scrollWidth / 10) * 10 : 0;
        ticker = {scroll: !!box && width > box.clientWidth, width: width};
    }

    function renderMessages(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id, h.cls(spec.class, "broken"));
        }
        measureTicker(spec);
        var shown = (item.list || []).filter(function (m) {
            return h.messageStatus(m, now) === "active";
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
            h.setProps(spec.urgent, {
                children: urgent.map(function (m) {
                    return h.messageEntry(m, {});
                }),
                className: h.cls("urgent-band", !urgent.length && "hidden")
            });
        }
        var copy = function (hidden) {
            return h.el("Div", "ticker-copy", live.map(function (m) {
                return h.el("Span", h.cls("msg", "prio-" + m.priority), m.text, {key: m.id});
            }), hidden ? {"aria-hidden": "true"} : {});
        };
        // Too long to fit: two copies side by side scroll by one copy's width, seamlessly.
        var scroll = live.length > 0 && ticker.scroll;
        var seconds = Math.round(ticker.width / TICKER_PX_PER_S);
        var track = h.el("Div", h.cls("ticker-track", scroll && "scrolling"),
            scroll ? [copy(false), copy(true)] : [copy(false)],
            scroll ? {style: {animationDuration: seconds + "s"}} : {});
        h.setProps(spec.id, {
            children: live.length ? [track] : [],
            className: h.cls(spec.class, live.some(isUrgent) && "has-urgent",
                !live.length && "empty")
        });
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["wall-values"] = renderValues;
    renderers["wall-outages"] = renderOutages;
    renderers["wall-messages"] = renderMessages;
})();
