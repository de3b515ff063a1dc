"""Supervisor alerts as watches (feeds/alerts.py): pure functions, no server."""

from __future__ import annotations

from pathlib import Path

from dashboard.pages.console.model import ALERTS, ConsoleView
from feeds.alerts import AGENTS_WATCHED, agent_watches, queue_watches, watches
from feeds.bus.schema import make_envelope
from feeds.config import load_config, parse_config

NOW = 1_763_900_000.0
CONFIG = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")


def stats(queue: str, **data: object):
    return make_envelope("queue", queue, data, ts=NOW)


def agent(aid: str, state: str, ago: float, reason: str | None = None):
    data = {"name": f"Agent {aid}", "state": state, "since": NOW - ago, "reason": reason,
            "team": "North", "skills": ["billing"]}  # fmt: skip
    return make_envelope("agent", aid, data, ts=NOW)


def test_a_long_wait_is_watched_against_the_queues_own_alert_level() -> None:
    found = queue_watches(CONFIG, {"billing": stats("billing", longest_wait_since=NOW - 10)})
    assert found == [{"id": "wait:billing", "kind": "wait", "since": NOW - 10, "after": 150,
                      "text": "Billing: longest wait over 2:30"}]  # fmt: skip
    assert queue_watches(CONFIG, {"billing": stats("billing")}) == []  # nobody waiting


def test_service_level_alerts_only_under_target_two_intervals_running() -> None:
    def sl(last, before):
        data = {"service_level_15m": last, "service_level_prev_15m": before}
        return queue_watches(CONFIG, {"billing": stats("billing", **data)})

    assert sl(0.7, 0.75)[0]["text"] == (
        "Billing: service level under its 80% target two intervals running (75%, then 70%)"
    )
    assert sl(0.7, 0.75)[0]["after"] == 0
    assert sl(0.7, 0.85) == [] and sl(0.85, 0.7) == [] and sl(None, 0.5) == []


def test_agents_nearest_their_limit_are_watched_soonest_first() -> None:
    agents = [agent("a1", "wrap", 10), agent("a2", "away", 100, "lunch"),
              agent("a3", "available", 9e3), agent("a4", "wrap", 400)]  # fmt: skip
    found = agent_watches(CONFIG, agents)
    assert [w["id"] for w in found] == ["agent:a4", "agent:a1", "agent:a2"]
    assert found[0]["after"] == 300 and found[0]["text"] == "Agent a4: wrap over 5:00"
    assert found[2]["after"] == 2100 and found[2]["text"] == "Agent a2: lunch over 35:00"
    many = [agent(f"b{i:03d}", "wrap", i) for i in range(100)]
    assert len(agent_watches(CONFIG, many)) == AGENTS_WATCHED
    assert agent_watches(CONFIG, many)[0]["id"] == "agent:b099"  # the longest in wrap


def test_rules_and_the_sound_follow_the_config() -> None:
    base = {"queues": [{"id": "q", "name": "Q"}], "boards": [{"id": "b", "title": "B"}]}
    quiet = parse_config({**base, "floor": {"alerts": {"longest_wait": 30, "agent_state": False,
                                                       "sound": False}}})  # fmt: skip
    found = watches(quiet, {"q": stats("q", longest_wait_since=NOW)}, [agent("a", "wrap", 999)])
    assert [w["id"] for w in found["list"]] == ["wait:q"] and found["list"][0]["after"] == 30
    assert found["sound"] is False


def test_the_console_recomputes_alerts_on_queue_and_agent_changes() -> None:
    view = ConsoleView(CONFIG, dict)
    assert ALERTS in view.affected(stats("billing")) and ALERTS in view.affected(
        agent("a", "wrap", 1)
    )
    mirror = {"queue": {"billing": stats("billing", longest_wait_since=NOW - 10)}}
    assert view.compute(ALERTS, mirror, NOW)["list"][0]["id"] == "wait:billing"
