/*
 * The wall's alerts tile (model.py's "alerts" item: the watches of feeds/alerts.py for the
 * board's queues and agents, with the rules supervisors set). A watch fires on the second by
 * this screen's clock (render.js firing), as on the console; the wall is silent and shows
 * only what fires, the longest past its limit first, big enough to read across the room.
 */
(function () {
    "use strict";

    var ICONS = {wait: "\u25F7", sl: "\u25BC", agent: "\u25CF"};

    function render(spec, item, now, h) {
        if (item.broken) {
            return h.brokenList(spec.id, h.cls(spec.class, "broken"));
        }
        var firing = h.firing(item.list, now).sort(function (a, b) {
            return (a.since + a.after) - (b.since + b.after);
        });
        h.setProps(spec.id, {className: h.cls(spec.class,
            "status-" + (firing.length ? "alert" : "ok"))});
        h.setProps(spec.id + "-count", {children: firing.length ? String(firing.length) : "",
            className: "tile-count"});
        h.setProps(spec.id + "-list", {children: firing.length ? firing.map(function (w) {
            var past = w.kind === "sl" ? "" : "+" + h.duration(now - w.since - w.after);
            return h.el("Li", h.cls("alerts-row", "alerts-" + w.kind), [
                h.el("Span", "alerts-icon", ICONS[w.kind] || "!"),
                h.el("Span", "alerts-text", w.text),
                h.el("Span", "alerts-past", past)
            ], {key: w.id});
        }) : [h.el("Li", "alerts-none", "No alerts", {key: "none"})]});
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["wall-alerts"] = render;
})();
