"""``/api/v1`` routes of the intraday history: a planner's forecast in, a day's figures out.

``POST /forecast?day=YYYY-MM-DD`` takes a forecast for a day (default today) as a CSV file
(``text/csv``) or JSON ``{"rows": [{queue, interval, volume, aht}, ...]}``: every row checked
before anything is stored (:mod:`feeds.intraday.forecast`), the refusal naming the first problem
and listing up to 20 (``problems``: line or row, column, reason); stored whole, and published at
once when the day is today. ``GET /history/<day>?scope=all`` gives a day's intervals as JSON;
``/history/<day>/intervals.csv`` and ``/history/<day>/contacts.csv`` the exports (pandas,
:mod:`feeds.intraday.export`). Supervisors only: the figures are the centre's.
"""

from __future__ import annotations

import time

import pandas as pd
from flask import Blueprint, Response, jsonify, request

from dashboard.api.body import json_object, read_body, source
from dashboard.auth.access import require_role
from feeds.bus.bus import Bus
from feeds.config import Config
from feeds.errors import SchemaError
from feeds.intraday import export, series
from feeds.intraday.feed import load_forecast
from feeds.intraday.forecast import Forecast, read_csv, read_rows
from feeds.intraday.grid import Day, parse_day
from feeds.intraday.store import IntradayStore

MAX_FORECAST = 4 * 1024 * 1024  # a large centre's day: thousands of rows
FORECAST_PATH = "/api/v1/forecast"


def _day(config: Config, text: str | None, field: str = "day") -> Day:
    return Day.on(parse_day(text, config.tz, time.time(), field), config.tz, config.history.step)


def _csv(text: str, filename: str) -> Response:
    disposition = f'attachment; filename="{filename}"'
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": disposition})


def read_forecast(config: Config, day: Day) -> Forecast:
    """The request's forecast, checked row by row (ForecastError lists what is wrong)."""
    if request.mimetype == "text/csv":
        try:
            text = read_body(MAX_FORECAST).decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SchemaError("csv", "must be UTF-8 text") from None
        return read_csv(text, config, day)
    body = json_object()
    unknown = set(body) - {"rows"}
    if unknown:
        raise SchemaError(sorted(unknown)[0], "unknown field; expected rows")
    return read_rows(body.get("rows"), config, day)


def add_routes(bp: Blueprint, bus: Bus, config: Config) -> None:
    store = IntradayStore(bus, config)

    @bp.post("/forecast")
    @require_role("supervisor")
    def post_forecast() -> Response:
        day = _day(config, request.args.get("day"))
        forecast = read_forecast(config, day)
        load_forecast(bus, config, forecast, source(), time.time())
        return jsonify(day=day.text, intervals=forecast.intervals,
                       queues=sorted(forecast.by_queue), skipped=forecast.skipped)  # fmt: skip

    def intervals(day: str) -> tuple[Day, series.Scope, pd.DataFrame]:
        """The day asked for, the scope (``?scope=``, default all) and its intervals."""
        on = _day(config, day)
        s = series.scope(config, request.args.get("scope", "all"))
        return on, s, export.interval_table(store, config, on, s)

    @bp.get("/history/<day>")
    @require_role("supervisor")
    def day_intervals(day: str) -> Response:
        on, s, table = intervals(day)
        return jsonify(day=on.text, scope=s.key, step=on.step,
                       intervals=table.astype(object).where(table.notna(), None)
                       .to_dict("records"))  # fmt: skip

    @bp.get("/history/<day>/intervals.csv")
    @require_role("supervisor")
    def intervals_csv(day: str) -> Response:
        on, s, table = intervals(day)
        return _csv(export.to_csv(table), f"intervals-{s.key.replace(':', '-')}-{on.text}.csv")

    @bp.get("/history/<day>/contacts.csv")
    @require_role("supervisor")
    def contacts_csv(day: str) -> Response:
        on = _day(config, day)
        table = export.contacts_table(store, config, bus.contacts_key, on)
        return _csv(export.to_csv(table), f"contacts-{on.text}.csv")
