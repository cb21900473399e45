"""Action layer: group commit for the websocket consumers of one process.

Consumers submit ops here instead of calling `tree_apply_op` one by one. While one batch is
being committed (in the single ORM thread), new ops queue up; when the commit finishes, the
whole queue becomes the next batch. At low load a batch is one op and nothing waits; under
load one transaction (one fsync) carries hundreds of ops. An op is acknowledged only after
the commit that contains it: acknowledged means committed. How far a commit survives is the
database's: PostgreSQL syncs each commit (survives power loss); the embedded SQLite default
(`synchronous=NORMAL`, WAL) survives a killed process but not a power loss or kernel crash,
which may roll back the last acknowledged commits; `GAMETREE_SQLITE_SYNCHRONOUS=FULL` syncs
each commit there too (docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from typing import Any

from django.conf import settings

from trees.actions.ops import OpRequest, OpResult, tree_apply_ops
from trees.domain.errors import ActionError
from trees.realtime.dbthread import run_db
from trees.realtime.fanout import fanout

log = logging.getLogger(__name__)

MAX_BATCH = 500  # default of settings.GAMETREE_MAX_BATCH (env GAMETREE_MAX_BATCH)


class OpBatcher:
    def __init__(self, max_batch: int | None = None) -> None:
        if max_batch is None:
            max_batch = getattr(settings, "GAMETREE_MAX_BATCH", MAX_BATCH)
        self.max_batch = max(1, max_batch)
        self._queue: list[tuple[OpRequest, asyncio.Future[OpResult]]] = []
        self._draining = False
        self.batches = 0
        self.ops = 0

    async def submit(self, request: OpRequest) -> OpResult:
        """The op's result once committed; raises ActionError when it is refused."""
        future: asyncio.Future[OpResult] = asyncio.get_running_loop().create_future()
        self._queue.append((request, future))
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._queue:
                batch = self._queue[: self.max_batch]
                del self._queue[: self.max_batch]
                try:
                    outcomes = await run_db(
                        tree_apply_ops, [request for request, _ in batch], broadcast=False
                    )
                except Exception as exc:  # handed to every waiter; the drain goes on
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                self.batches += 1
                self.ops += len(batch)
                # Committed: broadcast from the event loop, in seq order per tree.
                await _broadcast(batch, outcomes)
                for (_, future), outcome in zip(batch, outcomes, strict=True):
                    if future.done():  # the waiting consumer has gone
                        continue
                    if isinstance(outcome, ActionError):
                        future.set_exception(outcome)
                    else:
                        future.set_result(outcome)
        finally:
            self._draining = False


async def _broadcast(
    batch: list[tuple[OpRequest, asyncio.Future[OpResult]]], outcomes: Sequence[object]
) -> None:
    # Grouped by tree, in commit (= seq) order within each tree.
    by_tree: dict[int, list[dict[str, Any]]] = {}
    for (request, _), outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, OpResult) and not outcome.dup:
            by_tree.setdefault(request.tree_id, []).append(outcome.message())
    try:
        await fanout().publish_batch(by_tree)
    except Exception:
        # Committed already; clients repair the gap from the log.
        log.exception("broadcast of a batch failed")


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, OpBatcher] = (
    weakref.WeakKeyDictionary()
)


def batcher() -> OpBatcher:
    """The batcher of the running event loop (daphne runs one loop per process)."""
    loop = asyncio.get_running_loop()
    found = _batchers.get(loop)
    if found is None:
        found = OpBatcher()
        _batchers[loop] = found
    return found
