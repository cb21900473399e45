"""Scale-out: one tree edited live through TWO daphne processes on one PostgreSQL and Redis.

The clients of one tree are spread over both processes, so every op is committed by one
process (each with its own group-commit batcher, state cache and tree-row lock contention)
and reaches half of the clients through the Redis channel layer.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator

import pytest

from tests.e2e.server import Server
from tests.integration.test_multiprocess_support import (
    assert_converged,
    cluster,
    drive,
    needs_services,
    open_editors,
)

pytestmark = [*needs_services, pytest.mark.timeout(120)]

OPS_PER_CLIENT = 120


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    with cluster(2) as started:
        yield started


async def test_clients_on_two_processes_edit_one_tree_and_converge(
    servers: list[Server],
) -> None:
    a, b = servers
    tree_id = await asyncio.to_thread(a.make_tree, "alice", ["bob", "carol", "dave"])
    placement = [(a, "alice"), (b, "bob"), (a, "carol"), (b, "dave")]
    editors = await open_editors(placement, tree_id, {})
    try:
        await asyncio.gather(
            *(
                drive(editor, random.Random(10 + i), OPS_PER_CLIENT)
                for i, editor in enumerate(editors)
            )
        )
        head = await assert_converged([a, b], tree_id, editors)
        assert head >= OPS_PER_CLIENT  # most of the random ops are valid
        ids = {editor.client.client_id for editor in editors}
        for editor in editors:
            assert editor.reconnects == 0
            assert editor.client.errors == [], editor.client.errors
            # Live broadcasts arrived from the clients of BOTH processes, not only
            # through catch-up: the Redis layer carried them across.
            assert editor.broadcasts_from == ids, editor.client.name
    finally:
        for editor in editors:
            await editor.stop()
    for server in (a, b):
        assert "Traceback" not in server.log(), server.log()[-3000:]


async def test_a_client_moving_to_the_other_process_catches_up_from_the_log(
    servers: list[Server],
) -> None:
    """Reconnecting to another process (a load balancer's choice) loses and doubles nothing."""
    a, b = servers
    tree_id = await asyncio.to_thread(a.make_tree, "alice", ["bob"])
    cookies: dict[tuple[int, str], str] = {}
    editors = await open_editors([(a, "alice"), (b, "bob")], tree_id, cookies)
    mover = editors[1]
    try:
        first = asyncio.gather(
            drive(editors[0], random.Random(1), 60), drive(mover, random.Random(2), 30)
        )
        await asyncio.sleep(0.2)
        # Lose bob's socket to b with ops in flight and come back through a.
        await mover.move_to(a)
        await first
        await drive(mover, random.Random(3), 20)
        await assert_converged([a, b], tree_id, editors)
    finally:
        for editor in editors:
            await editor.stop()
