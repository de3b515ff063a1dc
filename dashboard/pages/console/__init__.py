"""The supervisor console ``/supervisor``: key messages, outages, delay reasons and the audit log.

Who may see it: a signed-in supervisor (or admin). The page (:mod:`.page`) shows anyone else
only a way to sign in, and every server callback checks the role again before reading or
changing anything (:func:`.common.supervisor`): the page is never trusted. CSRF needs nothing
here: Dash's renderer sends the session's token with every callback POST and
:mod:`dashboard.auth` refuses one without it.

What lives where, and why:

* The lists of messages (with "acknowledged N of M" and who has not), active outages and delay
  reasons are items of the ``console`` stream (:mod:`dashboard.pages.console.model`), applied
  in the browser by this package's ``console.js`` through the shared stream client
  (``assets/stream.js``). An agent's acknowledgement reaches every console within a second,
  with no server callback per update.
* The audit log, recently resolved outages and an outage's timeline are not on the bus (they
  are Redis streams, hashes and lists), so server callbacks read them back (:mod:`.audit`).
* Actions are server callbacks calling the same services as ``/api/v1`` and the CLI, so a
  change here is validated, published and audited exactly as one made there.
* Each panel is one module holding its layout and its callbacks (:mod:`.messages`,
  :mod:`.outages`, :mod:`.delays`, :mod:`.audit`); what they share is in :mod:`.common`,
  :mod:`.widgets` and :mod:`.forms`.

User text is only ever given to components as text (React escapes it); nothing here or in the
script builds HTML from strings.
"""

from dashboard.pages.assets import PageAssets

ASSETS = PageAssets(__name__, scripts=("console.js", "alerts.js"), styles=("console.css",))
