"""``floorboard customer | rule``: customer profiles from a CSV file, and the standing rules.

``customer import`` reads a CSV export (:mod:`feeds.customers.csv_import`) and publishes every
profile, or refuses the file at its first bad line and column with nothing stored; ``customer
show`` prints what the card would know of one customer. ``rule list`` prints the standing
authority rules; the console and ``/api/v1/rules`` change them (audited), and ``rule seed-demo``
gives the demo its rules.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dashboard.cli.context import Runtime, pass_runtime
from feeds.errors import SchemaError

if TYPE_CHECKING:
    from feeds.customers.rules import Rules

# Like every command module, nothing here imports redis-py at module level (see context.py).


@click.group()
def customer() -> None:
    """Import customer profiles from CSV; show one."""


@customer.command("import")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@pass_runtime
def customer_import(runtime: Runtime, path: str) -> None:
    """Import the profiles of a CSV file (- for stdin): all of it, or nothing."""
    from feeds.customers.csv_import import read_profiles
    from feeds.customers.profiles import Profiles

    config = runtime.load_config()
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(path, f"cannot be read: {exc}") from None
    profiles = read_profiles(text, config.tz, time.time())
    Profiles(runtime.bus()).put(profiles, f"csv:{Path(path).name}"[:60])
    print(f"imported {len(profiles)} customers")


@customer.command("show")
@click.argument("id")
@pass_runtime
def customer_show(runtime: Runtime, id: str) -> None:
    """A customer's profile and what agents gave and promised them, as JSON."""
    from feeds.customers.ledger import Ledger
    from feeds.customers.profiles import Profiles

    bus = runtime.bus()
    env = Profiles(bus).get(id)
    if env is None:
        raise SchemaError("id", f"no customer {id!r}")
    ledger = Ledger(bus, runtime.load_config()).entries(id)
    record = {"id": id, "source": env.source, "updated_at": env.ts, **env.data, "ledger": ledger}
    print(json.dumps(record, indent=2, ensure_ascii=False))


@click.group()
def rule() -> None:
    """List the standing authority rules."""


def _rules(runtime: Runtime) -> Rules:
    from feeds.customers.rules import Rules

    return Rules(runtime.bus(), runtime.load_config())


@rule.command("list")
@pass_runtime
def rule_list(runtime: Runtime) -> None:
    """Every standing rule: id, action, limits, and whom it covers."""
    from feeds.customers.authority import fmt_money

    currency = runtime.load_config().customers.currency
    for r in _rules(runtime).list():
        limits = [f"limit {fmt_money(r['limit'], currency)}" if r["limit"] is not None else "",
                  f"allowance {fmt_money(r['allowance'], currency)}/{r['period']}"
                  if r["allowance"] is not None else "",
                  f"{r['times']}x/{r['period']}" if r["times"] is not None else ""]  # fmt: skip
        scope = [",".join(r[k]) or f"all {k}" for k in ("queues", "teams", "segments")]
        print(f"{r['id']}  {r['action']:<8} {r['title']}  {' '.join(x for x in limits if x)}  "
              f"({'; '.join(scope)})")  # fmt: skip


@rule.command("seed-demo", hidden=True)
@pass_runtime
def rule_seed_demo(runtime: Runtime) -> None:
    """Used by `floorboard demo`: the demo's standing rules, unless there are rules already."""
    from feeds.simulator.customers import DEMO_RULES

    rules = _rules(runtime)
    if rules.list():
        return
    for fields in DEMO_RULES:
        rules.create(fields, "demo")
    print(f"{len(DEMO_RULES)} standing rules")


COMMANDS = (customer, rule)
