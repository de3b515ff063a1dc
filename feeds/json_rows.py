"""JSON of many rows at once, byte for byte as pydantic writes each row.

A flat-out replay writes a contact a row, and each write is JSON: the event, its customer's
history summary. Encoded row by row (a dict each, ``pydantic_core.to_json`` each) that costs
more than what Redis spends storing it. Here a column is encoded in one call and split, and a
row is one ``bytes`` formatting of a template: the same bytes, a third of the time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import to_json


def each(values: Sequence[Any]) -> list[bytes]:
    """``to_json(value)`` of each value: the column in one call, split at its commas, when no
    value's own JSON holds one (numbers, None, plain ids); otherwise value by value."""
    parts = to_json(list(values))[1:-1].split(b",")
    return parts if len(parts) == len(values) else [to_json(v) for v in values]


def objects(
    names: Sequence[str],
    columns: Mapping[str, Sequence[Any]],
    rows: int,
    fixed: Mapping[str, Any] | None = None,
    encoded: Mapping[str, Sequence[bytes]] | None = None,
) -> list[bytes]:
    """Each row's JSON object of the fields ``names`` in that order: what ``to_json`` writes of
    the dict of them. A field's values come from ``columns``, already as JSON from ``encoded``,
    or, the same in every row, from ``fixed``."""
    fixed, encoded = fixed or {}, encoded or {}
    template, values, text = [], [], b""
    for i, name in enumerate(names):
        text += (b"," if i else b"{") + to_json(name) + b":"
        if name in columns or name in encoded:
            template.append(text.replace(b"%", b"%%") + b"%b")
            values.append(encoded[name] if name in encoded else each(columns[name]))
            text = b""
        else:
            text += to_json(fixed[name])
    form = b"".join(template) + text.replace(b"%", b"%%") + b"}"
    return [form % row for row in zip(*values, strict=True)] if values else [form % ()] * rows
