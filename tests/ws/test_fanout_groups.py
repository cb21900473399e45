"""trees/realtime/fanout.py between processes over real Redis pub/sub: two fan-outs stand in for two
workers (in one event loop; tests/integration runs two real daphne processes too).

Integration pass only (GAMETREE_INTEGRATION=1 with REDIS_URL): pub/sub is Redis itself.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from trees.realtime.bus import RedisBus
from trees.realtime.fanout import Fanout

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = pytest.mark.skipif(
    os.environ.get("GAMETREE_INTEGRATION") != "1" or not REDIS_URL,
    reason="needs Redis: the integration pass (GAMETREE_INTEGRATION=1, REDIS_URL)",
)


class Socket:
    def __init__(self) -> None:
        self.got: list[int] = []
        self.lost = False

    async def deliver_op(self, message: dict[str, Any], text: str) -> None:
        self.got.append(message["seq"])

    async def link_lost(self) -> None:
        self.lost = True


def op(seq: int) -> dict[str, Any]:
    return {"seq": seq, "client_id": "c", "n": seq, "op": {}, "actor": 1, "overwrote": False}


@pytest.fixture
async def workers() -> AsyncIterator[Any]:
    prefix = f"gt-test-{uuid.uuid4().hex[:8]}:fanout:"
    made: list[Fanout] = []

    def make(groups: int = 1) -> Fanout:
        hub = Fanout(RedisBus(REDIS_URL, prefix, client_name=f"gt-test-{len(made)}"), groups)
        made.append(hub)
        return hub

    yield make
    for hub in made:
        if hub._listener is not None:
            hub._listener.cancel()
        assert hub.bus is not None
        await hub.bus.reset()


async def until(check: Any, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.01)


async def test_a_batch_reaches_the_other_workers_sockets_of_its_trees_and_no_others(
    workers: Any,
) -> None:
    a, b = workers(groups=4), workers(groups=4)
    on_7, on_8, on_a = Socket(), Socket(), Socket()
    await b.join(7, on_7)
    await b.join(8, on_8)
    await a.join(7, on_a)

    await a.publish_batch({7: [op(1), op(2)], 9: [op(1)]})

    await until(lambda: on_7.got == [1, 2])
    await asyncio.sleep(0.1)
    assert on_a.got == [1, 2]  # locally, once: its own message back from Redis is ignored
    assert on_8.got == []  # tree 8 had no ops; tree 9 has no socket on b


async def test_one_publish_per_group_touched_carries_all_of_its_trees(workers: Any) -> None:
    a, b = workers(groups=1), workers(groups=1)
    sockets = {tree: Socket() for tree in (1, 2, 3)}
    for tree, socket in sockets.items():
        await b.join(tree, socket)
    assert a.bus is not None
    sent: list[str] = []
    real_publish = a.bus.publish

    async def counting_publish(group: str, payload: bytes) -> None:
        sent.append(group)
        await real_publish(group, payload)

    a.bus.publish = counting_publish  # type: ignore[method-assign]

    await a.publish_batch({1: [op(1)], 2: [op(1)], 3: [op(1), op(2)]})

    await until(lambda: sockets[3].got == [1, 2])
    assert sent == ["fanout.0"]
    assert [s.got for s in sockets.values()] == [[1], [1], [1, 2]]


async def test_a_worker_unsubscribes_from_a_group_only_when_its_last_tree_in_it_goes(
    workers: Any,
) -> None:
    import redis.asyncio as aioredis

    b = workers(groups=2)
    s1, s3 = Socket(), Socket()
    await b.join(1, s1)
    await b.join(3, s3)  # 1 and 3 share fanout.1
    assert b.bus is not None
    channel = b.bus.prefix + "fanout.1"
    admin = aioredis.Redis.from_url(REDIS_URL)
    try:

        async def subscribers() -> int:
            return int(dict(await admin.pubsub_numsub(channel))[channel.encode()])

        assert await subscribers() == 1
        await b.leave(1, s1)
        assert await subscribers() == 1
        await b.leave(3, s3)
        deadline = asyncio.get_running_loop().time() + 3
        while await subscribers() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        assert await subscribers() == 0
    finally:
        await admin.aclose()


async def test_a_killed_redis_connection_closes_the_workers_sockets_so_they_resync(
    workers: Any,
) -> None:
    """A worker that lost Redis may have missed other workers' ops: its sockets must go."""
    import redis.asyncio as aioredis

    b = workers()
    socket = Socket()
    await b.join(5, socket)
    assert b.bus is not None
    admin = aioredis.Redis.from_url(REDIS_URL)
    try:
        clients = await admin.client_list()
        ours = [c for c in clients if c.get("name") == b.bus.client_name]
        assert ours, clients
        for client in ours:
            await admin.client_kill_filter(_id=client["id"])
    finally:
        await admin.aclose()

    await until(lambda: socket.lost)
    assert b.members == {}
    assert b.subscribed == set()
