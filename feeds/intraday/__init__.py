"""Intraday history: the centre's day in intervals, with pandas (docs/history.md).

:mod:`.grid` (the day's intervals, daylight saving included), :mod:`.rows` (an interval's
figures from its counters, roll-ups), :mod:`.live` (kept up to date by the producer that
aggregates), :mod:`.frame` (the same from the contacts stream, with pandas: rebuilds, exports),
:mod:`.store` (Redis: days of intervals and forecasts, with retention), :mod:`.forecast`
(a planner's forecast, checked row by row) and :mod:`.series` (what a chart draws).
"""
