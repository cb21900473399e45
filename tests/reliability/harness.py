"""Shared by the reliability tests and bench/soak_live.py: a client that survives anything.

`ResilientClient` is the e2e protocol client (tests/e2e/wsclient.py) plus what a real client
does when the network or the server goes away: it notices the dead socket, reconnects with
back-off (hello {since: last_seq}, then every pending op again with the same n), retries ops
answered `nack internal` ("try again", e.g. while the database restarts), and records every
ack it ever got so that durability can be checked against the log afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import time
import uuid
from collections.abc import Iterable
from typing import Any

import websockets
from pycrdt import Text

from tests.e2e.server import Server
from tests.e2e.wsclient import LiveClient
from trees.domain import TreeState, ytext
from trees.domain.grammar import allowed_under, node_types

RETRY_CODES = frozenset({"rate_limited", "internal"})
FINAL_CODES = frozenset(
    {"invalid", "not_found", "deleted", "bad_parent_type", "cycle", "conflict", "too_large"}
)
_CONNECT_ERRORS = (OSError, websockets.WebSocketException, ConnectionError, TimeoutError)


class ResilientClient(LiveClient):
    def __init__(self, url: str, cookie: str, origin: str, *, name: str = "") -> None:
        super().__init__(url, cookie, origin, name=name)
        self.acks: dict[int, list[dict[str, Any]]] = {}  # n -> every ack received for it
        self.submitted_at: dict[int, float] = {}
        self.acked_at: dict[int, float] = {}
        self.applied_at: dict[int, float] = {}  # seq -> when this client applied it
        self.internal = 0
        self.reconnects = 0
        self.on_op = self._note_applied

    # -- connection ----------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return (
            self.ws is not None
            and self._reader is not None
            and not self._reader.done()
            and self._ready is not None
            and self._ready.done()
        )

    async def connect(self) -> None:
        ws = await websockets.connect(
            self.url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie},
            max_size=2**22,
            ping_interval=None,
            open_timeout=5,
        )
        self.ws = ws
        self._ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(ws))
        try:
            await self._send({"type": "hello", "client_id": self.client_id, "since": self.last_seq})
            await asyncio.wait(
                {self._ready, self._reader}, timeout=15, return_when="FIRST_COMPLETED"
            )
            if not self._ready.done() or self._reader.done():
                raise ConnectionError(f"{self.name}: no catch-up after hello")
            # Rule 3: everything not acknowledged goes again, with the same n.
            for n, op in list(self.pending.items()):
                await self._send({"type": "op", "n": n, "op": op})
        except BaseException:
            await self.drop()
            raise

    async def try_reconnect(self) -> bool:
        try:
            await self.reconnect()
        except _CONNECT_ERRORS:
            return False
        self.reconnects += 1
        return True

    async def stay_connected(self, stop: asyncio.Event) -> None:
        """Reconnect whenever the socket is gone, with back-off, until `stop` is set."""
        delay = 0.05
        while not stop.is_set():
            if self.online:
                delay = 0.05
                await asyncio.sleep(0.02)
                continue
            if not await self.try_reconnect():
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.5)

    async def wait_online(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not self.online:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name} did not get back online")
            await asyncio.sleep(0.02)

    # -- sending and receiving -----------------------------------------------------------

    async def submit(self, op: Any) -> asyncio.Future[dict[str, Any]]:
        n = self.next_n
        self.next_n += 1
        self.pending[n] = op
        self.submitted_at[n] = time.monotonic()
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiters[n] = future
        if self.online:
            with contextlib.suppress(websockets.ConnectionClosed):
                # A lost send stays pending and goes again after the reconnect.
                await self._send({"type": "op", "n": n, "op": op})
        return future

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ack":
            n = message["n"]
            self.acks.setdefault(n, []).append(message)
            self.acked_at.setdefault(n, time.monotonic())
        elif kind == "snapshot":
            before = self.last_seq or 0
            super()._handle(message)
            now = time.monotonic()
            for seq in range(before + 1, (self.last_seq or 0) + 1):
                self.applied_at.setdefault(seq, now)  # reached through the snapshot
            return
        elif kind == "nack" and message.get("code") == "internal":
            # "Try again": the op stays pending and goes again with the same n.
            self.internal += 1
            asyncio.get_running_loop().call_later(0.3, self._resend_soon, message["n"])
            return
        super()._handle(message)

    def _note_applied(self, message: dict[str, Any]) -> None:
        self.applied_at.setdefault(message["seq"], time.monotonic())


def random_op(rng: random.Random, view: TreeState) -> dict[str, Any]:
    """An edit a user looking at `view` might make (views are stale: some get refused)."""
    ids = sorted(view.nodes)
    live = [i for i in ids if not view.nodes[i].deleted]
    choice = rng.choices(
        ["create", "set", "text", "move", "delete", "restore"], [6, 3, 4, 2, 1, 1]
    )[0]
    if not live:
        choice = "create"
    if choice == "create":
        parent = rng.choice([None, *live]) if live else None
        parent_type = view.nodes[parent].type if parent else None
        fitting = [
            t for t in sorted(node_types(view.kind)) if allowed_under(view.kind, t, parent_type)
        ]
        if not fitting:
            parent, fitting = None, ["proposal"]
        return {
            "kind": "create",
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "type": rng.choice(fitting),
            "parent": parent,
            "text": f"t{rng.randrange(10_000)}",
        }
    if choice == "set":
        field = rng.choice(["text", "note", "tags"])
        value: Any = f"{field} {rng.randrange(100_000)}"
        if field == "tags":
            value = rng.sample(["deception", "goodhart", "scale", "reward"], rng.randrange(3))
        return {"kind": "set", "id": rng.choice(live), "field": field, "value": value}
    if choice == "text":
        # A keystroke: a Yjs update against the node's text as this client last saw it.
        node = view.nodes[rng.choice(live)]
        doc = ytext.load(node.y, node.text, client_id=rng.randrange(3, 2**31))
        before = doc.get_state()
        pos = len(node.text[: rng.randrange(len(node.text) + 1)].encode())
        doc.get(ytext.ROOT, type=Text).insert(pos, rng.choice("abcdefgh "))
        update = ytext.encode_b64(doc.get_update(before))
        return {"kind": "text", "id": node.id, "update": update}
    if choice == "move":
        node = view.nodes[rng.choice(live)]
        return {"kind": "move", "id": node.id, "parent": rng.choice([None, *live])}
    if choice == "delete":
        return {"kind": "delete", "id": rng.choice(live)}
    gone = [i for i in ids if view.nodes[i].deleted]
    return {"kind": "restore", "id": rng.choice(gone or ids)}


async def edit(
    client: ResilientClient,
    rng: random.Random,
    stop: asyncio.Event,
    *,
    window: int = 4,
    pause: float = 0.01,
    limit: int | None = None,
) -> None:
    """Keep up to `window` ops in flight until `stop` (or `limit` ops submitted)."""
    count = 0
    while not stop.is_set() and (limit is None or count < limit):
        if len(client.pending) >= window or client.state is None:
            await asyncio.sleep(0.005)
            continue
        await client.submit(random_op(rng, client.state))
        count += 1
        await asyncio.sleep(rng.random() * pause)


def kill_and_restart(server: Server, *, down_for: float = 0.0) -> float:
    """SIGKILL daphne (no shutdown, no flush) and start it again; the seconds it was down."""
    process = server.process
    assert process is not None
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(10)
    server.process = None
    if down_for:
        time.sleep(down_for)
    server.start()
    return time.monotonic() - started


def read_log(server: Server, tree_id: int, user: str) -> list[dict[str, Any]]:
    """The whole operation log of the tree, page by page, over the REST API."""
    rows: list[dict[str, Any]] = []
    since = 0
    while True:
        status, page = server.api("GET", f"/api/trees/{tree_id}/ops/?since={since}", user=user)
        assert status == 200, page
        rows.extend(page["ops"])
        if not page["more"] or not page["ops"]:
            return rows
        since = page["ops"][-1]["seq"]


def check_durable(clients: Iterable[ResilientClient], log: list[dict[str, Any]]) -> int:
    """Assert every acknowledged op is in the log exactly once, at the seq it was acked as.

    Returns the number of acknowledged ops checked.
    """
    seqs = [row["seq"] for row in log]
    assert seqs == list(range(1, len(log) + 1)), "the log has gaps or repeats"
    by_ident: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in log:
        by_ident.setdefault((row["client_id"], row["n"]), []).append(row)
    checked = 0
    lost: list[tuple[str, int]] = []
    for client in clients:
        for n, acks in client.acks.items():
            ack_seqs = {ack["seq"] for ack in acks}
            assert len(ack_seqs) == 1, f"{client.name} op {n} acked as {ack_seqs}"
            rows = by_ident.get((client.client_id, n), [])
            if not rows:
                lost.append((client.client_id, n))
                continue
            assert len(rows) == 1, f"{client.name} op {n} logged {len(rows)} times"
            assert rows[0]["seq"] == ack_seqs.pop(), f"{client.name} op {n} logged at another seq"
            checked += 1
    assert not lost, f"acknowledged but not in the log: {lost[:10]} ({len(lost)} in all)"
    return checked


def lost_ops(clients: Iterable[ResilientClient], log: list[dict[str, Any]]) -> int:
    """How many acknowledged ops are missing from the log or logged at another seq."""
    logged = {(row["client_id"], row["n"]): row["seq"] for row in log}
    return sum(
        1
        for client in clients
        for n, acks in client.acks.items()
        if logged.get((client.client_id, n)) != acks[0]["seq"]
    )


async def settle(
    server: Server, clients: list[ResilientClient], tree_id: int, user: str, timeout: float = 60
) -> int:
    """Wait for every client to be online, with nothing pending, at the head; the head."""
    deadline = time.monotonic() + timeout
    for client in clients:
        await client.wait_online(max(deadline - time.monotonic(), 0.1))
    head = -1
    while True:
        status, tree = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{tree_id}/", None, user=user
        )
        assert status == 200, tree
        if tree["version"] == head:
            return head
        # Ops still pending when we read the head may move it on: read it again after.
        head = tree["version"]
        for client in clients:
            await client.settled(head, max(deadline - time.monotonic(), 0.1))


async def converge(
    server: Server, clients: list[ResilientClient], tree_id: int, user: str, timeout: float = 60
) -> tuple[int, list[dict[str, Any]]]:
    """settle(), then check that every client holds exactly the tree stored in the database."""
    head = await settle(server, clients, tree_id, user, timeout)
    stored = await asyncio.to_thread(server.db_snapshot, tree_id)
    for client in clients:
        assert client.state is not None
        assert client.state.snapshot() == stored, f"{client.name} diverged from the database"
    return head, stored


_cookies: dict[tuple[str, str], str] = {}


async def session_cookie(server: Server, user: str) -> str:
    """Sign in once per server and user, like a browser keeps its session (logins are
    throttled to 20 a minute per address, and sessions survive server restarts)."""
    key = (server.base, user)
    if key not in _cookies:
        _cookies[key] = await asyncio.to_thread(server.session_cookie, user)
    return _cookies[key]


async def open_clients(server: Server, tree_id: int, users: list[str]) -> list[ResilientClient]:
    clients = []
    for user in users:
        cookie = await session_cookie(server, user)
        client = ResilientClient(
            f"{server.ws_base}/ws/trees/{tree_id}/", cookie, server.base, name=user
        )
        await client.connect()
        clients.append(client)
    return clients
