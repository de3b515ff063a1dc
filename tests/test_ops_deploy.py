"""The deployment recipes in deploy/, checked against the real tools they configure.

* Redis: Debian's ``redis-server`` 7 started as deploy/README.md installs it (Debian's
  ``redis.conf``, then ``deploy/redis/floorboard.conf`` included last, and ``users.acl`` as
  shipped with only the passwords filled in). The app, the CLI's writers, a sign-in,
  the API, a backup and a restore all work through the ``floorboard`` ACL user without one
  denial in Redis's ACL log; that user cannot touch another prefix or run admin commands; the
  default user is off; and the data outlives a ``kill -9`` of Redis (AOF).
* systemd: every unit passes ``systemd-analyze verify``, and every ``floorboard`` command line
  in them is accepted by the CLI's own parser (a renamed option fails here, not at 3 a.m.).
* ``deploy/floorboard.env`` passes ``floorboard config check``, which masks its secrets.
* nginx (Debian's) with ``deploy/nginx/floorboard.conf``: ``nginx -t`` passes, plain HTTP is
  sent to HTTPS, and over TLS the wall's stream gets each update within a second of its
  publication (the app's ``X-Accel-Buffering: no`` and the recipe's ``proxy_buffering off``
  each keep nginx from holding events back).
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
import redis
import requests
from conftest import SSEClient
from local_redis import local_client

from dashboard.cli import cli
from feeds.bus.bus import Bus
from feeds.bus.embedded import free_port
from feeds.bus.schema import make_envelope

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DEBIAN_CONF = Path("/etc/redis/redis.conf")
ADMIN, APP = "admin-pw-0123456789", "app-pw-0123456789"


class AclRedis:
    """Debian's redis-server with the recipe's config and ACL file."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.port = free_port()
        acl = (DEPLOY / "redis" / "users.acl").read_text()
        acl = acl.replace("CHANGE-ME-admin-password", ADMIN).replace("CHANGE-ME-app-password", APP)
        (directory / "users.acl").write_text(acl)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://floorboard:{APP}@127.0.0.1:{self.port}/0"

    def admin(self) -> redis.Redis:
        return local_client(self.port, "admin", ADMIN)

    def start(self) -> AclRedis:
        server = shutil.which("redis-server")
        assert server, "redis-server 7 is needed (scripts/ensure-test-tools installs it)"
        assert DEBIAN_CONF.exists(), "Debian's redis-server package is needed (its redis.conf)"
        # As installed: Debian's redis.conf, the recipe included last; then this test's port,
        # directory and ACL file, in the foreground, logging to stdout.
        self.process = subprocess.Popen(
            [server, str(DEBIAN_CONF), "--include", str(DEPLOY / "redis" / "floorboard.conf"),
             "--port", str(self.port), "--dir", str(self.dir),
             "--aclfile", str(self.dir / "users.acl"), "--daemonize", "no", "--logfile", "",
             "--pidfile", str(self.dir / "redis.pid")],
            stdout=self.dir.joinpath("redis.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                if self.admin().ping():
                    return self
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "redis-server did not start"
                time.sleep(0.05)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)


@pytest.fixture
def acl_redis(tmp_path: Path) -> Iterator[AclRedis]:
    server = AclRedis(tmp_path).start()
    yield server
    server.kill()


def floorboard(*args: str, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], cwd=ROOT, env=env,
                          input=stdin, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 0, f"floorboard {args[0]}: {done.stderr}"
    return done.stdout + done.stderr


def test_the_redis_recipe_keeps_the_app_to_its_prefix_and_its_data_through_a_crash(
    acl_redis: AclRedis, start_app, sse, tmp_path: Path
) -> None:
    version = acl_redis.admin().info("server")["redis_version"]
    assert int(version.split(".")[0]) >= 7, version  # Debian 12's is 7.0
    assert acl_redis.admin().config_get("appendonly") == {"appendonly": "yes"}
    app = start_app(acl_redis.url, "fb:")  # ready = Redis reached, hub synchronised
    env = {**os.environ, "REDIS_URL": acl_redis.url, "FLOORBOARD_CONFIG": str(app.config)}

    assert "done: version 1" in floorboard("migrate", env=env)
    floorboard("user", "add", "sam", "--role", "supervisor", "--password-stdin",
               env=env, stdin="a long password 1\n")  # fmt: skip
    token = re.search(r"fb_[\w-]+", floorboard("token", "create", "acd", "--role", "admin",
                                            env=env)).group(0)  # fmt: skip
    floorboard("message", "post", "Storm tonight", env=env)
    event = {"kind": "queue", "id": "billing", "ts": time.time(), "data": {"waiting": 7}}
    posted = requests.post(f"{app.base}/api/v1/events", json=event, timeout=5,
                           headers={"Authorization": f"Bearer {token}"})  # fmt: skip
    assert posted.status_code < 300, posted.text
    browser = requests.Session()
    form = browser.get(f"{app.base}/login", timeout=5).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    signed = browser.post(f"{app.base}/login", allow_redirects=False, timeout=10, data={
        "username": "sam", "password": "a long password 1", "csrf_token": csrf})  # fmt: skip
    assert signed.status_code == 303
    screen = sse(app.port, "/stream?view=wall&board=main")
    tile = screen.next_of("snapshot")["data"]["items"]["tile:billing"]
    assert tile["fields"]["waiting"]["text"] == "7"
    screen.close()
    backup = tmp_path / "backup.json"
    floorboard("backup", str(backup), env=env)
    app.stop()
    floorboard("restore", "--replace", str(backup), env=env)

    admin = acl_redis.admin()
    assert admin.acl_log() == [], "the app was refused something"
    assert {k.decode().split(":")[0] for k in admin.keys("*")} == {"fb"}

    own = redis.Redis.from_url(acl_redis.url)
    for command in (("SET", "other:x", "1"), ("GET", "other:x"), ("FLUSHALL",), ("KEYS", "*"),
                    ("CONFIG", "GET", "*"), ("ACL", "LIST"), ("SHUTDOWN",)):  # fmt: skip
        with pytest.raises(redis.exceptions.NoPermissionError):
            own.execute_command(*command)
    with pytest.raises(redis.exceptions.AuthenticationError):
        local_client(acl_redis.port).ping()  # the default user is off
    own.close()

    time.sleep(1.5)  # appendfsync everysec: what is a second old is on disk
    acl_redis.kill()
    acl_redis.start()
    assert "Storm tonight" in floorboard("message", "list", env=env)
    assert "sam" in floorboard("user", "list", env=env)
    admin.close()


def _commands(unit: str) -> list[list[str]]:
    """The ``floorboard`` argument lists of a unit's ExecStart / ExecStartPre lines."""
    found = []
    for line in unit.splitlines():
        if not re.match(r"Exec(Start|StartPre|StartPost)=", line):
            continue
        words = shlex.split(line.split("=", 1)[1])
        if words[:2] == ["/bin/sh", "-c"]:
            words = shlex.split(words[2].removeprefix("exec "))
        if words[0].endswith("/floorboard"):
            found.append(words[1:])
    return found


def _parse(args: list[str]) -> None:
    """Parse ``args`` with the CLI's own commands and options, without running them (the units
    give no options to the groups, only to the commands)."""
    command: click.Command = cli
    while isinstance(command, click.Group):
        name, *args = args
        found = command.get_command(click.Context(command), name)
        assert found is not None, f"no command {name!r}"
        command = found
    command.make_context(command.name or "", args)


def test_the_systemd_units_verify_and_their_commands_parse(tmp_path: Path) -> None:
    units = sorted((DEPLOY / "systemd").iterdir())
    names = {u.name for u in units}
    assert {"floorboard.service", "floorboard-ami.service", "floorboard-simulate.service",
            "floorboard-replay@.service", "floorboard-backup.timer"} <= names  # fmt: skip
    secret = tmp_path / "ami-secret"
    secret.write_text("s3cret\n")
    replay = ROOT / "docs" / "samples" / "contacts-day.csv"
    assert replay.exists()
    parsed = 0
    for unit in units:
        text = unit.read_text().replace("/opt/floorboard", str(ROOT))
        (tmp_path / unit.name).write_text(text)
        for args in _commands(unit.read_text()):
            args = [a.replace("%d/ami-secret", str(secret)) for a in args]
            args = [str(replay) if a.endswith("%I.csv") else a for a in args]
            _parse(args)
            parsed += 1
    assert parsed == 6
    verify = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *(str(tmp_path / n) for n in sorted(names))],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert verify.returncode == 0 and not verify.stderr.strip(), verify.stderr


