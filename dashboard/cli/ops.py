"""``floorboard config check``, ``migrate``, ``backup`` and ``restore``: an installation's care.

``config check`` needs no Redis: it validates the file with the environment's keys over it
(:mod:`feeds.config_env`) and prints the configuration the app would run with, every secret
masked, or the file, the key and the reason it would be refused for. The others act on the
data under the config's prefix at ``REDIS_URL``: the schema version and its migrations
(:mod:`feeds.data.migrations`), and JSON backups (:mod:`feeds.data.backup`, ``restore``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path
from typing import Any

import click

from dashboard.cli.context import Runtime, pass_runtime, redis_url
from dashboard.ops.logs import scrub
from feeds.errors import SchemaError

# Like every command module, nothing here imports redis-py at module level (see context.py).

SECRETS = ("FLOORBOARD_SECRET_KEY", "FLOORBOARD_AMI_SECRET")
SETTINGS = ("FLOORBOARD_CONFIG", "FLOORBOARD_STATE_DIR", "FLOORBOARD_LOG_LEVEL",
            "FLOORBOARD_LOG_FORMAT", "FLOORBOARD_ACCESS_LOG", "FLOORBOARD_RELEASE",
            "PROMETHEUS_MULTIPROC_DIR")  # fmt: skip


def _masked(value: Any) -> Any:
    """``value`` with every string that holds a secret (a URL's password) masked."""
    if isinstance(value, dict):
        return {k: _masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v) for v in value]
    return scrub(value) if isinstance(value, str) else value


def _environment(config: Any) -> list[str]:
    """The environment the app would read, secrets shown only as set or not."""
    from feeds.bus.urls import redacted

    url = os.environ.get("REDIS_URL")
    embedded = "REDIS_URL not set: `floorboard serve` starts the embedded Redis (demo only)"
    lines = [f"REDIS_URL={redacted(url)}" if url else embedded]
    secrets = [*SECRETS, config.metrics.token_env, config.customers.crm.token_env]
    for name in filter(None, secrets):
        value = os.environ.get(name)
        lines.append(f"{name}=" + (f"(set, {len(value)} characters)" if value else "(not set)"))
    lines += [f"{name}={os.environ[name]}" for name in SETTINGS if os.environ.get(name)]
    return lines


def _check_environment() -> None:
    from dashboard.auth.sessions import MIN_SECRET_KEY

    key = os.environ.get("FLOORBOARD_SECRET_KEY")
    if key is not None and len(key) < MIN_SECRET_KEY:
        raise SchemaError("FLOORBOARD_SECRET_KEY", f"must be at least {MIN_SECRET_KEY} characters")
    url = os.environ.get("REDIS_URL", "")
    schemes = ("redis://", "rediss://", "unix://", "redis+sentinel://", "redis+cluster://")
    if url and not url.startswith(schemes):
        raise SchemaError("REDIS_URL", f"must start with one of {', '.join(schemes)}")


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@pass_runtime
def config_check(runtime: Runtime, file: str | None) -> None:
    """Validate FILE (default: --config, $FLOORBOARD_CONFIG, ./floorboard.toml) with the
    environment's keys over it; print the effective configuration, secrets masked."""
    from feeds import config_env

    if file:
        runtime = Runtime(file)
    config = runtime.load_config()
    _check_environment()
    click.echo(f"{runtime.path}: valid")
    for key, (variable, _) in config_env.overrides().items():
        click.echo(f"  {key} from ${variable}")
    click.echo("environment:")
    for line in _environment(config):
        click.echo(f"  {line}")
    click.echo("effective configuration:")
    click.echo(json.dumps(_masked(config.model_dump(mode="json")), indent=2, ensure_ascii=False))


@click.command()
@click.option("--check", is_flag=True, help="only say what would run; exit 1 if anything would")
@pass_runtime
def migrate(runtime: Runtime, check: bool) -> None:
    """Bring the data under the prefix up to this release's schema (back up first)."""
    from feeds.bus.bus import connect
    from feeds.data import migrations

    prefix = runtime.load_config().redis.prefix
    client = connect(redis_url())
    found = migrations.version(client, prefix)
    todo = migrations.pending(client, prefix)
    shown = "none (written before versions: 0)" if found is None else found
    click.echo(f"data under {prefix!r}: version {shown}; this release: {migrations.CURRENT}")
    if check:
        for step in todo:
            click.echo(f"  would run {step.to}: {step.title}")
        sys.exit(1 if todo else 0)
    if not todo:
        click.echo(f"nothing to do: version {migrations.CURRENT}")
        return
    for step, lines in migrations.migrate(client, prefix):
        click.echo(f"→ {step.to}: {step.title}")
        for line in lines or ["nothing to change"]:
            click.echo(f"    {line}")
    click.echo(f"done: version {migrations.CURRENT}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@pass_runtime
def backup(runtime: Runtime, file: str) -> None:
    """Write every lasting key under the prefix to FILE as JSON (- for stdout); says on stderr
    what it kept and what it left out, and why. The file holds password hashes: it is made
    readable by its owner only."""
    from feeds.bus.bus import connect
    from feeds.data.backup import backup as write_backup

    prefix = runtime.load_config().redis.prefix
    client = connect(redis_url())
    release = version("floorboard")
    if file == "-":
        report = write_backup(client, prefix, sys.stdout, release)
    else:
        target = Path(file)
        fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:  # mkstemp: mode 0600
                report = write_backup(client, prefix, out, release)
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    for line in report.lines():
        click.echo(line, err=True)


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--replace", is_flag=True, help="delete every key under the prefix first")
@click.option("--force", is_flag=True, help="even while apps follow the bus (restart them)")
@pass_runtime
def restore(runtime: Runtime, file: str, replace: bool, force: bool) -> None:
    """Write a backup made by `floorboard backup` under the config's prefix (stop the app
    and the producers first)."""
    from feeds.bus.bus import connect
    from feeds.data.restore import restore as write_restore

    prefix = runtime.load_config().redis.prefix
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(encoding="utf-8")
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise SchemaError(file, f"cannot read a backup: {exc}") from None
    report = write_restore(connect(redis_url()), prefix, data, replace=replace, force=force)
    for line in report.lines():
        click.echo(line)
    if data.get("prefix") != prefix:
        click.echo(f"restored under {prefix!r} (the backup was of {data.get('prefix')!r})")


COMMANDS = (config_group, migrate, backup, restore)
