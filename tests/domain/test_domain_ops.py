"""Domain layer tests: each operation, and each rejection code, on small hand-built trees."""

from __future__ import annotations

from typing import Any

import pytest
from domain_helpers import Tree, game_tree, problem_tree, uid

from trees.domain import Node, limits


def test_create_fills_in_a_key_after_the_last_sibling_and_sets_the_author() -> None:
    tree = game_tree()
    applied = tree.create(10, "critique", 1)
    node = tree.state.nodes[uid(10)]
    assert applied.op["key"] == node.key
    assert node.key > tree.state.nodes[uid(2)].key
    assert node.author == 1
    assert node.field_seq["position"] == tree.state.version
    assert applied.changed == [uid(10)]


def test_create_keeps_a_free_key_and_writes_only_the_fields_it_was_given() -> None:
    tree = game_tree()
    tree.create(10, "critique", 1, key="Zz", text=" spaced ", tags=[" a ", "b"])
    node = tree.state.nodes[uid(10)]
    assert node.key == "Zz"
    assert node.text == " spaced "
    assert node.tags == ["a", "b"]
    assert node.field_seq["text"] == node.field_seq["tags"] == tree.state.version
    assert node.field_seq["note"] == 0
    assert [n.id for n in tree.state.children(uid(1))] == [uid(10), uid(2)]


def test_create_rewrites_a_key_a_sibling_already_holds_to_just_after_it() -> None:
    tree = game_tree()
    tree.create(10, "critique", 1, key="a1")  # C2 holds a0
    applied = tree.create(11, "critique", 1, key="a0")
    assert applied.op["key"] == "a0V"  # between a0 and the next sibling key a1
    assert [n.id for n in tree.state.children(uid(1))] == [uid(2), uid(11), uid(10)]


def test_a_deleted_siblings_key_is_still_taken() -> None:
    tree = game_tree()
    tree.apply({"kind": "delete", "id": uid(2)})
    applied = tree.create(10, "critique", 1, key="a0")
    assert applied.op["key"] != "a0"


def test_ids_are_normalised_to_lowercase() -> None:
    tree = Tree()
    upper = "7B0C5B1E-0C1F-4C39-9D0E-4A3C2B1A0F00"
    applied = tree.apply({"kind": "create", "id": upper, "type": "proposal", "parent": None})
    assert applied.op["id"] == upper.lower()
    assert upper.lower() in tree.state.nodes


def test_set_writes_one_field_and_reports_what_it_overwrote() -> None:
    tree = game_tree()
    first = tree.apply({"kind": "set", "id": uid(2), "field": "text", "value": "one"})
    assert first.overwrote == 0
    second = tree.apply({"kind": "set", "id": uid(2), "field": "text", "value": "two"})
    assert second.overwrote == tree.state.version - 1
    tags = tree.apply({"kind": "set", "id": uid(2), "field": "tags", "value": [" x ", "y"]})
    assert tags.op["value"] == ["x", "y"]
    assert tags.overwrote == 0
    assert tree.state.nodes[uid(2)].text == "two"
    assert tree.state.nodes[uid(2)].tags == ["x", "y"]


def test_tags_are_written_in_their_one_spelling() -> None:
    tree = game_tree()
    value = ["#Goodhart", "Scalable  oversight", "scalable_oversight", " -AI/ML- ", "goodhart"]
    applied = tree.apply({"kind": "set", "id": uid(2), "field": "tags", "value": value})
    assert applied.op["value"] == ["goodhart", "scalable-oversight", "ai/ml"]
    assert tree.state.nodes[uid(2)].tags == ["goodhart", "scalable-oversight", "ai/ml"]
    tree.create(10, "critique", 1, tags=["Reward Hacking", "reward-hacking"])
    assert tree.state.nodes[uid(10)].tags == ["reward-hacking"]
    tree.state.check_invariants()


def test_a_tag_list_stored_before_normalising_replays_to_the_same_tags() -> None:
    from trees.domain import replay

    create = {"kind": "create", "id": uid(1), "type": "proposal", "parent": None}
    old = {"kind": "set", "id": uid(1), "field": "tags", "value": ["Goodhart", "goodhart"]}
    state = replay("game", [(1, create, 1), (2, old, 1)])
    assert state.nodes[uid(1)].tags == ["goodhart"]


