"""The key messages panel: the live list, and the form that posts a message or edits one.

The list (with "acknowledged N of M" and who has not) comes over the stream and is drawn by
``console.js``; here are the form and its callbacks. Posting and editing go through
:class:`feeds.messages.Messages`, as ``/api/v1`` and the CLI do, so a message is validated,
published and audited the same whichever way it was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from dash import Dash, Input, Output, State, html
from dash.exceptions import PreventUpdate

from dashboard.pages.console import widgets as w
from dashboard.pages.console.common import (
    CUSTOM,
    expiry,
    register_item_action,
    supervisor,
)
from dashboard.pages.console.forms import ItemForm
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.notices.messages import Messages
from feeds.times import TIME_HINT, parse_when, time_text

LIFETIMES = [  # the message expiry choices: (label, seconds after the start)
    ("15 minutes", 900), ("30 minutes", 1800), ("1 hour", 3600), ("2 hours", 7200),
    ("4 hours", 14400), ("8 hours", 28800),
]  # fmt: skip
DEFAULT_LIFETIME = 3600
PRIORITIES = ("info", "important", "urgent")
AUDIENCES = [("all", "Everyone"), ("team", "Team"), ("queue", "Queue"), ("agent", "Agent")]
TARGET_HINTS = {"all": "everyone", "team": "team", "queue": "queue", "agent": "agent"}
TARGET = "console-msg-target"


def panel(config: Config, queue: str = "") -> html.Section:
    """The messages panel; ``queue``: the form starts aimed at that queue."""
    kind, targets = ("queue", [(q.name, q.id) for q in config.queues]) if queue else ("all", [])
    form = w.form(
        "console-msg-form",
        html.Div("New message", id="console-msg-mode", className="fb-mode"),
        w.field(
            "text",
            "Text",
            w.area(
                "console-msg-text", 500, "What the audience must know (up to 500 characters)", 3
            ),
        ),
        w.row(
            w.field(
                "priority",
                "Priority",
                w.radios("console-msg-priority", [(p, p.capitalize()) for p in PRIORITIES], "info"),
            ),
            w.field(
                "ack_required",
                "Acknowledgement",
                w.ticks("console-msg-ack", [{"label": "Required", "value": "ack"}]),
            ),
        ),
        w.row(
            w.field("audience", "Audience", w.radios("console-msg-kind", AUDIENCES, kind)),
            w.field(
                "audience",
                "Who",
                w.choice(
                    TARGET,
                    targets,
                    queue or None,
                    disabled=not queue,
                    placeholder=TARGET_HINTS[kind],
                ),
            ),
        ),
        w.row(
            w.field("starts_at", "Starts", w.text("console-msg-starts", "now")),
            *w.expiry_fields("msg", LIFETIMES, DEFAULT_LIFETIME),
        ),
        html.Div(f"Times: {TIME_HINT} ({config.centre.timezone}).", className="fb-hint"),
        *w.edit_actions("console-msg", "Post message"),
    )
    return w.panel("Key messages", form, w.live_list("console-messages"), cls="fb-messages")


class MessageForm(ItemForm):
    """Post a message, or edit one opened from the list.

    The audience dropdown gets its options in the same step as its value: a value it has no
    option for would be dropped by the dropdown before the options arrived.
    """

    prefix = "console-msg"
    inputs: ClassVar[dict[str, str]] = {
        "text": "console-msg-text", "priority": "console-msg-priority",
        "kind": "console-msg-kind", "target": TARGET, "starts": "console-msg-starts",
        "expiry": "console-msg-expiry", "expires": "console-msg-expires", "ack": "console-msg-ack",
    }  # fmt: skip
    extra_outputs: ClassVar[dict[str, Output]] = {
        "target_options": Output(TARGET, "options", allow_duplicate=True),
        "target_disabled": Output(TARGET, "disabled", allow_duplicate=True),
        "target_placeholder": Output(TARGET, "placeholder", allow_duplicate=True),
    }
    keys = ("text", "priority", "audience", "starts_at", "expires_at", "ack_required")
    typed_times = ("starts", "expires")
    new_mode, new_label, save_label = "New message", "Post message", "Save changes"
    cancelled, opened = "Edit cancelled.", "Editing: change, then save."

    def __init__(self, config: Config, messages: Messages) -> None:
        super().__init__(config.tz)
        self.config = config
        self.messages = messages

    def target_choices(self, kind: str) -> tuple[list[dict[str, str]], bool, str]:
        """The audience dropdown's options, whether it is off, and its placeholder."""
        return self.audience_options(kind), kind == "all", TARGET_HINTS.get(kind, "")

    def audience_options(self, kind: str) -> list[dict[str, str]]:
        """What the audience can name: the config's queues, the teams and agents known now."""
        if kind == "queue":
            return [{"label": q.name, "value": q.id} for q in self.config.queues]
        if kind in ("team", "agent"):
            agents = self.messages.agents(self.messages.client)
            if kind == "team":
                teams = sorted({a.team for a in agents.values() if a.team})
                return [{"label": t, "value": t} for t in teams]
            ordered = sorted(agents.values(), key=lambda a: a.name.lower())
            return [{"label": f"{a.name} ({a.id})", "value": a.id} for a in ordered]
        return []

    def _target(self, kind: str) -> dict[str, Any]:
        options, disabled, placeholder = self.target_choices(kind)
        return {
            "target_options": options,
            "target_disabled": disabled,
            "target_placeholder": placeholder,
        }

    def blank(self) -> dict[str, Any]:
        return {
            **self._target("all"), "text": "", "priority": "info", "kind": "all", "target": None,
            "starts": "", "expiry": DEFAULT_LIFETIME, "expires": "", "ack": [],
        }  # fmt: skip

    def filled(self, item: Mapping[str, Any], now: float) -> dict[str, Any]:
        m, tz = item, self.tz
        return {
            **self._target(m["audience"]["kind"]), "text": m["text"], "priority": m["priority"],
            "kind": m["audience"]["kind"], "target": m["audience"].get("value"),
            "starts": time_text(m["starts_at"], tz, now), "expiry": CUSTOM,
            "expires": time_text(m["expires_at"], tz, now),
            "ack": ["ack"] if m["ack_required"] else [],
            "mode": f"Editing message {m['id']} ({m['status']})",
        }  # fmt: skip

    def fields(self, form: Mapping[str, Any], now: float) -> dict[str, Any]:
        if not (form["text"] or "").strip():
            raise SchemaError("text", "write the message first")
        kind = form["kind"] or "all"
        if kind != "all" and not form["target"]:
            raise SchemaError("audience.value", f"choose the {kind}")
        audience = {"kind": kind, "value": None if kind == "all" else form["target"]}
        starts = parse_when("starts_at", form["starts"], self.tz, now)
        ends = expiry(form["expiry"], form["expires"], starts, self.tz, now, required=True)
        return {
            "text": form["text"] or "",
            "priority": form["priority"] or "info",
            "audience": audience,
            "starts_at": starts,
            "expires_at": ends,
            "ack_required": "ack" in (form["ack"] or []),
        }

    def kept(self, form: Mapping[str, Any], shown: Mapping[str, str]) -> dict[str, bool]:
        return {
            "starts_at": form["starts"] == shown["starts"],
            "expires_at": form["expiry"] == CUSTOM and form["expires"] == shown["expires"],
        }

    def get(self, item_id: str) -> Mapping[str, Any]:
        return self.messages.get(item_id)

    def create(self, fields: dict[str, Any], by: str) -> str:
        self.messages.post(fields, by)
        return "Posted."

    def change(self, item_id: str, changes: dict[str, Any], by: str) -> str:
        self.messages.edit(item_id, changes, by)
        return "Saved."


def register(app: Dash, config: Config, bus: Bus) -> None:
    messages = Messages(bus, config)
    form = MessageForm(config, messages)
    w.register_expiry_fields(app, "msg")

    @app.callback(
        Output(TARGET, "options"),
        Output(TARGET, "disabled"),
        Output(TARGET, "placeholder"),
        Output(TARGET, "value", allow_duplicate=True),
        Input("console-msg-kind", "value"),
        State(TARGET, "value"),
        prevent_initial_call=True,
    )
    def audience_choices(kind: str, value: str | None) -> tuple[Any, ...]:
        """The dropdown follows the audience kind, keeping its value if it is still offered."""
        if supervisor() is None:
            raise PreventUpdate
        options, disabled, placeholder = form.target_choices(kind)
        keep = value if any(o["value"] == value for o in options) else None
        return options, disabled, placeholder, keep

    form.register(app)

    def expire(message_id: str, by: str) -> str:
        messages.expire(message_id, by)
        return "Expired."

    register_item_action(app, "console-msg-expire", "console-msg-feedback", expire)
