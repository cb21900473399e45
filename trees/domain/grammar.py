"""Domain layer: which node types may sit under which, per tree kind."""

from __future__ import annotations

# child type -> allowed parent types (None = top level).
_PARENTS: dict[str, dict[str, frozenset[str | None]]] = {
    "game": {
        "proposal": frozenset({None}),
        "critique": frozenset({"proposal", "patch"}),
        "patch": frozenset({"critique"}),
    },
    "problem": {"problem": frozenset({None, "problem"})},
}

TREE_KINDS = frozenset(_PARENTS)


def node_types(kind: str) -> frozenset[str]:
    """The node types a tree of this kind may contain."""
    return frozenset(_PARENTS[kind])


def parent_table(kind: str) -> dict[str, list[str | None]]:
    """Child type -> its allowed parent types (None = top level first, then by name), in the
    grammar's order of types. The web client's copy is generated from this
    (tools/gen_client_constants.py)."""
    return {
        child: sorted(parents, key=lambda p: (p is not None, p or ""))
        for child, parents in _PARENTS[kind].items()
    }


def allowed_under(kind: str, child_type: str, parent_type: str | None) -> bool:
    """True when a `child_type` node may have a `parent_type` parent (None = top level)."""
    parents = _PARENTS[kind].get(child_type)
    return parents is not None and parent_type in parents
