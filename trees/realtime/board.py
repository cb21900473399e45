"""The live facilitator board: one hub per workshop and process, fed by the fan-out.

A hub joins the fan-out (trees/realtime/fanout.py) of every tree of its workshop as one more
member, so it hears every committed op of those trees, from this process or (over Redis) from
the others, the way a tree's sockets do. Hearing an op only marks the hub dirty: the live
edit's delivery never waits for board work. The board is then recomputed off the event loop,
in a child process (trees/realtime/board_worker.py; its GIL is not the live path's) driven
from a thread of its own (never the live path's database thread), at most
once per `MIN_INTERVAL` and `DEBOUNCE` after the first op of a burst, so forty people typing
make a few recomputes a second per workshop, not forty; the recompute re-reads only the trees
whose version moved (trees/board_service.py). The result is serialised once and sent to every
board socket of the workshop in this process. With nothing happening, the board is refreshed
every `IDLE_REFRESH` seconds (the activity figures decay).

Presence (who has a tree of the workshop open) is the cluster's, not this process's: the hub
hears the tree sockets' own presence messages through the channel layer, from every process
(trees/realtime/board_presence.py), and someone arriving or leaving marks it dirty.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from trees.realtime.board_presence import BoardPresence
from trees.realtime.dbthread import DbThread
from trees.realtime.fanout import fanout

log = logging.getLogger(__name__)
T = TypeVar("T")

# Seconds after the first op of a burst before the board is recomputed (coalesces a burst).
DEBOUNCE = 0.1
# Seconds between two recomputes of one workshop's board, at least.
MIN_INTERVAL = 0.4
# Seconds between refreshes while nothing changes.
IDLE_REFRESH = 15.0


class BoardSocket(Protocol):
    async def send_board(self, text: str) -> None: ...


_thread = DbThread("gametree-board")


def close() -> None:
    """Close the board thread's connection, stop the thread and the child (tests, shutdown)."""
    _thread.close()
    from trees.realtime import board_worker

    board_worker.stop()


async def run_board(fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(*args)` in the board's thread (ORM reads and the analysis)."""
    return await _thread.run(fn, *args)


def _compute_somewhere(
    workshop_id: int, cache: Any, viewers: set[int]
) -> tuple[dict[bool, str], set[int], float | None] | None:
    """In the board's child process (trees/realtime/board_worker.py) when it can share the
    database, else here in the board thread (an in-memory SQLite database)."""
    from trees.realtime import board_worker

    if board_worker.usable():
        return board_worker.compute_in_child(workshop_id, viewers)  # type: ignore[no-any-return]
    return board_worker.compute(workshop_id, cache, viewers)


class BoardHub:
    """The board sockets of one workshop in this process, and the trees they follow."""

    def __init__(self, workshop_id: int) -> None:
        from trees.board_service import BoardCache

        self.workshop_id = workshop_id
        self.sockets: dict[BoardSocket, bool] = {}  # socket -> facilitator (else projector)
        self.trees: set[int] = set()
        self.cache = BoardCache(background=True)
        self.dirty_since: float | None = None
        self.last_run = 0.0
        self.wake = asyncio.Event()
        self.task: asyncio.Task[None] | None = None
        self.texts: dict[bool, str] = {}
        self.recomputes = 0
        self.presence = BoardPresence(self.mark_dirty)

    # ---- the fan-out's Member protocol ---------------------------------------------------

    async def deliver_op(self, message: dict[str, Any], text: str) -> None:
        self.mark_dirty()

    async def link_lost(self) -> None:
        # The fan-out dropped every member (Redis restarting): join again at the next run.
        self.trees = set()
        self.mark_dirty()

    # ---- sockets -------------------------------------------------------------------------

    def mark_dirty(self) -> None:
        if self.dirty_since is None:
            self.dirty_since = time.monotonic()
            self.wake.set()

    async def add(self, socket: BoardSocket, facilitator: bool) -> None:
        self.sockets[socket] = facilitator
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())
        text = self.texts.get(facilitator)
        if text is not None:
            await socket.send_board(text)
        else:
            self.mark_dirty()

    async def remove(self, socket: BoardSocket) -> None:
        self.sockets.pop(socket, None)
        if self.sockets:
            return
        _loop_hubs().pop(self.workshop_id, None)
        if self.task is not None:
            self.task.cancel()
        for tree_id in self.trees:
            await fanout().leave(tree_id, self)
        self.trees = set()
        await self.presence.close()

    # ---- the recompute loop --------------------------------------------------------------

    async def _run(self) -> None:
        while self.sockets:
            try:
                await asyncio.wait_for(self.wake.wait(), IDLE_REFRESH)
            except TimeoutError:
                self.mark_dirty()
            self.wake.clear()
            if self.dirty_since is None:
                continue
            now = time.monotonic()
            wait = max(self.dirty_since + DEBOUNCE, self.last_run + MIN_INTERVAL) - now
            if wait > 0:
                await asyncio.sleep(wait)
            self.dirty_since = None
            self.last_run = time.monotonic()
            try:
                await self._recompute()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("workshop %s: board recompute failed", self.workshop_id)
            if self.dirty_since is not None:
                self.wake.set()

    def _viewers(self) -> set[int]:
        """Users with a socket open on a tree of the workshop: in any process (presence), and
        this process's sockets directly (known even while the channel layer is down)."""
        members = fanout().members
        out: set[int] = self.presence.users()
        for tree_id in self.trees:
            for member in members.get(tree_id, ()):
                user_id = getattr(member, "user_id", None)
                if isinstance(user_id, int):
                    out.add(user_id)
        return out

    async def _recompute(self) -> None:
        found = await run_board(_compute_somewhere, self.workshop_id, self.cache, self._viewers())
        if found is None:
            return
        texts, tree_ids, again = found
        if again is not None:  # the ranking was left stale a moment: compute it when due
            asyncio.get_running_loop().call_later(again + 0.05, self.mark_dirty)
        self.recomputes += 1
        await self._follow(tree_ids)
        self.texts = texts
        for socket, facilitator in list(self.sockets.items()):
            text = texts.get(facilitator)
            if text is None:
                continue
            try:
                await socket.send_board(text)
            except Exception:
                log.warning("workshop %s: a board socket failed", self.workshop_id)

    async def _follow(self, tree_ids: set[int]) -> None:
        """Join the fan-out of trees made since (a new round), leave trees gone."""
        for tree_id in tree_ids - self.trees:
            try:
                await fanout().join(tree_id, self)
            except Exception:
                log.warning("workshop %s: cannot follow tree %s", self.workshop_id, tree_id)
                continue
            self.trees.add(tree_id)
            try:
                await self.presence.follow(tree_id)
            except Exception:
                log.warning("workshop %s: no presence of tree %s", self.workshop_id, tree_id)
        for tree_id in self.trees - tree_ids:
            await fanout().leave(tree_id, self)
            self.trees.discard(tree_id)
            await self.presence.unfollow(tree_id)


# Per event loop (daphne runs one per process; tests run several), as the fan-out.
_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, BoardHub]] = (
    weakref.WeakKeyDictionary()
)


def _loop_hubs() -> dict[int, BoardHub]:
    loop = asyncio.get_running_loop()
    found = _hubs.get(loop)
    if found is None:
        found = _hubs[loop] = {}
    return found


def hub_for(workshop_id: int) -> BoardHub:
    """The hub of a workshop in the running event loop."""
    hubs = _loop_hubs()
    found = hubs.get(workshop_id)
    if found is None:
        found = hubs[workshop_id] = BoardHub(workshop_id)
    return found
