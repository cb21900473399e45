"""Analysis layer: candidate pairs and explainable match scores for merging problem trees.

Labels are normalised and alias-expanded, then scored by char 3-5 gram TF-IDF cosine and an
IDF-weighted word overlap (optionally blended with sentence embeddings). Candidates come from
inverted indexes (char n-grams and word stems), never all-pairs; one step of similarity
flooding adds the child pairs of every plausible parent pair, which finds problems written in
different words under matching parents. Structural evidence (parents match, children match)
then raises a pair's score; every component is kept for the explanation.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from trees.analysis.glossary import Glossary
from trees.analysis.similarity import (
    Embedder,
    TfIdf,
    blocking_cap,
    char_grams,
    content_stems,
    dot,
    is_subset_like,
    normalise,
    weighted_dice,
)

ROOT_PARENT_WEIGHT = 0.5  # every top-level problem shares the root: weak evidence
PARENT_WEIGHT = 0.3
CHILD_WEIGHT = 0.3
FLOOD_MAX_PAIRS = 100  # a parent pair with more child pairs than this is not flooded


@dataclass(slots=True)
class Item:
    """One live node of one source tree, as the matcher sees it."""

    tree: Any
    order: int  # position of its tree in the input
    id: Any
    label: str
    author: Any
    depth: int
    is_root: bool
    origin: Any = None
    parents: list[int] = field(default_factory=list)
    children: list[int] = field(default_factory=list)
    norm: str = ""
    stems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Scored:
    score: float
    labels: float
    parents: float | None
    children: float | None
    subset: bool
    exact: bool

    def components(self) -> dict[str, float]:
        out = {"labels": round(self.labels, 2)}
        if self.parents is not None:
            out["parents"] = round(self.parents, 2)
        if self.children is not None:
            out["children"] = round(self.children, 2)
        return out

    def explain(self) -> str:
        parts = [f"{k} {v:.2f}" for k, v in self.components().items()]
        if self.subset:
            parts.append("one label contains the other: review only")
        return ", ".join(parts)


class Matcher:
    """Scores cross-tree pairs of items; pairs are ``(i, j)`` with ``i < j``."""

    def __init__(
        self, items: list[Item], glossary: Glossary, embedder: Embedder | None = None
    ) -> None:
        self.items = items
        for it in items:
            glossary.harvest(it.label)
        for it in items:
            it.norm = glossary.expand(normalise(it.label))
            it.stems = content_stems(it.norm)
        self.tfidf = TfIdf([char_grams(" ".join(it.stems) or it.norm) for it in items])
        wdf: Counter[str] = Counter()
        for it in items:
            wdf.update(set(it.stems))
        n = len(items)
        self.word_df = wdf
        self._word_idf = {w: 1.0 + math.log((1 + n) / (1 + c)) for w, c in wdf.items()}
        self.embeddings = embedder([it.label for it in items]) if embedder and items else None
        self.base: dict[tuple[int, int], float] = {}

    def idf(self, w: str) -> float:
        return self._word_idf.get(w, 1.0)

    def label_score(self, i: int, j: int) -> float:
        key = (i, j) if i < j else (j, i)
        cached = self.base.get(key)
        if cached is not None:
            return cached
        a, b = self.items[i], self.items[j]
        if a.is_root and b.is_root:
            s = 1.0  # roots match by definition
        elif a.norm == b.norm or (a.stems and a.stems == b.stems):
            s = 1.0
        else:
            lexical = 0.5 * self.tfidf.cosine(i, j) + 0.5 * weighted_dice(
                a.stems, b.stems, self.idf
            )
            if self.embeddings is not None:
                lexical = 0.5 * lexical + 0.5 * max(
                    0.0, dot(self.embeddings[i], self.embeddings[j])
                )
            s = lexical
        self.base[key] = s
        return s

    def candidates(
        self, matchable: Iterable[int], *, k: int = 5, floor: float = 0.3
    ) -> set[tuple[int, int]]:
        """Cross-tree candidate pairs from the inverted indexes plus one flooding step."""
        items = self.items
        pairs: set[tuple[int, int]] = set()
        stem_post: dict[str, list[int]] = defaultdict(list)
        for idx, it in enumerate(items):
            for w in set(it.stems):
                stem_post[w].append(idx)
        cap = blocking_cap(len(items))
        for i in matchable:
            tree = items[i].tree
            for j, _ in self.tfidf.neighbours(
                i, k=k, allowed=_other_tree(items, tree), budget=300, exact=False
            ):
                pairs.add((min(i, j), max(i, j)))
            acc: dict[int, float] = defaultdict(float)
            for w in set(items[i].stems):
                post = stem_post[w]
                if len(post) <= cap:
                    wt = self.idf(w)
                    for j in post:
                        acc[j] += wt
            acc = defaultdict(float, {j: s for j, s in acc.items() if items[j].tree != tree})
            for j, _ in heapq.nlargest(k, acc.items(), key=lambda t: t[1]):
                pairs.add((min(i, j), max(i, j)))
        roots = [i for i, it in enumerate(items) if it.is_root]
        for x in roots:
            for y in roots:
                if x < y and items[x].tree != items[y].tree:
                    pairs.add((x, y))
        # one flooding step, both ways: the children and the parents of every plausible pair
        # become candidates (similar problems under similar parents, similar parents of
        # similar problems), however differently they are worded
        for i, j in list(pairs):
            if self.label_score(i, j) < floor:
                continue
            for ci, cj in (
                (items[i].children, items[j].children),
                (items[i].parents, items[j].parents),
            ):
                if not ci or not cj or len(ci) * len(cj) > FLOOD_MAX_PAIRS:
                    continue
                for a in ci:
                    for b in cj:
                        if items[a].tree != items[b].tree:
                            pairs.add((min(a, b), max(a, b)))
        return pairs

    def score(self, i: int, j: int, known: set[tuple[int, int]]) -> Scored:
        """Final score: label score raised by parent and child evidence."""
        a, b = self.items[i], self.items[j]
        lab = self.label_score(i, j)
        exact = lab >= 1.0
        parents: float | None = None
        if a.parents and b.parents:
            best = 0.0
            for p in a.parents:
                for q in b.parents:
                    s = self.label_score(p, q) if (min(p, q), max(p, q)) in known else 0.0
                    if self.items[p].is_root and self.items[q].is_root:
                        s *= ROOT_PARENT_WEIGHT
                    best = max(best, s)
            parents = best
        children: float | None = None
        if a.children and b.children:
            small, big = sorted((a.children, b.children), key=len)
            total = 0.0
            for c in small:
                total += max(
                    (self.label_score(c, d) for d in big if (min(c, d), max(c, d)) in known),
                    default=0.0,
                )
            children = total / len(big)
        subset = not exact and is_subset_like(a.stems, b.stems)
        # Structure alone may bring a pair to the review band but never to auto: with a label
        # score under 0.5 the bonus is damped, and the sum stays below the auto threshold.
        gate = 0.5 + 0.5 * min(1.0, lab / 0.5)
        bonus = PARENT_WEIGHT * (parents or 0.0) + CHILD_WEIGHT * (children or 0.0)
        final = lab if exact else lab + (1.0 - lab) * gate * bonus
        return Scored(min(1.0, final), lab, parents, children, subset, exact)


def _other_tree(items: list[Item], tree: Any) -> Callable[[int], bool]:
    def allowed(j: int) -> bool:
        return bool(items[j].tree != tree)

    return allowed
