"""Sharded pub/sub on a real Redis 7 cluster (Debian's redis-server; the embedded one is 6.2).

Three masters on free ports, built with ``redis-cli --cluster create``: the bus must write with
SPUBLISH inside its Lua script, the subscriber must SSUBSCRIBE, and a subscriber joining
mid-stream must still lose and duplicate nothing.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from test_bus import Recorder, wait_for

from feeds.bus.bus import Bus, BusConfigError, connect
from feeds.bus.schema import make_envelope
from feeds.bus.subscriber import Subscriber


def _cluster_port() -> int:
    """A free port whose cluster bus port (port + 10000) is free too, so below 55536."""
    while True:
        port = random.randint(20_000, 45_000)
        try:
            for p in (port, port + 10_000):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", p))
        except OSError:
            continue
        return port


def _cli(*args: str) -> str:
    return subprocess.run(
        ["redis-cli", *args], capture_output=True, text=True, timeout=30, check=True
    ).stdout


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A three-master Redis 7 cluster; yields its ``redis+cluster://`` URL."""
    server = shutil.which("redis-server")
    assert server, "redis-server 7 is needed (scripts/ensure-test-tools installs it)"
    version = subprocess.run([server, "--version"], capture_output=True, text=True).stdout
    assert " v=7" in version or " v=8" in version, f"Redis 7+ needed, found: {version}"
    ports = [_cluster_port() for _ in range(3)]
    procs = []
    for port in ports:
        d: Path = tmp_path_factory.mktemp(f"node{port}")
        procs.append(subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
             "--cluster-config-file", str(d / "nodes.conf"), "--dir", str(d), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))  # fmt: skip
    try:
        for port in ports:
            deadline = time.monotonic() + 10
            while subprocess.run(["redis-cli", "-p", str(port), "ping"], capture_output=True,
                                 text=True).stdout.strip() != "PONG":  # fmt: skip
                assert time.monotonic() < deadline, f"node {port} did not start"
                time.sleep(0.05)
        _cli("--cluster", "create", *(f"127.0.0.1:{p}" for p in ports),
             "--cluster-replicas", "0", "--cluster-yes")  # fmt: skip
        deadline = time.monotonic() + 20
        while "cluster_state:ok" not in _cli("-p", str(ports[0]), "cluster", "info"):
            assert time.monotonic() < deadline, "cluster did not become ok"
            time.sleep(0.1)
        yield f"redis+cluster://127.0.0.1:{ports[0]}/0"
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(10)


def q(qid: str, waiting: int):
    return make_envelope("queue", qid, {"waiting": waiting}, ts=time.time())


def test_the_bus_uses_sharded_pubsub_on_a_cluster(cluster: str) -> None:
    bus = Bus(connect(cluster), "{site1}:")
    assert isinstance(bus.client, redis.RedisCluster)
    assert bus.sharded
    ps = bus.client.pubsub()
    ps.ssubscribe(bus.channel)
    wait_for(lambda: (m := ps.get_sharded_message(timeout=0.2)) is not None
             and m["type"] == "ssubscribe")  # fmt: skip
    seq = bus.publish(q("billing", 4))
    msg = None
    deadline = time.monotonic() + 5
    while msg is None or msg["type"] != "smessage":
        assert time.monotonic() < deadline, "no sharded message"
        msg = ps.get_sharded_message(timeout=0.5)
    assert b'"seq":%d' % seq in msg["data"]
    assert bus.snapshot(["queue"])[1]["queue"]["billing"].data["waiting"] == 4
    ps.close()


def test_a_subscriber_on_a_cluster_loses_and_duplicates_nothing(cluster: str) -> None:
    bus = Bus(connect(cluster), "{site2}:")
    stop, written = threading.Event(), []

    def writer() -> None:
        i = 0
        while not stop.is_set() and i < 600:
            written.append(bus.publish(q(f"q{i % 5}", i)))
            i += 1

    t = threading.Thread(target=writer)
    t.start()
    wait_for(lambda: len(written) > 50)
    rec = Recorder()
    sub = Subscriber(bus, rec)
    follower = threading.Thread(target=sub.run, daemon=True)
    follower.start()
    wait_for(lambda: rec.snapshot_seqs)
    wait_for(lambda: len(written) > 300)
    stop.set()
    t.join()
    wait_for(lambda: sub.seq == written[-1])
    sub.stop()
    follower.join(5)
    assert rec.applied == list(range(rec.snapshot_seqs[0] + 1, written[-1] + 1))
    assert bus.publish_many([q("z", 1), q("z", 2)]) == [written[-1] + 1, written[-1] + 2]


def test_a_cluster_prefix_without_a_hash_tag_is_refused(cluster: str) -> None:
    bus = Bus(connect(cluster), "plain:")
    with pytest.raises(BusConfigError, match="hash tag"):
        bus.publish(q("billing", 1))


def test_the_app_serves_a_wall_over_a_cluster(cluster: str, start_app, sse) -> None:
    bus = Bus(connect(cluster), "{site3}:")
    bus.publish(q("billing", 2))
    app = start_app(cluster, "{site3}:")
    s = sse(app.port, "/stream?view=wall&board=main")
    snap = s.next_of("snapshot")
    assert snap["data"]["items"]["tile:billing"]["fields"]["waiting"]["text"] == "2"
    seq = bus.publish(q("billing", 7))
    update = s.next_of("update")
    assert update["id"] == seq
    assert update["data"]["items"]["tile:billing"]["fields"]["waiting"]["text"] == "7"


def test_an_event_id_is_written_once_on_a_cluster(cluster: str) -> None:
    bus = Bus(connect(cluster), "{site4}:")
    once = make_envelope("queue", "billing", {"waiting": 1}, ts=time.time(), event_id="e1")
    assert bus.publish(once) == 1
    assert bus.publish(once) == 0
    assert bus.publish_many([once, q("billing", 2)]) == [0, 2]
