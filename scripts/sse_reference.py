"""The minimal SSE server ``scripts/bench.py`` measures the product against, in the same run.

What a developer would write in an afternoon with gevent and Flask: one greenlet follows the
bus channel (``fb:live``) and puts each update, framed once, into every open stream's
``gevent.queue.Queue``; each stream's generator yields what its queue holds. No snapshot from
state, no resume, no heartbeats, no merging, no access checks, no view-models: the item sent
is the envelope's data as it came. It exists as a floor to beat, not as a design to copy.

Served by gunicorn with gevent workers like the product::

    REDIS_URL=redis://... gunicorn -k gevent --chdir scripts sse_reference:server
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import gevent
import redis
from flask import Flask, Response
from gevent.queue import Queue

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
CHANNEL = os.environ.get("FLOORBOARD_PREFIX", "fb:") + "live"

server = Flask(__name__)
streams: set[Queue] = set()


def follow() -> None:
    """Fan each update out: one frame, put into every stream's queue."""
    pubsub = redis.Redis.from_url(REDIS_URL).pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(CHANNEL)
    for message in pubsub.listen():
        env = json.loads(message["data"])
        data = json.dumps({"seq": env["seq"], "items": {f"tile:{env['id']}": env["data"]}})
        chunk = f"id: {env['seq']}\nevent: update\ndata: {data}\n\n".encode()
        for queue in list(streams):
            queue.put(chunk)


PAGE = """<!doctype html><title>Direct</title><div id="billing-waiting">—</div><script>
const el = document.getElementById("billing-waiting");
new EventSource("/stream").addEventListener("update", (e) => {
  el.textContent = JSON.parse(e.data).items["tile:billing"].waiting;
});
</script>"""


@server.get("/")
def health() -> str:
    return "ok"


@server.get("/page")
def page() -> str:
    """A page that sets the text straight from the stream: the floor for event → DOM."""
    return PAGE


@server.get("/stream")
def stream() -> Response:
    queue: Queue = Queue()

    def frames() -> Iterator[bytes]:
        streams.add(queue)
        try:
            yield b'retry: 1000\n\nevent: snapshot\ndata: {"items":{}}\n\n'
            while True:
                yield queue.get()
        finally:
            streams.discard(queue)

    return Response(frames(), mimetype="text/event-stream")


gevent.spawn(follow)  # imported in each worker, after gevent has patched it
