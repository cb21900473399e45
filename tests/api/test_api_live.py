"""REST API to websocket: an op submitted through REST reaches live clients of the tree."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client
from rest_framework.test import APIClient

from tests.api.api_helpers import new_id, tree_url


@pytest.fixture(autouse=True)
def _own_channel_layer(settings: Any) -> None:
    # A changed CHANNEL_LAYERS setting makes Channels build a fresh layer for this test.
    settings.CHANNEL_LAYERS = copy.deepcopy(settings.CHANNEL_LAYERS)


def _session_cookie(user: Any) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def _socket(tree_id: int, user: Any) -> WebsocketCommunicator:
    from gametree.asgi import application

    cookie = await sync_to_async(_session_cookie)(user)
    headers = [(b"cookie", f"sessionid={cookie}".encode()), (b"origin", b"http://127.0.0.1")]
    return WebsocketCommunicator(application, f"/ws/trees/{tree_id}/", headers=headers)


async def _receive_until(
    ws: WebsocketCommunicator, kind: str, skipped: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The next message of type `kind`; others (presence, ...) go to `skipped`."""
    while True:
        message = json.loads(await ws.receive_from(timeout=5))
        if message["type"] == kind:
            return message
        if skipped is not None:
            skipped.append(message)


def _post_op(user: Any, tree_id: int, op: dict[str, Any]) -> dict[str, Any]:
    client = APIClient()
    client.force_login(user)
    response = client.post(
        tree_url(tree_id, "ops/"), {"client_id": "rest", "n": 1, "op": op}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


@asynccontextmanager
async def _bob_watching(
    make_user: Any, make_tree: Any
) -> AsyncIterator[tuple[Any, Any, WebsocketCommunicator, dict[str, Any]]]:
    """A tree of alice's with bob, a viewer, on a socket to it and caught up (no ops yet):
    alice, the tree, bob's socket and the welcome it got."""
    alice = await sync_to_async(make_user)("alice")
    bob = await sync_to_async(make_user)("bob")
    tree = await sync_to_async(make_tree)(alice, members={bob: "viewer"})
    watcher = await _socket(tree.pk, bob)
    try:
        connected, _ = await watcher.connect()
        assert connected
        await watcher.send_to(text_data=json.dumps({"type": "hello", "client_id": "w", "since": 0}))
        welcome = await _receive_until(watcher, "welcome")
        assert (await _receive_until(watcher, "ops"))["ops"] == []
        yield alice, tree, watcher, welcome
    finally:
        await watcher.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_an_op_submitted_through_rest_reaches_live_websocket_clients(
    make_user: Any, make_tree: Any
) -> None:
    async with _bob_watching(make_user, make_tree) as (alice, tree, watcher, welcome):
        assert welcome["role"] == "viewer"

        node_id = new_id()
        op = {"kind": "create", "id": node_id, "type": "proposal", "parent": None, "text": "Hi"}
        result = await sync_to_async(_post_op)(alice, tree.pk, op)

        pushed = await _receive_until(watcher, "op")
        assert pushed["seq"] == result["seq"] == 1
        assert (pushed["client_id"], pushed["n"], pushed["actor"]) == ("rest", 1, alice.pk)
        assert pushed["op"] == result["op"]
        assert pushed["op"]["id"] == node_id and pushed["op"]["text"] == "Hi"

        # A re-sent REST op is answered from the log and not broadcast again.
        again = await sync_to_async(_post_op)(alice, tree.pk, op)
        assert again["dup"] is True
        await watcher.send_to(text_data=json.dumps({"type": "ping"}))
        before_pong: list[dict[str, Any]] = []
        assert (await _receive_until(watcher, "pong", before_pong)) == {"type": "pong"}
        assert [m for m in before_pong if m["type"] in ("op", "ops")] == []
        # Presence replies may still trickle in (through Redis they are slower); no op may.
        late: list[dict[str, Any]] = []
        while not await watcher.receive_nothing(timeout=0.5):
            late.append(json.loads(await watcher.receive_from(timeout=1)))
        assert [m for m in late if m["type"] in ("op", "ops")] == []


@pytest.mark.django_db(transaction=True)
async def test_a_rest_op_reaches_sockets_through_the_fan_out_not_the_channel_layer(
    make_user: Any, make_tree: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One delivery path: REST-written ops go where websocket ops go (trees/realtime/fanout.py).
    Here the channel layer loses every group message; the op still arrives, live."""
    from channels.layers import get_channel_layer

    async with _bob_watching(make_user, make_tree) as (alice, tree, watcher, _):
        layer = get_channel_layer()
        lost: list[str] = []

        async def lose(group: str, message: dict[str, Any]) -> None:
            lost.append(message["type"])

        monkeypatch.setattr(layer, "group_send", lose)
        op = {"kind": "create", "id": new_id(), "type": "proposal", "parent": None, "text": "x"}
        result = await sync_to_async(_post_op)(alice, tree.pk, op)

        pushed = await _receive_until(watcher, "op")
        assert (pushed["seq"], pushed["client_id"]) == (result["seq"], "rest")
        assert "tree.op" not in lost
