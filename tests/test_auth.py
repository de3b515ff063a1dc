"""Authentication and authorisation over HTTP, against a real Redis.

Most tests use a small Flask app with ``init_auth`` and a few protected routes, standing in
for the API and the pages; the last ones run the real ``floorboard serve`` to check the wiring,
including that Dash's own callback POSTs are covered by the CSRF check.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Iterator

import flask
import pytest
import requests
from flask.testing import FlaskClient

from dashboard.auth import init_auth
from dashboard.auth.access import require_role
from dashboard.auth.csrf import CSRF_COOKIE
from dashboard.auth.principal import current_principal
from dashboard.auth.sessions import load_secret_key
from dashboard.pages.login import limits
from dashboard.pages.login import views as login_views
from feeds.accounts.store import Accounts
from feeds.bus.bus import connect

PASSWORD = "correct horse battery"
SECRET = "s" * 40
ROLES = ("viewer", "agent", "supervisor", "admin")


@pytest.fixture(scope="session")
def user_records(redis_server) -> dict[bytes, bytes]:
    """One user per role (``viewer1`` …), hashed once: scrypt is slow on purpose."""
    a = Accounts(connect(redis_server.url), "users-template:")
    for role in ROLES:
        a.add_user(f"{role}1", role, PASSWORD, team="North" if role == "agent" else None)
    records = a.client.hgetall(a.users_key)
    a.client.close()
    return records


@pytest.fixture
def accounts(redis_server, prefix, user_records) -> Iterator[Accounts]:
    a = Accounts(connect(redis_server.url), prefix)
    a.client.hset(a.users_key, mapping=user_records)
    yield a
    a.client.close()


def make_app(accounts: Accounts, *, walls_open: bool = True) -> flask.Flask:
    app = flask.Flask(__name__)
    csrf = init_auth(app, accounts, secret_key=SECRET, walls_open=walls_open)
    login_views.register(app, accounts, csrf)

    @app.get("/api/whoami")
    @require_role("viewer")
    def whoami() -> flask.Response:
        return flask.jsonify(dataclasses.asdict(current_principal()))

    for role in ROLES:
        app.add_url_rule(
            f"/api/{role}",
            f"post_{role}",
            require_role(role)(lambda: {"ok": True}),
            methods=["POST"],
        )
    app.add_url_rule("/open", "open", lambda: {"ok": True}, methods=["POST"])  # as Dash callbacks
    app.add_url_rule("/wall/<board>", "wall", lambda board: f"wall {board}")
    app.add_url_rule("/stream", "stream", lambda: "stream")
    return app


@pytest.fixture
def app(accounts: Accounts) -> flask.Flask:
    return make_app(accounts)


@pytest.fixture
def client(app: flask.Flask) -> FlaskClient:
    return app.test_client()


def form_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(
    client: FlaskClient,
    name: str,
    password: str = PASSWORD,
    next_: str | None = None,
    address: str = "127.0.0.1",
):
    token = form_token(client.get("/login").get_data(as_text=True))
    url = "/login" + (f"?next={requests.utils.quote(next_, safe='')}" if next_ else "")
    data = {"username": name, "password": password, "csrf_token": token}
    return client.post(url, data=data, environ_base={"REMOTE_ADDR": address})


def csrf(client: FlaskClient) -> dict[str, str]:
    """The header Dash's renderer sends: the value of the readable ``_csrf_token`` cookie."""
    return {"X-CSRFToken": client.get_cookie(CSRF_COOKIE).value}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# -- who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["/api/viewer", "/api/agent", "/api/supervisor", "/api/admin"])
def test_no_credentials_is_401_naming_the_field(client: FlaskClient, route: str) -> None:
    r = client.post(route)
    assert r.status_code == 401
    assert r.json == {"error": {"field": "authorization", "reason": "log in or send an API token"}}
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("role", ROLES)
def test_role_hierarchy_with_tokens(client: FlaskClient, accounts: Accounts, role: str) -> None:
    token = accounts.create_token(f"{role}-script", role)
    for required in ROLES:
        r = client.post(f"/api/{required}", headers=bearer(token))
        allowed = ROLES.index(role) >= ROLES.index(required)
        assert r.status_code == (200 if allowed else 403), (role, required)
        if not allowed:
            assert r.json["error"]["field"] == "authorization"
            assert f"role {role} cannot do this: needs {required}" in r.json["error"]["reason"]
    me = client.get("/api/whoami", headers=bearer(token)).json
    assert me == {
        "name": f"{role}-script",
        "role": role,
        "via": "token",
        "agent_id": None,
        "team": None,
    }


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Bearer fb_0123456789ab_nope", "invalid or revoked token"),
        ("Bearer ", "Authorization must be 'Bearer <token>'"),
        ("Basic c3VwZXI6cGFzc3dvcmQ=", "Authorization must be 'Bearer <token>'"),
    ],
)
def test_bad_authorization_headers_are_401(client: FlaskClient, header: str, reason: str) -> None:
    r = client.post("/api/viewer", headers={"Authorization": header})
    assert r.status_code == 401 and r.json["error"]["reason"] == reason


