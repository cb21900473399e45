"""The link between workers for live ops: Redis publish/subscribe (used by realtime/fanout.py).

Why not the channel layer: a channels-redis `group_send` plus the `receive` at the other end
took ~0.9 ms and ~0.7 ms of CPU per message here (sorted-set housekeeping, a Lua script, a
blocking pop and a backup queue per message); a PUBLISH and its push to the subscribers took
0.14 ms and 0.12 ms (measured side by side, /tmp scripts of 2026-11-22, bench/RESULTS_scale.md).
Pub/sub keeps nothing for a subscriber that is away, which is what the fan-out wants anyway:
a worker that lost Redis closes its sockets and their clients catch up from the log.

The subscriber connection never retries silently: redis-py would reconnect and resubscribe,
and the messages published in between would be gone without anyone noticing. Here a lost
connection raises out of `next_message`, and the fan-out closes its sockets (4503).
"""

from __future__ import annotations

import contextlib
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

PREFIX = "gametree:fanout:"


class RedisBus:
    def __init__(self, url: str, prefix: str = PREFIX, client_name: str | None = None) -> None:
        self.url = url
        self.prefix = prefix
        self.client_name = client_name
        # Publishing may retry: a PUBLISH that is repeated delivers an op twice, which every
        # socket drops by seq.
        self._publisher = aioredis.Redis.from_url(url, socket_timeout=5)
        self._subscriber: aioredis.Redis | None = None
        self._pubsub: Any = None

    async def publish(self, group: str, payload: bytes) -> None:
        await self._publisher.publish(self.prefix + group, payload)

    async def subscribe(self, group: str) -> None:
        await self._ensure_pubsub().subscribe(self.prefix + group)

    async def unsubscribe(self, group: str) -> None:
        if self._pubsub is not None:
            await self._pubsub.unsubscribe(self.prefix + group)

    async def next_message(self) -> bytes:
        """The next published payload; raises when the connection to Redis is lost."""
        pubsub = self._ensure_pubsub()
        while True:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            if message is not None and message.get("type") == "message":
                data = message["data"]
                return bytes(data)

    async def reset(self) -> None:
        """Forget the subscriber connection (after a loss); the next subscribe makes a new one."""
        pubsub, subscriber = self._pubsub, self._subscriber
        self._pubsub = self._subscriber = None
        for closing in (pubsub, subscriber):
            if closing is not None:
                # Already broken, typically: nothing to close cleanly.
                with contextlib.suppress(Exception):
                    await closing.aclose()

    def _ensure_pubsub(self) -> Any:
        if self._pubsub is None:
            self._subscriber = aioredis.Redis.from_url(
                self.url,
                # Block as long as it takes for the next message (redis-py 8 would time out
                # an idle read after 5 s), and never reconnect behind our back.
                socket_timeout=None,
                retry=Retry(NoBackoff(), 0),
                client_name=self.client_name,
            )
            self._pubsub = self._subscriber.pubsub()
        return self._pubsub
