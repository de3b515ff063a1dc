"""The bus against a real Redis: atomic writes, snapshots, and a subscriber that never misses.

Every test here talks to the embedded redis-server started by the fixtures; tests that stop
Redis have their own server.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable

import pytest
import redis

from feeds.bus.bus import Bus, connect, has_hash_tag, wants_sharded_pubsub
from feeds.bus.embedded import EmbeddedRedis
from feeds.bus.lua import BULK
from feeds.bus.schema import Envelope, make_envelope
from feeds.bus.subscriber import Subscriber
from feeds.customers.history import order_key

NOW = time.time()


def q(qid: str, waiting: int) -> Envelope:
    return make_envelope("queue", qid, {"waiting": waiting}, ts=time.time(), source="test")


class Recorder:
    """A subscriber listener that keeps a mirror and everything it was told."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mirror: dict[str, dict[str, Envelope]] = {}
        self.applied: list[int] = []  # seqs of updates applied
        self.snapshot_seqs: list[int] = []
        self.statuses: list[bool] = []

    def on_snapshot(self, seq: int, state: dict) -> None:
        with self.lock:
            self.mirror = {k: dict(v) for k, v in state.items()}
            self.snapshot_seqs.append(seq)

    def on_update(self, env: Envelope) -> None:
        with self.lock:
            self.mirror.setdefault(env.kind, {})[env.id] = env
            self.applied.append(env.seq)

    def on_status(self, up: bool, detail: str) -> None:
        with self.lock:
            self.statuses.append(up)


