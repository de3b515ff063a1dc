"""What a producer that aggregates adds for the intraday charts (feeds.adapters.producer).

Beside each ``queue`` item it already publishes, the intervals still changing (the running one
and the one before: the live charts move with the queue tiles, in the same frame); every new
interval and every half minute while late contacts change the closed ones, the queue's day
(``intraday`` ``queue:<id>``); agents' and teams' hours; the day's forecast at start and at
midnight. After each publish the changed rows are saved (:mod:`feeds.intraday.store`), the
running ones included, so Redis always holds the current interval.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis

from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, make_envelope
from feeds.config import Config
from feeds.intraday.forecast import Forecast
from feeds.intraday.hours import Hours
from feeds.intraday.live import Intraday
from feeds.intraday.store import IntradayStore
from feeds.metrics.aggregator import Aggregator

log = logging.getLogger(__name__)


def forecast_envelope(store: IntradayStore, queue: str, when: float, source: str) -> Envelope:
    """The ``forecast:<queue>`` item of the day containing ``when``, as the store holds it."""
    day = store.day(when)
    data = {"day": day.text, "step": store.step, "rows": store.rows(queue, day, forecast=True)}
    return make_envelope("intraday", f"forecast:{queue}", data, ts=when, source=source)


class IntradayFeed:
    """A producer's intervals, hours and forecasts: built from what its aggregator settles."""

    def __init__(self, bus: Bus, config: Config, aggregator: Aggregator, source: str) -> None:
        self.intraday = Intraday(config, aggregator)
        self.hours = Hours(config)
        self.store = IntradayStore(bus, config)
        self.source = source
        self.max_skew = config.ordering.max_skew
        self._forecast_day = ""  # the day whose forecasts were last published

    def take(self, env: Envelope, now: float | None) -> None:
        """An envelope the producer took (``now``: its clock; None trusts the stamp)."""
        if now is not None and env.ts > now + self.max_skew:
            return  # refused by the aggregator too (feeds.bus.ordering)
        self.hours.apply(env, env.ts if now is None else min(env.ts, now))

    def with_intervals(self, envs: Iterable[Envelope], now: float) -> list[Envelope]:
        """``queue`` items with the intervals still changing beside their figures."""
        return [
            env.model_copy(update={"data": {**env.data,
                                            "intervals": self.intraday.recent(env.id, now)}})
            if env.kind == "queue" else env
            for env in envs
        ]  # fmt: skip

    def envelopes(self, now: float, queues: Iterable[str]) -> list[Envelope]:
        """Day items, hours and forecasts that are due (forecasts read Redis: RedisError)."""
        queues = sorted(queues)
        out = self.intraday.envelopes(now, queues, self.source)
        out += self.hours.envelopes(now, self.source)
        day = self.intraday.advance(now).text
        if day != self._forecast_day:
            try:
                out += [forecast_envelope(self.store, q, now, self.source) for q in queues]
                self._forecast_day = day
            except redis.RedisError as exc:
                log.warning("%s: cannot read the day's forecasts yet: %s", self.source, exc)
        return out

    def save(self, now: float, queues: Iterable[str]) -> None:
        """Save the changed rows and the running ones; kept for the next try if Redis fails."""
        changed = self.intraday.take_changed(now, queues)
        try:
            self.store.save(changed)
        except redis.RedisError:
            self.intraday.changed |= set(changed)
            raise

    def restore(self, now: float, queues: Iterable[str]) -> None:
        """A restarted producer: today's saved rows stand in for what the stream lost."""
        day = self.intraday.advance(now)
        self.intraday.restore(self.store.stored(sorted(queues), self.store.day(day.date)))


def load_forecast(bus: Bus, config: Config, forecast: Forecast, source: str, now: float) -> None:
    """Store a checked forecast (whole, or not at all) and, if its day is today, publish it
    at once: the charts show the plan within a second (the producers publish it again at
    midnight for the day that starts)."""
    store = IntradayStore(bus, config)
    store.put_forecast(forecast.day, forecast.by_queue)
    if forecast.day.start <= now < forecast.day.end:
        bus.publish_many([forecast_envelope(store, q, now, source) for q in forecast.by_queue])
