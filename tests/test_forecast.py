"""A planner's forecast: checked row by row (line or row, column, reason), stored whole or not
at all, by file (CLI), CSV or JSON (API); a day's intervals and contacts exported as CSV."""

from __future__ import annotations

import http.client
import json
import time
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import test_cli
from test_api import Api, tokens
from test_cli import floorboard

from feeds.bus.bus import Bus
from feeds.config import load_config
from feeds.errors import SchemaError
from feeds.intraday.forecast import ForecastError, read_csv, read_rows
from feeds.intraday.grid import Day
from feeds.intraday.store import IntradayStore
from feeds.simulator.plan import forecast_csv

cli_env = test_cli.cli_env  # the fixture: REDIS_URL and the config for this test's prefix
LONDON = ZoneInfo("Europe/London")
HEAD = "queue,interval,volume,aht\n"


@pytest.fixture(scope="module")
def config():
    return load_config("floorboard.toml")


def day(config, on: date = date(2026, 11, 24)) -> Day:
    return Day.on(on, config.tz, config.history.step)


BAD_FILES = [
    ("", "csv", "empty"),
    ("queue,when,volume\nbilling,08:00,3\n", "line 1, column when", "unknown column"),
    ("queue,volume,aht\nbilling,3,300\n", "line 1", "needs a column 'interval'"),
    (HEAD + "billing,08:00,3,300\nbilling,8am,3,300\n", "line 3, column interval", "HH:MM"),
    (HEAD + "billing,08:10,3,300\n", "line 2, column interval", "does not start a 15-minute"),
    (HEAD + "nope,08:00,3,300\n", "line 2, column queue", "unknown queue 'nope'"),
    (HEAD + "billing,08:00,-1,300\n", "line 2, column volume", "between 0 and"),
    (HEAD + "billing,08:00,lots,300\n", "line 2, column volume", "must be a number"),
    (HEAD + "billing,08:00,4,\n", "line 2, column aht", "required where the volume is not 0"),
    (HEAD + "billing,08:00,4,0\n", "line 2, column aht", "between 1 and"),
    (HEAD + "billing,08:00,4,300\n\nbilling,08:00,5,300\n", "line 4, column interval",
     "already on line 2"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "field", "reason"), BAD_FILES)
def test_a_bad_file_names_the_line_column_and_reason(config, text, field, reason) -> None:
    with pytest.raises(SchemaError) as refused:
        read_csv(text, config, day(config))
    assert refused.value.field == field and reason in refused.value.reason


def test_every_bad_row_is_listed_not_only_the_first(config) -> None:
    text = HEAD + "billing,08:00,3,300\nnope,08:15,3,300\nbilling,08:30,x,300\n"
    with pytest.raises(ForecastError) as refused:
        read_csv(text, config, day(config))
    assert [e.field for e in refused.value.errors] == ["line 3, column queue",
                                                       "line 4, column volume"]  # fmt: skip


def test_json_rows_name_the_row_and_field(config) -> None:
    good = {"queue": "billing", "interval": "08:00", "volume": 3, "aht": 300}
    for rows, field in [
        ([good, {**good, "interval": "08:15", "volume": -2}], "rows.1.volume"),
        ([good, {**good, "colour": "red"}], "rows.1.colour"),
        ([good, "billing"], "rows.1"),
        ([], "rows"),
    ]:
        with pytest.raises(SchemaError) as refused:
            read_rows(rows, config, day(config))
        assert refused.value.field == field


def test_the_simulators_forecast_covers_every_interval_and_the_clock_changes(config) -> None:
    text = forecast_csv(config)
    assert text == Path("docs/samples/forecast-day.csv").read_text()  # the sample is this
    plain = read_csv(text, config, day(config))
    assert plain.intervals == 96 * len(config.queues) and plain.skipped == 0
    spring = read_csv(text, config, day(config, date(2026, 3, 29)))
    assert spring.intervals == 92 * len(config.queues) and spring.skipped == 4 * len(config.queues)
    autumn = read_csv(text, config, day(config, date(2026, 10, 25)))
    assert autumn.intervals == 100 * len(config.queues)
    rows = plain.by_queue["billing"]
    lunch = max(rows, key=lambda r: r["forecast_volume"])
    assert 11 <= (lunch["start"] - plain.day.start) / 3600 < 14  # the lunch peak
    assert all(r["forecast_required"] >= 1 for r in rows if r["forecast_volume"] > 1)


