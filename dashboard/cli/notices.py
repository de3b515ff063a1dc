"""``floorboard message | outage | delay``: the supervisor console's actions from a shell.

The commands talk to Redis directly (``REDIS_URL``, the config's prefix) through the same
domain services as the HTTP API, so a change made here is validated, published to every screen
and audited exactly as one made in the console; the actor is ``cli: $USER``. Times are read by
:func:`feeds.times.parse_when` (ISO 8601 in the centre's zone unless it has an offset, ``14:30``
today, ``now``, ``+10m``) and shown on the centre's clock. Bad input exits non-zero with the
field and the reason, and changes nothing: every option is read before the service is called.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from dashboard.cli.context import F, Runtime, actor, options, pass_runtime
from feeds.bus.fields import OUTAGE_STATUSES, PRIORITIES, SEVERITIES
from feeds.errors import SchemaError
from feeds.times import DURATION_HINT, NO_VALUE, TIME_HINT, parse_duration, parse_when, time_text

if TYPE_CHECKING:
    from datetime import tzinfo

    from feeds.config import Config
    from feeds.notices.delays import Delays
    from feeds.notices.messages import Messages
    from feeds.notices.outages import Outages

# Like every command module, nothing here imports redis-py at module level (see context.py).


def _given(**fields: Any) -> dict[str, Any]:
    """The options the user set (click leaves the others None)."""
    return {k: v for k, v in fields.items() if v is not None}


def _changes(fields: dict[str, Any]) -> dict[str, Any]:
    if not fields:
        raise SchemaError("options", "give at least one field to change")
    return fields


def _when(ts: float | None, tz: tzinfo) -> str:
    return time_text(ts, tz, blank=NO_VALUE)


# -- messages -------------------------------------------------------------------------------------


@click.group()
def message() -> None:
    """Post, edit, expire and list key messages."""


_message_options = options(
    click.option("--priority", type=click.Choice(PRIORITIES)),
    click.option("--audience", help="all, team:NAME, queue:ID or agent:ID"),
    click.option("--starts", help=TIME_HINT),
    click.option("--expires", help=f"{TIME_HINT} (default: an hour after the start)"),
)


def _message_fields(config: Config, o: Mapping[str, Any]) -> dict[str, Any]:
    from feeds.notices.audience import parse_audience

    now, tz, audience = time.time(), config.tz, o["audience"]
    return _given(
        text=o["text"],
        priority=o["priority"],
        audience=None if audience is None else parse_audience("--audience", audience),
        starts_at=parse_when("--starts", o["starts"], tz, now),
        expires_at=parse_when("--expires", o["expires"], tz, now),
        ack_required=o["ack"],
    )


def _print_message(verb: str, m: Mapping[str, Any], tz: tzinfo) -> None:
    from feeds.notices.audience import typed_audience

    print(
        f"{verb} message {m['id']}: {m['status']}, {m['priority']}, "
        f"{typed_audience(m['audience'])}, until {_when(m['expires_at'], tz)}"
    )


def _messages(runtime: Runtime) -> Messages:
    from feeds.notices.messages import Messages

    return Messages(runtime.bus(), runtime.load_config())


@message.command("post")
@click.argument("text")
@_message_options
@click.option("--ack", is_flag=True, default=None, help="ask for acknowledgement")
@pass_runtime
def message_post(runtime: Runtime, **opts: Any) -> None:
    """Post a message."""
    config = runtime.load_config()
    fields = _message_fields(config, opts)
    _print_message("posted", _messages(runtime).post(fields, actor()), config.tz)


@message.command("edit")
@click.argument("id")
@click.option("--text")
@_message_options
@click.option("--ack/--no-ack", default=None, help="ask for acknowledgement, or stop asking")
@pass_runtime
def message_edit(runtime: Runtime, id: str, **opts: Any) -> None:
    """Change a message's fields."""
    config = runtime.load_config()
    changes = _changes(_message_fields(config, opts))
    _print_message("edited", _messages(runtime).edit(id, changes, actor()), config.tz)


@message.command("expire")
@click.argument("id")
@pass_runtime
def message_expire(runtime: Runtime, id: str) -> None:
    """End a message now."""
    tz = runtime.load_config().tz
    _print_message("expired", _messages(runtime).expire(id, actor()), tz)


@message.command("acks")
@click.argument("id")
@pass_runtime
def message_acks(runtime: Runtime, id: str) -> None:
    """Who acknowledged a message, and who has not."""
    tz = runtime.load_config().tz
    status = _messages(runtime).ack_status(id)
    done = [a for a in status["targeted"] if a in status["acknowledged"]]
    print(f"{len(done)} of {len(status['targeted'])} targeted agents acknowledged")
    for agent_id, at in sorted(status["acknowledged"].items(), key=lambda kv: kv[1]):
        name = status["names"].get(agent_id, "")
        print(f"  acknowledged  {agent_id}  {name}  {_when(at, tz)}")
    for agent_id in status["pending"]:
        print(f"  pending       {agent_id}  {status['names'].get(agent_id, '')}")


@message.command("list")
@pass_runtime
def message_list(runtime: Runtime) -> None:
    """Active, scheduled and expired messages."""
    from feeds.notices.audience import typed_audience

    tz = runtime.load_config().tz
    for m in _messages(runtime).list():
        acks = m["acks"]
        count = f"acks {acks['acknowledged']}/{acks['targeted']}" if acks else "no ack"
        first_line = m["text"].splitlines()[0] if m["text"] else ""
        print(
            f"{m['id']}  {m['status']:<9} {m['priority']:<9} {typed_audience(m['audience'])}  "
            f"{_when(m['starts_at'], tz)} → {_when(m['expires_at'], tz)}  {count}  {first_line}"
        )


