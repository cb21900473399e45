"""A guest who entered a tree by its share link (`POST /api/share/enter/`, signed out) opens
the tree's socket with the session that entry signed in: the link's role, their name in
presence and history, a viewer's write refused with a stable code, removal closing it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from rest_framework.test import APIClient

from tests.ws.wshelpers import ORIGIN, Ws, db_snapshot, disconnect_all, new_id

pytestmark = pytest.mark.django_db(transaction=True)

Enter = Callable[[str, str], Awaitable[Ws]]


def proposal(text: str = "") -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": None, "text": text}


@database_sync_to_async
def make_link(owner: Any, tree_id: int, role: str) -> str:
    client = APIClient()
    client.force_login(owner)
    response = client.post(f"/api/trees/{tree_id}/links/", {"role": role}, format="json")
    assert response.status_code == 201, response.content
    return str(response.json()["token"])


@database_sync_to_async
def guest_session(token: str, name: str) -> tuple[APIClient, bytes]:
    """Enter as a signed-out visitor; the session cookie that entry set, as a browser keeps it."""
    client = APIClient()
    body = {"token": token, "display_name": name}
    response = client.post("/api/share/enter/", body, format="json")
    assert response.status_code == 200, response.content
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return client, cookie.encode()


@pytest.fixture
async def guest_socket() -> AsyncIterator[Callable[[bytes, int], Awaitable[Ws]]]:
    opened: list[WebsocketCommunicator] = []

    async def open_socket(cookie: bytes, tree_id: int) -> Ws:
        from gametree.asgi import application

        headers = [(b"origin", ORIGIN), (b"cookie", cookie)]
        comm = WebsocketCommunicator(application, f"/ws/trees/{tree_id}/", headers=headers)
        opened.append(comm)
        connected, detail = await comm.connect(timeout=5)
        ws = Ws(comm, connected, detail)
        assert connected
        return ws

    yield open_socket
    await disconnect_all(opened)


async def test_an_editor_guests_socket_edits_and_shows_their_name_in_presence_and_history(
    team: Any, connect: Any, guest_socket: Any
) -> None:
    token = await make_link(team.owner, team.tree_id, "editor")
    client, cookie = await guest_session(token, "Ada")
    owner = await connect(team.owner, team.tree_id, hello=True)
    guest = await guest_socket(cookie, team.tree_id)
    welcome = await guest.hello()
    assert welcome["role"] == "editor" and welcome["user"]["name"] == "Ada"
    seen = await owner.expect("presence", conn=welcome["conn"])
    assert seen["user"]["name"] == "Ada"
    op = proposal("from the guest")
    await guest.ok(op)
    await owner.wait_seq(1)
    history = await database_sync_to_async(client.get)(
        f"/api/trees/{team.tree_id}/nodes/{op['id']}/history/"
    )
    assert history.json()["entries"][0]["actor"]["name"] == "Ada"


async def test_a_viewer_guests_write_gets_nack_forbidden_and_changes_nothing(
    team: Any, guest_socket: Any
) -> None:
    token = await make_link(team.owner, team.tree_id, "viewer")
    _, cookie = await guest_session(token, "Vic")
    guest = await guest_socket(cookie, team.tree_id)
    welcome = await guest.hello()
    assert welcome["role"] == "viewer"
    before = await db_snapshot(team.tree_id)
    reply = await guest.op(proposal())
    assert (reply["type"], reply["code"]) == ("nack", "forbidden")
    assert await db_snapshot(team.tree_id) == before


async def test_removing_a_guest_closes_their_open_socket(team: Any, guest_socket: Any) -> None:
    from trees.actions import member_remove

    token = await make_link(team.owner, team.tree_id, "editor")
    _, cookie = await guest_session(token, "Ada")
    guest = await guest_socket(cookie, team.tree_id)
    welcome = await guest.hello()
    await database_sync_to_async(member_remove)(tree=team.tree, user_id=welcome["user"]["id"])
    assert await guest.expect_close() == 4403
