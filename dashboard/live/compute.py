"""A view's items as the hub computes and serialises them: an item that cannot be computed or
carried as JSON is sent *broken* (no values, marked), so the rest of the view still updates.

An item a view cannot compute or serialise (a bug, or data nobody foresaw) is logged once per
change and counted (``PushStats.faults``, ``floorboard_items_broken``).
"""

from __future__ import annotations

import logging
from typing import Any

from dashboard.live.spec import Mirror
from dashboard.live.sse import json_text
from dashboard.live.view import View
from dashboard.ops import metrics

log = logging.getLogger(__name__)

BROKEN: dict[str, Any] = {"ts": None, "stale_after": None, "status": "ok", "broken": True}


def compute(view: View, key: str, mirror: Mirror, now: float) -> dict[str, Any]:
    try:
        return view.spec.compute(key, mirror, now)
    except Exception:
        view.stats.faults += 1
        metrics.broken()
        log.exception("%s: cannot compute %s; sent as broken", view.spec.key, key)
        return BROKEN


def serialised(view: View, items: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``items`` as sent, and their JSON: serialised once, for the frame and the check alike.
    Any that JSON cannot carry (a NaN or an infinity) are made broken."""
    try:
        return items, json_text(items)
    except (ValueError, TypeError):
        pass
    fixed = {}
    for key, item in items.items():
        try:
            json_text(item)
            fixed[key] = item
        except (ValueError, TypeError):
            view.stats.faults += 1
            metrics.broken()
            log.error("%s: %s cannot be serialised (a non-finite number?); sent as broken",
                      view.spec.key, key)  # fmt: skip
            fixed[key] = BROKEN
    return fixed, json_text(fixed)


def all_items(view: View, mirror: Mirror, now: float) -> dict[str, Any]:
    """Every item of the view, computed afresh (a new view, a bus snapshot)."""
    items = {k: compute(view, k, mirror, now) for k in view.spec.keys()}  # noqa: SIM118
    return serialised(view, items)[0]
