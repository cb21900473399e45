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

The base's review queue carries over too (`carry_suggestions`): carried-over nodes are never
matched against each other by text (the group told them apart), so a pair the group left
undecided would otherwise never be asked again. Each pending pair whose two nodes are both
still here, apart, is suggested again between the copies' nodes.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from trees.analysis.graph import live_nodes, parents_of
from trees.analysis.merge.review_queue import holder_of, undecided
from trees.analysis.merge.scores import Item

FORK_NS = uuid.UUID("0b6f4c3e-8a1d-5e2f-9c7b-3d4a5e6f7a8b")
CARRIED = "not decided in the round before"  # the head of a carried suggestion's explanation


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


def carry_suggestions(
    base: Iterable[Mapping[str, Any]],
    queue: Iterable[Mapping[str, Any]],
    items: Sequence[Item],
    nodes: Iterable[Mapping[str, Any]],
    rejected: Collection[tuple[int, int]] = (),
) -> list[dict[str, Any]]:
    """The base's undecided suggestions (`queue`: its stored rows, in queue order) asked again
    between this merge's inputs, in the shape of `merge`'s suggestions.

    A row's refs are the base's sources (the round before's trees): its base node holds them
    (``meta.sources``; a node merged by hand is its own source). That node stands here for
    the first input node forked from it that is in a merged node (`nodes`); a row is carried
    when both its sides are, in two merged nodes, and not rejected in this merge. Its
    candidates go the same way (those gone or merged into `a` are left out).
    """
    live = {str(n["id"]): n for n in live_nodes(base)}
    base_holder = holder_of(live.values())
    merged_holder = holder_of(nodes)

    def base_node(ref: Mapping[str, Any]) -> str | None:
        held = base_holder(ref)
        node = str(ref.get("node"))
        return str(held) if held is not None else (node if node in live else None)

    def merged(i: int) -> Any:
        return merged_holder({"tree": items[i].tree, "node": items[i].id})

    here: dict[str, int] = {}  # base node -> the input node standing for it here
    for i, it in enumerate(items):
        if it.origin is not None and merged(i) is not None:
            here.setdefault(str(it.origin), i)

    def ref(i: int) -> dict[str, Any]:
        return {"tree": items[i].tree, "node": items[i].id, "label": items[i].label}

    out: list[dict[str, Any]] = []
    for row in undecided(queue, base_node):
        side = [base_node(row["a"]), base_node(row["b"])]
        a, b = (None if x is None else here.get(x) for x in side)
        if a is None or b is None or merged(a) == merged(b) or (min(a, b), max(a, b)) in rejected:
            continue
        candidates: list[dict[str, Any]] = []
        shown = {merged(a)}
        first = {**row["b"], "score": row.get("score"), "components": row.get("components")}
        for c in [first, *(row.get("candidates") or ())]:
            x = base_node(c)
            k = None if x is None else here.get(x)
            if k is None or merged(k) in shown or (min(a, k), max(a, k)) in rejected:
                continue
            shown.add(merged(k))
            candidates.append(
                {**ref(k), "score": c.get("score"), "components": c.get("components") or {}}
            )
        why = str(row.get("explanation") or "")
        out.append(
            {
                "a": ref(a),
                "b": ref(b),
                "score": row.get("score"),
                "components": dict(row.get("components") or {}),
                "explanation": why if why.startswith(CARRIED) else f"{CARRIED}; {why}".strip("; "),
                "candidates": candidates,
            }
        )
    return out
