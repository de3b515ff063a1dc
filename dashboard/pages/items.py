"""View-models: what a screen shows, computed once per change from the mirrored bus state.

Pure functions, no I/O. An *item* is the unit the browser applies in one go::

    {"ts": 1763900000.1,        # when the data behind it was true; None: no data yet
     "stale_after": 30,         # seconds after ts before the browser greys it out
     "status": "warn",          # the worst status of the item, for its frame colour
     "fields": {"waiting": {"text": "7", "status": "warn"}},
     "timers": {"longest": {"since": 1763899950.0, "warn": 60, "alert": 150}},
     "list": [...]}             # for list items (outages, messages)

The browser maps field ``f`` of item ``tile:billing`` to the component ``tile-billing-f``.
Timers are sent as start times and tick in the browser, so a number never freezes between
updates and a background tab is right the moment it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from feeds.adapters.health import deadlines
from feeds.bus.fields import AGENT_STATES, channel_kind
from feeds.bus.schema import Envelope
from feeds.config import Queue, Threshold
from feeds.notices.audience import Reader, reaches
from feeds.notices.messages import message_order
from feeds.notices.outages import outage_order, outage_touches, public_outage
from feeds.routing import FLAGS, RULE_TEXT, Router, waiting_contacts
from feeds.times import MAX_SHOWN_SECONDS, NO_VALUE, fmt_duration

Item = dict[str, Any]

INVALID = "invalid"  # a field whose value could not be shown: "—", marked, never an exception
_STATUS_RANK = {"ok": 0, INVALID: 0, "warn": 1, "alert": 2}
AGENT_LABELS = {
    "available": "Available",
    "on_contact": "On contact",
    "wrap": "Wrap-up",
    "away": "Away",
    "offline": "Offline",
}
assert tuple(AGENT_LABELS) == AGENT_STATES  # a label for every state of the schema, in order


def item(
    ts: float | None = None, stale_after: float | None = None, status: str = "ok", **body: Any
) -> Item:
    """One item as the browser applies it: when its data was true (None: not one time, or no
    data yet), how long before it greys, its worst status, and its body (``fields`` and
    ``timers``, ``list``, or a page's own keys)."""
    return {"ts": ts, "stale_after": stale_after, "status": status, **body}


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_STATUS_RANK.__getitem__, default="ok")


def showable(value: float | None, limit: float) -> bool:
    """Whether a number can be shown as it is: finite and within ``limit`` (a feed's bug or an
    overflow, say an estimated wait of 10^300 s, is shown as "—" and marked, never raised)."""
    return value is not None and math.isfinite(value) and abs(value) <= limit


def fmt_percent(ratio: float | None, digits: int = 0) -> str:
    return f"{ratio * 100:.{digits}f}%" if showable(ratio, 1.0) else NO_VALUE


def _field(text: str, status: str = "ok", **extra: Any) -> dict[str, Any]:
    return {"text": text, "status": status, **extra}


def duration_field(seconds: float | None, threshold: Threshold) -> dict[str, Any]:
    """A duration with its threshold status; "—" marked ``invalid`` when it cannot be shown."""
    if seconds is not None and not showable(seconds, MAX_SHOWN_SECONDS):
        return _field(NO_VALUE, INVALID)
    return _field(fmt_duration(seconds), threshold.status(seconds))


def item_key_to_id(key: str) -> str:
    """``tile:billing`` → ``tile-billing``: the component id prefix of an item."""
    return key.replace(":", "-")


def source_entry(beat: Envelope) -> dict[str, Any]:
    """A producer as screens show it, from its latest heartbeat: when it was last heard, when
    it becomes late and down if no heartbeat follows (feeds.adapters.health), and whether it
    said it is cut off from its upstream. Screens move it on by their own clock."""
    late_at, down_at = deadlines(beat)
    return {"name": beat.id, "seen": beat.ts, "late_at": late_at, "down_at": down_at,
            "cut_off": beat.data.get("connected") is False}  # fmt: skip


