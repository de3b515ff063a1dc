"""The app's Prometheus metrics, and the one-line hooks the push path calls to move them.

**Several workers.** ``floorboard serve`` runs several gunicorn workers, each with its own hub
and counters. prometheus-client's multiprocess mode adds them up: each worker writes its values
to memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (``floorboard serve`` makes a fresh
directory and removes it; :mod:`dashboard.serving`), and whichever worker answers ``/metrics``
reads every worker's files. Chosen over adding counts up in Redis: counting stays a memory
write on the push path (no network round trip per event, nothing lost between flushes), and
``/metrics`` still answers, with the bus marked down, when Redis is the thing that failed.
Each host is scraped on its own, as Prometheus expects.

**Read at scrape time** (:class:`LiveCollector`), from the answering worker's hub, are the
values every worker shares: updates published to the bus (its sequence number), whether the
bus is up, and each producer's last heartbeat. Everything else is counted by the hooks below.

Without ``PROMETHEUS_MULTIPROC_DIR`` (one process: tests, ``gunicorn`` run by hand with one
worker) the same metrics are kept in memory.
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from feeds.adapters.health import producer_health

NS = "floorboard"
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

STREAMS_OPEN = Gauge(
    f"{NS}_streams_open", "Open SSE streams, by view", ["view"], multiprocess_mode="livesum"
)
STREAMS_OPENED = Counter(f"{NS}_streams_opened", "SSE streams opened, by view", ["view"])
VIEW_UPDATES = Counter(
    f"{NS}_view_updates", "Update frames made for a view (once per change, shared by its screens)",
    ["view"],
)  # fmt: skip
DELIVERED = Counter(f"{NS}_updates_delivered", "Updates handed to screens' sockets (per screen)")
MERGED = Counter(
    f"{NS}_updates_merged",
    "Updates a screen got merged into a later frame (it was behind: latest value per item)",
)
LAG = Histogram(
    f"{NS}_update_lag_seconds",
    "Update lag by stage: bus = the event's stamp to the hub applying it; push = the hub "
    "applying it to the frame being handed to a screen's socket",
    ["stage"],
    buckets=LAG_BUCKETS,
)
LAG_BUS, LAG_PUSH = LAG.labels("bus"), LAG.labels("push")
RESNAPSHOTS = Counter(f"{NS}_resnapshots", "Snapshots of the bus taken by the hubs (boot, gap, "
                      "reconnect)")  # fmt: skip
RECONNECTS = Counter(f"{NS}_redis_reconnects", "Times a hub got the bus back after losing it")
BUS_LOST = Counter(f"{NS}_bus_lost", "Times a hub lost the bus (Redis gone, hung or failing)")
DROPPED = Counter(f"{NS}_streams_dropped", "Screens dropped because they stopped reading")
BROKEN = Counter(f"{NS}_items_broken", "Items sent as broken (could not be computed)")
API_REQUESTS = Counter(
    f"{NS}_api_requests",
    "API requests by route and outcome (accepted, refused) and the reason of a refusal",
    ["route", "outcome", "reason"],
)
LOGINS = Counter(f"{NS}_logins", "Successful sign-ins")
LOGIN_FAILURES = Counter(f"{NS}_login_failures", "Sign-ins refused: wrong name or password")
RATE_LIMITED = Counter(
    f"{NS}_rate_limited", "Requests refused by a rate limit (429), by route", ["route"]
)

log = logging.getLogger("floorboard.bus")
_bus_seen_up = False  # the first "up" of a process is its boot, not a reconnect
_bus_lost_at: float | None = None


@functools.lru_cache(maxsize=256)
def view_label(key: str) -> str:
    """A view's label: its kind, with the board for walls (``wall:main``); never one per
    agent or per board version, so the series stay few."""
    kind, _, rest = key.partition("@")[0].partition(":")
    return f"{kind}:{rest}" if kind == "wall" and rest else kind


# -- hooks: one line each in dashboard/live/hub.py ------------------------------------------------


def stream_opened(key: str) -> None:
    label = view_label(key)
    STREAMS_OPEN.labels(label).inc()
    STREAMS_OPENED.labels(label).inc()


def stream_closed(key: str) -> None:
    STREAMS_OPEN.labels(view_label(key)).dec()


def view_updated(key: str) -> None:
    VIEW_UPDATES.labels(view_label(key)).inc()


def bus_update(stamp: float, now: float) -> None:
    LAG_BUS.observe(max(0.0, now - stamp))


def sent(updates: int, merged: int, since: float) -> None:
    """``updates`` went to screens' sockets (one frame each, or merged: ``merged`` of them
    folded into a later one because the screen was behind); ``since``: the hub's time of the
    oldest of them. Called once per frame written, or per run merged, never per screen."""
    if not updates:
        return
    DELIVERED.inc(updates)
    if merged:
        MERGED.inc(merged)
    LAG_PUSH.observe(max(0.0, time.time() - since))


def resnapshot() -> None:
    RESNAPSHOTS.inc()


def bus_status(up: bool) -> None:
    """Counts the bus lost and back; logs its return with how long it was away (the
    subscriber has logged the loss and its cause)."""
    global _bus_seen_up, _bus_lost_at
    if not up:
        BUS_LOST.inc()
        _bus_lost_at = _bus_lost_at or time.monotonic()
        return
    if _bus_seen_up:
        RECONNECTS.inc()
        away = time.monotonic() - _bus_lost_at if _bus_lost_at else 0.0
        log.info("bus back after %.1f s", away, extra={"event": "bus.up", "away_s": round(away, 1)})
    _bus_seen_up, _bus_lost_at = True, None


def dropped() -> None:
    DROPPED.inc()


def broken() -> None:
    BROKEN.inc()


# -- the scrape ---------------------------------------------------------------------------------


class LiveCollector:
    """Values every worker shares, read from the answering worker's hub at scrape time."""

    def __init__(self, hub: Any, release: str) -> None:
        self.hub = hub
        self.release = release

    def collect(self) -> Iterator[Metric]:
        hub, now = self.hub, time.time()
        yield CounterMetricFamily(
            f"{NS}_updates_published", "Updates published to the bus by every producer (its "
            "sequence number; starts again if Redis loses its data)", value=hub.seq,
        )  # fmt: skip
        yield GaugeMetricFamily(
            f"{NS}_bus_up", "1 while the hub follows the bus", value=int(hub.live()["up"])
        )
        seen = GaugeMetricFamily(
            f"{NS}_source_last_seen_seconds", "Seconds since each producer's last heartbeat",
            labels=["source"],
        )  # fmt: skip
        live = GaugeMetricFamily(
            f"{NS}_source_up", "1 while a producer is live (heartbeat on time, upstream "
            "connected)", labels=["source"],
        )  # fmt: skip
        for health in producer_health(dict(hub.mirror.get("heartbeat", {})), now):
            seen.add_metric([health.source], health.age)
            live.add_metric([health.source], int(health.status == "live"))
        yield seen
        yield live
        info = GaugeMetricFamily(f"{NS}_build_info", "The release running", labels=["version"])
        info.add_metric([self.release], 1)
        yield info


class _Scrape:
    """The collectors of one scrape, as the registry ``generate_latest`` expects."""

    def __init__(self, collectors: Iterable[Any]) -> None:
        self.collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def exposition(live: LiveCollector) -> tuple[bytes, str]:
    """The text of ``/metrics`` and its content type: every worker's counts (multiprocess
    mode) or this process's, and the shared values."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    counted = MultiProcessCollector(None, directory) if directory else REGISTRY
    return generate_latest(_Scrape([counted, live])), CONTENT_TYPE_LATEST  # type: ignore[arg-type]