# -- outages --------------------------------------------------------------------------------------


@click.group()
def outage() -> None:
    """Declare, update, resolve and list outages."""


def _outage_options(declaring: bool) -> Callable[[F], F]:
    return options(
        click.option("--service", required=declaring),
        click.option("--severity", required=declaring, type=click.Choice(SEVERITIES)),
        click.option("--status", type=click.Choice(OUTAGE_STATUSES)),
        click.option("--wording", help="the approved wording for customers"),
        click.option("--note", help="internal note for agents"),
        click.option("--workaround"),
        click.option("--eta", help=TIME_HINT),
        click.option("--queues", help="affected queues, comma-separated (none: all)"),
        click.option("--offer", help="what agents may offer, e.g. a credit up to £10"),
        click.option("--offer-amount", help="the credit the offer allows, e.g. 10"),
        click.option("--regions", help="regions or postcode areas it hits, comma-separated"),
        click.option("--services", help="services (customers' products) it hits"),
        click.option("--segments", help="customer segments it hits"),
    )


def _outage_fields(config: Config, o: Mapping[str, Any]) -> dict[str, Any]:
    from feeds.customers.authority import parse_amount
    from feeds.customers.matching import names

    queues = None if o["queues"] is None else [q for q in o["queues"].split(",") if q]
    who = {k: names(o[k]) for k in ("regions", "services", "segments") if o[k] is not None}
    amount = o["offer_amount"]
    return _given(
        **who,
        offer_amount=None if amount is None else parse_amount("--offer-amount", amount),
        service=o["service"],
        severity=o["severity"],
        status=o["status"],
        customer_wording=o["wording"],
        internal_note=o["note"],
        workaround=o["workaround"],
        eta=parse_when("--eta", o["eta"], config.tz, time.time()),
        queues=queues,
        offer=o["offer"],
    )


def _outage_line(o: Mapping[str, Any]) -> str:
    queues = ",".join(o["queues"]) or "all queues"
    return f"{o['id']}  {o['severity']:<8} {o['status']:<13} {o['service']}  ({queues})"


def _outages(runtime: Runtime) -> Outages:
    from feeds.notices.outages import Outages

    return Outages(runtime.bus(), runtime.load_config())


@outage.command("declare")
@_outage_options(declaring=True)
@pass_runtime
def outage_declare(runtime: Runtime, **opts: Any) -> None:
    """Declare an outage."""
    fields = _outage_fields(runtime.load_config(), opts)
    print("declared", _outage_line(_outages(runtime).declare(fields, actor())))


@outage.command("update")
@click.argument("id")
@_outage_options(declaring=False)
@pass_runtime
def outage_update(runtime: Runtime, id: str, **opts: Any) -> None:
    """Change an outage (appends to its timeline)."""
    changes = _changes(_outage_fields(runtime.load_config(), opts))
    print("updated", _outage_line(_outages(runtime).update(id, changes, actor())))


@outage.command("resolve")
@click.argument("id")
@pass_runtime
def outage_resolve(runtime: Runtime, id: str) -> None:
    """Resolve an outage (off the screens, into history)."""
    print("resolved", _outage_line(_outages(runtime).resolve(id, actor())))


@outage.command("list")
@pass_runtime
def outage_list(runtime: Runtime) -> None:
    """Active and recently resolved outages."""
    tz = runtime.load_config().tz
    listed = _outages(runtime).list()
    print(f"{len(listed['active'])} active")
    for o in listed["active"]:
        print(f"  {_outage_line(o)}  since {_when(o['started_at'], tz)}")
    print(f"{len(listed['resolved'])} recently resolved")
    for o in listed["resolved"]:
        print(f"  {_outage_line(o)}  resolved {_when(o['resolved_at'], tz)}")


# -- delays ---------------------------------------------------------------------------------------


@click.group()
def delay() -> None:
    """Set, clear and list delay reasons per queue."""


def _delays(runtime: Runtime) -> Delays:
    from feeds.notices.delays import Delays

    return Delays(runtime.bus(), runtime.load_config())


@delay.command("set")
@click.argument("queue")
@click.argument("reason")
@click.option("--wait", help=f"expected wait: {DURATION_HINT}")
@click.option("--expires", help=TIME_HINT)
@pass_runtime
def delay_set(
    runtime: Runtime, queue: str, reason: str, wait: str | None, expires: str | None
) -> None:
    """Set a queue's delay reason."""
    tz = runtime.load_config().tz
    fields = _given(
        reason=reason,
        expected_wait=None if wait is None else parse_duration("--wait", wait),
        expires_at=parse_when("--expires", expires, tz, time.time()),
    )
    d = _delays(runtime).set(queue, fields, actor())
    print(f"set delay on {d['queue']}: {d['reason']}")


@delay.command("clear")
@click.argument("queue")
@pass_runtime
def delay_clear(runtime: Runtime, queue: str) -> None:
    """Clear a queue's delay reason."""
    _delays(runtime).clear(queue, actor())
    print(f"cleared delay on {queue}")


@delay.command("list")
@pass_runtime
def delay_list(runtime: Runtime) -> None:
    """Every queue's delay reason."""
    tz = runtime.load_config().tz
    for d in _delays(runtime).list():
        wait = "" if d["expected_wait"] is None else f"  expect {d['expected_wait']:.0f}s"
        state = "active" if d["active"] else "expired"
        print(f"{d['queue']}  {state}  {d['reason']}{wait}  until {_when(d['expires_at'], tz)}")


COMMANDS = (message, outage, delay)
