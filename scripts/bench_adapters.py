"""Benchmark of the adapters: AMI events and CSV rows per second, onto a real (embedded) Redis.

1. AMI: a local AMI server greets, answers the login and the resync, then sends K callers'
   stories as fast as TCP takes them (7 events each: join, called, leave, connect, member in
   use, complete, member free); timed from the first event sent until the adapter has
   published the last caller's completion: events parsed, mapped and published per second.
2. CSV: a generated day of N rows replayed flat out (speed 0): rows per second from opening
   the file to the last write; the reader alone (parse and check, no bus), for where the
   time goes; and Redis's own ceiling, contacts written per CPU-second of Redis: what the
   bus's write script allows whatever the replay's side does.
3. HTTP ingest: ``floorboard serve`` (gunicorn, one gevent worker, as the demo) takes batches
   of B contact events (each with an event id) on ``POST /api/v1/events`` from C client
   threads over keep-alive connections, with a supervisor token: events per second from the
   first request to the last answer, every event written (no duplicates, no refusals).

A benchmark, not a test: it reports, it does not assert. Run alone (2 cores: say the load):

    .venv/bin/python scripts/bench_adapters.py [--callers 5000] [--rows 100000]
        [--events 50000] [--batch 200] [--only ami|csv|http]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import socket
import sys
import tempfile
import threading
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_common import Server, cpu_seconds, proc_tree  # noqa: E402

from feeds.accounts.store import Accounts  # noqa: E402
from feeds.adapters.ami.client import AmiOptions, run_ami  # noqa: E402
from feeds.adapters.csv_replay import replay_csv  # noqa: E402
from feeds.adapters.csv_rows import read_rows  # noqa: E402
from feeds.bus.bus import Bus  # noqa: E402
from feeds.bus.embedded import EmbeddedRedis  # noqa: E402
from feeds.config import Config, parse_config  # noqa: E402

T = 1741687200
AMI = {"queue_map": {"support": "billing", "sales": "faults"},
       "member_map": {f"PJSIP/1{n:03d}": f"a{n:02d}" for n in range(1, 25)}}  # fmt: skip


def config() -> Config:
    data = tomllib.loads((ROOT / "floorboard.toml").read_text())
    data["adapters"] = {"ami": AMI}
    return parse_config(data)


def block(event: str, t: float, **fields: object) -> tuple[float, str]:
    lines = [f"Event: {event}", "Privilege: agent,all", f"Timestamp: {t:.6f}"]
    return t, "\r\n".join(lines + [f"{k}: {v}" for k, v in fields.items()]) + "\r\n\r\n"


def member(queue: str, n: int, status: int, t: float) -> tuple[float, str]:
    who = {"MemberName": f"Agent {n}", "Interface": f"PJSIP/1{n:03d}"}
    return block("QueueMemberStatus", t, Queue=queue, **who, Status=status, Paused=0,
                 InCall=int(status == 2))  # fmt: skip


def stories(callers: int) -> bytes:
    """The callers' events in time order, as Asterisk sends them."""
    out: list[tuple[float, str]] = []
    for i in range(callers):
        t = T + i * 0.5
        queue, n = ("support", "sales")[i % 2], 1 + i % 24
        uid = f"{T + i}.{i}"
        who = {"Queue": queue, "Uniqueid": uid, "CallerIDNum": f"0770090{i % 5000:04d}"}
        agent = {"Interface": f"PJSIP/1{n:03d}", "MemberName": f"Agent {n}"}
        out += [
            block("QueueCallerJoin", t, **who, Position=1, Count=1),
            block("AgentCalled", t + 1, **who, **agent),
            block("QueueCallerLeave", t + 3, **who),
            block("AgentConnect", t + 3, **who, **agent, HoldTime=3, RingTime=2),
            member(queue, n, 2, t + 3),
            block("AgentComplete", t + 60, **who, **agent, HoldTime=3, TalkTime=57,
                  Reason="caller"),
            member(queue, n, 1, t + 60),
        ]  # fmt: skip
    out.sort(key=lambda e: e[0])
    return "".join(text for _, text in out).encode()


