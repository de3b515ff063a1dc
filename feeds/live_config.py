"""The config as the file says now: a centre edits its boards and the walls follow, no restart.

The app asks :class:`LiveConfig` for the config whenever it builds a wall or checks that an
open one is still current; the file is looked at (a ``stat``) at most every ``check_seconds``
and read again only when it changed. An edit that does not validate is logged and refused, as
a bad file is at start, and the last good config stays: a typo never blanks a wall.

What follows the file: the boards, and the centre and queues as walls show them. What is fixed
when the app starts (Redis, access, the stream's settings; the console and the API read the
startup config) still needs a restart: docs/boards.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

from feeds.config import Config, ConfigError, config_path, load_config

log = logging.getLogger(__name__)

CHECK_SECONDS = 2.0


class LiveConfig:
    """Call it for the current config. ``path`` None: ``config`` as given, for good."""

    def __init__(
        self,
        path: str | Path | None,
        config: Config,
        check_seconds: float = CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.path = Path(path) if path is not None else None
        self.config = config
        self.check_seconds = check_seconds
        self.clock = clock
        self.error: str | None = None  # why the file on disk is not the config in use
        self._checked = clock()
        self._stamp = self._stat()
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | Path | None = None) -> LiveConfig:
        """The config file (:func:`feeds.config.config_path`), loaded now (a bad one raises
        :class:`ConfigError`) and followed from then on."""
        where = config_path(path)
        return cls(where, load_config(where))

    def _stat(self) -> tuple[int, int] | None:
        if self.path is None:
            return None
        try:
            st = self.path.stat()
        except OSError:
            return None
        return st.st_mtime_ns, st.st_size

    def __call__(self) -> Config:
        if self.path is None or self.clock() - self._checked < self.check_seconds:
            return self.config
        with self._lock:
            if self.clock() - self._checked < self.check_seconds:
                return self.config  # another caller has just looked
            self._checked = self.clock()
            stamp = self._stat()
            if stamp != self._stamp:
                self._stamp = stamp
                self._reload()
        return self.config

    def _reload(self) -> None:
        try:
            config = load_config(self.path)
        except ConfigError as exc:
            if str(exc) != self.error:
                log.error("config not reloaded, the last good one stays: %s", exc)
            self.error = str(exc)
            return
        if self.error or config != self.config:
            log.info("config reloaded from %s", self.path)
        self.config, self.error = config, None
