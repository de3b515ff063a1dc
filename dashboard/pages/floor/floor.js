/*
 * The supervisor's floor (this package: layout.py, model.py): every agent as a cell, grouped by
 * team, sorted and filtered as the supervisor chooses, collapsed to counts per state when more
 * agents are shown than the floor's collapse_at.
 *
 * assets/stream.js owns the stream and calls the renderer here on every update and once a
 * second, so time in state ticks and a cell turns amber or red on the second (its limits come
 * in the cell). The cells are floor:agents (every agent when the view was built) with each
 * floor:agent:<id> item laid over it (an agent changed since). Sorting, filtering and
 * expanding a collapsed team are this page's own state: they redraw at once, no server trip.
 *
 * Why the floor draws its three lists itself: set_props hands Dash a component tree, and Dash
 * walks and re-renders all of it; measured with 168 cells open, each second's redraw was a
 * 1.6-6.5 s long task in Chromium, the page frozen. So the lists' containers are Dash
 * components with no children of their own, and draw() lays the same h.el trees into them with
 * a small keyed patch (patch.js): only what changed is touched (a class, a text), a few
 * milliseconds for 500 cells. An agent's change patches only their team's section, at once
 * (patchTeams); the whole floor is drawn once a second (timers) and when the layout moves.
 * Controls (dropdowns, radios) stay Dash's, set with set_props. The cells: cells.js.
 * User text (names, teams, reasons) only ever becomes text nodes: it can never be HTML.
 */
