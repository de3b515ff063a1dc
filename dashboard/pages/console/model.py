"""The supervisor console's live items: key messages with their acknowledgements, outages, delays,
standing rules, the producers feeding the board (the sources panel), and the floor's alerts
(:mod:`feeds.alerts`).

A supervisor posts a message and watches it land: "acknowledged 2 of 3" has to move within a
second of the agent's click, on every supervisor's console at once. So these lists are items of
a hub view (``view=console``) like the wall's, computed once per change from the hub's mirror
and pushed over the console's stream; the page applies them in the browser
(``console.js``, next to this file), with no server round trip per update.

Who a message targets, how its audience reads and whether it is active come from
:mod:`feeds.notices.audience` and :func:`feeds.notices.messages.message_status`, the rules the
backend uses when posting, acknowledging and counting, so the console can never disagree with
``GET /api/v1/messages/<id>/acks``. The agents are the mirror's agent states laid over the
roster of agent users (:class:`feeds.notices.audience.Roster`), as
:meth:`feeds.notices.messages.Messages.agents` does.

What is not on the bus (the audit log, resolved outages, outage timelines) is read by the
console's server callbacks instead (see :mod:`dashboard.pages.console`). Formatting for the
audit log lives here too: pure functions, tested without a server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import tzinfo
from typing import Any

from dashboard.pages.items import NO_VALUE, Item, item, source_entry
from feeds.adapters.health import producer_health
from feeds.alerts import rule_list as alert_rule_list
from feeds.alerts import watches
from feeds.bus.schema import Envelope
from feeds.config import Config
from feeds.customers.authority import fmt_money
from feeds.customers.rules import rule_order
from feeds.notices.audience import Agent, agents_known, audience_text, targets
from feeds.notices.messages import listing_order, message_status
from feeds.notices.outages import outage_order
from feeds.times import fmt_duration, fmt_time

PENDING_SHOWN = 30  # names listed per message; the rest are counted ("and 12 more")
MESSAGES, OUTAGES, DELAYS = "console:messages", "console:outages", "console:delays"
RULES, ALERTS, ALERT_RULES = "console:rules", "console:alerts", "console:alert-rules"
SOURCES = "console:sources"


def ack_summary(
    data: Mapping[str, Any], acked: Iterable[str], agents: Mapping[str, Agent]
) -> dict[str, Any]:
    """How many of the targeted agents acknowledged, and the names of those who have not.

    Counted like :meth:`Messages.list`: an acknowledgement by someone no longer targeted (the
    audience was edited) does not count.
    """
    targeted = targets(data["audience"], agents)
    done = set(acked).intersection(targeted)
    pending = [agents[a].name for a in targeted if a not in done]
    return {
        "targeted": len(targeted),
        "acknowledged": len(done),
        "pending": pending[:PENDING_SHOWN],
        "more": max(0, len(pending) - PENDING_SHOWN),
    }


def message_list(
    messages: Iterable[Envelope],
    acks: Iterable[Envelope],
    agents: Mapping[str, Agent],
    queue_names: Mapping[str, str],
    now: float,
) -> Item:
    """Every message the state holds, in the order of :meth:`Messages.list` as of ``now``.

    Start and expiry travel with each entry: the browser moves a message from scheduled to
    active to expired on the second (re-sorting by status), without the server sending anything.
    """
    names = {a.id: a.name for a in agents.values()}
    acked: dict[str, set[str]] = {}
    for ack in acks:
        acked.setdefault(ack.data["message_id"], set()).add(ack.data["agent_id"])
    entries = []
    for m in sorted(messages, key=lambda m: listing_order(m.data, m.ts, now)):
        d = m.data
        entries.append(
            {
                "id": m.id,
                "text": d["text"],
                "priority": d["priority"],
                "audience": audience_text(d["audience"], queue_names, names),
                "starts_at": d["starts_at"],
                "expires_at": d["expires_at"],
                "status": message_status(d, now),
                "author": d["author"],
                "updated": m.ts,
                "acks": ack_summary(d, acked.get(m.id, ()), agents) if d["ack_required"] else None,
            }
        )
    return item(list=entries)


def outage_list(outages: Iterable[Envelope], queue_names: Mapping[str, str]) -> Item:
    """Active outages with everything a supervisor set, most severe then newest first."""
    active = sorted(
        (o for o in outages if o.data["status"] != "resolved"), key=lambda o: outage_order(o.data)
    )
    entries = [
        {
            "id": o.id,
            **{k: v for k, v in o.data.items() if k != "queues"},
            "queues": [queue_names.get(q, q) for q in o.data["queues"]],
            "updated": o.ts,
        }
        for o in active
    ]
    return item(list=entries)


def delay_list(delays: Mapping[str, Envelope], config: Config) -> Item:
    """Each queue's delay reason, in the config's queue order (an expired one is shown as such
    by the browser at its expiry)."""
    entries = []
    for queue in config.queues:
        env = delays.get(queue.id)
        if env is not None:
            d = env.data
            entries.append(
                {
                    "queue": queue.id,
                    "name": queue.name,
                    "reason": d["reason"],
                    "expected_wait": d["expected_wait"],
                    "expires_at": d["expires_at"],
                    "author": d["author"],
                    "updated": env.ts,
                }
            )
    return item(list=entries)


def rule_limits(rule: Mapping[str, Any], currency: str) -> str:
    """What a rule allows, in a line: "up to £20 a time (more: a supervisor) · £30 per customer
    per day"."""
    m, per = (lambda a: fmt_money(a, currency)), rule["period"]
    parts = []
    if rule["limit"] is not None:
        more = "a supervisor" if rule["over_limit"] == "supervisor" else "never"
        parts.append(f"up to {m(rule['limit'])} a time (more: {more})")
    if rule["allowance"] is not None:
        parts.append(f"{m(rule['allowance'])} per customer per {per}")
    if rule["times"] is not None:
        parts.append(f"{rule['times']} per customer per {per}")
    return " · ".join(parts) or "no limit"