def test_revoked_token_is_refused_at_once(client: FlaskClient, accounts: Accounts) -> None:
    token = accounts.create_token("acd-1", "supervisor")
    assert client.post("/api/supervisor", headers=bearer(token)).status_code == 200
    accounts.revoke_token(token.split("_")[1])
    assert client.post("/api/supervisor", headers=bearer(token)).status_code == 401


def test_require_role_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError, match="roles must be among"):
        require_role("superuser")


# -- browser login ----------------------------------------------------------------------------


def test_login_with_the_form_gives_a_session(client: FlaskClient) -> None:
    r = login(client, "agent1")
    assert r.status_code == 303 and r.headers["Location"] == "/agent/agent1"
    cookies = r.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert "Secure" not in session_cookie
    csrf_cookie = next(c for c in cookies if c.startswith(f"{CSRF_COOKIE}="))
    assert "HttpOnly" not in csrf_cookie and "SameSite=Strict" in csrf_cookie
    me = client.get("/api/whoami").json
    assert me == {
        "name": "agent1",
        "role": "agent",
        "via": "session",
        "agent_id": "agent1",
        "team": "North",
    }
    page = client.get("/login").get_data(as_text=True)
    assert "Signed in as <strong>agent1</strong>" in page


def test_secure_cookies_when_configured(accounts: Accounts) -> None:
    app = flask.Flask(__name__)
    login_views.register(
        app, accounts, init_auth(app, accounts, secret_key=SECRET, cookie_secure=True)
    )
    r = login(app.test_client(), "viewer1")
    assert all("Secure" in c for c in r.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(
    ("role", "landing"), [("supervisor", "/supervisor"), ("admin", "/supervisor"), ("viewer", "/")]
)
def test_login_lands_by_role(client: FlaskClient, role: str, landing: str) -> None:
    assert login(client, f"{role}1").headers["Location"] == landing


def test_login_form_needs_its_csrf_token(client: FlaskClient) -> None:
    client.get("/login")
    data = {"username": "supervisor1", "password": PASSWORD}
    assert client.post("/login", data=data).status_code == 403
    assert client.post("/login", data={**data, "csrf_token": "forged"}).status_code == 403
    assert client.get("/api/whoami").status_code == 401


def test_wrong_password_and_unknown_user_get_the_same_answer(client: FlaskClient) -> None:
    wrong = login(client, "supervisor1", "not the password")
    unknown = login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    for r in (wrong, unknown):
        assert "Wrong username or password." in r.get_data(as_text=True)
    assert client.get("/api/whoami").status_code == 401


@pytest.mark.parametrize(
    "next_",
    ["//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)",
     "evil.example", "/\nLocation: https://evil.example", "http:/evil.example"],
)  # fmt: skip
def test_no_open_redirect_after_login(client: FlaskClient, next_: str) -> None:
    r = login(client, "viewer1", next_=next_)
    assert r.status_code == 303 and r.headers["Location"] == "/"


def test_login_returns_to_the_page_that_asked(client: FlaskClient) -> None:
    r = login(client, "viewer1", next_="/wall/voice?rotate=0")
    assert r.headers["Location"] == "/wall/voice?rotate=0"


def test_login_page_shows_user_input_as_text(client: FlaskClient) -> None:
    payload = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    r = login(client, payload, "whatever-password", next_='/x"><script>alert(3)</script>')
    html = r.get_data(as_text=True)
    assert r.status_code == 401
    assert "<script>" not in html and "<img" not in html
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    )
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]  # and no script at all


