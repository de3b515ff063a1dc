"""Accounts in a real Redis: only hashes stored, verification, revocation, validation, the CLI."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from zoneinfo import ZoneInfo

import pytest
from test_cli import floorboard

from feeds.accounts.store import Accounts
from feeds.accounts.users import seed_demo
from feeds.bus.bus import connect
from feeds.errors import SchemaError
from feeds.times import time_text

PASSWORD = "correct horse battery"


@pytest.fixture
def accounts(redis_server, prefix) -> Iterator[Accounts]:
    a = Accounts(connect(redis_server.url), prefix)
    yield a
    a.client.close()


def raw_values(accounts: Accounts) -> bytes:
    """Every key and value under the test's prefix, as one blob to search for secrets."""
    blob = b""
    for key in accounts.client.scan_iter(f"{accounts.prefix}*"):
        blob += key
        kind = accounts.client.type(key)
        if kind == b"hash":
            blob += b"".join(k + v for k, v in accounts.client.hgetall(key).items())
        elif kind == b"string":
            blob += accounts.client.get(key)
    return blob


def test_passwords_and_tokens_are_stored_only_as_hashes(accounts: Accounts) -> None:
    """Passwords as salted scrypt (people pick guessable ones); token secrets, 256 random bits
    that nobody can guess, as SHA-256."""
    accounts.add_user("sam", "supervisor", PASSWORD)
    token = accounts.create_token("acd-1", "supervisor")
    secret = token.split("_", 2)[2]
    sid = accounts.open_session({"kind": "user", "name": "sam"}, 60)
    blob = raw_values(accounts)
    assert b"sam" in blob and b"acd-1" in blob  # we are looking at the right data
    for clear in (PASSWORD, secret, token, sid):
        assert clear.encode() not in blob
    assert blob.count(b'"password": "scrypt:32768:8:1$') == 1
    assert blob.count(b'"hash": "sha256$') == 1


def test_verify_password(accounts: Accounts) -> None:
    added = accounts.add_user("sam", "supervisor", PASSWORD, team="North")
    assert accounts.verify_password("sam", PASSWORD) == added
    assert accounts.verify_password("sam", PASSWORD + "!") is None
    assert accounts.verify_password("Sam", PASSWORD) is None
    assert accounts.verify_password("nobody", PASSWORD) is None
    assert accounts.verify_password("<not a name>", PASSWORD) is None


def test_same_password_gets_a_different_hash_per_user(accounts: Accounts) -> None:
    accounts.add_user("a", "viewer", PASSWORD)
    accounts.add_user("b", "viewer", PASSWORD)
    users = accounts.client.hgetall(accounts.users_key)
    assert users[b"a"] != users[b"b"]


def test_agents_are_their_own_agent_by_default(accounts: Accounts) -> None:
    assert accounts.add_user("a07", "agent", PASSWORD).agent_id == "a07"
    assert accounts.add_user("jo", "agent", PASSWORD, agent_id="a08").agent_id == "a08"
    assert accounts.add_user("sue", "supervisor", PASSWORD).agent_id is None
    assert [u.name for u in accounts.list_users()] == ["a07", "jo", "sue"]


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"name": "has space"}, "name", "must be 1-64 letters"),
        ({"name": ""}, "name", "must be 1-64 letters"),
        ({"name": "x" * 65}, "name", "must be 1-64 letters"),
        ({"role": "boss"}, "role", "must be one of admin, supervisor, agent, viewer"),
        ({"password": "short"}, "password", "at least 8 characters"),
        ({"password": "x" * 1025}, "password", "at most 1024 characters"),
        ({"team": "a/b"}, "team", "must be 1-64 letters"),
        ({"agent_id": "a01"}, "agent_id", "only users with role agent"),
        ({"role": "agent", "agent_id": "a 1"}, "agent_id", "must be 1-64 letters"),
    ],
)  # fmt: skip
def test_bad_user_input_names_the_field(accounts, kwargs, field, reason) -> None:
    args = {"name": "sam", "role": "viewer", "password": PASSWORD, **kwargs}
    with pytest.raises(SchemaError) as err:
        accounts.add_user(args.pop("name"), args.pop("role"), args.pop("password"), **args)
    assert err.value.field == field and reason in err.value.reason
    assert accounts.list_users() == []


def test_a_taken_name_is_refused(accounts: Accounts) -> None:
    accounts.add_user("sam", "viewer", PASSWORD)
    with pytest.raises(SchemaError, match="name: user 'sam' already exists"):
        accounts.add_user("sam", "admin", "another password")
    assert accounts.get_user("sam").role == "viewer"


