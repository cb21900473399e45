"""Test helpers for the domain layer: readable ids, a tree builder, and a random-op generator.

`random_op` is shared by the property tests and the convergence simulation: it proposes
operations the way a user would (mostly sensible for the tree it sees, sometimes stale or
plain wrong), so both the accept and the reject paths get exercised.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from trees.domain import OpError, TreeState
from trees.domain.grammar import allowed_under, node_types
from trees.domain.keys import key_between

Draw = Callable[[st.SearchStrategy[Any]], Any]


def uid(n: int) -> str:
    """A short, readable, valid node id: uid(1) == '00000000-0000-0000-0000-000000000001'."""
    return str(uuid.UUID(int=n))


class Tree:
    """A TreeState plus its accepted log, applying ops with consecutive seqs."""

    def __init__(self, kind: str = "game") -> None:
        self.state = TreeState(kind)
        self.log: list[tuple[int, dict[str, Any], int | None]] = []

    def apply(self, op: dict[str, Any], actor: int | None = 1) -> Any:
        applied = self.state.apply(op, seq=self.state.version + 1, actor=actor)
        self.log.append((self.state.version, applied.op, actor))
        return applied

    def reject(self, op: Any) -> str:
        """Apply an op that must be rejected; check nothing changed; return its code."""
        before = self.state.snapshot()
        version = self.state.version
        try:
            self.state.apply(op, seq=version + 1, actor=1)
        except OpError as error:
            assert self.state.snapshot() == before
            assert self.state.version == version
            self.state.check_invariants()
            return error.code
        raise AssertionError(f"accepted {op!r}")

    def create(self, n: int, type: str, parent: int | None = None, **fields: Any) -> Any:
        op = {"kind": "create", "id": uid(n), "type": type, "parent": _opt(parent), **fields}
        return self.apply(op)


def _opt(n: int | None) -> str | None:
    return None if n is None else uid(n)


def game_tree() -> Tree:
    """P1 ─ C2 ─ X3 ─ C4, and a second proposal P5."""
    tree = Tree("game")
    tree.create(1, "proposal")
    tree.create(2, "critique", 1)
    tree.create(3, "patch", 2)
    tree.create(4, "critique", 3)
    tree.create(5, "proposal")
    return tree


def problem_tree() -> Tree:
    """R1 ─ R2 ─ R3, and R4 at top level."""
    tree = Tree("problem")
    tree.create(1, "problem")
    tree.create(2, "problem", 1)
    tree.create(3, "problem", 2)
    tree.create(4, "problem")
    return tree


# -- random operations ---------------------------------------------------------------------

_TEXTS = st.text(max_size=12) | st.sampled_from(["", "x" * 2001, "a\x00b"])
_TAGS = st.lists(st.sampled_from(["deception", " goodhart ", "", "x" * 65, "scale"]), max_size=4)
_GARBAGE: list[Any] = [
    None,
    [],
    "create",
    {"kind": "explode", "id": uid(1)},
    {"kind": "delete"},
    {"kind": "delete", "id": "not-a-uuid"},
    {"kind": "delete", "id": uid(1), "extra": True},
    {"kind": "create", "id": uid(77), "type": "proposal", "parent": None, "key": "a00"},
    {"kind": "set", "id": uid(1), "field": "author", "value": 3},
    {"kind": "set", "id": uid(1), "field": "tags", "value": ["t"] * 21},
]


def random_op(draw: Draw, view: TreeState) -> Any:
    """One operation a user looking at `view` might send (about one in ten is garbage)."""
    kind = view.kind
    ids = sorted(view.nodes)
    live = [i for i in ids if not view.nodes[i].deleted]
    choice = draw(
        st.sampled_from(
            ["create"] * 5
            + ["set"] * 3
            + ["move"] * 3
            + ["delete", "restore", "garbage"]
            + (["link", "unlink"] if kind == "problem" else [])
        )
    )
    if choice == "garbage" or (not ids and choice != "create"):
        return draw(st.sampled_from(_GARBAGE))
    pick_any = st.sampled_from(ids)
    pick = st.sampled_from(live) if live and draw(st.integers(0, 4)) else pick_any

    if choice == "create":
        parent = draw(st.none() | pick) if ids else None
        parent_type = view.nodes[parent].type if parent else None
        fitting = [t for t in sorted(node_types(kind)) if allowed_under(kind, t, parent_type)]
        op: dict[str, Any] = {
            "kind": "create",
            "id": draw(st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())),
            "type": draw(st.sampled_from(fitting or sorted(node_types(kind)))),
            "parent": parent,
        }
        sibling_keys = sorted(n.key for n in view.children(parent))
        if sibling_keys and draw(st.booleans()):
            # Often a key a sibling already holds: the server must rewrite it.
            op["key"] = draw(st.sampled_from([*sibling_keys, key_between(None, sibling_keys[0])]))
        if draw(st.booleans()):
            op["text"] = draw(_TEXTS)
        return op
    if choice == "set":
        field = draw(st.sampled_from(["text", "note", "tags"]))
        value = draw(_TAGS) if field == "tags" else draw(_TEXTS)
        return {"kind": "set", "id": draw(pick), "field": field, "value": value}
    if choice == "move":
        op = {"kind": "move", "id": draw(pick), "parent": draw(st.none() | pick)}
        if draw(st.booleans()):
            siblings = sorted(n.key for n in view.children(op["parent"]))
            op["key"] = draw(st.sampled_from(siblings or ["a0"]))
        if draw(st.integers(0, 3)) == 0:
            op["type"] = draw(st.sampled_from(sorted(node_types(kind))))
        return op
    if choice == "restore":
        deleted = [i for i in ids if view.nodes[i].deleted]
        gone = st.sampled_from(deleted) if deleted and draw(st.integers(0, 4)) else pick_any
        return {"kind": "restore", "id": draw(gone)}
    if choice == "delete":
        return {"kind": "delete", "id": draw(pick)}
    node_id = draw(pick)
    if choice == "unlink" and view.nodes[node_id].parents and draw(st.integers(0, 3)):
        return {"kind": "unlink", "id": node_id, "parent": view.nodes[node_id].parents[0]}
    return {"kind": choice, "id": node_id, "parent": draw(pick)}
