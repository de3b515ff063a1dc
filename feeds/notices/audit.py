"""The audit log: who changed what, when, with the values before and after.

One capped Redis stream, ``<prefix>audit``. Entries are appended inside the transaction of the
change they describe (see :mod:`feeds.notices`), so the log and the live state cannot disagree.
The stream is trimmed approximately (``MAXLEN ~``), which lets Redis drop whole nodes cheaply;
the log keeps at least the newest ``MAXLEN`` entries.
"""

from __future__ import annotations

import json
from typing import Any

import redis
from redis.client import Pipeline

AUDIT_MAXLEN = 100_000
_PAGE = 500  # entries read per round trip when filtering by kind


class AuditLog:
    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.key = f"{prefix}audit"

    def append(
        self,
        pipe: Pipeline,
        *,
        actor: str,
        action: str,
        kind: str,
        id: str,
        before: Any,
        after: Any,
        at: float,
    ) -> None:
        """Queue one entry on ``pipe`` (the change's own transaction)."""
        entry = {
            "at": at,
            "actor": actor,
            "action": action,
            "kind": kind,
            "id": id,
            "before": before,
            "after": after,
        }
        pipe.xadd(self.key, {"e": json.dumps(entry)}, maxlen=AUDIT_MAXLEN, approximate=True)

    def read(self, limit: int = 100, kind: str | None = None) -> list[dict[str, Any]]:
        """The newest ``limit`` entries (of ``kind`` if given), newest first."""
        out: list[dict[str, Any]] = []
        end = "+"
        while len(out) < limit:
            page = self.client.xrevrange(self.key, max=end, min="-", count=_PAGE)
            for stream_id, fields in page:
                entry = json.loads(fields[b"e"])
                if kind is None or entry["kind"] == kind:
                    out.append({"entry_id": stream_id.decode(), **entry})
                    if len(out) == limit:
                        break
            if len(page) < _PAGE:
                break
            end = "(" + page[-1][0].decode()  # exclusive: continue below the last one read
        return out
