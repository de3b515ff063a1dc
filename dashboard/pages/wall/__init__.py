"""The wall screen `/wall/<board>`: layout.py, and wall.js and wall.css for the browser."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, scripts=("wall.js",), styles=("wall.css",))
