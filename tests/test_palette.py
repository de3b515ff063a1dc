"""The wall's palette under the common colour-vision deficiencies (scripts/palette.py): every
status keeps its icon visible (3:1 on the tiles) for everyone, in both themes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_status_stays_visible_under_each_colour_vision_deficiency() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/palette.py", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 8  # two themes, normal vision and three deficiencies each
    for theme in ("dark", "light"):
        for seen in ("normal vision", "protanopia", "deuteranopia", "tritanopia"):
            assert any(line.startswith(f"{theme:5} {seen}") for line in lines)


def test_the_simulation_and_the_distance_behave() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import palette
    finally:
        sys.path.pop(0)
    red, green = (1.0, 0.0, 0.0), (0.0, 0.5, 0.0)
    assert palette.delta_e(red, red) == 0
    assert palette.delta_e(red, green) > 50  # far apart to most people…
    for deficiency in ("protanopia", "deuteranopia"):  # …and much closer to these
        seen = [palette.simulate(c, deficiency) for c in (red, green)]
        assert palette.delta_e(*seen) < palette.delta_e(red, green) / 2
    assert palette.simulate(red, None) == red
    assert round(palette.contrast((1.0, 1.0, 1.0), (0.0, 0.0, 0.0)), 2) == 21.0