def rule_list(rules: Iterable[Envelope], queue_names: Mapping[str, str], currency: str) -> Item:
    """The standing authority rules, by title, with the queues named as people know them."""
    entries = [
        {"id": r.id, **r.data, "queues": [queue_names.get(q, q) for q in r.data["queues"]],
         "limits": rule_limits(r.data, currency), "updated": r.ts}
        for r in sorted(rules, key=lambda r: rule_order(r.data))
    ]  # fmt: skip
    return item(list=entries)


def source_list(heartbeats: Mapping[str, Envelope], now: float) -> Item:
    """Every producer with a heartbeat (simulator, adapters, API tokens, the aggregator),
    worst first as of ``now`` (feeds.adapters.health): when each was last heard, when it goes
    late and down (the browser moves it on by itself), its event rate, and whose events it
    aggregates."""
    entries = [
        {**source_entry(heartbeats[h.source]), "rate": h.rate, "interval": h.interval,
         "follows": heartbeats[h.source].data.get("follows", [])}
        for h in producer_health(heartbeats, now)
    ]  # fmt: skip
    return item(list=entries)


class ConsoleView:
    """The console's lists; every supervisor's console shares the one view."""

    key = "console"

    def __init__(self, config: Config, roster: Callable[[], Mapping[str, Agent]]) -> None:
        self.config = config
        self.roster = roster
        self.queue_names = {q.id: q.name for q in config.queues}

    def keys(self) -> list[str]:
        return [MESSAGES, OUTAGES, DELAYS, RULES, SOURCES, ALERTS, ALERT_RULES]

    def affected(self, env: Envelope) -> set[str]:
        # An agent's change can move them in or out of an audience (team, skills).
        if env.kind == "agent":
            return {MESSAGES, ALERTS}
        if env.kind in ("message", "ack"):
            return {MESSAGES}
        if env.kind == "alert_rule":
            return {ALERTS, ALERT_RULES}
        kinds = {"outage": OUTAGES, "delay": DELAYS, "rule": RULES, "heartbeat": SOURCES,
                 "queue": ALERTS}  # fmt: skip
        return {kinds[env.kind]} if env.kind in kinds else set()

    def compute(self, key: str, mirror: Mapping[str, Mapping[str, Envelope]], now: float) -> Item:
        if key == MESSAGES:
            agents = agents_known(mirror.get("agent", {}).values(), self.roster())
            return message_list(
                mirror.get("message", {}).values(),
                mirror.get("ack", {}).values(),
                agents,
                self.queue_names,
                now,
            )
        if key == OUTAGES:
            return outage_list(mirror.get("outage", {}).values(), self.queue_names)
        if key == DELAYS:
            return delay_list(mirror.get("delay", {}), self.config)
        if key == RULES:
            currency = self.config.customers.currency
            return rule_list(mirror.get("rule", {}).values(), self.queue_names, currency)
        if key == SOURCES:
            return source_list(mirror.get("heartbeat", {}), now)
        stored = mirror.get("alert_rule", {}).values()
        if key == ALERTS:
            agents = mirror.get("agent", {}).values()
            return item(**watches(self.config, mirror.get("queue", {}), agents, stored))
        if key == ALERT_RULES:
            return item(**alert_rule_list(stored, self.config))
        raise KeyError(key)


