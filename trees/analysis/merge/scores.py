"""Analysis layer: the parts of a merge's match score: the items, the weights, an explained
score, the ranking of pairs and the nearest labels in meaning (see
:mod:`trees.analysis.merge.matching` for how they are used and why they are shaped so)."""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

ROOT_PARENT_WEIGHT = 0.5  # every top-level problem shares the root: weak evidence
PARENT_WEIGHT = 0.3
CHILD_WEIGHT = 0.3
FLOOD_MAX_PAIRS = 100  # a parent pair with more child pairs than this is not flooded
BLOCK_BUDGET = 100  # postings walked per label when collecting char n-gram candidates
NO_PARENT, MANY_PARENTS = -1, -2  # Matcher._parent1 of an item with no parent, or several


@dataclass(frozen=True, slots=True)
class Calibration:
    """How one sentence model's cosines count in a label score (the two shipped models'
    cosines differ: unrelated labels are about 0.15 apart with the static model, 0.1 with
    the transformer, and paraphrases spread differently).

    The cosine of two labels counts from ``floor`` (nothing) and in full from ``ceiling``,
    and meaning weighs ``weight`` in the label score. With ``mode_min``, a label no
    vocabulary phrase reads is read as the failure mode nearest to it in meaning when that
    cosine is at least ``mode_min`` and ``mode_margin`` ahead of the next mode, with
    confidence ``mode_weight`` (a phrase: 0.6-1.0). Each node takes ``candidates`` pairs
    from its label's nearest labels in meaning, and a suggestion scoring at least
    ``link_min`` counts as "the same problem" when looking for pending disagreements.

    With ``concept_term``, labels are also read as the alignment concepts they name
    (:mod:`trees.analysis.text.concepts`): by a term with confidence ``concept_term``, or,
    naming none, as the concept whose glosses are nearest in meaning when that cosine is at
    least ``concept_min`` (with every other concept within ``concept_spread`` of it: the
    glossary's neighbours overlap), with confidence ``concept_read``; two labels read as one
    concept count as that confidence of meaning. With ``gloss_weight``, a label naming concepts
    by their terms is embedded with what they mean: its vector plus ``gloss_weight`` times
    the mean of the concepts' gloss centroids (less the mean centroid: the glosses' common
    style is no meaning), so that plain words find the jargon among their nearest in meaning.
    With ``mirror_min``, a pair in the mirrored place of a suggested pair counts as a link for
    pending disagreements from that likeness in meaning (:func:`trees.analysis.merge.dag.
    suggested_disagreements`); the static model's cosines of unrelated labels are too high
    for it (about 0.15).
    """

    floor: float
    ceiling: float
    weight: float
    mode_min: float | None = None
    mode_margin: float = 0.0
    mode_weight: float = 0.0
    candidates: int = 2
    link_min: float = 0.35
    concept_term: float = 0.0
    concept_min: float = 1.0
    concept_spread: float = 0.0
    concept_read: float = 0.0
    gloss_weight: float = 0.0
    mirror_min: float | None = None


CALIBRATIONS = {
    # set on the development sets (bench/RESULTS_analysis.md, rounds 8 and 9)
    "static": Calibration(floor=0.0, ceiling=0.7, weight=0.6),
    "contextual": Calibration(
        floor=0.0,
        ceiling=0.6,
        weight=0.6,
        mode_min=0.4,
        mode_margin=0.03,
        mode_weight=0.5,
        candidates=4,
        link_min=0.25,
        concept_term=0.7,
        concept_min=0.4,
        concept_spread=0.04,
        concept_read=0.5,
        gloss_weight=2.0,
        mirror_min=0.15,
    ),
}
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


def meaning(
    cosine: float, concept: float = 0.0, cal: Calibration = CALIBRATIONS["static"]
) -> float:
    """How alike two labels are in meaning, in 0..1: their embeddings' cosine scaled from
    the calibration's floor (nothing) to its ceiling (all), or ``concept`` (both read as
    one failure mode of the vocabulary) when higher."""
    scaled = (cosine - cal.floor) / (cal.ceiling - cal.floor)
    return max(0.0, min(1.0, max(scaled, concept)))


def blend(
    text: float, cosine: float, concept: float = 0.0, cal: Calibration = CALIBRATIONS["static"]
) -> float:
    """A label score from the word score and the meaning evidence (:func:`meaning`)."""
    return (1.0 - cal.weight) * text + cal.weight * meaning(cosine, concept, cal)


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
