"""End to end: the real daphne server, real websockets, three concurrent editing clients."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import pytest
import websockets

from tests.e2e.server import Server
from tests.e2e.wsclient import LiveClient
from trees.domain import TreeState
from trees.domain.grammar import allowed_under, node_types

pytestmark = pytest.mark.e2e

OPS_PER_CLIENT = 100
KNOWN_CODES = {"invalid", "not_found", "deleted", "bad_parent_type", "cycle", "conflict"}
KNOWN_CODES |= {"too_large"}


def random_op(rng: random.Random, view: TreeState) -> Any:
    """An op a user looking at `view` might send; views are stale, some ops are plain wrong."""
    ids = sorted(view.nodes)
    live = [i for i in ids if not view.nodes[i].deleted] or ids
    choice = rng.choices(
        ["create", "set", "move", "delete", "restore", "invalid"], [6, 4, 3, 1, 1, 1]
    )[0]
    if not ids:
        choice = "create" if choice != "invalid" else choice
    if choice == "create":
        parent = rng.choice([None, *live]) if live else None
        parent_type = view.nodes[parent].type if parent else None
        fitting = [
            t for t in sorted(node_types(view.kind)) if allowed_under(view.kind, t, parent_type)
        ]
        if not fitting:
            parent, fitting = None, ["proposal"]
        op: dict[str, Any] = {
            "kind": "create",
            "id": str(uuid.UUID(int=rng.getrandbits(128))),
            "type": rng.choice(fitting),
            "parent": parent,
            "text": f"t{rng.randrange(1000)}",
        }
        siblings = [n.key for n in view.children(parent)]
        if siblings and rng.random() < 0.3:
            op["key"] = rng.choice(siblings)  # the server rewrites a taken key
        return op
    if choice == "set":
        field = rng.choice(["text", "note", "tags"])
        value: Any = [rng.choice(["deception", "goodhart", "scale"])] if field == "tags" else ""
        if field != "tags":
            value = f"{field} {rng.randrange(10_000)}"
        return {"kind": "set", "id": rng.choice(live), "field": field, "value": value}
    if choice == "move":
        node = view.nodes[rng.choice(live)]
        candidates = [None, *live]
        parent = rng.choice(candidates)
        return {"kind": "move", "id": node.id, "parent": parent}
    if choice == "delete":
        return {"kind": "delete", "id": rng.choice(live)}
    if choice == "restore":
        gone = [i for i in ids if view.nodes[i].deleted]
        return {"kind": "restore", "id": rng.choice(gone or ids)}
    return rng.choice(
        [
            {"kind": "explode"},
            {"kind": "set", "id": rng.choice(ids) if ids else "x", "field": "text", "value": 5},
            {"kind": "set", "id": str(uuid.uuid4()), "field": "text", "value": "ghost"},
            {"kind": "create", "id": str(uuid.uuid4()), "type": "critique", "parent": None},
            {
                "kind": "set",
                "id": rng.choice(ids) if ids else "x",
                "field": "text",
                "value": "x" * 2001,
            },
            {"kind": "delete"},
        ]
    )


async def open_client(server: Server, user: str, tree_id: int, name: str) -> LiveClient:
    client = LiveClient(
        f"{server.ws_base}/ws/trees/{tree_id}/",
        await asyncio.to_thread(server.session_cookie, user),
        server.base,
        name=name,
    )
    await client.connect()
    return client


async def drive(client: LiveClient, rng: random.Random, *, drop_at: int | None = None) -> None:
    in_flight: list[asyncio.Future[dict[str, Any]]] = []
    for i in range(OPS_PER_CLIENT):
        assert client.state is not None
        in_flight.append(await client.submit(random_op(rng, client.state)))
        if drop_at is not None and i == drop_at:
            # Lose the connection with ops in flight; reconnect and resend them (same n).
            await client.reconnect()
        if len(in_flight) >= 4:
            await asyncio.wait_for(in_flight.pop(0), 30)
        if rng.random() < 0.2:
            await asyncio.sleep(rng.random() * 0.01)
    await asyncio.wait_for(asyncio.gather(*in_flight), 60)


async def test_three_clients_editing_concurrently_converge_on_the_servers_tree(
    live_server_proc: Server,
) -> None:
    server = live_server_proc
    tree_id = await asyncio.to_thread(server.make_tree, "alice", ["bob", "carol"])
    clients = [await open_client(server, user, tree_id, user) for user in ("alice", "bob", "carol")]
    try:
        await asyncio.gather(
            drive(clients[0], random.Random(1)),
            drive(clients[1], random.Random(2)),
            drive(clients[2], random.Random(3), drop_at=OPS_PER_CLIENT // 2),
        )
        status, tree = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{tree_id}/", None, user="alice"
        )
        assert status == 200
        head = tree["version"]
        for client in clients:
            await client.settled(head)

        # Every op got exactly one answer; the accepted ones are exactly the log.
        results = [r for c in clients for r in c.results.values()]
        assert len(results) == 3 * OPS_PER_CLIENT
        acks = [r for r in results if r["type"] == "ack"]
        nacks = [r for r in results if r["type"] == "nack"]
        assert len(acks) == head
        assert sorted(r["seq"] for r in acks) == list(range(1, head + 1))
        assert {r["code"] for r in nacks} <= KNOWN_CODES, {r["code"] for r in nacks}
        assert len(nacks) >= 10  # the random mix really exercised the rejections
        assert head >= 150
        for client in clients:
            assert client.errors == [], client.errors

        # All three replicas, the server's snapshot and the stored rows agree.
        status, snapshot = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{tree_id}/snapshot/", None, user="bob"
        )
        assert status == 200 and snapshot["seq"] == head
        stored = await asyncio.to_thread(server.db_snapshot, tree_id)
        states = [c.state.snapshot() for c in clients]
        assert states[0] == states[1] == states[2]
        assert states[0] == snapshot["nodes"] == stored
        assert sum(not n["deleted"] for n in stored) > 10

        # The log replays to the same tree.
        status, page = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{tree_id}/ops/?since=0", None, user="carol"
        )
        assert status == 200 and not page["more"]
        replay = TreeState("game")
        for row in page["ops"]:
            replay.apply(row["op"], seq=row["seq"], actor=row["actor"])
        assert replay.snapshot() == stored
        assert len({(r["client_id"], r["n"]) for r in page["ops"]}) == head
    finally:
        for client in clients:
            await client.close()


async def test_an_op_through_rest_reaches_live_clients(live_server_proc: Server) -> None:
    server = live_server_proc
    tree_id = await asyncio.to_thread(server.make_tree, "bob", ["alice"])
    alice = await open_client(server, "alice", tree_id, "alice")
    try:
        op = {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal", "parent": None}
        body = {"client_id": "script", "n": 1, "op": op}
        status, result = await asyncio.to_thread(
            server.api, "POST", f"/api/trees/{tree_id}/ops/", body, user="bob"
        )
        assert status == 200 and result["seq"] == 1 and not result["dup"]
        await alice.settled(1, timeout=10)
        assert op["id"] in alice.state.nodes
    finally:
        await alice.close()


async def test_the_real_server_refuses_strangers(live_server_proc: Server) -> None:
    server = live_server_proc
    tree_id = await asyncio.to_thread(server.make_tree, "alice", [])
    url = f"{server.ws_base}/ws/trees/{tree_id}/"

    # A foreign Origin is refused during the handshake.
    cookie = await asyncio.to_thread(server.session_cookie, "alice")
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(
            url, origin="http://evil.example", additional_headers={"Cookie": cookie}
        )

    # Anonymous and non-member sockets are closed with 4403.
    mallory = await asyncio.to_thread(server.session_cookie, "mallory")
    for headers in ({}, {"Cookie": mallory}):
        async with websockets.connect(url, origin=server.base, additional_headers=headers) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 10)
            assert ws.close_code == 4403
