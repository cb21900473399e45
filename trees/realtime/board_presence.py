"""Who has a workshop's trees open, across every serving process: the board's presence.

It reuses the tree page's presence (trees/realtime/consumer.py, docs/protocol.md): each tree
socket that said `hello` is in the tree's channel-layer group (`tree.<id>`), announces itself
there with `presence.join`, updates with `presence.update` and leaves with `presence.leave`,
each carrying its channel name (`conn`) and user. With Redis those group messages reach every
process. A board hub listens on a channel of its own added to the groups of the trees it
follows, so it hears the same messages as a tree socket in any process; to learn who was
there before it came, it sends `presence.ask`, which every tree socket answers directly with
the `presence.update` it would send a newcomer (without a newcomer to show).

A process that dies never sends its sockets' `presence.leave`: so every `REFRESH` seconds the
hub asks again and forgets the sockets that did not answer within `ANSWER_WITHIN`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from channels.layers import get_channel_layer

from trees.realtime.broadcast import tree_group

log = logging.getLogger(__name__)

# Seconds between two asks of every followed tree (forgets sockets of a dead process).
REFRESH = 15.0
# Seconds the sockets have to answer an ask before the ones that did not are forgotten.
ANSWER_WITHIN = 3.0


class BoardPresence:
    """The users with a socket open on the followed trees, in any process."""

    def __init__(self, on_change: Callable[[], None]) -> None:
        self.on_change = on_change
        self.layer = get_channel_layer()
        self.channel: str | None = None
        self.trees: set[int] = set()
        # conn -> (tree id, user id, when it was last heard of, monotonic)
        self.sockets: dict[str, tuple[int, int, float]] = {}
        self.listener: asyncio.Task[None] | None = None
        self.refresher: asyncio.Task[None] | None = None

    def users(self) -> set[int]:
        return {user for tree, user, _ in self.sockets.values() if tree in self.trees}

    async def follow(self, tree_id: int) -> None:
        """Hear the presence of `tree_id` (and ask who is there now)."""
        if self.layer is None:
            return
        if self.channel is None:
            self.channel = await self.layer.new_channel()
            self.listener = asyncio.get_running_loop().create_task(self._listen())
            self.refresher = asyncio.get_running_loop().create_task(self._refresh())
        await self.layer.group_add(tree_group(tree_id), self.channel)
        self.trees.add(tree_id)
        await self._ask(tree_id)

    async def unfollow(self, tree_id: int) -> None:
        self.trees.discard(tree_id)
        before = self.users()
        self.sockets = {c: s for c, s in self.sockets.items() if s[0] != tree_id}
        if self.layer is not None and self.channel is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(tree_group(tree_id), self.channel)
        if self.users() != before:
            self.on_change()

    async def close(self) -> None:
        for task in (self.listener, self.refresher):
            if task is not None:
                task.cancel()
        for tree_id in list(self.trees):
            await self.unfollow(tree_id)
        self.listener = self.refresher = None

    async def _ask(self, tree_id: int) -> None:
        assert self.layer is not None
        await self.layer.group_send(
            tree_group(tree_id), {"type": "presence.ask", "conn": self.channel}
        )

    async def _listen(self) -> None:
        assert self.layer is not None and self.channel is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The layer is down (Redis restarting): the sockets reconnect and say hello
                # again, and the next refresh asks again.
                log.warning("board presence: the channel layer failed; listening again")
                await asyncio.sleep(1.0)
                continue
            self.heard(message)

    def heard(self, message: dict[str, Any]) -> None:
        """A tree group's message (any type; only presence is read)."""
        kind, conn = message.get("type"), message.get("conn")
        if not isinstance(conn, str) or conn == self.channel:
            return
        before = self.users()
        if kind in ("presence.join", "presence.update"):
            user = (message.get("user") or {}).get("id")
            tree = _tree_of(message, self.sockets.get(conn))
            if isinstance(user, int) and tree is not None:
                self.sockets[conn] = (tree, user, time.monotonic())
        elif kind == "presence.leave":
            self.sockets.pop(conn, None)
        else:
            return
        if self.users() != before:
            self.on_change()

    async def _refresh(self) -> None:
        while True:
            await asyncio.sleep(REFRESH)
            asked = time.monotonic()
            for tree_id in list(self.trees):
                try:
                    await self._ask(tree_id)
                except Exception:
                    log.warning("board presence: cannot ask tree %s", tree_id)
            await asyncio.sleep(ANSWER_WITHIN)
            before = self.users()
            self.sockets = {c: s for c, s in self.sockets.items() if s[2] >= asked}
            if self.users() != before:
                self.on_change()


def _tree_of(message: dict[str, Any], known: tuple[int, int, float] | None) -> int | None:
    tree = message.get("tree")
    if isinstance(tree, int):
        return tree
    return known[0] if known is not None else None
