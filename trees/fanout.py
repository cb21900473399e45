"""Fan-out of committed ops to the sockets of this process, and to the other processes.

The batcher (trees/actions/batcher.py) commits ops and hands them here, in seq order per tree.
Sending each op through the channel layer to every socket's own channel cost more than the
rest of the op together: the in-memory layer deep-copies every message per receiver and scans
every channel of the process on every send and receive, and every socket's receive loop wakes
a task per message. So the op is serialised once and written to this process's sockets of the
tree directly.

Other processes (several daphne workers on Redis) get the ops through the channel layer, but
once per process and commit batch, not once per socket and op: each process's `Fanout` has
one layer channel. Trees are spread over `settings.GAMETREE_FANOUT_GROUPS` layer groups
(`fanout.<tree id mod groups>`); the channel is in a group while this process has a socket on
one of its trees, and a committed batch is one message per group it touches, carrying the ops
of all its trees. (One message per tree and batch cost more in Redis round trips and msgpack
than the rest of the op.) The listener forwards what other processes committed to the local
sockets of those trees and ignores the rest. The default, one group, suits a handful of
workers; past that, more groups spare each worker the ops of trees it does not serve
(docs/scaling.md). The in-memory layer cannot reach another process, so with it nothing goes
through the layer at all.

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
from django.conf import settings

log = logging.getLogger(__name__)

# Group memberships in Redis expire (group_expiry); the listener renews them this often.
RENEW_SECONDS = 600.0
# After the layer failed, wait this long before listening again.
RETRY_SECONDS = 1.0


class Member(Protocol):
    """What the fan-out needs of a socket (TreeConsumer)."""

    async def deliver_op(self, message: dict[str, Any], text: str) -> None: ...

    async def layer_lost(self) -> None: ...


DEFAULT_GROUPS = 1


def fanout_group(tree_id: int, groups: int) -> str:
    return f"fanout.{tree_id % groups}"


def op_text(message: dict[str, Any]) -> str:
    """The `op` message as sent to every client, serialised once for all of them."""
    return json.dumps({"type": "op", **message}, separators=(",", ":"))


class Fanout:
    def __init__(self, layer: Any, groups: int = DEFAULT_GROUPS) -> None:
        self.layer = layer
        self.groups = max(1, groups)
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
            # Every join renews the membership (cheap), so a busy group never expires.
            await self.layer.group_add(fanout_group(tree_id, self.groups), channel)
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
        group = fanout_group(tree_id, self.groups)
        if any(fanout_group(t, self.groups) == group for t in self.members):
            return  # another of our trees still needs the group
        if self.cross_process and self.channel is not None:
            try:
                await self.layer.group_discard(group, self.channel)
            except Exception:
                # Harmless: a stale membership only costs messages the listener ignores.
                log.warning("tree %s: could not leave the fan-out group", tree_id)

    # ---- publishing ----------------------------------------------------------------------

    async def publish_ops(self, tree_id: int, messages: list[dict[str, Any]]) -> None:
        """Committed ops of one tree, in seq order (see publish_batch)."""
        await self.publish_batch({tree_id: messages})

    async def publish_batch(self, ops_by_tree: dict[int, list[dict[str, Any]]]) -> None:
        """A commit's ops, per tree in seq order: to local sockets, then to other processes."""
        for tree_id, messages in ops_by_tree.items():
            await self._deliver(tree_id, messages)
        if not self.cross_process:
            return
        by_group: dict[str, list[tuple[int, list[dict[str, Any]]]]] = {}
        for tree_id, messages in ops_by_tree.items():
            by_group.setdefault(fanout_group(tree_id, self.groups), []).append((tree_id, messages))
        for group, trees in by_group.items():
            try:
                await self.layer.group_send(
                    group, {"type": "fanout.ops", "origin": self.origin, "trees": trees}
                )
            except Exception:
                # Committed already; the other processes' sockets repair the gap from the log.
                log.exception("fan-out to other processes failed (%s)", group)

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
            if message.get("origin") == self.origin:
                continue
            for tree_id, messages in message["trees"]:
                if int(tree_id) in self.members:
                    await self._deliver(int(tree_id), list(messages))

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            for group in {fanout_group(tree_id, self.groups) for tree_id in self.members}:
                try:
                    await self.layer.group_add(group, await self._channel())
                except Exception:
                    log.warning("could not renew the fan-out group %s", group)

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
        groups = getattr(settings, "GAMETREE_FANOUT_GROUPS", DEFAULT_GROUPS)
        found = Fanout(get_channel_layer(), groups)
        _fanouts[loop] = found
    return found
