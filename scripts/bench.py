"""Benchmark of the push path against the polling a Dash app would use, in one run.

Starts its own embedded Redis, ``floorboard serve`` (gunicorn + gevent) and the polling baseline
(``scripts/poll_baseline.py``: ``dcc.Interval(interval=1000)`` + flask-caching, also gunicorn +
gevent), then, with an asyncio load client on the same machine, prints one table per part:

1. push: N SSE clients, queue-tile updates published at R/s for D s; latency p50/p95/p99/max
   from publish until the client holds that value or a newer one, updates never received as
   such ("missed": conflated by the hub) and duplicates, clients not on the last value at the
   end ("behind"), server, Redis and load-client CPU (cores, and server CPU-seconds per 1,000
   deliveries), server memory per open stream;
2. poll: the same for N pollers posting what the Dash renderer posts every second (jittered
   phase); "missed" are values superseded before any poll saw them; and ratios push ÷ poll;
3. event → DOM latency in headless Chromium (MutationObserver) for the wall and the baseline;
4. reconnect storm: N clients that reconnect like browsers (``retry:``, Last-Event-ID) while the
   app server is restarted; time until every one is resynchronised.

A benchmark, not a test: it reports, it does not assert.

    python scripts/bench.py [--clients 100 1000 2000 5000] [--rate 20] [--seconds 8]
                            [--storm 2000] [--dom-events 60] [--no-poll] [--no-browser]
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feeds.bus import Bus  # noqa: E402
from feeds.embedded import EmbeddedRedis, free_port  # noqa: E402
from feeds.schema import make_envelope  # noqa: E402

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")
CHROMIUM = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [  # as tests/conftest.py: Debian's Chromium, never a downloaded one
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip
CONNECT_BATCH = 250  # more at once overflows the listen backlog and costs SYN retries (1 s+)
STREAM_PATH = "/stream?view=wall&board=main"
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


# --- measuring processes --------------------------------------------------------------------


def proc_tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        with contextlib.suppress(OSError):  # the process may have exited meanwhile
            todo += [int(c) for c in Path(f"/proc/{p}/task/{p}/children").read_text().split()]
    return pids


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for p in pids:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
        except OSError:
            pass
    return total / TICKS


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for p in pids:
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE_SIZE
    return total


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(p / 100 * len(values)))]


class Server:
    """A gunicorn-served app in its own process group, restartable on the same port."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        env: dict[str, str],
        health: str,
        stop_signal: int,
        log: Path | None = None,
    ) -> None:
        self.name, self.argv, self.env, self.health = name, argv, env, health
        self.stop_signal = stop_signal
        self.log = log  # stderr there instead of the terminal (the baseline's tracebacks)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self, timeout: float = 30) -> float:
        """Start and wait until healthy; returns the monotonic time it became healthy."""
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        self.process = subprocess.Popen(
            [a.replace("{port}", str(self.port)) for a in self.argv],
            cwd=ROOT, env=self.env, start_new_session=True,
            stderr=self.log.open("ab") if self.log else None,
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard)),
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                url = f"http://127.0.0.1:{self.port}{self.health}"
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return time.monotonic()
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} not healthy in {timeout}s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, self.stop_signal)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