def test_failed_sign_ins_lock_the_username_at_that_address(app, client, accounts) -> None:
    n = int(limits.PER_NAME_AT_ADDRESS.split()[0])
    statuses = [login(client, "supervisor1", f"wrong-{i}").status_code for i in range(n)]
    assert statuses == [401] * n
    r = login(client, "supervisor1")  # even the right password, while locked
    assert r.status_code == 429
    assert 880 <= int(r.headers["Retry-After"]) <= 900
    assert re.search(r"Too many failed sign-ins for this user: try again in \d+ s",
                     r.get_data(as_text=True))  # fmt: skip
    # The count is in Redis: another worker (app) sees the lock too.
    assert login(make_app(accounts).test_client(), "supervisor1").status_code == 429
    assert client.get("/api/whoami").status_code == 401
    assert login(client, "agent1").status_code == 303  # other users are not locked
    # Nor is the supervisor, from anywhere else: one address cannot lock them out.
    assert login(app.test_client(), "supervisor1", address="10.1.2.3").status_code == 303


def test_only_failed_sign_ins_count(client: FlaskClient) -> None:
    n = int(limits.PER_NAME_AT_ADDRESS.split()[0])
    assert [login(client, "viewer1", "wrong-pass").status_code for _ in range(n - 1)] == [401] * (
        n - 1
    )
    assert [login(client, "viewer1").status_code for _ in range(3)] == [303] * 3
    assert login(client, "viewer1", "wrong-pass").status_code == 401  # the n-th failure
    assert login(client, "viewer1").status_code == 429


def test_one_address_is_limited_whatever_names_it_tries(accounts, monkeypatch) -> None:
    monkeypatch.setattr(limits, "PER_ADDRESS", "3 per minute")
    app = make_app(accounts)
    client = app.test_client()
    statuses = [login(client, f"user{i}", "wrong-pass").status_code for i in range(4)]
    assert statuses == [401, 401, 401, 429]
    r = login(client, "viewer1")
    assert r.status_code == 429 and 55 <= int(r.headers["Retry-After"]) <= 60
    assert "Too many sign-in attempts from this address" in r.get_data(as_text=True)
    assert login(app.test_client(), "viewer1", address="10.9.9.9").status_code == 303


