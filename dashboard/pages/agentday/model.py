"""An agent's day as the page shows it: a timeline of states and contacts, the tables, the acks.

Pure: from :class:`feeds.intraday.agent_day.AgentDay` (frames of epoch seconds) to text and a
Plotly figure (a dict), on the centre's clock; the JSON route sends the same.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from dashboard.pages.items import AGENT_LABELS
from feeds.bus.fields import channel_kind
from feeds.config import Config
from feeds.intraday.agent_day import AgentDay
from feeds.times import NO_VALUE, fmt_duration, fmt_time

# One colour per state, the timeline's legend: base.css's --state-* (as the wall and the floor
# show them; a Plotly figure cannot read CSS variables, so the values are written here).
STATE_COLOURS = {"available": "#3ddc84", "on_contact": "#4aa3ff", "wrap": "#ff9ad5",
                 "away": "#c7cdd3", "offline": "#8f99a4"}  # fmt: skip
assert set(STATE_COLOURS) == set(AGENT_LABELS)
STATES_ROW, CONTACTS_ROW = "States", "Contacts"


def _number(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _local(ts: float, config: Config) -> str:
    """A time for the figure's date axis: the centre's wall clock, without an offset."""
    return datetime.fromtimestamp(ts, config.tz).strftime("%Y-%m-%d %H:%M:%S")


def channel_text(channel: str) -> str:
    kind = channel_kind(channel)
    return f"{kind.icon} {kind.label}"


def state_text(state: str, reason: str) -> str:
    label = AGENT_LABELS.get(state, state)
    return f"{label} · {reason}" if reason else label


def timeline(day: AgentDay, config: Config) -> dict[str, Any]:
    """Two rows on the day's clock: the agent's states (a bar per span, coloured by state), and
    each contact from answer to end (to now while on it)."""
    traces = []
    for state, spans in day.states.groupby("state", sort=False):
        traces.append({
            "type": "bar", "orientation": "h", "name": AGENT_LABELS.get(state, state),
            "y": [STATES_ROW] * len(spans), "base": [_local(t, config) for t in spans["start"]],
            "x": [s * 1000 for s in spans["seconds"]],  # a date axis counts in milliseconds
            "marker": {"color": STATE_COLOURS.get(state, "#9db0c4")},
            "hovertext": [f"{state_text(state, r)} {fmt_duration(s)}"
                          for r, s in zip(spans["reason"], spans["seconds"], strict=True)],
            "hoverinfo": "text",
        })  # fmt: skip
    c = day.contacts[day.contacts["answered_at"].notna()]
    if len(c):
        ends = c["ended_at"].fillna(day.now).clip(upper=day.now)
        traces.append({
            "type": "bar", "orientation": "h", "name": "Contact", "showlegend": False,
            "y": [CONTACTS_ROW] * len(c), "base": [_local(t, config) for t in c["answered_at"]],
            "x": [max(0.0, e - a) * 1000 for a, e in zip(c["answered_at"], ends, strict=True)],
            "marker": {"color": "#e8edf2"}, "hoverinfo": "text",
            "hovertext": [f"{channel_text(ch)} {q}" for ch, q in
                          zip(c["channel"], c["queue"], strict=True)],
        })  # fmt: skip
    # From the hour the agent's day began (their first state or contact), not from midnight.
    first = min([*day.states["start"][:1], *day.contacts["offered_at"][:1]], default=day.now)
    start = _local(max(day.day.start, first - first % 3600), config)
    layout = {
        "barmode": "overlay", "height": 220, "margin": {"l": 80, "r": 20, "t": 10, "b": 40},
        "paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
        "font": {"color": "#e8edf2", "size": 14}, "legend": {"orientation": "h", "y": -0.25},
        "xaxis": {"type": "date", "range": [start, _local(day.now, config)],
                  "gridcolor": "#33404d"},
        "yaxis": {"categoryorder": "array", "categoryarray": [CONTACTS_ROW, STATES_ROW]},
    }  # fmt: skip
    return {"data": traces, "layout": layout}


def day_view(day: AgentDay, config: Config) -> dict[str, Any]:
    """Everything the page and the JSON route show of one agent's day, as text."""
    tz, now = config.tz, day.now
    names = {q.id: q.name for q in config.queues}
    s, c, a = day.states, day.contacts, day.acks
    in_state = s.groupby("state")["seconds"].sum()
    owed = int(a["acked_at"].isna().sum())
    return {
        "agent_id": day.agent.id,
        "name": day.agent.name,
        "team": day.agent.team or "",
        "day": day.day.text,
        "as_of": fmt_time(now, tz, now),
        "summary": {
            "contacts": str(len(c)),
            "handled": str(int(c["handle_time"].notna().sum())),
            "talk": fmt_duration(_number(c["handle_time"].sum()) if len(c) else None),
            **{state: fmt_duration(_number(in_state.get(state))) for state in STATE_COLOURS},
            "owed": str(owed),
        },
        "states": [
            {
                "state": state_text(r.state, r.reason),
                "key": r.state,
                "from": fmt_time(r.start, tz, now),
                "to": fmt_time(r.end, tz, now),
                "lasted": fmt_duration(r.seconds),
            }
            for r in s.itertuples()
        ],
        "contacts": [
            {
                "id": r.contact_id,
                "time": fmt_time(r.offered_at, tz, now),
                "channel": channel_text(r.channel),
                "queue": names.get(r.queue, r.queue),
                "waited": fmt_duration(_number(r.wait)),
                "handled": fmt_duration(_number(r.handle_time)),
                "outcome": r.outcome if isinstance(r.outcome, str) else NO_VALUE,
            }
            for r in c.itertuples()
        ],
        "acks": [
            {
                "id": r.message_id,
                "priority": r.priority,
                "text": r.text,
                "shown": fmt_time(r.starts_at, tz, now),
                "owed": bool(pd.isna(r.acked_at)),
                "acked": "not yet" if pd.isna(r.acked_at) else fmt_time(r.acked_at, tz, now),
            }
            for r in a.itertuples()
        ],
        "figure": timeline(day, config),
    }
