"""The wall's tile types without a server: one config name, one view-model and one renderer
each, and what each view-model makes of the bus state (staffing from hand-made envelopes with
issue 10's fields, since producers may not send them yet)."""

from __future__ import annotations

import re
import time
from pathlib import Path

from dashboard.pages.streams import view_factory
from dashboard.pages.wall.model import MODELS, WallView, agent_grid, staffing
from dashboard.pages.wall.tiles import VIEWS
from feeds.boards import TILES
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import load_config, parse_config
from feeds.live_config import LiveConfig

ROOT = Path(__file__).resolve().parent.parent
CONFIG = load_config(ROOT / "floorboard.toml")
NOW = time.time()


def test_every_tile_type_has_a_config_name_a_view_model_and_a_renderer() -> None:
    assert set(TILES) - {"queues"} == set(MODELS) == set(VIEWS)  # "queues" expands to "queue"
    scripts = ("dashboard/pages/wall/wall.js", "dashboard/pages/wall/alerts.js",
               "dashboard/pages/charts/charts.js")  # fmt: skip
    found = [re.findall(r'renderers\["([\w-]+)"\]', (ROOT / p).read_text()) for p in scripts]
    registered = {name for names in found for name in names}
    drawn = {v.renderer for v in VIEWS.values() if v.renderer}
    assert drawn <= registered and "wall-bands" in registered
    assert {name for name, m in MODELS.items() if m.compute is None} == {
        name for name, v in VIEWS.items() if v.renderer is None
    }  # a tile with no item has no renderer, and the other way round


def agent(aid: str, state: str, team: str, since: float, skills=("billing",), reason=None):
    data = {"name": f"Agent {aid}", "state": state, "since": since, "team": team,
            "skills": list(skills), "reason": reason}  # fmt: skip
    return make_envelope("agent", aid, data, ts=since)


def test_agent_grid_shows_who_is_on_shift_ready_first_then_longest_in_state() -> None:
    agents = [
        agent("a1", "on_contact", "North", NOW - 30),
        agent("a2", "available", "North", NOW - 10),
        agent("a3", "away", "North", NOW - 900, reason="lunch"),
        agent("a4", "offline", "North", NOW - 5000),
        agent("a5", "available", "North", NOW - 100),
        agent("a6", "available", "South", NOW - 50, skills=("email",)),
    ]
    grid = agent_grid(agents, ["billing"])
    assert [a["id"] for a in grid["list"]] == ["a5", "a2", "a1", "a3"]
    away = grid["list"][-1]
    assert (away["label"], away["reason"], away["since"]) == ("Away", "lunch", NOW - 900)


def queue(qid: str, **staffing_fields):
    data = {"waiting": 3, "staffing": staffing_fields} if staffing_fields else {"waiting": 3}
    # Hand-made: the bus's schema takes ``staffing`` once issue 10's metrics land.
    return Envelope(kind="queue", id=qid, ts=NOW, data=data)


def test_staffing_says_who_is_short_from_issue_10s_fields() -> None:
    stats = {
        "billing": queue(
            "billing", required=12, agents=10, agents_effective=9.0, gap=3, projected_sl=0.55
        ),
        "faults": queue("faults", required=6, agents=7, gap=-1, projected_sl=0.92),
        "moving": queue("moving", required=4, agents=4, gap=0, projected_sl=0.81),
        "chat": queue("chat"),  # a feed without staffing figures
    }
    tile = staffing(CONFIG, ["billing", "faults", "moving", "chat"], stats)
    rows = {r["id"]: r for r in tile["list"]}
    assert (rows["billing"]["text"], rows["billing"]["status"]) == ("needs 3 more", "alert")
    assert rows["billing"]["detail"] == "9 working, 12 needed · SL 55%"  # blended: by share
    assert rows["faults"]["detail"] == "7 working, 6 needed · SL 92%"  # no share given
    assert (rows["faults"]["text"], rows["faults"]["status"]) == ("1 spare", "ok")
    assert rows["moving"]["text"] == "staffed"
    assert (rows["chat"]["text"], rows["chat"]["detail"]) == ("—", "no staffing figures")
    assert tile["fields"]["short"] == {"text": "3", "status": "alert"}
    assert tile["status"] == "alert" and tile["ts"] == NOW
    short_but_on_target = staffing(CONFIG, ["moving"], {"moving": queue(
        "moving", required=5, agents=4, gap=1, projected_sl=0.79)})  # fmt: skip
    assert short_but_on_target["list"][0]["status"] == "warn"
    nothing = staffing(CONFIG, ["chat"], {})
    assert nothing["fields"]["short"]["text"] == "—" and nothing["ts"] is None


def outage(oid: str, severity: str, queues: list[str]):
    data = {"service": oid, "severity": severity, "status": "identified", "queues": queues,
            "started_at": NOW, "customer_wording": "Sorry"}  # fmt: skip
    return make_envelope("outage", oid, data, ts=NOW)


def message(mid: str, priority: str, audience: dict):
    data = {"text": mid, "priority": priority, "audience": audience, "expires_at": NOW + 600}
    return make_envelope("message", mid, data, ts=NOW)


def mirror(*envs: Envelope) -> dict:
    out: dict = {}
    for env in envs:
        out.setdefault(env.kind, {})[env.id] = env
    return out


