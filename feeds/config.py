"""The TOML config file: centre, time zone, queues with targets and thresholds, boards.

A bad config is refused at start with the file, the key and the reason, so a centre never runs
a wall screen whose thresholds silently fell back to defaults.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits
from pydantic import (
    Field,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from feeds import config_env
from feeds.boards import Board, KeyedError, Wall, fill_queues
from feeds.bus.fields import (
    DEFAULT_CHANNELS,
    AbandonFormula,
    ChannelKind,
    Ident,
    SlFormula,
    Window,
    unknown_channel,
)
from feeds.bus.ordering import DEFAULT_MAX_SKEW, DEFAULT_REMEMBER
from feeds.config_feeds import Adapters, Customers, Moments
from feeds.config_ops import Health, Log, MetricsAccess, Network, Section
from feeds.floor import Floor
from feeds.routing import RoutingConfig

DEFAULT_PATH = "floorboard.toml"
# Events the contacts and agents streams keep each, by default ([history] stream_events).
STREAM_EVENTS = 100_000


class ConfigError(ValueError):
    """Names the file, the key and the reason."""

    def __init__(self, path: str, key: str, reason: str) -> None:
        super().__init__(f"{path}: {key}: {reason}" if key else f"{path}: {reason}")
        self.path, self.key, self.reason = path, key, reason


class Threshold(Section):
    """Warn and alert levels. ``warn < alert`` means higher is worse; ``warn > alert`` lower.

    Higher is worse (waiting, ASA, abandons): a level is a limit, reached at the level itself.
    Lower is worse (service level): a level is a minimum to deliver, so a value exactly on it
    meets it: a queue on its 80 % target is ok, not amber.
    """

    warn: float
    alert: float

    @model_validator(mode="after")
    def _distinct(self) -> Threshold:
        if self.warn == self.alert:
            raise ValueError("warn and alert must differ")
        return self

    def status(self, value: float | None) -> str:
        """ok / warn / alert for ``value``; no value is ``ok`` (nothing to warn about yet)."""
        if value is None:
            return "ok"
        if self.warn < self.alert:
            return "alert" if value >= self.alert else "warn" if value >= self.warn else "ok"
        return "alert" if value < self.alert else "warn" if value < self.warn else "ok"


SL_ALERT_BELOW_TARGET = 0.2  # default service-level alert: this far under the target


class Thresholds(Section):
    waiting: Threshold = Threshold(warn=5, alert=10)
    longest_wait: Threshold = Threshold(warn=60, alert=180)  # seconds
    # Default: warn below the queue's sl_target, alert 20 points below it (Queue sets it).
    service_level: Threshold = Threshold(warn=0.8, alert=0.6)
    asa: Threshold = Threshold(warn=30, alert=90)  # seconds
    abandon_rate: Threshold = Threshold(warn=0.05, alert=0.10)


class Metrics(Section):
    """Which definition and window a queue's figures use (formulas in docs/metrics.md)."""

    window: Window = "today"  # what the tile's counts and rates cover
    service_level: SlFormula = "short_abandons_excluded"
    abandon_rate: AbandonFormula = "short_abandons_excluded"
    # Staffing: the model for "required" and the projected SL, or "off" (e.g. email, where
    # Erlang's assumptions do not hold); the recent window for arrival rate, AHT and patience.
    staffing: Literal["erlang_a", "erlang_c", "off"] = "erlang_a"
    staffing_window: Literal["15m", "30m", "60m"] = "30m"


class Queue(Section):
    id: Ident
    name: str = Field(min_length=1, max_length=60)
    channel: Ident = "voice"  # one of the config's channels
    sl_target: float = Field(default=0.8, gt=0, le=1)  # share answered within the threshold
    sl_threshold: float = Field(default=20, gt=0)  # seconds
    short_abandon: float = Field(default=5, ge=0)  # abandons faster than this are not counted
    thresholds: Thresholds = Thresholds()
    metrics: Metrics = Metrics()

    @model_validator(mode="before")
    @classmethod
    def _sl_levels_follow_the_target(cls, data: object) -> object:
        """Without explicit service-level levels, the queue warns below its own target."""
        if not isinstance(data, dict):
            return data
        thresholds = data.get("thresholds")
        if thresholds is None:
            thresholds = {}
        if not isinstance(thresholds, dict) or "service_level" in thresholds:
            return data
        target = data.get("sl_target", 0.8)
        if not isinstance(target, int | float) or isinstance(target, bool):
            return data  # the field's own validation reports it
        level = {"warn": target, "alert": round(max(0.0, target - SL_ALERT_BELOW_TARGET), 6)}
        return {**data, "thresholds": {**thresholds, "service_level": level}}


