"""Fan-out of committed ops to the sockets of this process, and to the other processes.

The batcher (trees/actions/batcher.py) commits ops and hands them here, in seq order per tree.
Sending each op through the channel layer to every socket's own channel cost more than the
rest of the op together: the in-memory layer deep-copies every message per receiver and scans
every channel of the process on every send and receive, and every socket's receive loop wakes
a task per message. So the op is serialised once and written to this process's sockets of the
tree directly.

Other processes (several daphne workers on Redis) get the op through the channel layer, but
once per process, not once per socket: each process's `Fanout` has one layer channel, which
joins the group `fanout.<tree id>` while this process has a socket on that tree. Its listener
forwards what other processes committed to the local sockets. The in-memory layer cannot
reach another process, so with it nothing goes through the layer at all.

Delivery is best effort, like the layer's: a socket that sees a seq jump fills the gap from
the log (TreeConsumer.deliver_op). If the layer fails (Redis restarting), the listener closes
this process's sockets with 4503 so that their clients reconnect and catch up (protocol rule
3); a socket that stayed open would miss other processes' ops without knowing it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
import weakref
from typing import Any, Protocol

from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger(__name__)

# Group memberships in Redis expire (group_expiry); the listener renews them this often.
RENEW_SECONDS = 600.0
# After the layer failed, wait this long before listening again.
RETRY_SECONDS = 1.0


class Member(Protocol):
    """What the fan-out needs of a socket (TreeConsumer)."""

    async def deliver_op(self, message: dict[str, Any], text: str) -> None: ...

    async def layer_lost(self) -> None: ...


def fanout_group(tree_id: int) -> str:
    return f"fanout.{tree_id}"


def op_text(message: dict[str, Any]) -> str:
    """The `op` message as sent to every client, serialised once for all of them."""
    return json.dumps({"type": "op", **message}, separators=(",", ":"))


class Fanout:
    def __init__(self, layer: Any) -> None:
        self.layer = layer
        # Only a layer that reaches other processes is worth a message.
        self.cross_process = layer is not None and not isinstance(layer, InMemoryChannelLayer)
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.members: dict[int, set[Member]] = {}
        self.channel: str | None = None
        self._listener: asyncio.Task[None] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self.delivered = 0

    # ---- membership ----------------------------------------------------------------------

    async def join(self, tree_id: int, member: Member) -> None:
        """Add a socket; raises when the layer is down (the caller closes the socket)."""
        if self.cross_process:
            channel = await self._channel()
            # Every join renews the membership (cheap), so a busy tree never expires.
            await self.layer.group_add(fanout_group(tree_id), channel)
            self._ensure_listener()
        self.members.setdefault(tree_id, set()).add(member)

    async def leave(self, tree_id: int, member: Member) -> None:
        members = self.members.get(tree_id)
        if members is None:
            return
        members.discard(member)
        if members:
            return
        del self.members[tree_id]
        if self.cross_process and self.channel is not None:
            try:
                await self.layer.group_discard(fanout_group(tree_id), self.channel)
            except Exception:
                # Harmless: a stale membership only costs a message the listener ignores.
                log.warning("tree %s: could not leave the fan-out group", tree_id)

    # ---- publishing ----------------------------------------------------------------------

    async def publish_ops(self, tree_id: int, messages: list[dict[str, Any]]) -> None:
        """Committed ops of one tree, in seq order: to local sockets, then to other processes."""
        await self._deliver(tree_id, messages)
        if not self.cross_process:
            return
        try:
            await self.layer.group_send(
                fanout_group(tree_id),
                {"type": "fanout.ops", "origin": self.origin, "tree": tree_id, "ops": messages},
            )
        except Exception:
            # Committed already; the other processes' sockets repair the gap from the log.
            log.exception("fan-out of tree %s to other processes failed", tree_id)

    async def _deliver(self, tree_id: int, messages: list[dict[str, Any]]) -> None:
        members = self.members.get(tree_id)
        if not members:
            return
        for message in messages:
            text = op_text(message)
            # A copy: a socket may leave (and change the set) while we await its send.
            for member in tuple(members):
                try:
                    await member.deliver_op(message, text)
                except Exception:
                    # One broken socket must not keep the op from the others.
                    log.exception("tree %s: delivery to one socket failed", tree_id)
                self.delivered += 1

    # ---- the listener (cross-process layers only) ----------------------------------------

    async def _channel(self) -> str:
        if self.channel is None:
            self.channel = await self.layer.new_channel()
        return self.channel

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            loop = asyncio.get_running_loop()
            self._listener = loop.create_task(self._listen())
            if self._renewer is None or self._renewer.done():
                self._renewer = loop.create_task(self._renew_forever())

    async def _listen(self) -> None:
        while self.members and self.channel is not None:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("channel layer lost: closing this process's sockets to resync")
                await self._drop_everyone()
                await asyncio.sleep(RETRY_SECONDS)
                return
            if message.get("origin") != self.origin:
                await self._deliver(int(message["tree"]), list(message["ops"]))

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            for tree_id in list(self.members):
                try:
                    await self.layer.group_add(fanout_group(tree_id), await self._channel())
                except Exception:
                    log.warning("tree %s: could not renew the fan-out group", tree_id)

    async def _drop_everyone(self) -> None:
        members = [m for group in self.members.values() for m in group]
        self.members.clear()
        # A restarted Redis also forgot our channel's memberships and buffered messages.
        self.channel = None
        for member in members:
            try:
                await member.layer_lost()
            except Exception:
                log.exception("closing a socket after the layer was lost failed")


_fanouts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Fanout] = weakref.WeakKeyDictionary()


def fanout() -> Fanout:
    """The fan-out of the running event loop (daphne runs one loop per process)."""
    loop = asyncio.get_running_loop()
    found = _fanouts.get(loop)
    if found is None:
        found = Fanout(get_channel_layer())
        _fanouts[loop] = found
    return found
