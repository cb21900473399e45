"""Domain layer: a whole tree built from nodes (imports, restores, merges) as the ops a person
could have typed: `create` for each node (parents before children), `link` for each extra
parent, then `delete` for the tombstones. The action layer writes what this returns
(trees/actions/imports.py); a merge's worker process, which has no Django, builds its tree
with the same function (trees/analysis/merge/worker.py), so both give the same rows and log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import OpError
from .state import TreeState

_CREATE_FIELDS = ("id", "type", "parent", "key", "text", "note", "tags", "meta")

Op = tuple[dict[str, Any], Mapping[str, Any]]
# One applied op of the build: (seq, actor, the op as applied, fields it overwrote).
BuiltOp = tuple[int, int | None, dict[str, Any], int]


def _create_op(node: Mapping[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"kind": "create", "parent": node.get("parent")}
    for field in _CREATE_FIELDS:
        value = node.get(field)
        if field != "parent" and value not in (None, "", [], {}):
            op[field] = value
    return op


def _delete_ops(nodes: Sequence[Mapping[str, Any]]) -> list[Op]:
    """Deletes that rebuild the tombstones, one per original delete (oldest first), so that a
    restore after the import brings back exactly what it would have before."""
    by_id = {str(node["id"]): node for node in nodes}
    roots: list[tuple[int, Mapping[str, Any]]] = []
    for node in nodes:
        if not node.get("deleted"):
            continue
        group = int(node.get("deleted_seq") or 0)
        parent = by_id.get(str(node.get("parent")))
        same_group = (
            parent is not None
            and parent.get("deleted")
            and int(parent.get("deleted_seq") or 0) == group
        )
        if not same_group:
            roots.append((group, node))
    roots.sort(key=lambda item: item[0])
    return [({"kind": "delete", "id": node["id"]}, node) for _, node in roots]


def build_ops(nodes: Sequence[Mapping[str, Any]]) -> list[Op]:
    """The ops that build `nodes`, each with the node it is for."""
    creates: list[Op] = [(_create_op(node), node) for node in nodes]
    links: list[Op] = [
        ({"kind": "link", "id": node["id"], "parent": extra}, node)
        for node in nodes
        for extra in node.get("parents") or []
    ]
    return creates + links + _delete_ops(nodes)


def build_tree(
    kind: str,
    nodes: Sequence[Mapping[str, Any]],
    *,
    authors: Mapping[str, int],
    default_actor: int | None,
) -> tuple[TreeState, list[BuiltOp]]:
    """The tree `nodes` make and the ops that made it, seq 1 on. `authors` maps node ids to
    the actor of their ops; others get `default_actor`. Raises `OpError` (its message naming
    the node) for a node the rules refuse: nothing is half-built, the caller writes nothing."""
    state = TreeState(kind)
    built: list[BuiltOp] = []
    for seq, (op, node) in enumerate(build_ops(nodes), start=1):
        actor = authors.get(str(node.get("id")), default_actor)
        try:
            applied = state.apply(op, seq=seq, actor=actor)
        except OpError as exc:
            raise OpError(exc.code, f"node {node.get('id')}: {exc.message}") from None
        built.append((seq, actor, applied.op, applied.overwrote))
    return state, built
