"""The supervisor's Today page ``/supervisor/today``: layout.py (the page: pickers, charts,
table, exports), model.py (the view-model); for the browser, today.js and today.css, and the
charts' own assets (dashboard/pages/charts)."""

from dashboard.pages import charts
from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, scripts=("today.js",), styles=("today.css",), uses=(charts.ASSETS,))