def test_meta_is_set_at_creation_or_by_set_and_survives_a_snapshot() -> None:
    tree = game_tree()
    tree.create(10, "critique", 1, meta={"sources": [{"tree": 7}]})
    node = tree.state.nodes[uid(10)]
    assert node.meta == {"sources": [{"tree": 7}]}
    applied = tree.apply(_set(10, "meta", {"sources": []}))
    assert applied.overwrote == 0
    assert node.meta == {"sources": []}
    again = Node.from_dict(node.to_dict())
    assert again.field_seq == node.field_seq
    assert again.to_dict() == node.to_dict()


def test_move_reparents_and_keeps_a_free_key() -> None:
    tree = game_tree()
    applied = tree.apply({"kind": "move", "id": uid(4), "parent": uid(5)})
    node = tree.state.nodes[uid(4)]
    assert (node.parent, node.key) == (uid(5), "a0")
    assert applied.op["key"] == "a0"
    assert tree.state.children(uid(3)) == []


def test_move_without_key_goes_last_when_its_key_is_taken() -> None:
    tree = game_tree()
    tree.create(10, "critique", 5, key="a0")
    tree.create(11, "critique", 5)
    applied = tree.apply({"kind": "move", "id": uid(2), "parent": uid(5)})  # C2 has key a0
    assert [n.id for n in tree.state.children(uid(5))] == [uid(10), uid(11), uid(2)]
    assert applied.op["key"] > tree.state.nodes[uid(11)].key


def test_move_reorders_within_the_same_parent() -> None:
    tree = game_tree()
    tree.create(10, "critique", 1)
    tree.apply({"kind": "move", "id": uid(2), "parent": uid(1), "key": "a2"})
    assert [n.id for n in tree.state.children(uid(1))] == [uid(10), uid(2)]
    # Its own key is not a collision.
    applied = tree.apply({"kind": "move", "id": uid(2), "parent": uid(1), "key": "a2"})
    assert applied.op["key"] == "a2"


def test_move_with_type_indents_a_proposal_into_a_patch() -> None:
    tree = game_tree()
    tree.apply({"kind": "move", "id": uid(5), "parent": uid(4), "type": "patch"})
    node = tree.state.nodes[uid(5)]
    assert (node.parent, node.type) == (uid(4), "patch")
    tree.state.check_invariants()


def test_delete_tombstones_the_subtree_and_restore_brings_back_exactly_it() -> None:
    tree = game_tree()
    tree.apply({"kind": "delete", "id": uid(4)})
    earlier = tree.state.version
    applied = tree.apply({"kind": "delete", "id": uid(2)})
    assert applied.changed == [uid(2), uid(3)]  # C4 was already gone
    assert tree.state.nodes[uid(3)].deleted_seq == tree.state.version
    assert tree.state.nodes[uid(4)].deleted_seq == earlier
    restored = tree.apply({"kind": "restore", "id": uid(2)})
    assert restored.changed == [uid(2), uid(3)]
    assert tree.state.nodes[uid(4)].deleted
    assert not tree.state.nodes[uid(3)].deleted
    assert tree.state.nodes[uid(3)].field_seq["deleted"] == tree.state.version
    tree.apply({"kind": "restore", "id": uid(4)})
    assert not any(n.deleted for n in tree.state.nodes.values())


def test_link_and_unlink_edit_the_extra_parents_of_a_problem() -> None:
    tree = problem_tree()
    tree.apply({"kind": "link", "id": uid(3), "parent": uid(4)})
    assert tree.state.nodes[uid(3)].parents == [uid(4)]
    tree.apply({"kind": "unlink", "id": uid(3), "parent": uid(4)})
    assert tree.state.nodes[uid(3)].parents == []


def test_moving_under_an_extra_parent_promotes_that_link() -> None:
    tree = problem_tree()
    tree.apply({"kind": "link", "id": uid(3), "parent": uid(4)})
    tree.apply({"kind": "move", "id": uid(3), "parent": uid(4)})
    node = tree.state.nodes[uid(3)]
    assert (node.parent, node.parents) == (uid(4), [])
    tree.state.check_invariants()


def _create(n: int, type: str, parent: int | None, **extra: Any) -> dict[str, Any]:
    parent_id = None if parent is None else uid(parent)
    return {"kind": "create", "id": uid(n), "type": type, "parent": parent_id, **extra}