def wait_for(cond: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


@pytest.fixture
def follow():
    """Start a subscriber for a bus in a thread; stops it at the end."""
    started: list[tuple[Subscriber, threading.Thread]] = []

    def start(bus: Bus, **kw: float) -> tuple[Subscriber, Recorder]:
        rec = Recorder()
        sub = Subscriber(bus, rec, **kw)
        t = threading.Thread(target=sub.run, daemon=True)
        t.start()
        started.append((sub, t))
        wait_for(lambda: rec.snapshot_seqs)
        return sub, rec

    yield start
    for sub, t in started:
        sub.stop()
        t.join(5)


def test_publish_stores_latest_value_and_notifies_with_the_same_envelope(bus: Bus) -> None:
    ps = bus.client.pubsub()
    ps.subscribe(bus.channel)
    assert ps.get_message(timeout=1)["type"] == "subscribe"
    seq1 = bus.publish(q("billing", 1))
    seq2 = bus.publish(q("billing", 2))
    assert (seq1, seq2) == (1, 2)
    seq, state = bus.snapshot()
    assert seq == 2
    assert state["queue"]["billing"].data["waiting"] == 2
    assert state["queue"]["billing"].seq == 2
    published = [json.loads(ps.get_message(timeout=1)["data"]) for _ in range(2)]
    assert [p["seq"] for p in published] == [1, 2]
    stored = json.loads(bus.client.hget(bus.state_key("queue"), "billing"))
    assert stored == published[1]
    ps.close()


def test_concurrent_writers_get_unique_contiguous_sequence_in_publish_order(bus: Bus) -> None:
    ps = bus.client.pubsub()
    ps.subscribe(bus.channel)
    ps.get_message(timeout=1)
    writers, per_writer = 4, 200

    def write(w: int) -> None:
        b = Bus.from_url(_url(bus), bus.prefix)
        for i in range(per_writer):
            b.publish(q(f"q{w}", i))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total = writers * per_writer
    received = []
    while len(received) < total:
        msg = ps.get_message(timeout=2)
        assert msg is not None, f"only {len(received)} of {total} notifications"
        if msg["type"] == "message":
            received.append(json.loads(msg["data"]))
    # Notifications arrive in sequence order with no gap and no duplicate.
    assert [r["seq"] for r in received] == list(range(1, total + 1))
    # Each writer's own items were stored in its order, and the state holds each latest value.
    for w in range(writers):
        mine = [r["data"]["waiting"] for r in received if r["id"] == f"q{w}"]
        assert mine == list(range(per_writer))
    seq, state = bus.snapshot(["queue"])
    assert seq == total
    for w in range(writers):
        latest = max((r for r in received if r["id"] == f"q{w}"), key=lambda r: r["seq"])
        assert state["queue"][f"q{w}"].seq == latest["seq"]
    ps.close()


def _url(bus: Bus) -> str:
    kw = bus.client.connection_pool.connection_kwargs
    auth = f":{kw['password']}@" if kw.get("password") else ""
    return f"redis://{auth}{kw['host']}:{kw['port']}/{kw.get('db', 0)}"


def test_subscriber_joining_mid_stream_loses_and_duplicates_nothing(bus: Bus, follow) -> None:
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 3000:
            written.append(bus.publish(q(f"q{i % 7}", i)))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    wait_for(lambda: len(written) > 200)
    sub, rec = follow(bus)
    wait_for(lambda: len(written) > 1500)
    stop.set()
    t.join()
    wait_for(lambda: sub.seq == written[-1])
    with rec.lock:
        first_snapshot = rec.snapshot_seqs[0]
        assert rec.applied == list(range(first_snapshot + 1, written[-1] + 1))  # no loss, no dup
        assert len(rec.snapshot_seqs) == 1
        _, truth = bus.snapshot(["queue"])
        assert {k: v.seq for k, v in rec.mirror["queue"].items()} == {
            k: v.seq for k, v in truth["queue"].items()
        }


def test_sequence_gap_triggers_a_fresh_snapshot(bus: Bus, follow) -> None:
    sub, rec = follow(bus)
    bus.publish(q("billing", 1))
    wait_for(lambda: sub.seq == 1)
    # A write whose notification is lost: state and seq change, nothing is published.
    bus.client.incr(bus.seq_key)
    lost = q("faults", 9).model_copy(update={"seq": 2})
    bus.client.hset(bus.state_key("queue"), "faults", lost.model_dump_json())
    bus.publish(q("billing", 3))  # seq 3 arrives: 2 is missing
    wait_for(lambda: len(rec.snapshot_seqs) == 2)
    assert sub.gaps == 1
    assert rec.mirror["queue"]["faults"].data["waiting"] == 9
    assert rec.mirror["queue"]["billing"].data["waiting"] == 3


def test_a_lost_last_update_is_found_while_the_bus_is_quiet(bus: Bus, follow) -> None:
    sub, rec = follow(bus, check_interval=0.2)
    bus.client.incr(bus.seq_key)
    lost = q("faults", 4).model_copy(update={"seq": 1})
    bus.client.hset(bus.state_key("queue"), "faults", lost.model_dump_json())
    wait_for(lambda: "faults" in rec.mirror.get("queue", {}), timeout=5)
    assert sub.seq == 1


class HeldUp(Subscriber):
    """A subscriber whose loop is held up for 2 s once, right after a pong (so no ping is
    outstanding): what a busy worker on a loaded machine does to it."""

    held: dict[str, bool]

    def _subscribe(
        self, pubsub: redis.client.PubSub
    ) -> tuple[Callable[..., dict | None], Callable[[], object]]:
        read, ping = super()._subscribe(pubsub)
        state = self.held

        def get_message(timeout: float = 0.0) -> dict | None:
            if state["pong"] and not state["held"]:
                state["held"], state["pong"] = True, False
                time.sleep(2.0)
            msg = read(timeout=timeout)
            state["pong"] = msg is not None and msg["type"] == "pong"
            return msg

        return get_message, ping


def test_a_loop_held_up_with_no_ping_outstanding_is_not_a_dead_redis(bus: Bus) -> None:
    rec = Recorder()
    sub = HeldUp(bus, rec)
    sub.held = {"pong": False, "held": False}
    thread = threading.Thread(target=sub.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: sub.held["held"] and sub.held["pong"], timeout=10)  # held, then a pong
        assert rec.statuses == [True] and len(rec.snapshot_seqs) == 1
    finally:
        sub.stop()
        thread.join(5)


def test_garbage_on_the_channel_is_skipped_and_updates_continue(bus: Bus, follow, caplog) -> None:
    sub, rec = follow(bus)
    pigeon = {
        "kind": "contact",
        "id": "c1",
        "seq": 98,
        "ts": NOW,
        "data": {
            "event": "offered",
            "queue": "billing",
            "channel": "pigeon",
            "customer_id": "x",
            "enqueued_at": NOW,
        },
    }
    for junk in (b"not json", b"[]", b'{"kind": "queue"}', json.dumps({"kind": "weather",
                 "id": "x", "seq": 99, "ts": NOW, "data": {}}).encode(), b"\xff\xfe",
                 json.dumps(pigeon).encode()):  # fmt: skip
        bus.client.publish(bus.channel, junk)
    bus.publish(q("billing", 5))
    wait_for(lambda: sub.seq == 1)
    assert sub.garbage == 6
    assert "data.channel: unknown channel 'pigeon'" in caplog.text  # not a configured channel
    assert rec.mirror["queue"]["billing"].data["waiting"] == 5
    assert "skipping invalid item" in caplog.text
    assert sub.connected


def test_redis_stopped_and_restarted_mid_stream_resynchronises(
    own_redis: EmbeddedRedis, prefix: str, follow
) -> None:
    bus = Bus.from_url(own_redis.url, prefix)
    bus.publish(q("billing", 1))
    sub, rec = follow(bus, check_interval=0.2)
    bus.publish(q("billing", 2))
    wait_for(lambda: sub.seq == 2)
    own_redis.stop()  # clean shutdown with save: data survives
    wait_for(lambda: rec.statuses[-1:] == [False])
    assert not sub.connected
    with pytest.raises(redis.ConnectionError):
        bus.publish(q("billing", 99))
    own_redis.start()
    wait_for(lambda: sub.connected, timeout=15)
    bus.publish(q("faults", 7))
    wait_for(lambda: sub.seq == 3)
    assert rec.statuses == [True, False, True]
    assert len(rec.snapshot_seqs) == 2
    assert rec.mirror["queue"]["billing"].data["waiting"] == 2  # persisted value, resnapshotted
    assert rec.mirror["queue"]["faults"].data["waiting"] == 7


def test_redis_crash_losing_its_data_resets_the_subscriber_to_the_new_state(
    own_redis: EmbeddedRedis, prefix: str, follow
) -> None:
    bus = Bus.from_url(own_redis.url, prefix)
    sub, rec = follow(bus, check_interval=0.2)
    bus.publish(q("billing", 1))
    wait_for(lambda: sub.seq == 1)
    own_redis.kill()
    for f in own_redis.data_dir.rglob("*"):
        if f.is_file() and f.suffix in (".rdb", ".aof", ".manifest"):
            f.unlink()
    own_redis.start()
    wait_for(lambda: len(rec.snapshot_seqs) == 2, timeout=15)
    assert rec.snapshot_seqs[-1] == 0 and rec.mirror["queue"] == {}
    bus.publish(q("faults", 3))  # seq starts again at 1: not mistaken for an old update
    wait_for(lambda: "faults" in rec.mirror["queue"])


def test_contacts_in_progress_stay_in_state_and_all_go_to_the_stream(bus: Bus) -> None:
    t0 = NOW - 120
    base = {"queue": "billing", "channel": "voice", "customer_id": "C9", "enqueued_at": t0}
    bus.publish(make_envelope("contact", "c1", {**base, "event": "offered"}, ts=t0))
    assert bus.snapshot(["contact"])[1]["contact"].keys() == {"c1"}
    done = {**base, "event": "completed", "answered_at": t0 + 5, "ended_at": t0 + 60}
    seq = bus.publish(make_envelope("contact", "c1", done, ts=t0 + 60))
    assert bus.snapshot(["contact"])[1]["contact"] == {}
    entries = bus.client.xrange(bus.contacts_key)
    assert [json.loads(e[1][b"e"])["data"]["event"] for e in entries] == ["offered", "completed"]
    assert json.loads(entries[-1][1][b"e"])["seq"] == seq


def test_deleting_an_item_removes_it_and_notifies(bus: Bus) -> None:
    msg = {"text": "hi", "expires_at": NOW + 60}
    bus.publish(make_envelope("message", "m1", msg, ts=NOW))
    bus.publish(make_envelope("message", "m1", {}, ts=NOW, deleted=True))
    seq, state = bus.snapshot(["message"])
    assert seq == 2 and state["message"] == {}


def test_prefixes_keep_centres_apart(redis_server: EmbeddedRedis) -> None:
    a, b = Bus.from_url(redis_server.url, "ca:"), Bus.from_url(redis_server.url, "cb:")
    a.publish(q("billing", 1))
    assert b.snapshot()[0] == 0 and b.snapshot()[1]["queue"] == {}
    assert a.snapshot()[1]["queue"]["billing"].data["waiting"] == 1


def test_publish_many_is_one_round_trip_of_atomic_writes(bus: Bus) -> None:
    seqs = bus.publish_many([q(f"q{i}", i) for i in range(5)])
    assert seqs == [1, 2, 3, 4, 5]
    assert bus.publish_many([]) == []


@pytest.mark.parametrize(
    ("version", "cluster", "sharded"),
    [
        ("7.0.0", True, True),
        ("7.2.4", True, True),
        ("8.0.1", True, True),
        ("6.2.12", True, False),  # no SSUBSCRIBE before 7.0
        ("7.2.4", False, False),  # one server: sharded pub/sub would change nothing
        ("", True, False),
    ],
)
def test_sharded_pubsub_only_in_a_redis_7_cluster(version: str, cluster: bool, sharded: bool):
    assert wants_sharded_pubsub(version, cluster) is sharded


def test_a_cluster_prefix_needs_a_hash_tag() -> None:
    assert has_hash_tag("{site1}:") and has_hash_tag("fb:{north}:")
    assert not has_hash_tag("fb:") and not has_hash_tag("{}:") and not has_hash_tag("}{:")


def test_the_embedded_redis_uses_classic_pubsub(bus: Bus) -> None:
    assert bus.sharded is False  # Redis 6.2, not a cluster


def contact(cid: str, event: str, event_id: str | None = None) -> Envelope:
    # stamped in the past: a stamp ahead of the bus's clock would be clamped to the moment
    # of each write (feeds.bus.ordering), and two writes would then differ
    data = {"event": event, "queue": "billing", "channel": "voice", "customer_id": "C7",
            "enqueued_at": NOW - 10}  # fmt: skip
    if event != "offered":
        data["answered_at" if event == "answered" else "ended_at"] = NOW - 5
    return make_envelope("contact", cid, data, ts=NOW - 5, event_id=event_id)


def test_a_write_that_fails_keeps_the_sequence_numbers_taken_before_it(bus: Bus) -> None:
    """The script counts sequence numbers itself and stores the count once a call: a write that
    fails half-way (a customer's history key of another type) ends the call with an error, and
    the numbers the call's writes took are stored all the same, so none is given twice."""
    bad = make_envelope("contact", "c2", {"event": "offered", "queue": "billing",
                                          "channel": "voice", "customer_id": "BAD",
                                          "enqueued_at": time.time()}, ts=time.time())  # fmt: skip
    bus.client.set(order_key(bus.prefix, "BAD"), "not a sorted set")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        bus.publish_many([q("billing", 1), bad, q("billing", 2)])
    assert bus.current_seq() == 2  # the queue's write, and the contact's up to its failure
    assert bus.publish(q("billing", 3)) == 3


def test_an_event_id_is_written_once_and_a_retry_changes_nothing(bus: Bus, follow) -> None:
    _, rec = follow(bus)
    first = bus.publish(contact("c1", "offered", event_id="acd:c1:offered"))
    assert first == 1
    # A producer retrying after a timeout, alone and inside a batch: dropped, no sequence number.
    assert bus.publish(contact("c1", "offered", event_id="acd:c1:offered")) == 0
    seqs = bus.publish_many(
        [contact("c1", "offered", event_id="acd:c1:offered"), q("billing", 1), q("billing", 2)]
    )
    assert seqs == [0, 2, 3]
    assert bus.current_seq() == 3
    assert len(bus.client.xrange(bus.contacts_key)) == 1  # one raw event in the stream
    assert bus.client.ttl(bus.event_key("acd:c1:offered")) > 86400
    wait_for(lambda: rec.applied == [1, 2, 3])  # subscribers were told once each
    assert "event_id" not in bus.client.hget(bus.state_key("contact"), "c1").decode()


def test_events_without_ids_and_other_ids_are_written_as_before(bus: Bus) -> None:
    assert bus.publish(contact("c2", "offered")) == 1
    # no id: the ordering rule alone decides; an identical re-delivery changes nothing
    assert bus.publish(contact("c2", "offered")) == 0
    done = contact("c2", "abandoned", event_id="acd:c2:abandoned")
    assert bus.publish_many([done, contact("c3", "offered", event_id="acd:c3:offered")]) == [2, 3]
    assert bus.snapshot(["contact"])[1]["contact"].keys() == {"c3"}
    assert bus.client.hget(f"{bus.prefix}customer:C7", "c2") is not None  # history still kept


def test_a_batch_over_several_bulk_calls_writes_what_single_writes_do(redis_server) -> None:
    # more than BULK writes (several script calls), with re-deliveries, retries of event ids,
    # superseded events, deletions and other kinds among them (every shape the bulk call
    # sends: contacts, agents with their stream, plain items; with and without event ids):
    # the same results and the same keys
    envs = []
    for i in range(BULK + 30):
        cid = f"c{i % 70}"
        event = ("offered", "answered", "completed")[i % 3]
        envs.append(contact(cid, event, event_id=f"acd:{cid}:{event}" if i % 4 else None))
        if i % 9 == 0:
            envs.append(q(f"q{i % 5}", i))
        if i % 7 == 0:
            data = {"name": "Ann", "state": ("available", "on_contact")[i % 2], "since": NOW - 60}
            eid = f"acd:a:{i}" if i % 2 else None
            at = NOW - 4 + i / 1000
            envs.append(make_envelope("agent", f"a{i % 3}", data, ts=at, event_id=eid))
        if i % 31 == 0:
            envs.append(make_envelope("contact", f"c{i % 70}", {}, ts=NOW - 3, deleted=True))
    one, bulk = (Bus.from_url(redis_server.url, f"{n}{time.time_ns()}:") for n in "ab")
    now = time.time()
    assert [one.publish(e, now) for e in envs] == bulk.publish_many(envs, now)

    def keys(b: Bus) -> dict[str, object]:
        out = {}
        for key in b.client.scan_iter(match=b.prefix + "*"):
            if b.client.type(key) == b"stream":
                value = [f for _, f in b.client.xrange(key)]
            else:
                value = b.client.dump(key)
            out[key.decode().removeprefix(b.prefix)] = value, b.client.ttl(key)
        return out

    ones, bulks = keys(one), keys(bulk)
    assert {k: v for k, (v, _) in ones.items()} == {k: v for k, (v, _) in bulks.items()}
    for key, (_, ttl) in ones.items():  # the same time to live (written a moment apart)
        assert abs(bulks[key][1] - ttl) <= 2, key


def test_bulk_calls_sent_ahead_of_their_answers_survive_health_checks(redis_server) -> None:
    # publish_many sends every bulk call before reading an answer; a health check (PING) due
    # between two sends would read an earlier call's answer as its PONG
    bus = Bus(connect(redis_server.url, health_check_interval=1e-6), f"h{time.time_ns()}:")
    envs = [q(f"q{i}", i) for i in range(2 * BULK + 5)]
    assert bus.publish_many(envs) == list(range(1, len(envs) + 1))
    assert bus.publish(q("q0", 99)) == len(envs) + 1  # and the connection is in step after


def test_writes_sent_after_unread_ones_go_behind_them_on_their_connection(bus) -> None:
    # A flat-out replay sends a batch, then the next before reading the first's answers: on
    # another connection the second could overtake the first.
    pool = bus.client.connection_pool
    first = bus.send_many([q(f"q{i}", i) for i in range(BULK + 3)])
    second = bus.send_many([q("q0", 50), q("q1", 51)], after=first)
    assert second.line is first.line
    assert first.read() == list(range(1, BULK + 4))
    assert second.read() == [BULK + 4, BULK + 5]
    assert len(pool._in_use_connections) == 0  # the connection went back once both were read
    third = bus.send_many([q("q2", 52)], after=second)  # read already: another connection
    assert third.line is not second.line and third.read() == [BULK + 6]
    assert {e.id: e.data["waiting"] for e in bus.snapshot(["queue"])[1]["queue"].values()} == {
        **{f"q{i}": i for i in range(3, BULK + 3)}, "q0": 50, "q1": 51, "q2": 52,
    }  # fmt: skip


class Picky(Recorder):
    """A listener that cannot take one particular item (a bug, or data nobody foresaw)."""

    def on_update(self, env: Envelope) -> None:
        if env.id == "poison":
            raise OverflowError("cannot format this")
        super().on_update(env)


def test_an_item_the_listener_cannot_apply_is_skipped_and_the_rest_applies(bus, caplog) -> None:
    rec = Picky()
    sub = Subscriber(bus, rec)
    t = threading.Thread(target=sub.run, daemon=True)
    t.start()
    try:
        wait_for(lambda: rec.snapshot_seqs)
        bus.publish(q("poison", 1))
        bus.publish(q("billing", 2))
        wait_for(lambda: "billing" in rec.mirror.get("queue", {}))
        assert sub.faults == 1 and sub.connected and t.is_alive()
        assert "skipping queue/poison (seq 1)" in caplog.text
        assert rec.snapshot_seqs == [0]  # no resnapshot needed: only the one item was lost
    finally:
        sub.stop()
        t.join(5)
