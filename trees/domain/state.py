"""Domain layer: the in-memory state of one tree and the operations applied to it.

`TreeState` holds every node (live and tombstoned) plus a parent -> children index that is
kept up to date on each operation, so that `apply` costs O(depth + siblings) rather than
O(nodes): a server keeps trees of 20,000 nodes in memory and applies thousands of ops a second.
"""

from __future__ import annotations

import heapq
from bisect import bisect_right, insort
from collections.abc import Iterable, Mapping
from typing import Any

from .grammar import TREE_KINDS
from .invariants import check_invariants
from .node import FIELD_GROUPS, Applied, Node
from .ops import apply_op

__all__ = ["FIELD_GROUPS", "Applied", "Node", "Siblings", "TreeState", "replay"]


class Siblings:
    """The primary children of one parent: ids plus a sorted, de-duplicated key list."""

    __slots__ = ("by_key", "ids", "keys")

    def __init__(self) -> None:
        self.ids: set[str] = set()
        self.by_key: dict[str, str] = {}
        self.keys: list[str] = []

    def add(self, node: Node) -> None:
        self.ids.add(node.id)
        if node.key not in self.by_key:
            self.by_key[node.key] = node.id
            insort(self.keys, node.key)

    def remove(self, node: Node) -> None:
        self.ids.discard(node.id)
        # Only a corrupt state has duplicate keys; then the key belongs to the other node.
        if self.by_key.get(node.key) == node.id:
            del self.by_key[node.key]
            self.keys.pop(bisect_right(self.keys, node.key) - 1)

    def owner(self, key: str) -> str | None:
        return self.by_key.get(key)

    def next_key(self, key: str, exclude: str) -> str | None:
        """The smallest sibling key greater than `key`, ignoring node `exclude`."""
        i = bisect_right(self.keys, key)
        while i < len(self.keys) and self.by_key[self.keys[i]] == exclude:
            i += 1
        return self.keys[i] if i < len(self.keys) else None

    def last_key(self, exclude: str) -> str | None:
        """The greatest sibling key, ignoring node `exclude`."""
        for key in reversed(self.keys):
            if self.by_key[key] != exclude:
                return key
        return None


_NO_SIBLINGS = Siblings()


