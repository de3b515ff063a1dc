"""``floorboard user …`` and ``floorboard token …``: logins and API tokens, kept in Redis.

Passwords are never command-line arguments (they would stay in shell history and show in every
``ps`` listing): they come from a prompt, or from stdin with ``--password-stdin`` for scripts.
A new token is printed once, alone on stdout, so ``TOKEN=$(floorboard token create …)`` works.
Bad input exits non-zero with the field and the reason, and changes nothing.
"""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.accounts.store import Accounts
    from feeds.config import Config

# As in dashboard.cli, redis-py is imported inside the commands only: the gunicorn master of
# `serve` imports this module (through the parser) before gevent patches its workers.

ROLE_HELP = "admin, supervisor, agent or viewer"


def _open(args: argparse.Namespace) -> tuple[Config, Accounts]:
    from dashboard.cli.main import _config, _require_redis_url
    from feeds.accounts.store import Accounts
    from feeds.bus.bus import connect

    config = _config(args)
    return config, Accounts(connect(_require_redis_url()), config.redis.prefix)


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        sys.exit("floorboard: password: use --password-stdin when stdin is not a terminal")
    password = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != password:
        sys.exit("floorboard: password: the two entries differ")
    return password


def _when(ts: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ts))


def _reporting(command: Callable[[argparse.Namespace], None]) -> Callable[..., None]:
    """Bad input and an unreachable Redis end the command with a one-line reason."""

    def run(args: argparse.Namespace) -> None:
        import redis

        from feeds.bus.schema import SchemaError

        try:
            command(args)
        except SchemaError as exc:
            sys.exit(f"floorboard: {exc}")
        except redis.RedisError as exc:
            sys.exit(f"floorboard: Redis: {exc}")

    return run


@_reporting
def cmd_user_add(args: argparse.Namespace) -> None:
    _, accounts = _open(args)
    user = accounts.add_user(
        args.name, args.role, _password(args), team=args.team, agent_id=args.agent_id
    )
    print(f"added user {user.name} ({user.role})")


@_reporting
def cmd_user_remove(args: argparse.Namespace) -> None:
    _, accounts = _open(args)
    accounts.remove_user(args.name)
    print(f"removed user {args.name}")


@_reporting
def cmd_user_passwd(args: argparse.Namespace) -> None:
    _, accounts = _open(args)
    accounts.set_password(args.name, _password(args))
    print(f"changed the password of {args.name} (their open sessions have ended)")


@_reporting
def cmd_user_list(args: argparse.Namespace) -> None:
    _, accounts = _open(args)
    users = accounts.list_users()
    print(f"{'NAME':<20} {'ROLE':<11} {'TEAM':<12} {'AGENT':<12} CREATED")
    for u in users:
        team, agent = u.team or "-", u.agent_id or "-"
        print(f"{u.name:<20} {u.role:<11} {team:<12} {agent:<12} {_when(u.created)}")


@_reporting
def cmd_user_seed_demo(args: argparse.Namespace) -> None:
    from feeds.accounts.store import seed_demo
    from feeds.simulator.simulation import Simulation

    config, accounts = _open(args)
    # The simulator's roster for this seed: its first report is every agent, with their team.
    sim = Simulation(config, seed=args.seed, start=time.time(), agents=args.agents)
    teams = {e.id: e.data.get("team") for e in sim.advance(sim.start) if e.kind == "agent"}
    print(seed_demo(accounts, teams))


@_reporting
def cmd_token_create(args: argparse.Namespace) -> None:
    _, accounts = _open(args)
    token = accounts.create_token(args.label, args.role)
    token_id = token.split("_")[1]
    print(f"token {token_id} for {args.label} ({args.role}); shown only now:", file=sys.stderr)
    print(token)


@_reporting
def cmd_token_revoke(args: argparse.Namespace) -> None:
    _, accounts = _open(args)
    accounts.revoke_token(args.id)
    print(f"revoked token {args.id}")


@_reporting
def cmd_token_list(args: argparse.Namespace) -> None:
    _, accounts = _open(args)
    tokens = accounts.list_tokens()
    print(f"{'ID':<14} {'LABEL':<24} {'ROLE':<11} CREATED")
    for t in tokens:
        print(f"{t.id:<14} {t.label:<24} {t.role:<11} {_when(t.created)}")


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Add ``user`` and ``token`` with their subcommands to the ``floorboard`` parser."""
    stdin_help = "read the password from the first line of stdin (for scripts)"

    user = sub.add_parser("user", help="manage login accounts (in Redis at REDIS_URL)")
    users = user.add_subparsers(dest="user_command", required=True)
    s = users.add_parser("add", help="add a user (password prompted, or --password-stdin)")
    s.add_argument("name")
    s.add_argument("--role", required=True, help=ROLE_HELP)
    s.add_argument("--team", help="the user's team (message audiences)")
    s.add_argument("--agent-id", help="for role agent: their agent id (default: the name)")
    s.add_argument("--password-stdin", action="store_true", help=stdin_help)
    s.set_defaults(func=cmd_user_add)
    s = users.add_parser("remove", help="remove a user (their sessions end at once)")
    s.add_argument("name")
    s.set_defaults(func=cmd_user_remove)
    s = users.add_parser("passwd", help="set a user's password (their sessions end)")
    s.add_argument("name")
    s.add_argument("--password-stdin", action="store_true", help=stdin_help)
    s.set_defaults(func=cmd_user_passwd)
    s = users.add_parser("list", help="list users")
    s.set_defaults(func=cmd_user_list)
    s = users.add_parser(
        "seed-demo", help="used by `floorboard demo`: demo users with new random passwords"
    )
    s.add_argument("--seed", type=int, default=1, help="the simulator's seed (its roster)")
    s.add_argument("--agents", type=int, default=24)
    s.set_defaults(func=cmd_user_seed_demo)

    token = sub.add_parser("token", help="manage API tokens (in Redis at REDIS_URL)")
    tokens = token.add_subparsers(dest="token_command", required=True)
    s = tokens.add_parser("create", help="create a token and print it (the only time it is shown)")
    s.add_argument("label", help="who or what uses it, e.g. acd-1 or north-wall")
    s.add_argument("--role", required=True, help=ROLE_HELP)
    s.set_defaults(func=cmd_token_create)
    s = tokens.add_parser("revoke", help="revoke a token by its id (see `token list`)")
    s.add_argument("id")
    s.set_defaults(func=cmd_token_revoke)
    s = tokens.add_parser("list", help="list tokens (ids, labels and roles; never the secrets)")
    s.set_defaults(func=cmd_token_list)
