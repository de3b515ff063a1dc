"""What every panel of the console shares: who may act, how the result is told, expiry choices.

Any signed-in browser can POST any callback, and an agent's session passes the CSRF check as
well as a supervisor's, so each server callback asks :func:`supervisor` before reading or
changing anything. The panels name a result and an error the same way, so these live here
once; the times a person types are read by :mod:`feeds.times`, as on the command line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import tzinfo
from typing import Any

from dash import ALL, Dash, Input, Output, ctx, html, no_update
from dash.exceptions import PreventUpdate

from dashboard.auth.principal import Principal, current_principal, has_role
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.times import TIME_HINT, parse_when

ROLE = "supervisor"
DONE = "console-done"  # the store each action sets, so the audit log is read again
CUSTOM = "custom"  # the expiry choice "At a time…": the typed time is used

# How an error's field is named next to the form.
FIELD_LABELS = {
    "text": "Text", "priority": "Priority", "audience": "Audience", "starts_at": "Starts",
    "expires_at": "Expires", "ack_required": "Acknowledgement", "service": "Service",
    "severity": "Severity", "status": "Status", "customer_wording": "Customer wording",
    "internal_note": "Internal note", "workaround": "Workaround", "eta": "ETA",
    "queues": "Affected queues", "offer": "Offer", "queue": "Queue", "reason": "Reason",
    "expected_wait": "Expected wait", "id": "Item", "message_id": "Message", "body": "Form",
    "title": "Title", "action": "Gives", "limit": "Up to", "over_limit": "More than that",
    "allowance": "Per customer", "times": "Times per customer", "period": "Per",
    "teams": "Teams", "segments": "Segments", "wording": "Approved wording",
    "regions": "Regions", "services": "Services", "offer_amount": "Offer amount",
    "rule": "Alert when", "state": "State", "seconds": "Over", "target": "Under",
}  # fmt: skip


# -- access ---------------------------------------------------------------------------------------


def supervisor() -> Principal | None:
    """The request's principal if it may use the console, else None.

    Asked by the layout and by every callback, reads included: any signed-in browser can POST
    any callback, and an agent's session passes the CSRF check as well as a supervisor's.
    """
    principal = current_principal()
    return principal if has_role(principal, ROLE) else None


def clicked() -> bool:
    """Whether a real click triggered the callback (not a button appearing with no clicks)."""
    return any(t["value"] for t in ctx.triggered) if ctx.triggered else False


# -- feedback -------------------------------------------------------------------------------------


def error_text(exc: SchemaError) -> str:
    """ "Expires: must be in the future": the field as the form names it, then the reason."""
    label = FIELD_LABELS.get(exc.field.split(".")[0], exc.field or "Form")
    return f"{label}: {exc.reason}"


def ok(text: str) -> html.Div:
    return html.Div(text, className="fb-feedback fb-ok", role="status")


def bad(exc: SchemaError) -> html.Div:
    return html.Div(error_text(exc), className="fb-feedback fb-bad", role="alert")


def refused() -> html.Div:
    return html.Div(
        "Your session has ended or does not allow this: sign in again as a supervisor.",
        className="fb-feedback fb-bad",
        role="alert",
    )


def marked(exc: SchemaError) -> str:
    """The ``data-invalid`` of a form: the top-level field to outline (CSS does the rest)."""
    return exc.field.split(".")[0]


def register_item_action(
    app: Dash, button: str, feedback: str, act: Callable[[str, str], str]
) -> None:
    """The callback of a button on each item of a live list (Expire, Resolve, Clear).

    ``act(item id, actor)`` calls the service and says what it did; the panel's ``feedback``
    shows that, or why not, and the audit log is read again after a change.
    """

    @app.callback(
        Output(feedback, "children", allow_duplicate=True),
        Output(DONE, "data", allow_duplicate=True),
        Input({"type": button, "id": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def item_action(_: Any) -> tuple[Any, Any]:
        if not clicked():
            raise PreventUpdate
        principal = supervisor()
        if principal is None:
            return refused(), no_update
        try:
            text = act(ctx.triggered_id["id"], principal.actor)
        except SchemaError as exc:
            return bad(exc), no_update
        return ok(text), time.time()


# -- typed values ---------------------------------------------------------------------------------


def expiry(
    choice: Any, text: str | None, start: float | None, tz: tzinfo, now: float, *, required: bool
) -> float | None:
    """A duration from the start (or now), or the typed time when the choice is "custom"."""
    if choice == CUSTOM:
        at = parse_when("expires_at", text, tz, now)
        if at is None and required:
            raise SchemaError("expires_at", f"type the expiry time ({TIME_HINT})")
        return at
    if not choice:
        return None
    return (start if start is not None else now) + float(choice)


def queue_name(config: Config, queue_id: str) -> str:
    """A queue as people know it; its id if the config no longer has it."""
    queue = config.queue(queue_id)
    return queue.name if queue else queue_id
