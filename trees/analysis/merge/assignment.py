"""Analysis layer: one-to-one assignment of labels between two problem trees.

Structural evidence that does not depend on wording: an author writes each problem once, and
people's trees cover mostly the same problems, so between two trees the labels pair off one
to one. A pair that the best overall pairing picks, and that each side ranks near the top,
is likely the same problem even when its cosine is low for every pair of that author (one
author's abstract or jargon-heavy wording lowers all their cosines alike: the scores are
normalised per row and per column, so only the ranking within each tree counts).
"""

from __future__ import annotations

from typing import Any

import numpy as np

Matrix = np.ndarray[Any, np.dtype[np.float64]]

# set lightly on the development sets (bench/RESULTS_analysis.md, round 13): 0.894-0.897
# dev recall for parent shares 0.5-0.7 and paths through a third tree weighing 1-1.5
LABEL_WEIGHT = 3.0  # a candidate pair's label score, added to its cosine
PARENT_SHARE = 0.5  # of the parents' normalised weight, added to a pair's
THROUGH_WEIGHT = 1.0  # of the best path through a third tree, added to a pair's
MAX_RANK = 3  # an assigned pair counts when each label ranks the other among its best 3


def normalised(sims: Matrix) -> Matrix:
    """The mean of each score's z-score within its row and within its column: how much a
    pair stands out among the pairs of either label, whatever the scale of its author's
    scores."""
    if sims.size == 0:
        return sims.astype(np.float64)
    s = sims.astype(np.float64)
    rows = (s - s.mean(axis=1, keepdims=True)) / (s.std(axis=1, keepdims=True) + 1e-9)
    cols = (s - s.mean(axis=0, keepdims=True)) / (s.std(axis=0, keepdims=True) + 1e-9)
    out: Matrix = 0.5 * (rows + cols)
    return out


def best_assignment(weights: Matrix) -> list[tuple[int, int]]:
    """The one-to-one pairing of rows with columns of largest total weight (Hungarian
    algorithm, O(n^2 m) with numpy rows; as many pairs as the smaller side has)."""
    n, m = weights.shape
    if n == 0 or m == 0:
        return []
    if n > m:
        return [(i, j) for j, i in best_assignment(weights.T)]
    cost = -weights.astype(np.float64)
    u = np.zeros(n + 1)
    v = np.zeros(m + 1)
    owner = np.zeros(m + 1, dtype=np.int64)  # column -> row (1-based; 0: free)
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        owner[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = owner[j0]
            cur = cost[i0 - 1] - u[i0] - v[1:]
            free = ~used[1:]
            better = free & (cur < minv[1:])
            minv[1:][better] = cur[better]
            way[1:][better] = j0
            masked = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(masked)) + 1
            delta = masked[j1 - 1]
            u[owner[used]] += delta
            v[used] -= delta
            minv[1:][free] -= delta
            j0 = j1
            if owner[j0] == 0:
                break
        while j0:
            j1 = int(way[j0])
            owner[j0] = owner[j1]
            j0 = j1
    return sorted((int(owner[j]) - 1, j - 1) for j in range(1, m + 1) if owner[j])


def ranks(weights: Matrix) -> tuple[Matrix, Matrix]:
    """Each pair's rank (1 = best) among its row's pairs, and among its column's."""
    by_row = np.argsort(np.argsort(-weights, axis=1, kind="stable"), axis=1, kind="stable") + 1
    by_col = np.argsort(np.argsort(-weights, axis=0, kind="stable"), axis=0, kind="stable") + 1
    return by_row.astype(np.float64), by_col.astype(np.float64)


def with_parents(weights: Matrix, up_a: list[int], up_b: list[int], share: float) -> Matrix:
    """``weights`` raised by ``share`` of the weight of the pair's parents (when positive;
    ``up_a[r]`` is row r's parent row, -1 for none): the same problem under the same
    problem."""
    out = weights.copy()
    pa, pb = np.asarray(up_a, dtype=np.int64), np.asarray(up_b, dtype=np.int64)
    rows, cols = np.flatnonzero(pa >= 0), np.flatnonzero(pb >= 0)
    if len(rows) and len(cols):
        above = weights[np.ix_(pa[rows], pb[cols])]
        out[np.ix_(rows, cols)] += share * np.maximum(above, 0.0)
    return out


def through(ab: Matrix, bc: Matrix) -> Matrix:
    """For each row of ``ab`` and column of ``bc``: the best path through a third tree's
    label, as the lower of its two weights (a ~ b and b ~ c say a ~ c)."""
    out: Matrix = np.zeros((ab.shape[0], bc.shape[1]))
    if ab.size == 0 or bc.size == 0:
        return out
    for r in range(ab.shape[0]):  # a row at a time: memory b x c, not a x b x c
        out[r] = np.max(np.minimum(ab[r][:, None], bc), axis=0)
    return out


def assigned_partners(weights: Matrix, max_rank: int) -> list[tuple[int, int]]:
    """The pairs of the best one-to-one pairing of ``weights`` that are not contradicted
    by a much better alternative: each label ranks the other among its ``max_rank``
    best."""
    by_row, by_col = ranks(weights)
    return [
        (i, j)
        for i, j in best_assignment(weights)
        if by_row[i, j] <= max_rank and by_col[i, j] <= max_rank
    ]
