"""What an AMI run is given and what it reports: connection options (from ``[adapters.ami]``
and the command line), the secret (a file or the environment, never argv), the run's report,
and Asterisk's clock as seen from here (Ping answers and event Timestamps)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from feeds.adapters.ami.protocol import Message
from feeds.bus.fields import MAX_TS, MIN_TS
from feeds.config import Config


class AmiAuthError(RuntimeError):
    """Asterisk refused the login: the message is Asterisk's."""


class AmiError(ConnectionError):
    """The connection cannot go on (no banner, no answer in time): reconnect."""


@dataclass(frozen=True)
class AmiOptions:
    """Where and how to connect; the rest comes from ``[adapters.ami]``."""

    host: str
    port: int
    username: str
    secret: str
    source: str
    ping_seconds: float = 20.0
    connect_timeout: float = 5.0
    answer_timeout: float = 15.0  # for Login, Ping and the resync lists
    backoff_min: float = 0.5
    backoff_max: float = 30.0
    tick: float = 0.05  # seconds between publishing turns

    @classmethod
    def from_config(cls, config: Config, secret: str, **overrides: object) -> AmiOptions:
        """Options from the config's ``[adapters.ami]``; ``overrides`` (the command line's
        ``host``, ``port``, ``username``...) win where given."""
        s = config.adapters.ami
        base = {"host": s.host, "port": s.port, "username": s.username, "source": s.source,
                "ping_seconds": s.ping_seconds}  # fmt: skip
        given = {k: v for k, v in overrides.items() if v is not None}
        return cls(secret=secret, **{**base, **given})


def ami_secret(secret_file: str | None = None) -> str:
    """The AMI secret: the first line of ``secret_file``, else ``$FLOORBOARD_AMI_SECRET``.
    Never a command-line argument, which any user of the machine can read in ``ps``."""
    if secret_file:
        try:
            secret = Path(secret_file).read_text(encoding="utf-8").splitlines()[:1]
        except OSError as exc:
            raise ValueError(f"--secret-file {secret_file}: cannot read: {exc.strerror}") from None
        if not secret or not secret[0].strip():
            raise ValueError(f"--secret-file {secret_file}: the file is empty")
        return secret[0].strip()
    secret_env = os.environ.get("FLOORBOARD_AMI_SECRET", "")
    if not secret_env:
        raise ValueError("no AMI secret: give --secret-file or set FLOORBOARD_AMI_SECRET")
    return secret_env


@dataclass
class AmiReport:
    """What a run did, for the log and the tests."""

    connections: int = 0
    disconnects: int = 0
    events: int = 0
    malformed: int = 0  # blocks that were not AMI
    unknown: dict[str, int] = field(default_factory=dict)  # events skipped, by name
    rejected: int = 0  # events skipped because a field could not be read
    mismatches: list[str] = field(default_factory=list)  # QueueSummary disagreements
    errors: list[str] = field(default_factory=list)  # why each connection ended


class AsteriskClock:
    """Asterisk's clock as seen from here.

    A Ping answer's Timestamp sets it; an event's Timestamp can only move it on (events may
    have waited in buffers, so they are never taken to put it back).
    """

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock, self.offset = clock, 0.0

    def now(self) -> float:
        return self.clock() + self.offset

    def learn(self, msg: Message) -> None:
        if (ts := _timestamp(msg)) is not None:
            self.offset = ts - self.clock()

    def of(self, msg: Message) -> float:
        """An event's time: its own Timestamp if it has one, else now."""
        ts = _timestamp(msg)
        if ts is None:
            return self.now()
        self.offset = max(self.offset, ts - self.clock())
        return ts


def _timestamp(msg: Message) -> float | None:
    try:
        ts = float(msg.get("timestamp"))
    except ValueError:
        return None
    return ts if MIN_TS <= ts <= MAX_TS else None
