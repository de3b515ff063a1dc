/*
 * The agent tab's moment-of-truth card (card.py and record.py, next to this file): who is
 * calling, why they called before, what the agent may give and what to promise, drawn while the
 * contact rings and kept while the agent is on it.
 *
 * Called by assets/stream.js with the card item on every update and once a second (the ringing
 * and talk timers, and a CRM lookup that has taken longer than its timeout, are worked out from
 * timestamps here). The forms are Dash's (record.py): this fills their choices, proposes the
 * promise and names the contact they record against; the server checks all of it again.
 * Everything is children text (React escapes it): a customer's name never runs as HTML.
 * window.floorboardAgentCard.outages: the outages the card shows, so that agent.js's outage
 * panel says them once, here.
 */
(function () {
    "use strict";

    var shared = window.floorboardAgentCard = window.floorboardAgentCard || {outages: []};
    var PHASES = {ringing: "Ringing", answered: "On contact", wrap: "Wrap-up"};
    var lastContact = null;

    function section(h, title, className, children) {
        return h.el("Section", h.cls("fb-agent-sec", className), [h.el("H3", null, title)]
            .concat(children));
    }

    function who(c, now, h) {
        var w = c.who;
        var ringing = c.state === "ringing";
        var timer = ringing
            ? "ringing \u00b7 waited " + h.duration(now - c.enqueued_at)
            : c.talked_until != null
                ? "waited " + c.waited + " \u00b7 talked " +
                    h.duration(c.talked_until - c.answered_at)
                : "waited " + c.waited + " \u00b7 on contact " + h.duration(now - c.answered_at);
        var name = w.greet
            ? [h.el("Span", "fb-agent-greet", w.greet),
                w.name ? h.el("Span", "fb-agent-fullname", w.name) : null]
            : [h.el("Span", "fb-agent-greet fb-agent-unknown", "Unknown caller")];
        var facts = (w.facts ? [h.el("Span", "fb-agent-fact", w.facts, {key: "facts"})] : [])
            .concat((c.tags || []).map(function (t) {
            return h.el("Span", "fb-agent-tag", t, {key: "tag-" + t});
        })).concat(w.consent.map(function (t) {
            return h.el("Span", h.cls("fb-agent-consent", t.indexOf("No ") === 0 && "no"), t,
                {key: "c-" + t});
        }));
        return h.el("Div", "fb-agent-card-head", [
            h.el("Div", "fb-agent-who-line", [
                h.el("Span", h.cls("fb-agent-phase", ringing && "ringing"),
                    PHASES[c.state]),
                h.el("Span", "fb-agent-names", name),
                h.el("Span", "fb-agent-account", c.customer_id + " \u00b7 " + c.queue + " \u00b7 " +
                    c.channel),
                h.el("Span", "fb-agent-talk", timer)
            ]),
            facts.length ? h.el("Div", "fb-agent-facts", facts) : null,
            lookup(w.lookup, now, h),
            c.headline ? h.el("Div", "fb-agent-headline", c.headline) : null
        ]);
    }

    function lookup(l, now, h) {
        var text = l.text;
        if (l.state === "pending" && l.since != null && now - l.since > l.timeout + 1) {
            text = "The CRM has not answered: greet them warmly and ask for their name. " +
                "Everything else on this card still holds.";
        }
        return text ? h.el("Div", h.cls("fb-agent-lookup", "lookup-" + l.state), text) : null;
    }

    function before(c, h) {
        var lines = c.history.map(function (l) {
            return h.el("Li", h.cls(l.kind && "ledger-" + l.kind), [
                h.el("Div", null, [
                    h.el("Span", "fb-agent-when", l.when),
                    l.where ? h.el("Span", "fb-agent-where", l.where) : null,
                    h.el("Span", "fb-agent-outcome", l.outcome)
                ]),
                l.why ? h.el("Div", "fb-agent-why", l.why) : null
            ], {key: l.id});
        });
        var body = lines.length ? [h.el("Ol", "fb-agent-history", lines)]
            : [h.el("Div", "fb-agent-quiet", "No earlier contacts in the history.")];
        if (c.history_missing) {
            body.push(h.el("Div", "fb-agent-note", "Contact history is unavailable right now."));
        }
        return section(h, "Before", "fb-agent-before", body);
    }

    function give(g, h) {
        var rows = g.rules.map(function (r) {
            return h.el("Li", h.cls("fb-agent-rule", r.blocked && "blocked"), [
                h.el("Div", null, [
                    h.el("Span", "fb-strong", r.title),
                    r.allows ? h.el("Span", "fb-agent-allows", r.allows) : null,
                    h.el("Span", "fb-agent-used", r.blocked ? "not now: " + r.blocked : r.used)
                ]),
                r.wording && !r.blocked
                    ? h.el("Div", "fb-agent-wording", "\u201c" + r.wording + "\u201d") : null
            ], {key: r.id});
        }).concat(g.offers.map(function (o) {
            return h.el("Li", "fb-agent-rule fb-agent-offer", [
                h.el("Div", null, [
                    h.el("Span", "fb-strong", "Outage offer"),
                    h.el("Span", "fb-agent-allows", o.text || o.amount),
                    o.note ? h.el("Span", "fb-agent-used", o.note) : null
                ])
            ], {key: "o-" + o.id});
        }));
        var body = rows.length ? [h.el("Ul", "fb-agent-rules", rows)]
            : [h.el("Div", "fb-agent-quiet", "No standing rule covers this contact: ask a supervisor before offering anything.")];
        if (g.note) {
            body.push(h.el("Div", "fb-agent-quiet", g.note));
        }
        return section(h, "You may give", "fb-agent-give", body);
    }

    function promise(e, h) {
        var issue = [e.priority ? h.el("Span", h.cls("fb-agent-prio", "prio-" + e.priority.split(" ")[0]),
            e.priority) : null, e.issue ? h.el("Span", "fb-strong", e.issue) : null];
        return section(h, "Set the expectation", "fb-agent-expect", [
            e.priority || e.issue ? h.el("Div", "fb-agent-issue", issue) : null,
            h.line("Estimate", e.estimate),
            h.line("Queue", e.wait),
            h.line("Promise", e.promise, "fb-agent-promise-line"),
            h.line("Say", e.wording, "fb-say"),
            h.line("Workaround", e.workaround)
        ]);
    }

    function flag(f, h) {
        return h.el("Li", h.cls("fb-agent-flag", "flag-" + f.kind), [
            h.el("Span", "fb-agent-flag-name", f.title),
            f.detail ? h.el("Span", "fb-agent-flag-detail", f.detail) : null,
            h.el("Div", "fb-agent-suggest", f.suggestion)
        ], {key: f.kind + f.title});
    }

    function forms(c, h) {
        var answered = c.state !== "ringing";
        h.setProps("agent-record", {className: h.cls("fb-agent-record", !answered && "hidden")});
        h.setProps("agent-record-contact", {data: c.id});
        h.setProps("agent-give-what", {options: c.give.choices});
        if (lastContact !== c.id) {
            lastContact = c.id;
            h.setProps("agent-give-what", {value: null});
            h.setProps("agent-record-note", {children: ""});
        }
        h.setProps("agent-promise-text", {value: c.expect.promise});
        h.setProps("agent-promise-due", {value: c.expect.due_text});
    }

    function renderContact(spec, item, now, h) {
        if (item.broken) { // the card says why it shows nothing, and offers nothing to act on
            shared.outages = [];
            lastContact = null;
            h.setProps(spec.id, {className: "fb-agent-card"});
            return h.brokenList(spec.id + "-body");
        }
        var c = item.card;
        if (!c) {
            shared.outages = [];
            lastContact = null;
            h.setProps(spec.id, {className: "fb-agent-card hidden"});
            h.setProps(spec.id + "-body", {children: []});
            return;
        }
        shared.outages = c.outages;
        h.setProps(spec.id, {className: h.cls("fb-agent-card", c.flags.length && "has-flags",
            c.state === "ringing" && "is-ringing")});
        h.setProps(spec.id + "-body", {children: [
            who(c, now, h),
            c.flags.length ? h.el("Ul", "fb-agent-flags", c.flags.map(function (f) {
                return flag(f, h);
            })) : null,
            h.el("Div", "fb-agent-columns", [before(c, h), give(c.give, h), promise(c.expect, h)])
        ]});
        forms(c, h);
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["agent-contact"] = renderContact;
})();
