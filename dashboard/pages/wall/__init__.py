"""The wall screen `/wall/<board>`: layout.py (its script and styles are still the shared
``assets/floorboard.js`` and ``assets/floorboard.css``)."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__)
