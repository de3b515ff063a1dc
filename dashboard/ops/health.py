"""``/healthz``, ``/readyz`` and ``/metrics``: what load balancers, orchestrators and
Prometheus ask a worker.

* ``/healthz`` (liveness): the process answers. Always 200 while it does, whatever the bus:
  restarting the app does not bring Redis back. The body says what the worker sees (bus
  status, sequence number, open streams, release, and the push path's counters: deliveries,
  merges, resnapshots, drops), for a person or a dashboard.
* ``/readyz`` (readiness): should this worker take traffic? 200 only when Redis answers, the
  hub holds a snapshot and follows the bus, it is at most ``[health] max_lag`` sequence
  numbers behind Redis, and the data's schema is one this release reads. Otherwise 503, with
  each check and its reason in the body. A worker that has just booted is not ready until its
  first snapshot, so a load balancer never sends a screen a blank one.
* ``/metrics`` (Prometheus text format, :mod:`.metrics`): for ``[metrics] networks`` or with
  the bearer token in ``$<[metrics] token_env>``; anyone else gets 403.
"""

from __future__ import annotations

import dataclasses
import hmac
import ipaddress
import os
import time
from typing import Any

import redis
from flask import Blueprint, Response, g, jsonify, request

from dashboard.errors import error_response
from dashboard.live.hub import Hub
from dashboard.ops import metrics
from feeds.config_ops import Health, MetricsAccess
from feeds.data import migrations
from feeds.data.keys import SCHEMA

STARTED = time.time()


def readiness(hub: Hub, max_lag: int) -> tuple[bool, dict[str, Any]]:
    """(ready, each check with ``ok`` and what it found)."""
    live = hub.live()
    checks: dict[str, dict[str, Any]] = {
        "hub": {
            "ok": hub.synced and live["up"],
            "detail": live["detail"] or ("following the bus" if hub.synced else "no snapshot yet"),
        }
    }
    try:
        seq, schema = hub.bus.probe.mget(hub.bus.seq_key, hub.bus.prefix + SCHEMA)
    except (redis.RedisError, OSError) as exc:
        checks["redis"] = {"ok": False, "detail": f"cannot reach Redis: {exc}"}
    else:
        behind = max(0, int(seq or 0) - hub.seq)
        found = int(schema) if schema is not None else None
        problem = migrations.readable(found)
        checks["redis"] = {"ok": True, "detail": f"seq {int(seq or 0)}"}
        checks["lag"] = {"ok": behind <= max_lag, "behind": behind, "max": max_lag}
        checks["schema"] = {
            "ok": not problem, "data": found, "app": migrations.CURRENT,
            "detail": problem or ("no version yet: run `floorboard migrate`" if found is None
                                  else "current"),
        }  # fmt: skip
    return all(c["ok"] for c in checks.values()), checks


def _client_in(networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    try:
        address = ipaddress.ip_address(g.get("client_address") or request.remote_addr or "")
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in net for net in networks)


def blueprint(hub: Hub, release: str, health: Health, access: MetricsAccess) -> Blueprint:
    bp = Blueprint("ops", __name__)
    networks = [ipaddress.ip_network(n, strict=False) for n in access.networks]
    live_values = metrics.LiveCollector(hub, release)

    @bp.get("/healthz")
    def healthz() -> Response:
        hub.start()
        return jsonify(
            status="alive", version=release, pid=os.getpid(),
            uptime=round(time.time() - STARTED, 1), bus=hub.live(), seq=hub.seq,
            streams=hub.client_count(), dropped=hub.dropped, push=dataclasses.asdict(hub.stats),
        )  # fmt: skip

    @bp.get("/readyz")
    def readyz() -> Response:
        hub.start()
        ready, checks = readiness(hub, health.max_lag)
        body = {"status": "ready" if ready else "not ready", "checks": checks,
                "seq": hub.seq, "version": release}  # fmt: skip
        return jsonify(body), 200 if ready else 503

    @bp.get("/metrics")
    def scrape() -> Response:
        token = os.environ.get(access.token_env, "") if access.token_env else ""
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        allowed = _client_in(networks) or (
            bool(token) and hmac.compare_digest(given.encode(), token.encode())
        )
        if not allowed:
            return error_response(
                403, "authorization", "metrics are for [metrics] networks or its bearer token"
            )
        body, content_type = metrics.exposition(live_values)
        return Response(body, content_type=content_type, headers={"Cache-Control": "no-store"})

    return bp
