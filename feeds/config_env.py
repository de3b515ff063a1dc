"""Config keys from the environment: ``FLOORBOARD__<SECTION>__<KEY>=value``.

Containers and systemd units set settings per host without a file of their own (a secret's
variable name, the log format, the metrics networks), so every key of a section can be given
in the environment, and the environment wins over the file. The name is the key's path in the
file, upper case, parts joined by a double underscore: ``[stream] coalesce_ms`` is
``FLOORBOARD__STREAM__COALESCE_MS``, ``[customers.crm] url`` is
``FLOORBOARD__CUSTOMERS__CRM__URL``. The value is read as a TOML value (``50``, ``true``,
``["10.0.0.0/8"]``, ``{ Sales = "sales" }``); anything that is not one is a plain string, so
``FLOORBOARD__CENTRE__NAME=North`` needs no quotes (a string that looks like a number does:
``'"2024"'``). Queues and boards are lists of tables and stay in the file.

A bad value is refused like a bad file, naming the variable, the key and the reason.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from typing import Any

PREFIX = "FLOORBOARD__"
IN_THE_FILE = ("queues", "boards")  # lists of tables: edited in the file only


class EnvError(ValueError):
    """A variable that cannot be applied: ``variable`` names it."""

    def __init__(self, variable: str, reason: str) -> None:
        super().__init__(reason)
        self.variable, self.reason = variable, reason


def _value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def overrides(environ: Mapping[str, str] | None = None) -> dict[str, tuple[str, Any]]:
    """The keys the environment sets: dotted key → (variable, value), sorted by key."""
    environ = os.environ if environ is None else environ
    found: dict[str, tuple[str, Any]] = {}
    for name, raw in environ.items():
        if not name.upper().startswith(PREFIX):
            continue
        parts = [p.lower() for p in name[len(PREFIX) :].split("__")]
        if len(parts) < 2 or not all(parts):
            raise EnvError(name, "must name a section and a key: FLOORBOARD__SECTION__KEY")
        if parts[0] in IN_THE_FILE:
            raise EnvError(name, f"{parts[0]} are lists of tables: set them in the file")
        found[".".join(parts)] = (name, _value(raw))
    return dict(sorted(found.items()))


def apply(data: dict[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Set the environment's keys in ``data`` (a parsed TOML document, changed in place);
    returns dotted key → the variable that set it, for errors and ``floorboard config check``."""
    applied: dict[str, str] = {}
    for key, (variable, value) in overrides(environ).items():
        *sections, last = key.split(".")
        table = data
        for i, section in enumerate(sections):
            table = table.setdefault(section, {})
            if not isinstance(table, dict):
                where = ".".join(sections[: i + 1])
                raise EnvError(variable, f"{where} is a value in the file, not a section")
        table[last] = value
        applied[key] = variable
    return applied
