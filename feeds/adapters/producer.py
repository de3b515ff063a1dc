"""One producer's road to the bus: aggregate, batch, publish, heartbeat, and outlive Redis.

Every adapter (Asterisk AMI, Amazon Connect records, CSV replay) turns outside events into
envelopes; what happens to them next is the same for all, so it lives here once. The
aggregator turns raw contact and agent events into queue statistics (only for the queues this
producer feeds, so two producers never overwrite each other's tiles), envelopes go out in
batches of one round trip each, a Redis failure keeps them for the next attempt instead of
losing them, and a heartbeat tells the board that the producer is alive and how busy it is.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable

import redis

from feeds.bus import ordering
from feeds.bus.bus import Bus
from feeds.bus.prepared import Writable
from feeds.bus.schema import Envelope, make_envelope, parse_envelope
from feeds.bus.writes import Answers
from feeds.config import Config
from feeds.intraday.feed import IntradayFeed
from feeds.metrics.aggregator import Aggregator
from feeds.metrics.contacts import Told
from feeds.metrics.windows import day_bounds

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # real seconds
# Real seconds a heartbeat's event rate is taken over: a quiet floor's few events a minute
# read as such, not as "no events" in every 5 s without one.
RATE_SECONDS = 60.0
MAX_PENDING = 50_000  # envelopes kept for retry while Redis is unreachable
BATCH = 2000  # envelopes per round trip
# Batches sent without waiting (a flat-out replay) whose answers may stay unread: Redis writes
# them while the replay reads and counts its next rows, so neither waits for the other.
UNREAD = 8
WARM_PAGE = 5000  # stream entries read per round trip when rebuilding the day


def day_start(ts: float, config: Config) -> float:
    """The first instant of the centre's day containing ``ts`` (feeds.metrics.windows)."""
    return day_bounds(ts, config.tz)[0]


def day_entry(ts: float, config: Config) -> str:
    """The first contact stream entry id of the centre's day containing ``ts``: stream ids are
    the server's clock in milliseconds, so the day's entries are those from here on."""
    return f"{int(day_start(ts, config) * 1000)}-0"


def heartbeat(
    source: str,
    ts: float,
    interval: float,
    rate: float | None,
    connected: bool | None = None,
    follows: Iterable[str] = (),
) -> Envelope:
    """The ``heartbeat`` envelope of a producer: its id and source are the producer's name;
    ``follows``: the producers whose events it aggregates (``floorboard aggregate``)."""
    # three places: a quiet floor's 2 events a minute stay 2.0 a minute, not 1.8 (0.03 a second)
    data = {"interval": interval, "rate": None if rate is None else round(rate, 3)}
    if connected is not None:
        data["connected"] = connected
    if follows:
        data["follows"] = list(follows)
    return make_envelope("heartbeat", source, data, ts=ts, source=source)