def serve_ami(server: socket.socket, payload: bytes, sent: dict) -> None:
    """One connection: greet, log in, resync with empty queues, then the whole payload."""
    conn, _ = server.accept()
    conn.sendall(b"Asterisk Call Manager/5.0.1\r\n")
    buf, answered = b"", 0
    while answered < 5:  # Login, Ping, QueueStatus, QueueSummary, Status
        buf += conn.recv(4096)
        while b"\r\n\r\n" in buf:
            raw, buf = buf.split(b"\r\n\r\n", 1)
            fields = dict(line.split(": ", 1) for line in raw.decode().split("\r\n"))
            aid, action = fields["ActionID"], fields["Action"]
            reply = f"Response: Success\r\nActionID: {aid}\r\n"
            if action == "Ping":
                reply += f"Ping: Pong\r\nTimestamp: {T - 1:.6f}\r\n\r\n"
            elif action in ("QueueStatus", "QueueSummary", "Status"):
                reply += (f"EventList: start\r\n\r\nEvent: {action}Complete\r\nActionID: {aid}\r\n"
                          "EventList: Complete\r\nListItems: 0\r\n\r\n")  # fmt: skip
            else:
                reply += "Message: Authentication accepted\r\n\r\n"
            conn.sendall(reply.encode())
            answered += 1
    sent["start"] = time.perf_counter()
    conn.sendall(payload)
    sent["done"] = time.perf_counter()
    sent["conn"] = conn  # kept open until the benchmark ends


def bench_ami(redis: EmbeddedRedis, callers: int) -> None:
    cfg = config()
    bus = Bus.from_url(redis.url, f"ami{time.time_ns()}:")
    payload = stories(callers)
    server = socket.create_server(("127.0.0.1", 0))
    sent: dict = {}
    threading.Thread(target=serve_ami, args=(server, payload, sent), daemon=True).start()
    stop = threading.Event()
    options = AmiOptions.from_config(cfg, "bench", port=server.getsockname()[1])
    cpu: dict = {}

    def adapter() -> None:  # its own thread's CPU: what the load does not move much
        run_ami(cfg, bus, options, stop)
        cpu["adapter"] = time.thread_time()  # from the thread's start, till it stopped

    runner = threading.Thread(target=adapter, daemon=True)
    runner.start()
    last = f"{T + callers - 1}.{callers - 1}"
    while True:
        tail = bus.client.xrevrange(bus.contacts_key, count=1)
        if tail and f'"id":"{last}"'.encode() in tail[0][1][b"e"] and b"completed" in tail[0][1][
                b"e"]:  # fmt: skip
            break
        time.sleep(0.01)
    took = time.perf_counter() - sent["start"]
    stop.set()
    runner.join(10)
    events = callers * 7
    written = bus.client.xlen(bus.contacts_key)
    print(f"AMI   {events:>8,} events ({callers:,} callers, {len(payload) / 1e6:.1f} MB) in "
          f"{took:5.2f} s: {events / took:>9,.0f} events/s parsed, mapped and published "
          f"({written:,} contact events on the bus); CPU: adapter {cpu['adapter']:.2f} s "
          f"({events / cpu['adapter']:,.0f} events per CPU-second)")  # fmt: skip


def bench_csv(redis: EmbeddedRedis, rows: int) -> None:
    from make_sample_day import main as make  # the sample day's generator, any size

    cfg = config()
    path = Path(tempfile.mkdtemp()) / "day.csv"
    sys.argv = ["make_sample_day", "--rows", str(rows), "--out", str(path)]
    make()
    start = time.perf_counter()
    taken = sum(len(r) for r, _ in read_rows(path, cfg))
    read = time.perf_counter() - start
    print(f"CSV   {taken:>8,} rows read and checked (no bus) in {read:5.2f} s: "
          f"{taken / read:>9,.0f} rows/s")  # fmt: skip
    bus = Bus.from_url(redis.url, f"csv{time.time_ns()}:")
    redis_cpu = _redis_cpu(bus)
    start, cpu = time.perf_counter(), time.process_time()
    report = replay_csv(path, cfg, bus, speed=0)
    took, cpu = time.perf_counter() - start, time.process_time() - cpu
    redis_cpu = _redis_cpu(bus) - redis_cpu
    print(f"CSV   {report.rows:>8,} rows replayed flat out in {took:5.2f} s: "
          f"{report.rows / took:>9,.0f} rows/s ({report.events:,} events aggregated, "
          f"{report.published:,} written); CPU: replay {cpu:.2f} s "
          f"({report.rows / cpu:,.0f} rows per CPU-second), Redis {redis_cpu:.2f} s")  # fmt: skip
    # What the bus's write script costs Redis bounds the replay whatever this side does: with
    # a core of its own and every argument ready, Redis writes at most this many a second.
    print(
        f"CSV   Redis's own ceiling: {report.published / redis_cpu:>9,.0f} contacts/s "
        f"({redis_cpu / report.published * 1e6:.1f} µs of Redis CPU a contact written)"
    )


