"""The config's sections for running the service: ``[log]``, ``[metrics]`` and ``[health]``.

Kept beside :mod:`feeds.config` (which includes them in :class:`~feeds.config.Config`) so the
operations settings read as one group: how much the app says and in what shape, who may read
its metrics, and when a worker stops taking traffic. docs/operations.md explains each.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

LEVELS = ("debug", "info", "warning", "error")


def _network(entry: str) -> str:
    try:
        ipaddress.ip_network(entry, strict=False)
    except ValueError:
        raise ValueError(f"not an IP address or network: {entry!r}") from None
    return entry


# An address or a network (``10.0.0.0/8``): who may scrape, which proxies are believed.
Network = Annotated[str, AfterValidator(_network)]


class Section(BaseModel):
    """A config section: unknown keys are errors (a typo is never a silent default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Log(Section):
    """What the app and the producers log, and in what shape (``FLOORBOARD_LOG_LEVEL`` and
    ``FLOORBOARD_LOG_FORMAT`` win over these, so a running service can be made talkative
    without editing its file)."""

    level: Literal["debug", "info", "warning", "error"] = "info"
    format: Literal["text", "json"] = "text"  # json: one object per line, for a log shipper


class MetricsAccess(Section):
    """Who may read ``/metrics``: a scraper from one of ``networks``, or one that sends the
    bearer token held by the environment variable ``token_env`` (empty or unset: no token)."""

    networks: list[Network] = ["127.0.0.1", "::1"]  # addresses or networks (10.0.0.0/8)
    token_env: str = Field(
        default="FLOORBOARD_METRICS_TOKEN", max_length=64, pattern=r"^[A-Za-z0-9_]*$"
    )


class Health(Section):
    """When ``/readyz`` says a worker should not take traffic."""

    # Sequence numbers a worker's hub may be behind Redis. Normal traffic keeps it under a few
    # hundred; a worker far behind shows old values, so the load balancer should skip it.
    max_lag: int = Field(default=10_000, ge=1, le=10**9)