def feeding_sources(stats: Envelope | None, heartbeats: Mapping[str, Envelope]) -> list[Any]:
    """The producers a queue's figures stand on: the one that published them and those whose
    events it aggregates (its heartbeat's ``follows``), each that has a heartbeat. A tile
    greys and names the first that falls silent."""
    beat = heartbeats.get(stats.source) if stats is not None else None
    if beat is None:
        return []
    chain = [beat, *(heartbeats[f] for f in beat.data.get("follows", ()) if f in heartbeats)]
    return [source_entry(b) for b in chain]


def queue_tile(
    queue: Queue,
    stats: Envelope | None,
    delay: Envelope | None,
    stale_after: float,
    sources: list[Any] | None = None,
) -> Item:
    """One queue's tile: waiting, longest wait, service level against target, ASA, abandons;
    ``sources``: the producers its figures stand on (:func:`feeding_sources`)."""
    t = queue.thresholds
    fields: dict[str, dict[str, Any]] = {}
    since: float | None = None
    if stats is None:
        for name in ("waiting", "sl", "asa", "abandon", "offered"):
            fields[name] = _field(NO_VALUE)
        status = "ok"
    else:
        d = stats.data
        fields["waiting"] = _field(str(d["waiting"]), t.waiting.status(d["waiting"]))
        fields["sl"] = _field(
            fmt_percent(d["service_level"]),
            t.service_level.status(d["service_level"]),
            target=fmt_percent(queue.sl_target),
        )
        fields["asa"] = duration_field(d["asa"], t.asa)
        fields["abandon"] = _field(
            fmt_percent(d["abandon_rate"], 1), t.abandon_rate.status(d["abandon_rate"])
        )
        fields["offered"] = _field(f"{d['offered']} offered · {d['answered']} answered")
        since = d["longest_wait_since"]
        waited = stats.ts - since if since is not None else None
        status = worst([*(f["status"] for f in fields.values()), t.longest_wait.status(waited)])
    fields["delay"] = delay_field(delay)
    longest = {"since": since, "warn": t.longest_wait.warn, "alert": t.longest_wait.alert}
    return item(
        stats.ts if stats else None, stale_after, status, fields=fields,
        timers={"longest": longest}, sources=sources or [],
    )  # fmt: skip


def delay_field(delay: Envelope | None) -> dict[str, Any]:
    """The delay reason on a tile, so agents can reset a caller's expectations."""
    if delay is None:
        return _field("")
    d = delay.data
    text = d["reason"]
    if d.get("expected_wait") is not None:
        text += f" · expect {fmt_duration(d['expected_wait'])}"
    return _field(text, "warn", until=d.get("expires_at"))


def agents_summary(agents: Iterable[Envelope], queue_ids: Iterable[str], waiting: int) -> Item:
    """Agents by state among those skilled for any of the given queues."""
    wanted = set(queue_ids)
    counts = dict.fromkeys(AGENT_STATES, 0)
    newest: float | None = None
    for env in agents:
        if wanted.intersection(env.data.get("skills", ())):
            counts[env.data["state"]] += 1
            newest = env.ts if newest is None else max(newest, env.ts)
    starved = counts["available"] == 0 and waiting > 0
    fields = {
        state: _field(str(n), "alert" if state == "available" and starved else "ok")
        for state, n in counts.items()
    }
    return item(newest, status=worst(f["status"] for f in fields.values()), fields=fields)


def outage_entry(o: Envelope) -> dict[str, Any]:
    """What screens show of an outage: its public side, never the internal note."""
    d = public_outage(o.data)
    return {
        "id": o.id,
        "severity": d["severity"],
        "service": d["service"],
        "status": d["status"],
        "wording": d["customer_wording"],
        "workaround": d["workaround"],
        "offer": d["offer"],
        "eta": d["eta"],
        "since": d["started_at"],
        "updated": o.ts,
        "queues": d["queues"],
    }


def outage_list(entries: list[dict[str, Any]]) -> Item:
    """A list item of outage entries; any critical outage makes it an alert."""
    severities = {e["severity"] for e in entries}
    status = "alert" if "critical" in severities else "warn" if entries else "ok"
    return item(status=status, list=entries)


