"""Analysis layer tests of the per-text vector cache (trees/analysis/text/cache.py) that both
shipped sentence-embedding models use. The vectors are the real models' (the static model
computes in microseconds, so it stands for any model where a test counts computations).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from trees.analysis.text import contextual, semantic
from trees.analysis.text.cache import Matrix, TextCache


class Counted:
    """The static model's own computation, recording the texts each call computed."""

    def __init__(self) -> None:
        self.model = semantic.model()
        self.calls: list[list[str]] = []
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> Matrix:
        with self._lock:
            self.calls.append(list(texts))
        return self.model._embed(texts)

    def computed(self) -> list[str]:
        return [t for call in self.calls for t in call]


def test_a_text_is_computed_once_and_then_read_from_the_cache() -> None:
    compute = Counted()
    cache = TextCache(10, semantic.DIMS)
    first = cache.embed(["Reward hacking", "Race dynamics", "Reward hacking"], compute)
    again = cache.embed(["Race dynamics", "Reward hacking"], compute)
    assert compute.calls == [["Reward hacking", "Race dynamics"]]
    assert np.array_equal(first[0], first[2])
    assert np.array_equal(again, first[[1, 0]])
    assert np.array_equal(again, compute.model._embed(["Race dynamics", "Reward hacking"]))


def test_an_empty_call_computes_nothing() -> None:
    compute = Counted()
    cache = TextCache(10, semantic.DIMS)
    assert cache.embed([], compute).shape == (0, semantic.DIMS)
    assert compute.calls == []


def test_the_cache_keeps_at_most_its_size_and_drops_the_least_recently_used_first() -> None:
    compute = Counted()
    cache = TextCache(3, semantic.DIMS)
    cache.embed(["a oversight", "b oversight", "c oversight"], compute)
    cache.embed(["a oversight"], compute)  # used again: now the most recent
    cache.embed(["d oversight", "e oversight"], compute)
    assert len(cache) == 3
    assert cache.texts() == ["a oversight", "d oversight", "e oversight"]
    cache.embed(["b oversight"], compute)  # dropped: computed again
    assert compute.computed().count("b oversight") == 2
    assert len(cache) == 3


def test_a_call_with_more_new_texts_than_the_size_keeps_the_last_ones() -> None:
    compute = Counted()
    cache = TextCache(2, semantic.DIMS)
    texts = [f"label {i} about deception" for i in range(5)]
    vectors = cache.embed(texts, compute)
    assert np.array_equal(vectors, compute.model._embed(texts))
    assert cache.texts() == texts[-2:]


def test_a_cache_of_no_texts_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one text"):
        TextCache(0, semantic.DIMS)


def test_threads_embedding_at_once_compute_each_text_once_and_get_the_same_vectors() -> None:
    compute = Counted()
    cache = TextCache(1_000, semantic.DIMS)
    texts = [f"concurrent label {i} about scalable oversight" for i in range(40)]
    want = compute.model._embed(texts)
    start = threading.Barrier(6)
    got: dict[int, Matrix] = {}
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            mine = texts[n:] + texts[:n]  # every thread asks for all, in its own order
            got[n] = cache.embed(mine, compute)[np.argsort([*range(n, 40), *range(n)])]
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(compute.computed()) == sorted(texts)  # each text computed once in all
    for vectors in got.values():
        assert np.array_equal(vectors, want)


def test_threads_filling_a_small_cache_at_once_keep_it_bounded_and_right() -> None:
    compute = Counted()
    cache = TextCache(7, semantic.DIMS)
    start = threading.Barrier(5)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            start.wait()
            for k in range(30):
                texts = [f"thread {n} label {k}", f"shared label {k % 9}", "Reward hacking"]
                vectors = cache.embed(texts, compute)
                assert np.array_equal(vectors, compute.model._embed(texts))
                assert len(cache) <= 7
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) == 7
    assert len(cache.texts()) == len(set(cache.texts())) == 7


def test_the_two_models_keep_their_vectors_apart() -> None:
    static, transformer = semantic.StaticModel(), contextual.ContextualModel()
    text = "Both models embed this label 5e0b"
    a = static([text])
    b = transformer([text])
    assert static.cache is not transformer.cache
    assert text in static.cache and text in transformer.cache
    assert a.shape == (1, semantic.DIMS) and b.shape == (1, contextual.DIMS)
    # each reads back its own vector, not the other model's
    assert np.array_equal(static([text]), a)
    assert np.array_equal(transformer([text]), b)
    assert np.array_equal(a, static._embed([text]))
    assert np.allclose(b, transformer.embed_uncached([text]), atol=1e-6)
