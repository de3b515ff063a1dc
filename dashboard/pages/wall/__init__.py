"""The wall screen `/wall/<board>`: layout.py (the page), tiles.py (each tile type's
components), model.py (the view-model); for the browser, wall.js, alerts.js (the alerts tile)
and unattended.js, and
wall.css, queue.css and tiles.css."""

from dashboard.pages import charts
from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(
    __name__,
    scripts=("wall.js", "alerts.js", "unattended.js"),
    styles=("wall.css", "queue.css", "tiles.css"),
    uses=(charts.ASSETS,),
)
