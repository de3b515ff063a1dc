"""The ``floorboard`` command: run the app, feed the bus, act as a supervisor, manage accounts,
look after an installation.

One click group; each module holds the commands for one job (:mod:`.serve`, :mod:`.feed`,
:mod:`.adapters`, :mod:`.notices`, :mod:`.accounts`, :mod:`.customers`, :mod:`.history`,
:mod:`.ops`: config check, migrate, backup, restore) and :mod:`.context` what they all
stand on: the config, Redis, and the one-line refusal. ``REDIS_URL`` unset means the
embedded Redis: ``serve`` and ``demo`` start it (data under ``.state/``); the other
commands need a server to talk to and say so.
"""

from __future__ import annotations

from collections.abc import Sequence

import click

from dashboard.cli import accounts, adapters, customers, feed, history, notices, ops, serve
from dashboard.cli.context import Runtime, run
from dashboard.ops import logs


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config", metavar="PATH", help="TOML config (default $FLOORBOARD_CONFIG or ./floorboard.toml)"
)
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """Floorboard: a real-time wallboard for contact centres."""
    ctx.obj = Runtime(config)


for module in (serve, feed, adapters, notices, accounts, customers, history, ops):
    for command in module.COMMANDS:
        cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: ``floorboard …`` (and ``python -m dashboard.cli …``)."""
    logs.setup()  # from the environment now; the config's [log] once a command reads it
    run(cli, argv)
