"""The charts' view-models, in-process: a chart's day and now items from the bus's items, the
forecast laid under the actuals, the wall's chart tiles' keys, and an agent's own day."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dashboard.pages.charts.model import Chart, agent_day_item
from dashboard.pages.wall.model import WallView
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.intraday.grid import Day
from feeds.intraday.hours import Hours
from feeds.intraday.series import Series, scope

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 24, 10, 20, tzinfo=LONDON).timestamp()


@pytest.fixture(scope="module")
def config():
    return load_config("floorboard.toml")


def env(kind, item_id, data, ts=NOW, seq=1):
    return make_envelope(kind, item_id, data, ts=ts, source="t").model_copy(update={"seq": seq})


def test_a_chart_lays_the_moving_intervals_over_the_day_and_the_plan_under_both(config):
    day = Day.of(NOW, config.tz, 900)
    at = {h: day.start + h * 3600 for h in (9, 10)}
    rows = [
        {"start": at[9], "offered": 10, "answered": 9, "answered_in_threshold": 8},
        {"start": at[9] + 900, "offered": 4, "answered": 4, "answered_in_threshold": 4},
    ]
    plan = [{"start": at[9], "forecast_volume": 12.5, "forecast_aht": 300,
             "forecast_required": 5},
            {"start": at[10] + 900, "forecast_volume": 20.0, "forecast_aht": 300,
             "forecast_required": 7}]  # fmt: skip
    moving = [{"start": at[10], "offered": 3, "answered": 2, "answered_in_threshold": 1}]
    mirror = {
        "intraday": {"queue:billing": env("intraday", "queue:billing",
                                          {"day": day.text, "step": 900, "rows": rows}),
                     "forecast:billing": env("intraday", "forecast:billing",
                                             {"day": day.text, "step": 900, "rows": plan})},
        "queue": {"billing": env("queue", "billing", {"waiting": 0, "intervals": moving},
                                 ts=NOW - 1)},
    }  # fmt: skip
    chart = Chart(config, "sl", Series(scope(config, "queue:billing")))
    # A point: its slot, then offered, forecast volume, service level, target (KINDS["sl"]).
    closed = {p[0]: p[1:] for p in chart.day_item(mirror, NOW)["points"]}
    assert closed[36] == [10, 12.5, 0.889, 0.8]
    assert closed[37] == [4, None, 1.0, 0.8]
    assert closed[41] == [None, 20.0, None, 0.8]  # the plan alone, ahead
    now = chart.now_item(mirror, NOW)
    assert now["points"] == [[40, 3, None, 0.5, 0.8]]
    # The points are kept until the queue's item is replaced, shared by the scope's charts.
    staffing = Chart(config, "staffing", chart.series)
    assert staffing.now_item(mirror, NOW)["points"] == []  # no staffing figures in the rows
    more = [{**moving[0], "offered": 4, "staffed_time": 900.0 * 3, "required": 2}]
    mirror["queue"]["billing"] = env("queue", "billing", {"waiting": 0, "intervals": more})
    assert chart.now_item(mirror, NOW)["points"] == [[40, 4, None, 0.5, 0.8]]
    assert staffing.now_item(mirror, NOW)["points"] == [[40, None, 2]]
    assert now["ts"] == NOW - 1 and now["stale_after"] == config.centre.stale_after
    assert chart.watches_now(mirror["queue"]["billing"])
    assert not chart.watches_now(env("queue", "faults", {}))
    assert chart.watches_day(mirror["intraday"]["forecast:billing"])


def test_a_board_with_chart_tiles_has_two_items_per_chart(config):
    view = WallView(config, config.board("day"))
    assert {"sl_chart", "sl_chart:now", "staffing_chart", "staffing_chart:now"} <= set(view.keys())
    queue = env("queue", "billing", {"waiting": 1})
    assert {"sl_chart:now", "staffing_chart:now"} <= view.affected(queue)
    day = env("intraday", "queue:moving", {"day": "2026-11-24", "step": 900, "rows": []})
    assert view.affected(day) == {"sl_chart", "staffing_chart"}
    assert view.affected(env("intraday", "queue:chat", day.data)) == set()  # not on the board


def test_an_agents_day_is_handled_per_hour_and_aht_against_the_team(config):
    hours = Hours(config)
    team = {"name": "Ann", "team": "North", "skills": ["billing"], "state": "available",
            "since": NOW}  # fmt: skip
    hours.apply(env("agent", "a1", team), NOW)
    hours.apply(env("agent", "a2", {**team, "name": "Bob"}), NOW)
    day = Day.of(NOW, config.tz, 3600)
    for n, (agent, at, handle) in enumerate([("a1", 9.2, 300), ("a1", 9.5, 420), ("a2", 9.7, 600),
                                             ("a1", 10.1, 240)]):  # fmt: skip
        t = day.start + at * 3600
        done = {
            "event": "completed",
            "queue": "billing",
            "channel": "voice",
            "customer_id": "k",
            "enqueued_at": t,
            "answered_at": t,
            "ended_at": t + handle,
            "agent_id": agent,
            "talk": handle,
        }
        hours.apply(env("contact", f"c{n}", done, ts=t + handle), t + handle)
    published = {e.id: e for e in hours.envelopes(NOW, "t")}
    mirror = {"intraday": published, "agent": {"a1": env("agent", "a1", team)}}
    got = agent_day_item(config, "a1", mirror, NOW)
    assert got["points"] == [[9, 2, 6.0, 7.3], [10, 1, 4.0, 4.0]]  # handled, aht, team_aht
    assert got["ts"] is None  # no age: an agent between contacts is not stale