# -- the audit log, as the console shows it --------------------------------------------------------

AUDIT_TIME_FIELDS = frozenset(
    {"starts_at", "expires_at", "eta", "started_at", "at", "resolved_at", "due"}
)  # fmt: skip
AUDIT_HIDDEN = frozenset({"author", "started_at"})  # set by the system, never by the change
CLIP = 80  # characters of a long value shown in a diff


def fmt_value(field: str, value: Any, tz: tzinfo, now: float) -> str:
    """One audited value as short text: times as clock times, audiences and lists in words."""
    if value is None or value == "" or value == []:
        return NO_VALUE
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in AUDIT_TIME_FIELDS and isinstance(value, int | float):
        return fmt_time(value, tz, now)
    if field in ("expected_wait", "seconds") and isinstance(value, int | float):
        return fmt_duration(value)
    if isinstance(value, dict) and "kind" in value:  # an audience
        return value["kind"] if value["kind"] == "all" else f"{value['kind']} {value['value']}"
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    text = str(value).replace("\n", " ⏎ ")
    return text if len(text) <= CLIP else text[: CLIP - 1] + "…"


def audit_changes(
    before: Mapping[str, Any] | None, after: Mapping[str, Any] | None, tz: tzinfo, now: float
) -> list[tuple[str, str | None, str | None]]:
    """(field, before, after) as text for each field the change touched: the compact diff.

    A new item lists what it was created with (``before`` None), a removed one what it was
    (``after`` None). Fields that read the same either way (None and "") are left out.
    """
    old, new = before or {}, after or {}
    rows = []
    for f in [*new, *(f for f in old if f not in new)]:
        if f in AUDIT_HIDDEN:
            continue
        was, now_is = fmt_value(f, old.get(f), tz, now), fmt_value(f, new.get(f), tz, now)
        if before is None and now_is != NO_VALUE:
            rows.append((f, None, now_is))
        elif after is None and was != NO_VALUE:
            rows.append((f, was, None))
        elif before is not None and after is not None and was != now_is:
            rows.append((f, was, now_is))
    return rows


AUDIT_VERBS = {
    ("post", "message"): "posted message", ("edit", "message"): "edited message",
    ("expire", "message"): "expired message", ("ack", "ack"): "acknowledged",
    ("declare", "outage"): "declared outage", ("update", "outage"): "updated outage",
    ("resolve", "outage"): "resolved outage", ("set", "delay"): "set the delay reason of",
    ("clear", "delay"): "cleared the delay reason of",
    ("create", "rule"): "added rule", ("update", "rule"): "changed rule",
    ("retire", "rule"): "retired rule", ("give", "commitment"): "recorded a grant",
    ("promise", "commitment"): "recorded a promise", ("create", "alert_rule"): "added alert",
    ("update", "alert_rule"): "changed alert", ("remove", "alert_rule"): "removed alert",
}  # fmt: skip


def audit_entry(entry: Mapping[str, Any], tz: tzinfo, now: float) -> dict[str, Any]:
    """One audit entry as the console shows it: when, who, did what to what, and the diff.

    An acknowledgement says it all in one line ("acknowledged m-1 for a07").
    """
    verb = AUDIT_VERBS.get((entry["action"], entry["kind"]), f"{entry['action']} {entry['kind']}")
    subject, rows = entry["id"], audit_changes(entry["before"], entry["after"], tz, now)
    if entry["kind"] == "ack" and entry["after"]:
        subject = f"{entry['after']['message_id']} for {entry['after']['agent_id']}"
        rows = []
    return {
        "time": fmt_time(entry["at"], tz, now),
        "actor": entry["actor"],
        "verb": verb,
        "subject": subject,
        "rows": rows,
    }
