"""Analysis layer: the label scores of a merge's candidate pairs: every label normalised,
stemmed and vectorised once, pairs of labels scored by char n-gram TF-IDF cosine and
IDF-weighted word overlap, blended with their meaning (see :mod:`trees.analysis.merge.matching`).
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Sequence
from math import fsum
from operator import mul
from typing import Any

import numpy as np

from trees.analysis.merge.scores import (
    CALIBRATIONS,
    MANY_PARENTS,
    NO_PARENT,
    Item,
    blend,
)
from trees.analysis.text.concepts import MAX_NAMED, alignment_concepts, strip_citations
from trees.analysis.text.glossary import Glossary
from trees.analysis.text.semantic import model_name
from trees.analysis.text.similarity import (
    Embedder,
    TfIdf,
    char_grams,
    content_stems,
)
from trees.analysis.vocabulary.meaning import mode_text
from trees.analysis.vocabulary.modes import Vocabulary, starter_vocabulary


def concept_centres(
    glosses: np.ndarray[Any, np.dtype[np.float32]], owner: list[int], count: int
) -> np.ndarray[Any, np.dtype[np.float32]]:
    """One unit vector per concept: the mean of its glosses' and terms' embeddings
    (``glosses``: the embedded texts of
    :meth:`~trees.analysis.text.concepts.Concepts.gloss_texts`, ``owner`` their concepts,
    ``count`` the number of concepts)."""
    sums = np.zeros((count, glosses.shape[1]), dtype=np.float32)
    np.add.at(sums, np.asarray(owner, dtype=np.int64), glosses)
    norms = np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return np.asarray(sums / norms, dtype=np.float32)


class LabelScores:
    """The text side of :class:`trees.analysis.merge.matching.Matcher`: labels and their scores."""

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
            norm = glossary.expand_text(label)
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
        self.calibration = CALIBRATIONS[model_name(embedder) if embedder else "static"]
        self._concepts_on = concepts_on = (
            embedder is not None and self.calibration.concept_term > 0.0
        )
        # one unit row per label id (float32), or None without a model; with the concept
        # glossary, citations are not embedded ("(Elhage et al. 2022)" is no meaning)
        shown = [strip_citations(r) or r for r in self.raw] if concepts_on else self.raw
        self.embeddings: np.ndarray[Any, np.dtype[np.float32]] | None = (
            np.asarray(embedder(shown), dtype=np.float32) if embedder and self.raw else None
        )
        # with a model, meaning also counts the failure mode each label reads as (its
        # index in the vocabulary, -1 for none) and how strongly (capped at 1)
        self._mode_no = np.full(len(self.raw), -1, dtype=np.int64)
        self._mode_w = np.zeros(len(self.raw), dtype=np.float64)
        if self.embeddings is not None and embedder is not None:
            self._read_modes(
                embedder, vocabulary if vocabulary is not None else starter_vocabulary()
            )
        # and the alignment concepts each label reads as (up to MAX_NAMED, -1 pads)
        self._concept_no = np.full((len(self.raw), MAX_NAMED), -1, dtype=np.int64)
        self._concept_w = np.zeros(len(self.raw), dtype=np.float64)
        self._concept_named = np.zeros(len(self.raw), dtype=bool)  # by a term
        # the glossary's gloss texts, embedded once for both the readings and the centroids
        self._glosses: tuple[np.ndarray[Any, np.dtype[np.float32]], list[int]] | None = None
        if concepts_on and embedder is not None and self.embeddings is not None:
            self._read_concepts(embedder)
            self._say_what_terms_mean(embedder)
        # label-pair score, key a * L + b with a < b: lid_score() only (the candidate pairs are
        # scored in label-pair order without it, see _label_scores)
        self._lab: dict[int, float] = {}
        # candidate pair (i * n + j) -> label score, in pair order (ranked() relies on it)
        self.known: dict[int, float] = {}
        # label scores of pairs shown without being candidates (assigned partners), kept
        # apart from :attr:`known` so that they add no structural evidence to other pairs
        self.extra: dict[int, float] = {}

    def _read_modes(self, embedder: Embedder, vocab: Vocabulary) -> None:
        """The failure mode each label reads as: by a vocabulary phrase, or (when the
        model's calibration says so) by meaning: the mode whose words it is clearly nearest
        to (plain words for jargon: "Will it just agree with whatever we say?" is nearest
        to sycophancy's description and cues, which "Sycophancy" names)."""
        assert self.embeddings is not None
        index = {m.id: k for k, m in enumerate(vocab.modes)}
        unread: list[int] = []
        for lid, label in enumerate(self.raw):
            found = vocab.best(label)
            if found is not None:
                self._mode_no[lid] = index[found.mode.id]
                self._mode_w[lid] = min(1.0, found.score)
            else:
                unread.append(lid)
        cal = self.calibration
        if cal.mode_min is None or not unread or len(vocab.modes) < 2:
            return
        modes = np.asarray(embedder([mode_text(m) for m in vocab.modes]), dtype=np.float32)
        sims = self.embeddings[unread] @ modes.T
        top2 = np.sort(sims, axis=1)[:, -2:]
        best = np.argmax(sims, axis=1)
        clear = (top2[:, 1] >= cal.mode_min) & (top2[:, 1] - top2[:, 0] >= cal.mode_margin)
        for lid, k, ok in zip(unread, best.tolist(), clear.tolist(), strict=True):
            if ok:
                self._mode_no[lid] = k
                self._mode_w[lid] = cal.mode_weight

    def _read_concepts(self, embedder: Embedder) -> None:
        """The alignment concepts each label reads as: those it names by a term, or else the
        one whose glosses it is clearly nearest to in meaning ("Will it just flatter us?"
        reads as sycophancy, which "Syco" names)."""
        assert self.embeddings is not None
        concepts = alignment_concepts()
        cal = self.calibration
        unread: list[int] = []
        for lid, label in enumerate(self.raw):
            named = concepts.named(label)
            if named:
                self._concept_no[lid, : len(named)] = named
                self._concept_w[lid] = cal.concept_term
                self._concept_named[lid] = True
            else:
                unread.append(lid)
        if not unread or len(concepts) < 2 or cal.concept_read <= 0.0:
            return
        glosses, owner = self._gloss_vectors(embedder)
        sims = self.embeddings[unread] @ glosses.T
        # each concept's best text: its texts are consecutive columns
        starts = np.flatnonzero(np.r_[True, np.diff(np.asarray(owner)) != 0])
        per = np.maximum.reduceat(sims, starts, axis=1)
        # the best concepts of each label, best first (ties: the earlier concept)
        order = np.argsort(-per, axis=1, kind="stable")[:, :MAX_NAMED]
        top = np.take_along_axis(per, order, axis=1)
        for row, lid in enumerate(unread):
            if top[row, 0] < cal.concept_min:
                continue
            near = top[row] >= top[row, 0] - cal.concept_spread
            ks = order[row][near]
            self._concept_no[lid, : len(ks)] = ks
            self._concept_w[lid] = cal.concept_read

    def _gloss_vectors(
        self, embedder: Embedder
    ) -> tuple[np.ndarray[Any, np.dtype[np.float32]], list[int]]:
        """The embeddings of the glossary's gloss texts and the concept of each (computed on
        first use: the readings and the centroids both need them, or either alone)."""
        if self._glosses is None:
            texts, owner = alignment_concepts().gloss_texts()
            self._glosses = (np.asarray(embedder(texts), dtype=np.float32), owner)
        return self._glosses

    def _say_what_terms_mean(self, embedder: Embedder) -> None:
        """Embed a label that names alignment concepts by their terms together with what
        those concepts mean: its own vector plus ``gloss_weight`` times the mean of the
        concepts' gloss centroids (each less the mean of all centroids: what every gloss
        shares, their style, would pull every named label towards every plain sentence),
        renormalised.

        A sentence model places jargon by its words, not by what the field means by them:
        "Sycophancy" and "Telling the boss what the boss wants to hear" are 0.07 apart with
        all-MiniLM-L6-v2, the gloss "it tells people what they want to hear" 0.35 from the
        latter. Carrying the glosses in the named label's vector lets a plain-words label find
        it among its nearest in meaning (on the development sets, pairs whose cosine ranks the
        partner in the top 3 of its tree: 0.70 -> 0.88; bench/RESULTS_analysis.md, round 14).
        Called after the readings, which use the label's own vector.
        """
        assert self.embeddings is not None
        w = self.calibration.gloss_weight
        named = np.flatnonzero(self._concept_named)
        if w <= 0.0 or not len(named):
            return
        glosses, owner = self._gloss_vectors(embedder)
        centres = concept_centres(glosses, owner, len(alignment_concepts()))
        centres = centres - centres.mean(axis=0)
        rows = self._concept_no[named]
        sums = np.zeros((len(named), centres.shape[1]), dtype=np.float32)
        counts = (rows >= 0).sum(axis=1, keepdims=True)
        for col in range(rows.shape[1]):
            ok = rows[:, col] >= 0
            sums[ok] += centres[rows[ok, col]]
        moved = self.embeddings[named] + w * sums / np.maximum(counts, 1)
        self.embeddings[named] = moved / np.linalg.norm(moved, axis=1, keepdims=True)

    def shared_concept(
        self, a: np.ndarray[Any, np.dtype[np.int64]], b: np.ndarray[Any, np.dtype[np.int64]]
    ) -> np.ndarray[Any, np.dtype[np.float64]]:
        """For label ids ``a[k]``, ``b[k]``: the confidence that both read as one alignment
        concept (the lower of the two readings), else 0."""
        ca, cb = self._concept_no[a], self._concept_no[b]
        same = ((ca[:, :, None] == cb[:, None, :]) & (ca[:, :, None] >= 0)).any(axis=(1, 2))
        return np.where(same, np.minimum(self._concept_w[a], self._concept_w[b]), 0.0)

    def named_apart(self, a: int, b: int) -> bool:
        """Whether label ids ``a`` and ``b`` name different alignment concepts by their terms
        and none in common ("Outer alignment" / "Inner alignment", "Reward hacking" /
        "Reward tampering"): the glossary says they are neighbours, not one problem."""
        if not (self._concept_named[a] and self._concept_named[b]):
            return False
        mine = set(self._concept_no[a].tolist()) - {-1}
        return not mine.intersection(self._concept_no[b].tolist())

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
        cal = self.calibration
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
            )
            if self._concepts_on:
                concept = np.maximum(
                    concept, self.shared_concept(a[lo : lo + step], b[lo : lo + step])
                )
            for t, c, m in zip(texts[lo : lo + step], cos, concept.tolist(), strict=True):
                out.append(t if t >= 1.0 else blend(t, c, m, cal))
        return out

    def label_score(self, i: int, j: int) -> float:
        a, b = self.lid[i], self.lid[j]
        if a == b or (self._root[i] and self._root[j]):
            return 1.0  # identical labels; roots match by definition
        key = i * self.n + j if i < j else j * self.n + i
        s = self.known.get(key)
        if s is None:
            s = self.extra.get(key)
        return s if s is not None else self.lid_score(a, b)

    def meaning_scores(self, pairs: Sequence[tuple[int, int]]) -> list[float]:
        """The label score each pair of items ``(i, j)`` would have from its meaning alone (a
        word score of 0), all in one array operation: usable after :meth:`release_text`;
        1.0 for identical labels, else 0.0 without a model."""
        lid = self.lid
        out = [1.0 if lid[i] == lid[j] else 0.0 for i, j in pairs]
        if self.embeddings is None:
            return out
        size = len(self.exact_key)
        where: list[int] = []
        keys: list[int] = []
        for k, (i, j) in enumerate(pairs):
            a, b = lid[i], lid[j]
            if a != b:
                where.append(k)
                keys.append(a * size + b if a < b else b * size + a)
        for k, s in zip(where, self._blend_many(keys, [0.0] * len(keys)), strict=True):
            out[k] = s
        return out

    def release_text(self) -> None:
        """Free the n-gram vectors, postings, label-pair cache and gloss vectors once every
        candidate pair is scored (their label scores stay in :attr:`known`): the merge then
        builds its suggestions and DAG in the memory they held. Pairs outside :attr:`known`
        cannot be scored afterwards."""
        self._lab = {}
        self.tfidf = None
        self._vectors = []
        self._df = Counter()
        self._gram_post = {}
        self._stem_post = {}
        self._glosses = None