class TreeState:
    """Every node of one tree, its version (the seq of the last applied op) and an index."""

    def __init__(self, kind: str, nodes: Iterable[Node] = (), version: int = 0) -> None:
        if kind not in TREE_KINDS:
            raise ValueError(f"unknown tree kind {kind!r}")
        self.kind = kind
        self.version = version
        self.nodes: dict[str, Node] = {}
        for node in nodes:
            if node.id in self.nodes:
                raise ValueError(f"duplicate node id {node.id}")
            self.nodes[node.id] = node
        self._index: dict[str | None, Siblings] = {}
        # Built per parent in one sort: inserting 20,000 keys one by one would be quadratic.
        grouped: dict[str | None, list[Node]] = {}
        for node in self.nodes.values():
            grouped.setdefault(node.parent, []).append(node)
        for parent, kids in grouped.items():
            sibs = Siblings()
            for kid in sorted(kids, key=lambda n: (n.key, n.id)):
                sibs.ids.add(kid.id)
                if kid.key not in sibs.by_key:
                    sibs.by_key[kid.key] = kid.id
                    sibs.keys.append(kid.key)
            self._index[parent] = sibs

    # -- reading -------------------------------------------------------------------------------

    def siblings(self, parent: str | None) -> Siblings:
        """The index entry of `parent`'s primary children (read-only for callers)."""
        return self._index.get(parent, _NO_SIBLINGS)

    def children(self, parent: str | None) -> list[Node]:
        """Primary children of `parent` (None = top level), deleted included, in (key, id) order."""
        kids = [self.nodes[i] for i in self.siblings(parent).ids]
        kids.sort(key=lambda n: (n.key, n.id))
        return kids

    def reaches(self, start: str | None, target: str) -> bool:
        """True when `target` is `start` or one of its ancestors over primary and extra edges."""
        stack = [start] if start is not None else []
        seen: set[str] = set()
        while stack:
            current = stack.pop()
            if current == target:
                return True
            if current in seen:
                continue
            seen.add(current)
            node = self.nodes.get(current)
            if node is not None:
                if node.parent is not None:
                    stack.append(node.parent)
                stack.extend(node.parents)
        return False

    def snapshot(self) -> list[dict[str, Any]]:
        """Every node's `to_dict()`, each after its primary and extra parents, in sibling order."""
        order: list[Node] = []
        stack = list(reversed(self.children(None)))
        while stack:
            node = stack.pop()
            order.append(node)
            stack.extend(reversed(self.children(node.id)))
        if len(order) != len(self.nodes) or any(n.parents for n in order):
            order = self._topological(order)
        return [node.to_dict() for node in order]

    def _topological(self, preorder: list[Node]) -> list[Node]:
        # Extra parents (or a corrupt state) can break "parents first" in a plain preorder; Kahn's
        # algorithm with preorder rank as priority keeps the order stable and readable.
        rank = {node.id: i for i, node in enumerate(preorder)}
        rest = sorted((n for n in self.nodes.values() if n.id not in rank), key=lambda n: n.id)
        for node in rest:
            rank[node.id] = len(rank)
        waiting: dict[str, int] = {}
        dependants: dict[str, list[str]] = {}
        for node in self.nodes.values():
            ups = {p for p in [node.parent, *node.parents] if p is not None and p in self.nodes}
            waiting[node.id] = len(ups)
            for up in ups:
                dependants.setdefault(up, []).append(node.id)
        heap = [(rank[i], i) for i, count in waiting.items() if count == 0]
        heapq.heapify(heap)
        out: list[Node] = []
        while heap:
            _, node_id = heapq.heappop(heap)
            out.append(self.nodes[node_id])
            for down in dependants.get(node_id, ()):
                waiting[down] -= 1
                if waiting[down] == 0:
                    heapq.heappush(heap, (rank[down], down))
        if len(out) != len(self.nodes):  # a cycle: only a corrupt state gets here
            emitted = {n.id for n in out}
            stuck = [n for n in self.nodes.values() if n.id not in emitted]
            out.extend(sorted(stuck, key=lambda n: rank[n.id]))
        return out

    # -- writing -------------------------------------------------------------------------------

    def apply(
        self, op: Mapping[str, Any], *, seq: int, actor: int | None, logged: bool = False
    ) -> Applied:
        """Validate `op` completely (OpError, state untouched), then apply it as `seq`.

        `logged`: `op` is read back from the log (see `ops.apply_op`)."""
        if seq != self.version + 1:
            raise ValueError(f"seq {seq} does not follow version {self.version}")
        applied = apply_op(self, op, seq=seq, actor=actor, logged=logged)
        self.version = seq
        return applied

    def attach(self, node: Node) -> None:
        """Add `node` to the index under its current parent (and to `nodes`)."""
        self.nodes[node.id] = node
        sibs = self._index.get(node.parent)
        if sibs is None:
            sibs = self._index[node.parent] = Siblings()
        sibs.add(node)

    def detach(self, node: Node) -> None:
        """Remove `node` from the index of its current parent (it stays in `nodes`)."""
        sibs = self._index.get(node.parent)
        if sibs is not None:
            sibs.remove(node)
            if not sibs.ids:
                del self._index[node.parent]

    def check_invariants(self) -> None:
        """Raise InvariantError if the state is inconsistent."""
        check_invariants(self)

    def index_view(self) -> dict[str | None, tuple[set[str], dict[str, str], list[str]]]:
        """The incremental index as plain data, so invariants can compare it with a rebuild."""
        return {p: (s.ids, s.by_key, s.keys) for p, s in self._index.items()}

    def copy(self) -> TreeState:
        """An independent deep copy."""
        return TreeState(self.kind, (n.clone() for n in self.nodes.values()), self.version)


def replay(kind: str, ops: Iterable[tuple[int, Mapping[str, Any], int | None]]) -> TreeState:
    """Rebuild a tree from its log of (seq, op, actor); raises OpError if an op is rejected."""
    state = TreeState(kind)
    for seq, op, actor in ops:
        state.apply(op, seq=seq, actor=actor, logged=True)
    return state
