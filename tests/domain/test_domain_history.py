"""The trash of a tree, read from its nodes: one entry per delete still in effect."""

from __future__ import annotations

from typing import Any

from trees.domain import TreeState
from trees.domain.history import trash_entries


def build(ops: list[dict[str, Any]]) -> TreeState:
    state = TreeState("game")
    for seq, op in enumerate(ops, start=1):
        state.apply(op, seq=seq, actor=1)
    return state


IDS = {
    name: f"00000000-0000-4000-8000-{i:012d}"
    for i, name in enumerate(["p1", "c1", "x1", "c2", "p2"], start=1)
}
P1, C1, X1 = IDS["p1"], IDS["c1"], IDS["x1"]


def create(name: str, type_: str, parent: str | None, text: str = "") -> dict[str, Any]:
    parent_id = IDS[parent] if parent else None
    return {"kind": "create", "id": IDS[name], "type": type_, "parent": parent_id, "text": text}


TREE = [
    create("p1", "proposal", None, "Debate"),
    create("c1", "critique", "p1", "Judges fooled"),
    create("x1", "patch", "c1", "Train judges"),
    create("c2", "critique", "p1", "Collusion"),
    create("p2", "proposal", None, "Imitation"),
]


def test_a_deleted_subtree_is_one_entry_counting_every_node_it_took() -> None:
    state = build([*TREE, {"kind": "delete", "id": C1}])
    entries = trash_entries(state.snapshot())
    assert entries == [
        {
            "id": C1,
            "type": "critique",
            "text": "Judges fooled",
            "parent": P1,
            "seq": 6,
            "count": 2,
            "restorable": True,
        }
    ]


def test_an_earlier_separate_delete_inside_a_later_one_is_its_own_entry_and_waits_for_it() -> None:
    state = build([*TREE, {"kind": "delete", "id": X1}, {"kind": "delete", "id": P1}])
    entries = trash_entries(state.snapshot())
    assert [(e["id"], e["seq"], e["count"], e["restorable"]) for e in entries] == [
        (P1, 7, 3, True),  # p1, c1, c2: x1 was gone already
        (X1, 6, 1, False),  # under a deleted critique: restore p1 first
    ]


def test_only_the_deleted_nodes_give_the_same_trash_and_a_restore_empties_it() -> None:
    state = build([*TREE, {"kind": "delete", "id": X1}, {"kind": "delete", "id": P1}])
    nodes = state.snapshot()
    assert trash_entries([n for n in nodes if n["deleted"]]) == trash_entries(nodes)
    state.apply({"kind": "restore", "id": P1}, seq=8, actor=2)
    assert [e["id"] for e in trash_entries(state.snapshot())] == [X1]
    assert trash_entries(state.snapshot())[0]["restorable"] is True
    state.apply({"kind": "restore", "id": X1}, seq=9, actor=2)
    assert trash_entries(state.snapshot()) == []
