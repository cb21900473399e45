"""The bench load client (bench/_harness.py re-exports it): one socket per `BenchClient`,
which checks seq continuity (gaps are repaired with `sync`) and measures submit -> ack and
submit -> broadcast receipt into a shared `Stats`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import websockets


@dataclass
class Stats:
    ack: list[float] = field(default_factory=list)  # submit -> ack, seconds
    broadcast: list[float] = field(default_factory=list)  # submit -> receipt at another client
    acks: int = 0  # while measuring
    total_acks: int = 0  # whole run (checked against the database)
    nacks: dict[str, int] = field(default_factory=dict)
    gaps: int = 0
    measuring: bool = False


class BenchClient:
    """One socket. `sent` is shared by all clients of a run: (client_id, n) -> send time."""

    def __init__(
        self,
        url: str,
        cookie: str | None,
        origin: str | None,
        client_id: str,
        stats: Stats,
        sent: dict[tuple[str, int], float],
    ) -> None:
        self.url, self.cookie, self.origin = url, cookie, origin
        self.client_id = client_id
        self.stats = stats
        self.sent = sent
        self.ws: Any = None
        self.last_seq: int | None = None
        self.early: dict[int, dict[str, Any]] = {}
        self.syncing = False
        self.next_n = 1
        self.waiters: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.nodes: list[str] = []
        self.acked_head = 0  # highest seq acknowledged to this client
        # Per-op receipt latencies, kept only when asked for (low-load measurements).
        self.arrivals: dict[tuple[str, int], float] | None = None
        self.arrived = asyncio.Event()
        self._ready: asyncio.Future[None] | None = None
        self._reader: asyncio.Task[None] | None = None

    async def connect(self, hello: bool = True) -> None:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.ws = await websockets.connect(
            self.url,
            origin=self.origin,  # type: ignore[arg-type]
            additional_headers=headers,
            compression=None,
            ping_interval=None,
            max_size=2**22,
            open_timeout=60,
        )
        self._ready = asyncio.get_running_loop().create_future()
        self._reader = asyncio.create_task(self._read())
        if hello:
            await self.ws.send(
                json.dumps({"type": "hello", "client_id": self.client_id, "since": None})
            )
            await asyncio.wait_for(asyncio.shield(self._ready), 60)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 5)

    async def _read(self) -> None:
        try:
            await self._read_messages()
        finally:
            # A closed socket answers nothing more: fail the waiting submits at once.
            code = getattr(self.ws, "close_code", None)
            for waiter in self.waiters.values():
                if not waiter.done():
                    waiter.set_exception(ConnectionError(f"socket closed (code {code})"))
            self.waiters.clear()

    async def _read_messages(self) -> None:
        with contextlib.suppress(websockets.ConnectionClosed):
            async for raw in self.ws:
                now = time.perf_counter()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "snapshot":
                    self.last_seq = message["seq"]
                    self._drain()
                    if self._ready is not None and not self._ready.done():
                        self._ready.set_result(None)
                elif kind == "ops":
                    for op in message["ops"]:
                        self._receive(op, now, live=False)
                elif kind == "op":
                    self._receive(message, now, live=True)
                    if self.syncing and not self._sync_sent:
                        self._sync_sent = True
                        await self.ws.send(json.dumps({"type": "sync", "since": self.last_seq}))
                elif kind in ("ack", "nack"):
                    waiter = self.waiters.pop(message["n"], None)
                    if waiter is not None and not waiter.done():
                        waiter.set_result(message)

    _sync_sent = False

    def _receive(self, message: dict[str, Any], now: float, live: bool) -> None:
        seq = message["seq"]
        if self.last_seq is None or seq <= self.last_seq:
            return
        if seq > self.last_seq + 1:
            self.early[seq] = message
            if not self.syncing:
                self.syncing, self._sync_sent = True, False
                self.stats.gaps += 1
            return
        self._apply(message, now, live)
        self._drain()

    def _drain(self) -> None:
        while self.last_seq is not None and self.last_seq + 1 in self.early:
            self._apply(self.early.pop(self.last_seq + 1), time.perf_counter(), False)
        self.early = {s: m for s, m in self.early.items() if self.last_seq and s > self.last_seq}
        if not self.early:
            self.syncing = False

    def _apply(self, message: dict[str, Any], now: float, live: bool) -> None:
        self.last_seq = message["seq"]
        if live and message.get("client_id") != self.client_id:
            key = (message.get("client_id", ""), message["n"])
            started = self.sent.get(key)
            if started is not None:
                if self.stats.measuring:
                    self.stats.broadcast.append(now - started)
                if self.arrivals is not None:
                    self.arrivals[key] = now - started
                    self.arrived.set()

    def next_op(self) -> dict[str, Any]:
        """Creates of top-level proposals and text edits of this client's own nodes."""
        n = self.next_n
        if not self.nodes or n % 4 == 1:
            node = str(uuid.uuid4())
            self.nodes.append(node)
            return {"kind": "create", "id": node, "type": "proposal", "parent": None}
        return {
            "kind": "set",
            "id": self.nodes[n % len(self.nodes)],
            "field": "text",
            "value": f"v{n}",
        }

    async def submit(self) -> dict[str, Any]:
        """Send the next op and wait for its ack (nack rate_limited: back off, send again)."""
        n = self.next_n
        self.next_n += 1
        op = self.next_op()
        message = json.dumps({"type": "op", "n": n, "client_id": self.client_id, "op": op})
        while True:
            future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
            self.waiters[n] = future
            started = time.perf_counter()
            self.sent[(self.client_id, n)] = started
            await self.ws.send(message)
            if self._reader is not None and self._reader.done():
                raise ConnectionError("socket closed")
            try:
                reply = await asyncio.wait_for(future, 60)
            except TimeoutError as exc:
                raise TimeoutError(f"{self.client_id}: no answer to op {n} in 60 s") from exc
            if reply["type"] == "ack":
                self.stats.total_acks += 1
                self.acked_head = max(self.acked_head, reply["seq"])
                if self.stats.measuring:
                    self.stats.ack.append(time.perf_counter() - started)
                    self.stats.acks += 1
                return reply
            code = reply.get("code", "?")
            if self.stats.measuring:
                self.stats.nacks[code] = self.stats.nacks.get(code, 0) + 1
            if code != "rate_limited":
                return reply
            await asyncio.sleep(0.2)


@contextlib.contextmanager
def measuring(stats: Stats) -> Iterator[None]:
    stats.measuring = True
    try:
        yield
    finally:
        stats.measuring = False
