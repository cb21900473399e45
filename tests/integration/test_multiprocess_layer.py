"""The Redis channel layer under many concurrent sockets of one process.

Found by bench/connections.py (1,000 sockets, one daphne on PostgreSQL + Redis): redis-py 8's
asyncio ConnectionPool allows 100 connections by default and raises MaxConnectionsError
(instead of waiting) when more layer calls are in flight at once. Every socket's hello
(group_add), presence (group_send), the batcher's broadcasts and the consumers' receive share
that pool; past 100 concurrent calls consumers died with "Too many connections" and their
sockets were closed (1011): 342 of 1,000 clients in that run.
"""

from __future__ import annotations

import asyncio

import pytest
from channels.layers import get_channel_layer

from tests.integration.test_multiprocess_support import needs_services

pytestmark = needs_services

CONCURRENT = 400  # layer calls in flight at once: a busy worker with hundreds of sockets


async def test_hundreds_of_concurrent_layer_calls_do_not_exhaust_the_redis_pool() -> None:
    from channels_redis.core import RedisChannelLayer

    layer = get_channel_layer()
    assert isinstance(layer, RedisChannelLayer)
    channels = [await layer.new_channel() for _ in range(CONCURRENT)]
    pairs = [(f"gt-pool-probe-{i % 50}", channel) for i, channel in enumerate(channels)]
    try:
        await asyncio.gather(*(layer.group_add(g, c) for g, c in pairs))
        await asyncio.gather(*(layer.group_send(g, {"type": "probe"}) for g, _ in pairs))
        await asyncio.gather(*(layer.group_discard(g, c) for g, c in pairs))
    finally:
        await layer.flush()
        await layer.close_pools()


def test_the_layer_pool_allows_many_connections() -> None:
    from django.conf import settings

    host = settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]
    assert host.get("max_connections", 100) >= 1000


@pytest.fixture(autouse=True)
def _own_prefix(settings: object) -> None:
    """A key prefix of its own, so that flush() clears only this test's keys."""
    import copy
    import os
    import uuid

    layers = copy.deepcopy(settings.CHANNEL_LAYERS)  # type: ignore[attr-defined]
    layers["default"]["CONFIG"]["prefix"] = f"gt-pool-{os.getpid()}-{uuid.uuid4().hex[:8]}:"
    settings.CHANNEL_LAYERS = layers  # type: ignore[attr-defined]
