"""Analysis layer tests: which sentence model a merge uses, and what each one's calibration
changes (the shipped weights, no stand-in)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from analysis_helpers import outline

from trees.analysis.merge import merge
from trees.analysis.merge.matching import Matcher
from trees.analysis.merge.pipeline import _items
from trees.analysis.merge.scores import CALIBRATIONS, meaning
from trees.analysis.text import contextual, semantic
from trees.analysis.text.cache import Matrix
from trees.analysis.text.concepts import alignment_concepts
from trees.analysis.text.glossary import Glossary
from trees.analysis.vocabulary.modes import starter_vocabulary

ONE = "R r Alignment\n  R a Race dynamics\n    R b Alignment tax"
TWO = "R r Alignment\n  R b The alignment tax of safety work\n    R a Competitive pressure"
THREE = "R r Alignment\n  R b Safety costs time (alignment tax)\n    R a Labs racing each other"


@pytest.fixture(autouse=True)
def _model_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GAMETREE_SEMANTIC", raising=False)


def trees(*outlines: str) -> list[tuple[int, list[dict[str, object]]]]:
    return [(k, outline(text, prefix=f"t{k}")) for k, text in enumerate(outlines, start=1)]


def test_a_workshop_sized_merge_reads_its_labels_with_the_transformer() -> None:
    assert merge(trees(ONE, TWO))["stats"]["model"] == "contextual"


def test_a_merge_with_more_distinct_labels_than_the_limit_uses_the_static_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(semantic, "CONTEXTUAL_MAX_TEXTS", 4)  # these trees have 5 labels
    assert merge(trees(ONE, TWO))["stats"]["model"] == "static"


def test_the_static_setting_and_the_off_switch_hold_for_merge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GAMETREE_SEMANTIC", "static")
    assert merge(trees(ONE, TWO))["stats"]["model"] == "static"
    monkeypatch.setenv("GAMETREE_SEMANTIC", "0")
    stats = merge(trees(ONE, TWO))["stats"]
    assert stats["model"] is None and stats["embeddings"] is False


def test_a_cosine_counts_by_the_calibration_of_the_model_that_gave_it() -> None:
    # the transformer's unrelated labels sit closer to 0: its paraphrases count in full
    # from a lower cosine than the static model's
    static, transformer = CALIBRATIONS["static"], CALIBRATIONS["contextual"]
    assert meaning(transformer.ceiling, cal=transformer) == 1.0
    assert meaning(transformer.ceiling, cal=static) < 1.0
    assert meaning(-0.2, cal=transformer) == 0.0


def test_plain_words_no_vocabulary_phrase_reads_are_read_as_the_mode_nearest_in_meaning() -> None:
    # "We can't see inside neural networks" was this test's plain label until the vocabulary
    # learnt to read it by a phrase (round 11, failure modes); this one no phrase reads
    plain_text = "It tells you what you want to hear"
    assert starter_vocabulary().best(plain_text) is None
    items, _ = _items(
        trees(
            f"R r Alignment\n  R a {plain_text}",
            "R r Alignment\n  R a Sycophancy",
        )
    )
    plain, jargon = (
        next(i for i, it in enumerate(items) if it.label == t) for t in (plain_text, "Sycophancy")
    )
    read = Matcher(items, Glossary(), contextual.model())
    lids = read.lid
    assert read._mode_no[lids[plain]] >= 0
    assert read._mode_no[lids[plain]] == read._mode_no[lids[jargon]]
    # the static model's calibration reads modes by vocabulary phrases only
    static = Matcher(items, Glossary(), semantic.model())
    assert static._mode_no[static.lid[plain]] == -1


def test_pending_disagreements_that_share_an_edge_are_one_report() -> None:
    # tree 1 puts the race above the tax; trees 2 and 3 (whose tax labels merge) put it
    # below: one disagreement, seen from two trees, not two reports
    result = merge(trees(ONE, TWO, THREE))
    pending = [d for d in result["disagreements"] if d.get("pending")]
    assert len(pending) == 1
    edges = {(e["parent"]["label"], e["child"]["label"]) for e in pending[0]["cycle"]}
    assert ("Race dynamics", "Alignment tax") in edges
    assert len(edges) == 3
    assert pending[0]["message"].count(" above ") == 3


def test_jargon_and_plain_words_read_as_one_alignment_concept_with_the_transformer() -> None:
    items, _ = _items(
        trees(
            "R r Alignment\n  R a Syco",
            # the plain words name no term of the glossary ("what they want to hear" is one now)
            "R r Alignment\n  R a It agrees with whatever the user already believes instead of "
            "correcting them",
        )
    )
    jargon, plain = (
        next(i for i, it in enumerate(items) if it.label.startswith(t)) for t in ("Syco", "It")
    )
    read = Matcher(items, Glossary(), contextual.model())
    a, b = read.lid[jargon], read.lid[plain]
    shared = read.shared_concept(np.asarray([a]), np.asarray([b]))[0]
    assert shared == CALIBRATIONS["contextual"].concept_read  # the weaker of the two readings
    # meaning counts the shared concept: at least its weight of the label score
    assert read.label_score(jargon, plain) >= CALIBRATIONS["contextual"].weight * shared
    # the static model's calibration has no concept reading: merge at scale is unchanged
    static = Matcher(items, Glossary(), semantic.model())
    assert static.shared_concept(np.asarray([a]), np.asarray([b]))[0] == 0.0


def test_the_glossary_is_embedded_once_for_reading_labels_and_for_its_centroids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # one label named by a term (moved towards its concept's gloss centroid) and one read by
    # meaning (compared with every gloss): both steps use the glosses' vectors
    items, _ = _items(
        trees(
            "R r Alignment\n  R a Syco",
            "R r Alignment\n  R a It agrees with whatever the user already believes instead of "
            "correcting them",
        )
    )
    model = contextual.model()
    asked: list[list[str]] = []
    embed = model.cache.embed

    def recorded(texts: Sequence[str], compute: Callable[[list[str]], Matrix]) -> Matrix:
        asked.append(list(texts))
        return embed(texts, compute)

    monkeypatch.setattr(model.cache, "embed", recorded)
    read = Matcher(items, Glossary(), model)
    assert read._concept_named.any() and (read._concept_no[~read._concept_named] >= 0).any()
    glosses, _ = alignment_concepts().gloss_texts()
    assert asked.count(glosses) == 1


def test_meaning_scores_of_many_pairs_equal_each_pair_scored_alone() -> None:
    # merge scores its mirrored pairs in one call; one pair alone must give the same float
    items, _ = _items(trees(ONE, TWO, THREE))
    read = Matcher(items, Glossary(), contextual.model())
    pairs = [(i, j) for i in range(len(items)) for j in range(len(items)) if i != j]
    together = read.meaning_scores(pairs)
    assert together == [read.meaning_scores([p])[0] for p in pairs]
    assert read.meaning_scores([(0, 0)]) == [1.0]  # identical labels
    assert min(together) > 0.0 and any(s < 1.0 for s in together)
    words_only = Matcher(items, Glossary(), None)
    assert set(words_only.meaning_scores(pairs)) == {0.0, 1.0}  # no model: no meaning


def test_labels_naming_different_alignment_concepts_are_never_merged_automatically() -> None:
    # same root, similar words and structure: 0.815 before the glossary kept them apart
    result = merge(
        trees(
            "R r Alignment\n  R a Outer alignment\n    R b Specification gaming",
            "R r Alignment\n  R a Inner alignment\n    R b Goal misgeneralisation",
        )
    )
    auto = {(m["a"]["label"], m["b"]["label"]) for m in result["matches"] if m["reason"] == "auto"}
    assert ("Outer alignment", "Inner alignment") not in auto
    # still asked: the group decides
    asked = {(s["a"]["label"], s["b"]["label"]) for s in result["suggestions"]}
    assert ("Outer alignment", "Inner alignment") in asked
