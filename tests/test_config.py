"""Config: the example loads, and every kind of mistake names the file, the key and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import ConfigError, Threshold, load_config

ROOT = Path(__file__).resolve().parent.parent
GOOD = """
[centre]
name = "Test centre"
timezone = "Europe/London"

[[queues]]
id = "billing"
name = "Billing"

[[boards]]
id = "main"
title = "Main"
queues = ["billing"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fb.toml"
    path.write_text(text)
    return path


def test_example_config_loads() -> None:
    config = load_config(ROOT / "floorboard.toml")
    assert [b.id for b in config.boards] == ["main", "voice", "north", "day", "status", "floor"]
    assert config.queue("chat").channel == "chat"
    assert config.queue("nope") is None


def test_minimal_config_gets_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    q = config.queue("billing")
    assert (q.sl_target, q.sl_threshold, q.channel) == (0.8, 20, "voice")
    assert config.redis.prefix == "fb:"


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (('timezone = "Europe/London"', 'timezone = "Mars/Olympus"'), "centre.timezone",
         "unknown time zone"),
        (('name = "Billing"', 'name = "Billing"\nsl_target = 1.5'), "queues.0.sl_target",
         "less than or equal to 1"),
        (('queues = ["billing"]', 'queues = ["nope"]'), "boards.0.queues", "unknown queue 'nope'"),
        (('name = "Billing"', 'name = "Billing"\ncolour = "red"'), "queues.0.colour",
         "unknown key"),
        (('name = "Billing"', 'name = "Billing"\nthresholds.asa = { warn = 5, alert = 5 }'),
         "queues.0.thresholds.asa", "warn and alert must differ"),
        (('id = "main"\n', ''), "boards.0.id", "is required"),
        (('name = "Billing"', 'name = "Billing"\nmetrics.service_level = "generous"'),
         "queues.0.metrics.service_level", "Input should be"),
        (('name = "Billing"', 'name = "Billing"\nmetrics.window = "2h"'),
         "queues.0.metrics.window", "Input should be"),
        (('name = "Billing"', 'name = "Billing"\nmetrics.staffing = "erlang_x"'),
         "queues.0.metrics.staffing", "Input should be"),
        (('[[queues]]', '[ordering]\nremember_hours = 12\n\n[[queues]]'),
         "ordering.remember_hours", "greater than or equal to 26"),
        (('[[queues]]', '[ordering]\nmax_skew = -1\n\n[[queues]]'),
         "ordering.max_skew", "greater than or equal to 0"),
        (('[[queues]]', '[history]\nstream_events = 10\n\n[[queues]]'),
         "history.stream_events", "greater than or equal to 1000"),
    ],
)  # fmt: skip
def test_bad_config_names_file_key_and_reason(
    tmp_path: Path, change: tuple[str, str], key: str, reason: str
) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.path == str(path)
    assert err.value.key == key
    assert reason in err.value.reason
    assert str(path) in str(err.value) and key in str(err.value)


