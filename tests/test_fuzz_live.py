"""Fuzzing the live channel: 10^4 generated payloads published on the bus's channel (random
bytes, any JSON, envelope-shaped near misses, items planted in the stored state) and valid items
at the edges of their bounds written through the bus, while a hub follows with a wall, an agent
tab and a console open. Afterwards the hub is live, nothing it computed failed, and a valid
publish still arrives. A hub in process (the real subscriber and views) on a Redis of its own.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator

import pytest
from conftest import write_config
from fuzzing import FUZZ, body, json_value, near_miss, text
from hypothesis import given
from hypothesis import strategies as st

from dashboard.auth.principal import Principal
from dashboard.live.hub import Hub
from dashboard.pages.streams import view_factory
from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.fields import MAX_TS, MIN_TS
from feeds.bus.schema import KINDS, make_envelope
from feeds.config import load_config
from feeds.errors import SchemaError

NOW = time.time()
epoch = st.sampled_from([MIN_TS, MAX_TS, NOW, NOW - 86400 * 7, NOW + 60])
seconds = st.sampled_from([0, 0.001, 59.5, 3600, 7 * 86400])
count = st.sampled_from([0, 1, 99, 10_000_000])
ratio = st.sampled_from([0, 0.5, 1])
# Valid items with values at their bounds: what reaches the screens' arithmetic.
edge_data = {
    "queue": st.fixed_dictionaries({}, optional={
        "waiting": count, "offered": count, "answered": count, "abandoned": count,
        "longest_wait_since": epoch, "service_level": ratio, "asa": seconds, "aht": seconds,
        "abandon_rate": ratio, "name": text}),
    "agent": st.fixed_dictionaries({"name": st.just("A"), "since": epoch,
        "state": st.sampled_from(["available", "on_contact", "wrap", "away", "offline"])},
        optional={"skills": st.just(["billing", "faults"]), "team": st.just("North"),
                  "stats": st.fixed_dictionaries({"handled": count, "handle_time": seconds})}),
    "delay": st.fixed_dictionaries({"queue": st.just("billing"), "reason": st.just("storm")},
                                   optional={"expected_wait": seconds, "expires_at": epoch}),
    "message": st.fixed_dictionaries({"text": st.just("hello"), "expires_at": epoch},
                                     optional={"starts_at": epoch, "ack_required": st.booleans()}),
    "outage": st.fixed_dictionaries({"service": st.just("x"), "started_at": epoch,
        "severity": st.just("major"), "status": st.just("identified")},
        optional={"eta": epoch, "queues": st.just(["billing"])}),
}  # fmt: skip
edge = st.sampled_from(sorted(edge_data)).flatmap(
    lambda kind: st.tuples(st.just(kind), st.sampled_from(["billing", "a01", "x"]), edge_data[kind])
)
shaped = st.fixed_dictionaries(
    {"kind": st.sampled_from([*KINDS, "x"]) | json_value, "id": text, "seq": st.integers(-1, 3),
     "ts": epoch, "data": near_miss | json_value},
    optional={"deleted": st.booleans(), "source": text},
)  # fmt: skip
payload = st.one_of(
    st.tuples(st.just("raw"), st.binary(max_size=200)),
    st.tuples(st.just("raw"), body.map(lambda b: json.dumps(b).encode())),
    st.tuples(st.just("raw"), shaped.map(lambda b: json.dumps(b).encode())),
    st.tuples(st.just("stored"), shaped.map(lambda b: json.dumps(b).encode())),
    st.tuples(st.just("edge"), edge),
)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Bus, Hub, list]]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("fuzz-live"), persist=False).start()
    config = load_config(write_config(tmp_path_factory.mktemp("fuzz-live-config"), "fl:"))
    bus = Bus.from_url(server.url, "fl:")
    hub = Hub(Bus.from_url(server.url, "fl:"))
    hub.start()
    views = view_factory(config, dict)
    boss = Principal("sam", "supervisor", "token")
    specs = [
        views("wall", {"board": "main"}, None),
        views("console", {}, boss),
        views("agent", {"agent": "a01"}, Principal("a01", "agent", "token", "a01")),
    ]
    clients = [hub.attach(spec, None)[0] for spec in specs]
    yield bus, hub, clients
    hub.stop()
    server.stop()


def test_nothing_published_on_the_channel_stops_the_live_path(live) -> None:
    bus, hub, clients = live
    seen = {"n": 0}

    @FUZZ
    @given(payload)
    def one(item: tuple) -> None:
        how, what = item
        if how == "raw":
            bus.client.publish(bus.channel, what)
        elif how == "stored":
            bus.client.hset(bus.state_key("queue"), "planted", what)
        else:
            kind, item_id, data = what
            # An edge the schema refuses (a start after its expiry) is not the channel's test.
            with contextlib.suppress(SchemaError):
                bus.publish(make_envelope(kind, item_id, data, ts=time.time()))
        seen["n"] += 1
        for client in clients:
            client.take()  # the screens keep reading

    one()
    assert seen["n"] >= FUZZ.max_examples
    bus.client.delete(bus.state_key("queue"))
    last = bus.publish(make_envelope("queue", "billing", {"waiting": 4242}, ts=time.time()))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and hub.seq < last:
        time.sleep(0.05)
    (wall_view,) = [v for key, v in hub.views.items() if key.startswith("wall:main@")]
    wall = wall_view.items["tile:billing"]
    assert hub.seq == last and wall["fields"]["waiting"]["text"] == "4242"
    assert hub.live()["up"], hub.live()
    assert hub.faults == 0 and hub.subscriber.faults == 0, "an item could not be computed"
    assert hub.subscriber.garbage > 0  # the garbage did reach it
