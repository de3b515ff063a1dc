"""View-models: formatting, threshold status, and what each view item includes."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.pages.items import (
    agents_summary,
    feeding_sources,
    fmt_percent,
    message_ticker,
    outage_band,
    queue_tile,
    source_entry,
)
from dashboard.pages.streams import view_factory
from dashboard.pages.wall.model import WallView
from feeds.adapters.producer import heartbeat
from feeds.bus.schema import make_envelope
from feeds.config import load_config

NOW = 1_763_900_000.0
CONFIG = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")
BILLING = CONFIG.queue("billing")  # waiting 4/8, longest 60/150, SL 0.80/0.65, ASA 20/45


def stats(**data: object) -> object:
    return make_envelope("queue", "billing", data, ts=NOW)


def test_fmt_percent() -> None:
    assert (fmt_percent(None), fmt_percent(0.8), fmt_percent(0.0421, 1)) == ("—", "80%", "4.2%")


def test_tile_without_data_shows_dashes_and_no_age() -> None:
    tile = queue_tile(BILLING, None, None, 30)
    assert tile["ts"] is None and tile["status"] == "ok"
    assert tile["fields"]["waiting"]["text"] == "—"
    assert tile["timers"]["longest"]["since"] is None


@pytest.mark.parametrize(
    ("data", "field", "text", "status"),
    [
        ({"waiting": 3}, "waiting", "3", "ok"),
        ({"waiting": 4}, "waiting", "4", "warn"),
        ({"waiting": 8}, "waiting", "8", "alert"),
        ({"service_level": 0.9}, "sl", "90%", "ok"),
        ({"service_level": 0.7}, "sl", "70%", "warn"),
        ({"service_level": 0.8}, "sl", "80%", "ok"),  # exactly on target: not amber
        ({"service_level": 0.65}, "sl", "65%", "warn"),  # on the alert level: meets it
        ({"service_level": 0.64}, "sl", "64%", "alert"),
        ({"asa": 19}, "asa", "0:19", "ok"),
        ({"asa": 50}, "asa", "0:50", "alert"),
        ({"abandon_rate": 0.061}, "abandon", "6.1%", "warn"),
        ({"abandon_rate": 0.2}, "abandon", "20.0%", "alert"),
    ],
)
def test_tile_fields_carry_threshold_status(data: dict, field: str, text: str, status: str) -> None:
    tile = queue_tile(BILLING, stats(**data), None, 30)
    assert tile["fields"][field] == {**tile["fields"][field], "text": text, "status": status}
    assert tile["status"] == status  # the only non-ok field decides the tile


def test_tile_status_is_the_worst_including_longest_wait() -> None:
    tile = queue_tile(BILLING, stats(waiting=1, longest_wait_since=NOW - 200), None, 30)
    assert tile["fields"]["waiting"]["status"] == "ok"
    assert tile["status"] == "alert"  # 200 s waited > 150 s alert
    assert tile["timers"]["longest"] == {"since": NOW - 200, "warn": 60, "alert": 150}
    assert tile["ts"] == NOW and tile["stale_after"] == 30
    assert tile["fields"]["sl"]["target"] == "80%"


def test_tile_shows_delay_reason_with_expected_wait() -> None:
    data = {"queue": "billing", "reason": "Storm damage", "expected_wait": 480}
    data["expires_at"] = NOW + 60
    delay = make_envelope("delay", "billing", data, ts=NOW)
    field = queue_tile(BILLING, stats(), delay, 30)["fields"]["delay"]
    assert field == {"text": "Storm damage · expect 8:00", "status": "warn", "until": NOW + 60}


def agent(aid: str, state: str, skills: list[str]) -> object:
    data = {"name": aid, "state": state, "since": NOW, "skills": skills}
    return make_envelope("agent", aid, data, ts=NOW)


def test_agents_summary_counts_only_agents_skilled_for_the_board() -> None:
    agents = [
        agent("a1", "available", ["billing"]),
        agent("a2", "on_contact", ["billing", "chat"]),
        agent("a3", "away", ["email"]),
        agent("a4", "wrap", ["chat"]),
    ]
    item = agents_summary(agents, ["billing", "chat"], waiting=0)
    counts = {k: v["text"] for k, v in item["fields"].items()}
    assert counts == {"available": "1", "on_contact": "1", "wrap": "1", "away": "0", "offline": "0"}
    assert item["status"] == "ok"


def test_no_agent_available_while_callers_wait_is_an_alert() -> None:
    item = agents_summary([agent("a1", "on_contact", ["billing"])], ["billing"], waiting=2)
    assert item["fields"]["available"]["status"] == "alert"


def outage(oid: str, severity: str, queues: list[str], started: float, status: str = "identified"):
    data = {"service": oid, "severity": severity, "status": status, "queues": queues,
            "started_at": started, "customer_wording": f"{oid} wording"}  # fmt: skip
    return make_envelope("outage", oid, data, ts=started)


def test_outage_band_most_severe_first_and_only_relevant_active_outages() -> None:
    outages = [
        outage("minor-new", "minor", ["billing"], NOW),
        outage("critical", "critical", ["faults"], NOW - 100),
        outage("major-old", "major", [], NOW - 50),  # no queues: the whole centre
        outage("major-new", "major", ["billing"], NOW - 10),
        outage("elsewhere", "critical", ["email"], NOW),
        outage("resolved", "critical", ["billing"], NOW, status="resolved"),
    ]
    item = outage_band(outages, ["billing", "faults"])
    assert [e["id"] for e in item["list"]] == ["critical", "major-new", "major-old", "minor-new"]
    assert item["status"] == "alert"
    assert item["list"][0]["wording"] == "critical wording"
    assert outage_band([], ["billing"])["status"] == "ok"


def message(mid: str, priority: str, audience: dict, posted: float, expires: float = NOW + 600):
    data = {"text": mid, "priority": priority, "audience": audience, "expires_at": expires}
    return make_envelope("message", mid, data, ts=posted)


def test_ticker_orders_by_priority_then_newest_and_filters_audience_and_expiry() -> None:
    msgs = [
        message("info-new", "info", {"kind": "all"}, NOW),
        message("urgent", "urgent", {"kind": "queue", "value": "billing"}, NOW - 100),
        message("info-old", "info", {"kind": "all"}, NOW - 50),
        message("other-queue", "urgent", {"kind": "queue", "value": "email"}, NOW),
        message("team", "urgent", {"kind": "team", "value": "North"}, NOW),
        message("expired", "urgent", {"kind": "all"}, NOW - 900, expires=NOW - 1),
    ]
    item = message_ticker(msgs, ["billing"], NOW)
    assert [e["id"] for e in item["list"]] == ["urgent", "info-new", "info-old"]


def test_wall_view_routes_changes_to_the_items_they_touch() -> None:
    view = view_factory(CONFIG)("wall", {"board": "voice"}, None)
    assert isinstance(view, WallView)
    assert view.affected(stats()) == {"tile:billing", "agents"}
    assert view.affected(make_envelope("queue", "chat", {}, ts=NOW)) == set()  # not on board
    assert view.affected(agent("a1", "available", [])) == {"agents"}
    assert view.affected(message("m", "info", {"kind": "all"}, NOW)) == {"messages", "bands"}
    assert view.affected(outage("o", "major", [], NOW)) == {"bands"}  # no outage tile: the band
    beat = heartbeat("pbx", NOW, 5.0, 1.0)  # its producer may feed any queue tile
    assert view.affected(beat) == {"tile:billing", "tile:faults", "tile:moving"}
    assert view.keys() == ["tile:billing", "tile:faults", "tile:moving", "agents", "messages",
                           "bands"]  # fmt: skip


@pytest.mark.parametrize(
    ("view", "params", "error"),
    [("wall", {"board": "nope"}, "board: unknown board 'nope'"), ("tv", {}, "view: unknown view")],
)
def test_unknown_views_are_refused_naming_the_parameter(
    view: str, params: dict, error: str
) -> None:
    with pytest.raises(LookupError, match=error):
        view_factory(CONFIG)(view, params, None)


def test_a_source_entry_carries_when_it_goes_late_and_down_and_whether_it_is_cut_off() -> None:
    entry = source_entry(heartbeat("asterisk", NOW, 5.0, 12.0, connected=True))
    assert entry == {"name": "asterisk", "seen": NOW, "late_at": NOW + 10, "down_at": NOW + 25,
                     "cut_off": False}  # fmt: skip
    assert source_entry(heartbeat("asterisk", NOW, 5.0, 0.0, connected=False))["cut_off"]
    assert not source_entry(heartbeat("csv-replay", NOW, 5.0, 0.0))["cut_off"]  # no upstream


def test_a_tile_stands_on_its_publisher_and_the_producers_it_aggregates() -> None:
    beats = {
        "aggregate": heartbeat("aggregate", NOW, 5.0, 2.0, follows=["connect", "gone"]),
        "connect": heartbeat("connect", NOW - 100, 60.0, 40.0),
        "simulator": heartbeat("simulator", NOW, 5.0, 9.0),
    }
    published = make_envelope("queue", "billing", {"waiting": 2}, ts=NOW, source="aggregate")
    chain = feeding_sources(published, beats)
    assert [s["name"] for s in chain] == ["aggregate", "connect"]  # "gone" never heartbeat
    assert chain[1]["late_at"] == NOW - 100 + 120
    tile = queue_tile(BILLING, published, None, 60, chain)
    assert [s["name"] for s in tile["sources"]] == ["aggregate", "connect"]
    by_test = make_envelope("queue", "billing", {"waiting": 2}, ts=NOW, source="test")
    assert feeding_sources(by_test, beats) == []  # a publisher with no heartbeat: none
    assert feeding_sources(None, beats) == []
    assert queue_tile(BILLING, None, None, 60)["sources"] == []
