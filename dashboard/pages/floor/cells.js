/*
 * The floor's agent cells as h.el trees (floor.js lays them with patch.js): one cell, a team's
 * section (its cells, or counts per state when collapsed), the counts of the summary. Shared by
 * floor.js's full draw and its patch of one team when an agent changes.
 * User text (names, teams, reasons) only ever becomes text: it can never be HTML.
 */
(function () {
    "use strict";

    var STATES = ["available", "on_contact", "wrap", "away", "offline"];

    function status(c, now, h) {
        return c.warn === null ? "ok" : h.thresholdStatus(now - c.since, c.warn, c.alert);
    }

    function cell(c, now, backlog, h) {
        var detail = c.contact ?
            c.contact.icon + " " + c.contact.queue_name + (c.contact.ringing ? " (ringing)" : "") :
            c.reason;
        var owed = backlog[c.id] || 0;
        return h.el("A", h.cls("floor-cell", "state-" + c.state, "status-" + status(c, now, h)), [
            h.el("Span", "floor-icon", c.icon, {title: c.label}),
            h.el("Span", "floor-name", c.name),
            h.el("Span", "floor-time", h.duration(now - c.since)),
            h.el("Span", "floor-detail", detail || c.label),
            owed ? h.el("Span", "floor-owed", "\u2691 " + owed, {title: owed +
                " message(s) to acknowledge"}) : null
        ], {key: c.id, href: "/agent/" + encodeURIComponent(c.id) + "/day", target: "_blank",
            "data-agent": c.id, title: "Open " + c.name + "'s day"});
    }

    // Counts per state and the longest in each: the summary, and a collapsed team.
    function tally(list) {
        var t = {};
        STATES.forEach(function (s) {
            t[s] = {n: 0, since: null, label: "", icon: ""};
        });
        list.forEach(function (c) {
            var s = t[c.state];
            s.n += 1;
            s.label = c.label;
            s.icon = c.icon;
            if (s.since === null || c.since < s.since) {
                s.since = c.since;
            }
        });
        return t;
    }

    function counts(list, now, h, className) {
        var t = tally(list);
        return STATES.filter(function (s) {
            return t[s].n > 0;
        }).map(function (s) {
            return h.el("Span", h.cls(className, "state-" + s), [
                h.el("Span", "floor-icon", t[s].icon),
                h.el("Span", "floor-count", String(t[s].n)),
                h.el("Span", "floor-state", t[s].label),
                h.el("Span", "floor-longest", "longest " + h.duration(now - t[s].since))
            ], {key: s, "data-state": s});
        });
    }

    // A collapsed team still says how many of its agents are past their state's limit.
    function over(list, now, h) {
        var warn = 0, alert = 0;
        list.forEach(function (c) {
            var s = status(c, now, h);
            warn += s === "warn" ? 1 : 0;
            alert += s === "alert" ? 1 : 0;
        });
        if (!warn && !alert) {
            return [];
        }
        return [h.el("Span", h.cls("floor-over", alert && "status-alert"),
            (alert ? "\u26A0\uFE0E " : "\u25B2 ") + (warn + alert) + " over limit", {key: "over"})];
    }

    // One team: its head (a button when the floor is collapsed), then its cells when open, or
    // its counts per state when not.
    function team(name, list, open, collapsed, now, backlog, h) {
        var head = h.el("Button", "floor-team-head", [
            h.el("Span", "floor-team-name", name),
            h.el("Span", "floor-team-n", list.length + " agents"),
            collapsed ? h.el("Span", "floor-team-toggle", open ? "show counts" : "show agents") :
                null
        ], {"data-team": name, type: "button"});
        var body = open ? list.map(function (c) {
            return cell(c, now, backlog, h);
        }) : over(list, now, h).concat(counts(list, now, h, "floor-chip"));
        return h.el("Section", h.cls("floor-team", open ? "floor-open" : "floor-collapsed"),
            [head, h.el("Div", open ? "floor-cells" : "floor-chips", body)], {key: name});
    }

    window.floorboardFloorCells = {team: team, counts: counts, STATES: STATES};
})();
