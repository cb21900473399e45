"""The critique reader: failure modes read by example (trees/analysis/vocabulary/examples.py),
with the shipped weights and the shipped transformer."""

from __future__ import annotations

import numpy as np
import pytest
from analysis_helpers import outline

from trees.analysis.recurrence import failure_modes
from trees.analysis.recurrence.failure_modes import GameCorpus, critique_reader
from trees.analysis.taxonomy import STARTER_MODES, Mode
from trees.analysis.text.weights import ModelError
from trees.analysis.vocabulary import examples
from trees.analysis.vocabulary.examples import (
    OVERRULE_MIN,
    READ_MIN,
    ExampleReader,
    adjust_to_tree_prior,
    read_by_examples,
    reader,
)
from trees.analysis.vocabulary.modes import ModeMatch, Vocabulary, starter_vocabulary

STARTER = starter_vocabulary()
IDS = tuple(m.id for m in STARTER_MODES)


def probs_for(mode: str, share: float) -> np.ndarray:
    """Mode probabilities (reader column order) with ``share`` on ``mode``, the rest spread
    evenly over the other modes."""
    p = np.full((1, len(IDS)), (1.0 - share) / (len(IDS) - 1), dtype=np.float32)
    p[0, IDS.index(mode)] = share
    return p


def phrase(mode: str, score: float) -> ModeMatch:
    return ModeMatch(STARTER.by_id[mode], score, min(score, 1.0), ("a phrase",))


def test_the_shipped_reader_is_verified_and_knows_every_mode_of_the_vocabulary() -> None:
    r = reader()
    assert r.modes == IDS
    assert r.weights.shape == (384, len(IDS))
    with pytest.raises(ModelError, match="SHA-256"):
        ExampleReader(examples.READER_FILE, "0" * 64)


def test_critiques_no_phrase_reads_are_read_by_example_into_their_family() -> None:
    # written for this test (not in the reader's training texts nor in any quality set)
    texts = {
        "Grade it by how many tickets it closes and it will close tickets, solved or not.": (
            "gaming"
        ),
        "Whose idea of fairness goes into the rulebook? The drafting committee is twelve "
        "people from one city.": "values",
    }
    probs = reader()(list(texts))
    read = read_by_examples(STARTER, reader().modes, probs, [None] * len(texts))
    for got, family in zip(read, texts.values(), strict=True):
        assert got is not None and got.mode.family == family
        assert got.evidence[0].startswith("examples 0.")
        assert got.score == 0.6  # as weak as one phrase: it never outweighs a name


def test_an_unread_critique_is_read_only_when_the_reader_is_clear_enough() -> None:
    read = read_by_examples(STARTER, IDS, probs_for("racing", READ_MIN + 0.05), [None])
    assert read[0] is not None and read[0].mode.family == "incentives"
    assert read_by_examples(STARTER, IDS, probs_for("racing", READ_MIN - 0.1), [None]) == [None]


def test_the_reader_overrules_cues_it_clearly_disagrees_with_but_never_a_name() -> None:
    cue = phrase("self-exfiltration", 0.6)
    name = phrase("self-exfiltration", 1.0)
    sure = probs_for("deceptive-alignment", OVERRULE_MIN + 0.1)
    unsure = probs_for("deceptive-alignment", OVERRULE_MIN - 0.1)
    overruled = read_by_examples(STARTER, IDS, sure, [cue])[0]
    assert overruled is not None and overruled.mode.id == "deceptive-alignment"
    assert read_by_examples(STARTER, IDS, unsure, [cue]) == [cue]
    assert read_by_examples(STARTER, IDS, sure, [name]) == [name]
    # agreeing on the family keeps the phrase reading and its evidence
    agree = probs_for("power-seeking", 0.95)
    assert read_by_examples(STARTER, IDS, agree, [cue]) == [cue]


def test_a_vocabulary_sharing_no_mode_with_the_reader_is_not_read_by_example() -> None:
    own = Vocabulary([Mode("our-mode", "Ours", ".", "ours", aliases=("ours",))])
    assert read_by_examples(own, IDS, probs_for("racing", 0.99), [None]) == [None]


def test_reading_by_example_is_off_with_the_transformer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GAMETREE_SEMANTIC", "static")
    assert critique_reader() is None
    monkeypatch.setenv("GAMETREE_SEMANTIC", "0")
    assert critique_reader() is None
    monkeypatch.setenv("GAMETREE_SEMANTIC", "1")
    assert critique_reader() is reader()


