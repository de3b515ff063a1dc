"""A real local HTTP server standing in for a centre's CRM, for the lookup tests: it answers
each customer id in its own way (a profile, slowly, junk, an error, not found)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PROFILE = {"name": "Asha Patel", "preferred_name": "Mrs Patel", "segment": "Standard tariff",
           "region": "North East", "postcode_area": "NE", "products": ["Electricity"]}  # fmt: skip
SLOW_SECONDS = 5.0


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        asked = self.server.asked  # type: ignore[attr-defined]
        asked.append((self.path, self.headers.get("Authorization")))
        customer = self.path.rsplit("/", 1)[-1]
        if customer.startswith("SLOW"):
            time.sleep(SLOW_SECONDS)
            return self._send(200, json.dumps(PROFILE).encode())
        if customer.startswith("JUNK"):
            return self._send(200, b"<html>the CRM's login page</html>")
        if customer.startswith("WRONG"):
            return self._send(200, json.dumps({"nom": "Asha"}).encode())
        if customer.startswith("FAIL"):
            return self._send(500, b"internal error")
        if customer.startswith("NONE"):
            return self._send(404, b"{}")
        return self._send(200, json.dumps({**PROFILE, "name": f"Customer {customer}"}).encode())

    def _send(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (a timeout): nothing to do
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def crm_server() -> Iterator[ThreadingHTTPServer]:
    """The server on a free port (``server.server_port``); ``server.asked`` lists the requests
    (path, Authorization header)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.asked = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
