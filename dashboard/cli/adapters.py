"""``floorboard ami``, ``floorboard replay`` and ``floorboard connect-import``: the adapters that
put a centre's own systems on the bus at ``REDIS_URL`` (docs/adapters.md); and ``floorboard
aggregate``, the one process that turns raw events posted over HTTP into queue statistics.

Each command is a thin door onto its adapter's entry point in ``feeds/adapters/``; what the
adapter refuses (a bad row, a bad record, a refused login) ends here as one line naming what
to fix, like every other refusal of the command.
"""

from __future__ import annotations

import math
import signal
import threading

import click

from dashboard.cli.context import Runtime, pass_runtime


@click.command()
@click.option("--host", help="Asterisk's host  [default: [adapters.ami] host]")
@click.option("--port", type=click.IntRange(1, 65535), help="AMI port  [default: 5038]")
@click.option("--user", "username", help="the AMI user  [default: [adapters.ami] username]")
@click.option(
    "--secret-file",
    metavar="PATH",
    help="a file whose first line is the AMI secret  [default: $FLOORBOARD_AMI_SECRET]",
)
@pass_runtime
def ami(runtime: Runtime, host: str | None, port: int | None, username: str | None,
        secret_file: str | None) -> None:  # fmt: skip
    """Follow Asterisk's queues through the Manager Interface (until Ctrl-C or SIGTERM)."""
    from feeds.adapters.ami.client import AmiAuthError, AmiOptions, ami_secret, run_ami

    config = runtime.load_config()
    try:
        secret = ami_secret(secret_file)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    options = AmiOptions.from_config(config, secret, host=host, port=port, username=username)
    bus = runtime.bus()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        report = run_ami(config, bus, options, stop)
    except AmiAuthError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        return
    click.echo(f"AMI {options.host}:{options.port}: {report.connections} connections, "
               f"{report.events} events, {report.malformed} malformed blocks, "
               f"{sum(report.unknown.values())} unknown events")  # fmt: skip


def _speed(ctx: click.Context, param: click.Parameter, value: float) -> float:
    if not (math.isfinite(value) and value >= 0):
        raise click.BadParameter("must be 0 (flat out) or more", ctx, param)
    return value


def _columns(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> dict:
    mapping = {}
    for item in value:
        field, eq, name = item.partition("=")
        if not eq or not field.strip() or not name.strip():
            raise click.BadParameter(f"{item!r} is not FIELD=NAME", ctx, param)
        mapping[field.strip()] = name.strip()
    return mapping


@click.command()
@click.argument("file", metavar="FILE.csv")
@click.option("--speed", type=float, default=1.0, show_default=True, callback=_speed,
              help="replayed seconds per real second; 0 is flat out")  # fmt: skip
@click.option("--flat-out", is_flag=True, help="as fast as it goes (as --speed 0)")
@click.option(
    "--rebase",
    type=click.Choice(["now", "today", "none"]),
    default="now",
    show_default=True,
    help="first contact queues now; same time of day today; or the file's own times",
)
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="FIELD=NAME",
    callback=_columns,
    help="the file's name for a field, e.g. --column 'enqueued_at=Start Time'",
)
@click.option("--fatal", is_flag=True, help="stop at the first bad row (default: skip, report)")
@click.option("--check", is_flag=True, help="read and check the file; publish nothing")
@pass_runtime
def replay(runtime: Runtime, file: str, speed: float, flat_out: bool, rebase: str,
           columns: dict, fatal: bool, check: bool) -> None:  # fmt: skip
    """Replay historical contact records as live events (until done, Ctrl-C or SIGTERM)."""
    from feeds.adapters.csv_replay import check_csv, replay_csv
    from feeds.adapters.csv_rows import CsvError

    config = runtime.load_config()
    try:
        if check:
            good, bad = check_csv(file, config, columns)
            for row in bad:
                click.echo(f"{file}: {row}")
            click.echo(f"{file}: {good} good rows, {len(bad)} bad")
            if bad:
                raise click.exceptions.Exit(1)
            return
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        report = replay_csv(file, config, runtime.bus(), speed=0 if flat_out else speed,
                            mapping=columns, on_bad_row="fatal" if fatal else "skip",
                            rebase=rebase, stop=stop)  # fmt: skip
    except (CsvError, ConnectionError) as exc:
        raise click.ClickException(f"{file}: {exc}") from None
    for row in report.bad:
        click.echo(f"{file}: skipped {row}")
    click.echo(f"{file}: {report.rows} rows replayed, {report.events} events, "
               f"{report.published} written ({report.duplicates} already on the bus), "
               f"{len(report.bad)} bad rows skipped")  # fmt: skip


@click.command("connect-import")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--fatal", is_flag=True, help="import nothing if a record is bad (default: skip)")
@pass_runtime
def connect_import(runtime: Runtime, files: tuple[str, ...], fatal: bool) -> None:
    """Import Amazon Connect agent events and contact records (JSON lines, Firehose, arrays)."""
    from feeds.adapters.connect.importer import ConnectImportError, import_connect_records

    config = runtime.load_config()
    try:
        report = import_connect_records(files, config, runtime.bus(),
                                        on_bad_record="fatal" if fatal else "skip")  # fmt: skip
    except (ConnectImportError, ConnectionError) as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{exc.filename}: cannot read: {exc.strerror}") from None
    for bad in report.bad:
        click.echo(f"skipped {bad}")
    click.echo(f"{report.records} records: {report.envelopes} events, {report.not_the_boards} "
               f"not the board's, {report.published} written ({report.duplicates} already on "
               f"the bus), {len(report.bad)} bad records skipped")  # fmt: skip


@click.command()
@pass_runtime
def aggregate(runtime: Runtime) -> None:
    """Publish queue statistics from the raw events on the bus of the producers in
    [adapters.aggregate] follow (Connect over HTTP); one per centre (until Ctrl-C or SIGTERM)."""
    from feeds.adapters.follow import run_aggregate

    config = runtime.load_config()
    bus = runtime.bus()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        report = run_aggregate(config, bus, stop)
    except KeyboardInterrupt:
        return
    click.echo(f"aggregate: {report.warm} events of the day at the start, {report.events} "
               f"since, {report.failures} Redis failures ridden out")  # fmt: skip


COMMANDS = (ami, replay, connect_import, aggregate)
