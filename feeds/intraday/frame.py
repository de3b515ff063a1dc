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
from typing import Any

import numpy as np
import pandas as pd

from feeds.config import Config
from feeds.intraday import rows
from feeds.metrics import formulas

PHASES = ("completed", "answered", "abandoned", "offered")  # furthest first
FIELDS = ("id", "leg", "event", "queue", "channel", "customer_id", "agent_id", "enqueued_at",
          "answered_at", "ended_at", "handle", "reason", "outcome", "ts", "written")  # fmt: skip


def events(entries: Iterable[tuple[float, bytes | str]]) -> pd.DataFrame:
    """One row per contact event of ``(written, envelope JSON)`` stream entries, in order."""
    out = []
    for written, raw in entries:
        try:
            env = json.loads(raw)
            d = env["data"]
            out.append((env["id"], d.get("leg", 1), d["event"], d["queue"], d.get("channel"),
                        d.get("customer_id"), d.get("agent_id"), d["enqueued_at"],
                        d.get("answered_at"), d.get("ended_at"), formulas.handle_time(d) or 0.0,
                        d.get("reason"), d.get("outcome"), env["ts"], written))  # fmt: skip
        except (ValueError, KeyError, TypeError):
            continue  # not a contact event this code can read: the bus validated what it wrote
    frame = pd.DataFrame(out, columns=list(FIELDS))
    for name in ("enqueued_at", "answered_at", "ended_at", "handle", "ts", "written"):
        frame[name] = frame[name].astype(float)
    return frame.assign(t=np.minimum(frame["ts"], frame["written"]))


def legs(ev: pd.DataFrame, config: Config) -> pd.DataFrame:
    """One row per leg on a configured queue: what it counts, and when it was offered."""
    keys = ["id", "leg"]
    latest = ev.sort_values("t", kind="stable").groupby([*keys, "event"], sort=False).tail(1)
    wide = latest.set_index([*keys, "event"]).unstack("event")
    wide.columns = [f"{event}_{col}" for col, event in wide.columns]
    for phase in PHASES:
        for col in ev.columns.drop([*keys, "event"]):
            wide[f"{phase}_{col}"] = wide.get(f"{phase}_{col}", np.nan)
    has = {p: wide[f"{p}_t"].notna() for p in PHASES}

    def top(col: str) -> pd.Series:  # from the leg's furthest event
        out = wide[f"offered_{col}"]
        for phase in reversed(PHASES[:-1]):
            out = wide[f"{phase}_{col}"].where(has[phase], out)
        return out

    out = pd.DataFrame(index=wide.index)
    for col in ("queue", "channel", "customer_id", "enqueued_at", "reason"):
        out[col] = top(col)
    out["agent_id"] = wide["completed_agent_id"].where(has["completed"], wide["answered_agent_id"])
    out["outcome"] = wide["completed_outcome"]
    limits = {q.id: (q.sl_threshold, q.short_abandon) for q in config.queues}
    out = out[out["queue"].isin(list(limits))]
    wide, has = wide.loc[out.index], {p: h.loc[out.index] for p, h in has.items()}
    threshold = out["queue"].map({q: v[0] for q, v in limits.items()})
    short = out["queue"].map({q: v[1] for q, v in limits.items()})
    by_answer = has["answered"]
    answered = by_answer | (has["completed"] & wide["completed_answered_at"].notna())
    at = wide["answered_answered_at"].fillna(wide["answered_t"])
    at = at.where(by_answer, wide["completed_answered_at"])
    enq = wide["answered_enqueued_at"].where(by_answer, wide["completed_enqueued_at"])
    out["answered_at"] = at.where(answered)
    abandoned = has["abandoned"] & ~has["answered"] & ~has["completed"]
    gave_up = wide["abandoned_ended_at"].fillna(wide["abandoned_t"])
    out["wait"] = np.where(answered, at - enq, np.where(abandoned, gave_up -
                           wide["abandoned_enqueued_at"], np.nan)).clip(min=0)  # fmt: skip
    out["ended_at"] = wide["completed_ended_at"].fillna(wide["abandoned_ended_at"])
    waiting = has["offered"] & ~answered & ~has["abandoned"] & ~has["completed"]
    nxt = out.reset_index()[keys].assign(leg=lambda f: f["leg"] - 1).assign(more=True)
    more = out.reset_index()[keys].merge(nxt, on=keys, how="left")["more"].notna().to_numpy()
    out["state"] = np.select(
        [answered, abandoned, waiting & ~more], ["answered", "abandoned", "waiting"], "moved"
    )
    w = out["wait"]
    out["offered"] = 1
    out["answered"] = answered.astype(int)
    out["answered_in_threshold"] = (answered & (w <= threshold)).astype(int)
    out["abandoned"] = abandoned.astype(int)
    out["short_abandoned"] = (abandoned & (w < short)).astype(int)
    out["abandoned_in_threshold"] = (abandoned & (w <= threshold)).astype(int)
    out["answer_wait"] = w.where(answered, 0.0)
    out["abandon_wait"] = w.where(abandoned, 0.0)
    out["handled"] = has["completed"].astype(int)
    out["handle_time"] = wide["completed_handle"].where(has["completed"], 0.0)
    return out.reset_index()


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
    sums = lg.groupby(["queue", "start"])[list(rows.COUNTERS)].sum()
    sums["longest_wait"] = lg.groupby(["queue", "start"])["longest"].max()
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
