"""The CRM lookup: a customer the bus has no profile for is asked of the centre's CRM.

The card must never wait for the CRM: an agent greets the caller within seconds whether the
CRM answers or not. So the lookup runs in the background (a few worker threads, greenlets under
gevent), the request has a deadline for the whole answer (``crm.timeout``), and every outcome
ends in one bus write that wakes the cards waiting for it:

* a profile: published as the customer's ``customer`` item (source ``crm``), so every app
  process and every screen has it; it is fresh for ``crm.cache_seconds``, after which the next
  card that needs it shows it while it is asked again;
* not found (404): remembered for ``cache_seconds`` under ``<prefix>crm:<id>``, and the CRM's
  ``system`` item says it is up;
* slow, down, an error status or an answer that is not a valid profile: remembered for
  ``crm.retry_seconds`` with the reason, and the ``system`` item ``crm`` says it is down, so
  the card says "the CRM is not answering" and carries on with everything else it knows.

Several app processes share the work: a short Redis lock per customer means one of them asks.
The endpoint is ``crm.url`` with the customer id in place of ``{id}``; it answers a JSON object
in the ``customer`` schema (docs/customers.md), with a bearer token from the environment
variable named by ``crm.token_env`` if one is configured.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any

from feeds.bus.bus import Bus
from feeds.bus.schema import Envelope, loads, make_envelope, parse_data
from feeds.config_feeds import Crm
from feeds.errors import SchemaError

log = logging.getLogger(__name__)

SOURCE = "crm"
MAX_ANSWER = 64 * 1024  # bytes: a profile is a few hundred
WORKERS = 4
BACKLOG = 256  # lookups waiting for a worker; beyond that a lookup is dropped (and retried)


class CrmError(Exception):
    """The CRM could not give an answer; the message says why, for the card and the logs."""


def crm_key(prefix: str, customer_id: str) -> str:
    """What the CRM last said of a customer it had no profile for, or why it could not say."""
    return f"{prefix}crm:{customer_id}"


class CrmClient:
    """One HTTP GET per customer, within ``timeout`` seconds for the whole answer."""

    def __init__(self, url: str, timeout: float, token: str = "") -> None:
        self.url = url
        self.timeout = timeout
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def fetch(self, customer_id: str) -> dict[str, Any] | None:
        """The customer's validated profile; None when the CRM does not know them (404)."""
        url = self.url.replace("{id}", urllib.parse.quote(customer_id, safe=""))
        deadline = time.monotonic() + self.timeout
        try:
            with urllib.request.urlopen(
                urllib.request.Request(url, headers=self.headers), timeout=self.timeout
            ) as response:
                body = self._read(response, deadline)
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise CrmError(f"answered HTTP {exc.code}") from None
        except (TimeoutError, urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError) or "timed out" in str(reason):
                raise CrmError(f"no answer within {self.timeout:g} s") from None
            raise CrmError(f"cannot be reached ({reason})") from None
        try:
            data = loads(body)
            if not isinstance(data, dict):
                raise SchemaError("", "not a JSON object")
            return parse_data("customer", data)
        except SchemaError as exc:
            raise CrmError(f"answered something that is not a profile ({exc})") from None

    def _read(self, response: Any, deadline: float) -> bytes:
        chunks, size = [], 0
        while chunk := response.read(8192):
            size += len(chunk)
            if size > MAX_ANSWER:
                raise CrmError(f"answered more than {MAX_ANSWER} bytes")
            if time.monotonic() > deadline:
                raise TimeoutError
            chunks.append(chunk)
        return b"".join(chunks)


class CrmLookup:
    """Background lookups that publish what the CRM says (see the module's docstring)."""

    def __init__(
        self,
        bus: Bus,
        settings: Crm,
        clock: Callable[[], float] = time.time,
        client: CrmClient | None = None,
    ) -> None:
        self.bus = bus
        self.settings = settings
        self.clock = clock
        token = os.environ.get(settings.token_env, "") if settings.token_env else ""
        self.client = client or CrmClient(settings.url, settings.timeout, token)
        self._queue: queue.Queue[str] = queue.Queue(BACKLOG)
        self._asked: set[str] = set()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._status = ""  # what the ``system`` item last said: up or down

    def wanted(self, profile: Envelope | None, now: float) -> bool:
        """Whether the CRM should be asked: no profile, or a CRM one past its freshness."""
        if profile is None:
            return True
        return profile.source == SOURCE and now - profile.ts > self.settings.cache_seconds

    def request(self, customer_id: str) -> None:
        """Ask in the background, unless this process or another is asking already."""
        with self._lock:
            if customer_id in self._asked:
                return
            self._asked.add(customer_id)
            if not self._workers:
                for n in range(WORKERS):
                    worker = threading.Thread(target=self._work, name=f"crm-{n}", daemon=True)
                    worker.start()
                    self._workers.append(worker)
        lock = f"{self.bus.prefix}crm-lock:{customer_id}"
        try:
            if self.bus.client.set(lock, "1", nx=True, ex=max(1, round(self.settings.timeout + 1))):
                self._queue.put_nowait(customer_id)
                return
        except queue.Full:
            log.warning("CRM lookups backed up; %s will be asked again later", customer_id)
        except Exception:  # Redis away: the card says pending; the next card asks again
            log.warning("cannot start the CRM lookup of %s", customer_id, exc_info=True)
        with self._lock:
            self._asked.discard(customer_id)

    def _work(self) -> None:
        while True:
            customer_id = self._queue.get()
            try:
                self.lookup(customer_id)
            except Exception:  # Redis away while publishing: logged; the next card asks again
                log.warning("CRM lookup of %s not recorded", customer_id, exc_info=True)
            finally:
                with self._lock:
                    self._asked.discard(customer_id)

    def lookup(self, customer_id: str) -> str:
        """Ask the CRM now and publish what it said; returns ``found``, ``missing`` or
        ``failed`` (what the card will say)."""
        now = self.clock()
        try:
            profile = self.client.fetch(customer_id)
        except CrmError as exc:
            log.warning("CRM lookup of %s failed: %s", customer_id, exc)
            self._remember(customer_id, "failed", str(exc), self.settings.retry_seconds, now)
            self._say("down", f"the CRM {exc}", now)
            return "failed"
        if profile is None:
            self._remember(customer_id, "missing", "", self.settings.cache_seconds, now)
            self._say("up", "answering", now, always=True)
            return "missing"
        env = make_envelope("customer", customer_id, profile, ts=now, source=SOURCE)
        pipe = self.bus.client.pipeline(transaction=False)
        pipe.delete(crm_key(self.bus.prefix, customer_id))
        pipe.execute()
        self.bus.publish(env)
        self._say("up", "answering", now)
        return "found"

    def _remember(self, customer_id: str, status: str, detail: str, ttl: float, now: float) -> None:
        answer = json.dumps({"status": status, "detail": detail, "at": now})
        self.bus.client.set(crm_key(self.bus.prefix, customer_id), answer, ex=max(1, round(ttl)))

    def _say(self, status: str, detail: str, now: float, always: bool = False) -> None:
        """The CRM's ``system`` item: published on every failure (it wakes the cards waiting for
        their lookup), on a change, and after a "not found" (which wakes them too)."""
        if status == self._status and status == "up" and not always:
            return
        self._status = status
        data = {"component": SOURCE, "status": status, "detail": detail[:300]}
        self.bus.publish(make_envelope("system", SOURCE, data, ts=now, source=SOURCE))
