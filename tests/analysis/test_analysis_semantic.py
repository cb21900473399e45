"""Analysis layer tests with the real ``[semantic]`` extra (all-MiniLM-L6-v2, offline).

`make test` does not install the extra (about 1.5 GB with torch), so every test here is
skipped there; run them in a virtualenv with ``pip install -c constraints.txt -e
'.[semantic]'`` (see docs/analysis.md). They load the real model: no stand-in, because what
they check is what the model does with paraphrases.
"""

from __future__ import annotations

from typing import Any

import pytest
from analysis_helpers import outline
from quality.quality_eval import merge_quality, problem_trees

from trees.analysis import semantic, similarity
from trees.analysis.merge import merge

pytest.importorskip(
    semantic.PACKAGE, reason="the [semantic] extra is not installed (pip install '.[semantic]')"
)

ONE = """
R r Alignment
  R a Scalable oversight
  R b Reward hacking
  R c Interpretability
"""
TWO = """
R r AI alignment
  R a Supervising systems smarter than us
  R b Specification gaming
  R c Understanding model internals
"""


@pytest.fixture
def embed(monkeypatch: pytest.MonkeyPatch) -> similarity.Embedder:
    monkeypatch.delenv("GAMETREE_SEMANTIC", raising=False)
    found = similarity.load_embedder()
    assert found is not None, "the extra is installed but its model did not load"
    return found


def pair_of(result: dict[str, Any], a: str, b: str) -> dict[str, Any] | None:
    return next(
        (s for s in result["suggestions"] if {s["a"]["node"], s["b"]["node"]} == {a, b}), None
    )


def test_merge_and_the_failure_modes_share_one_loaded_model(embed: similarity.Embedder) -> None:
    assert embed is semantic.load_embedder()


def test_the_merge_loader_gives_unit_vectors_that_know_paraphrases(
    embed: similarity.Embedder,
) -> None:
    a, b, c = embed(
        ["Scalable oversight", "Supervising systems smarter than us", "Labs racing to deploy"]
    )
    assert len(a) == len(b) == 384
    assert all(isinstance(x, float) for x in a)
    assert abs(similarity.dot(a, a) - 1.0) < 1e-3
    assert similarity.dot(a, b) > 0.4 > similarity.dot(a, c)


def test_merge_suggests_a_paraphrase_with_no_shared_word_only_with_the_model(
    embed: similarity.Embedder,
) -> None:
    trees = [(1, outline(ONE, prefix="t1")), (2, outline(TWO, prefix="t2"))]
    plain = merge(trees, embedder=None)
    blended = merge(trees, embedder="auto")  # what the app does: the installed model
    assert blended["stats"]["embeddings"] is True
    assert pair_of(plain, "t1a", "t2a") is None
    found = pair_of(blended, "t1a", "t2a")
    assert found is not None
    assert found["candidates"][0]["node"] in {"t1a", "t2a"}  # and as the best candidate


def test_on_the_quality_set_the_model_finds_the_oversight_paraphrase_the_default_misses(
    embed: similarity.Embedder,
) -> None:
    labels = {(t, n["id"]): n["text"] for t, nodes in problem_trees() for n in nodes}

    def missed(q: dict[str, Any]) -> set[frozenset[str]]:
        return {frozenset((labels[a], labels[b])) for a, b in q["missed"]}

    pair = frozenset(("Scalable oversight", "Supervising systems smarter than us"))
    default = merge_quality()
    semantic_ = merge_quality(embedder=embed)
    assert pair in missed(default)
    assert pair not in missed(semantic_)
    assert semantic_["auto_precision"] >= 0.95, semantic_["wrong_auto"]
    assert semantic_["recall_auto_plus_top3"] > default["recall_auto_plus_top3"]
