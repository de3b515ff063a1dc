"""The day's intervals from the contacts stream, with pandas: rebuilds, exports, the check.

The stream ``<prefix>contacts`` keeps every contact event the bus took (a superseded one too,
with ``seq`` 0), each stamped by Redis when it was written. From it, as frames:

1. :func:`events`: one row per event, at its trusted time ``t = min(ts, written)``;
2. :func:`legs`: one row per leg: the latest event of each kind (greatest ``t``, the later
   arrival in a tie: the ordering rule), and what the leg counts by docs/metrics.md: answered
   (an "answered", or a "completed" with ``answered_at``) and its wait, abandoned (only if
   neither outranks it) and its wait, handled and its handle time; its queue and the time it
   was offered from its furthest event;
3. :func:`intervals`: the legs grouped by queue and the interval they were offered in, every
   figure finished by :func:`feeds.intraday.rows.finish` as the live path does.

It shares the leg rules with the aggregator only through docs/metrics.md, not through code:
tests/test_intervals.py checks that the two agree on simulated days. Agent time is not in the
stream: a rebuild keeps the stored rows' (``floorboard history rebuild``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

import numpy as np
import pandas as pd

from feeds.config import Config
from feeds.intraday import rows
from feeds.metrics import formulas

PHASES = ("completed", "answered", "abandoned", "offered")  # furthest first
# What the roll-up reads of an event's data, in the order the bus writes every field.
DATA = ("leg", "event", "queue", "channel", "customer_id", "agent_id", "enqueued_at",
        "answered_at", "ended_at", *formulas.HANDLE_PARTS, "reason", "outcome")  # fmt: skip
REQUIRED = frozenset({"event", "queue", "enqueued_at"})
FIELDS = ("id", "leg", "event", "queue", "channel", "customer_id", "agent_id", "enqueued_at",
          "answered_at", "ended_at", "handle", "reason", "outcome", "ts", "written")  # fmt: skip
TIMES = ("enqueued_at", "answered_at", "ended_at", *formulas.HANDLE_PARTS, "ts", "written")


def events(entries: Iterable[tuple[float, bytes | str]]) -> pd.DataFrame:
    """One row per contact event of ``(written, envelope JSON)`` stream entries, in order.

    A day is 300,000 events, so each is read with as little Python as it takes: its fields
    picked in C (the bus writes every field; an envelope that leaves some out is read field
    by field), the handle time added up for the whole frame at once
    (:func:`formulas.handle_times`)."""
    pick, out = itemgetter(*DATA), []
    for written, raw in entries:
        try:
            env = _envelope(raw)
            d = env["data"]
            try:
                row = pick(d)
            except KeyError:
                row = tuple(d[k] if k in REQUIRED else d.get(k, 1 if k == "leg" else None)
                            for k in DATA)  # fmt: skip
            out.append((env["id"], *row, env["ts"], written))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not a contact event this code can read: the bus validated what it wrote
    frame = pd.DataFrame(out, columns=["id", *DATA, "ts", "written"])
    for name in TIMES:
        frame[name] = frame[name].astype(float)
    frame["handle"] = formulas.handle_times(frame).fillna(0.0)
    return frame.reindex(columns=list(FIELDS)).assign(t=np.minimum(frame["ts"], frame["written"]))


_raw_decode = json.JSONDecoder().raw_decode


def _envelope(raw: bytes | str) -> Any:
    """``json.loads(raw)``, a fifth quicker for what the bus writes (one JSON value, UTF-8, no
    surrounding space): ``raw_decode`` skips the whitespace matching and the encoding check.
    Anything else goes through ``json.loads`` and its errors."""
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
        value, end = _raw_decode(text)
        if end == len(text):
            return value
    except ValueError:
        pass
    return json.loads(raw)


def _latest(ev: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The legs of ``ev`` in (id, leg) order, and for each phase the row of ``ev`` with the
    leg's latest event of that kind (-1: none): the greatest ``t``, the later arrival in a tie
    (the ordering rule). On integer codes: grouping the strings and unstacking every column
    took 0.8 s of a 100,000-contact day."""
    ids, id_values = pd.factorize(ev["id"], sort=True)
    nums, leg_values = pd.factorize(ev["leg"], sort=True)
    phase = pd.Index(PHASES).get_indexer(ev["event"])  # -1: not a phase (another kind)
    rows = np.flatnonzero((ids >= 0) & (nums >= 0) & (phase >= 0))
    code, pairs = pd.factorize(ids[rows].astype(np.int64) * len(leg_values) + nums[rows], sort=True)
    group = code * len(PHASES) + phase[rows]
    order = np.lexsort((ev["t"].to_numpy()[rows], group))
    group, rows = group[order], rows[order]
    last = np.ones(len(group), dtype=bool)
    last[:-1] = group[1:] != group[:-1]
    group, rows = group[last], rows[last]
    at = {}
    for i, p in enumerate(PHASES):
        mine = group % len(PHASES) == i
        at[p] = np.full(len(pairs), -1)
        at[p][group[mine] // len(PHASES)] = rows[mine]
    keys = pd.DataFrame({"id": id_values.take(pairs // len(leg_values)),
                         "leg": leg_values.take(pairs % len(leg_values))})  # fmt: skip
    return keys, at


def legs(ev: pd.DataFrame, config: Config) -> pd.DataFrame:
    """One row per leg on a configured queue: what it counts, and when it was offered."""
    keys, at = _latest(ev)
    t = ev["t"].to_numpy()
    has = {p: (rows >= 0) & ~np.isnan(t[rows]) for p, rows in at.items()}  # reached it
    seen = {p: bool((rows >= 0).any()) for p, rows in at.items()}  # any leg of the stream did
    # The leg's furthest event (else its offered one): its queue, channel... are read there.
    top = np.select([has[p] for p in PHASES[:-1]], [at[p] for p in PHASES[:-1]], at["offered"])
    code = pd.Index([q.id for q in config.queues]).get_indexer(ev["queue"])  # -1: unknown
    code = np.where(top >= 0, code[top], -1)
    kept = np.flatnonzero(code >= 0)  # legs on a configured queue
    keys, code, top = keys.iloc[kept].reset_index(drop=True), code[kept], top[kept]
    at, has = {p: r[kept] for p, r in at.items()}, {p: h[kept] for p, h in has.items()}

    def of(phase: str, col: str) -> pd.Series:  # a column at the leg's latest such event
        if not seen[phase]:
            return pd.Series(np.nan, index=keys.index)  # nobody reached it: as unstack leaves it
        return pd.Series(pd.api.extensions.take(ev[col].array, at[phase], allow_fill=True))

    out = keys
    for col in ("queue", "channel", "customer_id", "enqueued_at", "reason"):
        out[col] = pd.api.extensions.take(ev[col].array, top, allow_fill=True)
    agent = of("completed", "agent_id")
    out["agent_id"] = agent.where(has["completed"], of("answered", "agent_id"))
    out["outcome"] = of("completed", "outcome")
    threshold = np.array([q.sl_threshold for q in config.queues])[code]
    short = np.array([q.short_abandon for q in config.queues])[code]
    by_answer = has["answered"]
    answered = by_answer | (has["completed"] & of("completed", "answered_at").notna().to_numpy())
    at_ = of("answered", "answered_at").fillna(of("answered", "t"))
    at_ = at_.where(by_answer, of("completed", "answered_at"))
    enq = of("answered", "enqueued_at").where(by_answer, of("completed", "enqueued_at"))
    out["answered_at"] = at_.where(answered)
    abandoned = has["abandoned"] & ~has["answered"] & ~has["completed"]
    gave_up = of("abandoned", "ended_at").fillna(of("abandoned", "t"))
    out["wait"] = np.where(answered, at_ - enq, np.where(abandoned, gave_up -
                           of("abandoned", "enqueued_at"), np.nan)).clip(min=0)  # fmt: skip
    out["ended_at"] = of("completed", "ended_at").fillna(of("abandoned", "ended_at"))
    waiting = has["offered"] & ~answered & ~has["abandoned"] & ~has["completed"]
    # Moved: a later leg of the same contact follows (the legs are in (id, leg) order).
    ids, leg = out["id"].to_numpy(), out["leg"].to_numpy()
    more = np.zeros(len(out), dtype=bool)
    more[:-1] = (ids[1:] == ids[:-1]) & (leg[1:] == leg[:-1] + 1)
    out["state"] = np.select(
        [answered, abandoned, waiting & ~more], ["answered", "abandoned", "waiting"], "moved"
    )
    w = out["wait"].to_numpy()
    out["offered"] = 1
    out["answered"] = answered.astype(int)
    out["answered_in_threshold"] = (answered & (w <= threshold)).astype(int)
    out["abandoned"] = abandoned.astype(int)
    out["short_abandoned"] = (abandoned & (w < short)).astype(int)
    out["abandoned_in_threshold"] = (abandoned & (w <= threshold)).astype(int)
    out["answer_wait"] = np.where(answered, w, 0.0)
    out["abandon_wait"] = np.where(abandoned, w, 0.0)
    out["handled"] = has["completed"].astype(int)
    out["handle_time"] = of("completed", "handle").where(has["completed"], 0.0)
    return out


def interval_starts(ts: pd.Series, tz: str, step: int) -> pd.Series:
    """The start of the interval each instant falls in: local midnight, then whole steps."""
    local = pd.to_datetime(ts, unit="s", utc=True).dt.tz_convert(tz).dt.normalize()
    midnight = (local - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
    return midnight + (ts - midnight) // step * step


def intervals(
    lg: pd.DataFrame,
    config: Config,
    now: float,
    agents: Mapping[tuple[str, float], Mapping[str, Any]] | None = None,
) -> pd.DataFrame:
    """Per queue and interval (offered in it), the finished rows as of ``now``: a waiting
    contact's wait so far counts in the longest wait. Agent time is not in the stream: it is
    taken from ``agents`` (stored rows by queue and start), else left at 0."""
    step, tz = config.history.step, config.centre.timezone
    lg = lg.assign(start=interval_starts(lg["enqueued_at"], tz, step))
    waits = lg["wait"].where(lg["state"] != "waiting", now - lg["enqueued_at"])
    lg = lg.assign(longest=waits.where(lg["state"] != "moved"))
    by_interval = lg.groupby(["queue", "start"])
    sums = by_interval[list(rows.COUNTERS)].sum()
    sums["longest_wait"] = by_interval["longest"].max()
    sums = sums.reset_index().sort_values(["queue", "start"])
    local = pd.to_datetime(sums["start"], unit="s", utc=True).dt.tz_convert(tz)
    sums["day"] = local.dt.date
    grouped = sums.groupby(["queue", "day"])
    handled, handle = grouped["handled"].cumsum(), grouped["handle_time"].cumsum()
    sums["day_aht"] = (handle / handled).where(handled > 0)
    out: list[dict[str, Any]] = []
    for rec in sums.to_dict("records"):
        queue = config.queue(rec["queue"])
        assert queue is not None
        span = min(rec["start"] + step, now) - rec["start"]
        longest = None if pd.isna(rec["longest_wait"]) else rec["longest_wait"]
        raw = {**{k: rec[k] for k in ("start", *rows.COUNTERS)}, "longest_wait": longest}
        kept = (agents or {}).get((rec["queue"], rec["start"]), {})
        raw.update({k: kept[k] for k in rows.AGENT_TIMES if k in kept})
        aht = None if pd.isna(rec["day_aht"]) else rec["day_aht"]
        out.append({"queue": rec["queue"], **rows.finish(queue, raw, span, aht)})
    return pd.DataFrame(out)
