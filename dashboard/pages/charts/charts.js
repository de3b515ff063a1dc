/*
 * Live intraday charts (dashboard/pages/charts/): the wall's chart tiles, the Today page, the
 * agent's own day; a page that shows charts loads it (charts/__init__.py, ASSETS).
 *
 * A chart is two items (model.py): "day" (the closed intervals, the day's axis) and "now"
 * (the intervals still moving, sent with every queue update). Both renderers keep their item
 * and patch the figure the page built once (figure.py): Plotly.extendTraces when intervals are
 * added, Plotly.restyle of the traces whose points changed (the running interval), a relayout
 * of the axis when the day turns (and of the type size on a wall, to the screen's height). The figure is never replaced or redrawn and nothing is
 * polled: stream.js calls these on every update and once a second, and an unchanged chart
 * costs a comparison. A chart whose queue figures have gone quiet past their limit is greyed,
 * like every tile ("no data for 2 min").
 */
(function () {
    "use strict";

    var charts = {}; // chart id -> {day: item, now: item, shown: day text on the axis}
    // What was done to the figures: tests and the benchmark read it.
    var counts = window.floorboardCharts = {extend: 0, restyle: 0, relayout: 0, font: 0,
        patched: 0};

    function state(spec) {
        return charts[spec.id] || (charts[spec.id] = {day: null, now: null, shown: null});
    }

    function graphDiv(spec) {
        var box = document.getElementById(spec.graph);
        return box && box.querySelector(".js-plotly-plot");
    }

    // The day's points by slot: the closed ones, the moving ones laid over them. A point is
    // [slot, value, ...], its values in the order of spec.fields (model.py, points).
    function columns(spec, st) {
        var day = st.day.day;
        var bySlot = {};
        var last = -1;
        [st.day, st.now].forEach(function (it) {
            if (it && it.day === day) {
                (it.points || []).forEach(function (p) {
                    bySlot[p[0]] = p;
                    last = Math.max(last, p[0]);
                });
            }
        });
        var x = [];
        for (var s = 0; s <= last; s++) {
            x.push(s);
        }
        var ys = spec.fields.map(function (f, i) {
            return x.map(function (slot) {
                var p = bySlot[slot];
                return p && p[i + 1] != null ? p[i + 1] : null;
            });
        });
        return {x: x, ys: ys};
    }

    function differs(old, y) {
        if (y.length < old.length) {
            return true;
        }
        for (var k = 0; k < old.length; k++) {
            if (old[k] !== y[k]) {
                return true;
            }
        }
        return false;
    }

    function patch(spec, st) {
        var gd = graphDiv(spec);
        if (!gd || !gd._fullLayout || !window.Plotly || !st.day) {
            return; // the figure is still loading: the next second tries again
        }
        var P = window.Plotly;
        // A wall's chart reads from across the room at any screen size: its type is a share
        // of the screen's height, set once (and again if the window is resized).
        // (Read back from the figure, not remembered: Dash may plot its figure once more
        // while Plotly loads, and this puts the size back a second later.)
        var font = spec.font ? Math.round(window.innerHeight * spec.font) : 0;
        if (font && gd._fullLayout.font.size !== font) {
            P.relayout(gd, {"font.size": font});
            counts.font++;
        }
        if (st.shown !== st.day.day) { // a new day: its axis, and empty traces to fill
            P.relayout(gd, {"xaxis.range": [-0.5, st.day.slots - 0.5],
                "xaxis.tickvals": st.day.ticks.vals, "xaxis.ticktext": st.day.ticks.text});
            P.restyle(gd, {x: spec.fields.map(function () { return []; }),
                y: spec.fields.map(function () { return []; })});
            st.shown = st.day.day;
            counts.relayout++;
        }
        var col = columns(spec, st);
        var changed = [];
        var grown = [];
        spec.fields.forEach(function (f, i) {
            var old = gd.data[i].y || [];
            if (differs(old, col.ys[i])) {
                changed.push(i);
            } else if (col.ys[i].length > old.length) {
                grown.push(i);
            }
        });
        if (grown.length) { // new intervals: appended to the traces
            var from = grown.map(function (i) { return (gd.data[i].y || []).length; });
            P.extendTraces(gd, {
                x: grown.map(function (i, k) { return col.x.slice(from[k]); }),
                y: grown.map(function (i, k) { return col.ys[i].slice(from[k]); })
            }, grown);
            counts.extend++;
        }
        if (changed.length) { // a point that moved (the running interval): those traces
            P.restyle(gd, {
                x: changed.map(function () { return col.x; }),
                y: changed.map(function (i) { return col.ys[i]; })
            }, changed);
            counts.restyle++;
        }
        if (grown.length || changed.length) {
            counts.patched = Date.now();
            gd.setAttribute("data-patched", String(counts.patched));
        }
    }

    function render(part) {
        return function (spec, item, now, h) {
            var st = state(spec);
            st[part] = item;
            var live = st.now;
            var nodata = !live || live.ts == null;
            var stale = !nodata && live.stale_after != null && now - live.ts > live.stale_after;
            if (part === "now") { // one class change a second, from the item that ages
                var age = nodata ? "waiting for data" : stale ? "no data for " +
                    h.ago(now - live.ts) : "updated " + h.ago(now - live.ts) + " ago";
                h.setProps(spec.id + "-age", {children: age, className: h.cls("age",
                    stale && "stale")});
                h.setProps(spec.id, {className: h.cls(spec.class, stale && "stale",
                    nodata && "nodata")});
            }
            patch(spec, st);
            return stale;
        };
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["chart-day"] = render("day");
    renderers["chart-now"] = render("now");
})();