def test_set_password_and_remove(accounts: Accounts) -> None:
    before = accounts.add_user("sam", "viewer", PASSWORD)
    accounts.set_password("sam", "a new password")
    assert accounts.verify_password("sam", PASSWORD) is None
    after = accounts.verify_password("sam", "a new password")
    assert after is not None and after.password_set > before.password_set
    with pytest.raises(SchemaError, match="password: must be at least 8"):
        accounts.set_password("sam", "short")
    accounts.remove_user("sam")
    assert accounts.get_user("sam") is None
    with pytest.raises(SchemaError, match="name: no user 'sam'"):
        accounts.set_password("sam", "a new password")
    assert accounts.get_user("sam") is None  # not brought back by the failed update
    with pytest.raises(SchemaError, match="name: no user 'sam'"):
        accounts.remove_user("sam")


def test_verify_token(accounts: Accounts) -> None:
    token = accounts.create_token("acd-1", "supervisor")
    assert re.fullmatch(r"fb_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token)
    found = accounts.verify_token(token)
    assert found is not None and (found.label, found.role) == ("acd-1", "supervisor")
    assert accounts.list_tokens() == [found]
    _, token_id, secret = token.split("_", 2)
    assert accounts.verify_token(f"fb_{token_id}_{secret[:-1]}x") is None
    for bad in ("", "fb_", "fb__x", f"xx_{token_id}_{secret}", f"fb_000000000000_{secret}"):
        assert accounts.verify_token(bad) is None


def test_revoking_takes_effect_at_once_in_every_process(redis_server, accounts) -> None:
    token = accounts.create_token("wall-1", "viewer")
    token_id = token.split("_")[1]
    assert accounts.verify_token(token) is not None  # now cached in this "worker"
    assert accounts.verify_token(token) is not None
    other_worker = Accounts(connect(redis_server.url), accounts.prefix)
    other_worker.revoke_token(token_id)
    assert accounts.verify_token(token) is None
    assert accounts.get_token(token_id) is None and accounts.list_tokens() == []
    with pytest.raises(SchemaError, match="id: no token"):
        other_worker.revoke_token(token_id)


@pytest.mark.parametrize(
    ("label", "role", "field"), [("a b", "viewer", "label"), ("acd", "root", "role")]
)
def test_bad_token_input_names_the_field(accounts, label, role, field) -> None:
    with pytest.raises(SchemaError) as err:
        accounts.create_token(label, role)
    assert err.value.field == field
    assert accounts.list_tokens() == []


def test_sessions_expire_and_close(accounts: Accounts) -> None:
    sid = accounts.open_session({"kind": "user", "name": "sam"}, 60)
    assert accounts.session(sid, 60) == {"kind": "user", "name": "sam"}
    assert accounts.session(sid + "x", 60) is None
    accounts.close_session(sid)
    assert accounts.session(sid, 60) is None


def test_checking_a_token_never_costs_a_scrypt(accounts: Accounts) -> None:
    """A known id with a wrong secret, an unknown id and a revoked one cost one SHA-256 each,
    the same as a good token: no free CPU for whoever floods the API with made-up tokens."""
    token = accounts.create_token("acd-1", "supervisor")
    _, token_id, secret = token.split("_", 2)
    revoked = accounts.create_token("old", "viewer")
    accounts.revoke_token(revoked.split("_")[1])
    tries = [token, f"fb_{token_id}_{secret[::-1]}", f"fb_ffffffffffff_{secret}", revoked]
    started = time.perf_counter()
    results = [accounts.verify_token(t) for t in tries * 50]
    took = (time.perf_counter() - started) / len(results)
    assert [r is not None for r in results[:4]] == [True, False, False, False]
    assert took < 0.005, f"{took * 1000:.1f} ms per check: a scrypt is tens of ms"


def test_seed_demo_creates_working_logins_and_reseeding_replaces_them(accounts) -> None:
    accounts.add_user("a01", "viewer", PASSWORD)  # a leftover from an older demo run
    text = seed_demo(accounts, {"a01": "North", "a02": "Digital"})
    passwords = dict(re.findall(r"(\w+)\s+\S+(?: … \S+)? / (\S+)", text))
    assert set(passwords) == {"supervisor", "admin", "agents"}
    assert accounts.verify_password("super", passwords["supervisor"]).role == "supervisor"
    assert accounts.verify_password("admin", passwords["admin"]).role == "admin"
    a01 = accounts.verify_password("a01", passwords["agents"])
    assert (a01.role, a01.agent_id, a01.team) == ("agent", "a01", "North")
    assert "a01 … a02" in text
    again = dict(re.findall(r"(\w+)\s+\S+(?: … \S+)? / (\S+)", seed_demo(accounts, {"a01": None})))
    assert accounts.verify_password("super", passwords["supervisor"]) is None
    assert accounts.verify_password("super", again["supervisor"]) is not None


# -- the floorboard user / token commands -----------------------------------------------------


@pytest.fixture
def cli_env(redis_server, prefix, make_config) -> dict[str, str]:
    return {"REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(make_config(prefix))}


def test_cli_users(cli_env, accounts: Accounts) -> None:
    r = floorboard(
        "user", "add", "sam", "--role", "supervisor", "--team", "North", "--password-stdin",
        env=cli_env, stdin=PASSWORD + "\n",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "added user sam (supervisor)" in r.stdout
    assert accounts.verify_password("sam", PASSWORD).team == "North"

    r = floorboard("user", "passwd", "sam", "--password-stdin", env=cli_env, stdin="new password\n")
    assert r.returncode == 0, r.stderr
    assert accounts.verify_password("sam", "new password") is not None

    r = floorboard("user", "list", env=cli_env)
    assert r.returncode == 0, r.stderr
    assert re.search(r"^sam\s+supervisor\s+North\s+-\s+\d{4}-", r.stdout, re.M)
    assert PASSWORD not in r.stdout and "scrypt" not in r.stdout

    r = floorboard("user", "remove", "sam", env=cli_env)
    assert r.returncode == 0, r.stderr
    assert accounts.get_user("sam") is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["user", "add", "sam", "--role", "boss", "--password-stdin"], PASSWORD,
         "floorboard: role: must be one of admin, supervisor, agent, viewer"),
        (["user", "add", "sam", "--role", "agent", "--password-stdin"], "short",
         "floorboard: password: must be at least 8 characters"),
        (["user", "add", "s m", "--role", "agent", "--password-stdin"], PASSWORD,
         "floorboard: name: must be 1-64 letters"),
        (["user", "add", "sam", "--role", "agent"], PASSWORD,
         "floorboard: password: use --password-stdin when stdin is not a terminal"),
        (["user", "remove", "nobody"], None, "floorboard: name: no user 'nobody'"),
        (["user", "passwd", "nobody", "--password-stdin"], PASSWORD,
         "floorboard: name: no user 'nobody'"),
        (["token", "create", "acd-1", "--role", "root"], None, "floorboard: role: must be one of"),
        (["token", "revoke", "abc"], None, "floorboard: id: no token 'abc'"),
    ],
)  # fmt: skip
def test_cli_refuses_bad_input(cli_env, accounts, args, stdin, message) -> None:
    r = floorboard(*args, env=cli_env, stdin=stdin)
    assert r.returncode != 0
    assert message in r.stderr
    assert accounts.list_users() == [] and accounts.list_tokens() == []


