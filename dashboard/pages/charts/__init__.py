"""Intraday charts, shared by the wall's chart tiles, the Today page and the agent tab:
model.py (the view-model: a chart's two items), figure.py (the Plotly figure each page builds
once), charts.js (patches the figure from the stream, never redraws it) and charts.css. A page
that shows charts lists :data:`ASSETS` in its own ``uses``."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, scripts=("charts.js",), styles=("charts.css",))
