"""``floorboard message | outage | delay``: the supervisor console's actions from a shell.

The commands talk to Redis directly (``REDIS_URL``, the config's prefix) through the same
domain services as the HTTP API, so a change made here is validated, published to every screen
and audited exactly as one made in the console; the actor is ``cli:$USER``. Times are ISO 8601
(local to the centre when they carry no offset), ``now``, or relative to now: ``+10m``, ``+2h``.
Bad input exits non-zero with the field and the reason, and changes nothing.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from feeds.config import Config
    from feeds.notices.service import NoticeService

# Like dashboard/cli.py, nothing here imports redis-py at module level (see the note there).

S = TypeVar("S", bound="NoticeService")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?[smhd])+")


class BadOption(ValueError):
    """An option value that cannot be parsed; names the option."""


def parse_duration(option: str, value: str) -> float:
    """``90`` (seconds), ``90s``, ``8m``, ``1h30m``, ``2d`` → seconds."""
    try:
        return float(value)
    except ValueError:
        pass
    if not _DURATION.fullmatch(value):
        raise BadOption(f"{option}: expected seconds or a duration like 90s, 8m, 1h30m")
    return sum(float(n) * _UNITS[u] for n, u in re.findall(r"(\d+(?:\.\d+)?)([smhd])", value))


def parse_when(option: str, value: str, tz: tzinfo, now: float) -> float:
    """``now``, ``+10m`` (from now) or an ISO 8601 time (the centre's zone when naive)."""
    if value == "now":
        return now
    if value.startswith("+"):
        return now + parse_duration(option, value[1:])
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise BadOption(f"{option}: expected ISO 8601 (2025-11-23T14:00), now or +10m") from None
    return (when if when.tzinfo else when.replace(tzinfo=tz)).timestamp()


def parse_audience(value: str) -> dict[str, str]:
    """``all``, ``team:NAME``, ``queue:ID`` or ``agent:ID``."""
    if value == "all":
        return {"kind": "all"}
    kind, sep, name = value.partition(":")
    if not sep or kind not in ("team", "queue", "agent") or not name:
        raise BadOption("--audience: expected all, team:NAME, queue:ID or agent:ID")
    return {"kind": kind, "value": name}


def actor() -> str:
    return f"cli:{os.environ.get('USER') or 'unknown'}"


def _run(args: argparse.Namespace, service: type[S], action: Callable[[S, Config], None]) -> None:
    """Connect the service to ``REDIS_URL``, run ``action``; bad input exits with the reason."""
    from dashboard.cli.main import _config, _require_redis_url
    from feeds.bus.bus import Bus
    from feeds.bus.schema import SchemaError

    config = _config(args)
    bus = Bus.from_url(_require_redis_url(), config.redis.prefix)
    try:
        action(service(bus, config), config)
    except (SchemaError, BadOption) as exc:
        sys.exit(f"floorboard: {exc}")


def _given(**fields: Any) -> dict[str, Any]:
    """The options the user set (argparse leaves the others None)."""
    return {k: v for k, v in fields.items() if v is not None}


def _changes(fields: dict[str, Any]) -> dict[str, Any]:
    if not fields:
        raise BadOption("options: give at least one field to change")
    return fields


def _fmt_time(ts: float | None, tz: tzinfo) -> str:
    return "—" if ts is None else datetime.fromtimestamp(ts, tz).strftime("%Y-%m-%d %H:%M")


# -- messages -------------------------------------------------------------------------------------


def _message_fields(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    now = time.time()

    def when(option: str, value: str | None) -> float | None:
        return None if value is None else parse_when(option, value, config.tz, now)

    return _given(
        text=args.text,
        priority=args.priority,
        audience=parse_audience(args.audience) if args.audience else None,
        starts_at=when("--starts", args.starts),
        expires_at=when("--expires", args.expires),
        ack_required=args.ack,
    )


def _print_message(verb: str, m: Mapping[str, Any], tz: tzinfo) -> None:
    print(
        f"{verb} message {m['id']}: {m['status']}, {m['priority']}, "
        f"{_audience_text(m['audience'])}, until {_fmt_time(m['expires_at'], tz)}"
    )


def _audience_text(audience: Mapping[str, Any]) -> str:
    return "all" if audience["kind"] == "all" else f"{audience['kind']}:{audience['value']}"


def cmd_message(args: argparse.Namespace) -> None:
    from feeds.notices.messages import Messages

    def act(messages: Messages, config: Config) -> None:
        tz = config.tz
        if args.action == "post":
            _print_message("posted", messages.post(_message_fields(args, config), actor()), tz)
        elif args.action == "edit":
            changes = _changes(_message_fields(args, config))
            _print_message("edited", messages.edit(args.id, changes, actor()), tz)
        elif args.action == "expire":
            _print_message("expired", messages.expire(args.id, actor()), tz)
        elif args.action == "acks":
            status = messages.ack_status(args.id)
            done = [a for a in status["targeted"] if a in status["acknowledged"]]
            print(f"{len(done)} of {len(status['targeted'])} targeted agents acknowledged")
            for agent_id, at in sorted(status["acknowledged"].items(), key=lambda kv: kv[1]):
                name = status["names"].get(agent_id, "")
                print(f"  acknowledged  {agent_id}  {name}  {_fmt_time(at, tz)}")
            for agent_id in status["pending"]:
                print(f"  pending       {agent_id}  {status['names'].get(agent_id, '')}")
        else:
            for m in messages.list():
                acks = m["acks"]
                count = f"acks {acks['acknowledged']}/{acks['targeted']}" if acks else "no ack"
                first_line = m["text"].splitlines()[0] if m["text"] else ""
                print(
                    f"{m['id']}  {m['status']:<9} {m['priority']:<9} "
                    f"{_audience_text(m['audience'])}  {_fmt_time(m['starts_at'], tz)} → "
                    f"{_fmt_time(m['expires_at'], tz)}  {count}  {first_line}"
                )

    _run(args, Messages, act)


# -- outages --------------------------------------------------------------------------------------


def _outage_fields(args: argparse.Namespace, config: Config) -> dict[str, Any]:
    eta = parse_when("--eta", args.eta, config.tz, time.time()) if args.eta else None
    queues = None if args.queues is None else [q for q in args.queues.split(",") if q]
    return _given(
        service=args.service,
        severity=args.severity,
        status=args.status,
        customer_wording=args.wording,
        internal_note=args.note,
        workaround=args.workaround,
        eta=eta,
        queues=queues,
        offer=args.offer,
    )


def _outage_line(o: Mapping[str, Any]) -> str:
    queues = ",".join(o["queues"]) or "all queues"
    return f"{o['id']}  {o['severity']:<8} {o['status']:<13} {o['service']}  ({queues})"


def cmd_outage(args: argparse.Namespace) -> None:
    from feeds.notices.outages import Outages

    def act(outages: Outages, config: Config) -> None:
        tz = config.tz
        if args.action == "declare":
            print("declared", _outage_line(outages.declare(_outage_fields(args, config), actor())))
        elif args.action == "update":
            o = outages.update(args.id, _changes(_outage_fields(args, config)), actor())
            print("updated", _outage_line(o))
        elif args.action == "resolve":
            print("resolved", _outage_line(outages.resolve(args.id, actor())))
        else:
            listed = outages.list()
            print(f"{len(listed['active'])} active")
            for o in listed["active"]:
                print(f"  {_outage_line(o)}  since {_fmt_time(o['started_at'], tz)}")
            print(f"{len(listed['resolved'])} recently resolved")
            for o in listed["resolved"]:
                print(f"  {_outage_line(o)}  resolved {_fmt_time(o['resolved_at'], tz)}")

    _run(args, Outages, act)


# -- delays ---------------------------------------------------------------------------------------


def cmd_delay(args: argparse.Namespace) -> None:
    from feeds.notices.delays import Delays

    def act(delays: Delays, config: Config) -> None:
        tz = config.tz
        if args.action == "set":
            fields = _given(
                reason=args.reason,
                expected_wait=parse_duration("--wait", args.wait) if args.wait else None,
                expires_at=(
                    parse_when("--expires", args.expires, tz, time.time()) if args.expires else None
                ),
            )
            d = delays.set(args.queue, fields, actor())
            print(f"set delay on {d['queue']}: {d['reason']}")
        elif args.action == "clear":
            delays.clear(args.queue, actor())
            print(f"cleared delay on {args.queue}")
        else:
            for d in delays.list():
                wait = "" if d["expected_wait"] is None else f"  expect {d['expected_wait']:.0f}s"
                state = "active" if d["active"] else "expired"
                until = _fmt_time(d["expires_at"], tz)
                print(f"{d['queue']}  {state}  {d['reason']}{wait}  until {until}")

    _run(args, Delays, act)


# -- the parser -----------------------------------------------------------------------------------


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``message``, ``outage`` and ``delay`` to the ``floorboard`` parser."""
    when = "ISO 8601, now, or +10m / +2h from now"

    p = sub.add_parser("message", help="post, edit, expire and list key messages")
    p.set_defaults(func=cmd_message)
    actions = p.add_subparsers(dest="action", required=True)

    def message_options(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--priority", choices=("info", "important", "urgent"))
        sp.add_argument("--audience", help="all, team:NAME, queue:ID or agent:ID")
        sp.add_argument("--starts", help=when)
        sp.add_argument("--expires", help=f"{when} (default: an hour after the start)")

    s = actions.add_parser("post", help="post a message")
    s.add_argument("text")
    message_options(s)
    s.add_argument("--ack", action="store_true", default=None, help="ask for acknowledgement")
    s = actions.add_parser("edit", help="change a message's fields")
    s.add_argument("id")
    s.add_argument("--text")
    message_options(s)
    s.add_argument("--ack", action=argparse.BooleanOptionalAction, help="ask for acknowledgement")
    s = actions.add_parser("expire", help="end a message now")
    s.add_argument("id")
    s = actions.add_parser("acks", help="who acknowledged a message, and who has not")
    s.add_argument("id")
    actions.add_parser("list", help="active, scheduled and expired messages")

    p = sub.add_parser("outage", help="declare, update, resolve and list outages")
    p.set_defaults(func=cmd_outage)
    actions = p.add_subparsers(dest="action", required=True)

    def outage_options(sp: argparse.ArgumentParser, declaring: bool) -> None:
        sp.add_argument("--service", required=declaring)
        sp.add_argument("--severity", required=declaring, choices=("critical", "major", "minor"))
        sp.add_argument(
            "--status", choices=("investigating", "identified", "monitoring", "resolved")
        )
        sp.add_argument("--wording", help="the approved wording for customers")
        sp.add_argument("--note", help="internal note for agents")
        sp.add_argument("--workaround")
        sp.add_argument("--eta", help=when)
        sp.add_argument("--queues", help="affected queues, comma-separated (none: all)")
        sp.add_argument("--offer", help="what agents may offer, e.g. a credit up to £10")

    s = actions.add_parser("declare", help="declare an outage")
    outage_options(s, declaring=True)
    s = actions.add_parser("update", help="change an outage (appends to its timeline)")
    s.add_argument("id")
    outage_options(s, declaring=False)
    s = actions.add_parser("resolve", help="resolve an outage (off the screens, into history)")
    s.add_argument("id")
    actions.add_parser("list", help="active and recently resolved outages")

    p = sub.add_parser("delay", help="set, clear and list delay reasons per queue")
    p.set_defaults(func=cmd_delay)
    actions = p.add_subparsers(dest="action", required=True)
    s = actions.add_parser("set", help="set a queue's delay reason")
    s.add_argument("queue")
    s.add_argument("reason")
    s.add_argument("--wait", help="expected wait: seconds, or 90s, 8m, 1h30m")
    s.add_argument("--expires", help=when)
    s = actions.add_parser("clear", help="clear a queue's delay reason")
    s.add_argument("queue")
    actions.add_parser("list", help="every queue's delay reason")