def _set(n: int, field: str, value: Any) -> dict[str, Any]:
    return {"kind": "set", "id": uid(n), "field": field, "value": value}


def _move(n: int, parent: int | None, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "move",
        "id": uid(n),
        "parent": None if parent is None else uid(parent),
        **extra,
    }


GAME_REJECTIONS: list[tuple[str, Any, str]] = [
    ("non-dict op", ["create"], "invalid"),
    ("unknown kind", {"kind": "explode", "id": uid(1)}, "invalid"),
    ("missing kind", {"id": uid(1)}, "invalid"),
    ("missing field", {"kind": "create", "id": uid(10), "type": "proposal"}, "invalid"),
    ("extra field", {"kind": "delete", "id": uid(1), "force": True}, "invalid"),
    ("non-UUID id", {"kind": "delete", "id": "P1"}, "invalid"),
    ("braced UUID", {"kind": "delete", "id": "{" + uid(1) + "}"}, "invalid"),
    ("numeric id", {"kind": "delete", "id": 1}, "invalid"),
    ("non-UUID parent", _create(10, "critique", None) | {"parent": "P1"}, "invalid"),
    ("unknown type", _create(10, "question", None), "invalid"),
    ("problem in a game tree", _create(10, "problem", None), "invalid"),
    ("malformed key", _create(10, "proposal", None, key="a00"), "invalid"),
    ("key of wrong type", _create(10, "proposal", None, key=5), "invalid"),
    ("text not a string", _create(10, "proposal", None, text=5), "invalid"),
    ("text with NUL", _set(1, "text", "a\x00b"), "invalid"),
    ("lone surrogate", _set(1, "note", "\ud800"), "invalid"),
    ("unknown field", _set(1, "author", 3), "invalid"),
    ("unhashable field", _set(1, ["text"], "x"), "invalid"),
    ("meta not an object", _create(10, "proposal", None, meta=[1]), "invalid"),
    ("meta with NUL", _set(1, "meta", {"a": "\x00"}), "invalid"),
    ("meta not plain JSON", _set(1, "meta", {"a": float("nan")}), "invalid"),
    ("meta too large", _set(1, "meta", {"a": "x" * limits.MAX_META_BYTES}), "too_large"),
    ("tags not a list", _set(1, "tags", "deception"), "invalid"),
    ("tag not a string", _set(1, "tags", [1]), "invalid"),
    ("empty tag", _set(1, "tags", ["  "]), "invalid"),
    ("a tag that is only a hash", _set(1, "tags", ["#", "a"]), "invalid"),
    ("link in a game tree", {"kind": "link", "id": uid(2), "parent": uid(5)}, "invalid"),
    ("restore of a live node", {"kind": "restore", "id": uid(1)}, "invalid"),
    ("text too long", _set(1, "text", "x" * (limits.MAX_TEXT + 1)), "too_large"),
    ("note too long", _set(1, "note", "x" * (limits.MAX_NOTE + 1)), "too_large"),
    ("too many tags", _set(1, "tags", [str(i) for i in range(21)]), "too_large"),
    ("tag too long", _set(1, "tags", ["x" * (limits.MAX_TAG_LEN + 1)]), "too_large"),
    ("set of unknown node", _set(99, "text", "x"), "not_found"),
    ("create under unknown parent", _create(10, "critique", 99), "not_found"),
    ("move of unknown node", _move(99, None), "not_found"),
    ("move under unknown parent", _move(2, 99), "not_found"),
    ("delete of unknown node", {"kind": "delete", "id": uid(99)}, "not_found"),
    ("restore of unknown node", {"kind": "restore", "id": uid(99)}, "not_found"),
    ("create of an existing id", _create(1, "proposal", None), "conflict"),
    ("critique at top level", _create(10, "critique", None), "bad_parent_type"),
    ("patch under a proposal", _create(10, "patch", 1), "bad_parent_type"),
    ("proposal under a critique", _create(10, "proposal", 2), "bad_parent_type"),
    ("move of a critique to top level", _move(2, None), "bad_parent_type"),
    ("type change that strands children", _move(2, 1, type="patch"), "bad_parent_type"),
    ("type change that does not fit", _move(5, None, type="critique"), "bad_parent_type"),
    ("move under itself", _move(2, 2), "cycle"),
    ("move under a descendant", _move(2, 3), "cycle"),
]


