"""The supervisor's floor ``/supervisor/floor``: every agent live, grouped by team.

Who may see it: supervisors and admins. A GET by anyone else is answered before Dash sees it
(sign in first; 403 for an agent or a viewer), the layout checks again (Dash serves layouts from
callback POSTs whatever the address bar says), and its stream (``view=floor``) needs the same
role (:data:`dashboard.auth.access.VIEW_ROLES`). The cells are items of the ``floor`` view
(:mod:`.model`), drawn in the browser by ``floor.js`` through the shared stream client.
"""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(
    __name__, scripts=("patch.js", "cells.js", "queues.js", "floor.js"), styles=("floor.css",)
)
