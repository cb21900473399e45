"""Live editing over the websocket: ordering, dedupe, gap repair, catch-up, presence."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.ws.wshelpers import db_apply, db_log, db_snapshot, db_version, new_id

pytestmark = pytest.mark.django_db(transaction=True)


def proposal(text: str = "p", parent: str | None = None) -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": parent, "text": text}


def seqs(ws: Any) -> list[tuple[int, str]]:
    return [(m["seq"], m["op"]["kind"]) for m in ws.ops]


async def test_three_clients_see_create_set_move_delete_restore_in_the_same_seq_order(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    c = await connect(team.carol, team.tree_id, hello=True)

    p1, p2 = proposal("one"), proposal("two")
    await a.ok(p1)
    await b.ok(p2)
    crit = {"kind": "create", "id": new_id(), "type": "critique", "parent": p1["id"]}
    await c.ok(crit)
    await a.ok({"kind": "set", "id": p1["id"], "field": "text", "value": "one, edited"})
    await b.ok({"kind": "move", "id": crit["id"], "parent": p2["id"]})
    await c.ok({"kind": "delete", "id": p2["id"]})
    await a.ok({"kind": "restore", "id": p2["id"]})

    # Then all three at once: the server picks one order and everyone sees that order.
    async def burst(ws: Any, label: str) -> None:
        for i in range(5):
            reply = await ws.op(proposal(f"{label}{i}"))
            assert reply["type"] == "ack", reply
            reply = await ws.op({"kind": "set", "id": p1["id"], "field": "note", "value": label})
            assert reply["type"] == "ack", reply

    await asyncio.gather(burst(a, "a"), burst(b, "b"), burst(c, "c"))
    head = await db_version(team.tree_id)
    assert head == 7 + 30
    for ws in (a, b, c):
        await ws.wait_seq(head)

    kinds = [kind for _, kind in seqs(a)[:7]]
    assert kinds == ["create", "create", "create", "set", "move", "delete", "restore"]
    assert seqs(a) == seqs(b) == seqs(c) == [(i, k) for i, k in seqs(a)]
    assert [m["seq"] for m in a.ops] == list(range(1, head + 1))
    assert a.ops == b.ops == c.ops
    # Each client replayed the ops onto its snapshot and has the server's tree.
    server = await db_snapshot(team.tree_id)
    for ws in (a, b, c):
        assert ws.state.snapshot() == server["nodes"]
    # The delete took the critique with it, and restore brought both back.
    nodes = {n["id"]: n for n in server["nodes"]}
    assert not nodes[p2["id"]]["deleted"] and not nodes[crit["id"]]["deleted"]
    assert nodes[crit["id"]]["parent"] == p2["id"]


async def test_a_resent_op_is_acknowledged_as_a_duplicate_and_logged_once(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    op = proposal("once")
    first = await a.op(op, n=7)
    assert first == {"type": "ack", "n": 7, "seq": 1, "dup": False}
    again = await a.op(op, n=7)
    assert again == {"type": "ack", "n": 7, "seq": 1, "dup": True}

    # The same n from a reconnected socket with the same client_id: still a duplicate.
    a2 = await connect(team.owner, team.tree_id)
    a2.client_id = a.client_id
    await a2.hello(since=0)
    third = await a2.op(op, n=7)
    assert third == {"type": "ack", "n": 7, "seq": 1, "dup": True}

    log = await db_log(team.tree_id)
    assert [(r["seq"], r["client_id"], r["client_n"]) for r in log] == [(1, a.client_id, 7)]
    assert await db_version(team.tree_id) == 1
    await b.wait_seq(1)
    assert await b.nothing(0.3)
    assert [m["seq"] for m in b.ops] == [1]


async def test_a_seq_gap_from_a_lost_broadcast_is_filled_from_the_log_before_the_next_op(
    team: Any, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    await a.ok(proposal("seen"))
    await b.wait_seq(1)

    # Commit two ops whose broadcasts are lost (as when the channel layer drops messages).
    from trees.actions import ops as ops_module

    monkeypatch.setattr(ops_module, "broadcast_ops", lambda ops_by_tree: None)
    lost1 = await db_apply(team.tree_id, team.owner.pk, proposal("lost 1"), "rest", 1)
    lost2 = await db_apply(team.tree_id, team.owner.pk, proposal("lost 2"), "rest", 2)
    monkeypatch.undo()
    assert (lost1.seq, lost2.seq) == (2, 3)
    assert await b.nothing(0.2)

    # The next broadcast (seq 4) reaches the consumer, which fills 2..3 from the log first.
    await a.op(proposal("after the gap"))
    await b.wait_seq(4)
    gap_fill = next(m for m in b.messages if m["type"] == "ops" and m["ops"])
    assert [m["seq"] for m in gap_fill["ops"]] == [2, 3]
    assert b.messages.index(gap_fill) < b.messages.index(
        next(m for m in b.messages if m["type"] == "op" and m["seq"] == 4)
    )
    assert [m["seq"] for m in b.ops] == [1, 2, 3, 4]
    assert b.state.snapshot() == (await db_snapshot(team.tree_id))["nodes"]


async def test_a_broadcast_that_arrives_with_a_higher_seq_is_preceded_by_the_missing_ops(
    team: Any, connect: Any
) -> None:
    from trees.realtime.fanout import fanout

    b = await connect(team.bob, team.tree_id, hello=True)
    from trees.actions import ops as ops_module

    # Three ops in the log; only the last one is announced, straight through the fan-out.
    results = []
    real = ops_module.broadcast_ops
    ops_module.broadcast_ops = lambda ops_by_tree: None
    try:
        for i in range(3):
            results.append(await db_apply(team.tree_id, team.owner.pk, proposal(f"{i}"), "x", i))
    finally:
        ops_module.broadcast_ops = real
    await fanout().publish_ops(team.tree_id, [results[2].message()])
    await b.wait_seq(3)
    assert [m["type"] for m in b.messages[-2:]] == ["ops", "op"]
    assert [m["seq"] for m in b.ops] == [1, 2, 3]
    # A stale duplicate of an op already forwarded is dropped.
    await fanout().publish_ops(team.tree_id, [results[1].message()])
    assert await b.nothing(0.3)


async def test_reconnecting_with_since_catches_up_through_ops(team: Any, connect: Any) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    await a.ok(proposal("1"))
    await b.wait_seq(1)
    await b.comm.disconnect()
    for i in range(4):
        await a.ok(proposal(f"while away {i}"))

    b2 = await connect(team.bob, team.tree_id)
    b2.client_id, b2.state = b.client_id, b.state
    await b2.hello(since=1)
    catch_up = b2.messages[1]
    assert catch_up["type"] == "ops"
    assert [m["seq"] for m in catch_up["ops"]] == [2, 3, 4, 5]
    assert b2.state.snapshot() == (await db_snapshot(team.tree_id))["nodes"]
    # Up to date: the next op arrives live.
    await a.ok(proposal("live"))
    await b2.wait_seq(6)


async def test_hello_with_since_null_gets_a_snapshot(team: Any, connect: Any) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    op = proposal("there")
    await a.ok(op)
    await a.ok({"kind": "set", "id": op["id"], "field": "tags", "value": ["deception"]})
    b = await connect(team.viewer, team.tree_id)
    welcome = await b.hello(None)
    assert welcome["role"] == "viewer" and welcome["user"]["username"] == "victor"
    snapshot = b.messages[1]
    assert snapshot["type"] == "snapshot" and snapshot["seq"] == 2 and snapshot["kind"] == "game"
    assert snapshot["nodes"] == (await db_snapshot(team.tree_id))["nodes"]
    assert snapshot["nodes"][0]["tags"] == ["deception"]
    # A since ahead of the server (a client from before a restore) also gets a snapshot.
    c = await connect(team.bob, team.tree_id)
    await c.send({"type": "hello", "client_id": "c", "since": 99})
    await c.expect("welcome")
    assert (await c.recv())["type"] == "snapshot"


async def test_presence_appears_for_the_others_and_presence_leave_follows_a_disconnect(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    c = await connect(team.carol, team.tree_id, hello=True)
    a_conn = a.messages[0]["conn"]
    node = new_id()
    await a.send({"type": "presence", "node": node, "editing": True})
    for ws in (b, c):
        seen = await ws.expect("presence", conn=a_conn, node=node)
        assert seen["user"] == {"id": team.owner.pk, "username": "alice", "name": "alice"}
        assert seen["editing"] is True

    # A newcomer is told where everyone already is.
    d = await connect(team.viewer, team.tree_id, hello=True)
    await d.expect("presence", conn=a_conn, node=node, editing=True)

    await a.comm.disconnect()
    for ws in (b, c, d):
        await ws.expect("presence_leave", conn=a_conn)


async def test_a_member_who_opens_the_tree_is_seen_by_the_others_before_any_click(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    b_conn = b.messages[0]["conn"]
    seen = await a.expect("presence", conn=b_conn)
    assert seen["user"] == {"id": team.bob.pk, "username": "bob", "name": "bob"}
    assert (seen["node"], seen["editing"], seen["typing"]) == (None, False, False)
    # And the newcomer is told about alice, who is already there.
    a_conn = a.messages[0]["conn"]
    await b.expect("presence", conn=a_conn, node=None)


async def test_presence_sent_before_hello_is_kept_and_announced_with_the_hello(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    node = new_id()
    b = await connect(team.bob, team.tree_id)
    # A reconnecting client with a node focused: its presence may beat its hello.
    await b.send({"type": "presence", "node": node, "editing": True})
    await b.send({"type": "hello", "client_id": b.client_id, "since": None})
    b_conn = (await b.expect("welcome"))["conn"]
    assert (await b.recv())["type"] == "snapshot"
    seen = await a.expect("presence", conn=b_conn)
    assert (seen["node"], seen["editing"]) == (node, True)
    assert await b.nothing(0.3)
    assert [m for m in b.messages if m["type"] == "error"] == []


async def test_typing_is_relayed_with_presence_and_a_mistyped_typing_is_refused(
    team: Any, connect: Any
) -> None:
    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    b_conn = b.messages[0]["conn"]
    node = new_id()
    await b.send({"type": "presence", "node": node, "editing": True, "typing": True})
    await a.expect("presence", conn=b_conn, node=node, typing=True)
    await b.send({"type": "presence", "node": node, "editing": True})
    await a.expect("presence", conn=b_conn, node=node, typing=False)
    await b.send({"type": "presence", "node": node, "editing": True, "typing": "yes"})
    assert (await b.expect("error"))["code"] == "invalid"
    # A lone surrogate is valid JSON but no node id (and the Redis layer cannot carry it).
    await b.send_text('{"type": "presence", "node": "\\udfff"}')
    assert (await b.expect("error"))["code"] == "invalid"
    await b.send({"type": "presence", "node": None})
    await a.expect("presence", conn=b_conn, node=None)


async def test_ping_is_answered_with_pong_even_before_hello(team: Any, connect: Any) -> None:
    a = await connect(team.owner, team.tree_id)
    await a.send({"type": "ping"})
    assert await a.recv() == {"type": "pong"}