def test_cli_changes_a_role_in_place(cli_env, accounts: Accounts) -> None:
    accounts.add_user("ann", "agent", PASSWORD, team="North", agent_id="a01")
    r = floorboard("user", "role", "ann", "supervisor", env=cli_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "user ann is now supervisor"
    ann = accounts.verify_password("ann", PASSWORD)  # the password is kept
    assert (ann.role, ann.agent_id, ann.team) == ("supervisor", None, "North")

    r = floorboard("user", "role", "ann", "agent", env=cli_env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "user ann is now agent, agent ann"  # an agent needs an agent id
    assert accounts.get_user("ann").agent_id == "ann"


def test_cli_lists_times_on_the_centres_clock_not_the_machines(cli_env, accounts) -> None:
    accounts.add_user("sam", "viewer", PASSWORD)
    created = accounts.get_user("sam").created
    london = time_text(created, ZoneInfo("Europe/London"))  # the example config's centre
    assert london != time_text(created, ZoneInfo("Pacific/Auckland"))
    r = floorboard("user", "list", env={**cli_env, "TZ": "Pacific/Auckland"})
    assert r.returncode == 0, r.stderr
    assert re.search(rf"^sam\s+viewer\s+-\s+-\s+{london}$", r.stdout, re.M), r.stdout


def test_cli_passwords_are_never_arguments(cli_env) -> None:
    r = floorboard("user", "add", "sam", "--role", "agent", "--password", PASSWORD, env=cli_env)
    assert r.returncode == 2 and "unrecognized arguments" in r.stderr


def test_cli_tokens(cli_env, accounts: Accounts) -> None:
    r = floorboard("token", "create", "acd-1", "--role", "supervisor", env=cli_env)
    assert r.returncode == 0, r.stderr
    token = r.stdout.strip()  # alone on stdout, for TOKEN=$(floorboard token create …)
    found = accounts.verify_token(token)
    assert found is not None and found.role == "supervisor"
    assert f"token {found.id} for acd-1 (supervisor)" in r.stderr

    r = floorboard("token", "list", env=cli_env)
    assert r.returncode == 0, r.stderr
    assert re.search(rf"^{found.id}\s+acd-1\s+supervisor\s", r.stdout, re.M)
    assert token.split("_", 2)[2] not in r.stdout

    r = floorboard("token", "revoke", found.id, env=cli_env)
    assert r.returncode == 0, r.stderr
    assert accounts.verify_token(token) is None


def test_cli_without_a_redis_url_says_so(make_config, prefix) -> None:
    r = floorboard("user", "list", env={"FLOORBOARD_CONFIG": str(make_config(prefix))})
    assert r.returncode != 0 and "REDIS_URL is not set" in r.stderr
