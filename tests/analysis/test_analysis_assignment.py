"""The one-to-one assignment of labels between two trees (pure, no database)."""

from __future__ import annotations

import itertools

import numpy as np

from trees.analysis.merge.assignment import (
    assigned_partners,
    best_assignment,
    normalised,
    ranks,
    through,
    with_parents,
)


def _brute_force_best(w: np.ndarray) -> float:
    n, m = w.shape
    if n <= m:
        return max(sum(w[i, p[i]] for i in range(n)) for p in itertools.permutations(range(m), n))
    return max(sum(w[p[j], j] for j in range(m)) for p in itertools.permutations(range(n), m))


def test_the_assignment_has_the_largest_total_weight_of_any_one_to_one_pairing() -> None:
    rng = np.random.default_rng(7)
    for shape in [(1, 1), (3, 3), (4, 6), (6, 4), (5, 5)]:
        for _ in range(10):
            w = rng.normal(size=shape)
            got = best_assignment(w)
            assert len(got) == min(shape)
            assert len({i for i, _ in got}) == len({j for _, j in got}) == len(got)
            assert abs(sum(w[i, j] for i, j in got) - _brute_force_best(w)) < 1e-9


def test_the_assignment_gives_up_a_pair_that_would_leave_another_label_worse_off() -> None:
    # row 0 likes both columns, row 1 only column 0: greedy would take (0, 0)
    w = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert best_assignment(w) == [(0, 1), (1, 0)]


def test_an_empty_tree_assigns_nothing() -> None:
    assert best_assignment(np.zeros((0, 3))) == []
    assert assigned_partners(np.zeros((3, 0)), 3) == []


def test_normalising_per_label_makes_an_authors_low_scores_count_by_their_ranking() -> None:
    # the second row's author writes abstractly: all its scores are low, but one stands out
    sims = np.array([[0.9, 0.2, 0.1], [0.05, 0.12, 0.04], [0.1, 0.3, 0.8]])
    z = normalised(sims)
    assert np.argmax(z[1]) == 1
    # invariant to an author's scale: scaling and shifting a row changes little of its ranks
    scaled = sims.copy()
    scaled[1] = scaled[1] * 5 + 0.3
    assert (np.argsort(normalised(scaled)[1]) == np.argsort(z[1])).all()


def test_ranks_count_from_one_within_rows_and_within_columns() -> None:
    by_row, by_col = ranks(np.array([[0.1, 0.5], [0.7, 0.2]]))
    assert by_row.tolist() == [[2.0, 1.0], [1.0, 2.0]]
    assert by_col.tolist() == [[2.0, 1.0], [1.0, 2.0]]


def test_an_assigned_pair_contradicted_by_a_better_alternative_is_not_kept() -> None:
    # the best pairing is (0, 1) and (1, 0), but row 0 prefers column 0 and column 0 row 0
    w = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert assigned_partners(w, 1) == []
    assert assigned_partners(w, 2) == [(0, 1), (1, 0)]


def test_a_pair_under_matching_parents_is_raised_by_their_weight() -> None:
    w = np.array([[2.0, 0.0], [0.0, 0.1]])
    # row 1's parent is row 0, column 1's parent is column 0
    raised = with_parents(w, [-1, 0], [-1, 0], 0.5)
    assert raised[1, 1] == 0.1 + 0.5 * 2.0
    assert raised[0, 0] == 2.0  # no parents: unchanged
    assert raised[1, 0] == 0.0  # column 0 has no parent


def test_a_path_through_a_third_tree_counts_as_its_weaker_step() -> None:
    ab = np.array([[1.0, 0.0], [0.0, 0.3]])
    bc = np.array([[0.5, 0.0], [0.0, 2.0]])
    assert through(ab, bc).tolist() == [[0.5, 0.0], [0.0, 0.3]]
