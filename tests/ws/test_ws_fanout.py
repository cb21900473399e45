"""The process-local fan-out (trees/realtime/fanout.py): ordering, gaps, catch-up, a lost layer."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.ws.wshelpers import db_apply, db_snapshot, new_id

pytestmark = pytest.mark.django_db(transaction=True)


def proposal(text: str = "p") -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": None, "text": text}


async def _silently_applied(tree_id: int, actor_id: int, count: int) -> list[Any]:
    """Ops committed to the log without any broadcast (as if every delivery was lost)."""
    from trees.actions import ops as ops_module

    real = ops_module.broadcast_ops
    ops_module.broadcast_ops = lambda ops_by_tree: None
    try:
        return [await db_apply(tree_id, actor_id, proposal(f"{i}"), "x", i) for i in range(count)]
    finally:
        ops_module.broadcast_ops = real


async def test_an_op_published_with_a_seq_gap_reaches_the_socket_after_the_missing_ops(
    team: Any, connect: Any
) -> None:
    from trees.realtime.fanout import fanout

    b = await connect(team.bob, team.tree_id, hello=True)
    results = await _silently_applied(team.tree_id, team.owner.pk, 3)

    await fanout().publish_ops(team.tree_id, [results[2].message()])

    await b.wait_seq(3)
    assert [m["type"] for m in b.messages[-2:]] == ["ops", "op"]
    assert [m["seq"] for m in b.ops] == [1, 2, 3]
    assert b.state.snapshot() == (await db_snapshot(team.tree_id))["nodes"]


async def test_ops_published_in_one_batch_arrive_once_each_in_seq_order_at_every_socket(
    team: Any, connect: Any
) -> None:
    from trees.realtime.fanout import fanout

    a = await connect(team.owner, team.tree_id, hello=True)
    b = await connect(team.bob, team.tree_id, hello=True)
    results = await _silently_applied(team.tree_id, team.owner.pk, 4)

    # Out of order and with a duplicate: each socket still forwards 1, 2, 3, 4 once.
    messages = [r.message() for r in results]
    await fanout().publish_ops(team.tree_id, [messages[0], messages[2], messages[1]])
    await fanout().publish_ops(team.tree_id, [messages[3], messages[3]])

    for ws in (a, b):
        await ws.wait_seq(4)
        assert [m["seq"] for m in ws.ops] == [1, 2, 3, 4]
        assert await ws.nothing(0.2)


async def test_an_op_committed_while_a_socket_reads_its_catch_up_is_forwarded_not_dropped(
    team: Any, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window between the catch-up's database read and the socket knowing its seq: an op
    broadcast then used to be dropped, and the client only noticed at the next op."""
    from trees.actions import tree_apply_op
    from trees.realtime import reads as live
    from trees.realtime.fanout import fanout

    loop, hub = asyncio.get_running_loop(), fanout()
    real_catch_up = live.catch_up
    late: dict[str, Any] = {}

    def catch_up_then_commit(tree_id: int, since: int | None) -> dict[str, Any]:
        result = real_catch_up(tree_id, since)  # reads the log up to now
        applied = tree_apply_op(
            tree_id=tree_id, actor_id=team.owner.pk, client_id="late", n=1, op=proposal("late")
        )
        late["seq"] = applied.seq
        asyncio.run_coroutine_threadsafe(
            hub.publish_ops(tree_id, [applied.message()]), loop
        ).result(5)
        return result

    monkeypatch.setattr(live, "catch_up", catch_up_then_commit)
    b = await connect(team.bob, team.tree_id, hello=True)

    await b.wait_seq(late["seq"])
    assert b.state.snapshot() == (await db_snapshot(team.tree_id))["nodes"]


async def test_a_socket_is_closed_with_4503_when_the_fan_out_loses_redis(
    team: Any, connect: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Redis restarting, a socket left open would silently miss other processes' ops.
    (tests/ws/test_fanout_groups.py kills a real Redis connection; this is the socket's side.)"""
    from trees.realtime.fanout import fanout

    hub = fanout()

    class LostBus:
        async def subscribe(self, group: str) -> None:
            pass

        async def next_message(self) -> bytes:
            raise ConnectionError("Connection closed by server.")

        async def reset(self) -> None:
            pass

    monkeypatch.setattr(hub, "bus", LostBus())
    b = await connect(team.bob, team.tree_id)
    await b.send({"type": "hello", "client_id": "bob-1", "since": None})

    assert await b.expect_close() == 4503
    assert hub.members == {}


def test_a_pub_sub_message_names_its_origin_and_trees_ahead_of_the_ops() -> None:
    import json

    from trees.realtime.fanout import decode_header, encode_batch

    ops = [(7, [{"seq": 1, "op": {"text": "line\nbreak, comma"}}]), (12, [{"seq": 4}])]

    origin, tree_ids, body = decode_header(encode_batch("123-abcd", ops))

    assert (origin, tree_ids) == ("123-abcd", [7, 12])
    assert json.loads(body) == [[7, ops[0][1]], [12, ops[1][1]]]


@pytest.mark.parametrize("payload", [b"", b'{"origin": "x", "trees": []}', b"x 1,y\n[]"])
def test_a_malformed_pub_sub_message_is_a_value_error(payload: bytes) -> None:
    from trees.realtime.fanout import decode_header

    with pytest.raises(ValueError):
        decode_header(payload)
