"""The pieces of ``make reliability`` (scripts/reliability.py): screens that follow a wall's
stream as a browser does (reconnecting with Last-Event-ID), a small API client, the fuzzer for
the real server, and the access matrix."""

from __future__ import annotations

import contextlib
import http.client
import json
import random
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

WALL = "/stream?view=wall&board=main"


def request(port: int, method: str, path: str, body: Any = None, token: str | None = None,
            raw: bytes | None = None) -> tuple[int, bytes]:  # fmt: skip
    """One HTTP request; (status, body). A stream's status is read and the stream closed."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    if data is not None:
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=data, headers=headers)
        resp = conn.getresponse()
        streaming = resp.getheader("Content-Type", "").startswith("text/event-stream")
        return resp.status, b"" if streaming else resp.read()
    finally:
        conn.close()


class Screen(threading.Thread):
    """A wall screen: its stream, reopened as a browser does, and what it last showed."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.items: dict[str, Any] = {}
        self.bus_up = True
        self.down_at: float | None = None  # when a frame last said the bus is down
        self.last_id: int | None = None
        self.reconnects = 0
        self.stop = threading.Event()

    def waiting(self, tile: str = "billing") -> str | None:
        item = self.items.get(f"tile:{tile}")
        return item["fields"]["waiting"]["text"] if item and "fields" in item else None

    def messages(self) -> set[str]:
        return {m["id"] for m in self.items.get("messages", {}).get("list", [])}

    def run(self) -> None:
        while not self.stop.is_set():
            with contextlib.suppress(OSError, http.client.HTTPException, ValueError):
                self._follow()
            self.reconnects += 1
            self.stop.wait(0.5)

    def _follow(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        headers = {} if self.last_id is None else {"Last-Event-ID": str(self.last_id)}
        conn.request("GET", WALL, headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            raise OSError(f"stream refused: {resp.status}")
        event, data = "message", ""
        while not self.stop.is_set():
            line = resp.readline()
            if not line:
                raise OSError("stream closed")
            line = line.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data += line[6:]
            elif line.startswith("id: "):
                self.last_id = int(line[4:])
            elif not line and data:
                self._apply(event, json.loads(data))
                event, data = "message", ""

    def _apply(self, event: str, data: dict[str, Any]) -> None:
        if event == "snapshot":
            self.items = dict(data["items"])
        elif event == "update":
            self.items.update(data["items"])
        if "bus" in data:
            self.bus_up = bool(data["bus"]["up"])
            if not self.bus_up and self.down_at is None:
                self.down_at = time.monotonic()


def wait_until(check: Callable[[], bool], timeout: float) -> float:
    """Seconds until ``check()`` holds; raises TimeoutError past ``timeout``."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"not within {timeout} s")
        time.sleep(0.02)
    return time.monotonic() - started


def stalled_reader(port: int) -> socket.socket:
    """A screen that opens the wall's stream and never reads again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    sock.connect(("127.0.0.1", port))
    sock.sendall(f"GET {WALL} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    return sock


# -- fuzzing the real server --------------------------------------------------------------------

WORDS = [
    "text",
    "priority",
    "audience",
    "kind",
    "value",
    "expires_at",
    "ack_required",
    "service",
    "severity",
    "status",
    "queues",
    "reason",
    "expected_wait",
    "data",
    "id",
    "waiting",
    "ts",
]
ROUTES = [("POST", "/api/v1/messages"), ("POST", "/api/v1/outages"), ("POST", "/api/v1/events"),
          ("PUT", "/api/v1/delays/billing"), ("PATCH", "/api/v1/messages/m-0")]  # fmt: skip


def random_json(rng: random.Random, depth: int = 0) -> Any:
    pick = rng.random()
    if depth > 3 or pick < 0.4:
        return rng.choice(
            [
                None,
                True,
                False,
                0,
                -1,
                1e308,
                2**64,
                "",
                "\u202e£1000",
                "yes",
                "all",
                "team",
                "billing",
                time.time() + 600,
                "x" * 600,
            ]
        )
    if pick < 0.6:
        return [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = [rng.choice(WORDS) for _ in range(rng.randint(0, 5))]
    return {k: random_json(rng, depth + 1) for k in keys}


def fuzz_api(port: int, token: str, n: int, seed: int = 8) -> tuple[int, int]:
    """``n`` random bodies to the write routes; (inputs, answers of 500 or more)."""
    rng, errors = random.Random(seed), 0
    for _ in range(n):
        method, path = rng.choice(ROUTES)
        if rng.random() < 0.1:
            raw = rng.randbytes(rng.randint(0, 64))
        else:
            raw = json.dumps(random_json(rng)).encode()
            if rng.random() < 0.05:  # nested far too deep for any parser's recursion
                raw = b"[" * 100_000 + b"]" * 100_000
        status, _ = request(port, method, path, token=token, raw=raw)
        errors += status >= 500
    return n, errors


def fuzz_channel(publish: Callable[[bytes], Any], n: int, seed: int = 9) -> int:
    rng = random.Random(seed)
    for _ in range(n):
        if rng.random() < 0.5:
            publish(rng.randbytes(rng.randint(0, 100)))
        else:
            shaped = {
                "kind": rng.choice(["queue", "message", "agent", {}, 1]),
                "id": "x",
                "seq": rng.randint(-1, 3),
                "ts": time.time(),
                "data": random_json(rng),
            }
            publish(json.dumps(shaped).encode())
    return n


# -- who may do what ------------------------------------------------------------------------------


def access_matrix(port: int, tokens: dict[str, str | None], hidden: str) -> tuple[int, int, int]:
    """Every principal against every door: (checks made, denied, answers not as expected).
    ``hidden``: a message aimed at another agent than ``a01``."""
    soon = time.time() + 600
    rank = {"anonymous": 0, "viewer": 1, "agent": 2, "supervisor": 3}
    doors = [  # (method, path, body, the least role let in, or a rule)
        ("GET", "/api/v1/messages", None, "viewer"),
        ("GET", "/api/v1/outages", None, "viewer"),
        ("POST", "/api/v1/messages", {"text": "matrix", "expires_at": soon}, "supervisor"),
        ("POST", "/api/v1/events", {"kind": "queue", "id": "chat", "data": {}}, "supervisor"),
        ("PUT", "/api/v1/delays/chat", {"reason": "matrix"}, "supervisor"),
        ("GET", "/api/v1/audit", None, "supervisor"),
        ("GET", f"/api/v1/messages/{hidden}", None, "supervisor"),  # aimed at a02: a01 gets 404
        ("GET", "/api/v1/snapshot?view=console", None, "supervisor"),
        ("GET", "/stream?view=console", None, "supervisor"),
        ("GET", "/stream?view=agent&agent=a02", None, "supervisor"),
        ("GET", "/stream?view=agent&agent=a01", None, "agent"),
        ("GET", WALL, None, "anonymous"),
    ]
    made = denied = wrong = 0
    for who, token in tokens.items():
        for method, path, body, least in doors:
            status, _ = request(port, method, path, body, token)
            allowed = status < 300
            made += 1
            denied += not allowed
            wrong += allowed != (rank[who] >= rank[least])
    return made, denied, wrong
