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

from array import array
from collections.abc import Container, Iterable, Sequence
from itertools import repeat
from operator import mul

import numpy as np

from trees.analysis.merge.assignment import (
    LABEL_WEIGHT,
    MAX_RANK,
    PARENT_SHARE,
    THROUGH_WEIGHT,
    Matrix,
    assigned_partners,
    normalised,
    through,
    with_parents,
)
from trees.analysis.merge.labels import LabelScores
from trees.analysis.merge.scores import (
    BLOCK_BUDGET,
    CHILD_WEIGHT,
    FLOOD_MAX_PAIRS,
    NO_PARENT,
    PARENT_WEIGHT,
    ROOT_PARENT_WEIGHT,
    Ranked,
    Scored,
    combine,
    nearest_in_meaning,
)
from trees.analysis.text.similarity import (
    blocking_cap,
)


class Matcher(LabelScores):
    """Scores cross-tree pairs of items.

    A pair is ``(i, j)`` with ``i < j``; internally it is the int ``i * n + j`` (``n`` items),
    which hashes and compares much faster than a tuple and sorts in the same order.
    """

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
        by_meaning: int | None = None,
        floor: float = 0.3,
    ) -> int:
        """Cross-tree candidate pairs from the inverted indexes plus one flooding step.

        Each item brings ``by_grams`` new pairs from its label's char n-gram ranking and
        ``by_stems`` from its word-stem ranking (:meth:`_take`), and with a model
        ``by_meaning`` (by default the model's calibration says how many) from its label's
        nearest labels in meaning (:func:`nearest_in_meaning`;
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
        if by_meaning is None:
            by_meaning = self.calibration.candidates
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

    def assigned(self, matchable: Iterable[int]) -> set[int]:
        """Between each two trees, the one-to-one pairing of their items' labels
        (:func:`assigned_partners`), as item pairs (``i * n + j``).

        The weights: label cosines plus the candidate pairs' label scores, normalised per
        label (:func:`normalised`), raised by the parents' weight and by the best path
        through a third tree's label (:func:`through`). Needs the label embeddings (call
        before :meth:`release_text`); dense matrices per two trees, so only for small
        merges (the caller decides).
        """
        emb = self.embeddings
        if emb is None:
            return set()
        n, known, lids, root = self.n, self.known, self.lid, self._root
        by_tree: dict[int, list[int]] = {}
        for i in matchable:
            if not root[i]:
                by_tree.setdefault(self._tree_no[i], []).append(i)
        trees = sorted(by_tree)
        ups: dict[int, list[int]] = {}
        for t in trees:
            at = {i: r for r, i in enumerate(by_tree[t])}
            ups[t] = [
                at.get(self._parent1[i], -1) if self._parent1[i] >= 0 else -1 for i in by_tree[t]
            ]
        sims: dict[tuple[int, int], Matrix] = {}
        for x, ta in enumerate(trees):
            ea = emb[np.asarray([lids[i] for i in by_tree[ta]], dtype=np.int64)]
            for tb in trees[x + 1 :]:
                eb = emb[np.asarray([lids[j] for j in by_tree[tb]], dtype=np.int64)]
                sims[(ta, tb)] = (ea @ eb.T).astype(np.float64)
        row = {i: r for t in trees for r, i in enumerate(by_tree[t])}
        tree_no = self._tree_no
        for p, s in known.items():  # linear in the candidate pairs (i < j: trees in order)
            i, j = divmod(p, n)
            if i in row and j in row:
                ti, tj = tree_no[i], tree_no[j]
                if ti < tj:
                    sims[(ti, tj)][row[i], row[j]] += LABEL_WEIGHT * s
                elif tj < ti:
                    sims[(tj, ti)][row[j], row[i]] += LABEL_WEIGHT * s
        z: dict[tuple[int, int], Matrix] = {}
        for x, ta in enumerate(trees):
            for tb in trees[x + 1 :]:
                w = normalised(sims[(ta, tb)])
                z[(ta, tb)] = with_parents(w, ups[ta], ups[tb], PARENT_SHARE)
                z[(tb, ta)] = z[(ta, tb)].T
        out: set[int] = set()
        for x, ta in enumerate(trees):
            for tb in trees[x + 1 :]:
                w = z[(ta, tb)]
                if len(trees) > 2:
                    w = w + THROUGH_WEIGHT * np.max(
                        [through(z[(ta, tc)], z[(tc, tb)]) for tc in trees if tc not in (ta, tb)],
                        axis=0,
                    )
                a, b = by_tree[ta], by_tree[tb]
                for r, c in assigned_partners(w, MAX_RANK):
                    i, j = a[r], b[c]
                    out.add(i * n + j if i < j else j * n + i)
        return out

    def _near_in_meaning(self, k: int) -> list[list[int]]:
        """For each label id the other label ids nearest in meaning: first the nearest of
        those that read as the same failure mode (nearest by cosine among them), then the
        nearest by cosine."""
        emb = self.embeddings
        assert emb is not None
        near = [[m for m in row if m >= 0] for row in nearest_in_meaning(emb, k).tolist()]
        # failure modes first, alignment concepts before them: a concept is the narrower
        # reading ("sycophancy", where the mode may be a family of several)
        by_mode: dict[int, list[int]] = {}
        for lid, m in enumerate(self._mode_no.tolist()):
            if m >= 0:
                by_mode.setdefault(m, []).append(lid)
        by_concept: dict[int, list[int]] = {}
        for lid, row in enumerate(self._concept_no.tolist()):
            for c in row:
                if c >= 0:
                    by_concept.setdefault(c, []).append(lid)
        for groups in (by_mode, by_concept):
            mates_of: dict[int, list[int]] = {}
            for members in groups.values():
                if len(members) < 2:
                    continue
                ids = np.asarray(members, dtype=np.int64)
                rows = nearest_in_meaning(emb[ids], k).tolist()
                for lid, row in zip(members, rows, strict=True):
                    mine = mates_of.setdefault(lid, [])
                    mine.extend(members[m] for m in row if m >= 0 and members[m] not in mine)
            for lid, mates in mates_of.items():
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
        """Subset-like labels ("alignment" vs "deceptive alignment"), or labels naming
        different alignment concepts ("outer alignment" vs "inner alignment"): never
        auto-merged."""
        if self.label_score(i, j) >= 1.0:
            return False
        return self._subset_like(i, j) or self.named_apart(self.lid[i], self.lid[j])

    def score(self, i: int, j: int) -> Scored:
        """Final score with its components (for matches and suggestions)."""
        lab = self.label_score(i, j)
        parents, children = self._evidence(i, j)
        exact = lab >= 1.0
        subset = not exact and self._subset_like(i, j)
        return Scored(combine(lab, parents, children), lab, parents, children, subset, exact)