@pytest.mark.parametrize(
    ("op", "code"), [r[1:] for r in GAME_REJECTIONS], ids=[r[0] for r in GAME_REJECTIONS]
)
def test_game_tree_rejections_carry_their_code_and_change_nothing(op: Any, code: str) -> None:
    assert game_tree().reject(op) == code


def test_edits_of_a_deleted_node_or_under_a_deleted_parent_are_rejected_as_deleted() -> None:
    tree = game_tree()
    tree.apply({"kind": "delete", "id": uid(2)})
    rejected = [
        _set(3, "text", "x"),
        _move(3, 1),
        _move(5, None) | {"id": uid(2)},
        {"kind": "delete", "id": uid(2)},
        {"kind": "delete", "id": uid(3)},
        _create(10, "patch", 2),
        _move(4, 2) | {"type": "patch"},
        {"kind": "restore", "id": uid(3)},  # its parent is still deleted
    ]
    for op in rejected:
        assert tree.reject(op) == "deleted", op


PROBLEM_REJECTIONS: list[tuple[str, dict[str, Any], str]] = [
    ("proposal in a problem tree", _create(10, "proposal", None), "invalid"),
    ("link to the primary parent", {"kind": "link", "id": uid(2), "parent": uid(1)}, "conflict"),
    ("link to itself", {"kind": "link", "id": uid(2), "parent": uid(2)}, "cycle"),
    ("link under a descendant", {"kind": "link", "id": uid(1), "parent": uid(3)}, "cycle"),
    ("link to unknown parent", {"kind": "link", "id": uid(2), "parent": uid(99)}, "not_found"),
    ("link of unknown node", {"kind": "link", "id": uid(99), "parent": uid(1)}, "not_found"),
    ("unlink of a non-link", {"kind": "unlink", "id": uid(2), "parent": uid(4)}, "not_found"),
    ("unlink of the primary", {"kind": "unlink", "id": uid(2), "parent": uid(1)}, "not_found"),
    ("link with null parent", {"kind": "link", "id": uid(2), "parent": None}, "invalid"),
]


@pytest.mark.parametrize(
    ("op", "code"), [r[1:] for r in PROBLEM_REJECTIONS], ids=[r[0] for r in PROBLEM_REJECTIONS]
)
def test_problem_tree_rejections_carry_their_code_and_change_nothing(op: Any, code: str) -> None:
    assert problem_tree().reject(op) == code


def test_a_duplicate_link_is_a_conflict() -> None:
    tree = problem_tree()
    tree.apply({"kind": "link", "id": uid(3), "parent": uid(4)})
    assert tree.reject({"kind": "link", "id": uid(3), "parent": uid(4)}) == "conflict"


def test_cycles_are_found_through_extra_parents() -> None:
    tree = problem_tree()
    tree.apply({"kind": "link", "id": uid(4), "parent": uid(3)})  # R4 under R3 under R2 under R1
    assert tree.reject(_move(1, 4)) == "cycle"
    assert tree.reject({"kind": "link", "id": uid(1), "parent": uid(4)}) == "cycle"


def test_links_to_or_from_deleted_nodes_are_rejected() -> None:
    tree = problem_tree()
    tree.apply({"kind": "delete", "id": uid(4)})
    assert tree.reject({"kind": "link", "id": uid(2), "parent": uid(4)}) == "deleted"
    assert tree.reject({"kind": "link", "id": uid(4), "parent": uid(2)}) == "deleted"


def test_a_full_tree_rejects_another_node_as_too_large(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("trees.domain.ops.MAX_NODES", 5)
    assert game_tree().reject(_create(10, "proposal", None)) == "too_large"


def test_a_key_that_cannot_grow_any_longer_is_rejected_as_too_large() -> None:
    tree = game_tree()
    low = "a0" + "1" * 126  # keys are at most 128 characters
    tree.create(10, "critique", 1, key=low)
    tree.create(11, "critique", 1, key=low[:-1] + "2")
    # The only key between the two is 129 characters long.
    assert tree.reject(_create(12, "critique", 1, key=low)) == "too_large"


def test_seq_must_follow_the_version() -> None:
    tree = game_tree()
    with pytest.raises(ValueError):
        tree.state.apply({"kind": "delete", "id": uid(1)}, seq=tree.state.version + 2, actor=1)