def test_bands_hold_urgent_messages_then_outages_naming_the_queues_they_hit() -> None:
    view = view_factory(CONFIG)("wall", {"board": "main"}, None)
    state = mirror(
        outage("o-centre", "major", []),
        outage("o-faults", "critical", ["faults", "billing"]),
        message("m-urgent", "urgent", {"kind": "all"}),
        message("m-info", "info", {"kind": "all"}),
    )
    bands = view.compute("bands", state, NOW)
    assert [(b["kind"], b["id"]) for b in bands["list"]] == [
        ("message", "m-urgent"), ("outage", "o-faults"), ("outage", "o-centre")
    ]  # fmt: skip
    assert bands["list"][1]["affects"] == "Billing, Faults & Outages"  # the config's order
    assert bands["list"][2]["affects"] == "every queue"
    assert bands["status"] == "alert" and bands["seconds"] == CONFIG.wall.band_seconds
    ticker = view.compute("messages", state, NOW)
    assert [m["id"] for m in ticker["list"]] == ["m-urgent", "m-info"]  # wall.js splits them


def test_a_board_with_the_outages_tile_keeps_them_out_of_its_band() -> None:
    view = view_factory(CONFIG)("wall", {"board": "status"}, None)
    state = mirror(outage("o-1", "major", ["billing"]), message("m", "urgent", {"kind": "all"}))
    assert [b["kind"] for b in view.compute("bands", state, NOW)["list"]] == ["message"]
    (shown,) = view.compute("outages", state, NOW)["list"]
    assert shown["affects"] == "Billing" and shown["wording"] == "Sorry"
    assert view.affected(outage("o-2", "minor", [])) == {"outages", "bands"}
    assert view.compute("big_clock", state, NOW)["status"] == "ok"
    assert "logo" not in list(view.keys())  # drawn from the config alone


def test_a_team_board_shows_its_team_and_the_messages_for_it() -> None:
    view = view_factory(CONFIG)("wall", {"board": "north"}, None)
    state = mirror(
        agent("a1", "available", "North", NOW - 5),
        agent("a2", "available", "South", NOW - 5),
        message("m-north", "info", {"kind": "team", "value": "North"}),
        message("m-south", "info", {"kind": "team", "value": "South"}),
    )
    assert [a["id"] for a in view.compute("agent_grid", state, NOW)["list"]] == ["a1"]
    assert [m["id"] for m in view.compute("messages", state, NOW)["list"]] == ["m-north"]
    main = view_factory(CONFIG)("wall", {"board": "main"}, None)
    assert main.compute("messages", state, NOW)["list"] == []  # a team's message: its board only


def test_a_changed_board_is_a_new_view_built_from_the_new_config(tmp_path: Path) -> None:
    path = tmp_path / "fb.toml"
    text = (ROOT / "floorboard.toml").read_text()
    path.write_text(text)
    now = [0.0]
    live = LiveConfig(path, load_config(path), check_seconds=1, clock=lambda: now[0])
    views = view_factory(live(), live=live)
    before = views("wall", {"board": "voice"}, None)
    assert views("wall", {"board": "voice"}, None) is before  # asked every 2 s: built once
    assert isinstance(before, WallView) and before.key.startswith("wall:voice@")
    path.write_text(text.replace('title = "Voice"', 'title = "Voice queues"\nrows = ["queues"]'))
    now[0] = 5.0
    after = views("wall", {"board": "voice"}, None)
    assert after.key != before.key and after.layout != before.layout
    assert after.keys() == ["tile:billing", "tile:faults", "tile:moving", "bands"]
    untouched = views("wall", {"board": "main"}, None)
    assert untouched.layout == WallView(CONFIG, CONFIG.boards[0]).layout


def test_a_board_of_many_queues_and_every_tile_builds(tmp_path: Path) -> None:
    queues = [{"id": f"q{i}", "name": f"Queue {i}"} for i in range(9)]
    rows = ["queues", "agent_states agent_grid staffing", "outages clock logo", "ticker"]
    config = parse_config({"queues": queues, "boards": [{"id": "b", "title": "B", "rows": rows}]})
    view = WallView(config, config.boards[0])
    for key in list(view.keys()):
        assert view.compute(key, {}, NOW) is not None


def test_the_floor_tile_counts_each_teams_agents_by_state_with_the_longest() -> None:
    from dashboard.pages.wall.model import team_states

    agents = [
        agent("a1", "available", "North", NOW - 50),
        agent("a2", "available", "North", NOW - 90),
        agent("a3", "wrap", "South", NOW - 10),
        agent("a4", "offline", "South", NOW - 999),
        agent("a5", "away", None, NOW - 5),
    ]
    rows = team_states(agents)["list"]
    assert [r["team"] for r in rows] == ["No team", "North", "South"]
    north = rows[1]["states"]
    assert north == [{"state": "available", "label": "Available", "n": 2, "since": NOW - 90}]
    assert [s["state"] for s in rows[2]["states"]] == ["wrap"]  # offline is not on the floor


def test_the_blended_tile_lists_the_boards_waiting_contacts_oldest_first() -> None:
    def waiting(cid: str, queue: str, ago: float):
        data = {"event": "offered", "queue": queue, "channel": "voice", "customer_id": "c",
                "enqueued_at": NOW - ago}  # fmt: skip
        return make_envelope("contact", cid, data, ts=NOW)

    board = next(b for b in CONFIG.boards if b.id == "floor")
    view = WallView(CONFIG, board)
    key = next(k for k, (t, _) in view.tiles.items() if t.type == "blended")
    mirror = {"contact": {c.id: c for c in [waiting("new", "billing", 5),
              waiting("old", "email", 60), waiting("elsewhere", "moving", 99)]}}  # fmt: skip
    tile = view.compute(key, mirror, NOW)
    assert [e["id"] for e in tile["list"]] == ["old", "new"] and tile["total"] == 2
    assert view.affected(waiting("x", "billing", 1)) >= {key}
