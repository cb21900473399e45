"""Round trips through the database: a JSON backup of a tree with a DAG, tombstones, tags and
notes imports as the same tree, with an operation log that replays to its snapshot."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.transfer.transfer_helpers import (
    apply,
    backup_nodes,
    build_problem_dag,
    kept,
    live_snapshot,
    replayed_snapshot,
)
from trees.domain.errors import ActionError
from trees.models import Node, OpLog, Tree
from trees.transfer import export_bytes, import_bytes


@pytest.fixture
def original(make_tree: Any, alice: Any) -> tuple[Tree, dict[str, str]]:
    tree = make_tree(alice, kind="problem", title="Problems")
    return tree, build_problem_dag(tree, alice)


def _reimport(tree: Tree, owner: Any) -> tuple[bytes, Tree]:
    data = export_bytes(tree, "json")
    Tree.objects.filter(pk=tree.pk).delete()  # the ids are global: make room for the copy
    copy = import_bytes(owner_id=owner.pk, data=data, fmt="json", kind="problem", title=None)
    return data, copy


def test_a_json_backup_imports_as_the_same_nodes_and_exports_identically(
    original: tuple[Tree, dict[str, str]], alice: Any
) -> None:
    tree, ids = original
    before, copy = _reimport(tree, alice)
    after = export_bytes(copy, "json")
    assert kept(backup_nodes(after)) == kept(backup_nodes(before))
    assert [n["id"] for n in backup_nodes(after)] == [n["id"] for n in backup_nodes(before)]
    assert json.loads(after)["tree"] == json.loads(before)["tree"]
    assert copy.title == "Problems"
    nodes = {str(n.id): n for n in Node.objects.filter(tree=copy)}
    assert len(nodes) == len(ids)
    assert nodes[ids["hack"]].parents == [ids["inner"]]
    assert nodes[ids["hack"]].tags == ["rl", "x"]
    assert nodes[ids["outer"]].note == "Spec."
    assert {i for i, n in nodes.items() if n.deleted} == {
        ids[k] for k in ("gone", "gone_kid", "older", "older_kid", "older_kid2")
    }


def test_the_imported_tree_has_an_operation_log_that_replays_to_its_snapshot(
    original: tuple[Tree, dict[str, str]], alice: Any
) -> None:
    tree, _ = original
    _, copy = _reimport(tree, alice)
    copy.refresh_from_db()
    log = OpLog.objects.filter(tree=copy)
    assert log.count() == copy.version
    assert set(log.values_list("client_id", flat=True)) == {"import"}
    assert {op["kind"] for op in log.values_list("op", flat=True)} == {"create", "link", "delete"}
    assert replayed_snapshot(copy) == live_snapshot(copy)


def test_restoring_a_reimported_subtree_delete_brings_back_exactly_that_subtree(
    original: tuple[Tree, dict[str, str]], alice: Any
) -> None:
    tree, ids = original
    _, copy = _reimport(tree, alice)
    apply(copy, alice, {"kind": "restore", "id": ids["gone"]})
    live = {n["id"] for n in live_snapshot(copy) if not n["deleted"]}
    assert {ids["gone"], ids["gone_kid"]} <= live
    assert not live & {ids["older"], ids["older_kid"], ids["older_kid2"]}


def test_restoring_a_reimported_parent_leaves_its_child_deleted_earlier_deleted(
    original: tuple[Tree, dict[str, str]], alice: Any
) -> None:
    tree, ids = original
    # In the original tree restoring the parent brings back only the group of its delete.
    apply(tree, alice, {"kind": "restore", "id": ids["older"]})
    expected = {n["id"]: n["deleted"] for n in live_snapshot(tree)}
    apply(tree, alice, {"kind": "delete", "id": ids["older"]})
    _, copy = _reimport(tree, alice)
    apply(copy, alice, {"kind": "restore", "id": ids["older"]})
    assert {n["id"]: n["deleted"] for n in live_snapshot(copy)} == expected
    assert expected[ids["older_kid"]] is True and expected[ids["older_kid2"]] is False


def test_importing_a_backup_whose_ids_are_taken_gives_a_copy_with_fresh_ids(
    original: tuple[Tree, dict[str, str]], alice: Any
) -> None:
    tree, ids = original
    data = export_bytes(tree, "json")
    copy = import_bytes(owner_id=alice.pk, data=data, fmt="json", kind="problem", title="Copy")
    fresh = backup_nodes(export_bytes(copy, "json"))
    assert not {n["id"] for n in fresh} & set(ids.values())
    # Same tree up to the renaming of ids: texts, keys, tags, tombstones, DAG edges.
    rename = dict(zip([n["id"] for n in backup_nodes(data)], [n["id"] for n in fresh], strict=True))
    renamed = []
    for node in backup_nodes(data):
        node = dict(node, id=rename[node["id"]], parent=rename.get(node["parent"]))
        renamed.append(dict(node, parents=[rename[p] for p in node["parents"]]))
    assert kept(fresh) == kept(renamed)
    assert replayed_snapshot(copy) == live_snapshot(copy)
    # The original is untouched.
    assert {str(i) for i in Node.objects.filter(tree=tree).values_list("id", flat=True)} == set(
        ids.values()
    )


def test_json_import_keeps_the_provenance_meta_of_each_node(alice: Any) -> None:
    node = {
        "id": "6f1c2b8e-3d4a-4f5b-9c6d-7e8f9a0b1c2d",
        "type": "problem",
        "parent": None,
        "key": "a0",
        "text": "Alignment",
        "meta": {"source": "workshop-2024", "line": 3},
    }
    payload = {
        "format": "gametree",
        "version": 1,
        "tree": {"kind": "problem", "title": "With provenance", "description": ""},
        "nodes": [node],
    }
    tree = import_bytes(
        owner_id=alice.pk, data=json.dumps(payload), fmt="json", kind="problem", title=None
    )
    row = Node.objects.get(tree=tree)
    assert row.meta == {"source": "workshop-2024", "line": 3}
    assert backup_nodes(export_bytes(tree, "json"))[0]["meta"] == node["meta"]
    assert replayed_snapshot(tree) == live_snapshot(tree)


def test_json_import_refuses_a_backup_of_the_other_tree_kind(alice: Any) -> None:
    payload = {"format": "gametree", "version": 1, "tree": {"kind": "game"}, "nodes": []}
    with pytest.raises(ActionError) as info:
        import_bytes(
            owner_id=alice.pk, data=json.dumps(payload), fmt="json", kind="problem", title="x"
        )
    assert info.value.code == "kind_mismatch"
