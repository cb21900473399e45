"""End to end: an op written over REST reaches a websocket client as a live `op` broadcast.

Both writers take one delivery path (trees/realtime/fanout.py): a REST-written op is not a
catch-up the client has to ask for. Pass 1 runs it on SQLite, pass 2 on PostgreSQL + Redis;
tests/integration/test_multiprocess_rest.py does it across two processes.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from tests.e2e.server import Server
from tests.e2e.wsclient import LiveClient

pytestmark = pytest.mark.e2e


async def test_an_op_written_over_rest_reaches_an_open_websocket_live(
    live_server_proc: Server,
) -> None:
    server = live_server_proc
    tree_id = await asyncio.to_thread(server.make_tree, "alice", ["bob"])
    cookie = await asyncio.to_thread(server.session_cookie, "bob")
    watcher = LiveClient(f"{server.ws_base}/ws/trees/{tree_id}/", cookie, server.base, name="bob")
    live: list[dict[str, Any]] = []
    watcher.on_op = lambda message: live.append(message) if message.get("type") == "op" else None
    await watcher.connect()
    try:
        for i in range(3):
            op = {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal", "parent": None}
            status, body = await asyncio.to_thread(
                server.api,
                "POST",
                f"/api/trees/{tree_id}/ops/",
                {"client_id": "rest-writer", "n": i + 1, "op": {**op, "text": f"rest {i}"}},
                user="alice",
            )
            assert status == 200, body
        await watcher.settled(3, timeout=20)
        assert [(m["seq"], m["client_id"], m["op"]["text"]) for m in live] == [
            (1, "rest-writer", "rest 0"),
            (2, "rest-writer", "rest 1"),
            (3, "rest-writer", "rest 2"),
        ]
        assert watcher.gaps == 0 and watcher.errors == []
    finally:
        await watcher.close()