def test_guessing_from_many_addresses_is_limited_per_username(accounts, monkeypatch) -> None:
    monkeypatch.setattr(limits, "PER_NAME", "3 per hour")
    client = make_app(accounts).test_client()
    statuses = [
        login(client, "admin1", "wrong-pass", address=f"10.0.0.{i}").status_code for i in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_failed_logins_are_slowed(client: FlaskClient) -> None:
    import time

    started = time.monotonic()
    login(client, "viewer1", "wrong-pass")
    assert time.monotonic() - started >= login_views.FAILED_LOGIN_DELAY


def test_unknown_users_lock_like_real_ones(client: FlaskClient) -> None:
    """Otherwise the lockout itself would tell which usernames exist."""
    n = int(limits.PER_NAME_AT_ADDRESS.split()[0])
    assert [login(client, "nobody", "wrong-pass").status_code for _ in range(n + 1)][-1] == 429


# -- sessions end -----------------------------------------------------------------------------


def test_logout_ends_the_session_even_for_a_copied_cookie(app, client: FlaskClient) -> None:
    login(client, "supervisor1")
    stolen = client.get_cookie("session").value
    r = client.post("/logout", data={"csrf_token": client.get_cookie(CSRF_COOKIE).value})
    assert r.status_code == 303 and r.headers["Location"] == "/login"
    assert client.get_cookie(CSRF_COOKIE) is None
    assert client.get("/api/whoami").status_code == 401
    other = app.test_client()
    other.set_cookie("session", stolen)
    assert other.get("/api/whoami").status_code == 401


def test_logout_needs_the_csrf_token(client: FlaskClient) -> None:
    login(client, "supervisor1")
    assert client.post("/logout").status_code == 403
    assert client.get("/api/whoami").status_code == 200


@pytest.mark.parametrize("change", ["password", "remove"])
def test_password_change_or_removal_ends_sessions(client, accounts, change) -> None:
    login(client, "supervisor1")
    assert client.get("/api/whoami").status_code == 200
    if change == "password":
        accounts.set_password("supervisor1", "a new password")
    else:
        accounts.remove_user("supervisor1")
    assert client.get("/api/whoami").status_code == 401


def test_accounts_store_down_is_503_not_401(own_redis, prefix) -> None:
    accounts = Accounts(connect(own_redis.url), prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    client = make_app(accounts).test_client()
    login(client, "sam")
    own_redis.stop()
    r = client.get("/api/whoami")
    assert r.status_code == 503 and r.json["error"]["reason"] == "the account store is unavailable"


# -- CSRF -------------------------------------------------------------------------------------


def test_session_posts_need_the_csrf_header(client: FlaskClient) -> None:
    login(client, "supervisor1")
    for route in ("/api/supervisor", "/open"):
        r = client.post(route)
        assert r.status_code == 403
        assert r.json == {
            "error": {"field": "X-CSRFToken", "reason": "missing or wrong CSRF token"}
        }
        assert client.post(route, headers={"X-CSRFToken": "forged"}).status_code == 403
        assert client.post(route, headers=csrf(client)).status_code == 200
    for method in (client.put, client.patch, client.delete):
        assert method("/open").status_code == 403
    form = {"csrf_token": client.get_cookie(CSRF_COOKIE).value}
    assert client.post("/api/supervisor", data=form).status_code == 200


def test_the_csrf_cookie_alone_does_not_pass(app, client: FlaskClient) -> None:
    """Double submit against the session's own token: a cookie planted by a sibling site fails."""
    login(client, "supervisor1")
    client.set_cookie(CSRF_COOKIE, "planted")
    assert client.post("/open", headers={"X-CSRFToken": "planted"}).status_code == 403


def test_csrf_token_is_new_on_each_login(client: FlaskClient) -> None:
    client.get("/login")
    before = client.get_cookie("session").value
    login(client, "supervisor1")
    first = csrf(client)
    client.post("/logout", data={"csrf_token": first["X-CSRFToken"]})
    login(client, "supervisor1")
    assert csrf(client) != first and client.get_cookie("session").value != before


def test_token_and_anonymous_posts_need_no_csrf(client: FlaskClient, accounts: Accounts) -> None:
    token = accounts.create_token("acd-1", "supervisor")
    assert client.post("/api/supervisor", headers=bearer(token)).status_code == 200
    assert client.post("/open").status_code == 200  # no principal: nothing to forge


# -- wall screens -----------------------------------------------------------------------------


def test_open_walls_need_nothing(client: FlaskClient) -> None:
    assert client.get("/wall/main").status_code == 200
    assert client.get("/stream?view=wall&board=main").status_code == 200


def test_closed_walls_need_a_viewer(accounts: Accounts) -> None:
    client = make_app(accounts, walls_open=False).test_client()
    r = client.get("/wall/main?rotate=1")
    assert r.status_code == 302 and r.headers["Location"] == "/login?next=/wall/main%3Frotate%3D1"
    r = client.get("/stream?view=wall&board=main")
    assert r.status_code == 401 and r.json["error"]["field"] == "authorization"
    assert client.get("/stream?view=other").status_code == 200  # other views are not walls
    r = login(client, "viewer1", next_="/wall/main?rotate=1")
    assert r.headers["Location"] == "/wall/main?rotate=1"
    assert client.get("/wall/main").get_data(as_text=True) == "wall main"
    assert client.get("/stream?view=wall&board=main").status_code == 200


def test_closed_walls_take_a_viewer_token_in_the_url(accounts: Accounts) -> None:
    app = make_app(accounts, walls_open=False)
    client = app.test_client()
    token = accounts.create_token("north-wall", "viewer")
    r = client.get(f"/wall/main?token={token}&rotate=1")
    assert r.status_code == 303 and r.headers["Location"] == "/wall/main?rotate=1"
    assert client.get("/wall/main?rotate=1").status_code == 200  # the session does the rest
    assert client.get("/stream?view=wall&board=main").status_code == 200
    assert client.post("/open").status_code == 403  # the page's callbacks: CSRF as ever
    assert client.post("/open", headers=csrf(client)).status_code == 200
    assert client.get("/api/whoami").json["name"] == "north-wall"
    assert client.post("/api/agent", headers=csrf(client)).status_code == 403  # a viewer only
    # A stream may carry the token itself (EventSource cannot send headers).
    assert app.test_client().get(f"/stream?view=wall&board=main&token={token}").status_code == 200
    accounts.revoke_token(token.split("_")[1])
    assert client.get("/stream?view=wall&board=main").status_code == 401
    assert client.get("/wall/main").status_code == 302


@pytest.mark.parametrize(
    ("role", "status", "reason"),
    [("supervisor", 403, "only viewer tokens may be given in a URL"),
     (None, 401, "invalid or revoked token")],
)  # fmt: skip
def test_closed_walls_refuse_other_url_tokens(accounts, role, status, reason) -> None:
    client = make_app(accounts, walls_open=False).test_client()
    token = accounts.create_token("x", role) if role else "fb_0123456789ab_wrong"
    for path in (f"/wall/main?token={token}", f"/stream?view=wall&token={token}"):
        r = client.get(path)
        assert r.status_code == status and r.json == {"error": {"field": "token", "reason": reason}}
    assert client.get_cookie(CSRF_COOKIE) is None


# -- the secret key ---------------------------------------------------------------------------


def test_secret_key_from_the_environment_or_kept_in_the_state_dir(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("FLOORBOARD_SECRET_KEY", raising=False)
    key = load_secret_key(tmp_path / "state")
    path = tmp_path / "state" / "secret_key"
    assert len(key) >= 32 and path.read_text() == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_secret_key(tmp_path / "state") == key
    assert os.listdir(tmp_path / "state") == ["secret_key"]
    monkeypatch.setenv("FLOORBOARD_SECRET_KEY", "k" * 32)
    assert load_secret_key(tmp_path / "state") == "k" * 32
    monkeypatch.setenv("FLOORBOARD_SECRET_KEY", "short")
    with pytest.raises(ValueError, match="FLOORBOARD_SECRET_KEY: must be at least 32"):
        load_secret_key(tmp_path / "state")


# -- the real app -----------------------------------------------------------------------------

# What Dash's renderer posts when the wall page loads: the pages router renders its layout.
PAGES_CALLBACK = {
    "output": ".._pages_content.children..._pages_store.data..",
    "outputs": [
        {"id": "_pages_content", "property": "children"},
        {"id": "_pages_store", "property": "data"},
    ],
    "inputs": [
        {"id": "_pages_location", "property": "pathname", "value": "/wall/main"},
        {"id": "_pages_location", "property": "search", "value": ""},
    ],
    "changedPropIds": ["_pages_location.pathname"],
    "state": [],
}


def test_the_app_serves_login_and_guards_dash_callbacks(
    redis_server, prefix, start_app, tmp_path, monkeypatch
) -> None:
    monkeypatch.delenv("FLOORBOARD_SECRET_KEY", raising=False)
    monkeypatch.setenv("FLOORBOARD_STATE_DIR", str(tmp_path / "state"))
    accounts = Accounts(connect(redis_server.url), prefix)
    accounts.add_user("sam", "supervisor", PASSWORD)
    app = start_app(redis_server.url, prefix)
    assert stat.S_IMODE((tmp_path / "state" / "secret_key").stat().st_mode) == 0o600

    browser = requests.Session()
    assert browser.get(f"{app.base}/wall/main", timeout=5).status_code == 200  # open walls
    page = browser.get(f"{app.base}/login", timeout=5)
    assert page.status_code == 200
    r = browser.post(
        f"{app.base}/login?next=/wall/main",
        data={"username": "sam", "password": PASSWORD, "csrf_token": form_token(page.text)},
        allow_redirects=False,
        timeout=5,
    )
    assert r.status_code == 303 and r.headers["Location"] == "/wall/main"
    # A Dash callback POST made with the session cookie but without the header is refused
    # before Dash sees it; with the header Dash's renderer sends, it reaches Dash.
    url = f"{app.base}/_dash-update-component"
    assert browser.post(url, json=PAGES_CALLBACK, timeout=5).status_code == 403
    header = {"X-CSRFToken": browser.cookies[CSRF_COOKIE]}
    r = browser.post(url, json=PAGES_CALLBACK, headers=header, timeout=5)
    assert r.status_code == 200 and "Contact floor" in r.text


def test_the_actor_is_the_person_whichever_way_they_came_in(monkeypatch) -> None:
    """Audit entries and message authors name people as people read them; a token is a feed."""
    from dashboard.auth.principal import Principal
    from dashboard.cli.context import actor

    assert Principal("super", "supervisor", "session").actor == "super"
    assert Principal("super", "supervisor", "proxy").actor == "super"
    assert Principal("acd-1", "supervisor", "token").actor == "token: acd-1"
    monkeypatch.setenv("USER", "ops")
    assert actor() == "cli: ops"
