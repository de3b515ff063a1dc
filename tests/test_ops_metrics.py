"""``/metrics`` under two gunicorn workers, read by Prometheus's own text parser, with the counts
moving as events, screens, API calls and sign-ins come in; and the JSON log lines they leave,
none of which holds a secret. One app for the whole module's story (an app start is seconds).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus, connect
from feeds.bus.schema import make_envelope

GRAFANA = Path(__file__).resolve().parent.parent / "docs" / "grafana-dashboard.json"
WALL = "/stream?view=wall&board=main"
PASSWORD = "correct horse 17"
METRICS_TOKEN = "scrape-me-0123456789"


def scrape(base: str, token: str | None = None) -> dict[tuple[str, tuple], float]:
    """Every sample of /metrics: (name, sorted labels) → value."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.get(f"{base}/metrics", headers=headers, timeout=5)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(r.text)
        for s in family.samples
    }


def total(samples: dict, name: str, **labels: str) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items()
               if n == name and set(labels.items()) <= set(ls))  # fmt: skip


def until(condition, timeout: float = 10):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_metrics_of_two_workers_move_with_the_traffic_and_the_logs_say_it_in_json(
    redis_server, prefix, start_app, sse
) -> None:
    accounts = Accounts(connect(redis_server.url), prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    feed_token = accounts.create_token("feeder", "admin")
    env = {  # the config's keys from the environment, as a container would set them
        "FLOORBOARD__LOG__FORMAT": "json",
        "FLOORBOARD__METRICS__NETWORKS": "[]",
        "FLOORBOARD_METRICS_TOKEN": METRICS_TOKEN,
    }
    app = start_app(redis_server.url, prefix, workers=2, env=env)
    bus = Bus.from_url(redis_server.url, prefix)

    # Access: not from the metrics networks (none here) without the token.
    assert requests.get(f"{app.base}/metrics", timeout=5).status_code == 403
    wrong = {"Authorization": "Bearer nope"}
    assert requests.get(f"{app.base}/metrics", headers=wrong, timeout=5).status_code == 403

    # Each of the two workers takes its first snapshot (one answered /readyz already; the other
    # may be a moment behind): counts are added across workers.
    def both_synced() -> dict | None:
        samples = scrape(app.base, METRICS_TOKEN)
        return samples if total(samples, "floorboard_resnapshots_total") >= 2 else None

    before = until(both_synced)
    assert before, "the two workers' first snapshots are not both counted"
    assert total(before, "floorboard_build_info") == 1

    screens = [sse(app.port, WALL) for _ in range(4)]
    for screen in screens:
        screen.next_of("snapshot")
    bus.publish(
        make_envelope("heartbeat", "acd-1", {"interval": 5}, ts=time.time(), source="acd-1")
    )
    for n in range(5):
        bus.publish(make_envelope("queue", "billing", {"waiting": n}, ts=time.time()))
    for screen in screens:
        while screen.next_of("update")["data"]["items"].get("tile:billing", {}).get(
            "fields", {}).get("waiting", {}).get("text") != "4":  # fmt: skip
            pass

    # The API: accepted, refused for its body, refused without credentials.
    api = f"{app.base}/api/v1/events"
    auth = {"Authorization": f"Bearer {feed_token}"}
    event = {"kind": "queue", "id": "faults", "ts": time.time(), "data": {"waiting": 2}}
    assert requests.post(api, json=event, headers=auth, timeout=5).status_code < 300
    bad = {**event, "data": {"waiting": -1}}
    assert requests.post(api, json=bad, headers=auth, timeout=5).status_code == 400
    assert requests.post(api, json=event, timeout=5).status_code == 401
    body = {"text": "Storm over Leeds tonight", "priority": "info",
            "audience": {"kind": "all", "value": None}}  # fmt: skip
    posted = requests.post(f"{app.base}/api/v1/messages", json=body, headers=auth, timeout=5)
    assert posted.status_code == 201, posted.text

    # Sign-in: one that works, then wrong passwords until the per-user limit answers 429.
    def sign_in(password: str, browser: requests.Session | None = None) -> int:
        browser = browser or requests.Session()
        form = browser.get(f"{app.base}/login", timeout=5).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        data = {"username": "sam", "password": password, "csrf_token": csrf}
        return browser.post(f"{app.base}/login", data=data, allow_redirects=False,
                            timeout=10).status_code  # fmt: skip

    assert sign_in(PASSWORD) == 303
    guesser = requests.Session()
    statuses = [sign_in("not the password", guesser) for _ in range(11)]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429

    def moved() -> dict | None:
        after = scrape(app.base, METRICS_TOKEN)
        return after if total(after, "floorboard_updates_delivered_total") >= 20 else None

    after = until(moved)
    assert after, "no deliveries counted"
    assert total(after, "floorboard_streams_open", view="wall:main") == 4
    assert total(after, "floorboard_streams_opened_total", view="wall:main") >= 4
    assert total(after, "floorboard_updates_published_total") == bus.current_seq()
    assert total(after, "floorboard_view_updates_total", view="wall:main") >= 5
    assert total(after, "floorboard_update_lag_seconds_count", stage="bus") >= 6
    assert total(after, "floorboard_update_lag_seconds_count", stage="push") >= 4
    assert total(after, "floorboard_update_lag_seconds_bucket", stage="push", le="+Inf") >= 4
    assert 0 <= total(after, "floorboard_source_last_seen_seconds", source="acd-1") < 60
    assert total(after, "floorboard_source_up", source="acd-1") == 1
    assert total(after, "floorboard_bus_up") == 1
    events = "/api/v1/events"
    assert total(after, "floorboard_api_requests_total", route=events, outcome="accepted") == 1
    assert total(after, "floorboard_api_requests_total", route="/api/v1/messages") == 1
    assert total(after, "floorboard_api_requests_total", route=events, reason="invalid") == 1
    assert total(after, "floorboard_api_requests_total", route=events,
                 reason="unauthenticated") == 1  # fmt: skip
    assert total(after, "floorboard_logins_total") == 1
    assert total(after, "floorboard_login_failures_total") == 10
    assert total(after, "floorboard_rate_limited_total", route="/login") == 1
    # The example Grafana dashboard asks only for series that exist.
    panels = json.loads(GRAFANA.read_text())["panels"]
    asked = {name for p in panels for t in p.get("targets", [])
             for name in re.findall(r"floorboard_[a-z_]+", t["expr"])}  # fmt: skip
    assert len(asked) >= 18 and asked <= {name for name, _ in after}, asked - {
        name for name, _ in after}  # fmt: skip
    # Every worker answers with the same sums (whichever answers the scrape).
    again = [scrape(app.base, METRICS_TOKEN) for _ in range(6)]
    assert {total(s, "floorboard_login_failures_total") for s in again} == {10}
    assert {total(s, "floorboard_streams_open") for s in again} == {4}

    for screen in screens:
        screen.close()
    closed = until(lambda: total(scrape(app.base, METRICS_TOKEN), "floorboard_streams_open") == 0)
    assert closed, "closed streams still counted as open"

    # A worker that leaves (gunicorn replaces it) keeps its counts counted, and the new one
    # counts too: the metrics directory outlives any one worker.
    master = app.process.pid
    workers = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    # Counted before the kill: a hub may resnapshot on its own when the machine is loaded
    # (the bus ahead while quiet), so the new worker's first snapshot is one more than this.
    snapshots = total(scrape(app.base, METRICS_TOKEN), "floorboard_resnapshots_total")
    os.kill(int(workers[0]), signal.SIGTERM)

    def replaced() -> dict | None:
        now = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if workers[0] in now or len(now) != 2:
            return None
        samples = scrape(app.base, METRICS_TOKEN)
        return samples if total(samples, "floorboard_resnapshots_total") > snapshots else None

    renewed = until(replaced, timeout=30)
    assert renewed, f"no new worker counted:\n{app.log()}"
    assert total(renewed, "floorboard_login_failures_total") == 10

    # The log: JSON lines, with the events' facts, and no secret anywhere in it.
    text = app.log_path.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert len(lines) > 10
    assert all(line.startswith("{") for line in text.splitlines()), "a line that is not JSON"
    refused = [x for x in lines if x.get("event") == "api.refused"]
    assert {(x["reason"], x["field"]) for x in refused} >= {("invalid", "data.waiting")}
    accepted = next(x for x in lines if x.get("event") == "api.accepted")
    assert accepted["actor"] == "token: feeder" and accepted["duration_ms"] >= 0
    failed = [x for x in lines if x.get("event") == "login.failed"]
    assert len(failed) == 10 and failed[0]["user"] == "sam" and "remote" in failed[0]
    assert any(x.get("event") == "login.rate_limited" for x in lines)
    change = next(x for x in lines if x.get("event") == "message.post")
    assert change["id"] == posted.json()["id"] and change["actor"] == "token: feeder"
    assert change["duration_ms"] >= 0
    assert "Storm over Leeds" not in text  # message bodies stay out of the log
    assert all({"time", "level", "logger", "message", "pid"} <= set(x) for x in lines)
    secret = feed_token.rsplit("_", 1)[1]
    redis_password = redis_server.url.split(":")[2].split("@")[0]
    for leak in (PASSWORD, "not the password", secret, METRICS_TOKEN, redis_password):
        assert leak not in text, f"a secret in the log: {leak[:4]}…"
    bus.client.close()
