"""Fan-out of committed ops to the sockets of this process, and to the other processes.

The batcher (trees/realtime/batcher.py) commits websocket ops and hands them here, in seq
order per tree; ops committed over REST come the same way (`publish_from_thread`).
Sending each op through the channel layer to every socket's own channel cost more than the
rest of the op together: the in-memory layer deep-copies every message per receiver and scans
every channel of the process on every send and receive, and every socket's receive loop wakes
a task per message. So the op is serialised once and written to this process's sockets of the
tree directly.

Other processes (several daphne workers on Redis) get the ops over Redis publish/subscribe
(trees/realtime/bus.py), once per process and commit batch, not once per socket and op. Trees
are spread over `settings.GAMETREE_FANOUT_GROUPS` pub/sub channels (`fanout.<tree id mod
groups>`); a worker subscribes to a group while it has a socket on one of its trees, and a
committed batch is one message per group it touches, carrying the ops of all its trees. The
listener forwards what other processes committed to the local sockets of those trees and
ignores the rest. The default, one group, suits a handful of workers; past that, more groups
spare each worker the ops of trees it does not serve (docs/scaling.md). Without Redis (the
embedded default) there is one process and nothing leaves it.

Delivery is best effort: a socket that sees a seq jump fills the gap from the log
(TreeConsumer.deliver_op, trees/realtime/sequencer.py). If the link fails (Redis
restarting), the listener closes this process's sockets with 4503 so that their clients
reconnect and catch up (protocol rule 3); a socket that stayed open would miss other
processes' ops without knowing it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
import weakref
from typing import Any, Protocol

from django.conf import settings

from trees.realtime.bus import PREFIX, RedisBus

log = logging.getLogger(__name__)

DEFAULT_GROUPS = 1


class Member(Protocol):
    """What the fan-out needs of a socket (TreeConsumer)."""

    async def deliver_op(self, message: dict[str, Any], text: str) -> None: ...

    async def link_lost(self) -> None: ...


def fanout_group(tree_id: int, groups: int) -> str:
    return f"fanout.{tree_id % groups}"


def encode_batch(origin: str, trees: list[tuple[int, list[dict[str, Any]]]]) -> bytes:
    """A pub/sub message: `origin tree,tree,...` on the first line, the ops as JSON after it.

    Every worker subscribed to the group gets every message, its own publisher included.
    The header lets a worker drop its own messages and those of trees it has no socket on
    without parsing the JSON (which cost as much as writing it, per worker and op).
    """
    header = f"{origin} {','.join(str(tree_id) for tree_id, _ in trees)}\n"
    return header.encode() + json.dumps(trees, separators=(",", ":")).encode()


def decode_header(payload: bytes) -> tuple[str, list[int], bytes]:
    """(origin, tree ids, JSON body) of a message of `encode_batch`; ValueError if malformed."""
    head, newline, body = payload.partition(b"\n")
    origin, space, ids = head.decode().partition(" ")
    if not newline or not space:
        raise ValueError("not a fan-out message")
    return origin, [int(tree_id) for tree_id in ids.split(",") if tree_id], body


def op_text(message: dict[str, Any]) -> str:
    """The `op` message as sent to every client, serialised once for all of them."""
    return json.dumps({"type": "op", **message}, separators=(",", ":"))


class Fanout:
    def __init__(
        self,
        bus: RedisBus | None,
        groups: int = DEFAULT_GROUPS,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.bus = bus
        # The event loop whose sockets this fan-out serves (daphne runs one per process).
        self.loop = loop
        self.groups = max(1, groups)
        self.origin = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.members: dict[int, set[Member]] = {}
        self.subscribed: set[str] = set()
        self._listener: asyncio.Task[None] | None = None

    # ---- membership ----------------------------------------------------------------------

    async def join(self, tree_id: int, member: Member) -> None:
        """Add a socket; raises when Redis is down (the caller closes the socket)."""
        if self.bus is not None:
            group = fanout_group(tree_id, self.groups)
            if group not in self.subscribed:
                await self.bus.subscribe(group)
                self.subscribed.add(group)
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
        if self.bus is not None and group in self.subscribed:
            self.subscribed.discard(group)
            try:
                await self.bus.unsubscribe(group)
            except Exception:
                # Harmless: a stale subscription only costs messages the listener ignores.
                log.warning("tree %s: could not leave the fan-out group", tree_id)

    # ---- publishing ----------------------------------------------------------------------

    async def publish_ops(self, tree_id: int, messages: list[dict[str, Any]]) -> None:
        """Committed ops of one tree, in seq order (see publish_batch)."""
        await self.publish_batch({tree_id: messages})

    async def publish_batch(self, ops_by_tree: dict[int, list[dict[str, Any]]]) -> None:
        """A commit's ops, per tree in seq order: to local sockets, then to other processes."""
        for tree_id, messages in ops_by_tree.items():
            await self._deliver(tree_id, messages)
        if self.bus is None:
            return
        by_group: dict[str, list[tuple[int, list[dict[str, Any]]]]] = {}
        for tree_id, messages in ops_by_tree.items():
            by_group.setdefault(fanout_group(tree_id, self.groups), []).append((tree_id, messages))
        for group, trees in by_group.items():
            try:
                await self.bus.publish(group, encode_batch(self.origin, trees))
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

    # ---- the listener (with Redis only) --------------------------------------------------

    def _ensure_listener(self) -> None:
        if self._listener is None or self._listener.done():
            self._listener = asyncio.get_running_loop().create_task(self._listen())

    async def _listen(self) -> None:
        assert self.bus is not None
        while self.members or self.subscribed:
            try:
                payload = await self.bus.next_message()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("lost the link to Redis: closing this process's sockets to resync")
                # The next join (a reconnecting client) starts a new listener, even while
                # this one is still closing the old sockets.
                self._listener = None
                await self._drop_everyone()
                return
            try:
                origin, tree_ids, body = decode_header(payload)
                if origin == self.origin or not any(t in self.members for t in tree_ids):
                    continue
                for tree_id, messages in json.loads(body):
                    if int(tree_id) in self.members:
                        await self._deliver(int(tree_id), list(messages))
            except (ValueError, KeyError, TypeError):
                log.exception("ignored a malformed fan-out message")

    async def _drop_everyone(self) -> None:
        members = [m for group in self.members.values() for m in group]
        self.members.clear()
        self.subscribed.clear()
        if self.bus is not None:
            await self.bus.reset()
        for member in members:
            try:
                await member.link_lost()
            except Exception:
                log.exception("closing a socket after the link to Redis was lost failed")


