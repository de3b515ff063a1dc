"""The sign-in page (page.py, plain Flask HTML) and its login.css."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, styles=("login.css",))
