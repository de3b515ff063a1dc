"""One agent's day, as a supervisor opens it from the floor: contacts, states, acknowledgements.

A supervisor who sees an agent in wrap for seven minutes asks "how has their day been?": what
they handled, how long each took, when they were away and for how long, which key messages they
still owe an acknowledgement. All of it is what Redis already keeps:

* **contacts**: the legs of the day's contacts this agent answered or handled, from the contacts
  stream (:func:`feeds.intraday.export.day_legs`, the same legs the exports and rebuilds use);
* **states**: the agents stream (``<prefix>agents``: every agent item the bus took, written by
  the bus's one write script), read from before midnight so the state the agent was in when
  the day began is known; one span per state, from its ``since`` to the next one's;
* **acknowledgements**: the messages that asked this agent for one (their audience reaches
  them, :func:`feeds.notices.audience.reaches`) and were shown today, each with when they
  acknowledged it, or not yet.

Tables are pandas frames; times are epoch seconds (the view-model formats them).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.intraday.agent_streams import AgentStreams, mark
from feeds.intraday.export import STREAM_MARGIN, legs_of
from feeds.intraday.grid import Day
from feeds.intraday.store import IntradayStore
from feeds.notices.audience import Agent, Reader, reaches

STATE_MARGIN = 24 * 3600.0  # the state an agent began the day in was set up to this before it
STATE_COLUMNS = ["state", "reason", "start", "end", "seconds"]
CONTACT_COLUMNS = ["contact_id", "leg", "offered_at", "channel", "queue", "wait", "answered_at",
                   "ended_at", "handle_time", "outcome"]  # fmt: skip
ACK_COLUMNS = ["message_id", "priority", "text", "starts_at", "expires_at", "acked_at"]


@dataclass(frozen=True)
class AgentDay:
    """What a supervisor sees of one agent's day (each a frame of the columns above)."""

    agent: Agent  # who (name, team), as the centre knows them
    day: Day
    now: float
    states: pd.DataFrame
    contacts: pd.DataFrame
    acks: pd.DataFrame


def state_changes(entries: Iterable[tuple[float, bytes | str]], agent_id: str) -> pd.DataFrame:
    """The agent's states as the bus took them (state, reason, since), in the order taken.

    A superseded event (written with seq 0: the ordering rule kept a newer one) is not theirs.
    """
    rows = []
    own = mark("id", agent_id)
    for _written, raw in entries:
        if own not in (raw if isinstance(raw, bytes) else raw.encode()):
            continue  # another agent's: not parsed
        try:
            env = json.loads(raw)
            if env["id"] != agent_id or not env.get("seq") or env.get("kind", "agent") != "agent":
                continue
            d = env["data"]
            rows.append((d["state"], d.get("reason") or "", float(d["since"])))
        except (ValueError, KeyError, TypeError):
            continue  # not an agent item this code can read: the bus validated what it wrote
    return pd.DataFrame(rows, columns=["state", "reason", "since"])


def state_spans(changes: pd.DataFrame, start: float, end: float) -> pd.DataFrame:
    """One row per span in a state within ``[start, end)``: a change of stats only (same state,
    reason and since) is no new span; each lasts until the next one's ``since``."""
    c = changes.drop_duplicates(["state", "reason", "since"]).sort_values("since", kind="stable")
    c = c[c["state"].ne(c["state"].shift()) | c["reason"].ne(c["reason"].shift())]
    spans = c.assign(end=c["since"].shift(-1).fillna(end))
    spans = spans.assign(start=spans["since"].clip(lower=start), end=spans["end"].clip(upper=end))
    spans = spans[spans["end"] > spans["start"]]
    spans = spans.assign(seconds=spans["end"] - spans["start"])
    return spans.reindex(columns=STATE_COLUMNS).reset_index(drop=True)


def agent_contacts(legs: pd.DataFrame, agent_id: str) -> pd.DataFrame:
    """The day's legs this agent answered or handled, in the order they were offered; the
    outcome as the agent recorded it, else how the leg stands (answered: still on it)."""
    mine = legs[legs["agent_id"] == agent_id]
    handled = mine["handled"] > 0
    return mine.assign(
        contact_id=mine["id"],
        offered_at=mine["enqueued_at"],
        handle_time=mine["handle_time"].where(handled),
        outcome=mine["outcome"].where(mine["outcome"].notna(), mine["state"].where(~handled,
                                                                                  "completed")),
    ).reindex(columns=CONTACT_COLUMNS).reset_index(drop=True)  # fmt: skip


def ack_table(
    messages: Iterable[Envelope], acks: Mapping[str, Envelope], agent: Agent, day: Day, now: float
) -> pd.DataFrame:
    """The messages that asked ``agent`` for an acknowledgement and were shown today (started
    by now, not expired before the day began): owed ones first, then by start."""
    rows = []
    reader = Reader(agent=agent)
    for m in messages:
        d = m.data
        shown = (d.get("starts_at") or m.ts) <= now and d["expires_at"] > day.start
        if not d["ack_required"] or not shown or not reaches(d["audience"], reader):
            continue
        ack = acks.get(f"{m.id}:{agent.id}")
        rows.append((m.id, d["priority"], d["text"], d.get("starts_at") or m.ts, d["expires_at"],
                     ack.data["at"] if ack is not None else None))  # fmt: skip
    table = pd.DataFrame(rows, columns=ACK_COLUMNS)
    return table.sort_values(["acked_at", "starts_at"], na_position="first", kind="stable",
                             ignore_index=True)  # fmt: skip


def read_agent_day(
    bus: Bus,
    config: Config,
    agent_id: str,
    now: float,
    agents: Mapping[str, Agent],
    streams: AgentStreams | None = None,
) -> AgentDay:
    """Today (the centre's) of ``agent_id`` as Redis keeps it now. ``agents``: every agent the
    centre knows (:meth:`feeds.notices.messages.Messages.agents`), for their audiences.
    ``streams``: the process's shares of the streams, read again only from where they were
    last read (without: the day's streams are read whole)."""
    day = IntradayStore(bus, config).day(now)
    mine, changes = (streams or AgentStreams()).read(
        bus, agent_id, day.start, day.start - STREAM_MARGIN, day.start - STATE_MARGIN
    )
    states = state_spans(state_changes(changes, agent_id), day.start, min(now, day.end))
    contacts = agent_contacts(legs_of(mine, config, day), agent_id)
    _, state = bus.snapshot(("message", "ack"))
    agent = agents.get(agent_id) or Agent(agent_id, agent_id)
    acks = ack_table(state.get("message", {}).values(), state.get("ack", {}), agent, day, now)
    return AgentDay(agent, day, now, states, contacts, acks)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON-ready rows (missing values as null)."""
    return json.loads(frame.to_json(orient="records"))
