"""Analysis layer: untagged critiques grouped into failure modes (no Django).

Critiques nobody tagged are grouped on a sparse k-nearest-neighbour graph with two kinds of
edges: shared words (stem TF-IDF cosine) and, with the shipped sentence-embedding model, near
meaning (embedding cosine well above the mean cosine of two critiques). Critiques the
vocabulary reads (:attr:`GameCorpus.modes`: by phrases, or by a one-word cue that meaning
confirms) are seeds: they start in, and keep, the label of their mode's family, and seeded
label propagation pulls the rest in by their nearest neighbours, when the pull is strong
enough and the critique's own meaning does not speak against the family. A group without
seeds is read as a family by the mean of its vectors when clearly nearest one
(:func:`~trees.analysis.vocabulary.meaning.family_in_meaning`). Groups read as one family
become one item, so a failure mode worded differently each time is counted once, over all
the proposals it breaks. Where the critique reader reads (round 19): a family's group keeps
an unread critique only when the reader's most probable family for it agrees, and per tree
the critiques of different proposals most alike to one another (the cross-proposal set)
join the group that already holds half of them, leaving the others; since round 20 a set no
group holds two of is a group of its own.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trees.analysis.recurrence.failure_modes import (
    NEIGHBOUR_BUDGET,
    NEIGHBOUR_MAX_DF,
    GameCorpus,
    Matrix,
)
from trees.analysis.survival import short
from trees.analysis.taxonomy import Family, Mode

# Neighbours in meaning per critique, and how far above the mean cosine of two critiques (in
# standard deviations of it) two critiques must be to be near. Relative, because models differ
# in where they put unrelated sentences: the static model at about 0.5 (sd 0.12), so the floor
# is about 0.6; the contextual MiniLM at about 0.2 (sd 0.11).
MEANING_K = 4
MEANING_Z = 0.8
# An unread critique joins a group only when its edges into it weigh at least this much
# together (one clear neighbour, or a few weaker ones): a critique near nothing stays alone.
MIN_PULL = 0.2
# A critique no phrase reads stays in the family group its neighbours pulled it into only
# when its own meaning does not speak against that family: the family is within this much
# of the family nearest to it in meaning (two weak pieces of evidence that agree).
AGREE_GAP = 0.04
# Critiques compared with one another at most, in blocks of similar meaning (nearest mode
# first): exact for trees of up to this many untagged critiques, linear beyond.
MEANING_BLOCK = 512
# An unread critique that propagation pulled into a family's group stays there only when the
# critique reader, where it read it, finds that family the most probable one for it: a
# family's first item held as many pulled-in critiques of other modes as of its own, and
# the half-purity rule failed it (bench/RESULTS_analysis.md, round 19). False: as before.
READER_MUST_AGREE = True
# The cross-proposal set (:func:`cross_proposal_set`): this many critiques, one per
# proposal, most alike to one another; 0 turns the step off.
CROSS_SET_SIZE = 6
# A cross-proposal set no group holds two of (a mode the families did not gather: its
# critiques read into scattered families or not at all) forms a group of its own and leaves
# every other group (bench/RESULTS_analysis.md, round 20). False: such a set changes nothing.
CROSS_SET_ALONE = True


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
    with the family it reads as (seeded groups by their seeds' family, the others by their
    mean meaning); groups of one family are merged.

    Word edges: the ``k`` nearest critiques with stem cosine >= ``threshold``; meaning edges:
    the :data:`MEANING_K` nearest with embedding cosine well above the mean (see
    :func:`meaning_neighbours`), weighted by how far above. Label propagation in an order
    shuffled by ``seed``: the same input always gives the same groups, in time linear in the
    edges.
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
    communities = label_propagation(adj, seed=seed, fixed=fixed, min_pull=MIN_PULL)
    fam_sims = _family_sims(corpus)
    agree_with = reader_families(corpus) if READER_MUST_AGREE else {}
    merged: dict[str, list[int]] = {}
    read: list[Cluster] = []
    for members in communities:
        seeds = [q for q in members if q in fixed]
        if seeds:
            # seeded propagation: every seed of a community has its family's label
            family = corpus.vocabulary.families[families[-1 - fixed[seeds[0]]]]
            found: tuple[Family, Mode] | None = (family, _common_mode(corpus, seeds))
            how = "members"
            if fam_sims is not None:
                members = [q for q in members if q in fixed or _agrees(fam_sims, q, family.id)]
            if agree_with:
                members = [
                    q for q in members if q in fixed or agree_with.get(q, family.id) == family.id
                ]
        else:
            found = cluster_in_meaning(corpus, members) if len(members) >= 2 else None
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
        if _spans(corpus, members):
            out.append(Cluster(members, c.family, c.mode, c.read_by))
    out.sort(key=lambda c: (-len(c.members), c.members[0]))
    if CROSS_SET_SIZE:
        out = reconcile(corpus, out, cross_proposal_sets(corpus, CROSS_SET_SIZE))
        out.sort(key=lambda c: (-len(c.members), c.members[0]))
    return out


def reader_families(corpus: GameCorpus) -> dict[int, str]:
    """The family the critique reader finds most probable for each critique it read
    (a family's probability: the sum over its modes); empty without the reader."""
    probs = corpus.example_probs
    if probs is None or corpus.reader is None:
        return {}
    vocab = corpus.vocabulary
    cols = [k for k, m in enumerate(corpus.reader.modes) if m in vocab.by_id]
    if not cols:
        return {}
    names = list(dict.fromkeys(vocab.by_id[corpus.reader.modes[k]].family for k in cols))
    member = np.zeros((len(cols), len(names)), dtype=np.float32)
    for j, k in enumerate(cols):
        member[j, names.index(vocab.by_id[corpus.reader.modes[k]].family)] = 1.0
    best = np.argmax(probs[:, cols] @ member, axis=1)
    return {q: names[int(b)] for q, b in zip(corpus.example_rows, best.tolist(), strict=True)}


def cross_proposal_sets(corpus: GameCorpus, size: int) -> list[list[int]]:
    """Per tree, the ``size`` untagged critiques of ``size`` different proposals that are
    most alike to one another (see :func:`cross_proposal_set`), over the critiques the reader
    read (so at most its per-tree limit); none for a tree with fewer such proposals.

    A failure mode that recurs breaks the most proposals, each critique of it worded its own
    way: together they are more alike than any other one-per-proposal choice, even where no
    single reading names their family.
    """
    probs = corpus.example_probs
    if probs is None or corpus.vectors is None:
        return []
    row_of = {q: r for r, q in enumerate(corpus.example_rows)}
    by_tree: dict[object, list[int]] = defaultdict(list)
    for q in corpus.example_rows:
        c = corpus.critiques[q]
        if not c.tags and c.proposal is not None:
            by_tree[c.tree].append(q)
    sets = []
    for items in by_tree.values():
        x = corpus.vectors[np.asarray(items, dtype=np.intp)].astype(np.float64)
        root = np.sqrt(probs[np.asarray([row_of[q] for q in items], dtype=np.intp)])
        alike = _z_scored(x @ x.T) + _z_scored(root @ root.T)
        proposals = [corpus.critiques[q].proposal for q in items]
        found = cross_proposal_set(alike, proposals, size)
        if found:
            sets.append([items[k] for k in found])
    return sets


def cross_proposal_set(
    alike: np.ndarray[Any, Any], proposals: Sequence[object], size: int
) -> list[int]:
    """``size`` items of different ``proposals`` with the highest mean pairwise ``alike``,
    by a greedy search from every item (the next item: the one of a proposal not yet in
    the set most alike to the set); ``[]`` when fewer than ``size`` proposals."""
    n = len(proposals)
    if len(set(proposals)) < size:
        return []
    codes = {p: k for k, p in enumerate(dict.fromkeys(proposals))}
    prop = np.asarray([codes[p] for p in proposals], dtype=np.intp)
    same = prop[:, None] == prop[None, :]
    sim = np.asarray(alike, dtype=np.float64)
    # every start at once: row r is the greedy set grown from item r
    chosen = np.zeros((n, size), dtype=np.intp)
    chosen[:, 0] = np.arange(n)
    total = sim.copy()
    open_ = ~same
    inner = np.zeros(n)
    for step in range(1, size):
        # argmax takes the first of equal scores: the lowest index, so ties are stable
        k = np.argmax(np.where(open_, total, -np.inf), axis=1)
        chosen[:, step] = k
        inner += total[np.arange(n), k]
        total += sim[k]
        open_ &= ~same[k]
    score = inner / (size * (size - 1) / 2)
    # the first of the best starts (scores equal within rounding count as equal)
    best = int(np.flatnonzero(score >= score.max() - 1e-9)[0])
    return sorted(chosen[best].tolist())


def reconcile(
    corpus: GameCorpus,
    clusters: list[Cluster],
    sets: list[list[int]],
    *,
    alone: bool | None = None,
) -> list[Cluster]:
    """Each cross-proposal set joins the group that already holds at least half of it
    (the most; ties: the larger group, then the first) and leaves every other group, so one
    item, not two, stands for the mode it found; groups left with fewer than two members or
    proposals are dropped. With ``alone`` (default :data:`CROSS_SET_ALONE`), a set no group
    holds two of becomes a group of its own (read as no family, labelled by its medoid) and
    leaves every other group; any other set changes nothing."""
    alone = CROSS_SET_ALONE if alone is None else alone
    for found in sets:
        chosen = set(found)
        held = [len(chosen.intersection(c.members)) for c in clusters]
        most = max(held, default=0)
        if alone and most <= 1:
            rest = [
                Cluster(members, c.family, c.mode, c.read_by)
                for c in clusters
                if _spans(corpus, members := [q for q in c.members if q not in chosen])
            ]
            clusters = [Cluster(sorted(chosen), None, None, None), *rest]
            continue
        if not held:
            break
        target = max(range(len(clusters)), key=lambda k: (held[k], len(clusters[k].members), -k))
        if 2 * held[target] < len(found):
            continue
        out = []
        for k, c in enumerate(clusters):
            if k == target:
                members = sorted(chosen.union(c.members))
            else:
                members = [q for q in c.members if q not in chosen]
            if _spans(corpus, members):
                out.append(Cluster(members, c.family, c.mode, c.read_by))
        clusters = out
    return clusters


def _spans(corpus: GameCorpus, members: Sequence[int]) -> bool:
    """At least two critiques over at least two proposals: a group that recurs."""
    proposals = {(corpus.critiques[q].tree, corpus.critiques[q].proposal) for q in members}
    return len(members) >= 2 and len(proposals) >= 2


def _z_scored(s: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    """A square similarity matrix in standard deviations from its off-diagonal mean (so
    two measures on different scales add up fairly)."""
    n = len(s)
    if n < 2:
        return np.zeros_like(s)
    off = ~np.eye(n, dtype=bool)
    values = s[off]
    z: np.ndarray[Any, np.dtype[np.float64]] = (s - values.mean()) / (values.std() + 1e-9)
    return z


def meaning_neighbours(
    vectors: Matrix, items: Sequence[int], keys: np.ndarray | None = None
) -> list[tuple[int, int, float]]:
    """``(q, j, weight)`` for each item's :data:`MEANING_K` nearest items in meaning whose
    cosine is above the floor (:data:`MEANING_Z` deviations above the mean cosine of two
    items of the block); weight = how far above the floor, scaled to 0..1.

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
        n = len(block)
        total = float(s.sum() - np.trace(s))
        mean = total / (n * (n - 1))
        var = float(np.square(s).sum() - np.square(np.diagonal(s)).sum()) / (n * (n - 1))
        floor = min(mean + MEANING_Z * max(var - mean * mean, 0.0) ** 0.5, 0.99)
        np.fill_diagonal(s, -1.0)
        kk = min(MEANING_K, n - 1)
        top = np.argpartition(-s, kk - 1, axis=1)[:, :kk]
        for r, row in enumerate(top.tolist()):
            for c in sorted(row):
                cos = float(s[r, c])
                if cos > floor:
                    out.append((block[r], block[c], (cos - floor) / (1 - floor)))
    return out


def label_propagation(
    adj: Mapping[int, Mapping[int, float]],
    *,
    seed: int = 0,
    rounds: int = 12,
    fixed: Mapping[int, int] | None = None,
    min_pull: float = 0.0,
) -> list[list[int]]:
    """Communities of a weighted graph by label propagation (deterministic for a seed).

    Every node starts in its own community and repeatedly joins the community with the
    largest total edge weight among its neighbours (ties: its own, then the smallest), in an
    order shuffled once by ``seed``, until a pass moves at most one node in 100 (none in a
    graph of fewer than 100 free nodes) or after ``rounds`` passes.
    Nodes in ``fixed`` start with the given label and keep it (seeded propagation). A node
    moves only to a community that pulls it with a total weight of at least ``min_pull``.
    """
    fixed = fixed or {}
    nodes = sorted(adj)
    random.Random(seed).shuffle(nodes)
    # nodes by their place in the pass order, neighbours as lists of places: list look-ups in
    # pass order instead of dict look-ups all over the heap (the cache misses of the dict
    # walk grew with the graph)
    place = {v: k for k, v in enumerate(nodes)}
    near = [[place[u] for u in adj[v]] for v in nodes]
    weights = [list(adj[v].values()) for v in nodes]
    label = [fixed.get(v, v) for v in nodes]
    free = [k for k, v in enumerate(nodes) if v not in fixed]
    # a pass that moves almost nobody ends it: on a large tree a few nodes between two
    # communities can keep swapping for many passes, and the passes, not the edges, made the
    # cost grow faster than the tree (exact convergence below 100 free nodes)
    settled = len(free) // 100
    # a node none of whose neighbours moved since it was last visited would choose what it
    # chose then: only the others are visited again (same result, a fraction of the work)
    active = bytearray([1]) * len(nodes)
    for _ in range(rounds):
        changed = 0
        for k in free:
            if not active[k]:
                continue
            active[k] = 0
            weight: dict[int, float] = {}
            for u, w in zip(near[k], weights[k], strict=True):
                lu = label[u]
                weight[lu] = weight.get(lu, 0.0) + w
            own = label[k]
            best, best_w = own, max(weight.get(own, 0.0), min_pull - 1e-12)
            for lab, w in weight.items():
                if w > best_w + 1e-12 or (abs(w - best_w) <= 1e-12 and lab < best and best != own):
                    best, best_w = lab, w
            if best != own:
                label[k] = best
                changed += 1
                for u in near[k]:
                    active[u] = 1
        if changed <= settled:
            break
    groups: dict[int, list[int]] = defaultdict(list)
    for v in sorted(adj):
        groups[label[place[v]]].append(v)
    return list(groups.values())


def _family_sims(corpus: GameCorpus) -> tuple[dict[str, int], Matrix] | None:
    sims = corpus.mode_sims
    if sims is None:
        return None
    from trees.analysis.vocabulary.meaning import family_sims

    ids, fams = family_sims(corpus.vocabulary, sims)
    return {f: k for k, f in enumerate(ids)}, fams


def _agrees(fam_sims: tuple[dict[str, int], Matrix], q: int, family: str) -> bool:
    """Does critique ``q``'s meaning not speak against ``family`` (within
    :data:`AGREE_GAP` of the family nearest to it)?"""
    col, fams = fam_sims
    row = fams[q]
    return float(row[col[family]]) >= float(row.max()) - AGREE_GAP


def _common_mode(corpus: GameCorpus, members: Sequence[int]) -> Mode:
    counts = Counter(m.mode.id for q in members if (m := corpus.modes[q]) is not None)
    return corpus.vocabulary.by_id[min(counts.items(), key=lambda t: (-t[1], t[0]))[0]]


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