TREE = """
P p1 A sandboxed agent
  C c1 @1 Grade it by how many tickets it closes and it will close tickets, solved or not.
P p2 A constitution
  C c2 @2 Whose idea of fairness goes into the rulebook? The drafting committee is from one city.
P p3 A monitor
  C c3 @3 Rate it by the dashboard and the dashboard is what gets better.
"""


def test_trees_with_more_distinct_critiques_than_the_limit_are_read_without_the_reader(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with_reader = GameCorpus([(1, outline(TREE))], reader=reader())
    assert with_reader.example_probs is not None
    assert with_reader.modes[0] is not None and with_reader.modes[0].mode.family == "gaming"
    monkeypatch.setattr(failure_modes, "EXAMPLES_MAX_TEXTS", 2)
    over = GameCorpus([(1, outline(TREE))], reader=reader())
    assert over.example_probs is None
    assert over.modes[0] is None  # no phrase reads it, and the static model is not given


BIG = """
P p1 A tool
  C d1 @1 It is fine.
  C d2 @1 It is not fine.
  C d3 @1 Nobody checks it.
"""


def test_a_tree_reads_alike_alone_and_beside_a_tree_over_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the limit is per tree: a workshop's other trees do not switch the reader off for this one
    monkeypatch.setattr(failure_modes, "EXAMPLES_MAX_TEXTS", 3)
    small = outline(TREE)
    alone = GameCorpus([(1, small)], reader=reader())
    beside = GameCorpus([(2, outline(BIG + TREE, prefix="big")), (1, small)], reader=reader())
    assert [beside.critiques[k].tree for k in beside.example_rows] == [1, 1, 1]
    assert beside.modes[-3:] == alone.modes
    assert alone.modes[0] is not None and alone.modes[0].evidence[0].startswith("examples")


def test_reading_by_example_stops_at_its_limit_over_all_trees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(failure_modes, "EXAMPLES_MAX_TEXTS_READ", 3)
    # the second tree repeats two of the first's critiques: one new text would pass 3
    trees = [(1, outline(TREE, prefix="one")), (2, outline(TREE.replace("city", "town")))]
    corpus = GameCorpus(trees, reader=reader())
    assert [corpus.critiques[k].tree for k in corpus.example_rows] == [1, 1, 1]
    assert corpus.example_probs is not None and corpus.example_probs.shape[0] == 3


def test_a_family_common_in_its_tree_wins_an_ambiguous_critique_by_the_tree_prior() -> None:
    # three critiques clearly of racing (competitive pressure), one split evenly between
    # racing and sycophancy: in this tree competitive pressure is common, so the split one
    # leans to it; each row still sums to 1
    probs = np.vstack([probs_for("racing", 0.8)] * 3 + [probs_for("racing", 0.3)])
    probs[3, IDS.index("sycophancy")] = 0.3
    probs[3] /= probs[3].sum()
    out = adjust_to_tree_prior(STARTER, IDS, probs)
    assert out[3, IDS.index("racing")] > 1.5 * out[3, IDS.index("sycophancy")]
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-5)
    assert np.array_equal(adjust_to_tree_prior(STARTER, IDS, probs), out)  # deterministic
    # with power 0 (no adjustment) it is the reader's reading
    assert np.allclose(adjust_to_tree_prior(STARTER, IDS, probs, power=0.0), probs, atol=1e-6)


def test_tree_priors_are_per_tree_so_a_tree_reads_alike_alone_and_beside_another(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(examples, "TREE_PRIORS", True)
    small = outline(TREE)
    alone = GameCorpus([(1, small)], reader=reader())
    beside = GameCorpus([(2, outline(BIG, prefix="big")), (1, small)], reader=reader())
    assert alone.example_probs is not None and beside.example_probs is not None
    assert np.allclose(beside.example_probs[-3:], alone.example_probs, atol=1e-6)
    monkeypatch.setattr(examples, "TREE_PRIORS", False)
    plain = GameCorpus([(1, small)], reader=reader())
    assert plain.example_probs is not None
    assert not np.allclose(plain.example_probs, alone.example_probs, atol=1e-6)


def test_critique_models_follow_gametree_semantic(monkeypatch: pytest.MonkeyPatch) -> None:
    from trees.analysis.recurrence.failure_modes import critique_models

    monkeypatch.setenv("GAMETREE_SEMANTIC", "1")
    both = critique_models()
    assert both.embedder is not None and both.reader is reader()
    assert critique_models(semantic=False) == failure_modes.CritiqueModels()
    monkeypatch.setenv("GAMETREE_SEMANTIC", "static")
    static = critique_models()
    assert static.embedder is not None and static.reader is None
    monkeypatch.setenv("GAMETREE_SEMANTIC", "0")
    assert critique_models() == failure_modes.CritiqueModels()
