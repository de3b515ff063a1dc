"""The pieces the console's panels are built of: labelled fields, inputs, panels, live lists.

Every form lays its fields out alike, and an error outlines a field by its class
(``fb-f-<name>``, see :func:`field`), so the panels build them here rather than each its own.
"""

from __future__ import annotations

from typing import Any

from dash import ClientsideFunction, Dash, Input, Output, dcc, html

from dashboard.pages.console.common import CUSTOM

CANCEL_HIDDEN = "fb-button fb-quiet hidden"
CANCEL_SHOWN = "fb-button fb-quiet"


def form(id: str, *children: Any) -> html.Div:
    """A panel's form; its ``data-invalid`` names the field an error outlines."""
    return html.Div(id=id, className="fb-form", children=list(children))


def field(name: str, label: str, control: Any, **extra: Any) -> html.Div:
    """A labelled input; ``fb-f-<name>`` is what an error on field ``name`` outlines."""
    return html.Div(
        className=f"fb-field fb-f-{name}",
        children=[html.Label(label, className="fb-label"), control],
        **extra,
    )


def row(*fields: html.Div) -> html.Div:
    return html.Div(className="fb-row", children=list(fields))


def text(id: str, placeholder: str = "", **extra: Any) -> dcc.Input:
    return dcc.Input(
        id=id, type="text", placeholder=placeholder, className="fb-input", autoComplete="off",
        **extra,
    )  # fmt: skip


def area(id: str, max_length: int, placeholder: str = "", rows: int = 2) -> dcc.Textarea:
    return dcc.Textarea(
        id=id, maxLength=max_length, rows=rows, placeholder=placeholder, className="fb-input"
    )


def radios(id: str, options: list[tuple[str, str]], value: Any) -> dcc.RadioItems:
    return dcc.RadioItems(
        id=id,
        options=[{"label": label, "value": v} for v, label in options],
        value=value,
        inline=True,
        className="fb-radios",
    )


def ticks(id: str, options: list[dict[str, str]]) -> dcc.Checklist:
    """Tick boxes, none ticked."""
    return dcc.Checklist(id=id, options=options, value=[], inline=True, className="fb-radios")


def choice(
    id: str, options: list[tuple[str, Any]], value: Any = None, **extra: Any
) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id,
        options=[{"label": label, "value": v} for label, v in options],
        value=value,
        className="fb-dropdown",
        **extra,
    )


def expiry_fields(form: str, lifetimes: list[tuple[str, int]], default: int) -> list[html.Div]:
    """A choice of durations, and a typed time shown only for "At a time…"
    (:func:`register_expiry_fields` shows and hides it)."""
    return [
        field(
            "expires_at",
            "Expires",
            choice(
                f"console-{form}-expiry",
                [*lifetimes, ("At a time…", CUSTOM)],
                default,
                clearable=False,
                searchable=False,
            ),
        ),
        field(
            "expires_at",
            "Expiry time",
            text(f"console-{form}-expires", "14:30 or +10m"),
            id=f"console-{form}-expires-field",
            hidden=True,
        ),
    ]


def register_expiry_fields(app: Dash, form: str) -> None:
    """The typed expiry time of :func:`expiry_fields` only when "At a time…" is chosen."""
    app.clientside_callback(
        ClientsideFunction(namespace="console", function_name="hiddenUnlessCustom"),
        Output(f"console-{form}-expires-field", "hidden"),
        Input(f"console-{form}-expiry", "value"),
    )


def folding(prefix: str, summary: str, form: html.Div) -> html.Details:
    """A form folded under its summary (``<prefix>-details``, ``<prefix>-mode``): opened by a
    click or by its panel's Edit button, which also puts the item's name in the summary."""
    return html.Details(
        id=f"{prefix}-details",
        className="fb-details",
        children=[html.Summary(summary, id=f"{prefix}-mode"), form],
    )


def actions(*buttons: html.Button) -> html.Div:
    return html.Div(className="fb-actions", children=list(buttons))


def edit_actions(prefix: str, submit: str) -> list[html.Div]:
    """An item form's buttons (submit; "Cancel edit", shown while an item is open) and its
    feedback slot: the ids :class:`dashboard.pages.console.forms.ItemForm` drives."""
    buttons = actions(
        html.Button(submit, id=f"{prefix}-submit", className="fb-button"),
        html.Button("Cancel edit", id=f"{prefix}-cancel", className=CANCEL_HIDDEN),
    )
    return [buttons, html.Div(id=f"{prefix}-feedback", className="fb-feedback-slot")]


def panel(title: str, *children: Any, cls: str, extra: Any = None) -> html.Section:
    head = [html.H2(title), *([extra] if extra is not None else [])]
    return html.Section(
        className=f"fb-panel {cls}",
        children=[html.Div(className="fb-panel-head", children=head), *children],
    )


def live_list(id: str) -> html.Div:
    """A list console.js fills from the stream; until then it says it is connecting."""
    return html.Div(
        id=id, className="fb-list", children=html.Div("Connecting…", className="fb-empty")
    )