class Centre(Section):
    name: str = Field(default="Contact centre", min_length=1, max_length=80)
    timezone: str = "UTC"
    stale_after: float = Field(default=30, gt=0)  # seconds without data before a tile greys

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v


class Ordering(Section):
    """The bounds of the ordering rule (feeds.bus.ordering) for every feed."""

    max_skew: float = Field(default=DEFAULT_MAX_SKEW, ge=0, le=3600)  # seconds ahead accepted
    # How long finished contacts and deleted items are remembered: past any re-delivery, and
    # longer than a day (25 h on the autumn daylight-saving night) so the rollover forgets none.
    remember_hours: float = Field(default=DEFAULT_REMEMBER / 3600, ge=26, le=24 * 30)

    @property
    def remember(self) -> float:
        return self.remember_hours * 3600


class History(Section):
    """Intraday history (docs/history.md): the length of an interval, how many days of
    intervals and forecasts Redis keeps, and how many raw events its contacts and agents
    streams keep each (what a rebuild, an export or an agent's day can reach back to: about
    three contact events a contact, a few agent items a contact)."""

    interval_minutes: Literal[15, 30, 60] = 15
    retention_days: int = Field(default=35, ge=1, le=400)
    stream_events: int = Field(default=STREAM_EVENTS, ge=1000, le=50_000_000)

    @property
    def step(self) -> int:
        """Seconds per interval."""
        return self.interval_minutes * 60


class Redis(Section):
    prefix: str = Field(default="fb:", min_length=1, max_length=32)


class Stream(Section):
    """How the push path treats bursts and screens that stop reading."""

    # Bursts: wait this long after the first pending update, then write everything pending
    # as one chunk (one write per screen per window). 0 writes at once; 50 suits a big floor.
    coalesce_ms: int = Field(default=0, ge=0, le=1000)
    # A screen whose pending updates have not been written for this long is dropped: its
    # stream ends, the browser reconnects and gets a fresh snapshot.
    stall_seconds: float = Field(default=30, gt=0, le=3600)


class Access(Section):
    """Who may see what without logging in; users and tokens themselves live in Redis."""

    walls: Literal["open", "token"] = "open"  # token: a viewer login or ?token=<viewer token>
    session_cookie_secure: StrictBool = False  # true when served over HTTPS (not "yes")
    # Single sign-on: a reverse proxy that authenticated the user names them in this header.
    # Honoured only on connections from ``trusted_proxies``; empty turns it off.
    trusted_user_header: str = Field(default="", max_length=64, pattern=r"^[A-Za-z0-9-]*$")
    # Addresses or networks (10.0.0.0/8).
    trusted_proxies: list[Network] = Field(default_factory=lambda: ["127.0.0.1", "::1"])
    # Who may show the pages in a frame (a kiosk's): CSP frame-ancestors sources, e.g. "'self'"
    # or "https://kiosk.example.com"; "'none'" (the default): nobody.
    frame_ancestors: list[str] = Field(default=["'none'"], min_length=1)

    @field_validator("frame_ancestors")
    @classmethod
    def _sources(cls, v: list[str]) -> list[str]:
        for entry in v:
            if not re.fullmatch(r"'none'|'self'|[^\s;,']+", entry):
                raise ValueError(f"not a frame-ancestors source: {entry!r}")
        if "'none'" in v and len(v) > 1:
            raise ValueError("'none' cannot be combined with other sources")
        return v


class Api(Section):
    """The feed API: how much one credential may ingest, and when a quiet one is late."""

    # Batches per token (or signed-in user) on the ingest routes, in Flask-Limiter's notation
    # ("100/second" or "100 per second", several joined by ";"); over it: 429, Retry-After.
    ingest_limit: str = Field(default="100/second", min_length=1, max_length=200)
    # Each ingest batch is its credential's heartbeat: one quiet for 2 × this is late, 5 × down.
    heartbeat_seconds: float = Field(default=60, gt=0, le=86400)

    @field_validator("ingest_limit")
    @classmethod
    def _limit(cls, v: str) -> str:
        try:  # Flask-Limiter's own parser: what it would refuse is refused here
            limits.parse_many(v)
        except ValueError:
            raise ValueError(f"not a rate limit: {v!r} (e.g. '100 per second')") from None
        return v