class Producer:
    """Aggregates, batches and publishes one producer's envelopes.

    ``queues``: queues this producer feeds from the start (their tiles appear before the
    first contact); any queue its events touch is added. ``aggregate=False`` for producers
    that send their own queue statistics.
    """

    def __init__(
        self,
        bus: Bus,
        config: Config,
        source: str,
        *,
        queues: Iterable[str] = (),
        aggregate: bool = True,
        stats_every: float = 1.0,
        heartbeat_every: float = HEARTBEAT_EVERY,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.bus, self.config, self.source = bus, config, source
        self.aggregator = Aggregator(config) if aggregate else None
        # The intraday charts' intervals, hours and forecasts (docs/history.md).
        self.intraday = IntradayFeed(bus, config, self.aggregator, source) if aggregate else None
        self.fed = {q for q in queues if config.queue(q) is not None}
        self.stats_every, self.heartbeat_every = stats_every, heartbeat_every
        self.max_pending, self.clock = max_pending, clock
        self.pending: list[Writable] = []
        self.connected: bool | None = None  # set by adapters that have an upstream
        self.follows: tuple[str, ...] = ()  # producers whose events it aggregates
        self.events = self.published = self.duplicates = self.dropped = self.refused = 0
        self._last_stats = self._last_beat = -float("inf")
        # (wall clock, events taken by then) at each heartbeat of the last RATE_SECONDS or so
        self._counted: deque[tuple[float, int]] = deque([(clock(), 0)])
        self._failing = False
        self._now = -float("inf")  # the latest clock a flush was given
        # Writes sent by a flush that did not wait: their answers, and their events.
        self._sent: list[tuple[Answers, list[Writable]]] = []  # oldest first

    def add(
        self,
        envs: Iterable[Envelope],
        *,
        publish: bool = True,
        now: float | None = None,
    ) -> None:
        """Take envelopes: aggregate them and (unless ``publish`` is false) queue them for the
        bus. ``publish=False`` feeds statistics only, for events the bus needs no copy of.
        ``now``: the producer's clock as the events arrive, so the aggregator refuses stamps
        too far ahead of it (feeds.bus.ordering); None trusts the stamps (a replay)."""
        envs = list(envs)
        if self.aggregator is not None:
            for env in envs:
                self.fed |= self.aggregator.apply(env, now)
            for env in envs:
                self.intraday.take(env, now)
        if publish:
            self._queue(envs)
        self.events += len(envs)

    def add_told(self, told: Told, finals: list[Writable]) -> None:
        """Take finished contact legs told at once (a flat-out replay), their stamps trusted:
        ``told`` (their events as columns, :class:`feeds.metrics.contacts.Told`) aggregated
        together (:meth:`Aggregator.apply_told`), and only their ``finals`` (the final
        envelopes, which hold their stories) queued for the bus."""
        if self.aggregator is not None:
            self.fed |= self.aggregator.apply_told(told)
            self.intraday.hours.told(told)  # agents' hours count the final event only
        self._queue(finals)
        self.events += told.events()

    def _queue(self, envs: list[Writable]) -> None:
        self.pending += envs
        if len(self.pending) > self.max_pending:
            over = len(self.pending) - self.max_pending
            self.dropped += over
            del self.pending[:over]

    def flush(
        self,
        now: float | None = None,
        *,
        final: bool = False,
        real: float | None = None,
        wait: bool = True,
    ) -> bool:
        """Publish what is pending, queue statistics when due and a heartbeat when due.

        ``now``: the producer's clock for statistics (a replay's clock; default the wall
        clock); heartbeats always use the wall clock, since liveness is about real time.
        ``final`` publishes statistics whatever their schedule; ``real``: the wall clock, when
        the caller has just read it. Returns False when Redis refused: the events stay
        pending for the next flush. ``wait=False`` sends without waiting for Redis's answers,
        read once :data:`UNREAD` later batches are sent (a flat-out replay counts and sends
        its next rows meanwhile: it waited a fifth of its time); a refusal then puts those
        events back in front.
        """
        if wait and not self._read_sent():
            return False
        real = self.clock() if real is None else real
        # The producer's clock never goes back (a replay given a row again, late, stamps its
        # events earlier than what it already wrote): the bus would take the items' remembered
        # keys as written by a clock that ran ahead, and a finished contact would open again.
        now = self._now = max(real if now is None else now, self._now)
        stats_due = self.aggregator is not None and (
            final or real - self._last_stats >= self.stats_every
        )
        beat_due = real - self._last_beat >= self.heartbeat_every
        extra: list[Writable] = []
        if stats_due and self.fed:
            extra += self.aggregator.envelopes(now, source=self.source, queues=sorted(self.fed))
            extra = self.intraday.with_intervals(extra, now) + self.intraday.envelopes(
                now, self.fed
            )
        if beat_due:
            extra.append(self._heartbeat(real))
        self.pending = self._not_ahead(self.pending, max(now, real))
        if not self.pending and not extra:
            return True
        done = 0
        batch = [*self.pending, *extra]
        # Ordered on the later of the producer's clock and the wall clock: a simulation running
        # ahead is not refused as stamped in the future (feeds.bus.ordering).
        at = max(now, real)
        try:
            if wait:
                for i in range(0, len(batch), BATCH):
                    seqs = self.bus.publish_many(batch[i : i + BATCH], now=at)
                    done = min(len(self.pending), i + BATCH)
                    self._written(seqs[: max(0, len(self.pending) - i)])
            else:  # behind the writes not yet read, on their connection: nothing overtakes
                after = self._sent[-1][0] if self._sent else None
                self._sent.append((self.bus.send_many(batch, now=at, after=after), self.pending))
                self.pending = []
            if stats_due and self.fed:
                self.intraday.save(now, self.fed)
        except redis.RedisError as exc:
            del self.pending[:done]  # those went out; retrying them would only be deduplicated
            self.published += done
            self._failed(exc)
            self._read_sent()  # the writes still unread: back in front (their line is broken)
            return False
        if not self._read_sent(keep=UNREAD):
            return False
        if self._failing:
            log.warning("%s: publishing again (%d dropped meanwhile)", self.source, self.dropped)
        self._failing = False
        self.published += len(self.pending)
        self.pending.clear()
        if stats_due:
            self._last_stats = real
        if beat_due:
            self._last_beat = real
        return True

    def _written(self, seqs: list[int]) -> None:
        """Count the events the bus did not write again (a 0: a retry or a re-delivery);
        statistics and heartbeats are the producer's own and not among ``seqs``."""
        self.duplicates += seqs.count(0)

    def _failed(self, exc: redis.RedisError) -> None:
        if not self._failing:
            log.warning("%s: publishing failed, keeping events to retry: %s", self.source, exc)
        self._failing = True

    def _read_sent(self, keep: int = 0) -> bool:
        """Read the answers to the writes flushes sent without waiting (``wait=False``), all but
        the ``keep`` newest; on a Redis error the events of those and of every later batch go
        back in front of the pending ones, to be sent again (those Redis did write are
        deduplicated then)."""
        while len(self._sent) > keep:
            answers, envs = self._sent.pop(0)
            try:
                seqs = answers.read()
            except redis.RedisError as exc:
                back = [*envs, *(env for _, theirs in self._sent for env in theirs)]
                for later, _ in self._sent:  # their line is broken: they fail at once
                    with contextlib.suppress(redis.RedisError):
                        later.read()
                self._sent.clear()
                self.pending[:0] = back
                self._failed(exc)
                return False
            self.published += len(envs)
            self._written(seqs[: len(envs)])
        return True

    def _not_ahead(self, envs: list[Writable], now: float) -> list[Writable]:
        """Drop (and count in ``refused``) the events stamped further ahead of ``now`` than
        the ordering rule allows: the bus would refuse the whole batch for one of them."""
        skew = self.config.ordering.max_skew
        refused = ordering.ahead([env.ts for env in envs], now, skew)
        if not refused:
            return envs  # the common case: none ahead
        for i in refused:
            env = envs[i]
            self.refused += 1
            log.warning("%s: %s %s refused: %s", self.source, env.kind, env.id,
                        ordering.FutureEvent(env.ts, now, skew))  # fmt: skip
        gone = set(refused)
        return [env for i, env in enumerate(envs) if i not in gone]

    def _heartbeat(self, real: float) -> Envelope:
        counted = self._counted
        counted.append((real, self.events))
        while real - counted[1][0] >= RATE_SECONDS:  # the oldest left: a minute ago or more
            counted.popleft()
        since, events = counted[0]
        rate = (self.events - events) / (real - since) if real > since else None
        return heartbeat(
            self.source, real, self.heartbeat_every, rate, self.connected, self.follows
        )

    def warm_start(self, now: float | None = None, sources: Collection[str] = ()) -> int:
        """Rebuild today's statistics from what this source (or ``sources``) already wrote to
        the bus today.

        A restarted adapter (or a second import of the day's records) then publishes the
        day's totals, not a cold start from zero; the aggregator takes each contact once, so
        what comes again is not counted twice. Reads the contact stream from local midnight
        (as far back as the stream's cap keeps) and the agents' latest states. Returns the
        number of envelopes taken.
        """
        if self.aggregator is None:
            return 0
        now = self.clock() if now is None else now
        sources = set(sources) or {self.source}
        self.intraday.restore(now, self.fed)
        taken, _ = self.take_contacts(day_entry(now, self.config), sources)
        for raw in self.bus.client.hvals(self.bus.state_key("agent")):
            taken += self.take(raw, sources)
        return taken

    def take_contacts(
        self, start: str, sources: Collection[str], now: float | None = None
    ) -> tuple[int, str | None]:
        """Aggregate (not publish) the contact stream's events of ``sources`` from entry id
        ``start`` (``(<id>`` after it) to the end; returns how many were taken and the last
        entry id read (None: none). ``now``: the clock as they arrive (None trusts stamps)."""
        taken, last = 0, None
        while True:
            page = self.bus.client.xrange(self.bus.contacts_key, min=start, count=WARM_PAGE)
            for _, fields in page:
                taken += self.take(fields.get(b"e"), sources, now)
            if page:
                last = page[-1][0].decode()
                start = "(" + last
            if len(page) < WARM_PAGE:
                return taken, last

    def take(self, raw: bytes | None, sources: Collection[str], now: float | None = None) -> int:
        """Aggregate (not publish) one envelope read from the bus if a producer of ``sources``
        wrote it; returns 1 if taken. ``now``: the clock as it arrives (None trusts stamps)."""
        try:
            env = parse_envelope(raw or b"")
        except ValueError:
            return 0
        if env.source not in sources:
            return 0
        self.fed |= self.aggregator.apply(env, now)
        self.intraday.take(env, now)
        self.events += now is not None  # live events make the rate; a warm start's do not
        return 1
