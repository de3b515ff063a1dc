"""The create-or-edit flow that the console's forms share (messages, outages, the standing
rules and the alert rules; the last two through :class:`ServiceForm`).

Each of those panels has one form that creates an item or, opened from an item's Edit button
in the live list, changes it: the same buttons, the same feedback, the same rule that a refusal
changes nothing but the feedback, and the same care over times shown only to the minute.
:class:`ItemForm` holds that flow once; each panel says what its inputs are, how an item fills
them and which service calls create and change one.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any, ClassVar

from dash import ALL, Dash, Input, Output, State, ctx, no_update
from dash.exceptions import PreventUpdate

from dashboard.pages.console.common import (
    DONE,
    bad,
    clicked,
    marked,
    ok,
    refused,
    supervisor,
)
from dashboard.pages.console.widgets import CANCEL_HIDDEN, CANCEL_SHOWN
from feeds.errors import SchemaError


class ItemForm(ABC):
    """One panel's form. Its ids all start with :attr:`prefix`: ``-form`` (outlined on error),
    ``-mode`` (its heading), ``-submit``, ``-cancel``, ``-feedback``, the ``-editing`` store
    (which item is open, as it was, and its times as shown) and the ``-edit`` buttons of the
    live list (pattern-matched by item id)."""

    prefix: ClassVar[str]
    inputs: ClassVar[dict[str, str]]  # form key -> id of the input it is read from and set by
    extra_outputs: ClassVar[dict[str, Output]]  # what else the form sets besides its inputs
    keys: ClassVar[tuple[str, ...]]  # the item's fields the form edits
    typed_times: ClassVar[tuple[str, ...]]  # the inputs that show a time as typed text
    new_mode: ClassVar[str]  # the heading of the blank form
    new_label: ClassVar[str]  # its submit button
    save_label: ClassVar[str]  # the submit button while an item is open
    cancelled: ClassVar[str]  # the feedback when an edit is cancelled
    opened: ClassVar[str]  # the feedback when an item is opened for editing

    def __init__(self, tz: tzinfo) -> None:
        self.tz = tz

    @abstractmethod
    def blank(self) -> dict[str, Any]:
        """The inputs (and extra outputs) for a new item."""

    @abstractmethod
    def filled(self, item: Mapping[str, Any], now: float) -> dict[str, Any]:
        """The inputs (and extra outputs) showing ``item``, and the heading ``mode``."""

    @abstractmethod
    def fields(self, form: Mapping[str, Any], now: float) -> dict[str, Any]:
        """The item's fields as the form's inputs give them; :class:`SchemaError` if unusable."""

    @abstractmethod
    def kept(self, form: Mapping[str, Any], shown: Mapping[str, str]) -> dict[str, bool]:
        """Which time fields were left as shown when the item was opened (see :func:`edited`)."""

    @abstractmethod
    def get(self, item_id: str) -> Mapping[str, Any]: ...

    @abstractmethod
    def create(self, fields: dict[str, Any], by: str) -> str:
        """Create an item; what to tell the supervisor."""

    @abstractmethod
    def change(self, item_id: str, changes: dict[str, Any], by: str) -> str:
        """Change an item; what to tell the supervisor."""

    def outputs(self) -> dict[str, Output]:
        p = self.prefix
        return {
            **{key: Output(id, "value") for key, id in self.inputs.items()},
            **self.extra_outputs,
            "editing": Output(f"{p}-editing", "data"),
            "mode": Output(f"{p}-mode", "children"),
            "submit_label": Output(f"{p}-submit", "children"),
            "cancel_class": Output(f"{p}-cancel", "className"),
            "feedback": Output(f"{p}-feedback", "children"),
            "invalid": Output(f"{p}-form", "data-invalid"),
            "done": Output(DONE, "data", allow_duplicate=True),
        }

    def register(self, app: Dash) -> None:
        p = self.prefix

        @app.callback(
            output=self.outputs(),
            inputs={
                "submit": Input(f"{p}-submit", "n_clicks"),
                "cancel": Input(f"{p}-cancel", "n_clicks"),
                "edit": Input({"type": f"{p}-edit", "id": ALL}, "n_clicks"),
            },
            state={
                **{key: State(id, "value") for key, id in self.inputs.items()},
                "editing": State(f"{p}-editing", "data"),
            },
            prevent_initial_call=True,
        )
        def item_form(submit: Any, cancel: Any, edit: Any, **form: Any) -> dict[str, Any]:
            return self.answer(form)

    def answer(self, form: Mapping[str, Any]) -> dict[str, Any]:
        """Create, or open / save / cancel an edit. A refusal changes nothing but the feedback."""
        if not clicked():
            raise PreventUpdate
        principal = supervisor()
        if principal is None:
            return self.unchanged(feedback=refused())
        trigger = ctx.triggered_id
        now = time.time()
        if trigger == f"{self.prefix}-cancel":
            return self.values(None, now, feedback=ok(self.cancelled))
        if isinstance(trigger, dict):  # an Edit button in the list
            try:
                item = self.get(trigger["id"])
            except SchemaError as exc:
                return self.unchanged(feedback=bad(exc))
            return self.values(item, now, feedback=ok(self.opened))
        editing = form["editing"]
        try:
            fields = self.fields(form, now)
            if editing:
                changes = edited(fields, editing["data"], self.kept(form, editing["shown"]))
                if not changes:
                    raise SchemaError("body", "nothing changed")
                done = self.change(editing["id"], changes, principal.actor)
            else:
                done = self.create(fields, principal.actor)
        except SchemaError as exc:
            return self.unchanged(feedback=bad(exc), invalid=marked(exc))
        return self.values(None, now, feedback=ok(done), done=now)

    def values(
        self, item: Mapping[str, Any] | None, now: float, *, feedback: Any, done: Any = no_update
    ) -> dict[str, Any]:
        """The form cleared (``item`` None) or filled with ``item`` for editing."""
        told = {"feedback": feedback, "invalid": "", "done": done}
        if item is None:
            return {
                **self.blank(), "editing": None, "mode": self.new_mode,
                "submit_label": self.new_label, "cancel_class": CANCEL_HIDDEN, **told,
            }  # fmt: skip
        shown = self.filled(item, now)
        editing = {
            "id": item["id"],
            "data": {key: item[key] for key in self.keys},
            "shown": {key: shown[key] for key in self.typed_times},
        }
        return {
            **shown, "editing": editing, "submit_label": self.save_label,
            "cancel_class": CANCEL_SHOWN, **told,
        }  # fmt: skip

    def unchanged(self, *, feedback: Any, invalid: str = "") -> dict[str, Any]:
        """Every output left as it is, except the feedback and the outlined field."""
        result: dict[str, Any] = dict.fromkeys(self.outputs(), no_update)
        result.update(feedback=feedback, invalid=invalid)
        return result


class ServiceForm(ItemForm):
    """A form over a service with ``get``, ``create`` and ``update`` (the standing rules, the
    alert rules): no typed times, and the feedback names the item by one of its fields."""

    named: ClassVar[str]  # the field an item is named by in the feedback ("title", "text")

    def __init__(self, tz: tzinfo, service: Any) -> None:
        super().__init__(tz)
        self.service = service

    def kept(self, form: Mapping[str, Any], shown: Mapping[str, str]) -> dict[str, bool]:
        return {}

    def get(self, item_id: str) -> Mapping[str, Any]:
        return self.service.get(item_id)

    def create(self, fields: dict[str, Any], by: str) -> str:
        return f"Added: {self.service.create(fields, by)[self.named]}."

    def change(self, item_id: str, changes: dict[str, Any], by: str) -> str:
        return f"Saved: {self.service.update(item_id, changes, by)[self.named]}."


def edited(
    fields: Mapping[str, Any], original: Mapping[str, Any], kept: Mapping[str, bool]
) -> dict[str, Any]:
    """The fields that differ from the item as it was opened for editing.

    Times are shown to the minute, so a time whose text was left as shown (``kept``) is not a
    change: saving it would move the time by the seconds the form dropped.
    """
    return {
        key: value
        for key, value in fields.items()
        if not kept.get(key) and value != original.get(key)
    }
