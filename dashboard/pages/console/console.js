/*
 * The supervisor console's live lists (dashboard/console/): key messages with their
 * acknowledgements, active outages, delay reasons.
 *
 * floorboard.js owns the page's one stream, its reconnection, the server clock and the
 * connection band; it calls the renderers registered here with each console item (see
 * dashboard/console_view.py) on every update and once a second. Everything is built as Dash
 * components whose user text is children text, which React escapes: a message can never run.
 * Buttons carry pattern-matching ids ({type, id}); the console's server callbacks act on them.
 */
(function () {
    "use strict";

    var STATUS_RANK = {active: 0, scheduled: 1, expired: 2};
    var STATUS_LABEL = {active: "Active", scheduled: "Scheduled", expired: "Expired"};
    var REFRESH_MS = 600; // a burst of acknowledgements costs one read of the audit log
    var DAY_S = 20 * 3600;

    var seen = {}; // item key -> the item object last rendered, to notice a new one
    var refreshTimer = null;
    var refreshCount = 0;
    var dayFormats = {};

    // What the audit log and resolved outages show is read by a server callback; each change
    // that the stream brings is also an audited change, so ask for a fresh read (debounced).
    function noticeChange(spec, item, h) {
        var first = !(spec.id in seen);
        var changed = seen[spec.id] !== item;
        seen[spec.id] = item;
        if (first || !changed) {
            return;
        }
        clearTimeout(refreshTimer);
        refreshTimer = setTimeout(function () {
            refreshCount += 1;
            h.setProps("console-refresh", {data: refreshCount});
        }, REFRESH_MS);
    }

    // The clock time today; a date as well when it is not near now.
    function when(ts, now, spec, h) {
        if (ts === null || ts === undefined) {
            return "";
        }
        if (Math.abs(ts - now) < DAY_S) {
            return h.hhmm(ts);
        }
        var tz = spec.timezone;
        var f = dayFormats[tz] || (dayFormats[tz] = new Intl.DateTimeFormat("en-GB", {
            day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hour12: false,
            timeZone: tz
        }));
        return f.format(new Date(ts * 1000));
    }

    function button(h, label, type, id, extraClass) {
        return h.el("Button", h.cls("fb-button", "fb-small", extraClass), label, {
            id: {type: type, id: id}, type: "button"
        });
    }

    function empty(h, text) {
        return [h.el("Div", "fb-empty", text)];
    }

    // -- key messages --------------------------------------------------------------------

    // The same rule as feeds.messages.message_status, applied every second.
    function statusAt(m, now) {
        if (m.expires_at <= now) {
            return "expired";
        }
        return m.starts_at !== null && m.starts_at > now ? "scheduled" : "active";
    }

    function timing(m, status, now, spec, h) {
        if (status === "expired") {
            return "ended " + when(m.expires_at, now, spec, h);
        }
        if (status === "scheduled") {
            return "from " + when(m.starts_at, now, spec, h) + " until " +
                when(m.expires_at, now, spec, h);
        }
        var left = m.expires_at - now < DAY_S ? " (" + h.ago(m.expires_at - now) + " left)" : "";
        return "until " + when(m.expires_at, now, spec, h) + left;
    }

    function acks(a, h) {
        var all = a.targeted > 0 && a.acknowledged === a.targeted;
        var pct = a.targeted ? Math.round(100 * a.acknowledged / a.targeted) : 0;
        var who;
        if (!a.targeted) {
            who = "No agent is in this audience yet.";
        } else if (all) {
            who = "Everyone has acknowledged.";
        } else {
            who = "Not yet: " + a.pending.join(", ") + (a.more ? " and " + a.more + " more" : "");
        }
        return h.el("Div", h.cls("fb-acks", all && "fb-acks-done"), [
            h.el("Div", "fb-acks-count", "Acknowledged " + a.acknowledged + " of " + a.targeted),
            h.el("Div", "fb-bar", [h.el("Div", "fb-bar-fill", null, {style: {width: pct + "%"}})]),
            h.el("Div", "fb-acks-pending", who)
        ]);
    }

    function renderMessages(spec, item, now, h) {
        noticeChange(spec, item, h);
        var entries = (item.list || []).map(function (m, i) {
            return {m: m, status: statusAt(m, now), i: i};
        });
        // The server's order within a status (urgent first, newest first) is kept.
        entries.sort(function (a, b) {
            return STATUS_RANK[a.status] - STATUS_RANK[b.status] || a.i - b.i;
        });
        var counts = {};
        entries.forEach(function (e) {
            counts[e.status] = (counts[e.status] || 0) + 1;
        });
        var rows = [];
        entries.forEach(function (e, i) {
            if (i === 0 || entries[i - 1].status !== e.status) {
                var label = STATUS_LABEL[e.status] + " (" + counts[e.status] + ")";
                rows.push(h.el("H3", "fb-sub", label, {key: "group-" + e.status}));
            }
            rows.push(messageRow(e.m, e.status, now, spec, h));
        });
        h.setProps(spec.id, {children: rows.length ? rows : empty(h, "No messages.")});
    }

    function messageRow(m, status, now, spec, h) {
        var actions = [button(h, "Edit", "console-msg-edit", m.id)];
        if (status !== "expired") {
            actions.push(button(h, "Expire now", "console-msg-expire", m.id, "fb-danger"));
        }
        return h.el("Div", h.cls("fb-item", "fb-msg", "prio-" + m.priority, "st-" + status), [
            h.el("Div", "fb-item-head", [
                h.el("Span", h.cls("fb-badge", "prio-" + m.priority), m.priority.toUpperCase()),
                h.el("Span", h.cls("fb-status", "st-" + status), STATUS_LABEL[status]),
                h.el("Span", "fb-meta", timing(m, status, now, spec, h)),
                h.el("Span", "fb-aud", m.audience)
            ]),
            h.el("Div", "fb-text", m.text),
            m.acks ? acks(m.acks, h) : null,
            h.el("Div", "fb-item-foot", [
                h.el("Span", "fb-meta", "by " + m.author + " · " + when(m.updated, now, spec, h)),
                h.el("Span", "fb-buttons", actions)
            ])
        ], {key: m.id});
    }

    // -- outages -------------------------------------------------------------------------

    function detail(h, label, text) {
        return text ? h.el("Div", "fb-detail", [h.el("Span", "fb-label", label), text]) : null;
    }

    function renderOutages(spec, item, now, h) {
        noticeChange(spec, item, h);
        var rows = (item.list || []).map(function (o) {
            return h.el("Div", h.cls("fb-item", "fb-outage", "sev-" + o.severity), [
                h.el("Div", "fb-item-head", [
                    h.el("Span", h.cls("fb-badge", "sev-" + o.severity), o.severity.toUpperCase()),
                    h.el("Span", "fb-strong", o.service),
                    h.el("Span", "fb-status", o.status),
                    h.el("Span", "fb-meta", "for " + h.ago(now - o.started_at) +
                        (o.eta ? " · ETA " + when(o.eta, now, spec, h) : " · no ETA")),
                    h.el("Span", "fb-aud", o.queues.length ? o.queues.join(", ") : "every queue")
                ]),
                detail(h, "Customers: ", o.customer_wording),
                detail(h, "Workaround: ", o.workaround),
                detail(h, "May offer: ", o.offer),
                detail(h, "Internal: ", o.internal_note),
                h.el("Div", "fb-item-foot", [
                    h.el("Span", "fb-meta", "changed " + when(o.updated, now, spec, h)),
                    h.el("Span", "fb-buttons", [
                        button(h, "Update", "console-out-edit", o.id),
                        button(h, "Resolve", "console-out-resolve", o.id, "fb-danger")
                    ])
                ])
            ], {key: o.id});
        });
        h.setProps(spec.id, {children: rows.length ? rows : empty(h, "No active outages.")});
    }

    // -- delay reasons -------------------------------------------------------------------

    function renderDelays(spec, item, now, h) {
        noticeChange(spec, item, h);
        var rows = (item.list || []).map(function (d) {
            var over = d.expires_at !== null && d.expires_at <= now;
            var parts = [];
            if (d.expected_wait !== null) {
                parts.push("expected wait " + h.duration(d.expected_wait));
            }
            parts.push(d.expires_at === null ? "no expiry"
                : (over ? "expired " : "until ") + when(d.expires_at, now, spec, h));
            parts.push("by " + d.author);
            return h.el("Div", h.cls("fb-item", "fb-delay", over && "st-expired"), [
                h.el("Div", "fb-item-head", [
                    h.el("Span", "fb-strong", d.name),
                    h.el("Span", "fb-text", d.reason)
                ]),
                h.el("Div", "fb-item-foot", [
                    h.el("Span", "fb-meta", parts.join(" · ")),
                    h.el("Span", "fb-buttons", [
                        button(h, "Clear", "console-delay-clear", d.queue, "fb-danger")
                    ])
                ])
            ], {key: d.queue});
        });
        h.setProps(spec.id, {children: rows.length ? rows : empty(h, "No delay reasons set.")});
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["console-messages"] = renderMessages;
    renderers["console-outages"] = renderOutages;
    renderers["console-delays"] = renderDelays;

    // The typed expiry time is shown only when "At a time…" is chosen.
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.console = {
        hiddenUnlessCustom: function (choice) {
            return choice !== "custom";
        }
    };
})();
