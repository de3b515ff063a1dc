"""One agent's day (feeds/intraday/agent_day.py) from what Redis keeps, and its view-model."""

from __future__ import annotations

import re
import time
from typing import Any

import pandas as pd

from dashboard.pages.agentday.model import day_view
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.intraday.agent_day import read_agent_day, state_spans
from feeds.notices.messages import Messages

NOW = time.time()


def agent(bus: Bus, agent_id: str, state: str, ago: float, reason: str | None = None,
          handled: int = 0, ts_ago: float | None = None, team: str = "North") -> int:  # fmt: skip
    data = {"name": f"Agent {agent_id}", "state": state, "since": NOW - ago, "team": team,
            "skills": ["billing"], "reason": reason, "stats": {"handled": handled}}  # fmt: skip
    at = NOW - (ago if ts_ago is None else ts_ago)
    return bus.publish(make_envelope("agent", agent_id, data, ts=at, source="t"), now=NOW)


def contact(bus: Bus, cid: str, event: str, agent_id: str, ago: float, **extra: Any) -> None:
    data: dict[str, Any] = {
        "event": event, "queue": "billing", "channel": "voice", "customer_id": "AC1",
        "enqueued_at": NOW - ago, "agent_id": agent_id, "answered_at": NOW - ago + 30, **extra,
    }  # fmt: skip
    if event == "completed":
        data |= {"ended_at": NOW - ago + 300, "talk": 200.0, "wrap": 40.0}
    bus.publish(make_envelope("contact", cid, data, ts=NOW - ago + 31, source="t"), now=NOW)


def test_an_agents_day_from_the_streams_and_the_messages(bus: Bus, make_config) -> None:
    config = load_config(make_config(bus.prefix))
    agent(bus, "a01", "available", 1500)
    agent(bus, "a01", "on_contact", 1200)
    agent(bus, "a01", "on_contact", 1200, handled=1, ts_ago=1190)  # stats only: no new span
    agent(bus, "a02", "away", 1000, team="South")  # someone else's
    agent(bus, "a01", "wrap", 900)
    agent(bus, "a01", "away", 600, reason="Lunch")
    assert agent(bus, "a01", "offline", 5000, ts_ago=5000) == 0  # superseded: not their day
    agent(bus, "a01", "available", 100)
    contact(bus, "c1", "completed", "a01", 1230, outcome="Refund agreed")
    contact(bus, "c2", "answered", "a01", 200)
    contact(bus, "c3", "completed", "a02", 800)
    messages = Messages(bus, config)
    owed = messages.post({"text": "Read the new script", "ack_required": True}, "sam")["id"]
    done = messages.post({"text": "Fire drill at 3", "ack_required": True}, "sam")["id"]
    messages.post({"text": "South only", "ack_required": True,
                   "audience": {"kind": "team", "value": "South"}}, "sam")  # fmt: skip
    messages.post({"text": "No ack asked", "ack_required": False}, "sam")
    messages.ack(done, "a01", "a01")

    later = time.time()  # the messages were posted after NOW
    day = read_agent_day(bus, config, "a01", later, messages.agents(bus.client))

    spans = day.states
    assert list(spans["state"]) == ["available", "on_contact", "wrap", "away", "available"]
    assert list(spans["seconds"].round()) == [300, 300, 300, 500, round(later - NOW + 100)]
    assert spans.loc[3, "reason"] == "Lunch" and spans["end"].iloc[-1] == later
    c = day.contacts
    assert list(c["contact_id"]) == ["c1", "c2"]
    assert list(c["outcome"]) == ["Refund agreed", "answered"]
    assert c.loc[0, "handle_time"] == 240 and pd.isna(c.loc[1, "handle_time"])
    assert list(c["wait"].round()) == [30, 30]
    assert list(day.acks["message_id"]) == [owed, done]  # what they owe first
    assert pd.isna(day.acks.loc[0, "acked_at"]) and day.acks.loc[1, "acked_at"] > 0

    view = day_view(day, config)
    assert [r["state"] for r in view["states"]] == ["Available", "On contact", "Wrap-up",
                                                    "Away · Lunch", "Available"]  # fmt: skip
    assert view["summary"]["handled"] == "1" and view["summary"]["owed"] == "1"
    row = view["contacts"][0]
    assert (row["channel"], row["queue"], row["waited"], row["handled"], row["outcome"]) == (
        "☎\ufe0e Voice",
        "Billing",
        "0:30",
        "4:00",
        "Refund agreed",
    )
    bars = view["figure"]["data"]
    assert {b["name"] for b in bars} == {"Available", "On contact", "Wrap-up", "Away", "Contact"}
    assert len(bars[-1]["base"]) == 2  # c1 and c2, from their answer
    assert view["acks"][0]["acked"] == "not yet" and view["acks"][1]["acked"] != "not yet"


def test_a_day_without_anything_yet_and_spans_cut_at_the_day() -> None:
    empty = pd.DataFrame(columns=["state", "reason", "since"])
    assert state_spans(empty, 100.0, 200.0).empty
    changes = pd.DataFrame({"state": ["away", "available"], "reason": ["", ""],
                            "since": [50.0, 150.0]})  # fmt: skip
    spans = state_spans(changes, 100.0, 200.0)  # away since before midnight: from midnight
    assert list(spans["start"]) == [100.0, 150.0] and list(spans["seconds"]) == [50.0, 50.0]