def outage_band(outages: Iterable[Envelope], queue_ids: Iterable[str]) -> Item:
    """Active outages touching these queues (or the whole centre), most severe first."""
    wanted = set(queue_ids)
    active = [o for o in outages if outage_touches(o.data, wanted)]
    active.sort(key=lambda o: outage_order(o.data))
    return outage_list([outage_entry(o) for o in active])


def message_ticker(
    messages: Iterable[Envelope], queue_ids: Iterable[str], now: float, team: str | None = None
) -> Item:
    """Messages for the whole floor, these queues (or ``team``) that have not expired.

    Start and expiry travel with each entry so the browser shows and hides them on the second,
    without the server having to send anything at those moments.
    """
    floor = Reader(queues=frozenset(queue_ids), team=team)
    entries = []
    for m in sorted(messages, key=lambda m: message_order(m.data, m.ts)):
        d = m.data
        if d["expires_at"] <= now:
            continue
        if reaches(d["audience"], floor):
            entries.append(
                {
                    "id": m.id,
                    "priority": d["priority"],
                    "text": d["text"],
                    "starts_at": d["starts_at"],
                    "expires_at": d["expires_at"],
                    "posted": m.ts,
                }
            )
    return item(list=entries)


def contact_where(c: Envelope, queue_names: Mapping[str, str]) -> dict[str, Any]:
    """A contact by its channel (word and icon) and queue, as the floor's cells and the
    blended list name it."""
    d = c.data
    kind = channel_kind(d["channel"])
    return {
        "id": c.id,
        "channel": d["channel"],
        "channel_label": kind.label,
        "icon": kind.icon,
        "queue": d["queue"],
        "queue_name": queue_names.get(d["queue"], d["queue"]),
    }


def blended_entry(c: Envelope, queue_names: Mapping[str, str]) -> dict[str, Any]:
    """One waiting contact as the blended list shows it: channel, queue, since when (the wait
    ticks in the browser), priority, and its callback or VIP flags."""
    d = c.data
    tags = {t.strip().lower() for t in d["tags"]}
    flags = [f for f in FLAGS if f in tags or (f == "callback" and d["channel"] == "callback")]
    return {
        **contact_where(c, queue_names),
        "since": d["enqueued_at"],
        "priority": d.get("priority", 0),
        "flags": flags,
    }


def blended_list(
    contacts: Iterable[Envelope],
    queue_names: Mapping[str, str],
    shown: int,
    router: Router | None = None,
    now: float = 0.0,
) -> Item:
    """Every waiting contact in the blended queue's order (:mod:`feeds.routing`): the first
    ``shown`` of them, and how many there are (the floor's list, the wall's tile). With the
    ``router`` in force, each entry's ``turn`` too: its place in the order agents get them
    (the floor's "next for" lists an agent's by it)."""
    waiting = waiting_contacts(contacts)
    entries = [blended_entry(c, queue_names) for c in waiting[:shown]]
    if router is not None:
        turns = {c.id: i for i, c in enumerate(router.order(waiting, now))}
        for e in entries:
            e["turn"] = turns[e["id"]]
    return item(list=entries, total=len(waiting))


def next_item(
    skills: Iterable[str],
    contacts: Iterable[Envelope],
    router: Router,
    queue_names: Mapping[str, str],
    now: float,
    shown: int,
) -> Item:
    """An agent's next items (the agent tab's "Next for me"): the first ``shown`` waiting
    contacts of the queues they have the skill for, in the order the routing rule in force
    gives them (:class:`feeds.routing.Router`: the simulator's, the floor's "next for"), how
    many such are waiting, and the rule in words. "If you were free now": someone with the
    same skills who frees up first takes the head of it."""
    mine, total = router.next_for(skills, contacts, now, shown)
    entries = [blended_entry(c, queue_names) for c in mine]
    return item(list=entries, total=total, rule=RULE_TEXT[router.rule])
