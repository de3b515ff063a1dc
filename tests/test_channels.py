"""Channels as the config says them ([[channels]]): checked on every door, shown by their word
and icon. (The bus's subscriber: tests/test_bus.py; the API and a screen:
tests/test_agent_day_browser.py; CSV replay: tests/test_csv_replay.py.)"""

from __future__ import annotations

import copy
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import floorboard

from dashboard.pages.items import blended_entry
from feeds.bus.fields import DEFAULT_CHANNELS, ChannelKind, channels, use_channels
from feeds.bus.schema import make_envelope, parse_envelope
from feeds.config import ConfigError, parse_config
from feeds.errors import SchemaError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = tomllib.loads((ROOT / "floorboard.toml").read_text())
WHATSAPP = {"id": "whatsapp", "label": "WhatsApp", "icon": "✆"}
NOW = 1_763_900_000.0


@pytest.fixture(autouse=True)
def default_channels() -> Iterator[None]:
    """Each test leaves the process's channels as it found them: the defaults."""
    yield
    use_channels(DEFAULT_CHANNELS)


def with_channels(entries: list, **queue: str) -> dict:
    data = copy.deepcopy(EXAMPLE)
    data["channels"] = entries
    data["queues"][0].update(queue)
    return data


def offered(channel: str) -> dict:
    return {"kind": "contact", "id": "c1", "ts": NOW, "data": {"event": "offered", "queue": "q",
            "channel": channel, "customer_id": "x", "enqueued_at": NOW}}  # fmt: skip


def test_the_example_lists_the_eight_defaults_and_a_centre_may_add_its_own() -> None:
    assert tuple(parse_config(EXAMPLE).channels) == DEFAULT_CHANNELS
    config = parse_config(with_channels([*EXAMPLE["channels"], WHATSAPP]))
    use_channels(config.channels)
    assert channels()[-1] == "whatsapp"
    env = parse_envelope(offered("whatsapp"))
    entry = blended_entry(env, {})
    assert (entry["icon"], entry["channel_label"]) == ("✆", "WhatsApp")


@pytest.mark.parametrize(
    ("entries", "queue", "key", "reason"),
    [
        ([{"id": "voice", "label": "Voice"}], {}, "channels.0.icon", "is required"),
        ([{"id": "voice", "label": "Voice", "icon": "V", "colour": "red"}], {},
         "channels.0.colour", "unknown key"),
        ([{"id": "bad id", "label": "X", "icon": "x"}], {}, "channels.0.id", "pattern"),
        ([{"id": "voice", "label": "", "icon": "V"}], {}, "channels.0.label", "at least 1"),
        ([{"id": "voice", "label": "Voice", "icon": "VOICE"}], {}, "channels.0.icon", "at most 4"),
        ([{"id": "voice", "label": "Voice", "icon": "V"}, {"id": "voice", "label": "Again",
          "icon": "A"}], {}, "channels.1.id", "'voice' is configured twice"),
        ([], {}, "channels", "at least 1"),
        ([WHATSAPP], {"channel": "fax"}, "queues.0.channel",
         "unknown channel 'fax'; the configured channels are whatsapp"),
        ("voice", {}, "channels", "list"),
    ],
)  # fmt: skip
def test_a_bad_channel_entry_is_refused_naming_the_key(entries, queue, key, reason) -> None:
    with pytest.raises(ConfigError) as err:
        parse_config(with_channels(entries, **queue), "centre.toml")
    assert err.value.key == key and reason in err.value.reason, str(err.value)


def test_an_event_on_a_channel_not_configured_is_refused_with_the_field() -> None:
    with pytest.raises(SchemaError) as err:
        parse_envelope(offered("pigeon"))
    assert err.value.field == "data.channel"
    assert err.value.reason.startswith(
        "unknown channel 'pigeon'; the configured channels are voice"
    )
    use_channels([ChannelKind(**WHATSAPP)])  # a centre of WhatsApp only
    with pytest.raises(SchemaError, match=r"data\.channel: unknown channel 'fax'"):
        parse_envelope(offered("fax"))  # a default, but not this centre's
    with pytest.raises(SchemaError, match=r"data\.channel"):  # queue statistics too
        make_envelope("queue", "q", {"channel": "voice"}, ts=NOW)


def test_the_command_checks_against_its_config(redis_server, prefix, tmp_path) -> None:
    text = (ROOT / "floorboard.toml").read_text().replace('prefix = "fb:"', f'prefix = "{prefix}"')
    config = tmp_path / "centre.toml"
    config.write_text(text + '\n[[channels]]\nid = "whatsapp"\nlabel = "WhatsApp"\nicon = "W"\n')
    env = {"REDIS_URL": redis_server.url, "FLOORBOARD_CONFIG": str(config)}
    events = [json.dumps(offered(c) | {"id": c}) for c in ("whatsapp", "pigeon")]
    r = floorboard("publish", *events, env=env)
    assert r.returncode != 0
    assert "event 2: data.channel: unknown channel 'pigeon'" in r.stderr
    assert "whatsapp" in r.stderr  # the configured channels are named, the centre's own too
