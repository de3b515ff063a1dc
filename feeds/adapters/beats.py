"""Heartbeats of producers that only send batches: API tokens and Connect records over HTTP.

A producer with a loop of its own (the simulator, the adapters) heartbeats every few seconds
(:mod:`feeds.adapters.producer`). One that posts to ``/api/v1`` has no loop here: each batch it
sends is its heartbeat, so it appears among the console's sources and a tile it feeds greys
when it falls silent. Its ``interval`` is the config's ``[api] heartbeat_seconds``: how often
a feed that is alive is expected to post.

Every app worker takes batches, so the counting is Redis's (one small script per batch): the
events since the source's last heartbeat are counted across workers, and a heartbeat is written
at most once per :data:`MIN_GAP` per source, whatever the batch rate, with the exact rate.
A source whose name is not an id (``acd 1``) cannot have a heartbeat item and has none.
"""

from __future__ import annotations

from collections.abc import Mapping

from feeds.adapters.producer import heartbeat
from feeds.bus.bus import Bus
from feeds.errors import SchemaError

MIN_GAP = 1.0  # seconds: at most one heartbeat a second per source, however fast it posts
# KEYS[1]: the source's counter hash {n: events since its last heartbeat, at: that beat's time}
# ARGV: events in this batch, now, MIN_GAP, seconds to keep the counter
# Returns nil when no heartbeat is due, else {events since the last one, its time (0: none)}.
_COUNT_LUA = """
local n = redis.call('HINCRBY', KEYS[1], 'n', ARGV[1])
local at = redis.call('HGET', KEYS[1], 'at') or '0'
redis.call('EXPIRE', KEYS[1], ARGV[4])
if tonumber(ARGV[2]) - tonumber(at) < tonumber(ARGV[3]) then return nil end
redis.call('HSET', KEYS[1], 'at', ARGV[2], 'n', 0)
return {n, at}
"""


class BatchBeats:
    """Turns batches into heartbeats, one source at a time."""

    def __init__(self, bus: Bus, interval: float) -> None:
        self.bus, self.interval = bus, interval
        self._count = bus.client.register_script(_COUNT_LUA)

    def counter_key(self, source: str) -> str:
        return f"{self.bus.prefix}batches:{source}"

    def batch(self, events: Mapping[str, int], now: float) -> list[str]:
        """Count a batch (``events``: source -> events of it in the batch); publish the
        heartbeats that are due. Returns the sources that heartbeat."""
        beats = []
        keep = max(86400, round(10 * self.interval))
        for source, n in events.items():
            due = self._count(keys=[self.counter_key(source)], args=[n, repr(now), MIN_GAP, keep])
            if due is None:
                continue
            count, last = int(due[0]), float(due[1])
            rate = count / (now - last) if last and now > last else None
            try:
                beats.append(heartbeat(source, now, self.interval, rate))
            except SchemaError:  # a source named unlike an id (``acd 1``) has no heartbeat
                continue
        if beats:
            self.bus.publish_many(beats, now=now)
        return [b.id for b in beats]
