"""Domain layer tests: node shape, snapshots, copies, invariant checks and apply's cost."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from domain_helpers import Tree, game_tree, problem_tree, uid

from trees.domain import InvariantError, Node, TreeState, keys_after, replay
from trees.domain.state import Siblings

NODE_FIELDS = {
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


def test_to_dict_has_exactly_the_protocol_node_shape_plus_deleted_seq() -> None:
    tree = game_tree()
    d = tree.state.nodes[uid(2)].to_dict()
    assert set(d) == NODE_FIELDS | {"deleted_seq"}
    assert set(d["field_seq"]) == {"text", "note", "tags", "position", "deleted"}


def test_from_dict_round_trips_and_shares_nothing() -> None:
    node = Node(id=uid(1), type="problem", parent=None, key="a0", tags=["x"], meta={"a": [1]})
    d = node.to_dict()
    d["tags"].append("y")
    d["meta"]["a"].append(2)
    assert node.tags == ["x"] and node.meta == {"a": [1]}
    assert Node.from_dict(node.to_dict()).to_dict() == node.to_dict()


def test_a_state_rebuilt_from_its_snapshot_is_identical() -> None:
    tree = problem_tree()
    tree.apply({"kind": "link", "id": uid(3), "parent": uid(4)})
    tree.apply({"kind": "delete", "id": uid(2)})
    nodes = [Node.from_dict(d) for d in tree.state.snapshot()]
    rebuilt = TreeState("problem", nodes, tree.state.version)
    rebuilt.check_invariants()
    assert rebuilt.snapshot() == tree.state.snapshot()


def test_replay_of_the_log_gives_the_same_snapshot() -> None:
    tree = game_tree()
    tree.create(10, "critique", 1, key="a0")
    tree.apply({"kind": "move", "id": uid(3), "parent": uid(10)})
    tree.apply({"kind": "delete", "id": uid(1)})
    tree.apply({"kind": "restore", "id": uid(1)})
    assert replay("game", tree.log).snapshot() == tree.state.snapshot()


def test_children_are_ordered_by_key_then_id_and_include_deleted_ones() -> None:
    tree = game_tree()
    tree.create(10, "critique", 1, key="Zz")
    tree.apply({"kind": "delete", "id": uid(10)})
    assert [n.id for n in tree.state.children(uid(1))] == [uid(10), uid(2)]
    assert [n.id for n in tree.state.children(None)] == [uid(1), uid(5)]
    assert tree.state.children(uid(99)) == []


def test_snapshot_puts_every_parent_before_its_children_including_extra_parents() -> None:
    tree = problem_tree()
    tree.apply({"kind": "link", "id": uid(1), "parent": uid(4)})  # R4 sorts after R1's subtree
    order = [d["id"] for d in tree.state.snapshot()]
    assert order.index(uid(4)) < order.index(uid(1)) < order.index(uid(2)) < order.index(uid(3))
    assert sorted(order) == sorted(tree.state.nodes)


def test_copy_is_independent() -> None:
    tree = game_tree()
    before = tree.state.snapshot()
    copy = tree.state.copy()
    copy.apply({"kind": "set", "id": uid(1), "field": "tags", "value": ["x"]}, seq=6, actor=2)
    copy.apply({"kind": "delete", "id": uid(1)}, seq=7, actor=2)
    assert tree.state.snapshot() == before
    assert tree.state.version == 5
    tree.state.check_invariants()
    copy.check_invariants()


def test_a_state_refuses_duplicate_ids_and_unknown_kinds() -> None:
    node = Node(id=uid(1), type="proposal", parent=None, key="a0")
    with pytest.raises(ValueError):
        TreeState("game", [node, node])
    with pytest.raises(ValueError):
        TreeState("forest")


def _corrupt(edit: Callable[[TreeState], None]) -> TreeState:
    tree = game_tree()
    tree.apply({"kind": "delete", "id": uid(4)})
    edit(tree.state)
    return tree.state


def _set_version(state: TreeState, version: int) -> None:
    state.version = version


CORRUPTIONS: dict[str, Callable[[TreeState], None]] = {
    "missing parent": lambda s: setattr(s.nodes[uid(2)], "parent", uid(99)),
    "bad grammar": lambda s: setattr(s.nodes[uid(2)], "type", "patch"),
    "unknown type": lambda s: setattr(s.nodes[uid(5)], "type", "problem"),
    "live under deleted": lambda s: setattr(s.nodes[uid(3)], "deleted", True),
    "deleted without seq": lambda s: setattr(s.nodes[uid(4)], "deleted_seq", 0),
    "extra parent in a game tree": lambda s: s.nodes[uid(3)].parents.append(uid(1)),
    "invalid key": lambda s: setattr(s.nodes[uid(5)], "key", "a00"),
    "text too long": lambda s: setattr(s.nodes[uid(5)], "text", "x" * 2001),
    "duplicate tags": lambda s: s.nodes[uid(5)].tags.extend(["a", "a"]),
    "a tag not in its one spelling": lambda s: s.nodes[uid(5)].tags.append("#Goodhart"),
    "field_seq from the future": lambda s: s.nodes[uid(5)].field_seq.update(text=99),
    "version behind the nodes": lambda s: _set_version(s, 1),
    "index out of date": lambda s: setattr(s.nodes[uid(5)], "key", "a5"),
    "cycle": lambda s: setattr(s.nodes[uid(1)], "parent", uid(3)),
}


@pytest.mark.parametrize("edit", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_check_invariants_finds_a_corrupt_state(edit: Callable[[TreeState], None]) -> None:
    with pytest.raises(InvariantError):
        _corrupt(edit).check_invariants()


def test_check_invariants_finds_duplicate_sibling_keys_and_cycles_through_links() -> None:
    dup = [
        Node(id=uid(1), type="proposal", parent=None, key="a0"),
        Node(id=uid(2), type="proposal", parent=None, key="a0"),
    ]
    with pytest.raises(InvariantError):
        TreeState("game", dup).check_invariants()
    tree = problem_tree()
    tree.state.nodes[uid(1)].parents.append(uid(3))
    with pytest.raises(InvariantError):
        tree.state.check_invariants()


def test_siblings_index_skips_its_own_node_when_looking_for_neighbours() -> None:
    sibs = Siblings()
    for n, key in enumerate(["a0", "a1", "a2"], start=1):
        sibs.add(Node(id=uid(n), type="proposal", parent=None, key=key))
    assert sibs.next_key("a0", exclude=uid(2)) == "a2"
    assert sibs.last_key(exclude=uid(3)) == "a1"
    assert sibs.owner("a1") == uid(2)


def _apply_ops_counting_domain_lines(proposals: int) -> tuple[TreeState, int]:
    """300 edits and moves on `proposals` proposals of 199 critiques each; the number of lines
    of trees/domain executed meanwhile (a count of work that a loaded machine cannot skew)."""
    nodes: list[Node] = []
    n = 1
    for pkey in keys_after(None, proposals):
        proposal = uid(n)
        nodes.append(Node(id=proposal, type="proposal", parent=None, key=pkey))
        n += 1
        for ckey in keys_after(None, 199):
            nodes.append(Node(id=uid(n), type="critique", parent=proposal, key=ckey))
            n += 1
    state = TreeState("game", nodes)
    assert len(state.nodes) == 200 * proposals
    tree = Tree()
    tree.state = state
    domain = str(Path(TreeState.__module__.replace(".", "/")).parent)
    lines = 0

    def trace(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal lines
        if domain not in frame.f_code.co_filename:
            return None
        if event == "line":
            lines += 1
        return trace

    sys.settrace(trace)
    try:
        for i in range(300):
            target = uid(2 + (i * 37) % 199)  # a critique under the first proposal
            tree.apply({"kind": "set", "id": target, "field": "text", "value": str(i)})
            move = {"kind": "move", "id": target, "parent": uid(200 * (i % 10) + 1), "key": "a0"}
            tree.apply(move)
    finally:
        sys.settrace(None)
    return state, lines


def test_apply_on_a_tree_of_20000_nodes_does_not_scale_with_the_tree() -> None:
    # The same ops on 2,000 and on 20,000 nodes execute as many lines of the domain layer: an
    # apply that walked the whole tree would execute ten times as many on the big one.
    small, small_lines = _apply_ops_counting_domain_lines(10)
    big, big_lines = _apply_ops_counting_domain_lines(100)
    last = {2 + (i * 37) % 199: i for i in range(300)}  # critique number -> its last op
    for state in (small, big):
        state.check_invariants()
        for number, i in last.items():
            assert state.nodes[uid(number)].text == str(i)
            assert state.nodes[uid(number)].parent == uid(200 * (i % 10) + 1)
    assert big_lines <= small_lines * 1.05, (small_lines, big_lines)
