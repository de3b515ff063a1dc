/*
 * An agent's day (layout.py): the page is built from Redis when opened; this keeps it current.
 * The page follows the agent's own stream (the agent view) for three of its items: their state
 * (me), their contact (contact) and their messages with what they acknowledged (messages).
 * When one of them changes, the "day-changed" store is set and the server callback rebuilds the
 * page's body (its contacts, states and acknowledgements as Redis now has them). Renderers are
 * called on every update and once a second, so each compares what it saw last.
 */
(function () {
    "use strict";

    var seen = {}; // item key -> what it said when the body was last built

    function watch(key, said) {
        return function (spec, item, now, h) {
            if (item.broken) {
                return;
            }
            var value = JSON.stringify(said(item));
            if (seen[key] === undefined) {
                seen[key] = value; // the body was built from the same: nothing to do
            } else if (seen[key] !== value) {
                seen[key] = value;
                h.setProps("day-changed", {data: key + ":" + value});
            }
        };
    }

    var renderers = window.floorboardRenderers = window.floorboardRenderers || {};
    renderers["day-me"] = watch("me", function (m) {
        return [m.state, m.reason, m.since, m.stats];
    });
    renderers["day-contact"] = watch("contact", function (c) {
        return c.card ? [c.card.id, c.card.state] : null;
    });
    renderers["day-messages"] = watch("messages", function (m) {
        return (m.list || []).map(function (x) {
            return [x.id, x.ack_required, x.acked_at];
        });
    });
})();
