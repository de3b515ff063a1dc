"""Redis Sentinel URLs: parsed with errors that name the wrong part, and used through a real
sentinel (the embedded redis-server in ``--sentinel`` mode) watching the embedded Redis."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from local_redis import local_client

from feeds.bus.bus import Bus, connect
from feeds.bus.embedded import EmbeddedRedis, free_port, redis_server_binary
from feeds.bus.schema import make_envelope
from feeds.bus.sentinel import SentinelURL, parse_sentinel_url


def test_a_sentinel_url_names_sentinels_service_db_and_password() -> None:
    assert parse_sentinel_url(
        "redis+sentinel://:s%40cret@10.0.0.1:26379,sentinel-b,[::1]:26380/mymaster/2"
    ) == SentinelURL(
        [("10.0.0.1", 26379), ("sentinel-b", 26379), ("::1", 26380)], "mymaster", 2, "s@cret"
    )
    assert parse_sentinel_url("redis+sentinel://h:1/m") == SentinelURL([("h", 1)], "m")


@pytest.mark.parametrize(
    ("url", "part"),
    [
        ("redis://h:26379/m", "scheme"),
        ("redis+sentinel:///mymaster", "sentinels"),
        ("redis+sentinel://h:port/mymaster", "sentinel 'h:port'"),
        ("redis+sentinel://h:26379,:26380/mymaster", "sentinel ':26380'"),
        ("redis+sentinel://h:70000/mymaster", "sentinel 'h:70000'"),
        ("redis+sentinel://h:26379", "service"),
        ("redis+sentinel://h:26379/", "service"),
        ("redis+sentinel://h:26379/mymaster/zero", "db"),
        ("redis+sentinel://h:26379/mymaster?ssl=1", "query"),
    ],
)
def test_a_bad_sentinel_url_is_refused_naming_the_part(url: str, part: str) -> None:
    with pytest.raises(ValueError, match=f"Redis Sentinel URL: {part}:"):
        parse_sentinel_url(url)


def test_connect_refuses_a_bad_sentinel_url_before_any_network() -> None:
    with pytest.raises(ValueError, match="service"):
        connect("redis+sentinel://127.0.0.1:1")


def sentinel_url(port: int, master: EmbeddedRedis) -> str:
    return f"redis+sentinel://:{master.password}@127.0.0.1:{port}/fbmaster/0"


@pytest.fixture
def sentinel(redis_server: EmbeddedRedis, tmp_path: Path) -> Iterator[int]:
    """A real sentinel watching the session Redis as ``fbmaster``; yields its port."""
    port = free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {tmp_path}\n"
        f"sentinel monitor fbmaster 127.0.0.1 {redis_server.port} 1\n"
        f"sentinel auth-pass fbmaster {redis_server.password}\n"
    )
    proc = subprocess.Popen(
        [redis_server_binary(), str(conf), "--sentinel"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        probe = local_client(port, socket_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                if probe.sentinel_get_master_addr_by_name("fbmaster"):
                    break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_bus_works_through_a_real_sentinel(sentinel: int, redis_server, prefix) -> None:
    bus = Bus(connect(sentinel_url(sentinel, redis_server)), prefix)
    seq = bus.publish(make_envelope("queue", "billing", {"waiting": 3}, ts=time.time()))
    direct = Bus.from_url(redis_server.url, prefix)
    assert direct.snapshot()[0] == seq
    assert bus.snapshot()[1]["queue"]["billing"].data["waiting"] == 3


def test_the_app_follows_the_bus_through_a_real_sentinel(
    sentinel: int, redis_server, bus: Bus, prefix, start_app, sse
) -> None:
    bus.publish(make_envelope("queue", "billing", {"waiting": 4}, ts=time.time()))
    app = start_app(sentinel_url(sentinel, redis_server), prefix)
    s = sse(app.port, "/stream?view=wall&board=main")
    snap = s.next_of("snapshot")
    assert snap["data"]["items"]["tile:billing"]["fields"]["waiting"]["text"] == "4"
    seq = bus.publish(make_envelope("queue", "billing", {"waiting": 5}, ts=time.time()))
    assert s.next_of("update")["id"] == seq
