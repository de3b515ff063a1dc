"""An agent's day ``/agent/<agent_id>/day``, opened from the floor: layout.py (the page),
model.py (the view-model, also the JSON route's), agentday.js (kept current from the
agent's stream) and agentday.css."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, scripts=("agentday.js",), styles=("agentday.css",))
