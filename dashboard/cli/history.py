"""``floorboard forecast | history``: the planner's forecast, and the day's intervals.

``forecast load`` checks a CSV file row by row and stores it whole (every problem named by line
and column, nothing stored), for today or ``--day``; ``forecast sample`` prints the simulated
centre's forecast (``docs/samples/forecast-day.csv``). ``history export`` writes a day's
intervals (a queue, a channel or all) or its contacts as CSV; ``history rebuild`` works a day's
intervals out again from the contacts stream (pandas), keeping the stored agent time;
``history days`` lists the days kept. docs/history.md says what each figure is.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from dashboard.cli.context import Runtime, pass_runtime
from feeds.errors import SchemaError

# Like every command module, nothing here imports redis-py at module level (see context.py).

day_option = click.option("--day", default="today", show_default=True,
                          help="YYYY-MM-DD, today or yesterday")  # fmt: skip


@click.group()
def forecast() -> None:
    """Load a planner's forecast (volume and AHT per interval per queue)."""


@forecast.command("load")
@click.argument("path", type=click.Path(dir_okay=False, allow_dash=True))
@day_option
@pass_runtime
def forecast_load(runtime: Runtime, path: str, day: str) -> None:
    """Load a forecast CSV (- for stdin) for a day: all of it, or nothing."""
    from feeds.intraday.feed import load_forecast
    from feeds.intraday.forecast import ForecastError, read_csv
    from feeds.intraday.grid import Day, parse_day

    config, now = runtime.load_config(), time.time()
    on = Day.on(parse_day(day, config.tz, now, "--day"), config.tz, config.history.step)
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise SchemaError(path, f"cannot be read: {exc}") from None
    try:
        checked = read_csv(text, config, on)
    except ForecastError as exc:
        for error in exc.errors:
            click.echo(f"floorboard: {error}", err=True)
        raise click.ClickException(f"{len(exc.errors)} problems: nothing was stored") from None
    load_forecast(runtime.bus(), config, checked, f"cli:{Path(path).name}"[:60], now)
    skipped = f" ({checked.skipped} rows fall in the clock change and were left out)"
    print(f"stored {checked.intervals} intervals for {len(checked.by_queue)} queues on "
          f"{on.text}{skipped if checked.skipped else ''}")  # fmt: skip


@forecast.command("sample")
@click.option("--agents", type=int, default=24, show_default=True)
@pass_runtime
def forecast_sample(runtime: Runtime, agents: int) -> None:
    """Print the simulated centre's forecast for the config's queues, as CSV."""
    from feeds.simulator.plan import forecast_csv

    sys.stdout.write(forecast_csv(runtime.load_config(), agents))


@click.group()
def history() -> None:
    """Export, rebuild and list the days of intervals kept."""


@history.command("export")
@day_option
@click.option("--scope", default="all", show_default=True,
              help="all, channel:<channel> or queue:<id>")  # fmt: skip
@click.option("--contacts", is_flag=True, help="the day's contacts, one row per leg")
@pass_runtime
def history_export(runtime: Runtime, day: str, scope: str, contacts: bool) -> None:
    """Write a day's intervals (or its contacts) as CSV to stdout."""
    from feeds.intraday import export, series
    from feeds.intraday.grid import parse_day
    from feeds.intraday.store import IntradayStore

    config, bus = runtime.load_config(), runtime.bus()
    store = IntradayStore(bus, config)
    on = store.day(parse_day(day, config.tz, time.time(), "--day"))
    if contacts:
        table = export.contacts_table(store, config, bus.contacts_key, on)
    else:
        table = export.interval_table(store, config, on, series.scope(config, scope))
    sys.stdout.write(export.to_csv(table))


@history.command("rebuild")
@day_option
@pass_runtime
def history_rebuild(runtime: Runtime, day: str) -> None:
    """Work a day's intervals out again from the contacts stream (agent time kept)."""
    from feeds.intraday.export import rebuild
    from feeds.intraday.grid import parse_day
    from feeds.intraday.store import IntradayStore

    config, bus, now = runtime.load_config(), runtime.bus(), time.time()
    store = IntradayStore(bus, config)
    on = store.day(parse_day(day, config.tz, now, "--day"))
    count = rebuild(store, config, bus.contacts_key, on, now)
    print(f"rebuilt {count} intervals from the contacts stream")


@history.command("days")
@pass_runtime
def history_days(runtime: Runtime) -> None:
    """The days with intervals kept, newest first."""
    from feeds.intraday.store import IntradayStore

    config = runtime.load_config()
    store = IntradayStore(runtime.bus(), config)
    for d in store.days([q.id for q in config.queues], store.day(time.time())):
        print(d.isoformat())


COMMANDS = (forecast, history)
