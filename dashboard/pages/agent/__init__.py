"""The agent tab `/agent/<agent_id>`: layout.py, model.py, and agent.js and agent.css."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, scripts=("agent.js",), styles=("agent.css",))
