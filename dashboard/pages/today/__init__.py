"""The supervisor's Today page ``/supervisor/today``: layout.py (the page: pickers, charts,
table, exports), model.py (the view-model); for the browser, today.js and today.css, the
charts' own assets (dashboard/pages/charts) and the console's stylesheet (its frame and header,
which this page shares)."""

from dashboard.pages import charts
from dashboard.pages.assets import PageAssets

CONSOLE_STYLE = PageAssets("dashboard.pages.console", styles=("console.css",))
PATCH = PageAssets("dashboard.pages.floor", scripts=("patch.js",))  # the table's rows, in place
ASSETS = PageAssets(
    __name__,
    scripts=("today.js",),
    styles=("today.css",),
    uses=(charts.ASSETS, CONSOLE_STYLE, PATCH),
)
