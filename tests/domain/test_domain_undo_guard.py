"""Domain layer tests: `if_seq`, the precondition that keeps an undo to the undoer's own change.

An undo is sent as the inverse op with `if_seq: {group: seq of the op it undoes}`; the server
applies it only while nobody has written that group of the node since (docs/protocol.md,
"Undo"). No database: the rule is pure.
"""

from __future__ import annotations

from typing import Any

import pytest
from domain_helpers import game_tree, uid


def test_an_undo_of_my_move_applies_while_nobody_moved_the_node_since() -> None:
    tree = game_tree()
    mine = tree.apply({"kind": "move", "id": uid(2), "parent": uid(5)})
    seq = tree.state.version
    assert mine.op["parent"] == uid(5)
    tree.apply({"kind": "move", "id": uid(2), "parent": uid(1), "if_seq": {"position": seq}})
    assert tree.state.nodes[uid(2)].parent == uid(1)


def test_an_undo_of_my_move_is_stale_once_someone_else_moved_the_node_later() -> None:
    tree = game_tree()
    tree.apply({"kind": "move", "id": uid(2), "parent": uid(5)}, actor=1)
    mine = tree.state.version
    tree.apply({"kind": "move", "id": uid(2), "parent": uid(1), "key": "Zz"}, actor=2)
    code = tree.reject(
        {"kind": "move", "id": uid(2), "parent": uid(1), "if_seq": {"position": mine}}
    )
    assert code == "stale"
    assert tree.state.nodes[uid(2)].key == "Zz"  # their move stands


def test_a_type_change_counts_as_a_change_of_position() -> None:
    tree = game_tree()
    tree.apply({"kind": "create", "id": uid(9), "type": "proposal", "parent": None})
    mine = tree.state.version
    tree.apply({"kind": "move", "id": uid(9), "parent": uid(1), "type": "critique"}, actor=2)
    assert tree.reject({"kind": "delete", "id": uid(9), "if_seq": {"position": mine}}) == "stale"
    assert not tree.state.nodes[uid(9)].deleted


def test_an_undo_of_my_delete_is_stale_after_someone_restored_and_deleted_it_again() -> None:
    tree = game_tree()
    tree.apply({"kind": "delete", "id": uid(2)})
    mine = tree.state.version
    tree.apply({"kind": "restore", "id": uid(2)}, actor=2)
    tree.apply({"kind": "delete", "id": uid(3)}, actor=2)
    # The delete of uid(3) is theirs: restoring uid(2) with my delete's seq must not bring it back.
    tree.apply({"kind": "delete", "id": uid(2)}, actor=2)
    assert tree.reject({"kind": "restore", "id": uid(2), "if_seq": {"deleted": mine}}) == "stale"


def test_an_undo_of_my_delete_restores_the_subtree_with_the_texts_it_has_now() -> None:
    tree = game_tree()
    tree.apply({"kind": "set", "id": uid(3), "field": "text", "value": "patched"}, actor=2)
    tree.apply({"kind": "delete", "id": uid(2)})
    mine = tree.state.version
    tree.apply({"kind": "restore", "id": uid(2), "if_seq": {"deleted": mine}})
    assert not tree.state.nodes[uid(3)].deleted
    assert tree.state.nodes[uid(3)].text == "patched"


def test_an_undo_of_my_tag_edit_is_stale_after_someone_else_set_the_tags() -> None:
    tree = game_tree()
    tree.apply({"kind": "set", "id": uid(1), "field": "tags", "value": ["a"]})
    mine = tree.state.version
    tree.apply({"kind": "set", "id": uid(1), "field": "tags", "value": ["b"]}, actor=2)
    op = {"kind": "set", "id": uid(1), "field": "tags", "value": [], "if_seq": {"tags": mine}}
    assert tree.reject(op) == "stale"
    assert tree.state.nodes[uid(1)].tags == ["b"]


def test_a_guarded_op_is_logged_with_its_guard_and_replays_the_same() -> None:
    tree = game_tree()
    tree.apply({"kind": "move", "id": uid(2), "parent": uid(5)})
    applied = tree.apply(
        {"kind": "move", "id": uid(2), "parent": uid(1), "if_seq": {"position": tree.state.version}}
    )
    assert applied.op["if_seq"] == {"position": tree.state.version - 1}
    from trees.domain import TreeState

    replay = TreeState("game")
    for seq, op, actor in tree.log:
        replay.apply(op, seq=seq, actor=actor, logged=True)
    assert replay.snapshot() == tree.state.snapshot()


@pytest.mark.parametrize(
    "guard",
    [{}, [], {"author": 3}, {"position": -1}, {"position": "3"}, {"position": True}, 7],
)
def test_a_malformed_guard_is_invalid(guard: Any) -> None:
    tree = game_tree()
    assert tree.reject({"kind": "delete", "id": uid(5), "if_seq": guard}) == "invalid"


def test_create_and_text_take_no_guard() -> None:
    tree = game_tree()
    op = {"kind": "create", "id": uid(9), "type": "proposal", "parent": None, "if_seq": {}}
    assert tree.reject(op) == "invalid"


def test_a_guard_on_an_unknown_node_is_not_found() -> None:
    tree = game_tree()
    assert tree.reject({"kind": "delete", "id": uid(99), "if_seq": {"deleted": 0}}) == "not_found"
