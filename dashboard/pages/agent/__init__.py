"""The agent tab `/agent/<agent_id>`: layout.py, model.py, card.py and record.py (the
moment-of-truth card and its forms), and agent.js, card.js and agent.css."""

from dashboard.pages import charts
from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(
    __name__, scripts=("agent.js", "card.js"), styles=("agent.css",), uses=(charts.ASSETS,)
)
