"""A socket lives no longer than its session, and one user cannot hold unbounded sockets
(issue 17, items 12 and 14). Pass 1 on the in-memory layer, pass 2 on Redis."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from tests.ws.wshelpers import ORIGIN, Ws, db_log, new_id

pytestmark = pytest.mark.django_db(transaction=True)


def proposal(text: str = "p") -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": None, "text": text}


def signed_in(user: Any) -> Any:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


async def socket_for(client: Any, tree_id: int, opened: list[WebsocketCommunicator]) -> Ws:
    from gametree.asgi import application

    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}".encode()
    comm = WebsocketCommunicator(
        application, f"/ws/trees/{tree_id}/", headers=[(b"origin", ORIGIN), (b"cookie", cookie)]
    )
    opened.append(comm)
    connected, detail = await comm.connect(timeout=5)
    return Ws(comm, connected, detail)


@pytest.fixture
async def opened() -> Any:
    comms: list[WebsocketCommunicator] = []
    yield comms
    for comm in comms:
        with contextlib.suppress(BaseException):
            await comm.disconnect(timeout=2)


async def test_logging_out_closes_the_sessions_sockets_with_4401_and_no_others(
    team: Any, connect: Any, opened: list[WebsocketCommunicator]
) -> None:
    laptop = await sync_to_async(signed_in)(team.bob)
    phone = await sync_to_async(signed_in)(team.bob)
    first = await socket_for(laptop, team.tree_id, opened)
    second = await socket_for(laptop, team.tree_id, opened)
    other = await socket_for(phone, team.tree_id, opened)
    for ws in (first, second, other):
        await ws.hello()

    response = await sync_to_async(laptop.post)("/api/auth/logout/")
    assert response.status_code == 204

    assert await first.expect_close() == 4401
    assert await second.expect_close() == 4401
    # The phone's session is another session: it goes on, and sees Alice's edits.
    alice = await connect(team.owner, team.tree_id, hello=True)
    reply = await alice.ok(proposal("after the logout"))
    await other.wait_seq(reply["seq"])
    assert (await other.op(proposal("from the phone")))["type"] == "ack"


async def test_a_signed_out_socket_forwards_nothing_more(
    team: Any, connect: Any, opened: list[WebsocketCommunicator]
) -> None:
    laptop = await sync_to_async(signed_in)(team.bob)
    ws = await socket_for(laptop, team.tree_id, opened)
    await ws.hello()
    await sync_to_async(laptop.post)("/api/auth/logout/")
    assert await ws.expect_close() == 4401

    alice = await connect(team.owner, team.tree_id, hello=True)
    await alice.ok(proposal("nobody signed out may read this"))
    assert await ws.comm.receive_nothing(0.3)
    assert [row["client_id"] for row in await db_log(team.tree_id)] == [alice.client_id]


async def test_a_users_sockets_past_the_cap_are_closed_with_4409(
    team: Any, connect: Any, settings: Any
) -> None:
    settings.GAMETREE_WS_MAX_SOCKETS_PER_USER = 3
    mine = [await connect(team.bob, team.tree_id, hello=True) for _ in range(3)]
    extra = await connect(team.bob, team.tree_id)
    assert await extra.expect_close() == 4409
    # Another user is not counted against Bob's cap, and Bob's open sockets still work.
    carol = await connect(team.carol, team.tree_id, hello=True)
    assert (await carol.op(proposal("carol")))["type"] == "ack"
    assert (await mine[0].op(proposal("bob")))["type"] == "ack"
    # A closed socket frees its place.
    await mine[1].comm.disconnect()
    again = await connect(team.bob, team.tree_id, hello=True)
    assert (await again.op(proposal("bob again")))["type"] == "ack"


async def test_many_sockets_of_one_user_are_refused_past_the_default_cap(
    team: Any, connect: Any
) -> None:
    cap = django_settings.GAMETREE_WS_MAX_SOCKETS_PER_USER
    sockets = [await connect(team.bob, team.tree_id) for _ in range(cap + 5)]
    refused = 0
    for ws in sockets[cap:]:
        refused += await ws.expect_close() == 4409
    assert refused == 5
    ws = sockets[0]
    await ws.hello()
    assert (await ws.op(proposal("still mine")))["type"] == "ack"