def get(port: int, path: str, token: str) -> tuple[int, str, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        return resp.status, resp.getheader("Content-Type") or "", resp.read().decode()
    finally:
        conn.close()


def test_the_api_stores_a_forecast_whole_or_not_at_all_and_exports_the_day(
    start_app, redis_server, prefix, bus: Bus, config
) -> None:
    app = start_app(redis_server.url, prefix)
    api = Api(app.port, tokens(bus))
    key = f"{prefix}forecast:billing:2026-11-24"
    good = forecast_csv(config).encode()
    status, body = api("POST", "/forecast?day=2026-11-24", raw=good, content_type="text/csv")
    assert status == 200 and body["intervals"] == 480 and body["day"] == "2026-11-24"
    before = bus.client.hgetall(key)
    assert len(before) == 96

    # A file with one bad row among good ones: refused, every problem listed, nothing changed.
    bad = good.replace(b"billing,08:00,", b"billing,08:07,").replace(b"email,09:00,", b"x,09:00,")
    status, body = api("POST", "/forecast?day=2026-11-24", raw=bad, content_type="text/csv")
    assert status == 400 and body["error"]["field"] == "line 34, column interval"
    listed = [p["field"] for p in body["error"]["problems"]]
    assert listed == ["line 34, column interval", "line 422, column queue"]
    assert bus.client.hgetall(key) == before
    rows = [{"queue": "billing", "interval": "08:00", "volume": 5, "aht": 300},
            {"queue": "billing", "interval": "08:15", "volume": "many", "aht": 300}]  # fmt: skip
    status, body = api("POST", "/forecast?day=2026-11-24", {"rows": rows})
    assert status == 400 and body["error"]["field"] == "rows.1.volume"
    assert bus.client.hgetall(key) == before
    status, body = api("POST", "/forecast?day=someday", {"rows": rows[:1]})
    assert status == 400 and body["error"]["field"] == "day"
    assert api("POST", "/forecast", {"rows": rows[:1]}, role="agent")[0] == 403

    # JSON rows replace the day's forecast of the queues they name.
    status, body = api("POST", "/forecast?day=2026-11-24", {"rows": rows[:1]})
    assert status == 200 and body["queues"] == ["billing"] and len(bus.client.hgetall(key)) == 1

    token = tokens(bus)["supervisor"]
    status, kind, text = get(app.port, "/history/2026-11-24/intervals.csv?scope=queue:billing",
                             token)  # fmt: skip
    assert status == 200 and kind.startswith("text/csv")
    lines = text.splitlines()
    assert lines[0].startswith("interval,start,offered") and lines[1].startswith("08:00,")
    status, kind, text = get(app.port, "/history/2026-11-24/contacts.csv", token)
    assert status == 200 and text.startswith("contact_id,leg,queue")
    status, _, text = get(app.port, "/history/2026-11-24?scope=queue:billing", token)
    assert status == 200 and json.loads(text)["intervals"][0]["forecast_volume"] == 5
    assert get(app.port, "/history/2026-11-24?scope=nope", token)[0] == 400


def test_the_cli_refuses_a_bad_file_line_by_line(cli_env, tmp_path, bus: Bus) -> None:
    bad = tmp_path / "plan.csv"
    bad.write_text(HEAD + "billing,08:00,3,300\nbilling,08:00,3,300\nmoving,25:00,1,1\n")
    done = floorboard("forecast", "load", str(bad), "--day", "2026-11-24", env=cli_env)
    assert done.returncode != 0 and "nothing was stored" in done.stderr
    assert "line 3, column interval" in done.stderr and "line 4, column interval" in done.stderr
    assert bus.client.keys(f"{bus.prefix}forecast:*") == []
    bad.write_text(HEAD + "billing,08:00,3,300\n")
    done = floorboard("forecast", "load", str(bad), "--day", "2026-11-24", env=cli_env)
    assert done.returncode == 0 and "stored 1 intervals for 1 queues on 2026-11-24" in done.stdout


def test_the_cli_exports_lists_and_rebuilds_days(cli_env, bus: Bus, config) -> None:
    store = IntradayStore(bus, config)
    on = store.day(time.time())  # today, on the centre's clock
    store.save({("billing", on.start + 8 * 3600): {"start": on.start + 8 * 3600, "offered": 7}})
    done = floorboard("history", "days", env=cli_env)
    assert done.returncode == 0 and done.stdout.split() == [on.text]
    done = floorboard("history", "export", "--scope", "queue:billing", env=cli_env)
    assert done.returncode == 0 and done.stdout.splitlines()[1].startswith("08:00,")
    done = floorboard("history", "export", "--scope", "queue:nope", env=cli_env)
    assert done.returncode != 0 and "scope: unknown scope 'queue:nope'" in done.stderr
    done = floorboard("history", "export", "--day", "someday", env=cli_env)
    assert done.returncode != 0 and "--day: must be a date" in done.stderr
    done = floorboard("history", "rebuild", env=cli_env)
    assert done.returncode == 0 and done.stdout == "rebuilt 0 intervals from the contacts stream\n"
