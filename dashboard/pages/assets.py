"""The browser half of the pages: the shared stream client for all, each page's own JS and CSS.

Dash serves everything in the top-level ``assets/`` folder on every page, so that folder holds
only what every page shares: ``base.css`` (tokens, badges, severity and status, the connection
band), ``render.js`` (components and props, time as text, the message and outage entries) and
``stream.js`` (the one stream client). A page's own scripts and stylesheets live in its package
next to its Python and are declared there as a :class:`PageAssets`::

    ASSETS = PageAssets(__name__, scripts=("wall.js",), styles=("wall.css",))

A Dash page names them when it is registered (``dash.register_page(..., page_assets=ASSETS)``)
and :class:`PagesDash` links them in that page's HTML only; a plain Flask page (the sign-in
page) writes :meth:`PageAssets.head` into its own. :func:`register` serves the declared files,
and nothing else of the packages, at ``/_pages/<page>/<file>?v=<content hash>``: a new version
is a new address, so browsers may keep a file as long as they like.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import flask
from dash import ClientsideFunction, Dash, Input, Output
from dash._pages import _path_to_page  # Dash's router: path -> page (private, no public twin)
from markupsafe import Markup, escape

SHARED = Path(__file__).resolve().parents[2] / "assets"  # the folder Dash serves at /assets/
SHARED_URL = "/assets/"
PAGES_URL = "/_pages/"
YEAR = 365 * 24 * 3600


@dataclass(frozen=True)
class PageAssets:
    """The scripts and stylesheets of one page, files of its package (``module``)."""

    module: str
    scripts: tuple[str, ...] = ()
    styles: tuple[str, ...] = ()
    # Components the page shows, with their own assets (the charts: dashboard/pages/charts),
    # linked before the page's own.
    uses: tuple[PageAssets, ...] = ()

    @property
    def page(self) -> str:
        """The page's name in asset URLs: its package's last part (``wall``)."""
        return self.module.rsplit(".", 1)[-1]

    @property
    def folder(self) -> Path:
        """Where the files are: the package's own folder, next to its Python."""
        spec = importlib.util.find_spec(self.module)
        assert spec is not None and spec.origin is not None, f"no package {self.module}"
        return Path(spec.origin).parent

    def url(self, name: str) -> str:
        return f"{PAGES_URL}{self.page}/{name}?v={_version(self.folder / name)}"

    def styles_html(self, *, shared: bool = False) -> str:
        """``<link>`` tags; with ``shared``, ``base.css`` first."""
        hrefs = [f"{SHARED_URL}base.css?v={_version(SHARED / 'base.css')}"] if shared else []
        hrefs += [a.url(name) for a in (*self.uses, self) for name in a.styles]
        return "\n".join(f'<link rel="stylesheet" href="{escape(href)}">' for href in hrefs)

    def scripts_html(self) -> str:
        """``<script>`` tags: plain, in order. Placed before Dash's renderer starts, so a page's
        renderers and clientside functions are in place before the first callback; they need
        nothing of the shared scripts at load (``stream.js`` looks them up each time it
        renders, and hands them ``render.js``'s helpers)."""
        return "\n".join(
            f'<script src="{escape(a.url(name))}"></script>'
            for a in (*self.uses, self)
            for name in a.scripts
        )

    def head(self) -> Markup:
        """Everything for a page Dash does not build (so it gets no ``assets/``): base.css too."""
        return Markup(f"{self.styles_html(shared=True)}\n{self.scripts_html()}".strip())


class PagesDash(Dash):
    """Dash whose page HTML also carries the assets of the page asked for, and only those."""

    def interpolate_index(self, **kwargs: str) -> str:
        page = page_assets(flask.request.path)
        if page is not None:
            kwargs["css"] += "\n" + page.styles_html()
            kwargs["scripts"] += "\n" + page.scripts_html()
        return super().interpolate_index(**kwargs)


def page_assets(path: str) -> PageAssets | None:
    """The assets of the Dash page at ``path``, by Dash's own router (so the head always
    belongs to the layout Dash serves there)."""
    page, _ = _path_to_page(path.strip("/"))
    return page.get("page_assets")


def register(app: Dash, declared: Iterable[PageAssets]) -> None:
    """Serve the declared page assets, and start the shared stream client on every page.

    The client's entry point runs whenever a page's ``fb-view`` store (its stream URL and
    manifest) is rendered; a page without a stream gives it ``None``.
    """
    pages = {a.page: a for a in _with_used(declared)}

    @app.server.route(f"{PAGES_URL}<page>/<name>", endpoint="fb_page_asset")
    def page_asset(page: str, name: str) -> flask.Response:
        assets = pages.get(page)
        if assets is None or name not in (*assets.scripts, *assets.styles):
            flask.abort(404)  # only what a page declares: never the package's Python
        path = assets.folder / name
        fresh = flask.request.args.get("v") == _version(path)
        return flask.send_file(path, max_age=YEAR if fresh else 0)

    app.clientside_callback(
        ClientsideFunction(namespace="floorboard", function_name="connect"),
        Output("fb-conn", "data"),
        Input("fb-view", "data"),
    )


def release(declared: Iterable[PageAssets], version: str) -> str:
    """What the app's pages are built from: ``$FLOORBOARD_RELEASE`` (a deployment's build id),
    else the package ``version`` and a fingerprint of every script and stylesheet served. An
    open page that meets another release reloads itself (``stream.js``): after an upgrade, a
    wall never keeps running yesterday's scripts against today's server."""
    given = os.environ.get("FLOORBOARD_RELEASE")
    if given:
        return given
    files = sorted(SHARED.glob("*.js")) + sorted(SHARED.glob("*.css"))
    files += [a.folder / name for a in _with_used(declared) for name in (*a.scripts, *a.styles)]
    digest = hashlib.sha256("".join(_version(path) for path in files).encode())
    return f"{version}+{digest.hexdigest()[:8]}"


def _with_used(declared: Iterable[PageAssets]) -> list[PageAssets]:
    """The pages' assets and those of the components they use, each once (a page's own
    declaration first: another page may use only part of it, e.g. its stylesheet)."""
    declared = list(declared)
    found = {a.page: a for a in declared}
    for a in declared:
        for b in a.uses:
            found.setdefault(b.page, b)
    return list(found.values())


def _version(path: Path) -> str:
    stat = path.stat()
    return _digest(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=64)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    """The first 12 hex digits of the file's SHA-256, read again only when the file changes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
