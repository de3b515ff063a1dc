"""``floorboard customer | rule`` and the outage's "who it hits" options, as a shell runs them,
against a real Redis: a CSV import is stored whole or refused at its line and column."""

from __future__ import annotations

import json

import test_cli
from test_cli import floorboard

from feeds.bus.bus import Bus
from feeds.simulator.customers import DEMO_RULES

cli_env = test_cli.cli_env  # the fixture: REDIS_URL and the config for this test's prefix
CSV = "id,name,segment,region\nAC1,Asha Patel,Standard tariff,North East\nAC2,Bo Chen,Business,\n"


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    r = floorboard(*args, env=env, stdin=stdin)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_a_csv_import_from_a_file_or_stdin(cli_env, bus: Bus, tmp_path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(CSV, encoding="utf-8")
    assert run(cli_env, "customer", "import", str(path)) == "imported 2 customers\n"
    shown = json.loads(run(cli_env, "customer", "show", "AC1"))
    assert shown["name"] == "Asha Patel" and shown["source"] == "csv:export.csv"
    assert shown["ledger"] == []
    run(cli_env, "customer", "import", "-", stdin=CSV.replace("Bo Chen", "Bo Chan"))
    assert json.loads(run(cli_env, "customer", "show", "AC2"))["name"] == "Bo Chan"


def test_a_bad_csv_line_is_one_line_naming_line_and_column_and_stores_nothing(
    cli_env, bus: Bus, tmp_path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(CSV + "AC3,,Business,Wales\n", encoding="utf-8")
    r = floorboard("customer", "import", str(path), env=cli_env)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("floorboard: line 4, column name: ")
    assert len(r.stderr.splitlines()) == 1
    assert bus.client.hlen(bus.state_key("customer")) == 0
    r = floorboard("customer", "show", "AC1", env=cli_env)
    assert r.returncode == 1 and r.stderr == "floorboard: id: no customer 'AC1'\n"


def test_the_demo_rules_are_seeded_once_and_listed(cli_env, bus: Bus) -> None:
    assert run(cli_env, "rule", "seed-demo") == f"{len(DEMO_RULES)} standing rules\n"
    assert run(cli_env, "rule", "seed-demo") == ""  # rules exist: left alone
    listed = run(cli_env, "rule", "list").splitlines()
    assert len(listed) == len(DEMO_RULES)
    credit = next(line for line in listed if "Goodwill credit" in line)
    assert "limit £20 allowance £30/day" in credit and "all queues" in credit


def test_an_outage_declared_from_the_shell_names_whom_it_hits(cli_env, bus: Bus) -> None:
    run(cli_env, "outage", "declare", "--service", "Power network", "--severity", "major",
        "--regions", "North East, NE", "--services", "Electricity", "--offer", "£25 credit",
        "--offer-amount", "25")  # fmt: skip
    (outage,) = bus.snapshot(["outage"])[1]["outage"].values()
    assert outage.data["regions"] == ["North East", "NE"]
    assert (outage.data["services"], outage.data["offer_amount"]) == (["Electricity"], 25)
    r = floorboard("outage", "declare", "--service", "x", "--severity", "minor",
                   "--offer-amount", "lots", env=cli_env)  # fmt: skip
    assert r.returncode == 1
    assert r.stderr == "floorboard: --offer-amount: must be an amount, like 20 or 12.50\n"