class Meter:
    """CPU of the app server's process tree, Redis and this load client over a window."""

    def __init__(self, server: Server, redis_pid: int) -> None:
        self.server, self.redis_pid = server, redis_pid

    def __enter__(self) -> Meter:
        self.t0 = time.monotonic()
        self.cpu0 = cpu_seconds(proc_tree(self.server.pid))
        self.redis0 = cpu_seconds([self.redis_pid])
        self.load0 = self._self_cpu()
        return self

    @staticmethod
    def _self_cpu() -> float:
        """This load client's own CPU (all its threads): it shares the cores with the server."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    def __exit__(self, *exc: object) -> None:
        self.wall = time.monotonic() - self.t0
        self.cpu = cpu_seconds(proc_tree(self.server.pid)) - self.cpu0
        self.redis = cpu_seconds([self.redis_pid]) - self.redis0
        self.load = self._self_cpu() - self.load0


# --- the push side: SSE clients ---------------------------------------------------------------


class PushClient:
    """One SSE stream, reading like EventSource; optionally reconnecting like a browser does.

    On reconnect it waits the server's ``retry:`` (jittered by the server) and sends
    Last-Event-ID, so a storm of these behaves as a wall of browsers would after a restart.
    """

    def __init__(self, reconnect: bool = False) -> None:
        self.received: list[tuple[int, float]] = []  # (seq, wall time received)
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
            with contextlib.suppress(OSError, asyncio.IncompleteReadError):
                await self._stream(port, path)
            if not self.reconnect:
                return
            await asyncio.sleep(self.retry_ms / 1000)

    async def _stream(self, port: int, path: str) -> None:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        except OSError:
            self.refused += 1
            raise
        self.connections += 1
        resume = f"Last-Event-ID: {self.last_id}\r\n" if self.last_id else ""
        head = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n{resume}\r\n"
        writer.write(head.encode())
        opened = time.monotonic()
        event, data = "", ""
        try:
            await writer.drain()
            while True:
                line = await reader.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line.startswith("id: "):
                    self.last_id = line[4:]
                elif line.startswith("retry: "):
                    self.retry_ms = int(line[7:])
                elif not line and data:
                    self._event(event, data, opened)
                    event, data = "", ""
        finally:
            writer.close()

    def _event(self, event: str, data: str, opened: float) -> None:
        now = time.time()
        if self.resynced is None and opened >= self.storm_from and event != "heartbeat":
            self.resynced = (time.monotonic(), event)
        if event == "snapshot":
            self.snapshot.set()
        elif event == "update":
            body = json.loads(data)
            tile = body["items"].get("tile:billing")
            if tile:
                self.received.append((body["seq"], now))


async def in_batches(starts: list[Callable[[], Awaitable[Any]]], timeout: float = 120) -> None:
    """Run ``starts`` a batch at a time, so thousands of connections do not overflow the
    server's listen backlog at once (a dropped SYN is retried after a second or more)."""
    for i in range(0, len(starts), CONNECT_BATCH):
        batch = starts[i : i + CONNECT_BATCH]
        await asyncio.wait_for(asyncio.gather(*(s() for s in batch)), timeout)


async def publish_at(
    bus: Bus, rate: float, count: int, value: Callable[[int], dict]
) -> dict[int, float]:
    """Publish ``count`` billing-tile updates at ``rate``/s on schedule; {seq: publish time}."""
    seqs: dict[int, float] = {}
    start = time.monotonic()
    for i in range(count):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        env = make_envelope("queue", "billing", value(i), ts=time.time())
        seqs[await asyncio.to_thread(bus.publish, env)] = env.ts
    return seqs


async def push_round(push: Server, redis_pid: int, bus: Bus, n: int, rate: float, seconds: float):
    rss0 = rss_bytes(proc_tree(push.pid))
    clients = [PushClient() for _ in range(n)]
    tasks: list[asyncio.Task] = []

    def opener(c: PushClient) -> Callable[[], Awaitable[Any]]:
        def start() -> Awaitable[Any]:
            tasks.append(asyncio.create_task(c.run(push.port, STREAM_PATH)))
            return c.snapshot.wait()

        return start

    t_connect = time.monotonic()
    await in_batches([opener(c) for c in clients])
    connect_s = time.monotonic() - t_connect
    await asyncio.sleep(1)
    rss1 = rss_bytes(proc_tree(push.pid))
    with Meter(push, redis_pid) as m:
        published = await publish_at(
            bus, rate, int(rate * seconds), lambda i: {"waiting": i % 9, "offered": i}
        )
        await asyncio.sleep(2)  # let the last updates arrive
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    want = set(published)
    latencies: list[float] = []
    for c in clients:
        first: dict[int, float] = {}
        for seq, at in c.received:
            first.setdefault(seq, at)
        latencies += caught_up(first, published)
    received = sum(1 for c in clients for seq, _ in c.received if seq in want)
    missed = sum(len(want - {s for s, _ in c.received}) for c in clients)
    last = max(published, default=0)
    behind = sum(1 for c in clients if max((s for s, _ in c.received), default=0) < last)
    dups = sum(len(c.received) - len({s for s, _ in c.received}) for c in clients)
    deliveries = max(1, received)
    return {
        "clients": n, "published": len(published), "connect_s": connect_s,
        "p50": pct(latencies, 50), "p95": pct(latencies, 95), "p99": pct(latencies, 99),
        "max": max(latencies, default=float("nan")), "missed": missed, "dups": dups,
        "behind": behind,
        "deliveries": received, "cores": m.cpu / m.wall, "redis_cores": m.redis / m.wall,
        "load_cores": m.load / m.wall,
        "cpu_per_1k": m.cpu / deliveries * 1000, "kb_per_stream": (rss1 - rss0) / n / 1024,
    }  # fmt: skip


# --- the polling side: what N browsers with dcc.Interval do -----------------------------------


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
    base = int(time.time() * 1000) % 1_000_000 * 1000  # offered values unique to this round
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
        "clients": n, "published": count, "connect_s": connect_s,
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


# --- event → DOM in headless Chromium ---------------------------------------------------------

