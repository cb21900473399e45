"""REST API: snapshots, submitting operations, the operation log, re-sends and rejections."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.api_helpers import (
    accepted,
    assert_error,
    create,
    new_id,
    snapshot,
    submit,
    tree_url,
)
from trees.models import OpLog

NODE_KEYS = {
    "id",
    "type",
    "parent",
    "parents",
    "key",
    "text",
    "note",
    "tags",
    "author",
    "deleted",
    "meta",
    "field_seq",
}


@pytest.fixture
def tree(make_tree: Any, alice: Any) -> Any:
    return make_tree(alice, title="Game")


def _node(snap: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(node for node in snap["nodes"] if node["id"] == node_id)


def test_snapshot_of_a_new_tree_is_empty_at_seq_zero(tree: Any, as_alice: APIClient) -> None:
    assert snapshot(as_alice, tree.pk) == {"seq": 0, "kind": "game", "nodes": []}


def test_snapshot_has_the_documented_shape_and_matches_the_tree_version(
    tree: Any, alice: Any, as_alice: APIClient
) -> None:
    proposal = create(as_alice, tree.pk, "proposal", text="Imitate a careful human", tags=["x"])
    create(as_alice, tree.pk, "critique", proposal, text="Humans err")

    snap = snapshot(as_alice, tree.pk)
    assert set(snap) == {"seq", "kind", "nodes"}
    assert (snap["seq"], snap["kind"]) == (2, "game")
    assert as_alice.get(tree_url(tree.pk)).json()["version"] == 2
    assert [node["type"] for node in snap["nodes"]] == ["proposal", "critique"]
    node = _node(snap, proposal)
    assert set(node) >= NODE_KEYS
    assert node["parent"] is None
    assert node["parents"] == []
    assert node["text"] == "Imitate a careful human"
    assert node["tags"] == ["x"]
    assert node["author"] == alice.pk
    assert node["deleted"] is False
    assert isinstance(node["key"], str) and node["key"]
    assert node["field_seq"] == {"text": 1, "note": 0, "tags": 1, "position": 1, "deleted": 0}


def test_create_set_move_delete_restore_through_rest(tree: Any, as_alice: APIClient) -> None:
    p1 = create(as_alice, tree.pk, "proposal", text="P1")
    p2 = create(as_alice, tree.pk, "proposal", text="P2")
    c = create(as_alice, tree.pk, "critique", p1, text="C")
    patch = create(as_alice, tree.pk, "patch", c, text="Fix")

    first = accepted(as_alice, tree.pk, {"kind": "set", "id": c, "field": "text", "value": "C!"})
    assert (first["seq"], first["dup"], first["overwrote"]) == (5, False, 3)
    accepted(as_alice, tree.pk, {"kind": "set", "id": c, "field": "note", "value": "long"})
    accepted(as_alice, tree.pk, {"kind": "set", "id": c, "field": "tags", "value": [" a ", "b"]})
    moved = accepted(as_alice, tree.pk, {"kind": "move", "id": c, "parent": p2})
    assert moved["op"]["parent"] == p2 and moved["op"]["key"]

    snap = snapshot(as_alice, tree.pk)
    node = _node(snap, c)
    assert (node["parent"], node["text"], node["note"], node["tags"]) == (
        p2,
        "C!",
        "long",
        ["a", "b"],
    )
    assert _node(snap, patch)["parent"] == c

    deleted = accepted(as_alice, tree.pk, {"kind": "delete", "id": p2})
    snap = snapshot(as_alice, tree.pk)
    assert all(_node(snap, i)["deleted"] for i in (p2, c, patch))
    assert not _node(snap, p1)["deleted"]

    restored = accepted(as_alice, tree.pk, {"kind": "restore", "id": p2})
    assert restored["seq"] == deleted["seq"] + 1
    snap = snapshot(as_alice, tree.pk)
    assert not any(_node(snap, i)["deleted"] for i in (p2, c, patch))
    assert snap["seq"] == 10


def test_move_with_type_turns_a_critique_into_a_patch(tree: Any, as_alice: APIClient) -> None:
    p = create(as_alice, tree.pk, "proposal")
    c1 = create(as_alice, tree.pk, "critique", p)
    c2 = create(as_alice, tree.pk, "critique", p)
    accepted(as_alice, tree.pk, {"kind": "move", "id": c2, "parent": c1, "type": "patch"})
    node = _node(snapshot(as_alice, tree.pk), c2)
    assert (node["type"], node["parent"]) == ("patch", c1)


def test_the_log_holds_every_op_as_applied_since_a_seq(
    tree: Any, alice: Any, as_alice: APIClient
) -> None:
    p = create(as_alice, tree.pk, "proposal")
    accepted(as_alice, tree.pk, {"kind": "set", "id": p, "field": "text", "value": "v1"}, cid="c9")
    accepted(as_alice, tree.pk, {"kind": "set", "id": p, "field": "text", "value": "v2"})

    response = as_alice.get(tree_url(tree.pk, "ops/"))
    assert response.status_code == 200
    page = response.json()
    assert (page["seq"], page["more"]) == (3, False)
    assert [op["seq"] for op in page["ops"]] == [1, 2, 3]
    first = page["ops"][0]
    assert set(first) == {"seq", "client_id", "n", "op", "actor", "overwrote"}
    assert first["actor"] == alice.pk
    assert first["op"]["kind"] == "create" and first["op"]["key"]
    assert page["ops"][1]["client_id"] == "c9"
    assert page["ops"][2]["overwrote"] == 2

    later = as_alice.get(tree_url(tree.pk, "ops/"), {"since": 2}).json()
    assert [op["seq"] for op in later["ops"]] == [3]
    assert as_alice.get(tree_url(tree.pk, "ops/"), {"since": 3}).json()["ops"] == []
    assert as_alice.get(tree_url(tree.pk, "ops/"), {"since": 99}).json()["ops"] == []


def test_the_log_is_read_in_pages_flagged_by_more(
    tree: Any, as_alice: APIClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("trees.api.views.MAX_CATCH_UP_OPS", 3)
    p = create(as_alice, tree.pk, "proposal")
    for i in range(6):
        accepted(as_alice, tree.pk, {"kind": "set", "id": p, "field": "text", "value": str(i)})

    seen: list[int] = []
    since, pages = 0, 0
    while True:
        page = as_alice.get(tree_url(tree.pk, "ops/"), {"since": since}).json()
        pages += 1
        assert page["seq"] == 7
        assert len(page["ops"]) <= 3
        seen += [op["seq"] for op in page["ops"]]
        if not page["more"]:
            break
        since = page["ops"][-1]["seq"]
    assert seen == list(range(1, 8))
    assert pages == 3


@pytest.mark.parametrize("since", ["abc", "-1", "1.5", ""])
def test_reading_the_log_since_a_bad_seq_is_400_invalid(
    tree: Any, as_alice: APIClient, since: str
) -> None:
    assert_error(as_alice.get(tree_url(tree.pk, "ops/"), {"since": since}), 400, "invalid")


def test_a_resent_op_returns_its_original_seq_and_is_not_applied_twice(
    tree: Any, as_alice: APIClient
) -> None:
    p = create(as_alice, tree.pk, "proposal")
    op = {"kind": "set", "id": p, "field": "text", "value": "once"}
    first = accepted(as_alice, tree.pk, op, n=41, cid="laptop")
    assert first["dup"] is False
    before = OpLog.objects.filter(tree=tree).count()
    snap_before = snapshot(as_alice, tree.pk)

    again = accepted(as_alice, tree.pk, op, n=41, cid="laptop")
    assert again == {**first, "dup": True}
    # The original answers a re-send even when the body differs: n identifies the op.
    changed = {**op, "value": "twice"}
    assert accepted(as_alice, tree.pk, changed, n=41, cid="laptop")["seq"] == first["seq"]

    assert OpLog.objects.filter(tree=tree).count() == before
    assert snapshot(as_alice, tree.pk) == snap_before
    # The same n from another client is a different op.
    other = accepted(as_alice, tree.pk, changed, n=41, cid="phone")
    assert (other["seq"], other["dup"]) == (first["seq"] + 1, False)


def _op(kind: str, node: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "id": node, **fields}


def _rejection_cases(ids: dict[str, str]) -> list[tuple[str, Any, int, str]]:
    """(what, op, HTTP status, code) for every rejection the protocol documents."""
    p, c, patch, gone = ids["proposal"], ids["critique"], ids["patch"], ids["deleted"]
    other_c = ids["other_critique"]
    missing, fresh = new_id(), new_id()
    return [
        ("critique at top level", _op("create", fresh, type="critique", parent=None),
         409, "bad_parent_type"),
        ("patch under proposal", _op("create", fresh, type="patch", parent=p),
         409, "bad_parent_type"),
        ("proposal under critique", _op("move", p, parent=other_c), 409, "bad_parent_type"),
        ("retype with a patch child", _op("move", c, parent=other_c, type="patch"),
         409, "bad_parent_type"),
        ("under its own patch", _op("move", c, parent=patch), 409, "cycle"),
        ("under itself", _op("move", c, parent=c), 409, "cycle"),
        ("set unknown node", _op("set", missing, field="text", value="x"), 404, "not_found"),
        ("create under unknown parent", _op("create", fresh, type="critique", parent=missing),
         404, "not_found"),
        ("delete unknown node", _op("delete", missing), 404, "not_found"),
        ("create an existing id", _op("create", p, type="proposal", parent=None),
         409, "conflict"),
        ("set deleted node", _op("set", gone, field="text", value="x"), 409, "deleted"),
        ("create under deleted node", _op("create", fresh, type="critique", parent=gone),
         409, "deleted"),
        ("move under deleted node", _op("move", c, parent=gone), 409, "deleted"),
        ("delete a deleted node", _op("delete", gone), 409, "deleted"),
        ("restore a live node", _op("restore", p), 400, "invalid"),
        ("an undo of a move someone else changed since",
         _op("move", c, parent=p, if_seq={"position": 1}), 409, "stale"),
        ("an undo guard on an unknown field", _op("delete", p, if_seq={"author": 1}),
         400, "invalid"),
        ("text of 2,001 chars", _op("set", p, field="text", value="x" * 2001),
         413, "too_large"),
        ("create with 2,001 chars", _op("create", fresh, type="proposal", parent=None,
         text="y" * 2001), 413, "too_large"),
        ("21 tags", _op("set", p, field="tags", value=[f"t{i}" for i in range(21)]),
         413, "too_large"),
        ("unknown kind", _op("explode", p), 400, "invalid"),
        ("no kind", {"id": p}, 400, "invalid"),
        ("missing field", _op("set", p, field="text"), 400, "invalid"),
        ("missing parent", _op("create", fresh, type="proposal"), 400, "invalid"),
        ("extra field", _op("delete", p, why="x"), 400, "invalid"),
        ("not a uuid", _op("delete", "node-1"), 400, "invalid"),
        ("type of another kind", _op("create", fresh, type="problem", parent=None),
         400, "invalid"),
        ("bad field", _op("set", p, field="author", value=1), 400, "invalid"),
        ("mistyped value", _op("set", p, field="text", value=5), 400, "invalid"),
        ("malformed key", _op("move", p, parent=None, key="!!"), 400, "invalid"),
        ("link in a game tree", _op("link", c, parent=p), 400, "invalid"),
        ("op is not an object", "create", 400, "invalid"),
    ]  # fmt: skip


def test_each_rejected_op_is_a_json_error_with_its_code_and_changes_nothing(
    tree: Any, as_alice: APIClient
) -> None:
    p = create(as_alice, tree.pk, "proposal")
    c = create(as_alice, tree.pk, "critique", p)
    patch = create(as_alice, tree.pk, "patch", c)
    other = create(as_alice, tree.pk, "proposal")
    other_critique = create(as_alice, tree.pk, "critique", other)
    gone = create(as_alice, tree.pk, "proposal")
    accepted(as_alice, tree.pk, {"kind": "delete", "id": gone})
    ids = {
        "proposal": p,
        "critique": c,
        "patch": patch,
        "other_critique": other_critique,
        "deleted": gone,
    }

    before = snapshot(as_alice, tree.pk)
    log_before = OpLog.objects.filter(tree=tree).count()
    failures = []
    for name, op, status, code in _rejection_cases(ids):
        response = submit(as_alice, tree.pk, op)
        body = response.json()
        if (response.status_code, body.get("code")) != (status, code) or not body.get("message"):
            failures.append((name, response.status_code, body))
        if snapshot(as_alice, tree.pk) != before:
            failures.append((name, "changed the tree", None))
    assert failures == []
    assert OpLog.objects.filter(tree=tree).count() == log_before
    tree.refresh_from_db()
    assert tree.version == before["seq"]


def test_a_rejected_op_does_not_use_up_its_n(tree: Any, as_alice: APIClient) -> None:
    bad = {"kind": "create", "id": new_id(), "type": "critique", "parent": None}
    assert_error(submit(as_alice, tree.pk, bad, n=7, cid="c"), 409, "bad_parent_type")
    good = {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}
    assert accepted(as_alice, tree.pk, good, n=7, cid="c")["dup"] is False


@pytest.mark.parametrize(
    "body",
    [
        {"n": 1, "op": {"kind": "delete", "id": "00000000-0000-0000-0000-000000000000"}},
        {"client_id": "", "n": 1, "op": {}},
        {"client_id": "c" * 65, "n": 1, "op": {}},
        {"client_id": "c", "n": -1, "op": {}},
        {"client_id": "c", "n": "one", "op": {}},
        {"client_id": "c", "n": 1},
        {"client_id": "c", "n": 1, "op": None},
    ],
)
def test_an_op_submission_without_a_valid_envelope_is_400_invalid(
    tree: Any, as_alice: APIClient, body: dict[str, Any]
) -> None:
    response = as_alice.post(tree_url(tree.pk, "ops/"), body, format="json")
    assert_error(response, 400, "invalid")
    assert not OpLog.objects.filter(tree=tree).exists()


def test_a_malformed_json_body_is_400_bad_json(tree: Any, as_alice: APIClient) -> None:
    response = as_alice.post(
        tree_url(tree.pk, "ops/"),
        '{"client_id": "c", "n": 1, "op": {',
        content_type="application/json",
    )
    assert_error(response, 400, "bad_json")
    assert not OpLog.objects.filter(tree=tree).exists()


def test_a_problem_tree_takes_problems_and_links(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, kind="problem")
    a = create(as_alice, tree.pk, "problem", text="A")
    b = create(as_alice, tree.pk, "problem", text="B")
    child = create(as_alice, tree.pk, "problem", a, text="shared")
    accepted(as_alice, tree.pk, {"kind": "link", "id": child, "parent": b})
    snap = snapshot(as_alice, tree.pk)
    assert snap["kind"] == "problem"
    assert _node(snap, child)["parents"] == [b]
    assert_error(
        submit(as_alice, tree.pk, {"kind": "link", "id": a, "parent": child}), 409, "cycle"
    )
    accepted(as_alice, tree.pk, {"kind": "unlink", "id": child, "parent": b})
    assert _node(snapshot(as_alice, tree.pk), child)["parents"] == []
