"""Analysis layer: candidate pairs and explainable match scores for merging problem trees.

Labels are normalised and alias-expanded, then scored by char 3-5 gram TF-IDF cosine and an
IDF-weighted word overlap (optionally blended with sentence embeddings). Candidates come from
inverted indexes (char n-grams and word stems), never all-pairs; one step of similarity
flooding adds the child pairs of every plausible parent pair, which finds problems written in
different words under matching parents. Structural evidence (parents match, children match)
then raises a pair's score; every component is kept for the explanation.

Speed (5 trees x 2,000 nodes in about a second of CPU, bench/RESULTS_analysis.md):
everything textual is computed once per distinct *label* (the same problem is usually
written the same way in several trees), not per node: normalisation, stems, the TF-IDF
vector (document frequencies still count nodes, so scores are the same as per-node vectors),
the blocking look-ups and the label score of a pair of labels. Blocking ranks labels, and
each node then takes a fixed number of new pairs with nodes of other trees from that
ranking. Pairs are ints, not tuples; structural evidence reads the label scores of the
candidate pairs from one dict in one inlined loop (:meth:`Matcher.ranked`), and the
explanation (a :class:`Scored`) is only built for pairs that are shown (matches and
suggestions). Pairs are scored, kept and ranked in pair order, and the ranking is two flat
arrays (:class:`Ranked`): at 5 x 4,000 nodes the merge's objects no longer fit the L3 cache,
and what costs time beyond the instruction count is reading them in hash order. For the same
reason what the pair loops read per item (its label, its tree, its only parent, its
children, the items of a label) is kept in flat ``array`` columns too: reading an array
touches consecutive memory, reading a list of ints touches each int object wherever it was
made, and at 5 x 4,000 nodes those misses, not instructions, were what made twice the
nodes cost more than twice the time (bench/RESULTS_analysis.md, round 7). Sums over
sets use ``math.fsum`` (exactly rounded), so scores and rankings do not depend on
``PYTHONHASHSEED``.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from math import fsum
from operator import mul
from typing import Any

import numpy as np

from trees.analysis.glossary import Glossary
from trees.analysis.similarity import (
    Embedder,
    TfIdf,
    blocking_cap,
    char_grams,
    content_stems,
    normalise,
)
from trees.analysis.vocabulary import Vocabulary, starter_vocabulary

ROOT_PARENT_WEIGHT = 0.5  # every top-level problem shares the root: weak evidence
PARENT_WEIGHT = 0.3
CHILD_WEIGHT = 0.3
FLOOD_MAX_PAIRS = 100  # a parent pair with more child pairs than this is not flooded
BLOCK_BUDGET = 100  # postings walked per label when collecting char n-gram candidates
NO_PARENT, MANY_PARENTS = -1, -2  # Matcher._parent1 of an item with no parent, or several
# Meaning (sentence embeddings): the cosine of two labels' embeddings counts from
# MEANING_FLOOR (unrelated labels of the static model are about 0 apart) and in full from
# MEANING_CEILING (its paraphrases rarely reach 0.7), and weighs MEANING_WEIGHT in the
# label score.
MEANING_FLOOR = 0.0
MEANING_CEILING = 0.7
MEANING_WEIGHT = 0.6
EXACT_NEIGHBOURS_MAX = 4096  # labels up to which nearest neighbours in meaning are exact
CELL_SIZE = 128  # above it: labels per cell of the inverted-file index, cells probed per label
CELL_PROBES = 8


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

    def explain(self, components: dict[str, float] | None = None) -> str:
        """The one-line explanation, e.g. "labels 0.48, parents 0.83" (``components``: this
        pair's, when already built)."""
        parts = [f"{k} {v:.2f}" for k, v in (components or self.components()).items()]
        if self.subset:
            parts.append("one label contains the other: review only")
        return ", ".join(parts)


@dataclass(slots=True)
class Ranked:
    """Scored candidate pairs, best first, as two flat arrays: ``negs[k]`` is minus the score
    of the pair ``pairs[k]`` (``i * n + j``).

    16 bytes a pair, read in order by the automatic matches and the suggestions; a list of
    ``(-score, i, j)`` tuples took about 150 bytes a pair in objects scattered over the heap
    (14 MB for 5 x 4,000 nodes, when the merge's memory no longer fits the L3 cache).
    """

    negs: array[float]
    pairs: array[int]
    n: int

    def __len__(self) -> int:
        return len(self.pairs)

    def __iter__(self) -> Iterator[tuple[float, int, int]]:
        """``(-score, i, j)``, best first."""
        n = self.n
        for neg, p in zip(self.negs, self.pairs, strict=True):
            i, j = divmod(p, n)
            yield neg, i, j


def nearest_in_meaning(
    emb: np.ndarray[Any, np.dtype[np.float32]], k: int
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """For each row of ``emb`` (unit vectors) the ``k`` other rows of highest cosine, best
    first (ties: the lower row), as an ``(n, k)`` array (-1 pads when there are fewer).

    Exact up to :data:`EXACT_NEIGHBOURS_MAX` rows (a product of the matrix with itself, by
    blocks); above, an inverted-file index keeps the cost linear: rows are assigned to cells
    around ``n / CELL_SIZE`` centres (two rounds of spherical k-means from evenly spaced
    rows, deterministic), and the rows of a cell are compared with the rows of the
    :data:`CELL_PROBES` cells whose centres are nearest to its own (itself included) only,
    one matrix product per cell.
    """
    n = len(emb)
    out = np.full((n, k), -1, dtype=np.int64)
    if n < 2 or k < 1:
        return out
    if n <= EXACT_NEIGHBOURS_MAX:
        for lo in range(0, n, 1024):
            sims = emb[lo : lo + 1024] @ emb.T
            rows = np.arange(lo, min(lo + 1024, n))
            sims[rows - lo, rows] = -np.inf
            out[lo : lo + 1024] = _top_k(sims, np.broadcast_to(np.arange(n), sims.shape), k)
        return out
    cells = max(2, n // CELL_SIZE)
    centres = emb[np.linspace(0, n - 1, cells).astype(np.int64)]
    for _ in range(2):
        assign = np.concatenate(
            [np.argmax(emb[lo : lo + 4096] @ centres.T, axis=1) for lo in range(0, n, 4096)]
        )
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, emb)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.where(norms > 0, norms, 1.0), centres)
    probes = min(CELL_PROBES, cells)
    assign = np.concatenate(
        [np.argmax(emb[lo : lo + 4096] @ centres.T, axis=1) for lo in range(0, n, 4096)]
    )
    members = [np.flatnonzero(assign == c) for c in range(cells)]
    # the rows of one cell are compared, in one matrix product, with the rows of the
    # cells nearest to its centre (itself first)
    near_cells = np.argsort(-(centres @ centres.T), axis=1, kind="stable")[:, :probes]
    for c in range(cells):
        rows = members[c]
        if not len(rows):
            continue
        js = np.concatenate([members[d] for d in near_cells[c]])
        sims = emb[rows] @ emb[js].T
        sims[rows[:, None] == js[None, :]] = -np.inf
        out[rows] = _top_k(sims, np.broadcast_to(js, sims.shape), k)
    return out


def _top_k(
    sims: np.ndarray[Any, Any], ids: np.ndarray[Any, Any], k: int
) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The ``k`` best ids of each row (best first, ties: the lower id; -1 pads)."""
    rows, m = sims.shape
    out = np.full((rows, k), -1, dtype=np.int64)
    kk = min(k, m)
    if m > 4 * k:  # the best 2k of each row first (a partition is linear), then sort those
        part = np.argpartition(-sims, 2 * k, axis=1)[:, : 2 * k]
        sims = np.take_along_axis(sims, part, axis=1)
        ids = np.take_along_axis(ids, part, axis=1)
    # sort by (-sim, id): lexsort sorts by its last key first
    order = np.lexsort((ids, -sims), axis=1)[:, :kk]
    picked = np.take_along_axis(ids, order, axis=1)
    ok = np.take_along_axis(sims, order, axis=1) > -np.inf
    out[:, :kk] = np.where(ok, picked, -1)
    return out


def meaning(cosine: float, concept: float = 0.0) -> float:
    """How alike two labels are in meaning, in 0..1: their embeddings' cosine scaled from
    :data:`MEANING_FLOOR` (nothing) to :data:`MEANING_CEILING` (all), or ``concept`` (both
    read as one failure mode of the vocabulary) when higher."""
    scaled = (cosine - MEANING_FLOOR) / (MEANING_CEILING - MEANING_FLOOR)
    return max(0.0, min(1.0, max(scaled, concept)))


def blend(text: float, cosine: float, concept: float = 0.0) -> float:
    """A label score from the word score and the meaning evidence (:func:`meaning`)."""
    return (1.0 - MEANING_WEIGHT) * text + MEANING_WEIGHT * meaning(cosine, concept)


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
    """Scores cross-tree pairs of items.

    A pair is ``(i, j)`` with ``i < j``; internally it is the int ``i * n + j`` (``n`` items),
    which hashes and compares much faster than a tuple and sorts in the same order.
    """

    def __init__(
        self,
        items: list[Item],
        glossary: Glossary,
        embedder: Embedder | None = None,
        vocabulary: Vocabulary | None = None,
    ) -> None:
        self.items = items
        self.n = n = len(items)
        self._root = [it.is_root for it in items]
        self._parents = [it.parents for it in items]
        # the same structure as flat arrays, for the hot loop of ranked(): an item's only
        # parent (NO_PARENT, or MANY_PARENTS: read its list), and the children of item i at
        # _kids[_kid_start[i]:_kid_start[i + 1]]. Reading them touches consecutive memory;
        # the per-item lists and their ints lie all over the heap, and reading them in pair
        # order missed the cache more the more items there were (ranked() cost 2.8x for
        # twice the items).
        self._parent1 = array(
            "q",
            (
                it.parents[0] if len(it.parents) == 1 else MANY_PARENTS if it.parents else NO_PARENT
                for it in items
            ),
        )
        self._kids = array("q")
        self._kid_start = array("q", [0])
        for it in items:
            self._kids.extend(it.children)
            self._kid_start.append(len(self._kids))
        raw = list(dict.fromkeys(it.label for it in items))
        for label in raw:
            glossary.harvest(label)
        prepared: dict[str, tuple[str, list[str]]] = {}
        for label in raw:
            norm = glossary.expand(normalise(label))
            prepared[label] = (norm, content_stems(norm))
        # one "label id" per distinct compared text (per distinct wording with embeddings)
        lid_of: dict[str, int] = {}
        self.lid: array[int] = array("q")  # item -> label id (flat: read in pair order)
        self.exact_key: list[str] = []  # equal keys = identical normalised label or stems
        self.text: list[str] = []
        self.stem_sets: list[frozenset[str]] = []
        self._stem_order: list[tuple[str, ...]] = []  # the same stems, in a fixed order
        self.raw: list[str] = []
        self.weight: list[int] = []  # nodes per label id
        members: list[dict[Any, list[int]]] = []  # label id -> tree -> items
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
                self._stem_order.append(tuple(dict.fromkeys(stems)))
                self.raw.append(it.label)
                self.weight.append(0)
                members.append({})
            self.lid.append(lid)
            self.weight[lid] += 1
            members[lid].setdefault(it.tree, []).append(idx)
        # for _take, as flat arrays: the items of label m, grouped by tree, at
        # _lab_items[_lab_start[m]:_lab_start[m + 1]], and each item's tree as a number
        trees: dict[Any, int] = {}
        self._tree_no = array("q", (trees.setdefault(it.tree, len(trees)) for it in items))
        self._lab_items = array("q")
        self._lab_start = array("q", [0])
        for by_tree in members:
            for js in by_tree.values():
                self._lab_items.extend(js)
            self._lab_start.append(len(self._lab_items))
        pool: dict[str, str] = {}
        tfidf = TfIdf([char_grams(t, pool=pool) for t in self.text], weights=self.weight)
        self.tfidf: TfIdf | None = tfidf  # None after release_text()
        self._vectors = tfidf.vectors
        self._df = tfidf.df
        # blocking indexes, built by candidates(): rare n-gram -> (labels, weights), stem ->
        # labels
        self._gram_post: dict[str, tuple[array[int], array[float]]] = {}
        self._stem_post: dict[str, list[int]] = {}
        wdf: dict[str, int] = {}
        get = wdf.get
        for lid, stems_ in enumerate(self._stem_order):
            wt = self.weight[lid]
            for w in stems_:
                wdf[w] = get(w, 0) + wt
        self.word_df = Counter(wdf)
        self._word_idf = {w: 1.0 + math.log((1 + n) / (1 + c)) for w, c in wdf.items()}
        idf = self._word_idf
        # fsum: exactly rounded, so no score depends on the order a set is iterated in
        self._idf_sum = array("d", [math.fsum(map(idf.__getitem__, s)) for s in self._stem_order])
        # equal numbers = equal exact keys (read per candidate pair: ints in a flat array, not
        # strings all over the heap)
        exact_no: dict[str, int] = {}
        self._exact_no = array("q", (exact_no.setdefault(k, len(exact_no)) for k in self.exact_key))
        # one unit row per label id (float32), or None without a model
        self.embeddings: np.ndarray[Any, np.dtype[np.float32]] | None = (
            np.asarray(embedder(self.raw), dtype=np.float32) if embedder and self.raw else None
        )
        # with a model, meaning also counts the failure mode each label reads as (its
        # index in the vocabulary, -1 for none) and how strongly (capped at 1)
        self._mode_no = np.full(len(self.raw), -1, dtype=np.int64)
        self._mode_w = np.zeros(len(self.raw), dtype=np.float64)
        if self.embeddings is not None:
            vocab = vocabulary if vocabulary is not None else starter_vocabulary()
            index = {m.id: k for k, m in enumerate(vocab.modes)}
            for lid, label in enumerate(self.raw):
                found = vocab.best(label)
                if found is not None:
                    self._mode_no[lid] = index[found.mode.id]
                    self._mode_w[lid] = min(1.0, found.score)
        # label-pair score, key a * L + b with a < b: lid_score() only (the candidate pairs are
        # scored in label-pair order without it, see _label_scores)
        self._lab: dict[int, float] = {}
        # candidate pair (i * n + j) -> label score, in pair order (ranked() relies on it)
        self.known: dict[int, float] = {}

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
        if s is None:
            s = self._lab[key] = self._lid_score(a, b)
        return s

    def _lid_score(self, a: int, b: int) -> float:
        s = self._text_score(a, b)
        if self.embeddings is not None and s < 1.0:
            # the same array operation as for the candidate pairs: the same float
            s = self._blend_many([a * len(self.exact_key) + b], [s])[0]
        return s

    def _text_score(self, a: int, b: int) -> float:
        """The word score of two label ids: char n-gram cosine and word overlap, half each
        (1.0 for identical labels)."""
        if self._exact_no[a] == self._exact_no[b]:
            return 1.0
        # fsum is exactly rounded: no score depends on the order a set is iterated in
        va, vb = self._vectors[a], self._vectors[b]
        common = va.keys() & vb.keys()
        cosine = fsum(map(mul, map(va.__getitem__, common), map(vb.__getitem__, common)))
        dice = 0.0
        shared = self.stem_sets[a] & self.stem_sets[b]
        if shared:
            dice = (
                2.0
                * fsum(map(self._word_idf.__getitem__, shared))
                / (self._idf_sum[a] + self._idf_sum[b])
            )
        return 0.5 * cosine + 0.5 * dice

    def _label_scores(self, keys: list[int]) -> list[float]:
        """Label scores of candidate pairs, in the order given (the hot loop of blocking).

        Computed in label-pair order, once per distinct pair of labels: the pairs of one
        label are then consecutive (its n-gram vector stays in the cache while its partners
        are scored), and no dict of label pairs is needed (half the pairs of nodes repeat a
        pair of labels, from identical labels in several trees).
        """
        n, lid, root = self.n, self.lid, self._root
        size = len(self.exact_key)
        m = len(keys)
        out = [1.0] * m  # identical labels, and roots, score 1.0
        # the other pairs as one int each, label pair (a * size + b, a < b) * m + position:
        # sorted, they come in label-pair order (ties by position) and are read in sequence
        todo: list[int] = []
        for pos, p in enumerate(keys):
            i, j = divmod(p, n)
            a, b = lid[i], lid[j]
            if a == b or (root[i] and root[j]):
                continue
            todo.append((a * size + b if a < b else b * size + a) * m + pos)
        todo.sort()
        compute = self._text_score
        last, s = -1, 0.0
        if self.embeddings is None:
            for code in todo:
                key, pos = divmod(code, m)
                if key != last:
                    last = key
                    s = compute(*divmod(key, size))
                out[pos] = s
            return out
        # with a model: the word scores first, then the cosines of all the label pairs in
        # one array operation (a dot product per pair in Python would cost more than the rest)
        pairs: list[int] = []
        texts: list[float] = []
        for code in todo:
            key = code // m
            if key != last:
                last = key
                pairs.append(key)
                texts.append(compute(*divmod(key, size)))
        blended = self._blend_many(pairs, texts)
        k = -1
        last = -1
        for code in todo:
            key, pos = divmod(code, m)
            if key != last:
                last = key
                k += 1
            out[pos] = blended[k]
        return out

    def _blend_many(self, keys: list[int], texts: list[float]) -> list[float]:
        """:func:`blend` of each label pair's word score with its cosine (same floats as
        :meth:`_lid_score`)."""
        emb = self.embeddings
        assert emb is not None
        size = len(self.exact_key)
        codes = np.asarray(keys, dtype=np.int64)
        a, b = np.divmod(codes, size)
        out: list[float] = []
        step = 65536  # pairs per block: two blocks of rows stay a few MB
        for lo in range(0, len(keys), step):
            ea, eb = emb[a[lo : lo + step]], emb[b[lo : lo + step]]
            cos = np.einsum("ij,ij->i", ea, eb).tolist()
            ma, mb = self._mode_no[a[lo : lo + step]], self._mode_no[b[lo : lo + step]]
            concept = np.where(
                (ma == mb) & (ma >= 0),
                np.minimum(self._mode_w[a[lo : lo + step]], self._mode_w[b[lo : lo + step]]),
                0.0,
            ).tolist()
            for t, c, m in zip(texts[lo : lo + step], cos, concept, strict=True):
                out.append(t if t >= 1.0 else blend(t, c, m))
        return out

    def label_score(self, i: int, j: int) -> float:
        a, b = self.lid[i], self.lid[j]
        if a == b or (self._root[i] and self._root[j]):
            return 1.0  # identical labels; roots match by definition
        s = self.known.get(i * self.n + j if i < j else j * self.n + i)
        return s if s is not None else self.lid_score(a, b)

    def release_text(self) -> None:
        """Free the n-gram vectors, postings and label-pair cache once every candidate pair
        is scored (their label scores stay in :attr:`known`): the merge then builds its
        suggestions and DAG in the memory they held. Pairs outside :attr:`known` cannot be
        scored afterwards."""
        self._lab = {}
        self.tfidf = None
        self._vectors = []
        self._df = Counter()
        self._gram_post = {}
        self._stem_post = {}

    def _ranked_labels(self, lid: int, k: int, cap: int) -> tuple[list[int], list[int]]:
        """Most similar other label ids: by char n-gram postings, and by shared word stems.

        Prefix filtering: the rarest features first, at most ``BLOCK_BUDGET`` postings, none
        of a feature in more than ``cap`` texts (the sums of :meth:`TfIdf.accumulate`).
        """
        vec = self._vectors[lid]
        gram_post = self._gram_post
        rough: dict[int, float] = {}
        add = rough.get
        walked = 0
        for f in sorted(filter(gram_post.__contains__, vec), key=self._df.__getitem__):
            if walked >= BLOCK_BUDGET:
                break
            js, ws = gram_post[f]
            walked += len(js)
            wf = vec[f]
            if not rough:  # the rarest feature: nothing to add to yet (0.0 + x is x), in C
                rough.update(zip(js, map(mul, repeat(wf), ws), strict=True))
                continue
            for j, wj in zip(js, ws, strict=True):
                rough[j] = add(j, 0.0) + wf * wj
        rough.pop(lid, None)
        # = heapq.nlargest(k, ...) (ties in walk order), but sorted in C
        by_grams = sorted(rough, key=rough.__getitem__, reverse=True)[:k]
        acc: dict[int, float] = {}
        get = acc.get
        walked = 0
        word_df = self.word_df
        for w in sorted(self._stem_order[lid], key=lambda w: (word_df[w], w)):  # rarest first
            if word_df[w] > cap or walked >= BLOCK_BUDGET:
                break
            post = self._stem_post[w]
            walked += len(post)
            wt = self._word_idf[w]
            if not acc:  # as for the n-grams: the rarest stem's postings in one C call
                acc.update(zip(post, repeat(wt)))
                continue
            for m in post:
                acc[m] = get(m, 0.0) + wt
        acc.pop(lid, None)
        by_stems = sorted(acc, key=acc.__getitem__, reverse=True)[:k]
        return by_grams, by_stems

    def _take(self, i: int, tree_no: int, lids: list[int], k: int, pairs: set[int]) -> None:
        """Pair item ``i`` (of tree number ``tree_no``) with the first ``k`` items of other
        trees under ``lids`` that are not candidates yet (added to ``pairs``).

        Only new pairs count: an item whose best partners already proposed it (a match is
        usually in both rankings) takes the next ones, so every item brings ``k`` pairs and
        the candidates grow with the items, not faster (with a quota of all pairs, dense data
        gave each item more distinct pairs: 2.19x the pairs for 2x the items).
        """
        n = self.n
        lab_items, lab_start, tree_of = self._lab_items, self._lab_start, self._tree_no
        taken = 0
        for m in lids:
            for j in lab_items[lab_start[m] : lab_start[m + 1]]:
                if tree_of[j] == tree_no:
                    continue
                p = i * n + j if i < j else j * n + i
                if p in pairs:
                    continue
                pairs.add(p)
                taken += 1
                if taken >= k:
                    return

    def candidates(
        self,
        matchable: Iterable[int],
        *,
        by_grams: int = 4,
        by_stems: int = 2,
        by_meaning: int = 2,
        floor: float = 0.3,
    ) -> int:
        """Cross-tree candidate pairs from the inverted indexes plus one flooding step.

        Each item brings ``by_grams`` new pairs from its label's char n-gram ranking and
        ``by_stems`` from its word-stem ranking (:meth:`_take`), and with a model
        ``by_meaning`` from its label's nearest labels in meaning (:func:`nearest_in_meaning`;
        paraphrases share no n-gram): a fixed number of pairs per item, so the candidates
        grow linearly with the items.

        Fills :attr:`known` (candidate pair -> label score), which structural evidence and
        :meth:`ranked` read, and returns how many pairs it holds.
        """
        items = self.items
        n = self.n
        self._stem_post = {}
        for lid, stems in enumerate(self._stem_order):
            for w in stems:
                self._stem_post.setdefault(w, []).append(lid)
        # label ids in rank order; a label's own other nodes come first (they are identical)
        ranked: dict[int, tuple[list[int], list[int]]] = {}
        pool = 15  # labels to rank: enough to fill the quotas with nodes of other trees
        cap = blocking_cap(n)
        if self.tfidf is None:
            raise RuntimeError("candidates() after release_text()")
        self._gram_post = self.tfidf.compact_postings(cap)
        found: set[int] = set()
        matchable = list(matchable)
        lids, tree_no = self.lid, self._tree_no
        # ranked in label order: the labels' vectors were built, and lie in memory, in it
        for lid in sorted({lids[i] for i in matchable}):
            ranked[lid] = self._ranked_labels(lid, pool, cap)
        near: list[list[int]] | None = None
        if self.embeddings is not None and by_meaning > 0:
            near = self._near_in_meaning(pool)
        for i in matchable:
            lid = lids[i]
            grams_, stems_ = ranked[lid]
            self._take(i, tree_no[i], [lid, *grams_], by_grams, found)
            self._take(i, tree_no[i], [lid, *stems_], by_stems, found)
            if near is not None:
                self._take(i, tree_no[i], [lid, *near[lid]], by_meaning, found)
        # the blocking indexes are done with: label scores and flooding work in their memory
        del ranked
        self._gram_post = {}
        self._stem_post = {}
        roots = [i for i, it in enumerate(items) if it.is_root]
        for x in roots:
            for y in roots:
                if x < y and tree_no[x] != tree_no[y]:
                    found.add(x * n + y)
        # pair order, not hash order: see _label_scores, and :attr:`known` is kept in it
        first = sorted(found)
        del found
        first_scores = self._label_scores(first)
        # one flooding step, both ways: the children and the parents of every plausible pair
        # become candidates (similar problems under similar parents, similar parents of
        # similar problems), however differently they are worded
        flooded: set[int] = set()
        kids, kid_start = self._kids, self._kid_start
        for p in self._flood_sources(first, first_scores, floor):
            i, j = divmod(p, n)
            for ci, cj in (
                (kids[kid_start[i] : kid_start[i + 1]], kids[kid_start[j] : kid_start[j + 1]]),
                (self._parents_of(i), self._parents_of(j)),
            ):
                if not ci or not cj or len(ci) * len(cj) > FLOOD_MAX_PAIRS:
                    continue
                for x in ci:
                    tx = tree_no[x]
                    for y in cj:
                        if tree_no[y] != tx:
                            flooded.add(x * n + y if x < y else y * n + x)
        flooded.difference_update(first)
        extra = sorted(flooded)
        keys, scores = first + extra, first_scores + self._label_scores(extra)
        # two sorted runs: this sort is one linear merge
        order = sorted(range(len(keys)), key=keys.__getitem__)
        # fresh int and float objects, made in pair order: ranking and the suggestions read
        # the pairs in that order, and the objects made while blocking lie in the order the
        # items were visited, all over the heap
        self.known = {keys[k] + 0: scores[k] + 0.0 for k in order}
        return len(self.known)

    def _near_in_meaning(self, k: int) -> list[list[int]]:
        """For each label id the other label ids nearest in meaning: first the nearest of
        those that read as the same failure mode (nearest by cosine among them), then the
        nearest by cosine."""
        emb = self.embeddings
        assert emb is not None
        near = [[m for m in row if m >= 0] for row in nearest_in_meaning(emb, k).tolist()]
        modes = self._mode_no
        groups: dict[int, list[int]] = {}
        for lid, m in enumerate(modes.tolist()):
            if m >= 0:
                groups.setdefault(m, []).append(lid)
        for members in groups.values():
            if len(members) < 2:
                continue
            ids = np.asarray(members, dtype=np.int64)
            for lid, row in zip(members, nearest_in_meaning(emb[ids], k).tolist(), strict=True):
                mates = [members[m] for m in row if m >= 0]
                near[lid] = mates + [m for m in near[lid] if m not in mates]
        return near

    def _parents_of(self, i: int) -> Sequence[int]:
        """Item ``i``'s parents, from the flat array when it has one or none."""
        p = self._parent1[i]
        if p >= 0:
            return (p,)
        return () if p == NO_PARENT else self._parents[i]

    def _flood_sources(self, pairs: list[int], labs: list[float], floor: float) -> list[int]:
        """The pairs whose neighbourhoods are flooded: each node's best pair by label score
        (ties: the larger pair), if at least ``floor``.

        Only the best: a pair that is neither node's most likely match is weak evidence that
        their children or parents match. (The 2nd and 3rd best pairs, flooded until now,
        added 39% more candidate pairs for 5 x 2,000 nodes and found nothing more, on the
        quality set nor on the synthetic bench trees.)
        """
        n = self.n
        # flat arrays: written in pair order, at items all over the range
        best_lab = array("d", [-1.0]) * n
        best_pair = array("q", [-1]) * n
        for p, lab in zip(pairs, labs, strict=True):
            if lab < floor:
                continue
            for x in divmod(p, n):
                if lab > best_lab[x] or (lab == best_lab[x] and p > best_pair[x]):
                    best_lab[x] = lab
                    best_pair[x] = p
        return sorted(set(best_pair).difference((-1,)))

    def drop_within(self, group: Container[int]) -> None:
        """Forget the candidate pairs with both items in ``group`` (and their evidence)."""
        n = self.n
        self.known = {
            p: s for p, s in self.known.items() if not (p // n in group and p % n in group)
        }

    def _evidence(self, i: int, j: int) -> tuple[float | None, float | None]:
        """Parents and children evidence of a pair, from the candidate pairs' label scores."""
        known, n = self.known, self.n
        pa, pb = self._parents_of(i), self._parents_of(j)
        parents: float | None = None
        if pa and pb:
            root = self._root
            best = 0.0
            for p in pa:
                for q in pb:
                    s = known.get(p * n + q if p < q else q * n + p, 0.0)
                    if s and root[p] and root[q]:
                        s *= ROOT_PARENT_WEIGHT
                    if s > best:
                        best = s
            parents = best
        children: float | None = None
        kids, start = self._kids, self._kid_start
        small, big = kids[start[i] : start[i + 1]], kids[start[j] : start[j + 1]]
        if small and big:
            if len(small) > len(big):
                small, big = big, small
            total = 0.0
            for c in small:
                m = 0.0
                for d in big:
                    s = known.get(c * n + d if c < d else d * n + c, 0.0)
                    if s > m:
                        m = s
                total += m
            children = total / len(big)
        return parents, children

    def ranked(self, floor: float) -> Ranked:
        """The candidate pairs scoring at least ``floor``, best first (ties by pair); the
        explanation of a pair (:meth:`score`) is built only when shown.

        The hot loop of scoring: :meth:`_evidence` and :func:`combine` are inlined (the
        scores are the same floats as :meth:`score` gives, see the tests).
        """
        n, known = self.n, self.known
        get = known.get
        parents, root = self._parents, self._root
        parent1, kids, kid_start = self._parent1, self._kids, self._kid_start
        kept: list[int] = []  # pairs, in pair order
        negs: list[float] = []  # their -score
        keep, put = kept.append, negs.append
        for p, lab in known.items():  # in pair order
            if lab >= 1.0:
                keep(p)
                put(-1.0)
                continue
            i, j = divmod(p, n)
            bonus = 0.0
            x, y = parent1[i], parent1[j]
            if x >= 0 and y >= 0:  # one parent each: almost every pair
                s = get(x * n + y if x < y else y * n + x, 0.0)
                if s and root[x] and root[y]:
                    s *= ROOT_PARENT_WEIGHT
                bonus = PARENT_WEIGHT * (s if s > 0.0 else 0.0)
            elif x != NO_PARENT and y != NO_PARENT:
                best = 0.0
                for x in parents[i]:
                    for y in parents[j]:
                        s = get(x * n + y if x < y else y * n + x, 0.0)
                        if s and root[x] and root[y]:
                            s *= ROOT_PARENT_WEIGHT
                        if s > best:
                            best = s
                bonus = PARENT_WEIGHT * best
            a, a_end, b, b_end = kid_start[i], kid_start[i + 1], kid_start[j], kid_start[j + 1]
            if a < a_end and b < b_end:
                if a_end - a > b_end - b:
                    a, a_end, b, b_end = b, b_end, a, a_end
                big = kids[b:b_end]
                total = 0.0
                for x in kids[a:a_end]:
                    m = 0.0
                    for y in big:
                        s = get(x * n + y if x < y else y * n + x, 0.0)
                        if s > m:
                            m = s
                    total += m
                bonus += CHILD_WEIGHT * (total / (b_end - b))
            gate = 0.5 + 0.5 * min(1.0, lab / 0.5)
            score = min(1.0, lab + (1.0 - lab) * gate * bonus)
            if score >= floor:
                keep(p)
                put(-score)
        # the pairs are in pair order already: a stable sort on the scores alone (a C fast
        # path for floats) breaks ties by pair
        order = sorted(range(len(kept)), key=negs.__getitem__)
        return Ranked(
            array("d", map(negs.__getitem__, order)), array("q", map(kept.__getitem__, order)), n
        )

    def fast_score(self, i: int, j: int) -> float:
        """The final score of a pair, without building its explanation."""
        lab = self.label_score(i, j)
        if lab >= 1.0:
            return 1.0
        return combine(lab, *self._evidence(i, j))

    def _subset_like(self, i: int, j: int) -> bool:
        """:func:`is_subset_like` on the items' stems (kept as sets per label)."""
        sa, sb = self.stem_sets[self.lid[i]], self.stem_sets[self.lid[j]]
        return sa != sb and bool(sa) and bool(sb) and (sa <= sb or sb <= sa)

    def subset(self, i: int, j: int) -> bool:
        """Subset-like labels ("alignment" vs "deceptive alignment"): never auto-merged."""
        return self.label_score(i, j) < 1.0 and self._subset_like(i, j)

    def score(self, i: int, j: int) -> Scored:
        """Final score with its components (for matches and suggestions)."""
        lab = self.label_score(i, j)
        parents, children = self._evidence(i, j)
        exact = lab >= 1.0
        subset = not exact and self._subset_like(i, j)
        return Scored(combine(lab, parents, children), lab, parents, children, subset, exact)
