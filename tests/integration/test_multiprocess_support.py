"""Shared code of the scale-out tests: several real daphne processes, clients that reconnect.

No tests here. The processes run on a fresh database on the PostgreSQL of DATABASE_URL and on
the Redis of REDIS_URL (or of a private redis-server, tests/integration/test_restart.py), so
these tests run only in the integration pass (GAMETREE_INTEGRATION=1).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import websockets

from tests.e2e.server import Server, running_servers
from tests.e2e.test_e2e_live import KNOWN_CODES, random_op
from tests.e2e.wsclient import LiveClient
from trees.domain import TreeState

INTEGRATION = os.environ.get("GAMETREE_INTEGRATION") == "1"
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

needs_services = [
    pytest.mark.integration,
    pytest.mark.skipif(
        not INTEGRATION,
        reason="several daphne processes need PostgreSQL and Redis: set GAMETREE_INTEGRATION=1 "
        "with DATABASE_URL and REDIS_URL (make test-integration)",
    ),
]

USERS = ("alice", "bob", "carol", "dave")
# Logins come from one address; the default 20/min throttle would bite on a restart test.
SERVER_ENV = {"LOGIN_THROTTLE_RATE": "1000/min"}


@contextmanager
def cluster(count: int, redis_url: str | None = None) -> Iterator[list[Server]]:
    assert DATABASE_URL.startswith(("postgres://", "postgresql://")), DATABASE_URL
    assert (redis_url or REDIS_URL).startswith("redis"), "REDIS_URL must be set"
    with running_servers(
        count, DATABASE_URL, redis_url or REDIS_URL, extra_env=SERVER_ENV
    ) as servers:
        servers[0].create_users(*USERS)
        pids = {server.pid for server in servers}
        assert len(pids) == count and None not in pids
        yield servers


class Editor:
    """A LiveClient bound to one server that reconnects by itself when its socket dies.

    This is what the web client does: on a lost socket, retry; on success `hello {since}` and
    resend every unacknowledged op with the same `n` (LiveClient.connect).
    """

    def __init__(self, server: Server, user: str, tree_id: int, cookie: str) -> None:
        self.server = server
        self.client = LiveClient(
            f"{server.ws_base}/ws/trees/{tree_id}/", cookie, server.base, name=user
        )
        self.client.on_op = self._record
        self.applied: list[tuple[int, str, int]] = []  # (seq, client_id, n) in applied order
        self.broadcasts_from: set[str] = set()  # client ids seen in live `op` broadcasts
        self.online = asyncio.Event()
        self.reconnects = 0
        self._watch: asyncio.Task[None] | None = None

    def _record(self, message: dict[str, Any]) -> None:
        self.applied.append((message["seq"], message["client_id"], message["n"]))
        if message.get("type") == "op":
            self.broadcasts_from.add(message["client_id"])

    async def start(self) -> None:
        await asyncio.wait_for(self.client.connect(), 30)
        self.online.set()
        self._watch = asyncio.create_task(self._keep_connected())

    def _alive(self) -> bool:
        reader = self.client._reader
        return self.client.ws is not None and reader is not None and not reader.done()

    async def _keep_connected(self) -> None:
        while True:
            if self._alive():
                await asyncio.sleep(0.05)
                continue
            assert self.client.close_code != 4403, "the server refused the socket"
            self.online.clear()
            try:
                await asyncio.wait_for(self.client.reconnect(), 5)
            except (OSError, TimeoutError, websockets.WebSocketException):
                await asyncio.sleep(0.2)
                continue
            self.reconnects += 1
            self.online.set()

    async def move_to(self, server: Server) -> None:
        """Drop the socket and come back through `server` (hello since, resend pending)."""
        await self.stop()
        self.server = server
        path = self.client.url.split("/ws/", 1)[1]
        self.client.url = f"{server.ws_base}/ws/{path}"
        self.client.origin = server.base
        await self.start()

    async def stop(self) -> None:
        self.online.clear()
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self.client.close()


async def open_editors(
    placement: list[tuple[Server, str]], tree_id: int, cookies: dict[tuple[int, str], str]
) -> list[Editor]:
    editors = []
    for server, user in placement:
        key = (server.port, user)
        if key not in cookies:
            cookies[key] = await asyncio.to_thread(server.session_cookie, user)
        editor = Editor(server, user, tree_id, cookies[key])
        await editor.start()
        editors.append(editor)
    return editors


async def drive(editor: Editor, rng: random.Random, count: int, *, in_flight: int = 4) -> None:
    """Send `count` random ops, up to `in_flight` unanswered, waiting while offline."""
    client = editor.client
    waiting: list[asyncio.Future[dict[str, Any]]] = []
    for _ in range(count):
        await asyncio.wait_for(editor.online.wait(), 45)
        assert client.state is not None
        waiting.append(await client.submit(random_op(rng, client.state)))
        if len(waiting) >= in_flight:
            await asyncio.wait_for(waiting.pop(0), 45)
        if rng.random() < 0.3:
            await asyncio.sleep(rng.random() * 0.01)
    await asyncio.wait_for(asyncio.gather(*waiting), 45)


async def log_rows(server: Server, tree_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        status, page = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{tree_id}/ops/?since={len(rows)}", None, user="alice"
        )
        assert status == 200, page
        rows.extend(page["ops"])
        if not page["more"]:
            return rows


async def assert_converged(
    servers: list[Server],
    tree_id: int,
    editors: list[Editor],
    *,
    allowed_codes: set[str] = KNOWN_CODES,
) -> int:
    """Every editor, every server's REST snapshot, the stored rows and the log agree.

    Returns the head seq. Checks that every acknowledged op is in the log at its acknowledged
    seq (nothing acknowledged is lost) and that every logged op was acknowledged to its client.
    """
    status, tree = await asyncio.to_thread(
        servers[0].api, "GET", f"/api/trees/{tree_id}/", None, user="alice"
    )
    assert status == 200, tree
    head = tree["version"]
    for editor in editors:
        await editor.client.settled(head, timeout=30)

    # The same ops in the same seq order everywhere: 1..head, nothing skipped or doubled.
    expected_seqs = list(range(1, head + 1))
    for editor in editors:
        assert [seq for seq, _, _ in editor.applied] == expected_seqs, editor.client.name
    assert len({tuple(editor.applied) for editor in editors}) == 1

    rows = await log_rows(servers[0], tree_id)
    assert [row["seq"] for row in rows] == expected_seqs
    logged = {(row["client_id"], row["n"]): row["seq"] for row in rows}
    assert len(logged) == head
    acked: dict[tuple[str, int], int] = {}
    for editor in editors:
        client = editor.client
        for n, result in client.results.items():
            if result["type"] == "ack":
                acked[(client.client_id, n)] = result["seq"]
            else:
                assert result["code"] in allowed_codes, result
    assert acked == logged  # nothing acknowledged lost, nothing applied unacknowledged

    states = [editor.client.state.snapshot() for editor in editors]  # type: ignore[union-attr]
    for state in states[1:]:
        assert state == states[0]
    for server in servers:
        status, snapshot = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{tree_id}/snapshot/", None, user="bob"
        )
        assert status == 200 and snapshot["seq"] == head
        assert snapshot["nodes"] == states[0]
    stored = await asyncio.to_thread(servers[0].db_snapshot, tree_id)
    assert stored == states[0]
    replay = TreeState(tree["kind"])
    for row in rows:
        replay.apply(row["op"], seq=row["seq"], actor=row["actor"])
    assert replay.snapshot() == stored
    return head


async def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)
