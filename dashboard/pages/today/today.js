/*
 * The Today page's table (layout.py, model.py next to this file): every interval of the day so
 * far, newest first, as the view-model wrote it (text only), laid into the layout's empty
 * table body by the floor's keyed patch (patch.js); greyed with the charts when the queue
 * figures go quiet. The charts are charts.js's (dashboard/pages/charts).
 */
(function () {
    "use strict";

    function renderTable(spec, item, now, h) {
        var stale = item.ts != null && item.stale_after != null &&
            now - item.ts > item.stale_after;
        h.setProps(spec.id, {className: h.cls(spec.class, stale && "stale")});
        if (renderTable.last === item) {
            return stale; // called every second: the rows only when they changed
        }
        renderTable.last = item;
        // laid into the empty body in place, row by row (patch.js): a day's rows re-rendered by
        // Dash on each change held the page's main thread for seconds by the afternoon
        window.floorboardPatch.fill(spec.id + "-rows", (item.rows || []).map(function (row) {
            return h.el("Tr", "", row.cells.map(function (text, i) {
                return h.el("Td", i ? "" : "interval", text, {key: String(i)});
            }), {key: String(row.slot)});
        }));
        return stale;
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["today-table"] = renderTable;
})();
