"""Analysis layer: merge rounds. Fork a merged tree per person; combine edits by diff3 rules.

Each person's copy keeps ``meta.origin`` = the merged node it was copied from. When the copies
are merged again, nodes with the same origin match by lineage (no text matching), and each
field follows diff3: unchanged everywhere -> base; changed by one side (or identically by
several) -> take the change; changed differently -> keep the base value and report a
conflict for the group to settle.

Who drew a node carries over too (``meta.drew``): the source nodes of the base node it comes
from (the people who drew it in the round before), plus the copies that added it anew in this
round. ``meta.sources`` stays what it always is, the nodes of this merge's inputs (here, the
copies), which the review tools split back along.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from trees.analysis.graph import live_nodes, parents_of
from trees.analysis.merge.scores import Item

FORK_NS = uuid.UUID("0b6f4c3e-8a1d-5e2f-9c7b-3d4a5e6f7a8b")


def fork(
    nodes: Iterable[Mapping[str, Any]], people: Sequence[Any]
) -> dict[Any, list[dict[str, Any]]]:
    """One copy of the (merged) tree per person, with fresh ids and ``meta.origin``.

    Ids are derived from (person, original id) so forking twice gives the same copies.
    """
    live = live_nodes(nodes)
    out: dict[Any, list[dict[str, Any]]] = {}
    for person in people:

        def new_id(old: Any, person: Any = person) -> str:
            return str(uuid.uuid5(FORK_NS, f"{person}:{old}"))

        copy = []
        ids = {n["id"] for n in live}
        for n in live:
            parent = n.get("parent")
            meta = dict(n.get("meta") or {})
            meta.update({"origin": n["id"], "forked_for": person})
            d = {k: v for k, v in n.items() if k != "field_seq"}
            d.update(
                id=new_id(n["id"]),
                parent=new_id(parent) if parent in ids else None,
                parents=[new_id(p) for p in n.get("parents") or () if p in ids],
                meta=meta,
            )
            copy.append(d)
        out[person] = copy
    return out


class Diff3:
    """Three-way combination of the forked copies against the base they came from."""

    def __init__(
        self,
        base: Iterable[Mapping[str, Any]],
        items: list[Item],
        find: Callable[[int], int],
        trees: Sequence[tuple[Any, Any]],
    ) -> None:
        self.base = {n["id"]: n for n in live_nodes(base)}
        self.items = items
        self.find = find
        self.conflicts: list[dict[str, Any]] = []
        self.carrier: dict[tuple[Any, Any], int] = {}
        for i, it in enumerate(items):
            if it.origin in self.base:
                self.carrier.setdefault((it.tree, it.origin), i)
        self.forking = {tree for tree, _ in self.carrier}
        self._order = [t for t, _ in trees if t in self.forking]

    def knows(self, origin: Any) -> bool:
        return origin in self.base

    def _origin(self, members: Sequence[int]) -> Any:
        return next(
            (self.items[i].origin for i in members if self.items[i].origin in self.base), None
        )

    def text(self, members: Sequence[int]) -> str | None:
        """The diff3 text of a cluster with carried-over nodes (None without lineage)."""
        origin = self._origin(members)
        if origin is None:
            return None
        was = str(self.base[origin].get("text") or "")
        changes: dict[Any, str] = {}
        for i in members:
            it = self.items[i]
            if it.origin == origin and it.label != was:
                changes[it.tree] = it.label
        values = list(dict.fromkeys(changes.values()))
        if len(values) == 1:
            return values[0]
        if len(values) > 1:
            self.conflicts.append(
                {
                    "node": origin,
                    "field": "text",
                    "base": was,
                    "changes": [{"tree": t, "value": v} for t, v in changes.items()],
                    "message": f"changed differently in {len(changes)} copies; kept the base text",
                }
            )
        return was

    def drew(self, members: Sequence[int]) -> list[dict[str, Any]]:
        """Who drew a cluster, as ``{"tree", "node"}`` refs: its base node's (``meta.drew``
        from a round before, else its ``meta.sources``, else the base node itself: added
        after that merge by one person) plus each member that is new in this round.

        Without this every carried-over node would be "drawn" by every copy it was forked
        into, and a problem one person drew would rank like one everybody drew.
        """
        origin = self._origin(members)
        refs: list[dict[str, Any]] = []
        if origin is not None:
            meta = self.base[origin].get("meta") or {}
            before = meta.get("drew") or meta.get("sources") or [{"tree": None, "node": origin}]
            refs.extend({"tree": r.get("tree"), "node": r.get("node")} for r in before)
        for i in members:
            it = self.items[i]
            if it.origin not in self.base:
                refs.append({"tree": it.tree, "node": it.id})
        seen: set[tuple[Any, Any]] = set()
        out = []
        for r in refs:
            key = (r["tree"], r["node"])
            if key not in seen:
                seen.add(key)
                out.append(r)
        return out

    def removed_clusters(self, groups: Mapping[int, list[int]]) -> set[int]:
        """Clusters deleted in some copy and neither changed nor extended in another."""
        removed: set[int] = set()
        for c, members in groups.items():
            origin = self._origin(members)
            if origin is None:
                continue
            deleted_by = [t for t in self._order if (t, origin) not in self.carrier]
            if not deleted_by:
                continue
            was = str(self.base[origin].get("text") or "")
            changed_by = [self.items[i].tree for i in members if self.items[i].label != was]
            new_children = any(
                self.items[ch].origin not in self.base
                for i in members
                for ch in self.items[i].children
            )
            new_members = any(self.items[i].origin != origin for i in members)
            if changed_by or new_children or new_members:
                self.conflicts.append(
                    {
                        "node": origin,
                        "field": "deleted",
                        "base": was,
                        "changes": [{"tree": t, "value": "deleted"} for t in deleted_by]
                        + [{"tree": t, "value": "kept and edited"} for t in changed_by],
                        "message": "deleted in one copy but edited or extended in another; kept",
                    }
                )
                continue
            removed.add(c)
        return removed

    def removed_edges(self) -> set[tuple[int, int]]:
        """Base edges that some copy removed (both ends still there): diff3 takes the change."""
        cluster_of_origin: dict[Any, int] = {}
        for (_, origin), i in self.carrier.items():
            cluster_of_origin.setdefault(origin, self.find(i))
        dropped: set[tuple[int, int]] = set()
        for cid, n in self.base.items():
            for pid in parents_of(n):
                for tree in self._order:
                    ci, pi = self.carrier.get((tree, cid)), self.carrier.get((tree, pid))
                    if ci is None or pi is None:
                        continue
                    if pi not in self.items[ci].parents:
                        dropped.add((cluster_of_origin[pid], cluster_of_origin[cid]))
                        break
        return dropped
