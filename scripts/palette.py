"""The wall's palette as people with the common colour-vision deficiencies see it.

Reads the colour tokens of both wall themes from the stylesheets (assets/base.css and
dashboard/pages/wall/wall.css), simulates protanopia, deuteranopia and tritanopia on them
(Machado, Oliveira & Fernandes 2009, full severity, in linear RGB), and reports, for each:

* how far apart the status colours and the agent-state colours stay (CIEDE2000 ΔE; under
  about 10 two colours are easy to confuse, under about 3 they look the same);
* the contrast of each status colour against the tiles behind it (WCAG ratio), so its icon
  (▲ warn, ⚠ alert, ◷ no data, and each agent state's own) stays visible whatever the hue.

Colour is never the only cue on the wall: the check fails if a status loses its contrast
(below 3:1, where its icon would fade), not because two hues converge: that is what the icons
are for, and the report says which pairs rely on them::

    python scripts/palette.py            # the report
    python scripts/palette.py --check    # and exit 1 if a status would lose its icon
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASE, WALL = ROOT / "assets/base.css", ROOT / "dashboard/pages/wall/wall.css"
RGB = tuple[float, float, float]

MACHADO = {  # linear RGB, severity 1.0
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}  # fmt: skip
STATUSES = {"ok": "--text", "warn": "--warn", "alert": "--alert", "no data": "--stale"}
STATES = {s: f"--state-{s}" for s in ("available", "on_contact", "wrap", "away", "offline")}
MIN_ICON_CONTRAST = 3.0  # WCAG 1.4.11, graphical objects
CONFUSED = 10.0


def tokens(css: str, selector: str) -> dict[str, str]:
    """The custom properties set in the first block of ``selector``."""
    match = re.search(re.escape(selector) + r"\s*\{(.*?)\}", css, re.S)
    assert match, f"no {selector} block"
    return dict(re.findall(r"(--[\w-]+):\s*([^;]+);", match.group(1)))


def themes() -> dict[str, dict[str, str]]:
    base, wall = BASE.read_text(), WALL.read_text()
    dark = {**tokens(base, ":root"), **tokens(wall, ".wall")}
    light = {**dark, **tokens(wall, "html:has(.wall.theme-light)"),
             **tokens(wall, ".wall.theme-light")}  # fmt: skip
    return {"dark": dark, "light": light}


def colour(theme: dict[str, str], name: str) -> RGB:
    value = theme[name].strip()
    while value.startswith("var("):
        value = theme[value[4:-1].strip()].strip()
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def gamma(c: float) -> float:
    c = min(1.0, max(0.0, c))
    return 12.92 * c if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def simulate(rgb: RGB, deficiency: str | None) -> RGB:
    if deficiency is None:
        return rgb
    lin = [linear(c) for c in rgb]
    return tuple(gamma(sum(m * c for m, c in zip(row, lin, strict=True)))
                 for row in MACHADO[deficiency])  # type: ignore[return-value]  # fmt: skip


def luminance(rgb: RGB) -> float:
    r, g, b = (linear(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: RGB, b: RGB) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def lab(rgb: RGB) -> RGB:
    r, g, b = (linear(c) for c in rgb)
    xyz = (
        (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047,
        0.2126 * r + 0.7152 * g + 0.0722 * b,
        (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883,
    )
    f = [t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116 for t in xyz]
    return 116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])


def delta_e(x: RGB, y: RGB) -> float:
    """CIEDE2000 between two sRGB colours."""
    (l1, a1, b1), (l2, a2, b2) = lab(x), lab(y)
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    g = 0.5 * (1 - math.sqrt(((c1 + c2) / 2) ** 7 / (((c1 + c2) / 2) ** 7 + 25**7)))
    a1, a2 = a1 * (1 + g), a2 * (1 + g)
    c1, c2 = math.hypot(a1, b1), math.hypot(a2, b2)
    h1, h2 = math.degrees(math.atan2(b1, a1)) % 360, math.degrees(math.atan2(b2, a2)) % 360
    dl, dc = l2 - l1, c2 - c1
    dh = 0.0 if c1 * c2 == 0 else (h2 - h1 + 180) % 360 - 180
    dhh = 2 * math.sqrt(c1 * c2) * math.sin(math.radians(dh / 2))
    lm, cm = (l1 + l2) / 2, (c1 + c2) / 2
    hm = h1 + h2 if c1 * c2 == 0 else (h1 + h2 + (360 if abs(h1 - h2) > 180 else 0)) / 2
    t = (
        1
        - 0.17 * math.cos(math.radians(hm - 30))
        + 0.24 * math.cos(math.radians(2 * hm))
        + 0.32 * math.cos(math.radians(3 * hm + 6))
        - 0.20 * math.cos(math.radians(4 * hm - 63))
    )
    sl = 1 + 0.015 * (lm - 50) ** 2 / math.sqrt(20 + (lm - 50) ** 2)
    sc, sh = 1 + 0.045 * cm, 1 + 0.015 * cm * t
    rt = -2 * math.sqrt(cm**7 / (cm**7 + 25**7)) * math.sin(
        math.radians(60 * math.exp(-(((hm - 275) / 25) ** 2))))  # fmt: skip
    return math.sqrt((dl / sl) ** 2 + (dc / sc) ** 2 + (dhh / sh) ** 2
                     + rt * (dc / sc) * (dhh / sh))  # fmt: skip


def report() -> tuple[list[str], list[str]]:
    """The report's lines, and the failures (a status whose icon would fade)."""
    lines, failures = [], []
    for theme_name, theme in themes().items():
        panel = colour(theme, "--panel")
        for deficiency in (None, *MACHADO):
            seen = deficiency or "normal vision"
            see = {k: simulate(colour(theme, v), deficiency) for k, v in STATUSES.items()}
            states = {k: simulate(colour(theme, v), deficiency) for k, v in STATES.items()}
            bg = simulate(panel, deficiency)
            ratios = {k: contrast(c, bg) for k, c in see.items()}
            pairs = {f"{a}/{b}": delta_e(see[a], see[b]) for a, b in itertools.combinations(see, 2)}
            state_pairs = {f"{a}/{b}": delta_e(states[a], states[b])
                           for a, b in itertools.combinations(states, 2)}  # fmt: skip
            close = sorted((k for k, d in {**pairs, **state_pairs}.items() if d < CONFUSED))
            least = min(pairs, key=pairs.__getitem__)
            least_state = min(state_pairs, key=state_pairs.__getitem__)
            lines.append(
                f"{theme_name:5} {seen:13}  contrast on tiles "
                + " ".join(f"{k} {r:4.1f}" for k, r in ratios.items())
                + f" | closest statuses {least} ΔE {pairs[least]:4.1f}"
                + f" | closest states {least_state} ΔE {state_pairs[least_state]:4.1f}"
                + (f" | told apart by icon: {', '.join(close)}" if close else "")
            )
            failures += [f"{theme_name} {seen}: {k} {r:.2f}:1" for k, r in ratios.items()
                         if r < MIN_ICON_CONTRAST]  # fmt: skip
    return lines, failures


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a status loses its icon")
    args = ap.parse_args(argv)
    lines, failures = report()
    print("\n".join(lines))
    if failures:
        print("status colours below 3:1 on the tiles: " + "; ".join(failures), file=sys.stderr)
        if args.check:
            sys.exit(1)


if __name__ == "__main__":
    main()
