"""REST API: character-level text edits (`text` ops) and whole-text writes merged with them."""

from __future__ import annotations

import random
from typing import Any

import pytest
from pycrdt import Doc, Text
from rest_framework.test import APIClient

from tests.api.api_helpers import accepted, assert_error, create, snapshot, submit, tree_url
from trees.actions import state_cache
from trees.domain import replay, ytext
from trees.models import Node, OpLog, Tree


@pytest.fixture
def tree(make_tree: Any, alice: Any) -> Any:
    return make_tree(alice, title="Game")


def _node(client: APIClient, tree_id: int, node_id: str) -> dict[str, Any]:
    return next(n for n in snapshot(client, tree_id)["nodes"] if n["id"] == node_id)


def _replica(node: dict[str, Any], client_id: int) -> Doc[Any]:
    return ytext.load(node.get("y", ""), node["text"], client_id=client_id)


def _edit(doc: Doc[Any], pos: int, insert: str) -> dict[str, str]:
    before = doc.get_state()
    doc.get(ytext.ROOT, type=Text).insert(pos, insert)
    return {"update": ytext.encode_b64(doc.get_update(before))}


def test_text_ops_of_two_people_merge_and_are_stored_and_logged(
    tree: Any, as_alice: APIClient
) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="hello world")
    node = _node(as_alice, tree.pk, node_id)
    alice, bob = _replica(node, 101), _replica(node, 102)
    first = accepted(as_alice, tree.pk, {"kind": "text", "id": node_id, **_edit(alice, 5, ",")})
    second = accepted(
        as_alice, tree.pk, {"kind": "text", "id": node_id, **_edit(bob, 11, "!")}, cid="bob"
    )
    assert (first["seq"], second["seq"]) == (2, 3)
    assert second["op"]["kind"] == "text" and second["overwrote"] == 0

    merged = _node(as_alice, tree.pk, node_id)
    assert merged["text"] == "hello, world!" and merged["field_seq"]["text"] == 3
    row = Node.objects.get(pk=node_id)
    assert row.text == "hello, world!" and row.y == merged["y"]
    log = as_alice.get(tree_url(tree.pk, "ops/?since=1")).json()["ops"]
    assert [entry["op"]["kind"] for entry in log] == ["text", "text"]


def test_a_resent_text_op_is_answered_as_dup_and_not_applied_twice(
    tree: Any, as_alice: APIClient
) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="ab")
    op = {
        "kind": "text",
        "id": node_id,
        **_edit(_replica(_node(as_alice, tree.pk, node_id), 7), 1, "X"),
    }
    first = accepted(as_alice, tree.pk, op, n=900)
    again = accepted(as_alice, tree.pk, op, n=900)
    assert again == {**first, "dup": True}
    assert _node(as_alice, tree.pk, node_id)["text"] == "aXb"
    assert OpLog.objects.filter(tree_id=tree.pk).count() == 2


def test_text_op_over_the_limit_is_refused_with_too_large_and_nothing_is_written(
    tree: Any, as_alice: APIClient
) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="x" * 2000)
    op = {
        "kind": "text",
        "id": node_id,
        **_edit(_replica(_node(as_alice, tree.pk, node_id), 7), 0, "y"),
    }
    assert_error(submit(as_alice, tree.pk, op), 413, "too_large")
    assert Tree.objects.get(pk=tree.pk).version == 1
    assert Node.objects.get(pk=node_id).y == ""


def test_malformed_text_op_is_refused_as_invalid(tree: Any, as_alice: APIClient) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="ab")
    for update in ("%%%", "", 5, ytext.encode_b64(b"\xff\xff\xff")):
        assert_error(
            submit(as_alice, tree.pk, {"kind": "text", "id": node_id, "update": update}),
            400,
            "invalid",
        )
    assert Tree.objects.get(pk=tree.pk).version == 1