OBSERVE_JS = """(sel) => {
    window.__seen = [];
    const el = document.querySelector(sel);
    new MutationObserver(() => window.__seen.push(
        [el.textContent, performance.timeOrigin + performance.now()]
    )).observe(el, {childList: true, characterData: true, subtree: true});
}"""


def dom_latency(url: str, selector: str, bus: Bus, events: int, rate: float) -> dict[str, Any]:
    """Publish distinct, increasing values at ``rate``/s and time when the DOM caught up.

    Both clocks are this machine's wall clock (``time.time()`` and the page's
    ``timeOrigin + now()``). Latency is to the first DOM change showing the value or a newer
    one (see ``caught_up``); "shown-only" times just the values that appeared themselves.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector(selector, timeout=20_000)
        page.wait_for_timeout(2000)  # connected / first poll done
        page.evaluate(OBSERVE_JS, selector)
        pub_at: dict[str, float] = {}
        start = time.monotonic()
        for i in range(events):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            value = 100 + i
            pub_at[str(value)] = time.time()
            bus.publish(make_envelope("queue", "billing", {"waiting": value}, ts=time.time()))
        page.wait_for_timeout(3500)  # three more polls for the baseline
        first: dict[str, float] = {}
        for text, at in page.evaluate("window.__seen"):
            first.setdefault(text.strip(), at / 1000)
        browser.close()
    shown = {int(v): t for v, t in first.items() if v.isdigit()}
    lat = caught_up(shown, {int(v): t for v, t in pub_at.items()})
    own = [(first[v] - t) * 1000 for v, t in pub_at.items() if v in first]
    return {
        "published": len(pub_at), "seen": len(own), "p50": pct(lat, 50), "p95": pct(lat, 95),
        "own_p50": pct(own, 50), "own_p95": pct(own, 95),
    }  # fmt: skip


# --- reconnect storm --------------------------------------------------------------------------


def tile(waiting: int) -> Any:
    return make_envelope("queue", "billing", {"waiting": waiting}, ts=time.time())


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


# --- tables -----------------------------------------------------------------------------------

Columns = list[tuple[str, str, int, str]]  # title, result key, width, format
LOAD_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("p50 ms", "p50", 8, ".1f"), ("p95 ms", "p95", 8, ".1f"),
    ("p99 ms", "p99", 8, ".1f"), ("max ms", "max", 8, ".1f"), ("missed", "missed", 8, ""),
    ("dups", "dups", 4, ""), ("behind", "behind", 6, ""), ("deliv", "deliveries", 7, ""),
    ("cores", "cores", 6, ".2f"),
    ("redis", "redis_cores", 6, ".2f"), ("load", "load_cores", 5, ".2f"),
    ("cpu s/1k", "cpu_per_1k", 9, ".3f"), ("KB/conn", "kb_per_stream", 8, ".1f"),
    ("connect s", "connect_s", 9, ".1f"),
]  # fmt: skip
RATIO_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("p50", "p50", 7, ".3f"), ("p95", "p95", 7, ".3f"),
    ("p99", "p99", 7, ".3f"), ("cores", "cores", 7, ".2f"), ("cpu/1k", "cpu_per_1k", 7, ".4f"),
]  # fmt: skip
DOM_COLUMNS: Columns = [
    ("page", "page", 6, ""), ("published", "published", 9, ""), ("in DOM", "seen", 6, ""),
    ("p50 ms", "p50", 8, ".1f"), ("p95 ms", "p95", 8, ".1f"),
    ("shown-only p50", "own_p50", 14, ".1f"), ("shown-only p95", "own_p95", 14, ".1f"),
]  # fmt: skip
STORM_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("resynced", "resynced", 8, ""), ("snapshots", "snapshots", 9, ""),
    ("down s", "down_s", 6, ".2f"), ("boot s", "boot_s", 6, ".2f"),
    ("p50 s", "p50_s", 6, ".2f"), ("all s", "from_start_s", 6, ".2f"),
    ("from kill s", "from_kill_s", 11, ".2f"), ("refused", "refused", 7, ""),
]  # fmt: skip


def header(title: str, columns: Columns) -> None:
    print(f"\n{title}\n" + " ".join(f"{t:>{w}}" for t, _, w, _ in columns), flush=True)


def row(result: dict[str, Any], columns: Columns) -> None:
    print(" ".join(f"{result[k]:>{w}{f}}" for _, k, w, f in columns), flush=True)


def ratios(push: dict[str, Any], poll: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"clients": push["clients"]}
    for key in ("p50", "p95", "p99", "cores", "cpu_per_1k"):
        out[key] = push[key] / poll[key] if poll[key] else float("nan")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, nargs="+", default=[100, 1000, 2000, 5000])
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--seconds", type=float, default=8)
    ap.add_argument("--storm", type=int, default=2000, help="clients in the storm; 0 skips it")
    ap.add_argument("--dom-events", type=int, default=60)
    ap.add_argument("--no-poll", action="store_true")
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    began = time.monotonic()

    with tempfile.TemporaryDirectory() as tmp, EmbeddedRedis(Path(tmp), persist=False) as redis:
        assert redis.process is not None
        env = {
            **os.environ, "REDIS_URL": redis.url, "FLOORBOARD_LOG_LEVEL": "warning",
            "FLOORBOARD_STATE_DIR": str(Path(tmp) / "state"),
        }  # fmt: skip
        push = Server("floorboard serve", [sys.executable, "-m", "dashboard.cli", "serve",
                      "--port", "{port}"], env, "/healthz", signal.SIGINT)  # fmt: skip
        poll = Server("poll baseline", [
            sys.executable, "-m", "gunicorn", "--worker-class", "gevent", "--workers", "1",
            "--worker-connections", "10000", "--keep-alive", "75", "--backlog", "2048",
            "--log-level", "warning", "--chdir", str(ROOT / "scripts"),
            "--graceful-timeout", "2", "--bind", "127.0.0.1:{port}", "poll_baseline:server",
        ], env, "/", signal.SIGTERM, Path(tmp) / "poll.log")  # fmt: skip
        bus = Bus.from_url(redis.url)
        push.start()
        try:
            if not args.no_poll:
                poll.start()
            size = len(make_envelope("queue", "billing", {}, ts=time.time()).model_dump_json())
            print(f"push: floorboard serve, 1 gevent worker; poll: scripts/poll_baseline.py, "
                  f"1 gevent worker; R={args.rate:g}/s for {args.seconds:g}s, tile update "
                  f"~{size} B; {os.cpu_count()} cores shared with this load client")  # fmt: skip
            results: list[tuple[dict, dict | None]] = []
            header("1. push: publish → received (SSE)", LOAD_COLUMNS)
            for n in args.clients:
                r = asyncio.run(push_round(push, redis.process.pid, bus, n, args.rate,
                                           args.seconds))  # fmt: skip
                row(r, LOAD_COLUMNS)
                results.append((r, None))
            if not args.no_poll:
                header("2. poll: publish → first 1 s dcc.Interval poll showing it or newer; "
                       "missed = superseded before any poll saw it", LOAD_COLUMNS)  # fmt: skip
                for i, n in enumerate(args.clients):
                    r = asyncio.run(poll_round(poll, redis.process.pid, bus, n, args.rate,
                                               args.seconds))  # fmt: skip
                    row(r, LOAD_COLUMNS)
                    assert poll.log is not None
                    log = poll.log.read_text(errors="replace")
                    print(f"{'':5} ({r['req_s']:.0f} requests/s, {r['errors']} failed; server "
                          f"log so far: {log.count('Too many connections')} × redis-py "
                          f"'Too many connections')")  # fmt: skip
                    results[i] = (results[i][0], r)
                header("   ratios push ÷ poll (below 1: push is better)", RATIO_COLUMNS)
                for p, q in results:
                    if q:
                        row(ratios(p, q), RATIO_COLUMNS)
            if not args.no_browser and not Path(CHROMIUM).exists():
                print(
                    f"\n3. event → DOM skipped: no Chromium at {CHROMIUM} "
                    "(see scripts/ensure-chromium)"
                )
            elif not args.no_browser:
                header("3. event → DOM in headless Chromium (MutationObserver), "
                       "~5 events/s", DOM_COLUMNS)  # fmt: skip
                base = f"http://127.0.0.1:{push.port}/wall/main"
                dp = dom_latency(base, "#tile-billing-waiting", bus, args.dom_events, 5)
                row({"page": "push", **dp}, DOM_COLUMNS)
                if not args.no_poll:
                    url = f"http://127.0.0.1:{poll.port}/"
                    dq = dom_latency(url, "#billing-waiting", bus, args.dom_events, 5)
                    row({"page": "poll", **dq}, DOM_COLUMNS)
                    print(f"{'ratio':>6} poll ÷ push: p50 {dq['p50'] / dp['p50']:.0f}×, "
                          f"p95 {dq['p95'] / dp['p95']:.0f}×")  # fmt: skip
            if args.storm:
                header("4. reconnect storm: app server killed and restarted under N clients "
                       "(times from the new process's start)", STORM_COLUMNS)  # fmt: skip
                row(asyncio.run(storm(push, bus, args.storm)), STORM_COLUMNS)
        finally:
            push.stop()
            poll.stop()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n(bench took {time.monotonic() - began:.0f} s; load average now {load}: other "
          "work on this machine during the run skews every figure)")  # fmt: skip


if __name__ == "__main__":
    main()
