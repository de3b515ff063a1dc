"""What the hub needs of a view: the protocol every page's view-model implements.

A view spec turns the hub's mirror into items and says, for one envelope, which item keys to
recompute: so a change costs work for the items it touches, once per view, however many screens
show that view. Pages implement it structurally (no import of this module): the hub depends on
the shape, not on any page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from feeds.bus.schema import Envelope

if TYPE_CHECKING:
    from dashboard.auth.principal import Principal

Mirror = dict[str, dict[str, Envelope]]
Item = dict[str, Any]


class ViewSpec(Protocol):
    key: str  # one view per key: every screen showing it shares its items and frames

    def keys(self) -> list[str]: ...
    def affected(self, env: Envelope) -> set[str]: ...
    def compute(self, key: str, mirror: Mirror, now: float) -> Item: ...


# The view a stream request opens: (view name, query parameters, who asks) -> spec. LookupError
# names an unknown view or item (404); PermissionError: the principal may not see it (403).
ViewFactory = Callable[[str, dict[str, str], "Principal | None"], ViewSpec]