def _redis_cpu(bus: Bus) -> float:
    """CPU-seconds the Redis server has used: on a shared machine, what a wall time hides."""
    info = bus.client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def ingest_batches(events: int, batch: int, t0: float) -> list[bytes]:
    """Contact events (offered, then answered or abandoned) as the API takes them, in batches."""
    out, pending = [], []
    for i in range(events):
        cid, at = f"h{i // 2}", t0 + i * 0.01
        data = {"event": "offered", "queue": ("billing", "faults")[i % 4 // 2],
                "channel": "voice", "customer_id": f"C{i // 2 % 7919}",
                "enqueued_at": t0 + (i // 2) * 0.01}  # fmt: skip
        if i % 2:
            data |= {"event": "answered", "answered_at": at, "agent_id": f"a{i % 24:02d}"}
        pending.append({"kind": "contact", "id": cid, "ts": at, "data": data,
                        "event_id": f"{cid}:{data['event']}"})  # fmt: skip
        if len(pending) == batch:
            out.append(json.dumps(pending).encode())
            pending = []
    if pending:
        out.append(json.dumps(pending).encode())
    return out


def post_all(port: int, token: str, bodies: list[bytes], answers: list[dict]) -> None:
    """POST each body on one keep-alive connection; keep the answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for body in bodies:
        conn.request("POST", "/api/v1/events", body=body, headers=headers)
        response = conn.getresponse()
        answer = json.loads(response.read())
        answers.append({"status": response.status, **answer})
    conn.close()


def bench_ingest(redis: EmbeddedRedis, events: int, batch: int, clients: int) -> None:
    prefix = f"ingest{time.time_ns()}:"
    directory = Path(tempfile.mkdtemp())
    text = (ROOT / "floorboard.toml").read_text().replace('prefix = "fb:"', f'prefix = "{prefix}"')
    text, n = re.subn(r"^ingest_limit = \S+", 'ingest_limit = "10000/second"', text, flags=re.M)
    assert n == 1, "ingest_limit is not in the example config"
    (directory / "floorboard.toml").write_text(text)
    bus = Bus.from_url(redis.url, prefix)
    token = Accounts(bus.client, prefix).create_token("bench", "supervisor")
    env = {**os.environ, "REDIS_URL": redis.url, "FLOORBOARD_LOG_LEVEL": "warning",
           "FLOORBOARD_CONFIG": str(directory / "floorboard.toml"),
           "FLOORBOARD_STATE_DIR": str(directory / "state")}  # fmt: skip
    server = Server("floorboard serve", [sys.executable, "-m", "dashboard.cli", "serve",
                    "--port", "{port}"], env, "/healthz", signal.SIGINT)  # fmt: skip
    server.start()
    try:
        bodies = ingest_batches(events, batch, time.time() - events * 0.01 - 60)  # all past
        post_all(server.port, token, bodies[:1], [])  # warm: the first request imports
        bodies = bodies[1:]
        answers: list[dict] = []
        shares = [bodies[i::clients] for i in range(clients)]
        threads = [threading.Thread(target=post_all, args=(server.port, token, share, answers))
                   for share in shares]  # fmt: skip
        server_cpu, redis_cpu = cpu_seconds(proc_tree(server.pid)), _redis_cpu(bus)
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        took = time.perf_counter() - start
        server_cpu = cpu_seconds(proc_tree(server.pid)) - server_cpu
        redis_cpu = _redis_cpu(bus) - redis_cpu
    finally:
        server.stop()
    sent = sum(len(json.loads(b)) for b in bodies)
    written = sum(len(a.get("published", [])) - a.get("duplicates", 0) for a in answers)
    refused = [a for a in answers if a["status"] != 200]
    if refused:
        print(f"HTTP  refused: {refused[0]}")
    print(f"HTTP  {sent:>8,} events in {len(bodies):,} batches of {batch} from {clients} "
          f"clients in {took:5.2f} s: {written / took:>9,.0f} events/s validated and written "
          f"({written:,} written, {len(refused)} batches refused); CPU: server "
          f"{server_cpu:.2f} s ({written / server_cpu:,.0f} events per CPU-second), "
          f"Redis {redis_cpu:.2f} s")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=5000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=50_000, help="HTTP ingest events")
    parser.add_argument(
        "--batch",
        type=int,
        default=200,
        help="HTTP ingest events per batch (the API takes bodies up to 64 KiB)",
    )
    parser.add_argument("--clients", type=int, default=4, help="HTTP ingest client threads")
    parser.add_argument("--only", choices=["ami", "csv", "http"], help="run only this part")
    args = parser.parse_args()
    redis = EmbeddedRedis(Path(tempfile.mkdtemp()), persist=False).start()
    try:
        print(f"load before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
        if args.only in (None, "ami"):
            bench_ami(redis, args.callers)
        if args.only in (None, "csv"):
            bench_csv(redis, args.rows)
        if args.only in (None, "http"):
            bench_ingest(redis, args.events, args.batch, args.clients)
        print(f"load after: {os.getloadavg()[0]:.2f} (1 min)")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
