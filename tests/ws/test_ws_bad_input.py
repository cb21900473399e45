"""Bad input over the websocket: every rejection has its code, changes nothing, and the
connection keeps working afterwards."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.ws.wshelpers import Ws, db_apply, db_log, db_snapshot, new_id

pytestmark = pytest.mark.django_db(transaction=True)

P1, C2, X3, P4, C5 = (new_id() for _ in range(5))


@pytest.fixture
def shaped(team: Any) -> Any:
    """P1 ─ C2 ─ X3 (patch), and P4 ─ C5 deleted together."""
    from asgiref.sync import async_to_sync

    ops = [
        {"kind": "create", "id": P1, "type": "proposal", "parent": None, "text": "p1"},
        {"kind": "create", "id": C2, "type": "critique", "parent": P1},
        {"kind": "create", "id": X3, "type": "patch", "parent": C2},
        {"kind": "create", "id": P4, "type": "proposal", "parent": None},
        {"kind": "create", "id": C5, "type": "critique", "parent": P4},
        {"kind": "delete", "id": P4},
    ]
    for n, op in enumerate(ops):
        async_to_sync(db_apply)(team.tree_id, team.owner.pk, op, "setup", n)
    return team


async def still_works(ws: Ws, tree_id: int, before: dict[str, Any]) -> None:
    """Nothing changed, and a valid op is still accepted on the same socket."""
    assert await db_snapshot(tree_id) == before
    reply = await ws.op({"kind": "create", "id": new_id(), "type": "proposal", "parent": None})
    assert reply["type"] == "ack" and reply["seq"] == before["seq"] + 1, reply


MESSAGE_ERRORS = [
    pytest.param("{not json", "bad_json", id="malformed-json"),
    pytest.param("[1, 2]", "bad_json", id="json-not-an-object"),
    pytest.param('"hello"', "bad_json", id="json-string"),
    pytest.param('{"type": "explode"}', "invalid", id="unknown-message-type"),
    pytest.param('{"type": 5}', "invalid", id="mistyped-message-type"),
    pytest.param("{}", "invalid", id="no-message-type"),
    pytest.param('{"type": "op", "n": "1", "op": {}}', "invalid", id="op-with-string-n"),
    pytest.param('{"type": "op", "op": {}}', "invalid", id="op-without-n"),
    pytest.param('{"type": "sync", "since": "3"}', "invalid", id="sync-with-string-since"),
    pytest.param('{"type": "presence", "node": 5}', "invalid", id="presence-mistyped-node"),
    pytest.param(
        '{"type": "presence", "node": null, "editing": "yes"}', "invalid", id="presence-editing"
    ),
    pytest.param('{"type": "hello", "client_id": ""}', "invalid", id="hello-empty-client-id"),
    pytest.param('{"type": "hello", "client_id": "x", "since": true}', "invalid", id="hello-since"),
]


@pytest.mark.parametrize(("text", "code"), MESSAGE_ERRORS)
async def test_a_bad_message_gets_an_error_and_the_socket_keeps_working(
    shaped: Any, connect: Any, text: str, code: str
) -> None:
    ws = await connect(shaped.bob, shaped.tree_id, hello=True)
    before = await db_snapshot(shaped.tree_id)
    await ws.send_text(text)
    error = await ws.expect("error")
    assert error["code"] == code and error["message"]
    await still_works(ws, shaped.tree_id, before)


def _ops() -> list[Any]:
    long_text = "x" * 2001
    return [
        pytest.param({"kind": "explode", "id": P1}, "invalid", id="unknown-op-kind"),
        pytest.param(None, "invalid", id="op-null"),
        pytest.param([P1], "invalid", id="op-a-list"),
        pytest.param({"kind": "create", "id": new_id(), "parent": None}, "invalid", id="no-type"),
        pytest.param({"kind": "set", "id": P1, "field": "text"}, "invalid", id="set-no-value"),
        pytest.param({"kind": "delete"}, "invalid", id="delete-no-id"),
        pytest.param({"kind": "set", "id": P1, "field": "text", "value": 5}, "invalid", id="int"),
        pytest.param({"kind": "set", "id": P1, "field": "author", "value": 1}, "invalid", id="fld"),
        pytest.param({"kind": "move", "id": C2, "parent": 7}, "invalid", id="parent-an-int"),
        pytest.param({"kind": "delete", "id": "not-a-uuid"}, "invalid", id="bad-uuid"),
        pytest.param(
            {"kind": "create", "id": new_id(), "type": "proposal", "parent": None, "key": "!"},
            "invalid",
            id="malformed-key",
        ),
        pytest.param({"kind": "restore", "id": P1}, "invalid", id="restore-a-live-node"),
        pytest.param(
            {"kind": "set", "id": P1, "field": "text", "value": long_text},
            "too_large",
            id="text-over-2000",
        ),
        pytest.param(
            {
                "kind": "create",
                "id": new_id(),
                "type": "proposal",
                "parent": None,
                "text": "y" * 2001,
            },
            "too_large",
            id="create-text-over-2000",
        ),
        pytest.param(
            {"kind": "set", "id": P1, "field": "tags", "value": [f"t{i}" for i in range(21)]},
            "too_large",
            id="too-many-tags",
        ),
        pytest.param({"kind": "delete", "id": new_id()}, "not_found", id="unknown-node"),
        pytest.param(
            {"kind": "create", "id": new_id(), "type": "critique", "parent": new_id()},
            "not_found",
            id="unknown-parent",
        ),
        pytest.param(
            {"kind": "create", "id": new_id(), "type": "critique", "parent": None},
            "bad_parent_type",
            id="critique-at-top-level",
        ),
        pytest.param(
            {"kind": "create", "id": new_id(), "type": "proposal", "parent": C2},
            "bad_parent_type",
            id="proposal-under-critique",
        ),
        pytest.param({"kind": "move", "id": X3, "parent": P1}, "bad_parent_type", id="move-patch"),
        pytest.param({"kind": "move", "id": C2, "parent": X3}, "cycle", id="cycle"),
        pytest.param(
            {"kind": "create", "id": new_id(), "type": "patch", "parent": C5},
            "deleted",
            id="create-under-deleted",
        ),
        pytest.param(
            {"kind": "set", "id": C5, "field": "text", "value": "z"}, "deleted", id="edit-deleted"
        ),
        pytest.param({"kind": "move", "id": C2, "parent": P4}, "deleted", id="move-under-deleted"),
        pytest.param({"kind": "restore", "id": C5}, "deleted", id="restore-under-deleted"),
        pytest.param(
            {"kind": "create", "id": P1, "type": "proposal", "parent": None},
            "conflict",
            id="dup-id",
        ),
        pytest.param({"kind": "link", "id": C2, "parent": P1}, "invalid", id="link-in-game-tree"),
    ]


@pytest.mark.parametrize(("op", "code"), _ops())
async def test_a_rejected_op_gets_its_nack_code_and_changes_nothing(
    shaped: Any, connect: Any, op: Any, code: str
) -> None:
    ws = await connect(shaped.bob, shaped.tree_id, hello=True)
    other = await connect(shaped.carol, shaped.tree_id, hello=True)
    before = await db_snapshot(shaped.tree_id)
    reply = await ws.op(op, n=41)
    assert reply["type"] == "nack" and reply["n"] == 41, reply
    assert reply["code"] == code, reply
    assert reply["message"]
    await still_works(ws, shaped.tree_id, before)
    # The rejected op was never broadcast: the other client sees only the valid one.
    await other.wait_seq(before["seq"] + 1)
    assert [m["seq"] for m in other.ops] == [before["seq"] + 1]
    # A rejected n is not remembered: re-using it for a valid op applies it.
    again = await ws.op({"kind": "set", "id": P1, "field": "note", "value": "n"}, n=41)
    assert again["type"] == "ack" and not again["dup"]


async def test_an_op_before_hello_is_answered_not_ready(shaped: Any, connect: Any) -> None:
    ws = await connect(shaped.bob, shaped.tree_id)
    before = await db_snapshot(shaped.tree_id)
    op = {"kind": "delete", "id": P1}
    await ws.send({"type": "op", "n": 1, "op": op})
    assert (await ws.recv())["code"] == "not_ready"
    await ws.send({"type": "sync", "since": 0})
    assert (await ws.recv())["code"] == "not_ready"
    # Presence before hello is kept for the hello (tests/ws/test_ws_live.py), not an error.
    await ws.send({"type": "presence", "node": None})
    assert await ws.nothing()
    assert await db_snapshot(shaped.tree_id) == before
    await ws.hello(before["seq"])
    await still_works(ws, shaped.tree_id, before)


async def test_a_message_over_64_kib_gets_error_too_large(shaped: Any, connect: Any) -> None:
    ws = await connect(shaped.bob, shaped.tree_id, hello=True)
    before = await db_snapshot(shaped.tree_id)
    # A well-formed op whose text alone would be refused anyway, padded past the frame limit.
    padded = {"type": "op", "n": 1, "op": {"kind": "set", "id": P1, "field": "note"}}
    padded["op"]["value"] = "n" * (64 * 1024)
    await ws.send_text(json.dumps(padded))
    error = await ws.expect("error")
    assert error["code"] == "too_large"
    assert await db_snapshot(shaped.tree_id) == before
    await still_works(ws, shaped.tree_id, before)
    # Non-ASCII counts in bytes: 22,000 three-byte characters are over 64 KiB.
    await ws.send_text(json.dumps({"type": "ping", "pad": "€" * 22_000}, ensure_ascii=False))
    assert (await ws.expect("error"))["code"] == "too_large"


async def test_a_flood_is_rate_limited_and_sustained_abuse_closes_with_4429(
    shaped: Any, connect: Any, settings: Any
) -> None:
    settings.GAMETREE_WS_RATE_PER_SECOND = 5
    settings.GAMETREE_WS_RATE_BURST = 10
    settings.GAMETREE_WS_FLOOD_CLOSE_AFTER = 40
    ws = await connect(shaped.bob, shaped.tree_id)
    before = await db_snapshot(shaped.tree_id)
    await ws.hello(before["seq"])  # 1 token
    for _ in range(12):
        await ws.send({"type": "ping"})
    await ws.send({"type": "op", "n": 9, "op": {"kind": "delete", "id": P1}})
    replies: list[dict[str, Any]] = []
    while len(replies) < 13:
        message = await ws.recv()
        if message["type"] != "presence":
            replies.append(message)
    kinds = [m["type"] for m in replies]
    # 9 tokens are left after hello (one more may have trickled in at 5 per second).
    pongs = kinds.count("pong")
    assert 9 <= pongs <= 10 and kinds[:pongs] == ["pong"] * pongs
    assert {(m["type"], m["code"]) for m in replies[pongs:12]} == {("error", "rate_limited")}
    assert replies[12]["type"] == "nack" and replies[12]["n"] == 9
    assert replies[12]["code"] == "rate_limited"
    assert await db_snapshot(shaped.tree_id) == before

    # After a pause the bucket has refilled and the same socket works.
    await asyncio.sleep(0.5)
    await still_works(ws, shaped.tree_id, before)
    assert len(await db_log(shaped.tree_id)) == before["seq"] + 1

    # Keep flooding: after 40 rejected messages the server closes the socket.
    for _ in range(80):
        await ws.send({"type": "ping"})
    assert await ws.expect_close() == 4429
