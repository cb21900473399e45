"""Analysis layer: untagged critiques grouped into failure modes (no Django).

Critiques nobody tagged are grouped on a sparse k-nearest-neighbour graph with two kinds of
edges: shared words (stem TF-IDF cosine) and, with the shipped sentence-embedding model, near
meaning (embedding cosine above :data:`MEANING_FLOOR`). Critiques the vocabulary reads
(:attr:`GameCorpus.modes`: by phrases, or by meaning) are seeds: they start in, and keep, the
label of their mode's family, and seeded label propagation pulls the rest in by their nearest
neighbours. Each group is then read as a family: by its members when most of them read as one,
else by the mean of their vectors (:func:`~trees.analysis.vocabulary.meaning.family_in_meaning`),
and groups read as the same family become one (one failure mode, one item), so a mode worded
differently each time is counted once, over all the proposals it breaks.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from trees.analysis.recurrence.failure_modes import (
    NEIGHBOUR_BUDGET,
    NEIGHBOUR_MAX_DF,
    GameCorpus,
    Matrix,
)
from trees.analysis.survival import short
from trees.analysis.taxonomy import Family, Mode

# Neighbours in meaning per critique, and the cosine below which two critiques are not near:
# the static model puts any two sentences at about 0.5, paraphrases of one mode at 0.6-0.8.
MEANING_K = 4
MEANING_FLOOR = 0.6
# Critiques compared with one another at most, in blocks of similar meaning (nearest mode
# first): exact for trees of up to this many untagged critiques, linear beyond.
MEANING_BLOCK = 1024


@dataclass(frozen=True, slots=True)
class Cluster:
    """A group of untagged critiques, with the family and mode it reads as (or ``None``) and
    how it was read: ``"members"`` (most of them read as it) or ``"meaning"`` (their mean)."""

    members: list[int]
    family: Family | None
    mode: Mode | None
    read_by: str | None


def cluster_untagged(
    corpus: GameCorpus,
    *,
    threshold: float = 0.25,
    k: int = 6,
    seed: int = 0,
) -> list[list[int]]:
    """Groups of similar untagged critiques that span at least two proposals (see
    :func:`read_clusters`)."""
    return [c.members for c in read_clusters(corpus, threshold=threshold, k=k, seed=seed)]


def read_clusters(
    corpus: GameCorpus,
    *,
    threshold: float = 0.25,
    k: int = 6,
    seed: int = 0,
) -> list[Cluster]:
    """Groups of untagged critiques that span at least two proposals, largest first, each
    with the family it reads as; groups of one family are merged.

    Word edges: the ``k`` nearest critiques with stem cosine >= ``threshold``; meaning edges:
    the :data:`MEANING_K` nearest with embedding cosine >= :data:`MEANING_FLOOR`, weighted by
    how far above it. Label propagation in an order shuffled by ``seed``: the same input
    always gives the same groups, in time linear in the edges.
    """
    crits = corpus.critiques
    untagged = [q for q, c in enumerate(crits) if not c.tags]
    if len(untagged) < 2:
        return []
    adj: dict[int, dict[int, float]] = {}
    families = list(corpus.vocabulary.families)
    rank = {f: n for n, f in enumerate(families)}
    fixed: dict[int, int] = {}
    modes = corpus.modes
    for q in untagged:
        m = modes[q]
        if m is not None:
            fixed[q] = -1 - rank[m.mode.family]  # negative: never a critique index
            adj[q] = {}

    def link(q: int, j: int, w: float) -> None:
        adj.setdefault(q, {})[j] = max(w, adj.get(q, {}).get(j, 0.0))
        adj.setdefault(j, {})[q] = max(w, adj.get(j, {}).get(q, 0.0))

    tfidf = corpus.tfidf
    postings = tfidf.restricted(untagged)
    for q in untagged:
        near = tfidf.neighbours(
            q,
            k=k,
            min_score=threshold,
            budget=NEIGHBOUR_BUDGET,
            max_df=NEIGHBOUR_MAX_DF,
            postings=postings,
        )
        for j, s in near:
            link(q, j, s)
    vectors, sims = corpus.vectors, corpus.mode_sims
    if vectors is not None:
        keys = np.argmax(sims, axis=1) if sims is not None and sims.size else None
        for q, j, s in meaning_neighbours(vectors, untagged, keys):
            link(q, j, s)
    if not adj:
        return []
    communities = label_propagation(adj, seed=seed, fixed=fixed)
    merged: dict[str, list[int]] = {}
    read: list[Cluster] = []
    for members in communities:
        found = cluster_family(corpus, members)
        how = "members"
        if found is None and len(members) >= 2:
            found = cluster_in_meaning(corpus, members)
            how = "meaning"
        if found is None:
            read.append(Cluster(members, None, None, None))
            continue
        family = found[0]
        if family.id in merged:
            merged[family.id].extend(members)
            continue
        merged[family.id] = members
        read.append(Cluster(members, family, found[1], how))
    out = []
    for c in read:
        members = sorted(c.members)
        proposals = {(crits[q].tree, crits[q].proposal) for q in members}
        if len(members) >= 2 and len(proposals) >= 2:
            out.append(Cluster(members, c.family, c.mode, c.read_by))
    out.sort(key=lambda c: (-len(c.members), c.members[0]))
    return out


def meaning_neighbours(
    vectors: Matrix, items: Sequence[int], keys: np.ndarray | None = None
) -> list[tuple[int, int, float]]:
    """``(q, j, weight)`` for each item's :data:`MEANING_K` nearest items in meaning with
    cosine >= :data:`MEANING_FLOOR`; weight = how far above the floor, scaled to 0..1.

    Items are compared in blocks of :data:`MEANING_BLOCK`, ordered by ``keys`` (their nearest
    vocabulary mode), so the cost stays linear in the number of items.
    """
    order = sorted(items, key=lambda q: (int(keys[q]), q) if keys is not None else q)
    out: list[tuple[int, int, float]] = []
    for lo in range(0, len(order), MEANING_BLOCK):
        block = order[lo : lo + MEANING_BLOCK]
        if len(block) < 2:
            continue
        x = vectors[np.asarray(block, dtype=np.intp)]
        s = x @ x.T
        np.fill_diagonal(s, -1.0)
        kk = min(MEANING_K, len(block) - 1)
        top = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        for r, row in enumerate(top.tolist()):
            for c in sorted(row):
                cos = float(s[r, c])
                if cos >= MEANING_FLOOR:
                    out.append((block[r], block[c], (cos - MEANING_FLOOR) / (1 - MEANING_FLOOR)))
    return out


def label_propagation(
    adj: Mapping[int, Mapping[int, float]],
    *,
    seed: int = 0,
    rounds: int = 30,
    fixed: Mapping[int, int] | None = None,
) -> list[list[int]]:
    """Communities of a weighted graph by label propagation (deterministic for a seed).

    Every node starts in its own community and repeatedly joins the community with the
    largest total edge weight among its neighbours (ties: its own, then the smallest), in an
    order shuffled once by ``seed``, until nothing changes or after ``rounds`` passes.
    Nodes in ``fixed`` start with the given label and keep it (seeded propagation).
    """
    fixed = fixed or {}
    nodes = sorted(adj)
    random.Random(seed).shuffle(nodes)
    label = {v: fixed.get(v, v) for v in nodes}
    free = [v for v in nodes if v not in fixed]
    for _ in range(rounds):
        changed = False
        for v in free:
            weight: dict[int, float] = {}
            for u, w in adj[v].items():
                lu = label[u]
                weight[lu] = weight.get(lu, 0.0) + w
            own = label[v]
            best, best_w = own, weight.get(own, 0.0)
            for lab, w in weight.items():
                if w > best_w + 1e-12 or (abs(w - best_w) <= 1e-12 and lab < best and best != own):
                    best, best_w = lab, w
            if best != own:
                label[v] = best
                changed = True
        if not changed:
            break
    groups: dict[int, list[int]] = defaultdict(list)
    for v in sorted(adj):
        groups[label[v]].append(v)
    return list(groups.values())


def cluster_family(corpus: GameCorpus, members: Sequence[int]) -> tuple[Family, Mode] | None:
    """The vocabulary family most members read as, when more than half of them do, with its
    most common mode among them."""
    modes = [m.mode for q in members if (m := corpus.modes[q]) is not None]
    families = Counter(m.family for m in modes)
    if not families:
        return None
    top, n = min(families.items(), key=lambda t: (-t[1], t[0]))
    if 2 * n <= len(members):
        return None
    counts = Counter(m.id for m in modes if m.family == top)
    mode_id = min(counts.items(), key=lambda t: (-t[1], t[0]))[0]
    return corpus.vocabulary.families[top], corpus.vocabulary.by_id[mode_id]


def cluster_in_meaning(corpus: GameCorpus, members: Sequence[int]) -> tuple[Family, Mode] | None:
    """The family the members' mean vector reads as, with its mode nearest to that mean."""
    from trees.analysis.vocabulary.meaning import family_in_meaning

    sims = corpus.mode_sims
    if sims is None:
        return None
    centroid = sims[np.asarray(members, dtype=np.intp)].mean(axis=0)
    family = family_in_meaning(corpus.vocabulary, centroid)
    if family is None:
        return None
    modes = corpus.vocabulary.modes
    best = max(
        (k for k, m in enumerate(modes) if m.family == family.id),
        key=lambda k: (float(centroid[k]), -k),
    )
    return family, modes[best]


def cluster_label(corpus: GameCorpus, members: Sequence[int]) -> str:
    """The member most similar to the rest of its cluster (the medoid), as a short label.

    The sum of a member's cosines with all members is its dot product with the sum of their
    vectors, so this is linear in the cluster size.
    """
    vectors = corpus.tfidf.vectors
    centroid: dict[str, float] = defaultdict(float)
    for q in members:
        for f, w in vectors[q].items():
            centroid[f] += w
    best = max(members, key=lambda q: (sum(w * centroid[f] for f, w in vectors[q].items()), -q))
    return short(corpus.critiques[best].text, 60)