def test_rest_set_text_is_merged_with_concurrent_typing(tree: Any, as_alice: APIClient) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="the quick fox")
    typing = _replica(_node(as_alice, tree.pk, node_id), 55)
    typed = _edit(typing, 13, " jumps")
    result = accepted(
        as_alice, tree.pk, {"kind": "set", "id": node_id, "field": "text", "value": "the slow fox"}
    )
    assert result["op"]["y"]  # logged with the diff clients merge
    accepted(as_alice, tree.pk, {"kind": "text", "id": node_id, **typed}, cid="typist")
    assert _node(as_alice, tree.pk, node_id)["text"] == "the slow fox jumps"


def test_rest_set_text_with_its_base_keeps_typing_that_reached_the_server_first(
    tree: Any, as_alice: APIClient
) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="the quick fox")
    read = _node(as_alice, tree.pk, node_id)["text"]  # a script reads the text ...
    typed = _edit(_replica(_node(as_alice, tree.pk, node_id), 56), 13, " jumps")
    accepted(as_alice, tree.pk, {"kind": "text", "id": node_id, **typed}, cid="typist")
    # ... and writes its edit of it after someone typed at the end.
    op = {"kind": "set", "id": node_id, "field": "text", "value": "the slow fox", "base": read}
    result = accepted(as_alice, tree.pk, op)
    assert result["op"]["value"] == "the slow fox jumps"
    assert _node(as_alice, tree.pk, node_id)["text"] == "the slow fox jumps"


def test_replay_of_the_log_rebuilds_the_stored_text_and_state(
    tree: Any, alice: Any, as_alice: APIClient
) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="start")
    for i in range(6):
        node = _node(as_alice, tree.pk, node_id)
        if i % 3 == 2:
            op: dict[str, Any] = {
                "kind": "set",
                "id": node_id,
                "field": "text",
                "value": node["text"][1:] + "s",
            }
        else:
            op = {"kind": "text", "id": node_id, **_edit(_replica(node, 200 + i), i, f"<{i}>")}
        accepted(as_alice, tree.pk, op)
    state_cache.clear()
    logged = OpLog.objects.filter(tree_id=tree.pk).order_by("seq")
    rebuilt = replay("game", ((row.seq, row.op, row.actor_id) for row in logged))
    row = Node.objects.get(pk=node_id)
    assert rebuilt.nodes[node_id].text == row.text == _node(as_alice, tree.pk, node_id)["text"]
    assert rebuilt.nodes[node_id].y == row.y


def test_a_long_edited_node_is_compacted_stored_logged_and_replayed_alike(
    tree: Any, as_alice: APIClient
) -> None:
    node_id = create(as_alice, tree.pk, "proposal", text="")
    rnd = random.Random(3)
    doc = _replica(_node(as_alice, tree.pk, node_id), 77)
    compacted = None
    for _ in range(40):
        before = doc.get_state()
        text = doc.get(ytext.ROOT, type=Text)
        for _ in range(400):  # scattered keystrokes: a run each
            s = str(text)
            if len(s) > 800 or (s and rnd.random() < 0.45):
                p = rnd.randrange(len(s))
                del text[p : p + 1]
            else:
                text.insert(rnd.randint(0, len(s)), rnd.choice("abcdefgh "))
        result = accepted(
            as_alice,
            tree.pk,
            {"kind": "text", "id": node_id, "update": ytext.encode_b64(doc.get_update(before))},
        )
        if "compact" in result["op"]:
            compacted = result
            break
    assert compacted is not None, "no compaction after 16,000 keystrokes"
    node = _node(as_alice, tree.pk, node_id)
    assert node["y"] == compacted["op"]["compact"] == Node.objects.get(pk=node_id).y
    assert node["text"] == str(doc.get(ytext.ROOT, type=Text))
    assert len(node["y"]) * 3 // 4 < ytext.COMPACT_AT
    logged = OpLog.objects.filter(tree_id=tree.pk).order_by("seq")
    last = logged.last()
    assert last is not None and last.op["compact"] == node["y"]
    rebuilt = replay("game", ((row.seq, row.op, row.actor_id) for row in logged))
    assert rebuilt.nodes[node_id].y == node["y"]
    # The old document's typing is refused (the client re-applies it on the new document).
    stale = _edit(doc, 0, "x")
    assert_error(
        submit(as_alice, tree.pk, {"kind": "text", "id": node_id, **stale}), 409, "conflict"
    )
