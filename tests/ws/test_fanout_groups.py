"""trees/fanout.py between processes: two fan-outs on one layer stand in for two workers.

The in-memory layer carries the messages here (both "workers" share one event loop); Redis
does the same in the integration pass (tests/integration, two real daphne processes).
"""

from __future__ import annotations

import asyncio
from typing import Any

from channels.layers import InMemoryChannelLayer

from trees.fanout import Fanout


class Socket:
    def __init__(self) -> None:
        self.got: list[int] = []
        self.lost = False

    async def deliver_op(self, message: dict[str, Any], text: str) -> None:
        self.got.append(message["seq"])

    async def layer_lost(self) -> None:
        self.lost = True


def worker(layer: InMemoryChannelLayer, groups: int) -> Fanout:
    hub = Fanout(layer, groups)
    hub.cross_process = True  # as with Redis
    return hub


def op(seq: int) -> dict[str, Any]:
    return {"seq": seq, "client_id": "c", "n": seq, "op": {}, "actor": 1, "overwrote": False}


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_batch_reaches_the_other_workers_sockets_of_its_trees_and_no_others() -> None:
    layer = InMemoryChannelLayer()
    a, b = worker(layer, groups=4), worker(layer, groups=4)
    on_7, on_8, on_a = Socket(), Socket(), Socket()
    await b.join(7, on_7)
    await b.join(8, on_8)
    await a.join(7, on_a)

    await a.publish_batch({7: [op(1), op(2)], 9: [op(1)]})
    await settle()

    assert on_a.got == [1, 2]  # locally, once (its own message back through the layer is ignored)
    assert on_7.got == [1, 2]
    assert on_8.got == []  # tree 8 had no ops; tree 9 has no socket on b


async def test_one_layer_message_per_group_touched_carries_all_of_its_trees() -> None:
    layer = InMemoryChannelLayer()
    a, b = worker(layer, groups=1), worker(layer, groups=1)
    sockets = {tree: Socket() for tree in (1, 2, 3)}
    for tree, socket in sockets.items():
        await b.join(tree, socket)
    sent: list[str] = []
    real_group_send = layer.group_send

    async def counting_group_send(group: str, message: dict[str, Any]) -> None:
        sent.append(group)
        await real_group_send(group, message)

    layer.group_send = counting_group_send  # type: ignore[method-assign]

    await a.publish_batch({1: [op(1)], 2: [op(1)], 3: [op(1), op(2)]})
    await settle()

    assert sent == ["fanout.0"]
    assert [s.got for s in sockets.values()] == [[1], [1], [1, 2]]


async def test_a_worker_leaves_a_group_only_when_its_last_tree_in_it_goes() -> None:
    layer = InMemoryChannelLayer()
    b = worker(layer, groups=2)
    s1, s3 = Socket(), Socket()
    await b.join(1, s1)
    await b.join(3, s3)  # 1 and 3 share group fanout.1
    assert b.channel in layer.groups["fanout.1"]

    await b.leave(1, s1)
    assert b.channel in layer.groups["fanout.1"]
    await b.leave(3, s3)
    assert b.channel not in layer.groups.get("fanout.1", {})
