"""A live client over real websockets that follows the client rules of docs/protocol.md.

- applies `op` / `ops` strictly in seq order and drops anything with seq <= last_seq (dedupe);
- on a gap (seq > last_seq + 1) buffers what came early and sends `sync {since: last_seq}`;
- keeps unacknowledged ops in a pending queue; `reconnect()` says `hello {since: last_seq}` and
  resends every pending op with the same `n` (the server answers a duplicate with `dup: true`).

The confirmed tree is a `trees.domain.TreeState` rebuilt from the snapshot and the ops, so it
can be compared with the server's snapshot node for node.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from trees.domain import Node, TreeState


class LiveClient:
    def __init__(self, url: str, cookie: str, origin: str, *, name: str = "") -> None:
        self.url = url
        self.cookie = cookie
        self.origin = origin
        self.name = name
        self.client_id = f"{name or 'c'}-{uuid.uuid4().hex[:10]}"
        self.state: TreeState | None = None
        self.last_seq: int | None = None
        self.next_n = 1
        self.pending: dict[int, dict[str, Any]] = {}  # n -> op, in sending order
        self.results: dict[int, dict[str, Any]] = {}  # n -> ack / nack
        self.waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.early: dict[int, dict[str, Any]] = {}  # ops that came before a gap was filled
        self.syncing = False
        self.gaps = 0
        self.dropped = 0
        self.rate_limited = 0
        self.errors: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] | None = None
        self.on_op: Callable[[dict[str, Any]], None] | None = None
        self.ws: ClientConnection | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready: asyncio.Future[None] | None = None
        self.close_code: int | None = None

    # -- connection --------------------------------------------------------------------------

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            self.url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers={"Cookie": self.cookie},
            max_size=2**22,
            ping_interval=None,
        )
        self._ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read(self.ws))
        await self._send({"type": "hello", "client_id": self.client_id, "since": self.last_seq})
        await asyncio.wait_for(asyncio.shield(self._ready), 30)
        # Rule 3: resend what was not acknowledged, with the same n.
        for n, op in list(self.pending.items()):
            await self._send({"type": "op", "n": n, "op": op})

    async def drop(self) -> None:
        """Lose the connection abruptly (no close handshake), as a network failure would."""
        ws, reader = self.ws, self._reader
        self.ws, self._reader = None, None
        if ws is not None:
            ws.transport.abort()
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        self.syncing = False
        self.early.clear()

    async def reconnect(self) -> None:
        await self.drop()
        await self.connect()

    async def close(self) -> None:
        ws, reader = self.ws, self._reader
        self.ws, self._reader = None, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 5)
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader

    # -- sending -----------------------------------------------------------------------------

    async def _send(self, message: dict[str, Any]) -> None:
        assert self.ws is not None, "not connected"
        await self.ws.send(json.dumps(message, separators=(",", ":")))

    async def submit(self, op: Any) -> asyncio.Future[dict[str, Any]]:
        """Send `op`; the returned future resolves to its ack or nack (across reconnects)."""
        n = self.next_n
        self.next_n += 1
        self.pending[n] = op
        future = asyncio.get_running_loop().create_future()
        self.waiters[n] = future
        with contextlib.suppress(websockets.ConnectionClosed):
            # A lost send stays pending and goes again after reconnect().
            await self._send({"type": "op", "n": n, "op": op})
        return future

    async def presence(self, node: str | None, editing: bool = False) -> None:
        await self._send({"type": "presence", "node": node, "editing": editing})

    # -- receiving ---------------------------------------------------------------------------

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                self._handle(json.loads(raw))
                if self._sync_needed:
                    self._sync_needed = False
                    await self._send({"type": "sync", "since": self.last_seq})
        except websockets.ConnectionClosed:
            pass
        finally:
            if ws.close_code is not None:
                self.close_code = ws.close_code

    _sync_needed = False

    def _handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "welcome":
            self.welcome = message
        elif kind == "snapshot":
            self.state = TreeState(
                message["kind"], [Node.from_dict(d) for d in message["nodes"]], message["seq"]
            )
            self.last_seq = message["seq"]
            self.early = {s: m for s, m in self.early.items() if s > self.last_seq}
            self._drain()
            self._mark_ready()
        elif kind == "ops":
            for op in message["ops"]:
                self._receive_op(op)
            self._mark_ready()
        elif kind == "op":
            self._receive_op(message)
        elif kind in ("ack", "nack"):
            n = message["n"]
            if kind == "nack" and message["code"] == "rate_limited":
                # Still pending: back off, then send it again with the same n.
                self.rate_limited += 1
                asyncio.get_running_loop().call_later(0.2, self._resend_soon, n)
                return
            self.pending.pop(n, None)
            self.results[n] = message
            waiter = self.waiters.pop(n, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(message)
        elif kind == "error":
            self.errors.append(message)

    def _resend_soon(self, n: int) -> None:
        if n in self.pending and self.ws is not None:
            message = {"type": "op", "n": n, "op": self.pending[n]}
            task = asyncio.ensure_future(self._send(message))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _mark_ready(self) -> None:
        if self._ready is not None and not self._ready.done():
            self._ready.set_result(None)

    def _receive_op(self, message: dict[str, Any]) -> None:
        seq = message["seq"]
        if self.last_seq is None or seq <= self.last_seq:
            self.dropped += 1  # rule 1: already applied (or before our snapshot)
            return
        if seq > self.last_seq + 1:
            # Rule 2: a gap. Keep the early op, ask for the missing range once.
            self.early[seq] = message
            if not self.syncing:
                self.syncing = True
                self.gaps += 1
                self._sync_needed = True
            return
        self._apply(message)
        self._drain()

    def _drain(self) -> None:
        while self.last_seq is not None and self.last_seq + 1 in self.early:
            self._apply(self.early.pop(self.last_seq + 1))
        if not self.early:
            self.syncing = False

    def _apply(self, message: dict[str, Any]) -> None:
        assert self.state is not None
        self.state.apply(message["op"], seq=message["seq"], actor=message["actor"])
        self.last_seq = message["seq"]
        if self.on_op is not None:
            self.on_op(message)

    # -- waiting -----------------------------------------------------------------------------

    async def settled(self, head: int, timeout: float = 60) -> None:
        """Wait until nothing is pending and every op up to `head` is applied."""
        deadline = time.monotonic() + timeout
        while self.pending or self.last_seq is None or self.last_seq < head:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name}: last_seq {self.last_seq} < {head} or pending {self.pending}"
                )
            await asyncio.sleep(0.02)
