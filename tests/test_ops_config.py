"""The configuration as an installation sets it: keys from the environment over the file,
``floorboard config check`` on good and bad files, and log lines that never carry a secret.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dashboard.ops.logs import JsonFormatter, TextFormatter, scrub
from feeds import config_env
from feeds.config import ConfigError, load_config

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "floorboard.toml"


def check(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FLOORBOARD")}
    clean.pop("REDIS_URL", None)
    return subprocess.run([sys.executable, "-m", "dashboard.cli", "config", "check", *args],
                          cwd=ROOT, env={**clean, **(env or {})}, capture_output=True,
                          text=True, timeout=60)  # fmt: skip


def test_environment_keys_are_toml_values_over_the_file() -> None:
    env = {
        "FLOORBOARD__STREAM__COALESCE_MS": "50",
        "floorboard__centre__name": "North site",  # a plain string needs no quotes
        "FLOORBOARD__CUSTOMERS__CRM__URL": '"https://crm.example/c/{id}"',
        "FLOORBOARD__METRICS__NETWORKS": '["10.0.0.0/8"]',
        "FLOORBOARD__ADAPTERS__AMI__QUEUE_MAP": '{ Sales = "billing" }',  # case kept inside
        "FLOORBOARD__LOG__FORMAT": "json",
        "FLOORBOARD_CONFIG": "not a key",  # one underscore: not an override
    }
    data = {"stream": {"coalesce_ms": 0}, "adapters": {"ami": {}}}
    applied = config_env.apply(data, env)
    assert data["stream"]["coalesce_ms"] == 50 and data["centre"]["name"] == "North site"
    assert data["customers"]["crm"]["url"] == "https://crm.example/c/{id}"
    assert data["metrics"]["networks"] == ["10.0.0.0/8"]
    assert data["adapters"]["ami"]["queue_map"] == {"Sales": "billing"}
    assert applied["stream.coalesce_ms"] == "FLOORBOARD__STREAM__COALESCE_MS"
    assert len(applied) == 6
    for name, reason in (("FLOORBOARD__QUEUES__0__NAME", "lists of tables"),
                         ("FLOORBOARD__STREAM", "must name a section and a key"),
                         ("FLOORBOARD__REDIS__PREFIX__X", "a value in the file")):  # fmt: skip
        with pytest.raises(config_env.EnvError, match=reason) as err:
            config_env.apply({"redis": {"prefix": "fb:"}}, {name: "1"})
        assert err.value.variable == name


def test_a_bad_environment_key_is_refused_naming_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("FLOORBOARD__STREAM__COALESCE_MS", "5000")
    with pytest.raises(ConfigError) as err:
        load_config(EXAMPLE)
    assert err.value.key == "stream.coalesce_ms"
    assert err.value.reason.endswith("(set by $FLOORBOARD__STREAM__COALESCE_MS)")
    monkeypatch.setenv("FLOORBOARD__STREAM__COALESCE_MS", "50")
    monkeypatch.setenv("FLOORBOARD__HEALTH__MAX_LAGG", "5")
    with pytest.raises(ConfigError, match=r"health\.max_lagg: unknown key \(set by \$FLOOR"):
        load_config(EXAMPLE)
    monkeypatch.delenv("FLOORBOARD__HEALTH__MAX_LAGG")
    assert load_config(EXAMPLE).stream.coalesce_ms == 50


def test_config_check_prints_the_effective_config_with_secrets_masked(tmp_path: Path) -> None:
    env = {
        "REDIS_URL": "redis://floorboard:hunter2hunter2@redis.internal:6379/0",
        "FLOORBOARD_SECRET_KEY": "k" * 40,
        "FLOORBOARD_METRICS_TOKEN": "scrape-secret",
        "FLOORBOARD__CUSTOMERS__CRM__URL": "https://svc:crm-pass@crm.example/c/{id}",
        "FLOORBOARD__HEALTH__MAX_LAG": "500",
    }
    r = check(str(EXAMPLE), env=env)
    assert r.returncode == 0, r.stderr
    assert f"{EXAMPLE}: valid" in r.stdout
    assert "health.max_lag from $FLOORBOARD__HEALTH__MAX_LAG" in r.stdout
    assert "REDIS_URL=redis://floorboard:***@redis.internal:6379/0" in r.stdout
    assert "FLOORBOARD_SECRET_KEY=(set, 40 characters)" in r.stdout
    assert "FLOORBOARD_METRICS_TOKEN=(set, 13 characters)" in r.stdout
    for secret in ("hunter2hunter2", "k" * 40, "scrape-secret", "crm-pass"):
        assert secret not in r.stdout + r.stderr
    effective = json.loads(r.stdout.split("effective configuration:\n", 1)[1])
    assert effective["health"]["max_lag"] == 500
    assert effective["customers"]["crm"]["url"] == "https://svc:***@crm.example/c/{id}"
    assert effective["queues"][0]["id"] == "billing"


@pytest.mark.parametrize(
    ("edit", "env", "message"),
    [
        (("sl_target = 0.80", "sl_target = 8"), {},
         "queues.0.sl_target: Input should be less than or equal to 1"),
        (("[stream]", "[stream]\nbogus = 1"), {}, "stream.bogus: unknown key"),
        (("[centre]", "[centre"), {}, "not valid TOML"),
        (None, {"FLOORBOARD__LOG__LEVEL": "loud"}, "log.level: Input should be 'debug', "),
        (None, {"FLOORBOARD_SECRET_KEY": "short"},
         "FLOORBOARD_SECRET_KEY: must be at least 32 characters"),
    ],
)  # fmt: skip
def test_config_check_refuses_with_file_key_and_reason(tmp_path, edit, env, message) -> None:
    path = tmp_path / "floorboard.toml"
    text = EXAMPLE.read_text()
    path.write_text(text.replace(*edit, 1) if edit else text)
    r = check(str(path), env=env)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("floorboard: ") and message in r.stderr, r.stderr
    if edit:
        assert f"{path}: " in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def _record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord("floorboard.test", logging.INFO, __file__, 1, msg, args, None)
    record.__dict__.update(extra)
    return record


def test_log_lines_carry_the_facts_and_never_a_secret() -> None:
    record = _record(
        "GET /wall/main?token=fb_0a1b2c3d4e5f_SECRETpart from %s", "redis://:pw1234@h:6379/0",
        event="x.y", user="ann", token="fb_0a1b2c3d4e5f_SECRETpart", password="p4ss",
        session_id="s1d", token_id="0a1b2c3d4e5f", duration_ms=1.5,
    )  # fmt: skip
    line = json.loads(JsonFormatter().format(record))
    assert line["event"] == "x.y" and line["user"] == "ann" and line["duration_ms"] == 1.5
    assert line["token_id"] == "0a1b2c3d4e5f"  # a token's id is not its secret
    assert line["token"] == line["password"] == line["session_id"] == "***"
    assert {"time", "level", "logger", "message", "pid"} <= set(line)
    text = TextFormatter().format(record)
    assert "event=x.y" in text and "user=ann" in text
    for output in (json.dumps(line), text):
        assert "SECRETpart" not in output and "pw1234" not in output and "p4ss" not in output
    assert scrub("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert scrub("rediss://ops:s3cr3t@r:6380/0") == "rediss://ops:***@r:6380/0"
    assert scrub("/wall/main?theme=light&token=abc") == "/wall/main?theme=light&token=***"
