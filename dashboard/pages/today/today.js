/*
 * The Today page's table (layout.py, model.py next to this file): every interval of the day so
 * far, newest first, as the view-model wrote it (text only); greyed with the charts when the
 * queue figures go quiet. The charts are charts.js's (dashboard/pages/charts).
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
        h.setProps(spec.id + "-rows", {
            children: (item.rows || []).map(function (row) {
                return h.el("Tr", "", row.cells.map(function (text, i) {
                    return h.el("Td", i ? "" : "interval", text, {key: String(i)});
                }), {key: String(row.slot)});
            })
        });
        return stale;
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["today-table"] = renderTable;
})();
