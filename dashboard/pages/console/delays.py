"""The delay reasons panel: the reasons set on queues, and the form that sets one.

The reasons come over the stream (drawn by ``console.js``); setting and clearing go
through :class:`feeds.delays.Delays`, as ``/api/v1`` and the CLI do. A reason is set again
rather than edited, so this form has no edit mode.
"""

from __future__ import annotations

import time
from typing import Any

from dash import Dash, Input, Output, State, html, no_update

from dashboard.pages.console import widgets as w
from dashboard.pages.console.common import (
    DONE,
    bad,
    expiry,
    marked,
    ok,
    queue_name,
    refused,
    register_item_action,
    supervisor,
)
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.delays import Delays
from feeds.times import parse_duration

LIFETIMES = [("No expiry", 0), ("30 minutes", 1800), ("1 hour", 3600),
             ("2 hours", 7200), ("4 hours", 14400), ("8 hours", 28800)]  # fmt: skip


def panel(config: Config, queue: str = "") -> html.Section:
    """The delay reasons panel; ``queue``: the form starts set to that queue."""
    form = w.form(
        "console-delay-form",
        w.row(
            w.field(
                "queue",
                "Queue",
                w.choice(
                    "console-delay-queue",
                    [(q.name, q.id) for q in config.queues],
                    queue or None,
                    placeholder="queue",
                ),
            ),
            w.field("expected_wait", "Expected wait", w.text("console-delay-wait", "8m")),
        ),
        w.field(
            "reason",
            "Reason",
            w.text("console-delay-reason", "Storm damage: high volume", maxLength=200),
        ),
        w.row(*w.expiry_fields("delay", LIFETIMES, 0)),
        w.actions(
            html.Button("Set delay reason", id="console-delay-submit", className="fb-button")
        ),
        html.Div(id="console-delay-feedback", className="fb-feedback-slot"),
    )
    return w.panel("Delay reasons", w.live_list("console-delays"), form, cls="fb-delays")


def register(app: Dash, config: Config, bus: Bus) -> None:
    delays = Delays(bus, config)
    tz = config.tz
    w.register_expiry_fields(app, "delay")

    @app.callback(
        Output("console-delay-feedback", "children"),
        Output("console-delay-form", "data-invalid"),
        Output("console-delay-reason", "value"),
        Output("console-delay-wait", "value"),
        Output("console-delay-expires", "value"),
        Output(DONE, "data", allow_duplicate=True),
        Input("console-delay-submit", "n_clicks"),
        State("console-delay-queue", "value"),
        State("console-delay-reason", "value"),
        State("console-delay-wait", "value"),
        State("console-delay-expiry", "value"),
        State("console-delay-expires", "value"),
        prevent_initial_call=True,
    )
    def set_delay(
        _: Any, queue: str | None, reason: str | None, wait: str | None, choice: Any, at: str | None
    ) -> tuple[Any, ...]:
        keep = (no_update,) * 4
        principal = supervisor()
        if principal is None:
            return refused(), "", *keep
        now = time.time()
        try:
            if not queue:
                raise SchemaError("queue", "choose a queue")
            fields: dict[str, Any] = {"reason": (reason or "").strip()}
            if (wait or "").strip():
                fields["expected_wait"] = parse_duration("expected_wait", wait)
            fields["expires_at"] = expiry(choice, at, None, tz, now, required=False)
            d = delays.set(queue, fields, principal.actor)
        except SchemaError as exc:
            return bad(exc), marked(exc), *keep
        return ok(f"Delay reason set on {queue_name(config, d['queue'])}."), "", "", "", "", now

    def clear(queue: str, by: str) -> str:
        delays.clear(queue, by)
        return f"Delay reason cleared on {queue_name(config, queue)}."

    register_item_action(app, "console-delay-clear", "console-delay-feedback", clear)
