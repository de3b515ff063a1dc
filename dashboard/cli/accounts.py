"""``floorboard user …`` and ``floorboard token …``: logins and API tokens, kept in Redis.

Passwords are never command-line arguments (they would stay in shell history and show in every
``ps`` listing): they come from a prompt, or from stdin with ``--password-stdin`` for scripts.
A new token is printed once, alone on stdout, so ``TOKEN=$(floorboard token create …)`` works.
Bad input exits non-zero with the field and the reason, and changes nothing. Times are shown
on the centre's clock (the config's time zone), as on every screen.
"""

from __future__ import annotations

import getpass
import sys
import time

import click

from dashboard.cli.context import Runtime, pass_runtime, positive
from feeds.errors import SchemaError
from feeds.times import time_text

# Like every command module, nothing here imports redis-py at module level (see context.py).

ROLE_HELP = "admin, supervisor, agent or viewer"
STDIN_HELP = "read the password from the first line of stdin (for scripts)"
password_stdin = click.option("--password-stdin", is_flag=True, help=STDIN_HELP)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SchemaError("password", "use --password-stdin when stdin is not a terminal")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        raise SchemaError("password", "the two entries differ")
    return password


# -- users ----------------------------------------------------------------------------------------


@click.group()
def user() -> None:
    """Manage login accounts (in Redis at REDIS_URL)."""


@user.command("add")
@click.argument("name")
@click.option("--role", required=True, help=ROLE_HELP)
@click.option("--team", help="the user's team (message audiences)")
@click.option("--agent-id", help="for role agent: their agent id (default: the name)")
@password_stdin
@pass_runtime
def user_add(
    runtime: Runtime,
    name: str,
    role: str,
    team: str | None,
    agent_id: str | None,
    password_stdin: bool,
) -> None:
    """Add a user (password prompted, or --password-stdin)."""
    accounts = runtime.accounts()
    added = accounts.add_user(name, role, _password(password_stdin), team=team, agent_id=agent_id)
    print(f"added user {added.name} ({added.role})")


@user.command("remove")
@click.argument("name")
@pass_runtime
def user_remove(runtime: Runtime, name: str) -> None:
    """Remove a user (their sessions end at once)."""
    runtime.accounts().remove_user(name)
    print(f"removed user {name}")


@user.command("passwd")
@click.argument("name")
@password_stdin
@pass_runtime
def user_passwd(runtime: Runtime, name: str, password_stdin: bool) -> None:
    """Set a user's password (their sessions end)."""
    accounts = runtime.accounts()
    accounts.set_password(name, _password(password_stdin))
    print(f"changed the password of {name} (their open sessions have ended)")


@user.command("role")
@click.argument("name")
@click.argument("role")
@pass_runtime
def user_role(runtime: Runtime, name: str, role: str) -> None:
    """Change a user's role (ROLE: admin, supervisor, agent or viewer); password kept."""
    changed = runtime.accounts().set_role(name, role)
    agent = f", agent {changed.agent_id}" if changed.agent_id else ""
    print(f"user {changed.name} is now {changed.role}{agent}")


@user.command("list")
@pass_runtime
def user_list(runtime: Runtime) -> None:
    """List users."""
    tz, users = runtime.load_config().tz, runtime.accounts().list_users()
    print(f"{'NAME':<20} {'ROLE':<11} {'TEAM':<12} {'AGENT':<12} CREATED")
    for u in users:
        team, agent = u.team or "-", u.agent_id or "-"
        print(f"{u.name:<20} {u.role:<11} {team:<12} {agent:<12} {time_text(u.created, tz)}")


@user.command("seed-demo")
@click.option("--seed", type=int, default=1, show_default=True, help="the simulator's seed")
@click.option("--agents", type=int, default=24, show_default=True, callback=positive)
@pass_runtime
def user_seed_demo(runtime: Runtime, seed: int, agents: int) -> None:
    """Used by `floorboard demo`: demo users with new random passwords."""
    from feeds.accounts.users import seed_demo
    from feeds.simulator.simulation import Simulation

    # The simulator's roster for this seed: its first report is every agent, with their team.
    sim = Simulation(runtime.load_config(), seed=seed, start=time.time(), agents=agents)
    teams = {e.id: e.data.get("team") for e in sim.advance(sim.start) if e.kind == "agent"}
    print(seed_demo(runtime.accounts(), teams))


# -- tokens ---------------------------------------------------------------------------------------


@click.group()
def token() -> None:
    """Manage API tokens (in Redis at REDIS_URL)."""


@token.command("create")
@click.argument("label")
@click.option("--role", required=True, help=ROLE_HELP)
@pass_runtime
def token_create(runtime: Runtime, label: str, role: str) -> None:
    """Create a token for LABEL (e.g. acd-1) and print it: the only time it is shown."""
    plaintext = runtime.accounts().create_token(label, role)
    token_id = plaintext.split("_")[1]
    print(f"token {token_id} for {label} ({role}); shown only now:", file=sys.stderr)
    print(plaintext)


@token.command("revoke")
@click.argument("id")
@pass_runtime
def token_revoke(runtime: Runtime, id: str) -> None:
    """Revoke a token by its id (see `token list`)."""
    runtime.accounts().revoke_token(id)
    print(f"revoked token {id}")


@token.command("list")
@pass_runtime
def token_list(runtime: Runtime) -> None:
    """List tokens (ids, labels and roles; never the secrets)."""
    tz, tokens = runtime.load_config().tz, runtime.accounts().list_tokens()
    print(f"{'ID':<14} {'LABEL':<24} {'ROLE':<11} CREATED")
    for t in tokens:
        print(f"{t.id:<14} {t.label:<24} {t.role:<11} {time_text(t.created, tz)}")


COMMANDS = (user, token)