(function () {
    "use strict";

    var PREFIX = "floor:agent:";
    var P = window.floorboardPatch; // patch.js and cells.js, loaded before this file
    var fill = P.fill, broken = P.broken;
    var C = window.floorboardFloorCells;

    var choice = {sort: "longest", teams: [], queue: null, agent: null};
    // Agent id -> their cell: floor:agents with each newer floor:agent:<id> laid over it (also
    // the blended list's "next for"); laid: the item objects it was built from.
    var known = {};
    var laid = {base: null, items: {}};
    // Teams shown as cells although the floor is collapsed, in the order they were opened; the
    // earliest close again when those open would hold more than collapse_at agents.
    var opened = [];
    var layout = null; // the last full draw's: collapsed or not, each team's open and count
    var last = null; // the renderer's last arguments, to redraw when a choice changes
    var teamsShown = "";
    var peopleShown = "";

    // Bring `known` up to date with the items; the agents whose cell changed, each with the
    // cell it had ({id, was}); null when floor:agents itself is new (a snapshot).
    function sync(item, h) {
        var changed = [];
        if (item !== laid.base) {
            laid = {base: item, items: {}};
            known = {};
            (item.list || []).forEach(function (c) {
                known[c.id] = c;
            });
            changed = null;
        }
        var all = h.items();
        Object.keys(all).forEach(function (key) {
            var it = all[key];
            if (key.indexOf(PREFIX) !== 0 || laid.items[key] === it) {
                return;
            }
            laid.items[key] = it;
            var id = it.cell ? it.cell.id : it.id;
            if (changed) {
                changed.push({id: id, was: known[id]});
            }
            if (it.cell) {
                known[id] = it.cell;
            } else {
                delete known[id];
            }
        });
        return changed;
    }

    function cells() {
        return Object.keys(known).map(function (id) {
            return known[id];
        });
    }

    function wanted(c) {
        if (choice.teams.length && choice.teams.indexOf(c.team) < 0) {
            return false;
        }
        if (choice.queue) {
            var onIt = c.contact && c.contact.queue === choice.queue;
            return onIt || c.queues.indexOf(choice.queue) >= 0;
        }
        return true;
    }

    var ORDERS = {
        longest: function (a, b) {
            return a.since - b.since || a.rank - b.rank;
        },
        away: function (a, b) {
            return a.rank - b.rank || a.since - b.since;
        },
        name: function (a, b) {
            return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
        }
    };

    function backlogOf(spec, h) {
        return (h.items()[spec.backlog] || {}).counts || {};
    }

    function sorted(list) {
        return list.sort(ORDERS[choice.sort] || ORDERS.longest);
    }

    function summary(shown, total, now, h) {
        fill("floor-summary", [
            h.el("Span", "floor-total", shown.length + " of " + total + " agents")
        ].concat(C.counts(shown, now, h, "floor-sum")));
    }

    function draw() {
        if (!last) {
            return;
        }
        var spec = last.spec, item = last.item, h = last.h;
        var now = last.now;
        layout = null;
        if (item.broken) {
            broken(spec.id, h);
            return;
        }
        sync(item, h);
        var backlog = backlogOf(spec, h);
        var all = cells();
        var teams = {};
        all.forEach(function (c) {
            teams[c.team] = true;
        });
        var names = Object.keys(teams).sort();
        if (names.join("\n") !== teamsShown) {
            teamsShown = names.join("\n");
            h.setProps("floor-team", {options: names.map(function (t) {
                return {label: t, value: t};
            })});
        }
        var people = all.slice().sort(ORDERS.name).map(function (c) {
            return {label: c.name + " (" + c.team + ")", value: c.id};
        });
        var peopleNow = JSON.stringify(people);
        if (peopleNow !== peopleShown) { // names and teams change seldom: compare once
            peopleShown = peopleNow;
            h.setProps("floor-next-for", {options: people});
        }
        var shown = sorted(all.filter(wanted));
        var collapsed = shown.length > (item.collapse_at || 200);
        if (!collapsed) {
            opened = [];
        }
        var groups = {};
        shown.forEach(function (c) {
            (groups[c.team] = groups[c.team] || []).push(c);
        });
        var room = item.collapse_at || 200;
        while (collapsed && opened.reduce(function (n, t) {
            return n + (groups[t] || []).length;
        }, 0) > room && opened.length > 1) {
            opened.shift();
        }
        layout = {id: spec.id, collapsed: collapsed, open: {}, count: {}};
        var children = Object.keys(groups).sort().map(function (team) {
            var open = !collapsed || opened.indexOf(team) >= 0;
            layout.open[team] = open;
            layout.count[team] = groups[team].length;
            return C.team(team, groups[team], open, collapsed, now, backlog, h);
        });
        if (!children.length) {
            children = h.empty(all.length ? "No agent matches." : "No agent on the floor yet.");
        }
        fill(spec.id, children, h.cls("floor-grid", collapsed && "floor-grid-collapsed"));
        summary(shown, all.length, now, h);
    }

    // Agents changed state (the floor's usual update, fifty a second on a busy floor): patch
    // their teams' sections in place at once, each only its own cells, rather than the whole
    // floor on the next frame. Only when nothing else about the layout moved: each team still
    // shows as many agents as at the last full draw, and nobody changed name or team; else
    // false, and the full draw (next frame) does it.
    function patchTeams(spec, changed, now, h) {
        if (!layout || layout.id !== spec.id) {
            return false;
        }
        var teams = {};
        var same = changed.every(function (ch) {
            var c = known[ch.id];
            teams[c ? c.team : ""] = true;
            return c && ch.was && c.team === ch.was.team && c.name === ch.was.name;
        });
        if (!same) {
            return false;
        }
        var backlog = backlogOf(spec, h);
        var all = cells();
        var shown = all.filter(wanted);
        var done = Object.keys(teams).every(function (team) {
            var list = sorted(shown.filter(function (c) {
                return c.team === team;
            }));
            if (!list.length || list.length !== layout.count[team]) {
                return false;
            }
            var section = C.team(team, list, layout.open[team], layout.collapsed, now, backlog, h);
            return P.patchChild(spec.id, section);
        });
        if (done) {
            summary(shown, all.length, now, h);
        }
        return done;
    }

    // -- the blended queue (model.py's floor:blended, in feeds/routing.py's order) ---------

    var lastBlended = null;

    function renderBlended(spec, item, now, h) {
        lastBlended = {spec: spec, item: item, now: now, h: h};
        if (item.broken) {
            broken(spec.id, h);
            return;
        }
        // One agent's next items: the waiting contacts of the queues they have the skill for,
        // in the order the routing rule in force gives them (each entry's turn, worked out on
        // the server by feeds/routing.py); an agent with no cell yet has none.
        var agent = choice.agent && known[choice.agent];
        var list = agent ? item.list.filter(function (e) {
            return agent.queues.indexOf(e.queue) >= 0;
        }).sort(function (a, b) {
            return a.turn - b.turn;
        }) : item.list;
        var rows = list.map(function (e, i) {
            return h.waitingEntry(e, i + 1, now);
        });
        var more = item.total - item.list.length;
        fill("floor-blended-count", "\u00B7 " + item.total + " waiting" +
            (agent ? " \u00B7 " + list.length + " for " + agent.name : ""));
        fill(spec.id, rows.length ? rows.concat(more > 0 ?
            [h.el("Li", "floor-more", "and " + more + " more", {key: "more"})] : []) :
            h.empty(agent ? "Nothing waiting for " + agent.name + "." : "Nobody waiting."));
    }

    function redraw() {
        draw();
        if (lastBlended) {
            renderBlended(lastBlended.spec, lastBlended.item, lastBlended.now, lastBlended.h);
        }
    }

    // stream.js calls every renderer on each update: fifty a second on a busy floor. Each
    // call only keeps its arguments; the lists are drawn once per animation frame, with the
    // latest of everything (so a burst costs one draw, and nothing is drawn twice a frame).
    var pending = {};
    var frame = null;

    function later(name, args) {
        pending[name] = args;
        if (frame === null) {
            frame = window.requestAnimationFrame(function () {
                frame = null;
                var todo = pending;
                pending = {};
                if (todo.agents) {
                    last = todo.agents;
                    draw();
                }
                if (todo.queues) {
                    window.floorboardFloorQueues.render.apply(null, todo.queues);
                }
                if (todo.blended) {
                    renderBlended.apply(null, todo.blended);
                }
            });
        }
    }

    window.floorboardRenderers = window.floorboardRenderers || {};
    window.floorboardRenderers["floor-blended"] = function (spec, item, now, h) {
        later("blended", [spec, item, now, h]);
    };
    window.floorboardRenderers["floor-queues"] = function (spec, item, now, h) {
        later("queues", [spec, item, now, h]);
    };
    window.floorboardRenderers["floor-agents"] = function (spec, item, now, h) {
        var changed = item.broken ? null : sync(item, h);
        if (changed && changed.length && patchTeams(spec, changed, now, h)) {
            return; // drawn: the once-a-second tick redraws the whole floor's timers
        }
        later("agents", {spec: spec, item: item, now: now, h: h});
    };

    // A collapsed team's head shows or hides its agents.
    document.addEventListener("click", function (e) {
        var head = e.target.closest && e.target.closest("[data-team]");
        if (head) {
            var team = head.getAttribute("data-team");
            var at = opened.indexOf(team);
            if (at >= 0) {
                opened.splice(at, 1);
            } else {
                opened.push(team);
            }
            redraw();
        }
    });

    // The controls' clientside callback (layout.py): keep the choice, redraw now.
    window.dash_clientside = window.dash_clientside || {};
    window.dash_clientside.floorboard_floor = {
        choose: function (sort, teams, queue, agent) {
            choice = {sort: sort || "longest", teams: teams || [], queue: queue || null,
                agent: agent || null};
            redraw();
            return choice;
        }
    };
})();
