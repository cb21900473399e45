"""One user's malformed op never touches another user's edits (issue 17, items 1 and 15).

An op whose `meta` held a lone surrogate (as a key or a value) or nested ~500 levels deep
raised inside the group-commit batch: over the websocket the whole batch failed, other users'
ops on other trees included (answered `internal`, some of them committed anyway), and over
REST it was a 500. Now such input is refused with `invalid` before any batch, and an op that
fails inside a batch for any other reason fails alone.

Pass 1 runs on SQLite and the in-memory layer, pass 2 on PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from asgiref.sync import sync_to_async

from tests.ws.wshelpers import db_log, new_id

pytestmark = pytest.mark.django_db(transaction=True)


def nested(depth: int) -> dict[str, Any]:
    """A meta object `depth` levels deep: {"a": {"a": ... {}}}."""
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


# As JSON text, the way a hostile client sends them (a lone surrogate is legal JSON).
BAD_META = [
    pytest.param('{"a": "\\ud800"}', id="surrogate-value"),
    pytest.param('{"\\udfff": 1}', id="surrogate-key"),
    pytest.param('{"a": ["x", {"b": "\\ud800z"}]}', id="surrogate-inside"),
    pytest.param(json.dumps(nested(33)), id="33-levels"),
    pytest.param(json.dumps(nested(500)), id="500-levels"),
    pytest.param('{"\\u0000": 1}', id="nul-key"),
]


def create_with_meta(meta_json: str) -> str:
    head = '{"kind": "create", "id": "' + new_id() + '", "type": "proposal", "parent": null'
    return head + ', "meta": ' + meta_json + "}"


def set_meta(node_id: str, meta_json: str) -> str:
    return '{"kind": "set", "id": "' + node_id + '", "field": "meta", "value": ' + meta_json + "}"


def op_message(n: int, op_json: str) -> str:
    return '{"type": "op", "n": ' + str(n) + ', "op": ' + op_json + "}"


def test_meta_of_32_levels_is_accepted_and_33_refused() -> None:
    from trees.domain import OpError
    from trees.domain.validate import meta_value

    assert meta_value(nested(32)) == nested(32)
    with pytest.raises(OpError) as refused:
        meta_value(nested(33))
    assert refused.value.code == "invalid"


@pytest.mark.parametrize("meta_json", BAD_META)
async def test_malformed_meta_over_the_websocket_is_refused_with_invalid(
    team: Any, connect: Any, meta_json: str
) -> None:
    ws = await connect(team.bob, team.tree_id, hello=True)
    created = await ws.ok({"kind": "create", "id": new_id(), "type": "proposal", "parent": None})
    node_id = ws.ops[-1]["op"]["id"]
    for n, op_json in enumerate((create_with_meta(meta_json), set_meta(node_id, meta_json))):
        await ws.send_text(op_message(100 + n, op_json))
        reply = await ws.expect("nack", n=100 + n)
        assert reply["code"] == "invalid", reply
    assert [row["seq"] for row in await db_log(team.tree_id)] == [created["seq"]]
    # The socket goes on working.
    assert (await ws.op({"kind": "delete", "id": node_id}))["type"] == "ack"


@pytest.mark.parametrize("meta_json", BAD_META)
async def test_malformed_meta_over_rest_is_a_400_with_invalid(team: Any, meta_json: str) -> None:
    from rest_framework.test import APIClient

    def post(op_json: str) -> tuple[int, Any]:
        client = APIClient()
        client.force_login(team.bob)
        body = '{"client_id": "rest", "n": 1, "op": ' + op_json + "}"
        response = client.post(
            f"/api/trees/{team.tree_id}/ops/", body, content_type="application/json"
        )
        return response.status_code, response.json()

    status, body = await sync_to_async(post)(create_with_meta(meta_json))
    # Nested past the REST body's own bound (64 levels, trees/api/parsers.py), the body is
    # refused before the op is read.
    code = "bad_json" if meta_json.count("{") > 64 else "invalid"
    assert (status, body["code"]) == (400, code), body
    assert await db_log(team.tree_id) == []


async def test_one_users_malformed_ops_never_fail_another_users_ops_on_another_tree(
    team: Any, connect: Any, make_user: Any, make_tree: Any
) -> None:
    """Mallory floods her own tree with malformed ops while Bob edits his: they share the
    process's group-commit batches. Bob's ops are all acknowledged, each exactly once in the
    log; every one of Mallory's is refused `invalid`, none `internal`, none logged."""
    mallory = team.outsider
    her_tree = await sync_to_async(make_tree)(mallory, title="hers")
    bob = await connect(team.bob, team.tree_id, hello=True)
    her = await connect(mallory, her_tree.pk, hello=True)

    rounds = 40
    bad = [create_with_meta(param.values[0]) for param in BAD_META]
    for i in range(rounds):
        op = {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}
        await bob.send({"type": "op", "n": i + 1, "op": {**op, "text": f"bob {i}"}})
        await her.send_text(op_message(i + 1, bad[i % len(bad)]))

    async def answers(ws: Any) -> dict[int, dict[str, Any]]:
        got: dict[int, dict[str, Any]] = {}
        while len(got) < rounds:
            message = await ws.recv()
            assert message.get("code") != "internal", message
            if message["type"] in ("ack", "nack"):
                got[message["n"]] = message
        return got

    bobs, hers = await asyncio.gather(answers(bob), answers(her))
    assert {m["type"] for m in bobs.values()} == {"ack"}
    assert {(m["type"], m["code"]) for m in hers.values()} == {("nack", "invalid")}
    logged = await db_log(team.tree_id)
    assert sorted(row["client_n"] for row in logged) == list(range(1, rounds + 1))
    assert sorted(m["seq"] for m in bobs.values()) == [row["seq"] for row in logged]
    assert await db_log(her_tree.pk) == []


