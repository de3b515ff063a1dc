"""The simulated centre's forecast: what a planner would expect of it, interval by interval.

The simulator draws its arrivals from :data:`feeds.simulator.model.INTRADAY` and the queues'
peak rates, so the expected volume of an interval is that rate integrated over it, and the
expected AHT the channel's mean talk, hold and wrap. The demo loads it for today (the charts
then show forecast against actual: the outage's surge stands out above it), and
``docs/samples/forecast-day.csv`` is this for the example config (``floorboard forecast
sample``): a planner's file to copy.
"""

from __future__ import annotations

import csv
import io

from feeds.config import Config
from feeds.simulator import model as cm

SAMPLES = 6  # points per interval the profile is averaged over


def forecast_rows(config: Config, agents: int = 24) -> list[dict[str, object]]:
    """One row per queue and interval of a day: ``queue, interval, volume, aht``."""
    rates = cm.peak_rates(config.queues, agents)
    minutes = config.history.interval_minutes
    out: list[dict[str, object]] = []
    for queue in config.queues:
        aht = round(cm.channel_model(queue.channel).aht)
        for start in range(0, 24 * 60, minutes):
            hours = [(start + minutes * (k + 0.5) / SAMPLES) / 60 for k in range(SAMPLES)]
            level = sum(cm.profile(h) for h in hours) / SAMPLES
            volume = round(rates[queue.id] * level * minutes * 60, 1)
            interval = f"{start // 60:02d}:{start % 60:02d}"
            out.append({"queue": queue.id, "interval": interval, "volume": volume, "aht": aht})
    return out


def forecast_csv(config: Config, agents: int = 24) -> str:
    """:func:`forecast_rows` as the CSV a planner's tool would write."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["queue", "interval", "volume", "aht"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(forecast_rows(config, agents))
    return buffer.getvalue()
