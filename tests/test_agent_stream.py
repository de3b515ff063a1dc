"""The agent tab's stream and pages on the real server (gunicorn + gevent) and a real Redis.

What one agent's browser receives is checked at the stream, raw: another agent's state, stats,
contact, customer and the messages aimed only at them must never be in it, whatever the page
would show. Also: who may open which tab and stream (sessions, tokens, a single sign-on proxy),
the audience rules for each kind, and the moment-of-truth card built from the bus's history.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
import requests
from signin import PASSWORD, cookie, login

from feeds.accounts.store import Accounts
from feeds.bus.bus import Bus, connect
from feeds.bus.schema import make_envelope
from feeds.config import load_config
from feeds.notices.messages import Messages

NOW = time.time()
# Bo's name, customer, message ids and text, and his own stats as his tab shows them.
BO_SECRETS = ("Bo Secretname", "AC-BO-7", "m-agent-a02", "for Bo only", '"aht": "5:01"')


def env(kind: str, id: str, **data: Any):
    return make_envelope(kind, id, data, ts=time.time(), source="test")


def agent(agent_id: str, name: str, team: str, skills: list[str], **data: Any):
    body = {"state": "available", "since": NOW - 30, **data}
    return env("agent", agent_id, name=name, team=team, skills=skills, **body)


def message(mid: str, kind: str, value: str | None = None, **data: Any):
    body = {"text": f"text of {mid}", "expires_at": NOW + 3600, **data}
    return env("message", mid, audience={"kind": kind, "value": value}, **body)


def contact(cid: str, event: str, customer: str, queue: str = "billing", **data: Any):
    body = {"event": event, "queue": queue, "channel": "voice", "customer_id": customer,
            "enqueued_at": NOW - 40, **data}  # fmt: skip
    if event in ("answered", "completed"):
        body.setdefault("answered_at", NOW - 10)
    if event == "completed":
        body.setdefault("ended_at", NOW)
    return env("contact", cid, **body)


AUDIENCES = {
    "m-all": ("all", None),
    "m-team-north": ("team", "North"),
    "m-team-south": ("team", "South"),
    "m-queue-billing": ("queue", "billing"),
    "m-queue-chat": ("queue", "chat"),
    "m-agent-a01": ("agent", "a01"),
    "m-agent-a02": ("agent", "a02"),
}


def floor(bus: Bus) -> None:
    """Ann (a01: North, billing and faults) and Bo (a02: South, chat) with one contact each
    way of reaching an agent, an outage on each side, and Bo on a contact."""
    bo_stats = {"handled": 41, "handle_time": 12345.0, "answered": 42, "answer_wait": 999.0}
    bus.publish_many(
        [
            agent("a01", "Ann Lee", "North", ["billing", "faults"]),
            agent("a02", "Bo Secretname", "South", ["chat"], state="on_contact", stats=bo_stats),
            *(message(mid, kind, value) for mid, (kind, value) in AUDIENCES.items()),
            env("outage", "o-chat", service="Chat platform", severity="minor",
                status="identified", queues=["chat"], started_at=NOW - 60),
            env("outage", "o-bill", service="Billing system", severity="major",
                status="investigating", queues=["billing"], started_at=NOW - 60,
                customer_wording="Bills are late this month.", offer="Waive the late fee"),
            contact("c-bo", "answered", "AC-BO-7", queue="chat", agent_id="a02"),
        ]
    )  # fmt: skip
    bus.publish(message("m-agent-a02-text", "agent", "a02", text="for Bo only: payroll"))


@pytest.fixture
def accounts(redis_server, prefix) -> Accounts:
    a = Accounts(connect(redis_server.url), prefix)
    a.add_user("a01", "agent", PASSWORD, team="North")
    a.add_user("a02", "agent", PASSWORD, team="South")
    a.add_user("sam", "supervisor", PASSWORD)
    return a


def stream(agent_id: str) -> str:
    return f"/stream?view=agent&agent={agent_id}"


def ids(item: dict) -> set[str]:
    return {e["id"] for e in item["list"]}


def test_each_agent_streams_only_their_own_items(
    bus: Bus, redis_server, prefix, accounts, start_app, sse
) -> None:
    floor(bus)
    app = start_app(redis_server.url, prefix)
    ann, bo = login(app.base, "a01"), login(app.base, "a02")
    a = sse(app.port, stream("a01"), extra_headers=cookie(ann))
    b = sse(app.port, stream("a02"), extra_headers=cookie(bo))
    snap_a, snap_b = a.next_of("snapshot"), b.next_of("snapshot")
    items = snap_a["data"]["items"]
    assert set(items) == {"me", "queues", "messages", "outages", "contact", "next", "my_day"}
    assert items["me"]["name"] == "Ann Lee"
    assert [q["id"] for q in items["queues"]["list"]] == ["billing", "faults"]
    assert ids(items["outages"]) == {"o-bill"}
    assert items["contact"]["card"] is None
    raw_a = json.dumps(snap_a)
    for secret in BO_SECRETS:
        assert secret not in raw_a
    # Bo's own stream has them: the filter is per agent, not a loss of data.
    raw_b = json.dumps(snap_b)
    assert all(secret in raw_b for secret in BO_SECRETS)
    assert snap_b["data"]["items"]["contact"]["card"]["customer_id"] == "AC-BO-7"

    # Everything Bo does from now on reaches Bo's stream and never Ann's.
    messages = Messages(bus, load_config(app.config))
    bus.publish(agent("a02", "Bo Secretname", "South", ["chat"], state="wrap"))
    bus.publish(contact("c-bo2", "answered", "AC-BO-7", queue="chat", agent_id="a02"))
    bus.publish(message("m-agent-a02-later", "agent", "a02", text="for Bo only: later",
                        ack_required=True))  # fmt: skip
    messages.ack("m-agent-a02-later", "a02", "test")
    bus.publish(message("m-sentinel", "agent", "a01"))
    seen = []
    while True:
        ev = a.next_of("update")
        seen.append(ev)
        if "m-sentinel" in json.dumps(ev):
            break
    raw_updates = json.dumps(seen)
    for secret in (*BO_SECRETS, "c-bo2", "m-agent-a02-later"):
        assert secret not in raw_updates
    while "c-bo2" not in json.dumps(b.next_of("update")):
        pass  # Bo's own stream does carry his new contact (or next_of times out)


@pytest.mark.parametrize(
    ("agent_id", "expected"),
    [
        ("a01", {"m-all", "m-team-north", "m-queue-billing", "m-agent-a01"}),
        ("a02", {"m-all", "m-team-south", "m-queue-chat", "m-agent-a02", "m-agent-a02-text"}),
    ],
)
def test_messages_reach_each_agent_by_every_audience_kind(
    bus: Bus, redis_server, prefix, accounts, start_app, sse, agent_id, expected
) -> None:
    floor(bus)
    app = start_app(redis_server.url, prefix)
    s = sse(app.port, stream(agent_id), extra_headers=cookie(login(app.base, agent_id)))
    assert ids(s.next_of("snapshot")["data"]["items"]["messages"]) == expected
    # Moving Ann to team South on the bus moves her team's messages with her, live.
    if agent_id == "a01":
        bus.publish(agent("a01", "Ann Lee", "South", ["billing", "faults"]))
        up = s.next_of("update")["data"]["items"]
        assert ids(up["messages"]) == expected - {"m-team-north"} | {"m-team-south"}


def test_who_may_open_an_agents_tab_and_stream(
    bus: Bus, redis_server, prefix, accounts, start_app, sse
) -> None:
    floor(bus)
    app = start_app(redis_server.url, prefix)
    ann = login(app.base, "a01")
    base = app.base

    assert requests.get(base + stream("a01"), timeout=5).status_code == 401
    r = ann.get(base + stream("a02"), timeout=5)
    assert r.status_code == 403 and r.json()["error"]["field"] == "authorization"
    viewer = accounts.create_token("tv", "viewer")
    r = requests.get(base + stream("a01"), headers={"Authorization": f"Bearer {viewer}"})
    assert r.status_code == 403
    own = sse(app.port, stream("a01"), extra_headers=cookie(ann))
    assert own.next_of("snapshot")["data"]["items"]["me"]["name"] == "Ann Lee"

    # Supervisors may look at any agent's tab, by session or by token; not at unknown ones.
    sam = login(base, "sam")
    watch = sse(app.port, stream("a02"), extra_headers=cookie(sam))
    assert watch.next_of("snapshot")["data"]["items"]["me"]["name"] == "Bo Secretname"
    token = accounts.create_token("wallboard-admin", "supervisor")
    r = requests.get(base + stream("nobody"), headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 404 and r.json()["error"]["field"] == "agent"

    # The pages: one's own tab, 403 for another's, sign-in first when not signed in.
    assert ann.get(f"{base}/agent/a01", timeout=5).status_code == 200
    page = ann.get(f"{base}/agent/a02", timeout=5)
    assert page.status_code == 403
    assert "Not your tab" in page.text and 'href="/agent/a01"' in page.text
    assert "Bo" not in page.text
    anon = requests.get(f"{base}/agent/a01", allow_redirects=False, timeout=5)
    assert anon.status_code == 302 and anon.headers["Location"] == "/login?next=/agent/a01"
    assert sam.get(f"{base}/agent/a02", timeout=5).status_code == 200


def test_the_card_of_a_repeat_caller_hit_by_an_outage_comes_and_goes(
    bus: Bus, redis_server, prefix, accounts, start_app, sse
) -> None:
    floor(bus)
    # Two earlier contacts of the same customer, published like any producer's: the bus keeps
    # them in the customer's history, the live state drops them.
    bus.publish_many(
        [
            contact("c-1", "completed", "AC-REP", agent_id="a02", enqueued_at=NOW - 86400),
            contact("c-2", "abandoned", "AC-REP", enqueued_at=NOW - 3600, ended_at=NOW - 3500),
        ]
    )
    app = start_app(redis_server.url, prefix)
    s = sse(app.port, stream("a01"), extra_headers=cookie(login(app.base, "a01")))
    s.next_of("snapshot")
    bus.publish(contact("c-3", "offered", "AC-REP", tags=["vip"]))
    waiting = s.next_of("update")["data"]["items"]  # waiting on Ann's queue: next for her
    assert [e["id"] for e in waiting["next"]["list"]] == ["c-3"] and "contact" not in waiting
    bus.publish(contact("c-3", "answered", "AC-REP", agent_id="a01", tags=["vip"]))
    card = s.next_of("update")["data"]["items"]["contact"]["card"]
    assert card["customer_id"] == "AC-REP" and card["queue"] == "Billing"
    flags = {f["kind"]: f for f in card["flags"]}
    assert set(flags) == {"outage", "callback", "waited", "repeat", "vip"}
    assert flags["outage"]["detail"] == "Major · calling an affected queue"
    assert card["expect"]["wording"] == "Bills are late this month."  # said once, to promise
    assert [o["text"] for o in card["give"]["offers"]] == ["Waive the late fee"]
    assert card["headline"].startswith("3rd contact in 7 days")
    assert [p["id"] for p in card["history"]] == ["c-2", "c-1"]
    # Resolving the outage takes its flag off the card at once.
    bus.publish(make_envelope("outage", "o-bill", {}, ts=time.time(), deleted=True))
    card = s.next_of("update")["data"]["items"]["contact"]["card"]
    assert "outage" not in {f["kind"] for f in card["flags"]}
    # The contact completes: the card goes.
    bus.publish(contact("c-3", "completed", "AC-REP", agent_id="a01"))
    assert s.next_of("update")["data"]["items"]["contact"]["card"] is None


def restart_with_access(app, **access: str) -> None:
    """Restart ``app`` with extra ``[access]`` settings in its config."""
    lines = "".join(f"{k} = {v}\n" for k, v in access.items())
    text = re.sub(r"trusted_user_header = .*\n", "", app.config.read_text())
    text = re.sub(r"trusted_proxies = .*\n", "", text)
    app.config.write_text(text.replace("[access]\n", "[access]\n" + lines))
    app.stop()
    app.start()


def test_identity_from_a_trusted_single_sign_on_proxy(
    bus: Bus, redis_server, prefix, accounts, start_app, sse
) -> None:
    floor(bus)
    bus.publish(message("m-ack", "agent", "a01", ack_required=True))
    app = start_app(redis_server.url, prefix)
    restart_with_access(
        app, trusted_user_header='"X-Forwarded-User"', trusted_proxies='["127.0.0.1"]'
    )
    base, as_ann = app.base, {"X-Forwarded-User": "a01"}
    s = sse(app.port, stream("a01"), extra_headers=as_ann)
    assert s.next_of("snapshot")["data"]["items"]["me"]["name"] == "Ann Lee"
    assert requests.get(base + stream("a02"), headers=as_ann, timeout=5).status_code == 403
    r = requests.get(base + stream("a01"), headers={"X-Forwarded-User": "mallory"}, timeout=5)
    assert r.status_code == 401 and "no Floorboard account" in r.json()["error"]["reason"]
    # A browser sends the proxy's identity by itself, so a POST needs the CSRF token too.
    browser = requests.Session()
    browser.headers.update(as_ann)
    assert browser.get(f"{base}/agent/a01", timeout=5).status_code == 200
    ack = f"{base}/api/v1/messages/m-ack/ack"
    assert browser.post(ack, timeout=5).status_code == 403
    csrf = {"X-CSRFToken": browser.cookies["_csrf_token"]}
    r = browser.post(ack, headers=csrf, timeout=5)
    assert r.status_code == 200 and r.json()["agent_id"] == "a01"

    # From an address that is not a trusted proxy, the header is only a claim: ignored.
    restart_with_access(
        app, trusted_user_header='"X-Forwarded-User"', trusted_proxies='["10.9.0.0/16"]'
    )
    assert requests.get(base + stream("a01"), headers=as_ann, timeout=5).status_code == 401
    assert requests.get(f"{base}/agent/a01", headers=as_ann, allow_redirects=False).is_redirect