def test_the_timeline_draws_each_state_in_base_css_colour() -> None:
    """The figure cannot read CSS variables: its colours are base.css's --state-*, kept equal."""
    from pathlib import Path

    from dashboard.pages.agentday.model import STATE_COLOURS

    css = (Path(__file__).resolve().parent.parent / "assets" / "base.css").read_text()
    declared = dict(re.findall(r"--state-(\w+):\s*([^;]+);", css))
    good = re.search(r"--good:\s*([^;]+);", css).group(1)
    declared = {k: good if v == "var(--good)" else v for k, v in declared.items()}
    assert declared == STATE_COLOURS


def _legs(day: Any) -> list[tuple]:
    return [tuple(r) for r in day.contacts.fillna(-1).itertuples(index=False)]


def test_a_day_read_again_takes_only_what_is_new_and_equals_the_whole_day(
    bus: Bus, make_config
) -> None:
    """The process keeps each agent's share of the streams (feeds.intraday.agent_streams):
    built again after more events, the day equals the whole day's legs read from scratch."""
    from feeds.intraday.agent_day import agent_contacts
    from feeds.intraday.agent_streams import AgentStreams
    from feeds.intraday.export import day_legs
    from feeds.intraday.store import IntradayStore

    config = load_config(make_config(bus.prefix))
    streams = AgentStreams()
    agent(bus, "a01", "available", 2000)
    contact(bus, "c1", "completed", "a01", 1500, outcome="Sorted")
    contact(bus, "c2", "answered", "a02", 1400)  # someone else's
    first = read_agent_day(bus, config, "a01", NOW, {}, streams)
    assert list(first.contacts["contact_id"]) == ["c1"]

    offered = {"event": "offered", "queue": "billing", "channel": "voice", "customer_id": "AC9",
               "enqueued_at": NOW - 700}  # fmt: skip
    bus.publish(make_envelope("contact", "c3", offered, ts=NOW - 700, source="t"), now=NOW)
    contact(bus, "c3", "answered", "a01", 700)  # offered before it named them, then theirs
    contact(bus, "c3", "completed", "a01", 700, outcome="Moved", leg=1)
    moved = {**offered, "event": "answered", "leg": 2, "queue": "faults", "agent_id": "a02",
             "enqueued_at": NOW - 300, "answered_at": NOW - 280}  # fmt: skip
    bus.publish(make_envelope("contact", "c3", moved, ts=NOW - 280, source="t"), now=NOW)
    contact(bus, "c4", "answered", "a01", 100)
    contact(bus, "c2", "completed", "a02", 1400)
    agent(bus, "a01", "on_contact", 100)
    agent(bus, "a02", "away", 50)

    again = read_agent_day(bus, config, "a01", NOW, {}, streams)
    whole = read_agent_day(bus, config, "a01", NOW, {})  # a fresh process: the day read whole
    store = IntradayStore(bus, config)
    legs = agent_contacts(day_legs(store, config, bus.contacts_key, store.day(NOW)), "a01")
    assert list(again.contacts["contact_id"]) == ["c1", "c3", "c4"]
    assert _legs(again) == _legs(whole) == [tuple(r) for r in legs.fillna(-1).itertuples(
        index=False)]  # fmt: skip
    assert list(again.states["state"]) == list(whole.states["state"]) == [
        "available", "on_contact"]  # fmt: skip


def test_a_redis_put_back_is_read_again_from_the_start(bus: Bus, make_config) -> None:
    """A flush or restore puts the bus's sequence number back: the kept shares are not used."""
    from feeds.intraday.agent_streams import AgentStreams

    config = load_config(make_config(bus.prefix))
    streams = AgentStreams()
    contact(bus, "c1", "completed", "a01", 1500)
    contact(bus, "c2", "completed", "a01", 1000)
    assert len(read_agent_day(bus, config, "a01", NOW, {}, streams).contacts) == 2
    for key in bus.client.scan_iter(f"{bus.prefix}*"):
        bus.client.delete(key)
    contact(bus, "c9", "completed", "a01", 500)
    day = read_agent_day(bus, config, "a01", NOW, {}, streams)
    assert list(day.contacts["contact_id"]) == ["c9"]


def test_a_new_day_lets_the_shares_of_earlier_days_go(bus: Bus, make_config) -> None:
    """Only today's day is read: an earlier day's shares would hold their entries for nothing."""
    from feeds.intraday.agent_streams import AgentStreams

    config = load_config(make_config(bus.prefix))
    streams = AgentStreams()
    contact(bus, "c1", "completed", "a01", 1500)
    read_agent_day(bus, config, "a01", NOW, {}, streams)
    read_agent_day(bus, config, "a02", NOW, {}, streams)
    assert {k[2] for k in streams._shares} == {"a01", "a02"}
    tomorrow = read_agent_day(bus, config, "a01", NOW + 86400, {}, streams)
    assert [k[2:] for k in streams._shares] == [("a01", tomorrow.day.start)]
