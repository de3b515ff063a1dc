/*
 * The agent tab's items (layout.py and model.py, next to this file): me, my queues, next for
 * me, messages for me and outages on my queues. The moment-of-truth card is card.js's.
 *
 * assets/stream.js owns the page's one stream, its reconnection, the server clock and the
 * connection band; it calls these renderers with each item on every update and once a second
 * (and at once when a background tab is shown), so every timer here is computed from
 * timestamps and is right the moment it is seen. The helpers (h) are assets/render.js's: time
 * as text, and the message and outage entries every page draws alike. User text is only ever
 * children text, which React escapes: a message or an outage wording never runs.
 * The Acknowledge button has a pattern-matching id ({type: "agent-ack", id}); the page's
 * server callback acknowledges as the signed-in agent.
 */
(function () {
    "use strict";

    // -- me --------------------------------------------------------------------------------

    function renderMe(spec, item, now, h) {
        if (item.broken) { // the name stays as the page was built; every value says why not
            h.setProps("agent-me-state", {children: h.BROKEN, className: "fb-agent-state broken"});
            h.setProps("agent-me-time", {children: ""});
            ["handled", "aht", "asa"].forEach(function (name) {
                h.setProps("agent-me-" + name, {children: h.NO_VALUE});
            });
            return;
        }
        h.setProps("agent-me-name", {children: item.name});
        h.setProps("agent-me-team", {children: item.team ? "Team " + item.team : ""});
        var state = item.state_text + (item.reason ? " \u00b7 " + item.reason : "");
        h.setProps("agent-me-state", {
            children: state,
            className: h.cls("fb-agent-state", item.state && "state-" + item.state)
        });
        h.setProps("agent-me-time", {
            children: item.since == null ? "" : h.duration(now - item.since)
        });
        ["handled", "aht", "asa"].forEach(function (name) {
            h.setProps("agent-me-" + name, {children: item.stats[name]});
        });
    }

    // -- my queues -------------------------------------------------------------------------

    function metric(h, label, value, status, extra) {
        return h.el("Div", "fb-agent-metric", [
            h.el("Div", "fb-agent-metric-label", label),
            h.el("Div", h.cls("fb-agent-metric-value", "value", status && "status-" + status),
                value),
            extra ? h.el("Div", "fb-agent-metric-extra", extra) : null
        ]);
    }

    function renderQueues(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var rows = (item.list || []).map(function (q) {
            var silent = h.silentSource(q, now); // a producer its figures stand on is silent
            var stale = !!silent || (q.ts != null && q.stale_after != null &&
                now - q.ts > q.stale_after);
            var t = q.timers.longest;
            // Stale: the wait as last known, not a guess that keeps climbing as if live.
            var waited = t.since == null ? null : (stale ? q.ts : now) - t.since;
            var f = q.fields;
            var delay = f.delay.text && (f.delay.until == null || now < f.delay.until);
            var age = silent ? h.sourceSilence(silent, now) : q.ts == null ? "no data yet"
                : stale ? "no data for " + h.ago(now - q.ts) : "";
            return h.el("Div", h.cls("fb-agent-queue", stale && "stale", q.ts == null && "nodata"), [
                h.el("Div", "fb-agent-queue-head", [
                    h.el("Span", "fb-agent-queue-name", q.name),
                    h.el("Span", "fb-agent-age", age)
                ]),
                h.el("Div", "fb-agent-metrics", [
                    metric(h, "Waiting", f.waiting.text, f.waiting.status),
                    metric(h, "Longest", h.duration(waited), h.thresholdStatus(waited, t.warn, t.alert)),
                    metric(h, "Est. wait", f.ewt.text, f.ewt.status),
                    metric(h, "SL", f.sl.text, f.sl.status, "target " + (f.sl.target || ""))
                ]),
                delay ? h.el("Div", "fb-agent-delay", f.delay.text) : null
            ], {key: q.id});
        });
        h.setProps(spec.id, {
            children: rows.length ? rows : h.empty("You are not skilled for any queue right now.")
        });
    }

    // -- next for me: the waiting contacts coming to me, in routing order (upcoming.py) ------

    function renderNext(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var rows = (item.list || []).map(function (e, i) {
            return h.waitingEntry(e, i + 1, now);
        });
        var more = item.total - rows.length;
        h.setProps(spec.id, {children: rows.length ? [
            h.el("Div", "fb-agent-quiet", "If you were free now, " + item.rule + ":"),
            h.el("Ol", "fb-waiting-list", rows.concat(more > 0 ?
                [h.el("Li", "fb-agent-quiet", "and " + more + " more", {key: "more"})] : []))
        ] : h.empty("Nothing waiting on your queues.")});
    }

    // -- messages for me -------------------------------------------------------------------

    function ackArea(spec, m, now, h) {
        if (!m.ack_required) {
            return null;
        }
        if (m.acked_at != null) {
            return h.el("Div", "fb-agent-acked", "\u2713 Acknowledged " + h.when(m.acked_at, now));
        }
        if (!spec.ack) {
            return h.el("Div", "fb-agent-ack-wanted", "Acknowledgement required");
        }
        return h.el("Button", "fb-agent-button", "Acknowledge", {
            id: {type: "agent-ack", id: m.id}, type: "button"
        });
    }

    function renderMessages(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var live = (item.list || []).filter(function (m) {
            return h.messageStatus(m, now) === "active";
        });
        var backlog = live.filter(function (m) {
            return m.ack_required && m.acked_at == null;
        }).length;
        h.setProps("agent-me-backlog", {
            children: String(backlog),
            className: h.cls("value", backlog && "status-warn")
        });
        // On a narrow tab an urgent message waiting for its Acknowledge goes above the card.
        var urgent = live.some(function (m) {
            return m.priority === "urgent" && m.ack_required && m.acked_at == null;
        });
        h.setProps("agent-top", {className: h.cls("fb-agent-top", urgent && "urgent-first")});
        var rows = live.map(function (m) {
            return h.messageEntry(m, {
                className: m.ack_required && m.acked_at == null && "wants-ack",
                head: [
                    h.el("Span", "fb-aud", m.audience),
                    h.el("Span", "fb-meta", h.when(m.starts_at || m.posted, now) +
                        (m.author ? " \u00b7 " + m.author : ""))
                ],
                body: [ackArea(spec, m, now, h)]
            });
        });
        h.setProps(spec.id, {children: rows.length ? rows : h.empty("No messages for you.")});
    }

    // -- outages on my queues --------------------------------------------------------------

    // One time per outage (since when); what to say, the workaround and the offer once: an
    // outage on the current contact's card is said there (card.js), and only named here.
    function renderOutages(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var onCard = (window.floorboardAgentCard || {outages: []}).outages;
        var rows = (item.list || []).map(function (o) {
            var queues = h.line("Queues", o.queues.length ? o.queues.join(", ") : "every queue");
            var lines = onCard.indexOf(o.id) >= 0
                ? [h.el("Div", "fb-agent-quiet", "What to say and offer: on the card above."),
                    queues]
                : [h.line("Say", o.wording, "fb-say"), h.line("Workaround", o.workaround),
                    h.line("You may offer", o.offer, "fb-offer"), queues];
            return h.outageEntry(o, {
                head: [h.el("Span", "fb-meta", o.status + " \u00b7 since " + h.when(o.since, now) +
                    " \u00b7 " + h.etaText(o.eta, now))],
                lines: lines
            });
        });
        h.setProps(spec.id, {children: rows.length ? rows : h.empty("No outages on your queues.")});
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["agent-me"] = renderMe;
    renderers["agent-queues"] = renderQueues;
    renderers["agent-next"] = renderNext;
    renderers["agent-messages"] = renderMessages;
    renderers["agent-outages"] = renderOutages;
})();
