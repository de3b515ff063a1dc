/*
 * The supervisor console's live lists (this package: page.py and the panels): key messages
 * with their acknowledgements, active outages, delay reasons, what agents may give, and the
 * producers feeding the board (sources).
 *
 * assets/stream.js owns the page's one stream, its reconnection, the server clock and the
 * connection band; it calls the renderers registered here with each console item (see
 * model.py) on every update and once a second. The helpers (h) are assets/render.js's: time as
 * text, and the message and outage entries every page draws alike. User text is only ever
 * children text, which React escapes: a message can never run.
 * Buttons carry pattern-matching ids ({type, id}); the console's server callbacks act on them.
 */
(function () {
    "use strict";

    var STATUS_RANK = {active: 0, scheduled: 1, expired: 2};
    var STATUS_LABEL = {active: "Active", scheduled: "Scheduled", expired: "Expired"};
    var REFRESH_MS = 600; // a burst of acknowledgements costs one read of the audit log
    var DAY_S = 20 * 3600; // how far ahead an expiry also says how long is left

    var seen = {}; // item key -> the item object last rendered, to notice a new one
    var refreshTimer = null;
    var refreshCount = 0;

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

    function button(h, label, type, id, extraClass) {
        return h.el("Button", h.cls("fb-button", "fb-small", extraClass), label, {
            id: {type: type, id: id}, type: "button"
        });
    }

    // -- key messages --------------------------------------------------------------------

    function timing(m, status, now, h) {
        if (status === "expired") {
            return "ended " + h.when(m.expires_at, now);
        }
        if (status === "scheduled") {
            return "from " + h.when(m.starts_at, now) + " until " + h.when(m.expires_at, now);
        }
        var left = m.expires_at - now < DAY_S ? " (" + h.ago(m.expires_at - now) + " left)" : "";
        return "until " + h.when(m.expires_at, now) + left;
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
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var entries = (item.list || []).map(function (m, i) {
            return {m: m, status: h.messageStatus(m, now), i: i};
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
            rows.push(messageRow(e.m, e.status, now, h));
        });
        h.setProps(spec.id, {children: rows.length ? rows : h.empty("No messages.")});
    }

    function messageRow(m, status, now, h) {
        var actions = [button(h, "Edit", "console-msg-edit", m.id)];
        if (status !== "expired") {
            actions.push(button(h, "Expire now", "console-msg-expire", m.id, "fb-danger"));
        }
        return h.messageEntry(m, {
            className: "st-" + status,
            head: [
                h.el("Span", h.cls("fb-status", "st-" + status), STATUS_LABEL[status]),
                h.el("Span", "fb-meta", timing(m, status, now, h)),
                h.el("Span", "fb-aud", m.audience)
            ],
            body: [m.acks ? acks(m.acks, h) : null],
            foot: [
                h.el("Span", "fb-meta", "by " + m.author + " · " + h.when(m.updated, now)),
                h.el("Span", "fb-buttons", actions)
            ]
        });
    }

    // -- outages -------------------------------------------------------------------------

    function renderOutages(spec, item, now, h) {
        noticeChange(spec, item, h);
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var rows = (item.list || []).map(function (o) {
            return h.outageEntry(o, {
                head: [
                    h.el("Span", "fb-status", o.status),
                    h.el("Span", "fb-meta", "for " + h.ago(now - o.started_at) + " · " +
                        h.etaText(o.eta, now)),
                    h.el("Span", "fb-aud", o.queues.length ? o.queues.join(", ") : "every queue")
                ],
                lines: [
                    h.line("Customers: ", o.customer_wording),
                    h.line("Workaround: ", o.workaround),
                    h.line("May offer: ", o.offer),
                    h.line("Internal: ", o.internal_note)
                ],
                foot: [
                    h.el("Span", "fb-meta", "changed " + h.when(o.updated, now)),
                    h.el("Span", "fb-buttons", [
                        button(h, "Update", "console-out-edit", o.id),
                        button(h, "Resolve", "console-out-resolve", o.id, "fb-danger")
                    ])
                ]
            });
        });
        h.setProps(spec.id, {children: rows.length ? rows : h.empty("No active outages.")});
    }

    // -- delay reasons -------------------------------------------------------------------

    function renderDelays(spec, item, now, h) {
        noticeChange(spec, item, h);
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var rows = (item.list || []).map(function (d) {
            var over = d.expires_at !== null && d.expires_at <= now;
            var parts = [];
            if (d.expected_wait !== null) {
                parts.push("expected wait " + h.duration(d.expected_wait));
            }
            parts.push(d.expires_at === null ? "no expiry"
                : (over ? "expired " : "until ") + h.when(d.expires_at, now));
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
        h.setProps(spec.id, {children: rows.length ? rows : h.empty("No delay reasons set.")});
    }

    // -- what agents may give -----------------------------------------------------------

    function renderRules(spec, item, now, h) {
        noticeChange(spec, item, h);
        var rows = (item.list || []).map(function (r) {
            var scope = [r.queues.length ? r.queues.join(", ") : "every queue",
                r.teams.length ? "teams " + r.teams.join(", ") : "every team",
                r.segments.length ? r.segments.join(", ") : "every customer"];
            return h.el("Div", h.cls("fb-item", "fb-rule"), [
                h.el("Div", "fb-item-head", [
                    h.el("Span", "fb-badge", r.action.toUpperCase()),
                    h.el("Span", "fb-strong", r.title),
                    h.el("Span", "fb-meta", r.limits)
                ]),
                h.line("For: ", scope.join(" \u00b7 ")),
                h.line("Say: ", r.wording),
                h.el("Div", "fb-item-foot", [
                    h.el("Span", "fb-meta", "changed " + h.when(r.updated, now)),
                    h.el("Span", "fb-buttons", [
                        button(h, "Change", "console-rule-edit", r.id),
                        button(h, "Retire", "console-rule-retire", r.id, "fb-danger")
                    ])
                ])
            ], {key: r.id});
        });
        h.setProps(spec.id, {children: rows.length ? rows
            : h.empty("No standing rules: agents ask a supervisor before giving anything.")});
    }

    // -- the producers feeding the board --------------------------------------------------
    // A producer's event rate as a supervisor reads it: a quiet floor's few events a minute
    // would show as "0.0 events/s", like a dead feed, so under one a second it is per minute.
    function rateText(rate) {
        if (rate === null || rate === undefined) return "no rate yet";
        if (rate === 0) return "no events";
        if (rate < 1) {
            var perMin = rate * 60;
            return perMin.toFixed(perMin < 10 ? 1 : 0) + " events/min";
        }
        return rate.toFixed(rate < 100 ? 1 : 0) + " events/s";
    }

    var SOURCE_RANK = {down: 0, late: 1, live: 2};

    // Worst first, then by name; each moves from live to late to down by this browser's
    // clock (render.js sourceStatus), so a source that stops sending is shown with nothing sent.
    function renderSources(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id);
        }
        var entries = (item.list || []).map(function (s) {
            return {s: s, status: h.sourceStatus(s, now)};
        });
        entries.sort(function (a, b) {
            return SOURCE_RANK[a.status] - SOURCE_RANK[b.status] ||
                (a.s.name < b.s.name ? -1 : a.s.name > b.s.name ? 1 : 0);
        });
        var rows = entries.map(function (e) {
            var s = e.s;
            var parts = ["last heard " + h.ago(now - s.seen) + " ago",
                "every " + h.ago(s.interval)];
            parts.push(rateText(s.rate));
            var detail = e.status === "live" ? null : h.sourceSilence(s, now);
            return h.el("Div", h.cls("fb-item", "fb-source", "src-" + e.status), [
                h.el("Div", "fb-item-head", [
                    h.el("Span", h.cls("fb-status", "src-" + e.status), e.status),
                    h.el("Span", "fb-strong", s.name),
                    h.el("Span", "fb-meta", parts.join(" \u00b7 "))
                ]),
                detail ? h.line("", detail) : null,
                s.follows.length ? h.line("Aggregates: ", s.follows.join(", ")) : null
            ], {key: s.name, id: "source-" + s.name});
        });
        h.setProps(spec.id, {children: rows.length ? rows
            : h.empty("No producer has sent a heartbeat yet.")});
    }

    window.floorboardConsole = {button: button}; // alerts.js's rules have buttons too
    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["console-rules"] = renderRules;
    renderers["console-messages"] = renderMessages;
    renderers["console-outages"] = renderOutages;
    renderers["console-delays"] = renderDelays;
    renderers["console-sources"] = renderSources;

    // The typed expiry time is shown only when "At a time…" is chosen.
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.console = {
        hiddenUnlessCustom: function (choice) {
            return choice !== "custom";
        }
    };
})();
