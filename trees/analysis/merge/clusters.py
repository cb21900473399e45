"""Analysis layer: the merge's union-find of matched nodes (one cluster = one merged node)."""

from __future__ import annotations

from array import array
from typing import Any

from trees.analysis.merge.scores import Item


class Clusters:
    """Union-find whose clusters remember their source trees (to refuse same-tree merges).

    A cluster's trees are a bit mask (one bit per distinct source tree), not a set: checking
    a candidate pair then reads two ints from one list (mostly the cached small ints), where
    a set per item scattered 20,000 objects over memory for 5 x 4,000 nodes.
    """

    def __init__(self, items: list[Item]) -> None:
        # a flat array: find() reads it all over the range, and a list's ints lie all over
        # the heap
        self.parent = array("q", range(len(items)))
        bit: dict[Any, int] = {}
        for it in items:
            bit.setdefault(it.tree, 1 << len(bit))
        self.trees: list[int] = [bit[it.tree] for it in items]

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def can_union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        return ra != rb and not self.trees[ra] & self.trees[rb]

    def union(self, a: int, b: int) -> bool:
        if not self.can_union(a, b):
            return False
        ra, rb = sorted((self.find(a), self.find(b)))
        self.parent[rb] = ra
        self.trees[ra] |= self.trees[rb]
        return True
