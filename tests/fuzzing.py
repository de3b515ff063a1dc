"""What the fuzz tests share: hypothesis settings, input strategies and the "nothing written"
check, for the live channel (test_fuzz_live), the API (test_fuzz_api) and the CLI
(test_fuzz_cli).

Inputs mix plain garbage (bytes, any JSON) with near misses: objects whose keys are the
schema's own field names and whose values are wrong in every way a producer gets them wrong
(types, bounds, NaN and infinity, hidden characters, deep nesting), and valid values at the
edges of their bounds, since those are what reach the screens' arithmetic.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from feeds.bus.schema import KINDS

# At least 10^4 generated inputs per door (issue 8); FLOORBOARD_FUZZ_EXAMPLES to go further.
EXAMPLES = int(os.environ.get("FLOORBOARD_FUZZ_EXAMPLES", "10000"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written to the work tree; derandomised: CI runs the same inputs
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)

FIELDS = [
    "text", "priority", "audience", "kind", "value", "starts_at", "expires_at", "ack_required",
    "service", "severity", "status", "customer_wording", "internal_note", "workaround", "eta",
    "queues", "offer", "started_at", "reason", "expected_wait", "queue", "agent_id", "id", "ts",
    "seq", "source", "deleted", "data", "waiting", "aht", "asa", "name", "state", "since",
    "skills", "team", "event", "channel", "customer_id", "enqueued_at", "message_id", "at",
]  # fmt: skip
WORDS = [
    "all", "team", "queue", "agent", "billing", "faults", "North", "a01", "urgent", "info",
    "critical", "major", "identified", "resolved", "available", "on_contact", "voice", *KINDS,
]  # fmt: skip

text = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=30),
    st.sampled_from(["", " ", "\u202e£1000", "\x00", "x" * 501, "<script>", "{}", "NaN"]),
)
number = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 1e308, 7 * 86400, 10**7, time.time() + 600, 946_684_800]),
)
scalar = st.one_of(st.none(), st.booleans(), number, text)
json_value = st.recursive(
    scalar,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# Objects in the schema's own words: most of what a confused producer sends.
near_miss = st.dictionaries(
    st.sampled_from(FIELDS), st.one_of(scalar, json_value, st.just({"kind": "team"})), max_size=6
)


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": [value]}
    return value


deep = st.integers(min_value=5, max_value=400).map(nested)
body = st.one_of(near_miss, json_value, deep)


def writes(client: redis.Redis) -> int:
    """Redis's count of changes to its data: equal before and after means nothing written."""
    return int(client.info("persistence")["rdb_changes_since_last_save"])