def test_unreadable_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[centre\nname = 1"))


@pytest.mark.parametrize(
    ("warn", "alert", "value", "status"),
    [
        (5, 10, 4, "ok"), (5, 10, 5, "warn"), (5, 10, 9.9, "warn"), (5, 10, 10, "alert"),
        # lower is worse: a value exactly on a level meets it (a queue on target is not amber)
        (0.8, 0.6, 0.81, "ok"), (0.8, 0.6, 0.8, "ok"), (0.8, 0.6, 0.79, "warn"),
        (0.8, 0.6, 0.6, "warn"), (0.8, 0.6, 0.59, "alert"), (0.8, 0.6, None, "ok"),
    ],
)  # fmt: skip
def test_threshold_direction_follows_warn_and_alert(
    warn: float, alert: float, value: float | None, status: str
) -> None:
    assert Threshold(warn=warn, alert=alert).status(value) == status


def test_metric_definitions_default_to_the_design_and_are_chosen_per_queue(tmp_path: Path) -> None:
    q = load_config(write(tmp_path, GOOD)).queue("billing")
    assert (q.metrics.window, q.metrics.service_level, q.metrics.abandon_rate) == (
        "today", "short_abandons_excluded", "short_abandons_excluded"
    )  # fmt: skip
    assert (q.metrics.staffing, q.metrics.staffing_window) == ("erlang_a", "30m")
    chosen = GOOD.replace('name = "Billing"', 'name = "Billing"\nmetrics = { window = "15m", '
                          'service_level = "abandons_against", staffing = "off" }')  # fmt: skip
    q = load_config(write(tmp_path, chosen)).queue("billing")
    assert (q.metrics.window, q.metrics.service_level, q.metrics.staffing) == (
        "15m", "abandons_against", "off"
    )  # fmt: skip
    ordering = load_config(write(tmp_path, GOOD)).ordering
    assert (ordering.max_skew, ordering.remember) == (5.0, 48 * 3600)


def test_service_level_levels_follow_the_target_unless_set(tmp_path: Path) -> None:
    at_85 = GOOD.replace('name = "Billing"', 'name = "Billing"\nsl_target = 0.85')
    sl = load_config(write(tmp_path, at_85)).queue("billing").thresholds.service_level
    assert (sl.warn, sl.alert) == (0.85, 0.65)
    assert sl.status(0.85) == "ok"  # exactly on target
    assert sl.status(0.849) == "warn"
    explicit = at_85.replace(
        "sl_target = 0.85",
        "sl_target = 0.85\nthresholds.service_level = { warn = 0.9, alert = 0.7 }",
    )
    sl = load_config(write(tmp_path, explicit)).queue("billing").thresholds.service_level
    assert (sl.warn, sl.alert) == (0.9, 0.7)


def test_stream_settings_default_off_and_are_checked(tmp_path: Path) -> None:
    stream = load_config(write(tmp_path, GOOD)).stream
    assert (stream.coalesce_ms, stream.stall_seconds) == (0, 30)
    for line, key in (("coalesce_ms = -1", "coalesce_ms"), ("stall_seconds = 0", "stall_seconds")):
        with pytest.raises(ConfigError) as err:
            load_config(write(tmp_path, f"[stream]\n{line}\n{GOOD}"))
        assert err.value.key == f"stream.{key}"


ADAPTERS = """
[adapters.ami]
host = "pbx.example"
queue_map = { "support-line" = "billing" }
member_map = { "PJSIP/1001" = "a01", "Alice Smith" = "a02" }
wrap_seconds = 15

[adapters.connect]
queue_map = { "BasicQueue" = "billing" }
agent_map = { "jdoe" = "a03" }

[adapters.csv]
columns = { enqueued_at = "Start Time", queue = "Queue" }
queue_map = { "Billing Line" = "billing" }
"""


def test_adapter_sections_map_their_names_to_the_boards_ids(tmp_path: Path) -> None:
    adapters = load_config(write(tmp_path, GOOD + ADAPTERS)).adapters
    assert adapters.ami.queue_map == {"support-line": "billing"}
    assert adapters.ami.member_map["PJSIP/1001"] == "a01"
    assert (adapters.ami.port, adapters.ami.source, adapters.ami.wrap_seconds) == (
        5038, "asterisk", 15,
    )  # fmt: skip
    assert adapters.connect.agent_map == {"jdoe": "a03"}
    assert adapters.csv.columns["enqueued_at"] == "Start Time"
    defaults = load_config(write(tmp_path, GOOD)).adapters
    assert defaults.ami.queue_map == {} and defaults.csv.source == "csv-replay"


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (('"support-line" = "billing"', '"support-line" = "sales"'),
         "adapters.ami.queue_map.support-line", "unknown queue 'sales'"),
        (('"BasicQueue" = "billing"', '"BasicQueue" = "nope"'),
         "adapters.connect.queue_map.BasicQueue", "unknown queue 'nope'"),
        (('"Billing Line" = "billing"', '"Billing Line" = "x"'),
         "adapters.csv.queue_map.Billing Line", "unknown queue 'x'"),
        (('"PJSIP/1001" = "a01"', '"PJSIP/1001" = "a 01"'),
         "adapters.ami.member_map.PJSIP/1001", "pattern"),
        (('wrap_seconds = 15', 'wrap_seconds = -1'), "adapters.ami.wrap_seconds",
         "greater than or equal to 0"),
        (('host = "pbx.example"', 'hots = "pbx.example"'), "adapters.ami.hots", "unknown key"),
        (('enqueued_at = "Start Time"', 'started = "Start Time"'), "adapters.csv.columns",
         "unknown field 'started'"),
    ],
)  # fmt: skip
def test_bad_adapter_settings_name_the_key(
    tmp_path: Path, change: tuple[str, str], key: str, reason: str
) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, GOOD + ADAPTERS.replace(*change)))
    assert (err.value.key, reason in err.value.reason) == (key, True), err.value
