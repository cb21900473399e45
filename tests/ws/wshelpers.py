"""Helpers for the websocket tests: a protocol-aware wrapper around WebsocketCommunicator.

`Ws` keeps what a real client keeps (the ops it was sent, in order, and the last seq) so a test
can compare what different clients saw, and it can wait for a message of a given type while
collecting the broadcasts that arrive in between.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from trees.domain import Node, TreeState

ORIGIN = b"http://127.0.0.1"
TIMEOUT = 5.0


def new_id() -> str:
    return str(uuid.uuid4())


class Closed(Exception):
    def __init__(self, code: int | None) -> None:
        super().__init__(f"socket closed with {code}")
        self.code = code


class Ws:
    """One test client. `ops` lists every op message it received, in arrival order."""

    def __init__(self, comm: WebsocketCommunicator, connected: bool, detail: Any) -> None:
        self.comm = comm
        self.connected = connected
        self.detail = detail
        self.ops: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.state: TreeState | None = None
        self.last_seq: int | None = None
        self.next_n = 1
        self.client_id = f"c-{uuid.uuid4().hex[:12]}"

    # -- receiving ---------------------------------------------------------------------------

    async def recv(self, timeout: float = TIMEOUT) -> dict[str, Any]:
        """The next message; raises Closed if the server closed the socket instead."""
        import json

        out = await self.comm.receive_output(timeout)
        if out["type"] == "websocket.close":
            raise Closed(out.get("code"))
        assert out["type"] == "websocket.send", out
        message: dict[str, Any] = json.loads(out["text"])
        self._track(message)
        return message

    def _track(self, message: dict[str, Any]) -> None:
        self.messages.append(message)
        kind = message.get("type")
        if kind == "snapshot":
            self.state = TreeState(
                message["kind"], [Node.from_dict(d) for d in message["nodes"]], message["seq"]
            )
            self.last_seq = message["seq"]
        elif kind == "op":
            self._apply(message)
        elif kind == "ops":
            for op in message["ops"]:
                self._apply(op)

    def _apply(self, message: dict[str, Any]) -> None:
        seq = message["seq"]
        if self.last_seq is not None:
            # Rule 1: the server promises strict seq order; a test client checks it.
            assert seq == self.last_seq + 1, f"seq {seq} after {self.last_seq}"
        self.ops.append(message)
        if self.state is not None:
            self.state.apply(message["op"], seq=seq, actor=message["actor"])
        self.last_seq = seq

    async def expect(self, kind: str, timeout: float = TIMEOUT, **match: Any) -> dict[str, Any]:
        """Wait for a message of type `kind` whose fields equal `match`; others are kept."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"no {kind} {match} within {timeout}s: {self.messages[-5:]}")
            message = await self.recv(left)
            if message.get("type") == kind and all(message.get(k) == v for k, v in match.items()):
                return message

    async def expect_close(self, timeout: float = TIMEOUT) -> int | None:
        """Read until the server closes the socket; return the close code."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"socket not closed within {timeout}s")
            try:
                await self.recv(left)
            except Closed as closed:
                return closed.code

    async def wait_seq(self, seq: int, timeout: float = TIMEOUT) -> None:
        """Read until this client has applied every op up to `seq`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.last_seq is None or self.last_seq < seq:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"stuck at seq {self.last_seq}, wanted {seq}")
            await self.recv(left)

    async def nothing(self, timeout: float = 0.2) -> bool:
        """True when nothing but presence news arrives within `timeout`."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while (left := deadline - loop.time()) > 0:
            if await self.comm.receive_nothing(min(left, 0.05)):
                continue
            message = await self.recv()
            if message.get("type") not in ("presence", "presence_leave"):
                return False
        return True

    # -- sending -----------------------------------------------------------------------------

    async def send(self, message: Any) -> None:
        await self.comm.send_json_to(message)

    async def send_text(self, text: str) -> None:
        await self.comm.send_to(text_data=text)

    async def hello(self, since: int | None = None) -> dict[str, Any]:
        """Send hello; return the welcome after reading the snapshot or ops that follow it."""
        await self.send({"type": "hello", "client_id": self.client_id, "since": since})
        if since is not None:
            self.last_seq = since
        welcome = await self.expect("welcome")
        data = await self.recv()
        assert data["type"] in ("snapshot", "ops"), data
        return welcome

    async def op(self, op: Any, n: int | None = None) -> dict[str, Any]:
        """Submit `op` as number `n` (next by default); return its ack or nack."""
        if n is None:
            n = self.next_n
            self.next_n += 1
        await self.send({"type": "op", "n": n, "op": op})
        while True:
            message = await self.recv()
            if message.get("type") in ("ack", "nack") and message.get("n") == n:
                return message
            if message.get("type") == "error":
                return message

    async def ok(self, op: Any) -> dict[str, Any]:
        """Submit `op`, require an ack, and read up to its own broadcast."""
        reply = await self.op(op)
        assert reply["type"] == "ack", reply
        await self.wait_seq(reply["seq"])
        return reply


async def disconnect_all(opened: list[WebsocketCommunicator]) -> None:
    """Close every socket a test opened, whether the server closed it already or it hangs."""
    for comm in opened:
        try:
            await comm.disconnect(timeout=2)
        except (Exception, asyncio.CancelledError):  # closed by the server, or timed out
            pass
        finally:
            if not comm.future.done():
                comm.future.cancel()


async def session_cookie(user: Any) -> bytes:
    def login() -> str:
        from django.conf import settings
        from django.test import Client

        client = Client()
        client.force_login(user)
        return (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )

    return (await database_sync_to_async(login)()).encode()


# -- database reads for assertions -------------------------------------------------------------


@database_sync_to_async
def db_snapshot(tree_id: int) -> dict[str, Any]:
    from trees.selectors import tree_snapshot

    return tree_snapshot(tree_id=tree_id)


@database_sync_to_async
def db_version(tree_id: int) -> int:
    from trees.models import Tree

    return int(Tree.objects.get(pk=tree_id).version)


@database_sync_to_async
def db_log(tree_id: int) -> list[dict[str, Any]]:
    from trees.models import OpLog

    return list(
        OpLog.objects.filter(tree_id=tree_id)
        .order_by("seq")
        .values("seq", "client_id", "client_n", "op", "actor_id", "overwrote")
    )


@database_sync_to_async
def db_apply(tree_id: int, actor_id: int, op: dict[str, Any], client_id: str = "rest", n: int = 0):
    from trees.actions import tree_apply_op

    return tree_apply_op(tree_id=tree_id, actor_id=actor_id, client_id=client_id, n=n, op=op)
