"""The bus: every change is one atomic write to Redis, and a snapshot can always be read.

A write bumps the global sequence number, stores the envelope as the latest value of its kind
and id, appends raw contact events to a capped stream, and publishes the envelope, all in one
Lua script, so a reader that takes a snapshot and then applies only newer sequence numbers can
never miss or double-apply a change. Pub/sub only notifies; Redis holds the truth.

A contact event also updates its customer's history (:mod:`feeds.history`) in the same script,
so whoever publishes a contact, the agent who answers it next finds it in the history.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from typing import Any

import pydantic_core
import redis
from redis.sentinel import Sentinel

from feeds.bus import ordering
from feeds.bus.lua import BULK, WRITES_LUA, as_sharded
from feeds.bus.ordering import FutureEvent
from feeds.bus.prepared import Prepared, Writable
from feeds.bus.schema import EVENT_KINDS, KINDS, Envelope, parse_envelope
from feeds.bus.sentinel import is_sentinel_url, parse_sentinel_url
from feeds.config import STREAM_EVENTS, Config
from feeds.customers.history import (
    DEFAULT_DAYS,
    MAX_CONTACTS,
    contacts_key,
    order_key,
    summary,
)

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0  # seconds: a liveness read that takes longer means Redis is not answering

# Two days: a re-delivery the next morning is still recognised (the aggregator's counters are
# per day, so a repeat from yesterday must not land in today's).
EVENT_ID_SECONDS = 2 * 86400
CLUSTER_SCHEME = "redis+cluster://"

TERMINAL_CONTACT_EVENTS = ("abandoned", "completed")


def is_retained(env: Envelope) -> bool:
    """Whether the state keeps this envelope as its item's latest value.

    Deleted items go, and so do contacts that have ended: the live state holds contacts in
    progress, and the stream ``<prefix>contacts`` keeps their whole history. Event kinds
    (commitments) are never state: their own store keeps them.
    """
    if env.deleted or env.kind in EVENT_KINDS:
        return False
    return not (env.kind == "contact" and env.data.get("event") in TERMINAL_CONTACT_EVENTS)


def connect(url: str, **kwargs: Any) -> redis.Redis:
    """A Redis client with timeouts that fail fast when the server is gone.

    ``redis://``, ``rediss://`` and ``unix://`` URLs connect directly; a ``redis+sentinel://``
    URL (:mod:`feeds.sentinel`) gets a client for the master the sentinels name, looked up
    again on every reconnect, so a failover is a reconnect like any other.
    """
    options: dict[str, Any] = {
        "socket_connect_timeout": 2.0,
        "socket_timeout": 10.0,
        "socket_keepalive": True,
        "health_check_interval": 15,
    }
    options.update(kwargs)
    if url.startswith(CLUSTER_SCHEME):
        return redis.RedisCluster.from_url("redis://" + url.removeprefix(CLUSTER_SCHEME), **options)
    if not is_sentinel_url(url):
        return redis.Redis.from_url(url, **options)
    parts = parse_sentinel_url(url)
    timeouts = {k: options[k] for k in ("socket_connect_timeout", "socket_timeout")}
    sentinel = Sentinel(parts.sentinels, sentinel_kwargs=timeouts, **timeouts)
    return sentinel.master_for(parts.service, db=parts.db, password=parts.password, **options)


class BusConfigError(ValueError):
    """The Redis found does not suit the configuration (e.g. a cluster prefix without a tag)."""


def wants_sharded_pubsub(version: str, cluster_enabled: bool) -> bool:
    """Sharded pub/sub (SSUBSCRIBE/SPUBLISH) exists from Redis 7.0 and only differs in a
    cluster, where classic PUBLISH is copied to every node and sharded stays on one shard."""
    major = version.split(".", 1)[0]
    return cluster_enabled and major.isdigit() and int(major) >= 7


def has_hash_tag(prefix: str) -> bool:
    """Whether every key under ``prefix`` falls in one cluster slot: ``{site1}:`` does."""
    start = prefix.find("{")
    end = prefix.find("}", start + 1)
    return start >= 0 and end > start + 1


class Line:
    """A connection of the pool holding writes sent, their answers not all read: given back to
    the pool when the last are read (:class:`Answers`)."""

    def __init__(self, pool: redis.ConnectionPool) -> None:
        self.pool, self.conn = pool, pool.get_connection()
        self.unread, self.lost = 0, False

    def broken(self) -> None:
        """Answers may be left unread: the connection is not reusable."""
        self.conn.disconnect()
        self.lost = True

    def intact(self) -> bool:
        """Whether writes may still go behind those sent: not broken, and not disconnected
        meanwhile (redis-py would connect again, and the earlier writes' answers are lost)."""
        return not self.lost and self.conn._sock is not None

    def done(self) -> None:
        self.unread -= 1
        if self.unread == 0:
            self.pool.release(self.conn)


class Answers:
    """Writes sent (:meth:`Bus.send_many`): :meth:`read` reads their results, exactly once,
    after those sent before them on their line."""

    def __init__(self, line: Line | None, seqs: list[int]) -> None:
        self.line, self.seqs, self.calls = line, seqs, 0
        if line is not None:
            line.unread += 1

    def read(self) -> list[int]:
        if self.line is None:
            return self.seqs
        try:
            return [int(s) for _ in range(self.calls) for s in self.line.conn.read_response()]
        except BaseException:
            self.line.broken()
            raise
        finally:
            self.line.done()


class Bus:
    """Writes and snapshots of the live state under one key prefix.

    ``history_days``: how long customers' contact histories are kept (the config's
    ``moments.history_days``, so the repeat-contact window always has its contacts).
    ``max_skew`` and ``remember``: the bounds of the ordering rule (the config's ``ordering``
    section, :mod:`feeds.bus.ordering`). ``stream_events``: how many events the contacts and
    agents streams keep each, about (Redis trims whole nodes): the config's
    ``history.stream_events``; a day's rebuild, export or agent's day reaches back as far.
    An envelope with an ``event_id`` is written once: the id is remembered for
    :data:`EVENT_ID_SECONDS` and a second write of it returns sequence number 0.
    """

    def __init__(
        self,
        client: redis.Redis,
        prefix: str = "fb:",
        history_days: float = DEFAULT_DAYS,
        probe: redis.Redis | None = None,
        max_skew: float = ordering.DEFAULT_MAX_SKEW,
        remember: float = ordering.DEFAULT_REMEMBER,
        stream_events: int = STREAM_EVENTS,
    ) -> None:
        self.client = client
        # Liveness checks go through a client whose reads time out fast: a hung Redis must be
        # noticed in a second or two, while ordinary reads may wait longer under load.
        self.probe = probe if probe is not None else client
        self.prefix = prefix
        self.history_days = history_days
        self.max_skew = max_skew
        self.remember = remember
        self.stream_events = stream_events
        self.seq_key = f"{prefix}seq"
        self.channel = f"{prefix}live"
        self.contacts_key = f"{prefix}contacts"
        self.agents_key = f"{prefix}agents"  # agents' states as they change: their day
        self._keep = history_days * 86400  # seconds a customer's history is kept
        self._keep_ttl = max(1, round(self._keep))
        # each kind's state, order and gone keys, made once (every write needs them)
        self._keys = {k: (self.state_key(k), self.order_key(k), self.gone_key(k)) for k in KINDS}
        # Every write goes through one script (a single write is a call of one): its sharded
        # form publishes with SPUBLISH (a Redis 7 cluster).
        self._scripts = {
            sharded: client.register_script(script)
            for sharded, script in ((False, WRITES_LUA), (True, as_sharded(WRITES_LUA)))
        }

    @functools.cached_property
    def sharded(self) -> bool:
        """Whether to use sharded pub/sub: a Redis 7+ cluster. Asked of the server on first use
        (not at construction: the app is built before Redis may be up); an error is not cached.

        In a cluster the script's keys and channel must share a slot, so the prefix must carry
        a hash tag (``{site1}:``); every site then lives on one shard, and sites spread out.
        """
        cluster = isinstance(self.client, redis.RedisCluster)
        version = str(self.client.info("server").get("redis_version", "0"))
        if not cluster:
            cluster = bool(self.client.info("cluster").get("cluster_enabled"))
        if cluster and not has_hash_tag(self.prefix):
            raise BusConfigError(
                f"redis.prefix {self.prefix!r}: in a Redis Cluster it needs a hash tag, "
                "e.g. '{site1}:', so each site's keys and channel share a slot"
            )
        return wants_sharded_pubsub(version, cluster)

    def _script(self) -> Any:
        return self._scripts[self.sharded]

    def event_key(self, event_id: str) -> str:
        return f"{self.prefix}event:{event_id}"

    @classmethod
    def from_url(
        cls, url: str, prefix: str = "fb:", history_days: float = DEFAULT_DAYS, **options: float
    ) -> Bus:
        """``options``: ``max_skew``, ``remember`` and ``stream_events``, as for the
        constructor."""
        probe = connect(url, socket_timeout=PROBE_TIMEOUT, socket_connect_timeout=PROBE_TIMEOUT)
        return cls(connect(url), prefix, history_days, probe, **options)

    @classmethod
    def from_config(cls, url: str, config: Config) -> Bus:
        """A centre's bus: its prefix, how long customers' histories are kept, how many events
        its streams keep, and the bounds of the ordering rule its aggregators use too
        (``[ordering]``), so a write and a count refuse and forget the same events."""
        bounds = config.ordering
        return cls.from_url(url, config.redis.prefix, config.moments.history_days,
                            max_skew=bounds.max_skew, remember=bounds.remember,
                            stream_events=config.history.stream_events)  # fmt: skip

    def state_key(self, kind: str) -> str:
        return f"{self.prefix}state:{kind}"

    def order_key(self, kind: str) -> str:
        """Hash: item id → its ordering key (kept while the item lives, and after it goes)."""
        return f"{self.prefix}order:{kind}"

    def gone_key(self, kind: str) -> str:
        """Sorted set: ids of gone items by the time they went, to forget their keys."""
        return f"{self.prefix}gone:{kind}"

    def _item(self, env: Writable, now: float) -> tuple[str, list[str], list[Any]]:
        """What one write has of its own: its shape (``c`` a contact with its stream and
        customer history, ``a`` an agent with its stream, ``p`` plain; upper case with an
        event id), its own keys and its own arguments (the script's, without what every write
        of a call shares: :data:`feeds.bus.lua.WRITES_LUA`). A :class:`Prepared` contact's
        final event brings its encodings made (:mod:`feeds.bus.prepared`)."""
        if isinstance(env, Prepared):
            at = ordering.trusted_time(env.ts, now, self.max_skew)
            shape, customer, retained = "c", env.customer, "0"  # a final event: not state
            args: list[Any] = [env.id, env.stored, retained,
                               ordering.encode(ordering.Key(env.stage, at, 0), env.digest),
                               env.summary, env.enqueued_at]  # fmt: skip
        else:
            key = ordering.order_key(env, now, self.max_skew)  # FutureEvent past the skew
            data = pydantic_core.to_json(env.data)
            retained = "1" if is_retained(env) else "0"
            args = [env.id, env.stored(data), retained,
                    ordering.encode(key, ordering.digest(env, data))]  # fmt: skip
            shape = "p"
            if env.kind == "contact" and not env.deleted:
                d = env.data
                shape, customer = "c", d["customer_id"]
                args += [summary(env.id, d), d["enqueued_at"]]
            elif env.kind == "agent" and not env.deleted:
                shape = "a"  # the raw stream: each state change kept for the day
        keys: list[str] = []
        if shape == "c":
            keys += [contacts_key(self.prefix, customer), order_key(self.prefix, customer)]
            # floats go as Python writes them (repr), by redis-py's packer or hiredis alike
            args.append(env.ts - self._keep)
        if env.event_id is not None:
            shape = shape.upper()
            keys.append(self.event_key(env.event_id))
        return shape, keys, args

    def _call(self, envs: list[Writable], now: float) -> tuple[list[str], list[Any]]:
        """The keys and arguments of one script call writing ``envs`` (at most :data:`BULK`),
        in order: what they share once, then each write's own (:data:`WRITES_LUA`)."""
        kinds = list(dict.fromkeys(env.kind for env in envs))
        at = {kind: 4 + 3 * j for j, kind in enumerate(kinds)}  # KEYS index, from 1
        keys = [self.seq_key, self.contacts_key, self.agents_key]
        keys += [key for kind in kinds for key in self._keys[kind]]
        # the receiver's clock: now, the time before which gone keys are forgotten, trust until
        clock = repr(now), repr(now - self.remember), repr(now + self.max_skew)
        args: list[Any] = [len(envs), self.channel, self.stream_events, *clock, MAX_CONTACTS,
                           self._keep_ttl, EVENT_ID_SECONDS, len(kinds)]  # fmt: skip
        for env in envs:
            shape, own_keys, own_args = self._item(env, now)
            keys += own_keys
            args += [shape, at[env.kind], *own_args]
        return keys, args

    def publish(self, env: Envelope, now: float | None = None) -> int:
        """Write one validated envelope atomically; returns its sequence number, or 0 when
        nothing was written or published: its event id was written before, or the ordering
        rule kept the item's current value (an older event or a re-delivery). ``now``: the
        receiver's clock (default: this host's); an envelope stamped beyond ``max_skew`` ahead
        of it is refused with :class:`FutureEvent`."""
        keys, args = self._call([env], time.time() if now is None else now)
        return int(self._script()(keys=keys, args=args)[0])

    def queue_publish(
        self, pipe: redis.client.Pipeline, env: Envelope, now: float | None = None
    ) -> None:
        """Add this envelope's atomic write to a pipeline or MULTI/EXEC of the caller's.

        Supervisor actions use it to commit an item together with its audit entry.
        """
        keys, args = self._call([env], time.time() if now is None else now)
        self._script()(keys=keys, args=args, client=pipe)

    def publish_many(self, envs: Iterable[Writable], now: float | None = None) -> list[int]:
        """Write several envelopes in one round trip, in order; each write is atomic on its own
        (a bulk call of :data:`BULK` writes is atomic as a whole too, which readers never need).

        Every envelope is checked before any is written: one stamped too far ahead refuses the
        batch (:class:`FutureEvent`, field ``<index>.ts``). The results are as :meth:`publish`.
        redis-py's cluster pipelines refuse scripts, so on a cluster each write is its own call
        (all of a prefix's keys share one slot, so they go to the same shard anyway).
        """
        return self.send_many(envs, now).read()

    def send_many(
        self, envs: Iterable[Writable], now: float | None = None, after: Answers | None = None
    ) -> Answers:
        """:meth:`publish_many` in two halves: the writes are sent now, and calling what this
        returns reads their results. Between the two the caller goes on with its own work while
        Redis writes (a flat-out replay counts its next rows). Call it exactly once. The writes
        hold their connection until then: writes sent ``after`` others not yet read go on the
        same connection, behind them (on another they could overtake them), and are read after
        them; if it dropped meanwhile they are refused (ConnectionError): the earlier ones
        must be sent again first. A flat-out replay reads a batch's answers a few batches
        later, so that neither it nor Redis waits for the other."""
        now = time.time() if now is None else now
        envs = list(envs)
        for i, env in enumerate(envs):
            try:
                ordering.trusted_time(env.ts, now, self.max_skew)
            except FutureEvent as exc:
                raise FutureEvent(env.ts, now, self.max_skew, f"{i}.ts") from exc
        if isinstance(self.client, redis.RedisCluster):
            seqs = [int(self._script()(keys=k, args=a)[0])
                    for env in envs for k, a in [self._call([env], now)]]  # fmt: skip
            return Answers(None, seqs)
        line = after.line if after is not None and after.line and after.line.unread else None
        if line is not None and not line.intact():
            raise redis.ConnectionError("the connection of the writes sent before dropped")
        return self._bulk_send(envs, now, line or Line(self.client.connection_pool))

    def _bulk_send(self, envs: list[Writable], now: float, line: Line) -> Answers:
        """Bulk calls of :data:`BULK` writes, each sent as soon as it is built: Redis runs one
        call while this side builds the next (a pipeline would send nothing before the last is
        built); their answers are read by the :class:`Answers` returned. Sent as EVAL with the
        script's text, which Redis keeps compiled by its digest: no NOSCRIPT to recover from
        half-way."""
        script = self._script().script
        answers = Answers(line, [])
        try:
            for i in range(0, len(envs), BULK):
                keys, args = self._call(envs[i : i + BULK], now)
                # a health check's PING must not come between sent calls and their answers
                line.conn.send_command("EVAL", script, len(keys), *keys, *args,
                                       check_health=line.unread == 1 and i == 0)  # fmt: skip
                answers.calls += 1
        except BaseException:
            line.broken()  # answers may be left unread: the connection is not reusable
            line.done()
            raise
        return answers

    def snapshot(self, kinds: Iterable[str] = KINDS) -> tuple[int, dict[str, dict[str, Envelope]]]:
        """The sequence number and every retained item, read in one MULTI/EXEC."""
        kinds = list(kinds)
        pipe = self.client.pipeline(transaction=True)
        pipe.get(self.seq_key)
        for kind in kinds:
            pipe.hvals(self.state_key(kind))  # values only: all a snapshot needs
        seq_raw, *hashes = pipe.execute()
        state: dict[str, dict[str, Envelope]] = {}
        for kind, items in zip(kinds, hashes, strict=True):
            state[kind] = {}
            for raw in items:
                try:
                    env = parse_envelope(raw)
                except ValueError as exc:
                    log.warning("skipping invalid stored %s item: %s", kind, exc)
                    continue
                state[kind][env.id] = env
        return int(seq_raw or 0), state

    def current_seq(self, probe: bool = False) -> int:
        """The latest sequence number; ``probe``: on the fast-failing client (liveness checks)."""
        return int((self.probe if probe else self.client).get(self.seq_key) or 0)
