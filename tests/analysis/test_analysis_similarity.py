"""The TF-IDF model's postings and neighbour search (pure, no database)."""

from __future__ import annotations

import math
from collections import Counter

from trees.analysis.text.similarity import TfIdf, content_stems, normalise

TEXTS = [
    "the model games the reward proxy",
    "reward hacking of the proxy by the model",
    "graders are fooled by confident answers",
    "the model fools graders with confident answers",
    "oversight cannot scale to smarter systems",
    "humans cannot oversee systems smarter than them",
    "the reward proxy is gamed again after the patch",
]


def model() -> TfIdf:
    return TfIdf([Counter(content_stems(normalise(t))) for t in TEXTS])


def test_postings_list_every_document_of_a_feature_in_order_with_its_weight() -> None:
    tfidf = model()
    for f, (docs, weights) in tfidf.postings.items():
        assert list(docs) == sorted(docs)
        for d, w in zip(docs, weights, strict=True):
            assert tfidf.vectors[d][f] == w
    assert sum(len(d) for d, _ in tfidf.postings.values()) == sum(map(len, tfidf.vectors))


def test_restricted_postings_hold_only_the_given_documents() -> None:
    tfidf = model()
    keep = [6, 0, 3]  # any order: postings stay in document order
    restricted = tfidf.restricted(keep)
    for f, (docs, weights) in restricted.items():
        full_docs, full_weights = tfidf.postings[f]
        expected = [(d, w) for d, w in zip(full_docs, full_weights, strict=True) if d in keep]
        assert list(zip(docs, weights, strict=True)) == expected
    assert set(restricted) == {f for d in keep for f in tfidf.vectors[d]}


def test_neighbours_are_ranked_by_their_exact_cosine() -> None:
    tfidf = model()
    for i in range(len(TEXTS)):
        near = tfidf.neighbours(i, k=3, budget=2, max_df=100)
        assert i not in [j for j, _ in near]
        for j, s in near:
            assert math.isclose(s, tfidf.cosine(i, j), rel_tol=1e-12, abs_tol=1e-12)
        assert [s for _, s in near] == sorted((s for _, s in near), reverse=True)
    # a budget of 2 postings still finds the closest paraphrase through the rarest words
    assert tfidf.neighbours(0, k=1, budget=2, max_df=100)[0][0] in (1, 6)


def test_neighbours_can_be_limited_to_allowed_documents() -> None:
    tfidf = model()
    near = tfidf.neighbours(0, k=5, allowed=lambda j: j % 2 == 1, max_df=100)
    assert near and all(j % 2 == 1 for j, _ in near)
