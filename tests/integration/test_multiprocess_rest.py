"""Two daphne processes on PostgreSQL + Redis: an op written over REST to one process reaches
the websockets of both as live `op` broadcasts, by the fan-out that carries websocket ops
(trees/realtime/fanout.py), whether or not the writing process has sockets of its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.server import Server
from tests.e2e.wsclient import LiveClient
from tests.integration.test_multiprocess_support import cluster, needs_services

# Two daphne processes on a fresh PostgreSQL database start within the timeout, loaded too.
pytestmark = [*needs_services, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    with cluster(2) as started:
        yield started


async def _watch(server: Server, tree_id: int, user: str) -> tuple[LiveClient, list[int]]:
    cookie = await asyncio.to_thread(server.session_cookie, user)
    client = LiveClient(f"{server.ws_base}/ws/trees/{tree_id}/", cookie, server.base, name=user)
    live: list[int] = []

    def record(message: dict[str, Any]) -> None:
        if message.get("type") == "op":
            live.append(message["seq"])

    client.on_op = record
    await client.connect()
    return client, live


async def _post_ops(server: Server, tree_id: int, count: int, client_id: str) -> None:
    for n in range(1, count + 1):
        op = {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal", "parent": None}
        status, body = await asyncio.to_thread(
            server.api,
            "POST",
            f"/api/trees/{tree_id}/ops/",
            {"client_id": client_id, "n": n, "op": {**op, "text": f"rest {n}"}},
            user="alice",
        )
        assert status == 200, body


async def test_a_rest_op_reaches_sockets_on_both_processes_live(servers: list[Server]) -> None:
    a, b = servers
    tree_id = await asyncio.to_thread(a.make_tree, "alice", ["bob", "carol"])
    on_a, live_a = await _watch(a, tree_id, "bob")
    on_b, live_b = await _watch(b, tree_id, "carol")
    try:
        await _post_ops(a, tree_id, 5, "rest-a")
        await _post_ops(b, tree_id, 5, "rest-b")
        for client in (on_a, on_b):
            await client.settled(10, timeout=30)
            assert client.gaps == 0 and client.errors == []
        assert live_a == live_b == list(range(1, 11))
    finally:
        await on_a.close()
        await on_b.close()


async def test_a_rest_op_written_where_no_socket_is_open_reaches_the_other_process(
    servers: list[Server],
) -> None:
    a, b = servers
    tree_id = await asyncio.to_thread(a.make_tree, "alice", ["carol"])
    on_b, live_b = await _watch(b, tree_id, "carol")
    try:
        await _post_ops(a, tree_id, 4, "rest-only")
        await on_b.settled(4, timeout=30)
        assert live_b == [1, 2, 3, 4]
        assert on_b.gaps == 0 and on_b.errors == []
    finally:
        await on_b.close()
