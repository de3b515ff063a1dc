"""Alert rules supervisors set: what they mean (feeds/alerts.py, pure), how they are kept
(feeds/notices/alert_rules.py on a real Redis: audited, refused whole), and the API and the
console's stream on the real app server (roles, fields named, applied live)."""

from __future__ import annotations

import time

import pytest
from test_alerts import CONFIG, NOW, agent, stats
from test_api import Api, tokens

from dashboard.pages.wall.model import WallView
from feeds.alerts import defaults_text, in_force, parse_target, queue_watches, watches
from feeds.bus.bus import Bus
from feeds.bus.schema import make_envelope
from feeds.errors import SchemaError
from feeds.notices.alert_rules import AlertRules
from feeds.notices.audit import AuditLog
from feeds.notices.service import Conflict


def rule(rule_id: str, ts: float = NOW, **data: object):
    body = {"queue": None, "state": None, "seconds": None, "target": None, "author": "sam", **data}
    return make_envelope("alert_rule", rule_id, body, ts=ts)


# -- what a rule means (pure) ---------------------------------------------------------------------


def test_a_queues_own_rule_beats_every_queues_which_beats_the_config() -> None:
    waiting = {q: stats(q, longest_wait_since=NOW - 10) for q in ("billing", "faults")}

    def limits(*stored):
        return {w["id"]: w["after"] for w in queue_watches(CONFIG, waiting, in_force(stored))}

    assert limits() == {"wait:billing": 150, "wait:faults": 150}  # each queue's alert level
    every = rule("al-1", rule="wait", seconds=60)
    assert limits(every) == {"wait:billing": 60, "wait:faults": 60}
    assert limits(every, rule("al-2", rule="wait", queue="faults", seconds=600)) == {
        "wait:billing": 60, "wait:faults": 600}  # fmt: skip


def test_a_service_level_rule_sets_the_target_two_intervals_are_held_to() -> None:
    sl = {"billing": stats("billing", service_level_15m=0.78, service_level_prev_15m=0.75)}
    assert [w["id"] for w in queue_watches(CONFIG, sl)] == ["sl:billing"]  # under its 80 %
    lower = in_force([rule("al-1", rule="sl", queue="billing", target=0.7)])
    assert queue_watches(CONFIG, sl, lower) == []  # 75 % and 78 % are not under 70 %
    higher = in_force([rule("al-1", rule="sl", target=0.9)])
    assert queue_watches(CONFIG, sl, higher)[0]["text"].startswith(
        "Billing: service level under 90% two intervals running"
    )


def test_a_state_rule_watches_every_agent_in_that_state_and_the_rest_keep_the_config() -> None:
    agents = [agent("a1", "wrap", 10), agent("a2", "available", 50),
              agent("a3", "away", 5, "lunch")]  # fmt: skip
    stored = [rule("al-1", rule="state", state="available", seconds=40),
              rule("al-2", rule="state", state="wrap", seconds=20)]  # fmt: skip
    found = {w["id"]: (w["after"], w["text"]) for w in watches(CONFIG, {}, agents, stored)["list"]}
    assert found == {
        "agent:a1": (20, "Agent a1: wrap over 0:20"),
        "agent:a2": (40, "Agent a2: available over 0:40"),
        "agent:a3": (2100, "Agent a3: lunch over 35:00"),  # the config's: plan + overrun
    }


def test_defaults_and_typed_targets_read_as_people_say_them() -> None:
    assert defaults_text(CONFIG)[0] == "Each queue: longest wait over its own alert level"
    assert parse_target("target", " 72.5 % ") == 0.725 and parse_target("target", "") is None
    with pytest.raises(SchemaError) as exc:
        parse_target("target", "most")
    assert exc.value.field == "target"


# -- how rules are kept (real Redis) --------------------------------------------------------------


def test_rules_are_added_changed_and_removed_with_the_actor_in_the_audit_log(bus: Bus) -> None:
    rules = AlertRules(bus, CONFIG)
    made = rules.create({"rule": "wait", "queue": "billing", "seconds": 300}, "sam")
    assert made["text"] == "Billing: longest wait over 5\u00a0min" and made["author"] == "sam"
    changed = rules.update(made["id"], {"seconds": 120}, "cli: ops")
    assert changed["seconds"] == 120 and changed["author"] == "cli: ops"
    assert rules.list() == [rules.get(made["id"])]
    rules.remove(made["id"], "sam")
    assert rules.list() == []
    log = AuditLog(bus.client, bus.prefix).read(kind="alert_rule")
    assert [(e["action"], e["actor"]) for e in log] == [
        ("remove", "sam"), ("update", "cli: ops"), ("create", "sam")]  # fmt: skip
    assert log[1]["before"]["seconds"] == 300 and log[1]["after"]["seconds"] == 120


