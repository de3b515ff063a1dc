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
 * milliseconds for 500 cells. Controls (dropdowns, radios) stay Dash's, set with set_props.
 * User text (names, teams, reasons) only ever becomes text nodes: it can never be HTML.
 */
(function () {
    "use strict";

    var PREFIX = "floor:agent:";
    var fill = window.floorboardPatch.fill; // patch.js, loaded before this file
    var broken = window.floorboardPatch.broken;

    var STATES = ["available", "on_contact", "wrap", "away", "offline"];
    var choice = {sort: "longest", teams: [], queue: null, agent: null};
    var known = {}; // agent id -> their cell, for the blended list's "next for"
    // Teams shown as cells although the floor is collapsed, in the order they were opened; the
    // earliest close again when those open would hold more than collapse_at agents.
    var opened = [];
    var last = null; // the renderer's last arguments, to redraw when a choice changes
    var teamsShown = "";
    var peopleShown = "";

    function cells(item, h) {
        var byId = {};
        (item.list || []).forEach(function (c) {
            byId[c.id] = c;
        });
        var all = h.items();
        Object.keys(all).forEach(function (key) {
            if (key.indexOf(PREFIX) === 0) {
                var it = all[key];
                if (it.cell) {
                    byId[it.cell.id] = it.cell;
                } else if (it.id) {
                    delete byId[it.id];
                }
            }
        });
        return Object.keys(byId).map(function (id) {
            return byId[id];
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

    function draw() {
        if (!last) {
            return;
        }
        var spec = last.spec, item = last.item, h = last.h;
        var now = last.now;
        if (item.broken) {
            broken(spec.id, h);
            return;
        }
        var backlog = (h.items()[spec.backlog] || {}).counts || {};
        var all = cells(item, h);
        var teams = {};
        known = {};
        all.forEach(function (c) {
            teams[c.team] = true;
            known[c.id] = c;
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
        var shown = all.filter(wanted).sort(ORDERS[choice.sort] || ORDERS.longest);
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
        var children = Object.keys(groups).sort().map(function (team) {
            var list = groups[team];
            var open = !collapsed || opened.indexOf(team) >= 0;
            var head = h.el("Button", "floor-team-head", [
                h.el("Span", "floor-team-name", team),
                h.el("Span", "floor-team-n", list.length + " agents"),
                collapsed ? h.el("Span", "floor-team-toggle", open ? "show counts" : "show agents") :
                    null
            ], {"data-team": team, type: "button"});
            var body = open ? list.map(function (c) {
                return cell(c, now, backlog, h);
            }) : over(list, now, h).concat(counts(list, now, h, "floor-chip"));
            return h.el("Section", h.cls("floor-team", open ? "floor-open" : "floor-collapsed"),
                [head, h.el("Div", open ? "floor-cells" : "floor-chips", body)], {key: team});
        });
        if (!children.length) {
            children = h.empty(all.length ? "No agent matches." : "No agent on the floor yet.");
        }
        fill(spec.id, children, h.cls("floor-grid", collapsed && "floor-grid-collapsed"));
        fill("floor-summary", [
            h.el("Span", "floor-total", shown.length + " of " + all.length + " agents")
        ].concat(counts(shown, now, h, "floor-sum")));
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
