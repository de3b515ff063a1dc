"""Customer profiles from a CSV file: an export of the centre's CRM, checked whole.

One row per customer, or several: each row may add an open case and a promised callback, and
the profile's own columns (name, segment…) must then agree or be left empty on the later rows.
Lists go in one cell separated by ``|`` (``Electricity|Gas``), consent in one column per flag
(``consent_marketing``: yes or no), times as the console types them (``2025-11-23 14:30`` on
the centre's clock, or ISO 8601 with an offset). Columns: :data:`COLUMNS`.

Every row is checked before anything is stored: the first problem is refused with its line (the
header is line 1) and column, and nothing of the file is written. pandas reads the table and
groups the rows by customer; the ``customer`` schema checks each profile, and its field is
turned back into the line and column it came from.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

import pandas as pd

from feeds.bus.schema import make_envelope
from feeds.errors import SchemaError
from feeds.times import parse_when

PROFILE = ("name", "preferred_name", "segment", "region", "postcode_area", "products", "tags")
CASE = ("case_id", "case_reason", "case_status", "case_priority", "case_eta")
CALLBACK = ("callback_due", "callback_case", "callback_status")
COLUMNS = ("id", *PROFILE, *CASE, *CALLBACK)  # and consent_<flag> columns
LISTS = ("products", "tags")
MAX_ROWS = 200_000
YES, NO = ("yes", "y", "true", "1"), ("no", "n", "false", "0")


def _starts(text: str) -> list[int]:
    """The line each record starts on (a quoted cell may span lines), header first; blank
    lines are no records, as pandas skips them."""
    reader = csv.reader(io.StringIO(text))
    starts, line = [], 1
    for record in reader:
        if record:
            starts.append(line)
        line = reader.line_num + 1
    return starts


def _frame(text: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise SchemaError("csv", "the file is empty") from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise SchemaError("csv", f"cannot be read: {str(exc).strip()}") from None
    frame.columns = [str(c).strip().lower().replace(" ", "_") for c in frame.columns]
    for column in frame.columns:
        if column not in COLUMNS and not column.startswith("consent_"):
            raise SchemaError(f"line 1, column {column}", "unknown column")
    for column in ("id", "name"):
        if column not in frame.columns:
            raise SchemaError("line 1", f"needs a column {column!r}")
    if len(frame) > MAX_ROWS:
        raise SchemaError("csv", f"more than {MAX_ROWS} rows: split the file")
    return frame.apply(lambda col: col.str.strip())


class _Rows:
    """One customer's rows: its profile, cases and callbacks, and where each came from."""

    def __init__(self, rows: pd.DataFrame, tz: tzinfo, now: float) -> None:
        self.rows, self.tz, self.now = rows, tz, now
        self.where: dict[str, tuple[int, str]] = {}  # schema field → (line, column)
        self.profile: dict[str, Any] = {}

    def cell(self, column: str) -> str:
        """The profile column's one value across the rows (the first line that has it)."""
        if column not in self.rows.columns:
            return ""
        given = self.rows[self.rows[column] != ""]
        if given.empty:
            return ""
        values = given[column].unique()
        if len(values) > 1:
            line = int(given[given[column] != values[0]]["_line"].iloc[0])
            raise SchemaError(f"line {line}, column {column}", "differs from an earlier row")
        self.where[column] = (int(given["_line"].iloc[0]), column)
        return str(values[0])

    def when(self, row: Mapping[str, Any], column: str) -> float | None:
        try:
            return parse_when(column, row.get(column) or None, self.tz, self.now)
        except SchemaError as exc:
            raise SchemaError(f"line {row['_line']}, column {column}", exc.reason) from None

    def build(self) -> dict[str, Any]:
        p = self.profile
        for column in PROFILE:
            value = self.cell(column)
            if column in LISTS:
                p[column] = [v.strip() for v in value.split("|") if v.strip()]
            elif value or column == "name":
                p[column] = value
        consent = {}
        for column in (c for c in self.rows.columns if c.startswith("consent_")):
            value = self.cell(column).lower()
            if value and value not in YES + NO:
                line = self.where[column][0]
                raise SchemaError(f"line {line}, column {column}", "must be yes or no")
            if value:
                consent[column.removeprefix("consent_")] = value in YES
        if consent:
            p["consent"] = consent
        records = self.rows.to_dict("records")
        cases = [r for r in records if r.get("case_id")]
        p["cases"] = [self._case(i, r) for i, r in enumerate(cases)]
        callbacks = [r for r in records if r.get("callback_due")]
        p["callbacks"] = [self._callback(i, r) for i, r in enumerate(callbacks)]
        return p

    def _case(self, i: int, r: Mapping[str, Any]) -> dict[str, Any]:
        for column in CASE:
            self.where[f"cases.{i}.{column.removeprefix('case_')}"] = (r["_line"], column)
        case = {"id": r["case_id"], "reason": r.get("case_reason", ""),
                "eta": self.when(r, "case_eta")}  # fmt: skip
        for key in ("status", "priority"):
            if r.get(f"case_{key}"):
                case[key] = r[f"case_{key}"].lower()
        return case

    def _callback(self, i: int, r: Mapping[str, Any]) -> dict[str, Any]:
        for column in CALLBACK:
            self.where[f"callbacks.{i}.{column.removeprefix('callback_')}"] = (r["_line"], column)
        self.where[f"callbacks.{i}.case_id"] = (r["_line"], "callback_case")
        callback = {"due": self.when(r, "callback_due"), "case_id": r.get("callback_case") or None}
        if r.get("callback_status"):
            callback["status"] = r["callback_status"].lower()
        return callback

    def place(self, field: str) -> str:
        """Where a schema field (``cases.0.eta``, ``consent.sms``, ``products.2``) came from."""
        parts = field.split(".")
        if field == "id":
            return f"line {int(self.rows['_line'].iloc[0])}, column id"
        for n in (3, 1):
            key = ".".join(parts[:n])
            if key in self.where:
                line, column = self.where[key]
                return f"line {line}, column {column}"
        if parts[0] == "consent" and len(parts) > 1 and f"consent_{parts[1]}" in self.where:
            line, column = self.where[f"consent_{parts[1]}"]
            return f"line {line}, column {column}"
        return f"line {int(self.rows['_line'].iloc[0])}, column {parts[0]}"


def read_profiles(text: str, tz: tzinfo, now: float) -> list[tuple[str, dict[str, Any]]]:
    """Every customer of the file as ``(id, validated profile)``, in the file's order; the
    first problem raises :class:`SchemaError` naming its line and column."""
    frame = _frame(text)
    frame["_line"] = _starts(text)[1 : len(frame) + 1]
    blank = frame[frame["id"] == ""]
    if not blank.empty:
        raise SchemaError(f"line {int(blank['_line'].iloc[0])}, column id", "is required")
    out = []
    for customer_id, rows in frame.groupby("id", sort=False):
        built = _Rows(rows, tz, now)
        try:
            env = make_envelope("customer", str(customer_id), built.build(), ts=now)
        except SchemaError as exc:
            if exc.field.startswith("line "):
                raise
            field = exc.field.removeprefix("data.")
            raise SchemaError(built.place(field), exc.reason) from None
        out.append((env.id, env.data))
    return out
