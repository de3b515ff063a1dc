"""The benchmark's tables: columns, rows, and the median of several runs (``--repeat``)."""

from __future__ import annotations

import statistics
from typing import Any

Columns = list[tuple[str, str, int, str]]  # title, result key, width, format
LOAD_COLUMNS: Columns = [
    ("server", "server", 11, ""), ("N", "clients", 5, ""), ("p50 ms", "p50", 7, ".1f"),
    ("p95 ms", "p95", 7, ".1f"), ("p99 ms", "p99", 7, ".1f"), ("max ms", "max", 7, ".1f"),
    ("deliv %", "delivered", 7, ".1f"), ("unseen", "missed", 7, ""),
    ("hub merged", "srv_merged", 10, ""), ("behind", "behind", 6, ""),
    ("deliv/s", "deliv_s", 8, ".0f"), ("cores", "cores", 5, ".2f"),
    ("redis", "redis_cores", 5, ".2f"), ("load", "load_cores", 5, ".2f"),
    ("cpu s/1k", "cpu_per_1k", 8, ".3f"), ("KB/conn", "kb_per_stream", 7, ".1f"),
]  # fmt: skip
MEDIAN_KEYS = ("server", "clients", "p50", "p95", "p99", "max", "delivered", "deliv_s", "cores",
               "cpu_per_1k")  # fmt: skip
MEDIAN_COLUMNS: Columns = [c for c in LOAD_COLUMNS if c[1] in MEDIAN_KEYS]
RATIO_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("p50", "p50", 7, ".3f"), ("p95", "p95", 7, ".3f"),
    ("p99", "p99", 7, ".3f"), ("cores", "cores", 7, ".2f"), ("cpu/1k", "cpu_per_1k", 7, ".4f"),
]  # fmt: skip
DOM_COLUMNS: Columns = [
    ("page", "page", 9, ""), ("published", "published", 9, ""), ("in DOM", "seen", 6, ""),
    ("p50 ms", "p50", 8, ".1f"), ("p95 ms", "p95", 8, ".1f"),
    ("shown-only p50", "own_p50", 14, ".1f"), ("shown-only p95", "own_p95", 14, ".1f"),
]  # fmt: skip
STORM_COLUMNS: Columns = [
    ("N", "clients", 5, ""), ("resynced", "resynced", 8, ""), ("snapshots", "snapshots", 9, ""),
    ("down s", "down_s", 6, ".2f"), ("boot s", "boot_s", 6, ".2f"),
    ("p50 s", "p50_s", 6, ".2f"), ("all s", "from_start_s", 6, ".2f"),
    ("from kill s", "from_kill_s", 11, ".2f"), ("refused", "refused", 7, ""),
]  # fmt: skip


def header(title: str, columns: Columns) -> None:
    print(f"\n{title}\n" + " ".join(f"{t:>{w}}" for t, _, w, _ in columns), flush=True)


def row(result: dict[str, Any], columns: Columns) -> None:
    print(" ".join(f"{result[k]:>{w}{f}}" for _, k, w, f in columns), flush=True)


def medians(runs: list[tuple[str, dict[int, dict]]]) -> dict[int, dict]:
    """Each row's median over the runs (per figure), printed with every run's load average."""
    header(f"median of {len(runs)} runs (each figure on its own)", MEDIAN_COLUMNS)
    out: dict[int, dict[str, Any]] = {}
    for n, by_server in runs[0][1].items():
        for label, first in by_server.items():
            rows = [results[n][label] for _, results in runs]
            med = {k: statistics.median(r[k] for r in rows) for _, k, _, f in MEDIAN_COLUMNS if f}
            out.setdefault(n, {})[label] = {**first, **med}
            row(out[n][label], MEDIAN_COLUMNS)
    for k, (load, _) in enumerate(runs, 1):
        print(f"{'':11} run {k}: load average at its start {load}")
    return out
