"""The live path's database thread: one per process, with a connection that stays open.

Channels' `database_sync_to_async` closes "old" connections before and after every call; with
the default `CONN_MAX_AGE = 0` that is a new connection per call, and closing the last SQLite
connection checkpoints the WAL (an fsync), which cost ~9 ms per op here. The websocket
consumers instead run all their ORM work (batched writes, catch-up reads, access checks) in
this single thread, which keeps its connection for the life of the process and replaces it
only when it breaks (a restarted PostgreSQL). HTTP views are untouched and keep Django's
per-request connection handling.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from django.db import InterfaceError, OperationalError, connection

log = logging.getLogger(__name__)
T = TypeVar("T")


class DbThread:
    """One thread with its own long-lived connection; ORM work is queued to it in order.

    The live path has one (`run_db`); the facilitator board has another, so that its reads
    never queue in front of a live edit (trees/realtime/board.py).
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def _get_executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self._name)
            return self._executor

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run `fn(*args, **kwargs)` in this thread and return its result."""
        loop = asyncio.get_running_loop()
        call = functools.partial(_call, fn, args, kwargs)
        return await loop.run_in_executor(self._get_executor(), call)

    def close(self) -> None:
        """Close the thread's connection and stop the thread (tests, shutdown)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            # Resolve `connection` inside the thread: it is per thread.
            executor.submit(lambda: connection.close()).result()
            executor.shutdown(wait=True)


def _call(fn: Callable[..., T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> T:
    for attempt in (1, 2):
        try:
            return fn(*args, **kwargs)
        except (OperationalError, InterfaceError):
            # The connection may have died under us (database restarted). Drop it; the next
            # query reconnects. Retrying is safe: ops are deduplicated by (client_id, n), and
            # the board only reads.
            usable = False
            try:
                usable = connection.is_usable()
            except Exception:
                usable = False
            if usable or attempt == 2:
                raise
            log.warning("database connection lost; reconnecting")
            connection.close()
    raise AssertionError("unreachable")


_live = DbThread("gametree-db")
run_db = _live.run
close = _live.close
