"""The sign-in page: a small server-rendered form, strict headers, every value escaped.

Kept apart from :mod:`dashboard.auth` (who is asking, and may they) because it is only what a
person sees; auth decides what to show and this renders it.
"""

from __future__ import annotations

from typing import Any

import flask

from dashboard.pages.login import ASSETS

PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}

LOGIN_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Floorboard</title>
{{ head }}
</head>
<body class="fb-login">
<main class="fb-login-card">
<h1 class="fb-login-title">Floorboard</h1>
{% if error %}<p class="fb-login-error" role="alert">{{ error }}</p>{% endif %}
{% if principal %}
<p class="fb-login-who">Signed in as <strong>{{ principal.name }}</strong>
({{ principal.role }}).</p>
<p><a class="fb-login-link" href="{{ target }}">Continue</a></p>
<form method="post" action="{{ logout }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<button class="fb-login-button fb-login-button-quiet" type="submit">Sign out</button>
</form>
{% else %}
<form class="fb-login-form" method="post" action="{{ action }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<label class="fb-login-label" for="username">Username</label>
<input class="fb-login-input" id="username" name="username" value="{{ username }}"
 autocomplete="username" maxlength="64" required autofocus>
<label class="fb-login-label" for="password">Password</label>
<input class="fb-login-input" id="password" name="password" type="password"
 autocomplete="current-password" required>
<button class="fb-login-button" type="submit">Sign in</button>
</form>
{% endif %}
</main>
</body>
</html>
"""


def login_page(*, status: int, **values: Any) -> flask.Response:
    """The page with ``values`` (autoescaped: every value is text) and the strict headers."""
    html = flask.render_template_string(LOGIN_PAGE, head=ASSETS.head(), **values)
    response = flask.make_response(html, status)
    response.headers.update(PAGE_HEADERS)
    return response
