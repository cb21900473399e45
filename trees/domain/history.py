"""Domain layer: the trash of a tree, read from its nodes (pure, no Django).

A delete tombstones a node and every live node of its subtree at one seq (`deleted_seq`);
`restore` of the node brings exactly those back. The trash lists one entry per such delete:
the node it named, with the number of nodes it took.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any


def _deleted_seq(node: Mapping[str, Any]) -> int:
    return int(node.get("deleted_seq") or 0)


def trash_entries(nodes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per delete still in effect, newest first.

    `nodes` are snapshot dicts (`Node.to_dict()`): all of a tree's, or only its deleted ones (a
    parent not among them counts as live). A deleted node whose parent was deleted by the same
    op went with that parent and is counted in its entry. `restorable` is False while the
    node's parent is deleted itself (restore the parent first).
    """
    by_id = {node["id"]: node for node in nodes}
    children: dict[str, list[str]] = {}
    for node in by_id.values():
        if node["parent"] is not None:
            children.setdefault(node["parent"], []).append(node["id"])
    entries: list[dict[str, Any]] = []
    for node in by_id.values():
        if not node["deleted"]:
            continue
        seq = _deleted_seq(node)
        parent = by_id.get(node["parent"]) if node["parent"] is not None else None
        if parent is not None and parent["deleted"] and _deleted_seq(parent) == seq:
            continue  # taken by its parent's delete
        count = 0
        stack = [node["id"]]
        while stack:
            current = by_id[stack.pop()]
            if not current["deleted"] or _deleted_seq(current) != seq:
                continue
            count += 1
            stack.extend(children.get(current["id"], ()))
        entries.append(
            {
                "id": node["id"],
                "type": node["type"],
                "text": node["text"],
                "parent": node["parent"],
                "seq": seq,
                "count": count,
                "restorable": parent is None or not parent["deleted"],
            }
        )
    entries.sort(key=lambda e: (-e["seq"], e["id"]))
    return entries
