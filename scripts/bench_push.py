"""The push side of the benchmark: SSE clients, a publishing round, the reconnect storm."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from typing import Any

from bench_common import (
    STREAM_PATH,
    Meter,
    Server,
    in_batches,
    pct,
    proc_tree,
    publish_at,
    rss_bytes,
    tile,
)
from bench_poll import caught_up

from feeds.bus.bus import Bus

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux's value; Python lacks the name
KERNEL_STAMPS = sys.platform.startswith("linux")
STAMP_SPACE = socket.CMSG_SPACE(16)  # one struct timespec
STAMPS = ("arrival", "read")  # which time of a client's event counts: see PushClient


class PushClient:
    """One SSE stream, reading like EventSource; optionally reconnecting like a browser does.

    On reconnect it waits the server's ``retry:`` (jittered by the server) and sends
    Last-Event-ID, so a storm of these behaves as a wall of browsers would after a restart.

    Each event is stamped twice: *arrival*, when its bytes reached the client's socket (the
    kernel's receive time, ``SO_TIMESTAMPNS``), and *read*, when this process read them. The
    N clients share one thread, and a screen is a browser with a core of its own: the read time
    adds this load client's queue, which is longest for a server that writes to every socket
    in one quick pass (5,000 sockets readable at once, read one after the other) and shortest
    for one that writes a socket at a time no faster than the client reads. So the benchmark
    times arrivals; ``--stamp read`` times reads. (Reads were stamped first in a task woken
    after the read, which also ran every other socket's read callback before stamping any.)
    """

    def __init__(self, reconnect: bool = False, marks: tuple[bytes, ...] = ()) -> None:
        self.received: list[tuple[int, float, float]] = []  # (seq, arrival, read): wall times
        self.bytes = 0  # everything read from the stream (HTTP chunk framing included)
        self.marks = dict.fromkeys(marks, 0)  # update events whose data holds each mark
        self.snapshot = asyncio.Event()
        self.reconnect = reconnect
        self.retry_ms = 3000  # EventSource's default until the server says otherwise
        self.last_id: str | None = None
        self.connections = 0
        self.refused = 0
        self.storm_from = float("inf")  # monotonic time from which a first event counts
        self.resynced: tuple[float, str] | None = None

    async def run(self, port: int, path: str) -> None:
        while True:
            with contextlib.suppress(OSError):
                await self._stream(port, path)
            if not self.reconnect:
                return
            await asyncio.sleep(self.retry_ms / 1000)

    async def _stream(self, port: int, path: str) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket()
        sock.setblocking(False)
        if KERNEL_STAMPS:
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        reader = _Reader(self, sock, time.monotonic(), loop.create_future())
        try:
            try:
                await loop.sock_connect(sock, ("127.0.0.1", port))
            except OSError:
                self.refused += 1
                raise
            self.connections += 1
            resume = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
            head = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n{resume}\r\n"
            await loop.sock_sendall(sock, head.encode())
            loop.add_reader(sock.fileno(), reader.readable)
            try:
                await reader.closed
            finally:
                loop.remove_reader(sock.fileno())
        finally:
            sock.close()

    def event(self, block: bytes, arrived: float, read: float, opened: float) -> None:
        """One SSE event (HTTP chunk-size lines around it are ignored, as a browser's HTTP
        layer strips them). Only ``id:`` and ``event:`` are parsed; an update's data is just
        searched for the billing tile: a cheap client measures the server, not itself."""
        event, ident = b"", b""
        for line in block.split(b"\n"):
            if line.startswith(b"event: "):
                event = line[7:].rstrip(b"\r")
            elif line.startswith(b"id: "):
                ident = line[4:].rstrip(b"\r")
            elif line.startswith(b"retry: "):
                self.retry_ms = int(line[7:])
        if ident:
            self.last_id = ident.decode()
        if not event:
            return
        if self.resynced is None and opened >= self.storm_from and event != b"heartbeat":
            self.resynced = (time.monotonic(), event.decode())
        if event == b"snapshot":
            self.snapshot.set()
        elif event == b"update":
            for mark in self.marks:
                self.marks[mark] += mark in block
            if ident and b'"tile:billing"' in block:
                self.received.append((int(ident), arrived, read))


class _Reader:
    """A client's connection: reads what arrives as soon as it is readable, with the kernel's
    receive time, and hands each event to the client."""

    def __init__(
        self, client: PushClient, sock: socket.socket, opened: float, closed: asyncio.Future[None]
    ) -> None:
        self.client, self.sock, self.opened, self.closed = client, sock, opened, closed
        self.buf = b""

    def readable(self) -> None:
        try:
            data, ancillary, _, _ = self.sock.recvmsg(1 << 16, STAMP_SPACE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            if not self.closed.done():
                self.closed.set_result(None)
            return
        read = time.time()  # every event of this read arrived together
        arrived = read
        for level, kind, stamp in ancillary:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                sec, ns = struct.unpack("ll", stamp[:16])
                arrived = sec + ns / 1e9  # of the last packet read: never too early
        client = self.client
        client.bytes += len(data)
        *blocks, self.buf = (self.buf + data).split(b"\n\n")
        for block in blocks:
            client.event(block, arrived, read, self.opened)


def billing(i: int) -> dict[str, Any]:
    """The billing tile's figures in the ``i``-th update: each one changes what it shows."""
    return {"waiting": i % 9, "offered": i}


async def push_round(
    push: Server,
    redis_pid: int,
    bus: Bus,
    n: int,
    rate: float,
    seconds: float,
    path: str = STREAM_PATH,
    value: Callable[[int], dict[str, Any]] = billing,
    marks: tuple[bytes, ...] = (),
    stamp: str = "arrival",
) -> dict[str, Any]:
    """N clients of ``path``, billing updates (``value``) at ``rate``/s for ``seconds``: what
    each client saw and when (``stamp``: the events' arrival or their read, see
    :class:`PushClient`), and the server's CPU; ``marks``: update events counted by what
    their data holds (summed over the clients, in the result's ``marks``)."""
    rss0 = rss_bytes(proc_tree(push.pid))
    clients = [PushClient(marks=marks) for _ in range(n)]
    tasks: list[asyncio.Task] = []

    def opener(c: PushClient) -> Callable[[], Awaitable[Any]]:
        def start() -> Awaitable[Any]:
            tasks.append(asyncio.create_task(c.run(push.port, path)))
            return c.snapshot.wait()

        return start

    t_connect = time.monotonic()
    await in_batches([opener(c) for c in clients])
    connect_s = time.monotonic() - t_connect
    await asyncio.sleep(1)
    rss1 = rss_bytes(proc_tree(push.pid))
    counted = await asyncio.to_thread(merged_by_server, push)
    read0 = sum(c.bytes for c in clients)  # the snapshots: not part of the round
    marks0 = {k: sum(c.marks[k] for c in clients) for k in marks}
    with Meter(push, redis_pid) as m:
        published = await publish_at(bus, rate, int(rate * seconds), value)
        await asyncio.sleep(2)  # let the last updates arrive
    if counted is not None:
        counted = await asyncio.to_thread(merged_by_server, push) - counted
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    want = set(published)
    latencies: list[float] = []
    for c in clients:
        first: dict[int, float] = {}
        for seq, arrived, read in c.received:
            first.setdefault(seq, read if stamp == "read" else arrived)
        latencies += caught_up(first, published)
    seen = [[e[0] for e in c.received] for c in clients]
    received = sum(1 for seqs in seen for seq in seqs if seq in want)
    missed = sum(len(want - set(seqs)) for seqs in seen)
    last = max(published, default=0)
    behind = sum(1 for seqs in seen if max(seqs, default=0) < last)
    dups = sum(len(seqs) - len(set(seqs)) for seqs in seen)
    deliveries = max(1, received)
    return {
        "server": push.label, "clients": n, "published": len(published), "connect_s": connect_s,
        "delivered": 100 * received / max(1, n * len(published)),
        "deliv_s": received / seconds, "srv_merged": "-" if counted is None else counted,
        "p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99),
        "max": max(latencies, default=float("nan")), "missed": missed, "dups": dups,
        "behind": behind,
        "deliveries": received, "cores": m.cpu / m.wall, "redis_cores": m.redis / m.wall,
        "load_cores": m.load / m.wall,
        "cpu_per_1k": m.cpu / deliveries * 1000, "kb_per_stream": (rss1 - rss0) / n / 1024,
        "cpu_s": m.cpu, "wall_s": m.wall, "bytes": sum(c.bytes for c in clients) - read0,
        "marks": {k: sum(c.marks[k] for c in clients) - marks0[k] for k in marks},
    }  # fmt: skip


def merged_by_server(server: Server) -> int | None:
    """Updates the product's hub says it folded into merged frames (its ``/healthz`` push
    counters), when the server is the product with one worker; else None."""
    if server.name != "floorboard serve" or server.workers != 1:
        return None
    url = f"http://127.0.0.1:{server.port}/healthz"
    with urllib.request.urlopen(url, timeout=5) as r:
        return int(json.load(r)["push"]["merged"])


async def storm(push: Server, bus: Bus, n: int) -> dict[str, Any]:
    """Kill the app server under N connected clients, start it again, time the resync."""
    clients = [PushClient(reconnect=True) for _ in range(n)]
    tasks: list[asyncio.Task] = []

    def opener(c: PushClient) -> Callable[[], Awaitable[Any]]:
        def start() -> Awaitable[Any]:
            tasks.append(asyncio.create_task(c.run(push.port, STREAM_PATH)))
            return c.snapshot.wait()

        return start

    await in_batches([opener(c) for c in clients])
    await asyncio.to_thread(bus.publish, tile(1))
    await asyncio.sleep(1)
    t_kill = time.monotonic()
    for c in clients:
        c.storm_from = t_kill
    await asyncio.to_thread(push.stop)
    # Something changes while the server is down, so no client can simply resume.
    await asyncio.to_thread(bus.publish, tile(2))
    t_start = time.monotonic()
    t_healthy = await asyncio.to_thread(push.start)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and any(c.resynced is None for c in clients):
        await asyncio.sleep(0.05)
    done = [c.resynced for c in clients if c.resynced]
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    last = max((t for t, _ in done), default=float("nan"))
    return {
        "clients": n, "resynced": len(done),
        "snapshots": sum(1 for _, e in done if e == "snapshot"),
        "down_s": t_start - t_kill, "boot_s": t_healthy - t_start,
        "from_start_s": last - t_start, "from_kill_s": last - t_kill,
        "p50_s": pct([t - t_start for t, _ in done], 50),
        "refused": sum(c.refused for c in clients),
    }  # fmt: skip
