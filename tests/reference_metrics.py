"""A from-scratch pandas computation of every queue figure, for the property test.

It reads docs/metrics.md, not the aggregator: all delivered events in one frame, the ordering
rule as sorts and group-bys, each leg's outcome as column arithmetic, windows as filters. It
shares nothing with :mod:`feeds.metrics` but the names of the counters, so the two agreeing on
thousands of messy feeds means the incremental bookkeeping is right, not merely consistent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOWS = {"15m": 900, "30m": 1800, "60m": 3600}
COUNTERS = (
    "offered", "answered", "answered_in_threshold", "answer_wait", "abandoned",
    "short_abandoned", "abandoned_in_threshold", "abandon_wait", "handled", "handle_time",
    "transferred",
)  # fmt: skip
PHASES = ("offered", "abandoned", "answered", "completed")


def day_start(now: pd.Series, tz: str) -> pd.Series:
    """Local midnight of each instant, as epoch seconds (pandas' own time-zone rules)."""
    local = pd.to_datetime(now, unit="s", utc=True).dt.tz_convert(tz).dt.normalize()
    # As a difference from the epoch: whatever unit pandas keeps datetimes in (ns in pandas 2,
    # the input's own unit in pandas 3), seconds come out as seconds.
    return (local - pd.Timestamp(0, tz="UTC")).dt.total_seconds()


def accepted(events: pd.DataFrame, queries: pd.DataFrame, max_skew: float) -> pd.DataFrame:
    """Each query's delivered events that the receiver takes, stamped ``t = min(ts, arrived)``
    (``arrived``: the receiver's clock at delivery); those ``max_skew`` ahead of it are not."""
    rows = events.merge(queries, on="seq")
    rows = rows[rows["idx"] < rows["upto"]]
    rows = rows[rows["ts"] <= rows["arrived"] + max_skew]
    return rows.assign(t=np.minimum(rows["ts"], rows["arrived"]))


def latest(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The latest event of each group: greatest time, and the last arrival in a tie."""
    return rows.sort_values(["t", "idx"]).groupby(by, sort=False).tail(1)


def contact_counts(rows: pd.DataFrame, limits: dict[str, tuple[float, float]]) -> pd.DataFrame:
    """Long form (seq, query, queue, t, counter, value) of what every leg counts, and the
    waiting legs (seq, query, queue, enqueued_at)."""
    c = rows[(rows["kind"] == "contact") & ~rows["deleted"]]
    keys = ["seq", "query", "id", "leg"]
    chosen = latest(c, [*keys, "event"])
    cols = ["t", "queue", "enqueued_at", "answered_at", "ended_at", "handle"]
    wide = chosen.pivot_table(index=keys, columns="event", values=cols, aggfunc="first")
    wide.columns = [f"{event}_{col}" for col, event in wide.columns]
    wide = wide.reset_index()
    for phase in PHASES:
        for col in cols:
            if f"{phase}_{col}" not in wide:
                wide[f"{phase}_{col}"] = np.nan
    has = {p: wide[f"{p}_t"].notna() for p in PHASES}
    top = np.select(
        [has["completed"], has["answered"], has["abandoned"]],
        [wide["completed_queue"], wide["answered_queue"], wide["abandoned_queue"]],
        wide["offered_queue"],
    )
    wide["queue"] = top
    wide["first"] = wide[[f"{p}_t" for p in PHASES]].min(axis=1)
    nxt = wide[[*keys, "first"]].assign(leg=wide["leg"] - 1).rename(columns={"first": "t_next"})
    wide = wide.merge(nxt, on=keys, how="left")
    deleted = rows[(rows["kind"] == "contact") & rows["deleted"]][["seq", "query", "id"]]
    deleted = deleted.drop_duplicates().assign(gone=True)
    wide = wide.merge(deleted, on=["seq", "query", "id"], how="left")
    wide["gone"] = wide["gone"].astype("boolean").fillna(False).astype(bool)
    threshold = wide["queue"].map({q: v[0] for q, v in limits.items()})
    short = wide["queue"].map({q: v[1] for q, v in limits.items()})
    t_out = wide["answered_t"].fillna(wide["completed_t"]).fillna(wide["abandoned_t"])
    t_offer = np.fmax(wide["offered_t"], t_out)
    answered = has["answered"] | (has["completed"] & wide["completed_answered_at"].notna())
    t_ans = wide["answered_t"].where(has["answered"], wide["completed_t"])
    own = wide["answered_answered_at"].fillna(wide["answered_t"])  # no answered_at: its time
    answered_at = own.where(has["answered"], wide["completed_answered_at"])
    enq = wide["answered_enqueued_at"].where(has["answered"], wide["completed_enqueued_at"])
    wait = (answered_at - enq).clip(lower=0)
    abandoned = has["abandoned"] & ~has["answered"] & ~has["completed"]
    gave_up = (wide["abandoned_ended_at"].fillna(wide["abandoned_t"])
               - wide["abandoned_enqueued_at"]).clip(lower=0)  # fmt: skip
    parts = [
        (wide["queue"].notna(), t_offer, "offered", 1.0),
        (answered, t_ans, "answered", 1.0),
        (answered, t_ans, "answer_wait", wait),
        (answered & (wait <= threshold), t_ans, "answered_in_threshold", 1.0),
        (abandoned, wide["abandoned_t"], "abandoned", 1.0),
        (abandoned, wide["abandoned_t"], "abandon_wait", gave_up),
        (abandoned & (gave_up < short), wide["abandoned_t"], "short_abandoned", 1.0),
        (abandoned & (gave_up <= threshold), wide["abandoned_t"], "abandoned_in_threshold", 1.0),
        (has["completed"], wide["completed_t"], "handled", 1.0),
        (has["completed"], wide["completed_t"], "handle_time", wide["completed_handle"]),
        (wide["t_next"].notna(), wide["t_next"], "transferred", 1.0),
    ]
    configured = wide["queue"].isin(list(limits))
    frames = []
    for mask, t, name, value in parts:
        amount = value if np.isscalar(value) else value.astype(float)
        frame = pd.DataFrame({"seq": wide["seq"], "query": wide["query"], "queue": wide["queue"],
                              "t": t, "counter": name, "value": amount})  # fmt: skip
        frames.append(frame[mask & configured])
    long = pd.concat(frames)
    waiting = wide[
        has["offered"] & ~has["answered"] & ~has["abandoned"] & ~has["completed"]
        & wide["t_next"].isna() & ~wide["gone"] & configured
    ][["seq", "query", "queue", "offered_enqueued_at"]]  # fmt: skip
    return long, waiting


def in_windows(frame: pd.DataFrame, queries: pd.DataFrame, tz: str) -> pd.DataFrame:
    """One row per window each contribution falls in (today, and the rolling ones)."""
    frame = frame.merge(queries[["seq", "query", "now"]], on=["seq", "query"])
    frame = frame.assign(start=day_start(frame["now"], tz).to_numpy())
    out = [frame[frame["t"] >= frame["start"]].assign(window="today")]
    for name, width in WINDOWS.items():
        inside = np.floor(frame["t"]) > np.floor(frame["now"]) - width
        out.append(frame[inside].assign(window=name))
    return pd.concat(out)


def agent_figures(rows: pd.DataFrame, queries: pd.DataFrame, tz: str):
    """(agents by state per queue, [busy, available] seconds per queue and window)."""
    a = rows[rows["kind"] == "agent"]
    a = latest(a, ["seq", "query", "id", "t", "deleted"])
    a = a.sort_values(["seq", "query", "id", "t", "deleted"])
    grp = a.groupby(["seq", "query", "id"], sort=False)
    a = a.assign(end=grp["t"].shift(-1))
    last = grp.tail(1)
    states = last[~last["deleted"]].explode("skills")
    counts = states.groupby(["seq", "query", "skills", "state"]).size()
    a["end"] = a["end"].fillna(a["now"])
    a = a[~a["deleted"] & a["state"].isin(["available", "on_contact", "wrap"])]
    a = a.explode("skills")
    starts = {"today": day_start(a["now"], tz).to_numpy()}
    starts |= {w: (a["now"] - width).to_numpy() for w, width in WINDOWS.items()}
    times = []
    for window, start in starts.items():
        span = (np.minimum(a["end"], a["now"]) - np.maximum(a["t"], start)).clip(lower=0)
        times.append(a.assign(window=window, span=span))
    times = pd.concat(times)
    times["slot"] = np.where(times["state"] == "available", "available_time", "busy_time")
    busy = times.groupby(["seq", "query", "skills", "window", "slot"])["span"].sum()
    return counts, busy


def reference(
    events: pd.DataFrame, queries: pd.DataFrame, limits: dict, tz: str, max_skew: float
) -> dict:
    """Every figure the property test compares, keyed by (seq, query)."""
    rows = accepted(events, queries, max_skew)
    long, waiting = contact_counts(rows, limits)
    sums = in_windows(long, queries, tz).groupby(["seq", "query", "queue", "window", "counter"])
    sums = sums["value"].sum()
    wait_n = waiting.groupby(["seq", "query", "queue"])["offered_enqueued_at"].agg(["size", "min"])
    counts, busy = agent_figures(rows, queries, tz)
    return {"sums": sums, "waiting": wait_n, "agents": counts, "busy": busy}
