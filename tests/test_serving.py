"""A gunicorn worker's boot (the ``post_worker_init`` hook), without gunicorn."""

from __future__ import annotations

import gc
from types import SimpleNamespace

from dashboard.serving import _start_hub


class Hub:
    started = False

    def start(self) -> None:
        self.started = True


def test_a_booted_worker_starts_its_hub_with_the_apps_objects_out_of_the_collectors_sight():
    hub = Hub()
    worker = SimpleNamespace(
        wsgi=SimpleNamespace(extensions={"floorboard": SimpleNamespace(hub=hub)})
    )
    gc.unfreeze()
    try:
        _start_hub(worker)
        assert hub.started
        assert gc.get_freeze_count() > 0  # full collections no longer walk the app's objects
    finally:
        gc.unfreeze()
