"""The polling baseline side: pollers posting what the Dash renderer posts each second."""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import random
import time

from bench_common import Meter, Server, in_batches, pct, proc_tree, publish_at, rss_bytes

from feeds.bus.bus import Bus

# Exactly what Dash 4's renderer posts for the baseline's callback (captured from Chromium).
DASH_BODY = {
    "output": "..billing-waiting.children...billing-offered.children..",
    "outputs": [
        {"id": "billing-waiting", "property": "children"},
        {"id": "billing-offered", "property": "children"},
    ],
    "inputs": [{"id": "tick", "property": "n_intervals", "value": 0}],
    "changedPropIds": ["tick.n_intervals"],
    "parsedChangedPropsIds": ["tick.n_intervals"],
}


class Poller:
    """One browser's ``dcc.Interval(interval=1000)``: posts the renderer's callback request
    every second on a kept-alive connection and notes when each value is first seen."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.seen: dict[int, float] = {}
        self.requests = 0
        self.errors = 0
        self.n_intervals = 0
        self.conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def connect(self) -> None:
        self.conn = await asyncio.open_connection("127.0.0.1", self.port)

    async def poll(self) -> None:
        self.n_intervals += 1
        body = dict(DASH_BODY, inputs=[{**DASH_BODY["inputs"][0], "value": self.n_intervals}])
        raw = json.dumps(body, separators=(",", ":")).encode()
        head = (
            "POST /_dash-update-component HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n"
        )
        try:
            if self.conn is None:
                await self.connect()
            assert self.conn is not None
            reader, writer = self.conn
            writer.write(head.encode() + raw)
            await writer.drain()
            length, keep = 0, True
            status = await reader.readline()
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and "close" in value.lower():
                    keep = False
            payload = await reader.readexactly(length)
            now = time.time()
            self.requests += 1
            if b" 200 " not in status:
                self.errors += 1
                return
            offered = json.loads(payload)["response"]["billing-offered"]["children"]
            with contextlib.suppress(ValueError):
                self.seen.setdefault(int(offered), now)
            if not keep:
                writer.close()
                self.conn = None
        except (OSError, asyncio.IncompleteReadError, ValueError, KeyError):
            self.errors += 1
            if self.conn:
                self.conn[1].close()
            self.conn = None

    async def run(self, until: float) -> None:
        """Poll every second from a random phase, as independent browsers would; a late
        response delays the next request, as the renderer queues callbacks."""
        due = time.monotonic() + random.random()
        while due < until:
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await self.poll()
            due = max(due + 1.0, time.monotonic())

    def close(self) -> None:
        if self.conn:
            self.conn[1].close()


async def poll_round(poll: Server, redis_pid: int, bus: Bus, n: int, rate: float, seconds: float):
    rss0 = rss_bytes(proc_tree(poll.pid))
    pollers = [Poller(poll.port) for _ in range(n)]
    t_connect = time.monotonic()
    await in_batches([p.connect for p in pollers])
    connect_s = time.monotonic() - t_connect
    base = int(time.time() * 1000) % 9_000 * 1000  # offered values unique to this round (< 10^7)
    pub_at: dict[int, float] = {}

    def value(i: int) -> dict:
        pub_at[base + i] = time.time()
        return {"waiting": i % 9, "offered": base + i}

    count = int(rate * seconds)
    with Meter(poll, redis_pid) as m:
        runs = [asyncio.create_task(p.run(time.monotonic() + seconds + 2)) for p in pollers]
        await publish_at(bus, rate, count, value)
        await asyncio.gather(*runs)  # polling goes on 2 s after the last publish, as push waits
    rss1 = rss_bytes(proc_tree(poll.pid))
    for p in pollers:
        p.close()
    latencies = [lat for p in pollers for lat in caught_up(p.seen, pub_at)]
    shown = sum(1 for p in pollers for v in p.seen if v in pub_at)
    requests = sum(p.requests for p in pollers)
    deliveries = max(1, shown)
    return {
        "server": poll.label, "clients": n, "published": count, "connect_s": connect_s,
        "delivered": 100 * shown / max(1, n * count), "deliv_s": shown / seconds,
        "srv_merged": "-",
        "p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99),
        "max": max(latencies, default=float("nan")), "missed": n * count - shown,
        "behind": sum(1 for p in pollers if max(p.seen, default=0) < base + count - 1),
        "dups": 0, "deliveries": shown, "req_s": requests / m.wall,
        "errors": sum(p.errors for p in pollers),
        "cores": m.cpu / m.wall, "redis_cores": m.redis / m.wall, "load_cores": m.load / m.wall,
        "cpu_per_1k": m.cpu / deliveries * 1000, "kb_per_stream": (rss1 - rss0) / n / 1024,
    }  # fmt: skip


def caught_up(seen: dict[int, float], pub_at: dict[int, float]) -> list[float]:
    """Per published value, ms until the screen showed it *or a newer one*.

    Values increase with time, so this is when the screen stopped being older than the event.
    Timing only the values a poll happened to show would flatter polling: at R above the poll
    rate most values are superseded unseen, and the few shown are the freshest.
    """
    shown = sorted((v, t) for v, t in seen.items() if v in pub_at)
    values = [v for v, _ in shown]
    out = []
    for v, published in pub_at.items():
        i = bisect.bisect_left(values, v)
        if i < len(shown):
            out.append((shown[i][1] - published) * 1000)
    return out
