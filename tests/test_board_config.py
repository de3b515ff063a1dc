"""Boards in the config: a few lines of TOML per board, and every mistake named by file, key and
reason; a config that changes on disk reaches the app without a restart."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from feeds.boards import DEFAULT_ROWS, TILES, Tile
from feeds.config import ConfigError, load_config
from feeds.live_config import LiveConfig

ROWS = """rows = [
  "queue:billing staffing clock",
  "agent_grid logo",
  "ticker",
]"""
GOOD = f"""
[centre]
name = "Test centre"

[[queues]]
id = "billing"
name = "Billing"

[[queues]]
id = "chat"
name = "Chat"
channel = "chat"

[[boards]]
id = "main"
title = "Main"

[[boards]]
id = "team"
title = "Billing team"
queues = ["billing"]
team = "North"
theme = "light"
rotate_seconds = 20
{ROWS}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fb.toml"
    path.write_text(text)
    return path


def test_a_board_in_a_few_lines(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    main, team = config.boards
    assert main.queues == ["billing", "chat"]  # no queues given: every queue
    assert main.rows == list(DEFAULT_ROWS) and main.theme is None and main.team is None
    assert [[t.key for t in row] for row in main.layout] == [
        ["tile:billing", "tile:chat"], ["agent_states"], ["ticker"]
    ]  # fmt: skip
    assert team.layout[0] == [Tile("queue", "billing"), Tile("staffing"), Tile("clock")]
    assert (team.team, team.theme, team.rotate_seconds) == ("North", "light", 20)
    assert [t.strip for t in team.tiles] == [False] * 5 + [True]
    assert config.wall.theme == "dark" and config.wall.logo == ""


def test_the_example_config_has_boards_of_every_tile_type() -> None:
    config = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")
    shown = {t.type for b in config.boards for t in b.tiles}
    assert shown == set(TILES) - {"queues"}  # "queues" expands into queue tiles


@pytest.mark.parametrize(
    ("change", "key", "reason"),
    [
        (('"agent_grid logo"', '"agent_grid clok"'), "boards.1.rows.1",
         "unknown tile 'clok'; expected one of agent_grid, agent_states, alerts, blended, clock"),
        (('"queue:billing staffing clock"', '"queue:chat"'), "boards.1.rows.0",
         "queue 'chat' is not one of the board's queues"),
        (('"queue:billing staffing clock"', '"queue"'), "boards.1.rows.0",
         "tile 'queue' needs queue:<id>"),
        (('"agent_grid logo"', '"agent_grid:all"'), "boards.1.rows.1",
         "tile 'agent_grid' takes no argument"),
        (('"agent_grid logo"', '"clock"'), "boards.1.rows.1", "'clock' is shown twice"),
        (('"agent_grid logo"', '"queues"'), "boards.1.rows.1", "'billing' is shown twice"),
        (('"agent_grid logo"', '"  "'), "boards.1.rows.1", "an empty row"),
        ((ROWS, "rows = []"), "boards.1.rows", "at least 1 item"),
        (('theme = "light"', 'theme = "pink"'), "boards.1.theme", "'dark' or 'light'"),
        (('team = "North"', 'team = ""'), "boards.1.team", "at least 1 character"),
        (('queues = ["billing"]', 'queues = ["billing", "nope"]'), "boards.1.queues",
         "unknown queue 'nope'"),
        (('name = "Test centre"', 'name = "Test centre"\n[wall]\nlogo = "javascript:x()"'),
         "wall.logo", "should match pattern"),
        (('name = "Test centre"', 'name = "Test centre"\n[wall]\nband_seconds = 1'),
         "wall.band_seconds", "greater than or equal to 2"),
        (('rotate_seconds = 20', 'rotate_seconds = 20\nlayout = "x"'), "boards.1.layout",
         "unknown key"),
    ],
)  # fmt: skip
def test_bad_boards_name_file_key_and_reason(
    tmp_path: Path, change: tuple[str, str], key: str, reason: str
) -> None:
    text = GOOD.replace(*change)
    assert text != GOOD
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert err.value.path == str(path)
    assert err.value.key == key
    assert reason in err.value.reason
    assert str(err.value).startswith(f"{path}: {key}: ")


def test_a_board_version_changes_with_what_its_screen_is_built_from(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GOOD))
    main, team = config.boards
    again = load_config(write(tmp_path, GOOD.replace('"ticker"', '"ticker" ')))
    assert again.board_version(again.boards[1]) == config.board_version(team)  # same board
    moved = load_config(write(tmp_path, GOOD.replace('"agent_grid logo"', '"logo agent_grid"')))
    assert moved.board_version(moved.boards[1]) != config.board_version(team)
    assert moved.board_version(moved.boards[0]) == config.board_version(main)  # untouched
    renamed = load_config(write(tmp_path, GOOD.replace('name = "Chat"', 'name = "Web chat"')))
    assert renamed.board_version(renamed.boards[0]) != config.board_version(main)
    assert renamed.board_version(renamed.boards[1]) == config.board_version(team)  # no chat


def test_live_config_reads_a_changed_file_and_keeps_the_last_good_one(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    now = [0.0]
    live = LiveConfig(path, load_config(path), check_seconds=2, clock=lambda: now[0])
    first = live()
    assert [b.id for b in first.boards] == ["main", "team"] and live.error is None

    path.write_text(GOOD + '\n[[boards]]\nid = "new"\ntitle = "New"\n')
    os.utime(path, ns=(1, 10**18))  # a different modification time, however fast the test
    assert live() is first  # not looked at again before check_seconds
    now[0] = 2.0
    assert [b.id for b in live().boards] == ["main", "team", "new"]

    path.write_text(GOOD.replace('"ticker"', '"tickr"'))
    os.utime(path, ns=(1, 2 * 10**18))
    now[0] = 4.0
    kept = live()
    assert [b.id for b in kept.boards] == ["main", "team", "new"]  # a bad edit blanks no wall
    assert live.error is not None and "boards.1.rows.2: unknown tile 'tickr'" in live.error

    path.unlink()
    now[0] = 6.0
    assert live() is kept and "cannot read" in (live.error or "")


def test_a_config_given_as_an_object_stays_as_it_is() -> None:
    config = load_config(Path(__file__).resolve().parent.parent / "floorboard.toml")
    live = LiveConfig(None, config)
    assert live() is config and live.error is None
