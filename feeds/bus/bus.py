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

import redis
from redis.sentinel import Sentinel

from feeds.bus import ordering, writes
from feeds.bus.lua import WRITES_LUA, as_sharded
from feeds.bus.ordering import FutureEvent
from feeds.bus.prepared import Writable
from feeds.bus.schema import KINDS, Envelope, parse_envelope
from feeds.bus.sentinel import is_sentinel_url, parse_sentinel_url
from feeds.config import STREAM_EVENTS, Config
from feeds.customers.history import DEFAULT_DAYS

log = logging.getLogger(__name__)

PROBE_TIMEOUT = 1.0  # seconds: a liveness read that takes longer means Redis is not answering

CLUSTER_SCHEME = "redis+cluster://"


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


class Bus:
    """Writes and snapshots of the live state under one key prefix.

    ``history_days``: how long customers' contact histories are kept (the config's
    ``moments.history_days``, so the repeat-contact window always has its contacts).
    ``max_skew`` and ``remember``: the bounds of the ordering rule (the config's ``ordering``
    section, :mod:`feeds.bus.ordering`). ``stream_events``: how many events the contacts and
    agents streams keep each, about (Redis trims whole nodes): the config's
    ``history.stream_events``; a day's rebuild, export or agent's day reaches back as far.
    An envelope with an ``event_id`` is written once: the id is remembered for
    :data:`feeds.bus.writes.EVENT_ID_SECONDS` and a second write of it returns sequence number 0.
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
        self.keep = history_days * 86400  # seconds a customer's history is kept
        self.keep_ttl = max(1, round(self.keep))
        # each kind's state, order and gone keys, made once (every write needs them)
        self.kind_keys = {
            k: (self.state_key(k), self.order_key(k), self.gone_key(k)) for k in KINDS
        }
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

    def script(self) -> Any:
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

    def publish(self, env: Envelope, now: float | None = None) -> int:
        """Write one validated envelope atomically; returns its sequence number, or 0 when
        nothing was written or published: its event id was written before, or the ordering
        rule kept the item's current value (an older event or a re-delivery). ``now``: the
        receiver's clock (default: this host's); an envelope stamped beyond ``max_skew`` ahead
        of it is refused with :class:`FutureEvent`."""
        keys, args = writes.call(self, [env], time.time() if now is None else now)
        return int(self.script()(keys=keys, args=args)[0])

    def queue_publish(
        self, pipe: redis.client.Pipeline, env: Envelope, now: float | None = None
    ) -> None:
        """Add this envelope's atomic write to a pipeline or MULTI/EXEC of the caller's.

        Supervisor actions use it to commit an item together with its audit entry.
        """
        keys, args = writes.call(self, [env], time.time() if now is None else now)
        self.script()(keys=keys, args=args, client=pipe)

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
        self,
        envs: Iterable[Writable],
        now: float | None = None,
        after: writes.Answers | None = None,
    ) -> writes.Answers:
        """:meth:`publish_many` in two halves: the writes are sent now, and the
        :class:`~feeds.bus.writes.Answers` returned reads their results. Between the two the
        caller goes on with its own work while Redis writes (a flat-out replay counts its next
        rows). Read them exactly once. The writes
        hold their connection until then: writes sent ``after`` others not yet read go on the
        same connection, behind them (on another they could overtake them), and are read after
        them; if it dropped meanwhile they are refused (ConnectionError): the earlier ones
        must be sent again first. A flat-out replay reads a batch's answers a few batches
        later, so that neither it nor Redis waits for the other."""
        now = time.time() if now is None else now
        envs = list(envs)
        refused = ordering.ahead([env.ts for env in envs], now, self.max_skew)
        if refused:
            i = refused[0]
            raise FutureEvent(envs[i].ts, now, self.max_skew, f"{i}.ts")
        if isinstance(self.client, redis.RedisCluster):
            seqs = [int(self.script()(keys=k, args=a)[0])
                    for env in envs for k, a in [writes.call(self, [env], now)]]  # fmt: skip
            return writes.Answers(None, seqs)
        line = after.line if after is not None and after.line and after.line.unread else None
        if line is not None and not line.intact():
            raise redis.ConnectionError("the connection of the writes sent before dropped")
        return writes.bulk_send(self, envs, now, line or writes.Line(self.client.connection_pool))

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
