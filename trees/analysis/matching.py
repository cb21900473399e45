"""Analysis layer: candidate pairs and explainable match scores for merging problem trees.

Labels are normalised and alias-expanded, then scored by char 3-5 gram TF-IDF cosine and an
IDF-weighted word overlap (optionally blended with sentence embeddings). Candidates come from
inverted indexes (char n-grams and word stems), never all-pairs; one step of similarity
flooding adds the child pairs of every plausible parent pair, which finds problems written in
different words under matching parents. Structural evidence (parents match, children match)
then raises a pair's score; every component is kept for the explanation.

Speed (5 trees x 2,000 nodes well under a second): everything textual is computed once per
distinct *label* (the same problem is usually written the same way in several trees), not
per node: normalisation, stems, the TF-IDF vector (document frequencies still count nodes,
so scores are the same as per-node vectors), the blocking look-ups and the label score of a
pair of labels. Blocking ranks labels, and each node then takes its first ``k`` nodes of
other trees from that ranking. Structural evidence reads the label scores of the candidate
pairs from one dict, and the explanation (a :class:`Scored`) is only built for pairs that are
shown (matches and suggestions).
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Iterable
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
)

ROOT_PARENT_WEIGHT = 0.5  # every top-level problem shares the root: weak evidence
PARENT_WEIGHT = 0.3
CHILD_WEIGHT = 0.3
FLOOD_MAX_PAIRS = 100  # a parent pair with more child pairs than this is not flooded
FLOOD_TOP = 3  # a node's best pairs (by label score) whose neighbourhoods are flooded
BLOCK_BUDGET = 100  # postings walked per label when collecting char n-gram candidates

Pair = tuple[int, int]


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


def combine(lab: float, parents: float | None, children: float | None) -> float:
    """Final score: label score raised by parent and child evidence.

    Structure alone may bring a pair to the review band but never to auto: with a label score
    under 0.5 the bonus is damped, and the sum stays below the auto threshold.
    """
    if lab >= 1.0:
        return 1.0
    gate = 0.5 + 0.5 * min(1.0, lab / 0.5)
    bonus = PARENT_WEIGHT * (parents or 0.0) + CHILD_WEIGHT * (children or 0.0)
    return min(1.0, lab + (1.0 - lab) * gate * bonus)


class Matcher:
    """Scores cross-tree pairs of items; pairs are ``(i, j)`` with ``i < j``."""

    def __init__(
        self, items: list[Item], glossary: Glossary, embedder: Embedder | None = None
    ) -> None:
        self.items = items
        self._root = [it.is_root for it in items]
        raw = list(dict.fromkeys(it.label for it in items))
        for label in raw:
            glossary.harvest(label)
        prepared: dict[str, tuple[str, list[str]]] = {}
        for label in raw:
            norm = glossary.expand(normalise(label))
            prepared[label] = (norm, content_stems(norm))
        # one "label id" per distinct compared text (per distinct wording with embeddings)
        lid_of: dict[str, int] = {}
        self.lid: list[int] = []
        self.exact_key: list[str] = []  # equal keys = identical normalised label or stems
        self.text: list[str] = []
        self.stem_sets: list[frozenset[str]] = []
        self.raw: list[str] = []
        self.weight: list[int] = []  # nodes per label id
        self.members: list[dict[Any, list[int]]] = []  # label id -> tree -> items
        for idx, it in enumerate(items):
            norm, stems = prepared[it.label]
            it.norm, it.stems = norm, stems
            exact = " ".join(stems) if stems else "\x00" + norm
            key = exact + "\x01" + it.label if embedder is not None else exact
            lid = lid_of.get(key)
            if lid is None:
                lid = lid_of[key] = len(self.exact_key)
                self.exact_key.append(exact)
                self.text.append(" ".join(stems) or norm)
                self.stem_sets.append(frozenset(stems))
                self.raw.append(it.label)
                self.weight.append(0)
                self.members.append({})
            self.lid.append(lid)
            self.weight[lid] += 1
            self.members[lid].setdefault(it.tree, []).append(idx)
        self.tfidf = TfIdf([char_grams(t) for t in self.text], weights=self.weight)
        wdf: Counter[str] = Counter()
        for lid, stems_ in enumerate(self.stem_sets):
            for w in stems_:
                wdf[w] += self.weight[lid]
        n = len(items)
        self.word_df = wdf
        self._word_idf = {w: 1.0 + math.log((1 + n) / (1 + c)) for w, c in wdf.items()}
        idf = self._word_idf
        self._idf_sum = [sum(idf[w] for w in s) for s in self.stem_sets]
        self.embeddings = embedder(self.raw) if embedder and self.raw else None
        self._lab: dict[int, float] = {}  # label-pair score, key a * L + b with a < b
        self.known: dict[Pair, float] = {}  # candidate item pair -> label score

    def idf(self, w: str) -> float:
        return self._word_idf.get(w, 1.0)

    def lid_score(self, a: int, b: int) -> float:
        """Label score of two label ids (cached)."""
        if a == b:
            return 1.0
        if a > b:
            a, b = b, a
        key = a * len(self.exact_key) + b
        s = self._lab.get(key)
        if s is not None:
            return s
        if self.exact_key[a] == self.exact_key[b]:
            s = 1.0
        else:
            sa, sb = self.stem_sets[a], self.stem_sets[b]
            total = self._idf_sum[a] + self._idf_sum[b]
            dice = 0.0
            if sa and sb and total:
                idf = self._word_idf
                dice = 2.0 * sum(idf[w] for w in sa & sb) / total
            s = 0.5 * self.tfidf.cosine(a, b) + 0.5 * dice
            if self.embeddings is not None:
                s = 0.5 * s + 0.5 * max(0.0, dot(self.embeddings[a], self.embeddings[b]))
        self._lab[key] = s
        return s

    def label_score(self, i: int, j: int) -> float:
        a, b = self.lid[i], self.lid[j]
        if a == b or (self._root[i] and self._root[j]):
            return 1.0  # identical labels; roots match by definition
        return self.lid_score(a, b)

    def _ranked_labels(self, lid: int, k: int) -> tuple[list[int], list[int]]:
        """Most similar other label ids: by char n-gram postings, and by shared word stems."""
        cap = blocking_cap(len(self.items))
        rough = self.tfidf.accumulate(lid, cap=cap, budget=BLOCK_BUDGET)
        rough.pop(lid, None)
        by_grams = [m for m, _ in heapq.nlargest(k, rough.items(), key=_second)]
        acc: dict[int, float] = {}
        get = acc.get
        walked = 0
        word_df = self.word_df
        for w in sorted(self.stem_sets[lid], key=lambda w: (word_df[w], w)):  # rarest first
            if word_df[w] > cap or walked >= BLOCK_BUDGET:
                break
            post = self._stem_post[w]
            walked += len(post)
            wt = self._word_idf[w]
            for m in post:
                acc[m] = get(m, 0.0) + wt
        acc.pop(lid, None)
        by_stems = [m for m, _ in heapq.nlargest(k, acc.items(), key=_second)]
        return by_grams, by_stems

    def _take(self, i: int, lids: list[int], k: int, pairs: set[Pair]) -> None:
        """Pair item ``i`` with the first ``k`` items of other trees under ``lids``."""
        tree = self.items[i].tree
        taken = 0
        for m in lids:
            for t, js in self.members[m].items():
                if t == tree:
                    continue
                for j in js:
                    pairs.add((i, j) if i < j else (j, i))
                    taken += 1
                    if taken >= k:
                        return

    def candidates(self, matchable: Iterable[int], *, k: int = 5, floor: float = 0.3) -> set[Pair]:
        """Cross-tree candidate pairs from the inverted indexes plus one flooding step.

        Also fills :attr:`known` (candidate pair -> label score), which structural evidence
        and :meth:`fast_score` read.
        """
        items = self.items
        pairs: set[Pair] = set()
        self._stem_post: dict[str, list[int]] = {}
        for lid, stems in enumerate(self.stem_sets):
            for w in stems:
                self._stem_post.setdefault(w, []).append(lid)
        # label ids in rank order; a label's own other nodes come first (they are identical)
        ranked: dict[int, tuple[list[int], list[int]]] = {}
        pool = max(3 * k, 10)  # labels to rank: enough to fill k nodes of other trees
        for i in matchable:
            lid = self.lid[i]
            got = ranked.get(lid)
            if got is None:
                got = ranked[lid] = self._ranked_labels(lid, pool)
            by_grams, by_stems = got
            self._take(i, [lid, *by_grams], k, pairs)
            self._take(i, [lid, *by_stems], k, pairs)
        roots = [i for i, it in enumerate(items) if it.is_root]
        for x in roots:
            for y in roots:
                if x < y and items[x].tree != items[y].tree:
                    pairs.add((x, y))
        known = self.known
        for p in pairs:
            known[p] = self.label_score(*p)
        # one flooding step, both ways: the children and the parents of every plausible pair
        # become candidates (similar problems under similar parents, similar parents of
        # similar problems), however differently they are worded
        flooded: set[Pair] = set()
        for i, j in self._flood_sources(floor):
            a, b = items[i], items[j]
            for ci, cj in ((a.children, b.children), (a.parents, b.parents)):
                if not ci or not cj or len(ci) * len(cj) > FLOOD_MAX_PAIRS:
                    continue
                for x in ci:
                    tx = items[x].tree
                    for y in cj:
                        if items[y].tree != tx:
                            flooded.add((x, y) if x < y else (y, x))
        for p in flooded:
            if p not in known:
                known[p] = self.label_score(*p)
                pairs.add(p)
        return pairs

    def _flood_sources(self, floor: float) -> list[Pair]:
        """The pairs whose neighbourhoods are flooded: each node's best ``FLOOD_TOP`` pairs
        by label score, if at least ``floor`` (a pair that is neither node's plausible match
        is no evidence that their children or parents match)."""
        best: dict[int, list[tuple[float, Pair]]] = {}
        for p, lab in self.known.items():
            if lab < floor:
                continue
            for x in p:
                heap = best.get(x)
                if heap is None:
                    best[x] = [(lab, p)]
                elif len(heap) < FLOOD_TOP:
                    heapq.heappush(heap, (lab, p))
                elif lab > heap[0][0]:
                    heapq.heapreplace(heap, (lab, p))
        return sorted({p for heap in best.values() for _, p in heap})

    def restrict(self, keep: set[Pair]) -> None:
        """Forget candidate pairs outside ``keep`` (they give no structural evidence)."""
        self.known = {p: s for p, s in self.known.items() if p in keep}

    def _evidence(self, i: int, j: int) -> tuple[float | None, float | None]:
        """Parents and children evidence of a pair, from the candidate pairs' label scores."""
        items, known = self.items, self.known
        a, b = items[i], items[j]
        parents: float | None = None
        if a.parents and b.parents:
            best = 0.0
            for p in a.parents:
                for q in b.parents:
                    s = known.get((p, q) if p < q else (q, p), 0.0)
                    if s and items[p].is_root and items[q].is_root:
                        s *= ROOT_PARENT_WEIGHT
                    if s > best:
                        best = s
            parents = best
        children: float | None = None
        if a.children and b.children:
            small, big = a.children, b.children
            if len(small) > len(big):
                small, big = big, small
            total = 0.0
            for c in small:
                m = 0.0
                for d in big:
                    s = known.get((c, d) if c < d else (d, c), 0.0)
                    if s > m:
                        m = s
                total += m
            children = total / len(big)
        return parents, children

    def fast_score(self, i: int, j: int) -> float:
        """The final score of a candidate pair, without building its explanation."""
        lab = self.known.get((i, j))
        if lab is None:
            lab = self.label_score(i, j)
        if lab >= 1.0:
            return 1.0
        parents, children = self._evidence(i, j)
        return combine(lab, parents, children)

    def subset(self, i: int, j: int) -> bool:
        """Subset-like labels ("alignment" vs "deceptive alignment"): never auto-merged."""
        lab = self.label_score(i, j)
        return lab < 1.0 and is_subset_like(self.items[i].stems, self.items[j].stems)

    def score(self, i: int, j: int) -> Scored:
        """Final score with its components (for matches and suggestions)."""
        lab = self.label_score(i, j)
        parents, children = self._evidence(i, j)
        exact = lab >= 1.0
        subset = not exact and is_subset_like(self.items[i].stems, self.items[j].stems)
        return Scored(combine(lab, parents, children), lab, parents, children, subset, exact)


def _second(t: tuple[int, float]) -> float:
    return t[1]