def test_the_environment_file_passes_the_config_check_with_its_secrets_masked() -> None:
    env = dict(os.environ)
    for line in (DEPLOY / "floorboard.env").read_text().splitlines():
        if line and not line.startswith("#"):
            name, value = line.split("=", 1)
            env[name] = value
    checked = floorboard("config", "check", str(ROOT / "floorboard.toml"), env=env)
    assert "REDIS_URL=redis://floorboard:***@127.0.0.1:6379/0" in checked
    assert "FLOORBOARD_METRICS_TOKEN=(set, " in checked
    assert "CHANGE-ME" not in checked


class TlsSSE(SSEClient):
    """The stream reader, over TLS, trusting one self-signed certificate."""

    def __init__(self, port: int, path: str, cafile: Path) -> None:
        context = ssl.create_default_context(cafile=str(cafile))
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
        self.conn.request("GET", path, headers={"Accept": "text/event-stream"})
        self.resp = self.conn.getresponse()
        self.retry = None


def _nginx(tmp_path: Path, app_port: int) -> tuple[list[str], int, int, Path]:
    """The recipe's site, on free ports with a self-signed certificate, inside a minimal
    nginx.conf: (the command, the HTTP port, the HTTPS port, the certificate)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=floor.test", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)  # fmt: skip
    http_port, tls_port = free_port(), free_port()
    site = (DEPLOY / "nginx" / "floorboard.conf").read_text()
    site = site.replace("server 127.0.0.1:8050;", f"server 127.0.0.1:{app_port};")
    site = re.sub(r"^\s*listen \[::\].*\n", "", site, flags=re.M)  # no IPv6 needed here
    site = site.replace("listen 80;", f"listen 127.0.0.1:{http_port};")
    site = site.replace("listen 443 ", f"listen 127.0.0.1:{tls_port} ")
    site = site.replace("/etc/ssl/certs/floor.example.com.pem", str(cert))
    site = site.replace("/etc/ssl/private/floor.example.com.key", str(key))
    (tmp_path / "site.conf").write_text(site)
    temp = "".join(f"{kind}_temp_path {tmp_path}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))  # fmt: skip
    (tmp_path / "nginx.conf").write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\naccess_log off;\n{temp}include {tmp_path}/site.conf;\n}}\n"
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(nginx).exists(), "nginx is needed (scripts/ensure-test-tools installs it)"
    command = [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")]
    return command, http_port, tls_port, cert


def test_the_nginx_recipe_serves_over_tls_and_passes_each_event_on_at_once(
    redis_server, prefix, start_app, tmp_path: Path
) -> None:
    app = start_app(redis_server.url, prefix)
    command, http_port, tls_port, cert = _nginx(tmp_path, app.port)
    check = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stderr
    nginx = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"https://127.0.0.1:{tls_port}"
        deadline = time.monotonic() + 10
        while True:
            try:
                ready = requests.get(f"{base}/readyz", verify=cert, timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        plain = requests.get(f"http://127.0.0.1:{http_port}/wall/main", allow_redirects=False,
                             timeout=5)  # fmt: skip
        assert plain.status_code == 301 and plain.headers["Location"].startswith("https://")
        assert requests.get(f"{base}/metrics", verify=cert, timeout=5).status_code == 200

        screen = TlsSSE(tls_port, "/stream?view=wall&board=main", cert)
        screen.next_of("snapshot")
        bus = Bus.from_url(redis_server.url, prefix)
        for waiting in (11, 12, 13):  # each one arrives before the next is sent
            sent = time.monotonic()
            bus.publish(make_envelope("queue", "billing", {"waiting": waiting}, ts=time.time()))
            while True:
                items = screen.next_of("update", timeout=2)["data"]["items"]
                field = items.get("tile:billing", {}).get("fields", {}).get("waiting", {})
                if field.get("text") == str(waiting):
                    break
            assert time.monotonic() - sent < 1.0, "nginx held the event back"
        screen.close()
        bus.client.close()
    finally:
        nginx.terminate()
        nginx.wait(10)
