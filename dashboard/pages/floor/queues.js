/*
 * The floor's queue cards (card.py): one row per queue, then one per channel; waiting, longest
 * wait ticking, skilled agents available / logged in, service level today and over 30 min,
 * staffing gap, delay reason and outages, and links into the console's forms aimed at the
 * queue. floor.js draws them once per animation frame through render() here.
 */
(function () {
    "use strict";

    var fill = window.floorboardPatch.fill; // patch.js, loaded before this file
    var broken = window.floorboardPatch.broken;

    var QUEUE_COLUMNS = ["Queue", "Waiting", "Longest", "Available / in", "SL today", "SL 30 min",
        "Gap", "Delay reason and outages", ""];

    function value(text, status, h) {
        return h.el("Span", h.cls("value", "status-" + (status || "ok")), text);
    }

    function longest(since, warn, alert, now, h) {
        if (since === null || since === undefined) {
            return value(h.NO_VALUE, "ok", h);
        }
        var waited = now - since;
        return value(h.duration(waited), warn === undefined ? "ok" :
            h.thresholdStatus(waited, warn, alert), h);
    }

    function queueRow(q, now, h) {
        var f = q.fields, timer = q.timers.longest;
        var stale = q.ts === null || now - q.ts > q.stale_after;
        var told = [q.delay ? h.el("Span", "floor-delay", "\u25F7 " + q.delay) : null]
            .concat(q.outages.map(function (o) {
                return h.el("Span", "floor-outage", [h.badge("sev", o.severity), " " + o.service],
                    {key: o.id});
            }));
        var to = "/supervisor?queue=" + encodeURIComponent(q.id);
        return h.el("Div", h.cls("floor-qrow", "status-" + q.status, stale && "floor-stale"), [
            h.el("Span", "floor-qname", q.icon + " " + q.name),
            value(f.waiting.text, f.waiting.status, h),
            longest(timer.since, timer.warn, timer.alert, now, h),
            h.el("Span", h.cls("value", q.agents.available === 0 && q.agents.logged_in > 0 &&
                "status-warn"), q.agents.available + " / " + q.agents.logged_in),
            value(f.sl.text, f.sl.status, h),
            value(f.sl_30m.text, f.sl_30m.status, h),
            value(f.gap.text, f.gap.status, h),
            h.el("Span", "floor-told", stale ? "no data for " + (q.ts === null ? "a while" :
                h.ago(now - q.ts)) : told),
            h.el("Span", "floor-actions", [
                h.el("A", "floor-action", "Message\u2026", {href: to + "#console-msg-form",
                    title: "Post a key message to " + q.name}),
                h.el("A", "floor-action", "Delay\u2026", {href: to + "#console-delay-form",
                    title: "Set the delay reason of " + q.name})
            ])
        ], {key: q.id, "data-queue": q.id});
    }

    function channelRow(c, now, h) {
        return h.el("Div", "floor-qrow floor-channel", [
            h.el("Span", "floor-qname", c.icon + " " + c.name + " (all)"),
            value(String(c.waiting), "ok", h),
            longest(c.longest_since, undefined, undefined, now, h),
            h.el("Span", "value", c.agents.available + " / " + c.agents.logged_in),
            value(c.sl, "ok", h),
            value(h.NO_VALUE, "ok", h),
            value(c.gap, "ok", h),
            h.el("Span", "floor-told", ""),
            h.el("Span", "floor-actions", "")
        ], {key: "channel-" + c.id, "data-channel": c.id});
    }

    function renderQueues(spec, item, now, h) {
        if (item.broken) {
            broken(spec.id, h);
            return;
        }
        var head = h.el("Div", "floor-qrow floor-qhead", QUEUE_COLUMNS.map(function (c, i) {
            return h.el("Span", "floor-qcol", c, {key: i});
        }), {key: "head"});
        var rows = [head].concat(item.list.map(function (q) {
            return queueRow(q, now, h);
        }), item.channels.map(function (c) {
            return channelRow(c, now, h);
        }));
        fill(spec.id, rows);
    }

    window.floorboardFloorQueues = {render: renderQueues};
})();
