"""Password and token hashes as data written before schema 1 holds them.

Until issue 8, passwords and API tokens were both stored as ``scrypt$N$r$p$<salt hex>$<hex>``
(``hashlib.scrypt`` over the raw salt bytes). Werkzeug's format, used since, keeps its salt as
text, so an old hash cannot be rewritten in it without the password. So:

* a password in the old form is checked here once, at the user's next sign-in, and stored
  again in the current form (:meth:`feeds.accounts.users.Users.verify_password`);
* a token in the old form cannot be checked without a scrypt per request (what the SHA-256
  scheme exists to avoid), so ``floorboard migrate`` revokes it and names it, to be issued
  again (:mod:`feeds.data.migrations`).
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "scrypt$"  # Werkzeug's hashes start "scrypt:" and tokens' "sha256$"


def is_legacy(stored: str) -> bool:
    return stored.startswith(PREFIX)


def matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` hashes to the old-form ``stored`` (its own parameters)."""
    try:
        _, n, r, p, salt, digest = stored.split("$")
        expected = bytes.fromhex(digest)
        got = hashlib.scrypt(
            secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
            maxmem=132 * int(n) * int(r) * int(p) + 2**20, dklen=len(expected),
        )  # fmt: skip
    except ValueError:
        return False
    return hmac.compare_digest(got, expected)
