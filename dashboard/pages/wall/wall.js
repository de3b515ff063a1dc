/*
 * The wall screen's renderers (layout.py and tiles.py, next to this file): one per tile type,
 * named in the page's manifest, and the bands above the tiles.
 *
 * assets/stream.js owns the page's one stream, its reconnection, the server clock and the
 * connection band; it calls these renderers with each item (model.py) on every update and once
 * a second, so timers tick, ages grow, bands take turns and a quiet feed greys out with nothing
 * sent. The manifest names the components: field f of item spec lands on "<spec.id>-f". The
 * helpers (h) are assets/render.js's: components, time as text, the message and outage entries.
 * A new tile type registers its renderer here (docs/boards.md).
 */
(function () {
    "use strict";

    var TICKER_PX_PER_S = 90; // slow enough to read from the back of the room
    var BAND_PX_PER_S = 70; // a band line too long for the screen slides, this slowly
    var BAND_LINES = 2; // lines of bands shown at once; more take turns
    var RANK = {ok: 0, warn: 1, alert: 2};
    var ticker = {scroll: false, width: 0};
    var slides = {}; // band line key -> pixels it overflows by (measured, never written)

    function worst(statuses) {
        return statuses.reduce(function (a, b) {
            return (RANK[b] || 0) > (RANK[a] || 0) ? b : a;
        }, "ok");
    }

    // -- queue tiles, the agents strip, staffing's number ----------------------------------

    function renderValues(spec, item, now, h) {
        var broken = !!item.broken; // every value "—", marked, and the age line says why
        var silent = !broken && h.silentSource(item, now);
        var stale = !!silent || (item.ts != null && item.stale_after != null &&
            now - item.ts > item.stale_after);
        var statuses = [item.status || "ok"];
        (spec.fields || []).forEach(function (name) {
            // (A delay reason is words, not a value: it just goes.)
            var f = !broken ? (item.fields || {})[name]
                : {text: name === "delay" ? "" : h.NO_VALUE, status: "invalid"};
            // A field with an end (a delay reason's expiry) disappears on the second.
            var text = !f || (f.until != null && now >= f.until) ? "" : f.text;
            h.text(spec.id + "-" + name, text,
                h.cls("value", f && f.status && "status-" + f.status, !text && "empty"));
        });
        (spec.timers || []).forEach(function (name) {
            var t = (item.timers || {})[name];
            // Stale: the wait as last known, not a guess that keeps climbing as if live.
            var waited = !t || t.since == null ? null : (stale ? item.ts : now) - t.since;
            var status = broken ? "invalid" : h.thresholdStatus(waited, t && t.warn, t && t.alert);
            statuses.push(status);
            h.text(spec.id + "-" + name, broken ? h.NO_VALUE : h.duration(waited),
                h.cls("value", "timer", "status-" + status));
        });
        if (spec.age) {
            var age = broken ? h.BROKEN : silent ? h.sourceSilence(silent, now)
                : item.ts == null ? "waiting for data"
                : stale ? "no data for " + h.ago(now - item.ts)
                    : "updated " + h.ago(now - item.ts) + " ago";
            h.text(spec.id + "-age", age, h.cls("age", stale && "stale"));
        }
        h.setProps(spec.id, {
            className: h.cls(spec.class, "status-" + worst(statuses), stale && "stale",
                spec.age && item.ts == null && !broken && "nodata", broken && "broken")
        });
        return stale;
    }

    // -- the bands: urgent messages and outages, one line each, two at a time ---------------

    function bandLine(line, now, h) {
        var key = line.kind + ":" + line.id;
        var parts = line.kind === "message" ? [
            h.el("Span", "band-badge prio-urgent", "URGENT"),
            h.el("Span", "band-text", line.text.replace(/\s*\n\s*/g, " \u00b7 "))
        ] : [
            h.el("Span", "band-badge sev-" + line.severity, line.severity.toUpperCase()),
            h.el("Span", "band-text", [
                h.el("Span", "band-service", line.service),
                h.el("Span", "band-affects", line.affects),
                h.el("Span", "band-status", line.status),
                h.el("Span", "band-eta", h.etaText(line.eta, now)),
                h.el("Span", "band-since", "for " + h.ago(now - line.since))
            ])
        ];
        var slide = slides[key] || 0;
        var style = slide ? {"--fb-slide": -slide + "px",
            animationDuration: Math.max(6, Math.round(2 * slide / BAND_PX_PER_S + 4)) + "s"} : {};
        return h.el("Div", h.cls("band", "band-" + line.kind,
            line.kind === "message" ? "prio-urgent" : "sev-" + line.severity, slide && "sliding"),
        [h.el("Div", "band-track", parts, {style: style})], {key: key, "data-line": key});
    }

    // Which lines overflow their band (read after React has drawn them; applied next second).
    function measureBands(spec) {
        var box = document.getElementById(spec.id);
        slides = {};
        if (box) {
            box.querySelectorAll(".band").forEach(function (band) {
                var track = band.querySelector(".band-track");
                var over = track ? track.scrollWidth - band.clientWidth : 0;
                if (over > 4) {
                    slides[band.getAttribute("data-line")] = Math.ceil(over / 10) * 10 + 20;
                }
            });
        }
    }

    function renderBands(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id, h.cls(spec.class, "broken"));
        }
        measureBands(spec);
        var lines = (item.list || []).filter(function (line) {
            return line.kind !== "message" || h.messageStatus(line, now) === "active";
        });
        var conn = document.getElementById("conn-band");
        var room = conn && !conn.classList.contains("hidden") ? BAND_LINES - 1 : BAND_LINES;
        var pages = Math.max(1, Math.ceil(lines.length / room));
        var page = Math.floor(now / (item.seconds || 8)) % pages;
        var shown = lines.slice(page * room, page * room + room).map(function (line) {
            return bandLine(line, now, h);
        });
        if (pages > 1) {
            shown.push(h.el("Div", "band-pager", (page + 1) + "/" + pages, {key: "pager"}));
        }
        h.setProps(spec.id, {
            children: shown,
            className: h.cls(spec.class, "status-" + (item.status || "ok"), pages > 1 && "paged",
                !lines.length && "hidden")
        });
    }

    // -- the key-message ticker: the messages that are not urgent (those have the bands) ------

    // Whether the messages overflow their region. Reading layout is fine; writing stays React's.
    function measureTicker(spec) {
        var box = document.getElementById(spec.id);
        var first = box && box.querySelector(".ticker-copy");
        var width = first ? Math.ceil(first.scrollWidth / 10) * 10 : 0;
        ticker = {scroll: !!box && width > box.clientWidth, width: width};
    }

    function renderTicker(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id, h.cls(spec.class, "broken"));
        }
        measureTicker(spec);
        var active = (item.list || []).filter(function (m) {
            return h.messageStatus(m, now) === "active";
        });
        var live = active.filter(function (m) {
            return m.priority !== "urgent";
        });
        var urgent = live.length < active.length;
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
        // Never "no messages" under an urgent one: it is in the band above.
        var none = h.el("Div", h.cls("ticker-none", urgent && "urgent-above"),
            urgent ? "Urgent message above" : "No messages");
        h.setProps(spec.id, {
            children: live.length ? [track] : [none],
            className: h.cls(spec.class, !live.length && "empty")
        });
    }

    // -- the outages tile: each in full -----------------------------------------------------

    function renderOutages(spec, item, now, h) {
        var entries = item.list || [];
        h.setProps(spec.id + "-list", {
            children: entries.length ? entries.map(function (o) {
                return h.outageEntry(o, {
                    head: [h.el("Span", "fb-eta", h.etaText(o.eta, now))],
                    lines: [
                        h.line("Hits ", o.affects, "outage-affects"),
                        h.line("Since ", h.when(o.since, now) + " \u00b7 " + o.status),
                        h.line("Tell customers ", o.wording, "outage-wording")
                    ]
                });
            }) : [h.el("Div", "none-yet", "No outages")]
        });
        h.setProps(spec.id, {className: h.cls(spec.class, "status-" + (item.status || "ok"))});
    }

    // -- the agent grid: every agent on shift, their state and how long in it ---------------

    function renderAgentGrid(spec, item, now, h) {
        var agents = item.list || [];
        h.setProps(spec.id + "-count", {children: agents.length + " on shift",
            className: "tile-count"});
        h.setProps(spec.id + "-list", {
            children: agents.map(function (a) {
                return h.el("Div", h.cls("cell", "state-" + a.state), [
                    h.el("Div", "cell-name", a.name),
                    h.el("Div", "cell-state", [
                        h.el("Span", "cell-label", a.reason ? a.label + ": " + a.reason : a.label),
                        h.el("Span", "cell-time", h.duration(now - a.since))
                    ])
                ], {key: a.id});
            })
        });
    }

    // -- staffing: agents short, and each queue's need against who is working it ------------

    function renderStaffing(spec, item, now, h) {
        renderValues(spec, item, now, h);
        h.setProps(spec.id + "-list", {
            children: (item.list || []).map(function (row) {
                return h.el("Div", h.cls("staffing-row", "status-" + row.status), [
                    h.el("Span", "staffing-queue", row.queue),
                    h.el("Span", "staffing-detail", row.detail),
                    h.el("Span", h.cls("value", "staffing-gap", "status-" + row.status), row.text)
                ], {key: row.id});
            })
        });
    }

    // -- the big clock ----------------------------------------------------------------------

    var dates = {};

    function renderClock(spec, item, now, h) {
        var zone = spec.timezone;
        var f = dates[zone] || (dates[zone] = {
            time: new Intl.DateTimeFormat("en-GB", {timeZone: zone, hour: "2-digit",
                minute: "2-digit", hour12: false}),
            date: new Intl.DateTimeFormat("en-GB", {timeZone: zone, weekday: "long",
                day: "numeric", month: "long"})
        });
        var at = new Date(now * 1000);
        h.text(spec.id + "-time", f.time.format(at));
        h.text(spec.id + "-date", f.date.format(at));
    }

    // -- issue 13: the floor by team, and the blended queue ---------------------------------

    function renderFloor(spec, item, now, h) {
        h.setProps(spec.id + "-list", {
            children: (item.list || []).map(function (t) {
                return h.el("Div", "floor-team", [h.el("Span", "floor-team-name", t.team)]
                    .concat(t.states.map(function (s) {
                        return h.el("Span", h.cls("floor-state", "state-" + s.state), [
                            h.el("Span", "cell-label", s.label),
                            h.el("Span", "floor-n", String(s.n)),
                            h.el("Span", "floor-longest", h.duration(now - s.since))
                        ], {key: s.state});
                    })), {key: t.team});
            })
        });
    }

    var FLAGS = {callback: "\u21A9 callback", vip: "\u2605 VIP"};

    function renderBlended(spec, item, now, h) {
        var more = item.total - (item.list || []).length;
        h.setProps(spec.id + "-count", {children: item.total + " waiting", className: "tile-count"});
        h.setProps(spec.id + "-list", {
            children: (item.list || []).map(function (e) {
                return h.el("Li", "blended-row", [
                    h.el("Span", "blended-icon", e.icon),
                    h.el("Span", "blended-queue", e.queue_name),
                    h.el("Span", "blended-flags", e.flags.map(function (f) {
                        return FLAGS[f] || f;
                    }).join(" ")),
                    h.el("Span", "blended-waited", h.duration(now - e.since))
                ], {key: e.id});
            }).concat(more > 0 ? [h.el("Li", "blended-more", "and " + more + " more",
                {key: "more"})] : item.total ? [] : [h.el("Li", "blended-more", "Nobody waiting",
                {key: "none"})])
        });
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["wall-floor"] = renderFloor;
    renderers["wall-blended"] = renderBlended;
    renderers["wall-values"] = renderValues;
    renderers["wall-bands"] = renderBands;
    renderers["wall-ticker"] = renderTicker;
    renderers["wall-outages"] = renderOutages;
    renderers["wall-agent-grid"] = renderAgentGrid;
    renderers["wall-staffing"] = renderStaffing;
    renderers["wall-clock"] = renderClock;
})();
