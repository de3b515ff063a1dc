"""The wall screen `/wall/<board>`: layout.py (the page), tiles.py (each tile type's
components), model.py (the view-model), and wall.js, unattended.js and wall.css for the browser."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, scripts=("wall.js", "unattended.js"), styles=("wall.css",))
