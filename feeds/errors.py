"""The one error for bad input: it names the field and the reason.

Every door (the HTTP API, the console's forms, the ``floorboard`` command, the bus) refuses bad
input the same way, so a person can always see what to fix. It lives here, apart from the bus
schema, because time parsing, accounts and the command line raise it too without needing the
schema.
"""

from __future__ import annotations


class SchemaError(ValueError):
    """Invalid input: names the field (a dotted path, or an option such as ``--wait``) and the
    reason; ``str()`` is ``"field: reason"``."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.field = field
        self.reason = reason
