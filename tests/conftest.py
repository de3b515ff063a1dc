"""Fixtures: real Redis servers (the embedded one the project ships) and the real app server.

Tests share one session Redis and isolate themselves by key prefix; tests that stop or restart
Redis get a server of their own. App servers are the production ``floorboard serve`` (gunicorn
with gevent workers) in a subprocess, so what is tested is what runs.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from feeds.bus.bus import Bus
from feeds.bus.embedded import EmbeddedRedis, free_port
from feeds.config import Config, parse_config

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("FLOORBOARD_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]  # fmt: skip


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False).start()
    yield server
    server.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    """A Redis of this test's own, with persistence, that the test may stop and restart."""
    server = EmbeddedRedis(tmp_path / "redis", persist=True).start()
    yield server
    server.stop()


@pytest.fixture
def prefix() -> str:
    return f"t{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def bus(redis_server: EmbeddedRedis, prefix: str) -> Iterator[Bus]:
    b = Bus.from_url(redis_server.url, prefix)
    yield b
    b.client.close()


def write_config(
    directory: Path, prefix: str, stale_after: float = 30, settings: dict | None = None
) -> Path:
    """The example config with its own key prefix (and optionally a short stale limit).

    ``settings``: other keys of the example to change, by name (``{"coalesce_ms": 50}``).
    """
    text = (ROOT / "floorboard.toml").read_text()
    text = text.replace('prefix = "fb:"', f'prefix = "{prefix}"')
    text = text.replace("stale_after = 30 ", f"stale_after = {stale_after} ")
    for key, value in (settings or {}).items():
        text, n = re.subn(rf"^{key} = \S+", f"{key} = {json.dumps(value)}", text, flags=re.M)
        assert n == 1, f"{key} is not a key of the example config"
    path = directory / "floorboard.toml"
    path.write_text(text)
    return path


def with_adapters(path: Path, adapters_toml: str) -> Config:
    """The config at ``path`` with its ``[adapters.*]`` sections replaced by these."""
    data = tomllib.loads(path.read_text())
    data["adapters"] = tomllib.loads(adapters_toml).get("adapters", {})
    return parse_config(data, str(path))


@pytest.fixture
def make_config(tmp_path: Path):
    """Factory: the example config under this test's prefix, as a file path."""
    return lambda prefix, stale_after=30: write_config(tmp_path, prefix, stale_after)


class AppServer:
    """``floorboard serve`` in a subprocess against a given Redis URL (``workers`` gunicorn
    workers; ``env``: more environment variables). Started means ready: ``/readyz`` says 200
    (Redis reachable, the hub synchronised)."""

    def __init__(
        self, redis_url: str, config: Path, log: Path, workers: int = 1, env: dict | None = None
    ) -> None:
        self.port = free_port()
        self.redis_url = redis_url
        self.config = config
        self.log_path = log
        self.workers = workers
        self.env = env or {}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> AppServer:
        env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "FLOORBOARD_CONFIG": str(self.config),
            # The app keeps its generated secret key there, not in the work tree.
            "FLOORBOARD_STATE_DIR": os.environ.get(
                "FLOORBOARD_STATE_DIR", str(self.log_path.parent / "state")
            ),
            **self.env,
        }
        self._log = self.log_path.open("ab")
        argv = ["serve", "--port", str(self.port), "--workers", str(self.workers)]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dashboard.cli", *argv],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app server exited:\n{self.log()}")
            try:
                status, _ = self.get("/readyz")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"app server not ready in {timeout}s:\n{self.log()}")

    def get(self, path: str, timeout: float = 5) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # quick stop, as Ctrl-C
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if hasattr(self, "_log"):
            self._log.close()


@pytest.fixture
def start_app(tmp_path: Path) -> Iterator:
    """Factory: ``start_app(redis_url, prefix, stale_after=30, settings=None, workers=1,
    env=None)`` → a running AppServer (``settings`` as for :func:`write_config`)."""
    servers: list[AppServer] = []

    def start(
        redis_url: str,
        prefix: str,
        stale_after: float = 30,
        settings: dict | None = None,
        workers: int = 1,
        env: dict | None = None,
    ) -> AppServer:
        n = len(servers)
        config = write_config(tmp_path, prefix, stale_after, settings)
        log = tmp_path / f"app{n}.log"
        server = AppServer(redis_url, config, log, workers, env).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class SSEClient:
    """A minimal Server-Sent Events reader over http.client, for stream tests."""

    def __init__(
        self,
        port: int,
        path: str,
        last_event_id: int | None = None,
        extra_headers: dict[str, str] | None = None,  # e.g. a login's Cookie
    ) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        headers = {"Accept": "text/event-stream", **(extra_headers or {})}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.conn.request("GET", path, headers=headers)
        self.resp = self.conn.getresponse()
        self.retry: int | None = None

    def next(self, timeout: float = 10) -> dict:
        """The next event as {"event", "id", "data"}; raises TimeoutError."""
        self.conn.sock.settimeout(timeout)
        event: dict = {"event": "message", "id": None, "data": ""}
        while True:
            line = self.resp.readline()
            if not line:
                raise ConnectionError("stream closed")
            line = line.decode().rstrip("\n")
            if not line:
                if event["data"]:
                    event["data"] = json.loads(event["data"])
                    return event
                continue
            name, _, value = line.partition(": ")
            if name == "retry":
                self.retry = int(value)
            elif name == "data":
                event["data"] += value
            elif name in ("event", "id"):
                event[name] = value if name == "event" else int(value)

    def next_of(self, kind: str, timeout: float = 10) -> dict:
        """Skip heartbeats and other kinds until an event of ``kind``."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"no {kind} event in {timeout}s")
            ev = self.next(left)
            if ev["event"] == kind:
                return ev

    def close(self) -> None:
        if self.conn.sock is not None:  # wake a thread still reading it (it holds the reader)
            with contextlib.suppress(OSError):
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()


@pytest.fixture
def sse() -> Iterator:
    clients: list[SSEClient] = []

    def open_(
        port: int,
        path: str,
        last_event_id: int | None = None,
        extra_headers: dict[str, str] | None = None,
    ) -> SSEClient:
        c = SSEClient(port, path, last_event_id, extra_headers)
        clients.append(c)
        return c

    yield open_
    for c in clients:
        c.close()


# -- browsers (tests marked ``browser``) --------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium (Debian's) for the session; each test gets its own contexts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Factory: a page in a browser context of its own (its own cookies, so its own login).

    Any uncaught JavaScript error on any of the pages fails the test.
    """
    contexts = []
    errors: list[str] = []

    def make(width: int = 1920, height: int = 1080) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        pg = context.new_page()
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        return pg

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()
