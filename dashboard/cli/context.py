"""What every ``floorboard`` command stands on: its config, its Redis, and how it says no.

A person at a shell (or a script) must learn from one line what to fix, so every refusal, from
click's parser, the config, the schema, a time that cannot be read or an unreachable Redis,
ends the command here as ``floorboard: <field>: <reason>`` with a non-zero status, never a
traceback. A traceback is left only to a bug.

Nothing here imports redis-py (or the app) at module level: the gunicorn master of ``serve``
and ``demo`` imports every command module, and must not load redis-py (and ssl) before gevent
patches the workers it forks. Command modules import redis and app code inside the commands.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

if TYPE_CHECKING:
    from feeds.accounts.store import Accounts
    from feeds.bus.bus import Bus
    from feeds.config import Config

log = logging.getLogger("floorboard")
F = TypeVar("F", bound=Callable[..., Any])


class Runtime:
    """The config file a command was given, loaded once, when the command first needs it
    (``--help`` and usage errors never read it)."""

    def __init__(self, config_path: str | None) -> None:
        given = config_path or os.environ.get("FLOORBOARD_CONFIG") or "floorboard.toml"
        self.path = Path(given).resolve()
        self._config: Config | None = None

    def load_config(self) -> Config:
        """The loaded config (a bad one raises ConfigError naming file, key and reason); its
        path is pinned in the environment so child processes (the demo's) read the same."""
        if self._config is None:
            from dashboard.ops import logs
            from feeds.bus.fields import use_channels
            from feeds.config import load_config

            os.environ["FLOORBOARD_CONFIG"] = str(self.path)
            self._config = load_config(self.path)
            use_channels(self._config.channels)  # what the schema checks a channel against
            logs.setup(self._config.log.level, self._config.log.format)
        return self._config

    def bus(self) -> Bus:
        """The bus at ``REDIS_URL`` under the config's prefix."""
        from feeds.bus.bus import Bus

        return Bus.from_config(redis_url(), self.load_config())

    def accounts(self) -> Accounts:
        """Users and tokens at ``REDIS_URL`` under the config's prefix."""
        from feeds.accounts.store import Accounts
        from feeds.bus.bus import connect

        return Accounts(connect(redis_url()), self.load_config().redis.prefix)


pass_runtime = click.make_pass_decorator(Runtime)


def actor() -> str:
    """How the audit log and message authors name a change made from a shell: ``cli: <login
    name>``, the person at the keyboard, marked as the command line (the console's people are
    named by :attr:`dashboard.auth.principal.Principal.actor`)."""
    return f"cli: {os.environ.get('USER') or 'unknown'}"


def redis_url() -> str:
    """``REDIS_URL``: commands that talk to Redis need a server that is already running."""
    url = os.environ.get("REDIS_URL")
    if not url:
        raise click.ClickException(
            "REDIS_URL is not set (start `floorboard serve` or a Redis first)"
        )
    return url


@contextlib.contextmanager
def redis_for_serving(port: int | None) -> Iterator[str]:
    """``REDIS_URL`` if set, else an embedded Redis (data under ``.state/``) for as long as the
    block runs; its URL is put in the environment for the workers and child processes."""
    from feeds.bus.embedded import DEFAULT_STATE_DIR, EmbeddedRedis
    from feeds.bus.urls import redacted

    url = os.environ.get("REDIS_URL")
    if url:
        yield url
        return
    state = Path(os.environ.get("FLOORBOARD_STATE_DIR", DEFAULT_STATE_DIR))
    server = EmbeddedRedis(state / "redis", port=port)
    try:
        server.start()
    except RuntimeError as exc:
        raise click.ClickException(f"embedded Redis: {exc}") from None
    os.environ["REDIS_URL"] = server.url
    log.info("embedded Redis %s, data in %s", redacted(server.url), server.data_dir)
    try:
        yield server.url
    finally:
        server.stop()


def options(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    """Several click options as one decorator, in the order given (as ``--help`` lists them),
    for option sets that several commands share."""

    def apply(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return apply


def positive(ctx: click.Context, param: click.Parameter, value: float) -> float:
    """Option callback: a rate or a count that only makes sense above zero (and finite)."""
    if not (math.isfinite(value) and value > 0):
        raise click.BadParameter("must be greater than 0 (and finite)", ctx, param)
    return value


speed_option = click.option(
    "--speed",
    type=float,
    default=1.0,
    show_default=True,
    callback=positive,
    help="simulated seconds per real second",
)


# -- refusals -------------------------------------------------------------------------------------


def run(group: click.Group, argv: Sequence[str] | None) -> NoReturn:
    """Run the command line; every refusal becomes one line on stderr and a non-zero exit."""
    try:
        status = group.main(args=argv, prog_name="floorboard", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:  # a group given no command: its help
        exc.show()
        sys.exit(exc.exit_code)
    except Exception as exc:
        refusal = _refusal(exc)
        if refusal is None:
            raise  # a bug: the traceback is what its report needs
        line, status = refusal
        click.echo(f"floorboard: {line}", err=True)
        sys.exit(status)
    sys.exit(status if isinstance(status, int) else 0)


def _refusal(exc: Exception) -> tuple[str, int] | None:
    """``(field: reason, exit status)`` for bad input or an unreachable Redis; None for a bug."""
    from feeds.config import ConfigError
    from feeds.errors import SchemaError

    if isinstance(exc, click.UsageError):  # the parser's: exit 2, as argparse did
        return _usage(exc), exc.exit_code
    if isinstance(exc, click.ClickException):
        return exc.format_message(), exc.exit_code
    if isinstance(exc, click.Abort):  # Ctrl-C or end of input at a prompt
        return "aborted", 1
    if isinstance(exc, ConfigError):
        return f"config error: {exc}", 1
    if isinstance(exc, SchemaError):
        return str(exc), 1
    redis = sys.modules.get("redis")  # not imported: the error cannot be one of its own
    if redis is not None and isinstance(exc, redis.RedisError):
        return f"Redis: {exc}", 1
    return None


def _usage(exc: click.UsageError) -> str:
    """A parser error named by its option (``--priority: 'x' is not one of …``) or, when the
    command line as a whole is wrong, by its command (``outage declare: the following arguments
    are required: --service``)."""
    command = exc.ctx.command_path.removeprefix("floorboard").strip() if exc.ctx else ""
    where = f"{command}: " if command else ""
    if isinstance(exc, click.MissingParameter) and exc.param is not None:
        return f"{where}the following arguments are required: {_name(exc.param)}"
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        return f"{_name(exc.param)}: {exc.message}"
    if isinstance(exc, click.NoSuchOption):
        maybe = f" (did you mean {' or '.join(exc.possibilities)}?)" if exc.possibilities else ""
        return f"{where}unrecognized arguments: {exc.option_name}{maybe}"
    return f"{where}{exc.format_message()}"


def _name(param: click.Parameter) -> str:
    """How a person typed the parameter: its long option, or the argument's name."""
    return max(param.opts, key=len) if isinstance(param, click.Option) else param.name or ""
