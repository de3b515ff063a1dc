"""The sign-in page: ``/login`` and ``/logout`` (:mod:`.views`) and its form (:mod:`.page`)."""

from __future__ import annotations

import flask

from dashboard.auth.csrf import Csrf
from dashboard.pages.login.views import Login
from feeds.accounts.store import Accounts


def register(server: flask.Flask, accounts: Accounts, csrf: Csrf) -> None:
    """Add ``/login`` (GET shows the form, POST signs in) and ``/logout`` (POST)."""
    views = Login(accounts, csrf)
    bp = flask.Blueprint("fb_auth", __name__)
    bp.add_url_rule("/login", view_func=views.login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", view_func=views.logout, methods=["POST"])
    server.register_blueprint(bp)
