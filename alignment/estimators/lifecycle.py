"""Closing pose detectors that outlive a page run (cached or per-session) at interpreter exit.

MediaPipe runs its C calls on a concurrent.futures thread pool, and that pool is shut down by
`threading`'s exit hooks, which run *before* `atexit` handlers: a detector closed from an
`atexit` handler fails with "cannot schedule new futures after shutdown". So the open
detectors are closed from a `threading` exit hook registered after MediaPipe's pool module,
which therefore runs before the pool shuts down.
"""

from __future__ import annotations

import atexit
import concurrent.futures.thread  # noqa: F401  (its exit hook must be registered before ours)
import logging
import threading
import weakref
from typing import Protocol

LOG = logging.getLogger(__name__)


class Closeable(Protocol):
    def close(self) -> None: ...


_open: weakref.WeakSet[Closeable] = weakref.WeakSet()


def close_at_exit(obj: Closeable) -> None:
    """Close `obj` at interpreter exit unless it is closed (and dropped) before."""
    _open.add(obj)


def close_all() -> None:
    for obj in list(_open):
        try:
            obj.close()
        except Exception:  # exiting: report, never raise
            LOG.debug("closing %r at exit failed", obj, exc_info=True)
    _open.clear()


_register = getattr(threading, "_register_atexit", None)
if _register is not None:
    _register(close_all)
else:  # pragma: no cover - other Python implementations
    atexit.register(close_all)