@pytest.mark.parametrize(
    ("fields", "field", "reason"),
    [
        ({"rule": "wait", "seconds": -5}, "seconds", "greater than 0"),
        ({"rule": "wait", "seconds": 86400 * 30}, "seconds", "less than or equal to 86400"),
        ({"rule": "wait", "queue": "nope", "seconds": 60}, "queue", "unknown queue 'nope'"),
        ({"rule": "state", "state": "napping", "seconds": 60}, "state", "must be one of"),
        ({"rule": "state", "state": "wrap"}, "seconds", "is required for an agent-state alert"),
        ({"rule": "state", "state": "wrap", "seconds": 9, "queue": "billing"}, "queue",
         "an agent-state alert has none"),
        ({"rule": "sl", "queue": "billing", "target": 1.5}, "target", "less than or equal to 1"),
        ({"rule": "sl", "seconds": 30}, "seconds", "a service-level alert has none"),
        ({"rule": "loud"}, "rule", "must be one of"),
        ({"rule": "wait", "seconds": 60, "author": "me"}, "author", "unknown field"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_naming_the_field_and_nothing_is_stored(
    bus: Bus, fields: dict, field: str, reason: str
) -> None:
    rules = AlertRules(bus, CONFIG)
    with pytest.raises(SchemaError) as exc:
        rules.create(fields, "sam")
    assert exc.value.field == field and reason in exc.value.reason
    assert rules.list() == [] and AuditLog(bus.client, bus.prefix).read() == []


def test_two_rules_never_watch_the_same_thing(bus: Bus) -> None:
    rules = AlertRules(bus, CONFIG)
    first = rules.create({"rule": "state", "state": "wrap", "seconds": 200}, "sam")
    other = rules.create({"rule": "state", "state": "away", "seconds": 900}, "sam")
    with pytest.raises(Conflict) as exc:
        rules.create({"rule": "state", "state": "wrap", "seconds": 100}, "sam")
    assert exc.value.field == "state" and first["id"] in exc.value.reason
    with pytest.raises(Conflict):
        rules.update(other["id"], {"state": "wrap"}, "sam")
    assert rules.get(other["id"])["state"] == "away"  # refused whole: nothing changed


# -- the API and the console's stream (the real app server) ---------------------------------------


def test_the_api_keeps_rules_for_supervisors_and_the_consoles_alerts_follow_live(
    start_app, redis_server, prefix: str, bus: Bus, sse
) -> None:
    app = start_app(redis_server.url, prefix)
    api = Api(app.port, tokens(bus))
    body = {"rule": "wait", "queue": "billing", "seconds": 45}
    assert api("POST", "/alert-rules", body, role=None)[0] == 401
    for role in ("agent", "viewer"):
        assert api("POST", "/alert-rules", body, role=role)[0] == 403
        assert api("GET", "/alert-rules", role=role)[0] == 403
    status, answer = api("POST", "/alert-rules", {**body, "seconds": -1})
    assert status == 400 and answer["error"]["field"] == "seconds"
    status, answer = api("POST", "/alert-rules", {**body, "queue": "nope"})
    assert status == 400 and answer["error"] == {"field": "queue", "reason": "unknown queue 'nope'"}
    assert api("GET", "/alert-rules")[1]["rules"] == []

    now = time.time()
    bus.publish(make_envelope("queue", "billing", {"longest_wait_since": now - 10}, ts=now))
    stream = sse(app.port, "/stream?view=console", extra_headers={
        "Authorization": f"Bearer {api.tokens['supervisor']}"})  # fmt: skip
    first = stream.next_of("snapshot")["data"]["items"]
    assert first["console:alerts"]["list"][0]["after"] == 150  # the queue's own level

    status, made = api("POST", "/alert-rules", body, role="admin")
    assert status == 201 and made["author"] == "token: admin"
    update = stream.next_of("update")["data"]["items"]
    assert update["console:alerts"]["list"][0]["after"] == 45
    listed = update["console:alert-rules"]["list"]
    assert listed[0]["text"] == "Billing: longest wait over 45\u00a0s"
    assert api("PATCH", f"/alert-rules/{made['id']}", {"seconds": 90})[1]["seconds"] == 90
    assert stream.next_of("update")["data"]["items"]["console:alerts"]["list"][0]["after"] == 90
    assert api("DELETE", f"/alert-rules/{made['id']}")[0] == 200
    assert stream.next_of("update")["data"]["items"]["console:alerts"]["list"][0]["after"] == 150
    assert api("DELETE", f"/alert-rules/{made['id']}")[0] == 404


def test_a_walls_alerts_tile_watches_its_boards_queues_with_the_rules_set() -> None:
    board = next(b for b in CONFIG.boards if b.id == "floor")  # billing, faults, chat, email
    view = WallView(CONFIG, board)
    assert view.affected(rule("al-1", rule="wait", seconds=60)) >= {"alerts"}
    assert "alerts" not in view.affected(stats("moving"))  # not one of the board's queues
    mirror = {"queue": {q: stats(q, longest_wait_since=NOW - 5) for q in ("billing", "moving")},
              "alert_rule": {"al-1": rule("al-1", rule="wait", seconds=60)}}  # fmt: skip
    assert [(w["id"], w["after"]) for w in view.compute("alerts", mirror, NOW)["list"]] == [
        ("wait:billing", 60)]  # fmt: skip
