"""Analysis layer tests of the shipped sentence-embedding model (a static distillation of
all-MiniLM-L6-v2 in trees/analysis/models/): the real weights, loaded and verified as the app
loads them. No stand-in: what they check is what the model does with paraphrases.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from analysis_helpers import altered_copy, outline
from quality.quality_eval import merge_quality, problem_trees

from trees.analysis.merge import merge
from trees.analysis.text import semantic, similarity
from trees.analysis.text.wordpiece import WordPiece, basic_tokens

ONE = """
R r Alignment
  R a Race dynamics
  R b Reward hacking
  R c Interpretability
"""
TWO = """
R r AI alignment
  R a Competitive pressure
  R b Specification gaming
  R c Understanding model internals
"""


@pytest.fixture
def embed(monkeypatch: pytest.MonkeyPatch) -> semantic.StaticModel:
    monkeypatch.delenv("GAMETREE_SEMANTIC", raising=False)
    found = semantic.load_embedder()
    assert isinstance(found, semantic.StaticModel)
    return found


def cos(embed: similarity.Embedder, a: str, b: str) -> float:
    va, vb = embed([a, b])
    return float(np.dot(va, vb))


def pair_of(result: dict[str, Any], a: str, b: str) -> dict[str, Any] | None:
    return next(
        (s for s in result["suggestions"] if {s["a"]["node"], s["b"]["node"]} == {a, b}), None
    )


def test_the_default_install_loads_the_shipped_model_once(embed: semantic.StaticModel) -> None:
    assert embed is semantic.load_embedder() is semantic.model()
    assert semantic.MODEL_FILE.is_file()
    assert (semantic.MODEL_DIR / "LICENSE").is_file()


def test_the_model_gives_unit_vectors_and_a_zero_vector_for_an_empty_text(
    embed: semantic.StaticModel,
) -> None:
    vectors = embed(["Scalable oversight", "", "Scalable oversight"])
    assert vectors.shape == (3, semantic.DIMS)
    assert abs(float(np.dot(vectors[0], vectors[0])) - 1.0) < 1e-5
    assert not vectors[1].any()
    assert np.array_equal(vectors[0], vectors[2])


@pytest.mark.parametrize(
    ("text", "paraphrase", "other"),
    [
        ("Race dynamics", "Competitive pressure", "Reward hacking"),
        ("Interpretability is immature", "We can't see inside neural networks", "Reward hacking"),
        ("Resisting shutdown", "Off-switch problem", "Interpretability is immature"),
        ("Scalable oversight", "Supervising systems smarter than us", "Labs racing to deploy"),
    ],
)
def test_a_paraphrase_is_closer_in_meaning_than_another_problem(
    embed: semantic.StaticModel, text: str, paraphrase: str, other: str
) -> None:
    assert cos(embed, text, paraphrase) > cos(embed, text, other) + 0.1


def test_embeddings_are_cached_per_text_and_equal_to_a_fresh_computation(
    embed: semantic.StaticModel,
) -> None:
    text = "A label nobody wrote before: cached embeddings 7c1f"
    first = embed([text])[0]
    assert text in embed.cache
    again = embed([text, "Reward hacking"])[0]
    assert np.array_equal(first, again)
    fresh = semantic.StaticModel()  # same weights, empty cache
    assert np.array_equal(fresh([text])[0], first)


def test_weights_with_another_sha256_are_refused_with_a_clear_error(tmp_path: Path) -> None:
    altered = altered_copy(semantic.MODEL_FILE, tmp_path, 1000)
    with pytest.raises(semantic.ModelError, match=r"SHA-256 [0-9a-f]{64}, expected"):
        semantic.StaticModel(altered)


def test_a_missing_model_file_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(semantic.ModelError, match="cannot be read"):
        semantic.StaticModel(tmp_path / "missing.npz")


def test_the_scorer_is_off_when_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMETREE_SEMANTIC", "0")
    assert semantic.load_embedder() is None
    result = merge([(1, outline(ONE, prefix="t1")), (2, outline(TWO, prefix="t2"))])
    assert result["stats"]["embeddings"] is False


def test_the_tokenizer_cuts_words_as_bert_does(embed: semantic.StaticModel) -> None:
    # the pieces BERT's own (uncased) tokenizer gives for these texts
    inv = {i: t for t, i in embed.tokenizer.vocab.items()}

    def pieces(text: str) -> list[str]:
        return [inv[i] for i in embed.tokenizer.encode(text)]

    assert pieces("Misgeneralisation under distribution shift") == [
        "mis", "##gen", "##eral", "##isation", "under", "distribution", "shift"
    ]  # fmt: skip
    assert pieces("We can't see inside neural networks!") == [
        "we", "can", "'", "t", "see", "inside", "neural", "networks", "!"
    ]  # fmt: skip
    assert pieces("Café AI-safety (ELK) 2026") == [
        "cafe", "ai", "-", "safety", "(", "elk", ")", "202", "##6"
    ]  # fmt: skip
    assert basic_tokens("  ") == []
    assert WordPiece({"[UNK]": 0, "a": 1}).encode("a b") == [1, 0]


def test_merge_suggests_a_paraphrase_with_no_shared_word_only_with_the_model(
    embed: semantic.StaticModel,
) -> None:
    trees = [(1, outline(ONE, prefix="t1")), (2, outline(TWO, prefix="t2"))]
    plain = merge(trees, embedder=None)
    blended = merge(trees)  # what the app does: the shipped model
    assert blended["stats"]["embeddings"] is True
    assert pair_of(plain, "t1a", "t2a") is None
    found = pair_of(blended, "t1a", "t2a")
    assert found is not None
    assert "labels" in found["explanation"]


def test_on_the_quality_set_the_model_finds_the_oversight_paraphrase_words_miss(
    embed: semantic.StaticModel,
) -> None:
    labels = {(t, n["id"]): n["text"] for t, nodes in problem_trees() for n in nodes}

    def missed(q: dict[str, Any]) -> set[frozenset[str]]:
        return {frozenset((labels[a], labels[b])) for a, b in q["missed"]}

    pair = frozenset(("Scalable oversight", "Supervising systems smarter than us"))
    words = merge_quality(embedder=None)
    semantic_ = merge_quality(embedder=embed)
    assert pair in missed(words)
    assert pair not in missed(semantic_)
    assert semantic_["auto_precision"] >= 0.95, semantic_["wrong_auto"]
    assert semantic_["recall_auto_plus_top3"] > words["recall_auto_plus_top3"]


def test_labels_read_as_one_failure_mode_count_as_alike_in_meaning(
    embed: semantic.StaticModel,
) -> None:
    # "Instrumental convergence" and "power seeking" share no word and the static model
    # puts them apart; the vocabulary names both as one failure mode
    one = outline("R r Alignment\n  R a Instrumental convergence", prefix="t1")
    two = outline("R r Alignment\n  R a power seeking", prefix="t2")
    assert cos(embed, "Instrumental convergence", "power seeking") < 0.2
    found = pair_of(merge([(1, one), (2, two)]), "t1a", "t2a")
    assert found is not None and found["components"]["labels"] >= 0.5


def test_ascii_texts_take_a_shortcut_that_cuts_them_as_the_general_loop_does() -> None:
    text = "Hello, World! It's (ELK) 2026_x a-b \tc ~{x}"
    # a non-ASCII word at the end sends the same text through the general loop
    assert basic_tokens(text) == basic_tokens(text + " é")[:-1]
    assert basic_tokens(text)[:4] == ["hello", ",", "world", "!"]