_fanouts: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Fanout] = weakref.WeakKeyDictionary()


def fanout() -> Fanout:
    """The fan-out of the running event loop (daphne runs one loop per process)."""
    loop = asyncio.get_running_loop()
    found = _fanouts.get(loop)
    if found is None:
        url = getattr(settings, "REDIS_URL", None)
        groups = getattr(settings, "GAMETREE_FANOUT_GROUPS", DEFAULT_GROUPS)
        prefix = getattr(settings, "GAMETREE_FANOUT_PREFIX", PREFIX)
        bus = (
            RedisBus(url, prefix=prefix, client_name=f"gametree-fanout-{os.getpid()}")
            if url
            else None
        )
        found = Fanout(bus, groups, loop)
        _fanouts[loop] = found
    return found


# How long a thread that committed waits for the event loop to take its ops.
THREAD_PUBLISH_TIMEOUT = 10.0


def publish_from_thread(ops_by_tree: dict[int, list[dict[str, Any]]]) -> None:
    """Committed ops from synchronous code (REST views, imports, merge reviews), after commit.

    They take the websocket ops' path: the fan-out of the event loop that serves this
    process's sockets delivers them here and publishes them to the other processes. A process
    without a fan-out has no sockets yet, so only the other processes (with Redis) can have
    any: the ops are published to them directly.
    """
    home = _serving_fanout()
    if home is not None and home.loop is not None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is home.loop:  # called from the loop itself: do not block it
            running.create_task(home.publish_batch(ops_by_tree))
            return
        asyncio.run_coroutine_threadsafe(home.publish_batch(ops_by_tree), home.loop).result(
            THREAD_PUBLISH_TIMEOUT
        )
        return
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        return  # one process, no sockets: nobody to tell
    groups = max(1, getattr(settings, "GAMETREE_FANOUT_GROUPS", DEFAULT_GROUPS))
    prefix = getattr(settings, "GAMETREE_FANOUT_PREFIX", PREFIX)
    by_group: dict[str, list[tuple[int, list[dict[str, Any]]]]] = {}
    for tree_id, messages in ops_by_tree.items():
        by_group.setdefault(fanout_group(tree_id, groups), []).append((tree_id, messages))
    client = _sync_publisher(url)
    for group, trees in by_group.items():
        client.publish(prefix + group, encode_batch(f"{os.getpid()}-thread", trees))


def _serving_fanout() -> Fanout | None:
    """The fan-out of a running event loop of this process, the newest if there are several."""
    serving = None
    for loop, found in list(_fanouts.items()):
        if not loop.is_closed() and loop.is_running():
            serving = found
    return serving


_sync_publishers: dict[str, Any] = {}


def _sync_publisher(url: str) -> Any:
    import redis  # the synchronous client; the async one belongs to an event loop

    client = _sync_publishers.get(url)
    if client is None:
        client = _sync_publishers[url] = redis.Redis.from_url(url, socket_timeout=5)
    return client
