"""The sign-in page: ``/login`` and ``/logout`` (:mod:`.views`), its form (:mod:`.page`, plain
Flask HTML) and its ``login.css``."""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, styles=("login.css",))
