"""Days of intervals and forecasts in Redis, each kept ``history.retention_days``.

One hash per queue and day, field = an interval's start (epoch seconds), value = its row as
JSON (:class:`feeds.bus.schema.IntervalRow`, defaults left out)::

    <prefix>history:<queue>:<YYYY-MM-DD>     what happened, written as it happens
    <prefix>forecast:<queue>:<YYYY-MM-DD>    the planner's forecast for it

A hash rather than a capped stream: an interval's figures change after it has closed (a call
offered at 10:14 is answered at 10:16), and a hash overwrites them in place where a stream
would append versions. Each key expires ``retention_days`` after its day ends, so memory is
bounded by days × queues × intervals (about 20 KB per queue and day). Backups: these keys are
the whole of it (docs/history.md).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

import redis

from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.intraday.grid import Day
from feeds.intraday.live import Key

PAGE = 5000  # stream entries per round trip


def stream_range(
    client: redis.Redis, key: str, start: float, end: float | None = None
) -> Iterator[tuple[float, bytes]]:
    """The entries of a stream written in ``[start, end)`` (epoch seconds; end None: all
    since), as (write time, the entry's ``e`` field), a page per round trip."""
    low = f"{int(start * 1000)}-0"
    high = "+" if end is None else f"{int(end * 1000) - 1}-18446744073709551615"
    while True:
        page = client.xrange(key, min=low, max=high, count=PAGE)
        for entry_id, fields in page:
            yield int(entry_id.split(b"-")[0]) / 1000, fields.get(b"e", b"")
        if len(page) < PAGE:
            return
        low = "(" + page[-1][0].decode()


class IntradayStore:
    """Reads and writes a centre's days of intervals and forecasts."""

    def __init__(self, bus: Bus, config: Config) -> None:
        self.client, self.prefix = bus.client, bus.prefix
        self.tz, self.step = config.tz, config.history.step
        self.retention = config.history.retention_days

    def history_key(self, queue: str, day: str) -> str:
        return f"{self.prefix}history:{queue}:{day}"

    def forecast_key(self, queue: str, day: str) -> str:
        return f"{self.prefix}forecast:{queue}:{day}"

    def day(self, when: date | float) -> Day:
        if isinstance(when, date):
            return Day.on(when, self.tz, self.step)
        return Day.of(when, self.tz, self.step)

    def _expires(self, day: Day) -> int:
        return int(day.end + self.retention * 86400)

    # -- intervals ------------------------------------------------------------------------

    def save(self, changed: Mapping[Key, Mapping[str, Any]]) -> None:
        """Write rows (each to its queue's hash of the day it starts in), in one round trip."""
        if not changed:
            return
        pipe = self.client.pipeline(transaction=False)
        for (queue, start), row in changed.items():
            day = self.day(start)
            key = self.history_key(queue, day.text)
            pipe.hset(key, str(int(start)), json.dumps(row, separators=(",", ":")))
            pipe.expireat(key, self._expires(day))
        pipe.execute()

    def rows(self, queue: str, day: Day, forecast: bool = False) -> list[dict[str, Any]]:
        """A queue's rows of ``day`` (its intervals, or its forecast), by start."""
        key = (self.forecast_key if forecast else self.history_key)(queue, day.text)
        found = [json.loads(v) for v in self.client.hvals(key)]
        return sorted(found, key=lambda r: r["start"])

    def stored(self, queues: list[str], day: Day) -> dict[Key, dict[str, Any]]:
        """Every row of ``queues`` on ``day``, by (queue, start): what a restart restores."""
        return {(q, r["start"]): r for q in queues for r in self.rows(q, day)}

    def days(self, queues: list[str], today: Day) -> list[date]:
        """The days within the retention that have intervals of any of ``queues``, newest
        first."""
        candidates = [today.date - timedelta(days=n) for n in range(self.retention + 1)]
        pipe = self.client.pipeline(transaction=False)
        for d in candidates:
            pipe.exists(*(self.history_key(q, d.isoformat()) for q in queues))
        return [d for d, n in zip(candidates, pipe.execute(), strict=True) if n]

    # -- forecasts ------------------------------------------------------------------------

    def put_forecast(self, day: Day, by_queue: Mapping[str, list[dict[str, Any]]]) -> None:
        """Replace the forecast of each queue given for ``day``, all of it in one transaction:
        a reader sees the old forecast or the new one, never half of either."""
        pipe = self.client.pipeline(transaction=True)
        for queue, rows in by_queue.items():
            key = self.forecast_key(queue, day.text)
            pipe.delete(key)
            if rows:
                pipe.hset(key, mapping={str(int(r["start"])): json.dumps(r) for r in rows})
                pipe.expireat(key, self._expires(day))
        pipe.execute()