class Config(Section):
    centre: Centre = Centre()
    redis: Redis = Redis()
    stream: Stream = Stream()
    access: Access = Access()
    moments: Moments = Moments()
    customers: Customers = Customers()
    ordering: Ordering = Ordering()
    history: History = History()
    wall: Wall = Wall()
    floor: Floor = Floor()
    routing: RoutingConfig = RoutingConfig()  # feeds/routing.py
    adapters: Adapters = Adapters()
    api: Api = Api()
    log: Log = Log()  # [log], [metrics], [health]: feeds/config_ops.py
    metrics: MetricsAccess = MetricsAccess()
    health: Health = Health()
    # The channels contacts come by ([[channels]]: id, label, icon); saying any replaces the
    # defaults, so a centre lists exactly its own (feeds/bus/fields.py).
    channels: list[ChannelKind] = Field(
        default_factory=lambda: list(DEFAULT_CHANNELS), min_length=1
    )
    queues: list[Queue] = Field(min_length=1)
    boards: list[Board] = Field(min_length=1)  # feeds/boards.py

    _every_queue_by_default = model_validator(mode="before")(fill_queues)

    @model_validator(mode="after")
    def _references(self) -> Config:
        ids = [q.id for q in self.queues]
        if len(set(ids)) != len(ids):
            raise ValueError("queue ids must be unique")
        channels = [c.id for c in self.channels]
        for i, c in enumerate(channels):
            if c in channels[:i]:
                raise KeyedError(f"channels.{i}.id", f"{c!r} is configured twice")
        for i, q in enumerate(self.queues):
            if q.channel not in channels:
                raise KeyedError(f"queues.{i}.channel", unknown_channel(q.channel, channels))
        for i, board in enumerate(self.boards):
            for q in board.queues:
                if q not in ids:
                    raise KeyedError(f"boards.{i}.queues", f"unknown queue {q!r}")
        for name in ("ami", "connect", "csv"):
            for key, q in getattr(self.adapters, name).queue_map.items():
                if q not in ids:
                    raise KeyedError(f"adapters.{name}.queue_map.{key}", f"unknown queue {q!r}")
        if len({b.id for b in self.boards}) != len(self.boards):
            raise ValueError("board ids must be unique")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.centre.timezone)

    def queue(self, queue_id: str) -> Queue | None:
        return next((q for q in self.queues if q.id == queue_id), None)

    def board(self, board_id: str) -> Board | None:
        return next((b for b in self.boards if b.id == board_id), None)

    def board_version(self, board: Board) -> str:
        """A short hash of everything a board's screen is built from: the board, its queues,
        the centre and the wall settings. An open screen whose version is no longer the app's
        reloads itself (a config change reaches the walls)."""
        parts = {
            "board": board.model_dump(mode="json"),
            "queues": [q.model_dump(mode="json") for q in self.queues if q.id in board.queues],
            "centre": self.centre.model_dump(mode="json"),
            "wall": self.wall.model_dump(mode="json"),
        }
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()[:12]


def parse_config(data: dict, path: str = "<config>", env: dict[str, str] | None = None) -> Config:
    """Validate a parsed TOML document. ``env``: dotted key → the environment variable that set
    it (:func:`feeds.config_env.apply`), named in the error when the bad key is one of them."""
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        cause = err.get("ctx", {}).get("error")
        if isinstance(cause, KeyedError):
            key = f"{key}.{cause.key}" if key else cause.key
        reason = str(cause) if cause else err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        elif err["type"] == "missing":
            reason = "is required"
        reason = reason.removeprefix("Value error, ")
        variable = next((v for k, v in (env or {}).items() if f"{key}.".startswith(f"{k}.")), None)
        if variable:
            reason = f"{reason} (set by ${variable})"
        raise ConfigError(path, key, reason) from None


def config_path(path: str | os.PathLike[str] | None = None) -> Path:
    """Where the config is: ``path``, ``$FLOORBOARD_CONFIG`` or ``./floorboard.toml``."""
    return Path(path or os.environ.get("FLOORBOARD_CONFIG") or DEFAULT_PATH)


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Load the config from :func:`config_path`, with the keys the environment sets
    (:mod:`feeds.config_env`) over the file's."""
    path = config_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "", f"cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", f"not valid TOML: {exc}") from None
    try:
        env = config_env.apply(data)
    except config_env.EnvError as exc:
        raise ConfigError(str(path), f"${exc.variable}", exc.reason) from None
    return parse_config(data, str(path), env)
