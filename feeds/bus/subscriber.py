"""A bus subscriber that is never silently wrong.

It subscribes first, then snapshots, then applies only updates newer than the snapshot. A gap
in sequence numbers, a lost connection or a Redis restart leads to a fresh snapshot. Pub/sub is
at-most-once; correctness comes from the snapshot plus the sequence numbers. Garbage that a
third party publishes on the channel is logged and skipped.

Nothing a third party can put on the bus stops it: an item that a listener cannot apply is
logged once with its key and sequence number, counted and skipped, and the rest of the stream
still applies; any other unforeseen error ends only the current connection, which is reported
as the bus being down (so every screen says so) and retried. A Redis that stops answering (hung
or dead) is noticed within :data:`DEAD_AFTER` seconds by its missing pong; a loop that was
itself held up (a busy worker on a loaded machine) and so sent no ping is not taken for one.

It runs in a plain thread, or in a greenlet under gevent (the app's workers), unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any, Protocol

import redis

from feeds.bus.bus import Bus, BusConfigError
from feeds.bus.schema import KINDS, REFERENCE_KINDS, Envelope, parse_envelope
from feeds.errors import SchemaError

log = logging.getLogger(__name__)

PING_EVERY = 0.5  # seconds between pings on the subscription's own connection
DEAD_AFTER = 1.5  # seconds without any answer (message or pong) before Redis counts as gone
ANSWER_WITHIN = DEAD_AFTER - PING_EVERY  # how long a ping may wait: pings go every PING_EVERY
YIELD_EVERY = 0.05  # seconds of a burst the loop may run before the others get a turn

State = dict[str, dict[str, Envelope]]


class Listener(Protocol):
    """What a subscriber reports to; the hub implements it."""

    def on_snapshot(self, seq: int, state: State) -> None: ...
    def on_update(self, env: Envelope) -> None: ...
    def on_status(self, up: bool, detail: str) -> None: ...


class Subscriber:
    """Keeps a listener in step with the bus; call :meth:`run` in its own thread or greenlet."""

    def __init__(
        self,
        bus: Bus,
        listener: Listener,
        *,
        kinds: tuple[str, ...] = KINDS,
        check_interval: float = 1.0,
        max_backoff: float = 5.0,
    ) -> None:
        self.bus = bus
        self.listener = listener
        self.kinds = kinds
        self.check_interval = check_interval
        self.max_backoff = max_backoff
        self.seq = 0
        self.connected = False
        # What it has had to do: snapshots taken, sequence gaps met, garbage skipped.
        self.snapshots = 0
        self.gaps = 0
        self.garbage = 0
        self.faults = 0  # items a listener could not apply, and connections ended by an error
        self.last_loop = time.monotonic()  # when the loop last turned: a watchdog reads it
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Loop until :meth:`stop`: connect, resync, follow; on failure back off and retry."""
        backoff = 0.1
        while not self._stop.is_set():
            try:
                self._follow()
            except BusConfigError as exc:  # shown on every screen until the config is fixed
                log.error("bus: %s", exc)
                self.listener.on_status(False, str(exc))
                self._stop.wait(self.max_backoff)
            except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
                if self.connected:
                    self.connected = False
                    log.warning("bus lost: %s", exc)
                    self.listener.on_status(False, f"lost connection to Redis: {exc}")
                elif self.snapshots == 0 and backoff == 0.1:
                    self.listener.on_status(False, f"cannot reach Redis: {exc}")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            except Exception as exc:  # a bug or data nobody foresaw: never the end of the path
                self.faults += 1
                log.exception("bus: the live path failed; resynchronising")
                self.connected = False
                self.listener.on_status(False, f"live path error: {type(exc).__name__}")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.max_backoff)
            else:
                backoff = 0.1

    def _resync(self) -> None:
        # Reference kinds (customers) are looked up by id, never read whole; their updates still
        # come through, so a screen showing one hears of its change.
        seq, state = self.bus.snapshot(k for k in self.kinds if k not in REFERENCE_KINDS)
        self.seq = seq
        self.snapshots += 1
        self.listener.on_snapshot(seq, state)

    def _follow(self) -> None:
        pubsub = self.bus.client.pubsub()
        try:
            get_message, ping = self._subscribe(pubsub)
            self._await_subscribed(get_message)
            if not self.connected:  # before the snapshot, so the snapshot goes out as "bus up"
                self.connected = True
                self.listener.on_status(True, "")
            self._resync()
            last_check = last_ping = last_yield = time.monotonic()
            asked: float | None = None  # when the oldest ping not yet answered was sent
            suspect = 0
            while not self._stop.is_set():
                msg = get_message(timeout=0.25)
                now = self.last_loop = time.monotonic()
                if msg is not None:
                    asked = None  # anything heard answers every ping before it
                    if msg["type"] in ("message", "smessage"):
                        self._handle(msg["data"])
                    # A burst is read from the socket's buffer without ever waiting: let the
                    # others run now and then (under gevent, every stream of the worker and its
                    # health check), so a flood delays the screens, never silences them; not
                    # after every message, so writers still take a burst as one merged frame.
                    if now - last_yield >= YIELD_EVERY:
                        time.sleep(0)
                        last_yield = now
                # Silence after a ping is a hung or dead Redis; our own read timeout is not.
                # Silence is measured from a ping, never from the last answer: a loop held up
                # for a while sent no ping meanwhile, and Redis owes it nothing.
                if asked is not None and now - asked > ANSWER_WITHIN:
                    raise redis.ConnectionError(f"Redis has not answered for {now - asked:.1f} s")
                if now - last_ping >= PING_EVERY:
                    ping()
                    last_ping = now
                    asked = now if asked is None else asked
                if msg is not None or now - last_check < self.check_interval:
                    continue
                last_check = now
                # The last update before a quiet spell may have been lost: pub/sub drops it
                # silently. If Redis is ahead twice in a row, resnapshot. (Asked on a client
                # with a short timeout: a hung Redis must not hold the loop.)
                current = self.bus.current_seq(probe=True)
                if current > self.seq and suspect and self.seq < suspect:
                    log.info("bus seq %d ahead of %d while quiet; resnapshot", current, self.seq)
                    self.gaps += 1
                    self._resync()
                    suspect = 0
                else:
                    suspect = current if current > self.seq else 0
        finally:
            with contextlib.suppress(redis.RedisError, OSError):
                pubsub.close()  # the socket may be dead already

    def _subscribe(
        self, pubsub: redis.client.PubSub
    ) -> tuple[Callable[..., dict[str, Any] | None], Callable[[], Any]]:
        """Subscribe to the bus channel, sharded in a Redis 7+ cluster (``Bus.sharded``);
        returns the call that reads the subscription's messages and the one that pings on the
        same connection (its pong is what proves that connection alive)."""
        if not self.bus.sharded:
            pubsub.subscribe(self.bus.channel)
            return pubsub.get_message, pubsub.ping
        pubsub.ssubscribe(self.bus.channel)
        if not hasattr(pubsub, "get_sharded_message"):  # a single Redis 7 node: one connection
            return pubsub.get_message, pubsub.ping
        # A cluster's sharded subscription lives on the connection to the channel's shard:
        # read it there, waiting up to the timeout (without a target node redis-py only polls,
        # never waits), and ping there too (a plain ping goes to another node, whose pong this
        # loop would never read: the bus would seem gone every DEAD_AFTER seconds).
        node = self.bus.client.get_node_from_key(self.bus.channel)
        shard = pubsub.node_pubsub_mapping[node.name]
        return partial(pubsub.get_sharded_message, target_node=node), shard.ping

    def _await_subscribed(self, get_message: Callable[..., dict[str, Any] | None]) -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            msg = get_message(timeout=0.5)
            if msg is not None and msg["type"] in ("subscribe", "ssubscribe"):
                return
        raise redis.TimeoutError("subscribe was not confirmed")

    def _handle(self, raw: bytes) -> None:
        try:
            env = parse_envelope(raw)
        except SchemaError as exc:
            self.garbage += 1
            log.warning("skipping invalid item on %s: %s", self.bus.channel, exc)
            return
        if env.seq <= self.seq:
            return  # already in the snapshot, or a duplicate
        if env.seq != self.seq + 1:
            log.info("sequence gap: had %d, got %d; resnapshot", self.seq, env.seq)
            self.gaps += 1
            self._resync()
            return
        self.seq = env.seq
        if env.kind not in self.kinds:
            return
        try:
            self.listener.on_update(env)
        except Exception:  # one item the listener cannot take must not stop the others
            self.faults += 1
            log.exception(
                "skipping %s/%s (seq %d): it could not be applied", env.kind, env.id, env.seq
            )
