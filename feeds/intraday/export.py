"""A day's intervals and contacts as tables (pandas): the Today page, the exports, rebuilds.

:func:`interval_table`: one row per interval of the day that has anything (actual or
forecast), the scope's queues rolled up (:func:`feeds.intraday.series.point`), from the
stored rows, so a past day reads as it was kept. :func:`contacts_table`: one row per leg of
each contact offered that day, from the contacts stream (as far back as its cap reaches).
Times are the centre's clock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from feeds.config import Config
from feeds.intraday import frame
from feeds.intraday.grid import Day
from feeds.intraday.series import POINT, Scope, point
from feeds.intraday.store import IntradayStore, stream_range

STREAM_MARGIN = 6 * 3600.0  # contact events written this long around a day can be its own
INTERVAL_COLUMNS = ["interval", "start", *POINT]
CONTACT_COLUMNS = [
    "contact_id", "leg", "queue", "channel", "customer_id", "offered_at", "interval", "state",
    "wait", "answered_at", "ended_at", "handle_time", "agent_id", "reason", "outcome",
]  # fmt: skip


def _local(ts: pd.Series, config: Config) -> pd.Series:
    """Epoch seconds as the centre's local time, ISO 8601 with its offset."""
    local = pd.to_datetime(ts, unit="s", utc=True).dt.tz_convert(config.centre.timezone)
    return local.map(lambda t: t.isoformat(timespec="seconds"), na_action="ignore")


def day_points(store: IntradayStore, day: Day, s: Scope) -> dict[int, dict[str, Any]]:
    """The day's points of ``s`` by slot (:func:`feeds.intraday.series.point`), as stored:
    a past day's chart and table, and the exports."""
    actual = {q: {r["start"]: r for r in store.rows(q, day)} for q in s.ids}
    plan = {q: {r["start"]: r for r in store.rows(q, day, forecast=True)} for q in s.ids}
    out = {}
    for slot, start in enumerate(day.starts()):
        here = {q: r[start] for q, r in actual.items() if start in r}
        planned = {q: r[start] for q, r in plan.items() if start in r}
        p = point(s, here, planned)
        if p:
            out[slot] = p
    return out


def interval_table(store: IntradayStore, config: Config, day: Day, s: Scope) -> pd.DataFrame:
    """The day's intervals of ``s``, as stored."""
    records = [{"interval": day.label(slot), "start": day.bounds(slot)[0], **p}
               for slot, p in day_points(store, day, s).items()]  # fmt: skip
    table = pd.DataFrame(records, columns=INTERVAL_COLUMNS)
    table["start"] = _local(table["start"], config)
    return table


def day_legs(store: IntradayStore, config: Config, key: str, day: Day) -> pd.DataFrame:
    """The legs (:func:`feeds.intraday.frame.legs`) offered on ``day``, from the stream."""
    entries = stream_range(store.client, key, day.start - STREAM_MARGIN, day.end + STREAM_MARGIN)
    return legs_of(entries, config, day)


def legs_of(entries: Iterable[tuple[float, bytes | str]], config: Config, day: Day) -> pd.DataFrame:
    """The legs offered on ``day`` of these contacts stream entries, in the order offered."""
    legs = frame.legs(frame.events(entries), config)
    legs = legs[(legs["enqueued_at"] >= day.start) & (legs["enqueued_at"] < day.end)]
    return legs.sort_values(["enqueued_at", "id", "leg"])


def rebuild(store: IntradayStore, config: Config, key: str, day: Day, now: float) -> int:
    """Work ``day``'s intervals out again from the contacts stream at ``key`` and save them,
    keeping each stored row's agent time (not in the stream); intervals the stream no longer
    holds keep their stored rows. Returns how many were rebuilt."""
    stored = store.stored([q.id for q in config.queues], day)
    rebuilt = frame.intervals(day_legs(store, config, key, day), config, now, stored)
    changed = {(r.pop("queue"), r["start"]): r for r in rebuilt.to_dict("records")}
    store.save(changed)
    return len(changed)


def contacts_table(store: IntradayStore, config: Config, key: str, day: Day) -> pd.DataFrame:
    """Every leg of the contacts offered on ``day``, from the stream at ``key``."""
    legs = day_legs(store, config, key, day)
    starts = frame.interval_starts(legs["enqueued_at"], config.centre.timezone, day.step)
    table = legs.assign(
        contact_id=legs["id"],
        offered_at=_local(legs["enqueued_at"], config),
        interval=starts.map(lambda t: day.label(day.slot(t) or 0)),
        answered_at=_local(legs["answered_at"], config),
        ended_at=_local(legs["ended_at"], config),
        wait=legs["wait"].round(1),
        handle_time=legs["handle_time"].where(legs["handled"] > 0).round(1),
    )
    return table.reindex(columns=CONTACT_COLUMNS)


def to_csv(table: pd.DataFrame) -> str:
    return table.to_csv(index=False, lineterminator="\n")
