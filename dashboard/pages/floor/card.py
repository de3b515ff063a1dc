"""Queue cards on the floor: each queue, and each channel, in the detail a supervisor acts on.

The wall's tile says how a queue is doing; the supervisor also needs why and what to do: who
is logged in with the skill and who of them is free, the service level today and over the
last half hour (a morning's good figure hides an hour going wrong), the staffing gap, and the
delay reason and outages already told to callers. One card per queue, then one per channel
rolling its queues up (:func:`feeds.metrics.formulas.rollup`: rates re-derived, never
averaged). Pure functions of the mirrored state; the waits tick in the browser.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from dashboard.pages.items import fmt_percent, item, outage_entry, queue_tile, worst
from feeds.bus.fields import channel_kind
from feeds.bus.schema import Envelope
from feeds.config import Config, Queue
from feeds.metrics.formulas import rollup
from feeds.notices.outages import outage_order, outage_touches

Mix = Counter[tuple[frozenset[str], str]]  # agents by (skills, state)


def skill_mix(agents: Iterable[Envelope]) -> Mix:
    """The logged-in agents counted by their skills and state: a floor of 500 agents has a few
    dozen such mixes, so every card counts over those, not over the agents (this runs on each
    agent's change)."""
    return Counter(
        (frozenset(a.data["skills"]), a.data["state"])
        for a in agents
        if a.data["state"] != "offline"
    )


def skilled(mix: Mix, queue_ids: Iterable[str]) -> dict[str, int]:
    """Agents with a skill of these queues: logged in (any state but offline) and available."""
    wanted = set(queue_ids)
    logged_in = available = 0
    for (skills, state), n in mix.items():
        if not wanted.isdisjoint(skills):
            logged_in += n
            available += n if state == "available" else 0
    return {"logged_in": logged_in, "available": available}


def gap_field(stats: Mapping[str, Any] | None) -> dict[str, Any]:
    """Agents short (+) or spare (−) by the queue's staffing model; "—" when not computed."""
    plan = (stats or {}).get("staffing") or {}
    gap = plan.get("gap")
    if gap is None:
        return {"text": "—", "status": "ok"}
    return {"text": f"{gap:+d}", "status": "alert" if gap > 1 else "warn" if gap > 0 else "ok"}


def queue_card(
    queue: Queue,
    stats: Envelope | None,
    delay: Envelope | None,
    agents: Mix,
    outages: Iterable[Envelope],
    stale_after: float,
) -> dict[str, Any]:
    """One queue: the wall tile's figures (:func:`queue_tile`), plus what the supervisor acts
    on: skilled agents, SL over 30 minutes, the staffing gap and the outages that touch it."""
    tile = queue_tile(queue, stats, delay, stale_after)
    fields = tile["fields"]
    d = stats.data if stats else None
    sl_30m = d.get("service_level_30m") if d else None
    fields["sl_30m"] = {
        "text": fmt_percent(sl_30m),
        "status": queue.thresholds.service_level.status(sl_30m),
    }
    fields["gap"] = gap_field(d)
    touching = [o for o in outages if outage_touches(o.data, {queue.id})]
    touching.sort(key=lambda o: outage_order(o.data))
    return {
        **tile,
        "status": worst([tile["status"], fields["sl_30m"]["status"], fields["gap"]["status"]]),
        "id": queue.id,
        "name": queue.name,
        "channel": queue.channel,
        "icon": channel_kind(queue.channel).icon,
        "agents": skilled(agents, [queue.id]),
        "delay": delay.data["reason"] if delay else "",
        "outages": [outage_entry(o) for o in touching],
    }


def channel_card(
    channel: str, queues: list[Queue], stats: Mapping[str, Envelope], agents: Mix
) -> dict[str, Any]:
    """A channel's queues as one: waiting, the oldest wait, SL re-derived, the gap summed."""
    data = [stats[q.id].data for q in queues if q.id in stats]
    total = rollup(data)
    gaps = [g for d in data if (g := (d.get("staffing") or {}).get("gap")) is not None]
    return {
        "id": channel,
        "name": channel_kind(channel).label,
        "icon": channel_kind(channel).icon,
        "queues": [q.id for q in queues],
        "waiting": total["waiting"],
        "longest_since": total["longest_wait_since"],
        "sl": fmt_percent(total["service_level"]) if data else "—",
        "gap": f"{sum(gaps):+d}" if gaps else "—",
        "agents": skilled(agents, [q.id for q in queues]),
        "ts": max((stats[q.id].ts for q in queues if q.id in stats), default=None),
    }


def queue_cards(config: Config, mirror: Mapping[str, Mapping[str, Envelope]]) -> dict[str, Any]:
    """Every configured queue's card in the config's order, then a card per channel."""
    stats, delays = mirror.get("queue", {}), mirror.get("delay", {})
    agents = skill_mix(mirror.get("agent", {}).values())
    outages = list(mirror.get("outage", {}).values())
    stale = config.centre.stale_after
    cards = [
        queue_card(q, stats.get(q.id), delays.get(q.id), agents, outages, stale)
        for q in config.queues
    ]
    by_channel: dict[str, list[Queue]] = {}
    for q in config.queues:
        by_channel.setdefault(q.channel, []).append(q)
    channels = [channel_card(c, qs, stats, agents) for c, qs in by_channel.items()]
    return item(status=worst(c["status"] for c in cards), list=cards, channels=channels)