async def test_an_op_that_fails_inside_a_batch_fails_alone_and_is_not_applied(
    team: Any, make_tree: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a future bug raises while one op applies (injected here), the other ops of
    its batch, on its tree and on others, are applied and answered; the failing op gets
    `internal` and is not in the log."""
    from trees.actions.ops import OpRequest, OpResult, tree_apply_ops
    from trees.domain import TreeState
    from trees.domain.errors import ActionError

    other = await sync_to_async(make_tree)(team.carol, title="other")
    real_apply = TreeState.apply

    def apply(self: TreeState, op: Any, **kwargs: Any) -> Any:
        if isinstance(op, dict) and op.get("text") == "boom":
            raise RuntimeError("a bug in the domain")
        return real_apply(self, op, **kwargs)

    monkeypatch.setattr(TreeState, "apply", apply)

    def create(tree_id: int, actor: int, n: int, text: str) -> OpRequest:
        op = {"kind": "create", "id": new_id(), "type": "proposal", "parent": None, "text": text}
        return OpRequest(tree_id=tree_id, actor_id=actor, client_id="c", n=n, op=op)

    requests = [
        create(team.tree_id, team.bob.pk, 1, "bob 1"),
        create(other.pk, team.carol.pk, 1, "boom"),
        create(other.pk, team.carol.pk, 2, "carol 2"),
        create(team.tree_id, team.bob.pk, 2, "bob 2"),
    ]
    outcomes = await sync_to_async(tree_apply_ops)(requests, broadcast=False)

    assert [type(o) for o in outcomes] == [OpResult, ActionError, OpResult, OpResult]
    assert isinstance(outcomes[1], ActionError) and outcomes[1].code == "internal"
    assert [row["client_n"] for row in await db_log(team.tree_id)] == [1, 2]
    assert [row["client_n"] for row in await db_log(other.pk)] == [2]


BAD_CLIENT_IDS = [
    pytest.param('"a\\u0000b"', id="nul"),
    pytest.param('"\\ud800"', id="lone-surrogate"),
    pytest.param('"ok\\udfff"', id="trailing-surrogate"),
]


@pytest.mark.parametrize("client_id", BAD_CLIENT_IDS)
async def test_a_hello_with_an_unusable_client_id_is_refused_at_hello(
    team: Any, connect: Any, client_id: str
) -> None:
    ws = await connect(team.bob, team.tree_id)
    await ws.send_text('{"type": "hello", "client_id": ' + client_id + ', "since": null}')
    error = await ws.expect("error")
    assert error["code"] == "invalid"
    assert not any(m["type"] == "welcome" for m in ws.messages)
    # A good hello afterwards works, and so do ops.
    await ws.hello()
    assert (await ws.op({"kind": "create", "id": new_id(), "type": "proposal", "parent": None}))[
        "type"
    ] == "ack"
