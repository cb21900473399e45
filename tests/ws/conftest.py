"""Fixtures for the websocket tests: a team with one game tree, and sockets that always close.

The tests run on the in-memory channel layer in pass 1 and on Redis in pass 2 (REDIS_URL):
each test gets its own channel layer (a unique key prefix on Redis) and flushes it at the end,
so groups never leak from one test into the next.
"""

from __future__ import annotations

import copy
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from tests.ws.wshelpers import ORIGIN, Ws, disconnect_all, session_cookie


@dataclass
class Team:
    owner: Any
    bob: Any
    carol: Any
    viewer: Any
    outsider: Any
    tree: Any

    @property
    def tree_id(self) -> int:
        return int(self.tree.pk)


@pytest.fixture
def team(make_user: Any, make_tree: Any) -> Team:
    owner = make_user("alice")
    bob = make_user("bob")
    carol = make_user("carol")
    viewer = make_user("victor")
    outsider = make_user("mallory")
    tree = make_tree(owner, members={bob: "editor", carol: "editor", viewer: "viewer"})
    return Team(owner, bob, carol, viewer, outsider, tree)


@pytest.fixture(autouse=True)
def _own_channel_layer(settings: Any) -> None:
    # Changing CHANNEL_LAYERS makes Channels build a fresh layer for this test.
    layers = copy.deepcopy(settings.CHANNEL_LAYERS)
    if os.environ.get("REDIS_URL"):
        prefix = f"gt-test-{os.getpid()}-{uuid.uuid4().hex[:8]}:"
        layers["default"]["CONFIG"]["prefix"] = prefix
        settings.GAMETREE_FANOUT_PREFIX = prefix + "fanout:"
    settings.CHANNEL_LAYERS = layers


Connect = Callable[..., Awaitable[Ws]]


@pytest.fixture
async def connect() -> AsyncIterator[Connect]:
    """`await connect(user, tree_id)` opens a socket; every socket is closed at teardown."""
    from gametree.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def open_socket(
        user: Any | None,
        tree_id: int,
        *,
        origin: bytes | None = ORIGIN,
        hello: bool = False,
        since: int | None = None,
    ) -> Ws:
        headers: list[tuple[bytes, bytes]] = []
        if origin is not None:
            headers.append((b"origin", origin))
        if user is not None:
            headers.append((b"cookie", await session_cookie(user)))
        comm = WebsocketCommunicator(application, f"/ws/trees/{tree_id}/", headers=headers)
        opened.append(comm)
        connected, detail = await comm.connect(timeout=5)
        ws = Ws(comm, connected, detail)
        if hello:
            assert connected
            await ws.hello(since)
        return ws

    try:
        yield open_socket
    finally:
        await disconnect_all(opened)
        layer = get_channel_layer()
        if layer is not None and hasattr(layer, "flush"):
            await layer.flush()
