"""Analysis layer behaviour test on the fixed quality set (tests/analysis/quality/).

Targets: automatic merges precision >= 0.95; automatic + top-3 suggestions recall >= 0.8;
the gold top failure mode of the game tree ranked first by ``recurring``.

The failure-mode vocabulary was written with ``game.json`` and the two development trees in
view; ``heldout_game.json`` was written after it froze and shows how far it carries to new
wording (not far yet: see docs/analysis.md).
"""

from __future__ import annotations

from typing import Any

import pytest
from quality.quality_eval import (
    failure_mode_quality,
    failure_set_quality,
    merge_quality,
    merge_set_quality,
    set_dirs,
    tag_agreement,
)


def test_automatic_merges_are_precise_and_suggestions_find_most_true_pairs() -> None:
    q = merge_quality()
    assert q["auto_precision"] >= 0.95, q["wrong_auto"]
    assert q["recall_auto_plus_top3"] >= 0.8, q["missed"]


def test_a_stricter_auto_threshold_keeps_automatic_merges_precise() -> None:
    q = merge_quality(auto=0.9)
    assert q["auto_precision"] >= 0.95


def test_the_gold_top_failure_mode_is_ranked_first() -> None:
    q = failure_mode_quality()
    assert q["top_rank"] == 1, q["items"]


def test_the_tagged_failure_mode_people_share_is_found_among_the_top_items() -> None:
    # proxy gaming hits more proposals than deception, so deception cannot be first too
    q = failure_mode_quality()
    assert q["ranks"]["deception"] is not None and q["ranks"]["deception"] <= 3, q["items"]


def test_untagged_critiques_are_clustered_mostly_with_their_own_failure_mode() -> None:
    q = failure_mode_quality()
    assert q["cluster_precision"] >= 0.8, q["items"]
    assert q["cluster_recall"] >= 0.7, q["items"]


def test_with_word_similarity_alone_the_paraphrased_top_mode_is_not_found() -> None:
    # the gap the vocabulary and the model close: shared words alone group none of them
    q = failure_mode_quality(vocabulary=False, semantic=False)
    assert q["ranks"]["proxy"] is None


def test_the_vocabulary_reads_tagged_demo_critiques_into_the_family_of_their_tag() -> None:
    # the demo tree predates the vocabulary: an independent check of its precision
    t = tag_agreement()
    assert t["precision"] >= 0.8, t
    assert t["recall"] >= 0.4, t


@pytest.mark.parametrize("game_set", ["dev", "dev2"])
def test_the_top_failure_mode_of_each_development_tree_is_ranked_first(game_set: str) -> None:
    q = failure_mode_quality(game_set=game_set)
    assert q["top_rank"] == 1, q["items"]


# Held out since the vocabulary froze, and never read to tune on: its top mode was not found
# (rank None) through round 8; it ranks first since round 9's meaning edges between critiques
# and one-word cues confirmed by meaning (2026-12-07), with nothing fitted to it.
def test_the_top_failure_mode_of_the_held_out_tree_is_ranked_first() -> None:
    q = failure_mode_quality(game_set="heldout")
    assert q["top_rank"] == 1, q["items"]


# ---- the independent sets (quality/sets/: dev developed on, eval held out) ------------------


def split_merge(split: str) -> dict[str, float]:
    """Pairs of all the split's problem-tree sets together, as bench/quality_merge.py sums."""
    gold = auto = right = found = dis_gold = dis_rep = 0
    for path in set_dirs(split, "pt"):
        q = merge_set_quality(path)
        gold += q["gold_pairs"]
        auto += q["auto_pairs"]
        right += round(q["auto_precision"] * q["auto_pairs"])
        found += round(q["recall_auto_plus_top3"] * q["gold_pairs"])
        dis_gold += q["disagreements_gold"]
        dis_rep += q["disagreements_reported"]
        assert q["mirror_suggestions"] == 0
    return {
        "precision": right / auto if auto else 1.0,
        "recall": found / gold,
        "disagreements": dis_rep / dis_gold,
    }


def test_automatic_merges_on_the_independent_sets_are_precise() -> None:
    assert split_merge("dev")["precision"] >= 0.95


def test_suggestions_find_most_true_pairs_of_the_development_sets() -> None:
    # 0.793 with the static model (2026-12-07); 0.873 with the transformer, which merge uses
    # for sets of this size (tuned on pt_dev1-5: bench/RESULTS_analysis.md, round 9); 0.826
    # once pt_dev6-8 joined (round 10: 0.757 on them while held out); 0.910 with the glossary
    # of alignment concepts (round 11, tuned on all of dev); 0.869 once pt_dev9-11 joined
    # (round 12: 0.733 on them while held out); 0.894 with the one-to-one assignment of
    # labels between trees (round 13); 0.867 once pt_dev12-14 joined, 0.913 with what terms
    # mean in the label vectors (round 14); 0.882 once pt_dev15-17 joined (0.725 on them while
    # held out); 0.846 once pt_dev18-20 joined (0.653 on them while held out); 0.856 with the
    # blind-written glossary of people's other names for each concept (round 15); 0.834 once
    # pt_dev21-23 joined (0.707 on them while held out); 0.811 once pt_dev24-26 joined (0.636
    # on them while held out); 0.873 with the fine-tuned transformer (round 16: trained on no
    # quality set, its calibration unchanged)
    assert split_merge("dev")["recall"] >= 0.87


@pytest.mark.xfail(
    strict=True,
    reason="65 of 71 with the fine-tuned transformer (round 16; 57 of 71 since pt_dev24-26 "
    "joined, 6 of 9 on them while held out); 51 of 62 since pt_dev21-23 joined (4 of 9 on "
    "them while held out); 47 of 53 with "
    "the blind-written glossary (round 15; 44 of 53 since pt_dev18-20 "
    "joined, 7 of 9 on them while held out); 37 of 44 since pt_dev15-17 joined (6 of 9 on "
    "them while held out, round 14); 31 of 35 with mirrored pairs as links (round 14; 26 of "
    "35 before); 21 of 26 since pt_dev9-11 joined (round 12: 5 of 9 on them while held out); "
    "16 of 17 with the concept glossary (round 11; 15 of 17 since pt_dev6-8 joined dev, "
    "round 10: 5 of 7 on them while held out)",
)
def test_every_gold_hierarchy_disagreement_is_reported() -> None:
    # 8 of 10 with the static model; 10 of 10 with the transformer (round 9)
    assert split_merge("dev")["disagreements"] == 1.0


# gt_dev30-35 (were gt_eval38-43) that the scorer still misses, with the measured rank
DEV30_MISSES = {
    30: "no item stands for its top mode (the optimiser routes around its own safeguard)",
    31: "no item stands for its top mode (development moves outside the regulator's reach)",
    32: "its top mode (behaves well only while watched) ranks first but two items stand for it",
    33: "its top mode (works on the overseer's judgement) ranks 3, one item holding 22%",
    34: "its top mode (users stop scrutinising the safeguard) ranks 2, one item holding 25%",
}


@pytest.mark.parametrize(
    "name",
    [
        "gt_dev1",
        "gt_dev2",
        "gt_dev3",
        "gt_dev4",
        "gt_dev5",
        "gt_dev6",
        "gt_dev7",
        "gt_dev8",
        "gt_dev9",
        pytest.param(
            "gt_dev10",
            marks=pytest.mark.xfail(
                strict=True,
                reason="first as one item until round 19; since round 20 its top mode ranks "
                "first but two items stand for it (the cross-proposal set, 3 of 6 its critiques,"
                " beside the Goodhart family item), the first holding 38% of its critiques",
            ),
        ),
        "gt_dev11",
        "gt_dev12",
        pytest.param(
            "gt_dev13",
            marks=pytest.mark.xfail(
                strict=True,
                reason="held out until round 14 (gt_eval11): its top mode (the careful version "
                "is outcompeted) ranks 2, as one item holding 38% of its critiques",
            ),
        ),
        pytest.param(
            "gt_dev14",
            marks=pytest.mark.xfail(
                strict=True,
                reason="held out until round 15 (gt_eval12): its top mode (behaves well only "
                "while watched or weak) ranks 5, as one item holding 22% of its critiques",
            ),
        ),
        "gt_dev15",
        "gt_dev16",  # held out until round 15 (gt_eval14); first as one item since round 19
        "gt_dev17",
        "gt_dev18",  # gt_eval16: no item stood for its top mode until round 20
        "gt_dev19",
        pytest.param(
            "gt_dev20",
            marks=pytest.mark.xfail(
                strict=True,
                reason="held out until round 16, measured once (gt_eval18): no item stands for its"
                " top mode (what was checked only holds where it was checked)",
            ),
        ),
        pytest.param(
            "gt_dev21",
            marks=pytest.mark.xfail(
                strict=True,
                reason="held out until round 16, measured once (gt_eval19): its top mode (the "
                "checkers cannot tell right from wrong) ranks 6, as one item holding 29% of"
                " its critiques",
            ),
        ),
        "gt_dev22",
        "gt_dev23",
        # gt_dev24-29 were gt_eval26-31, measured once with the round-17 scorer (2 of 6)
        "gt_dev24",  # gt_eval26: no item stood for its top mode until round 19
        pytest.param(
            "gt_dev25",
            marks=pytest.mark.xfail(
                strict=True,
                reason="held out until round 17 (gt_eval27): its top mode ranks 3 (29%)",
            ),
        ),
        pytest.param(
            "gt_dev26",
            marks=pytest.mark.xfail(
                strict=True,
                reason="held out until round 17 (gt_eval28): its top mode ranks 5 (25%)",
            ),
        ),
        "gt_dev27",
        "gt_dev28",  # gt_eval30: no item stood for its top mode until round 19
        "gt_dev29",
        # gt_dev30-35 were gt_eval38-43 (the thirteenth group), measured once with the
        # round-17 scorer (0 of 6)
        *(
            pytest.param(
                f"gt_dev{n}",
                marks=pytest.mark.xfail(strict=True, reason=f"held out until round 18: {why}"),
            )
            for n, why in DEV30_MISSES.items()
        ),
        "gt_dev35",  # gt_eval43: no item stood for its top mode until round 20
    ],
)
def test_the_gold_top_failure_mode_is_first_and_one_item(name: str) -> None:
    # gt_dev3 (oversight does not scale) was split in 2 items and gt_dev4 (competitive
    # pressure) not found until clusters took meaning edges and one-word cues confirmed by
    # meaning (round 9). gt_dev6-8 were measured once while held out (round 10): gt_dev6's
    # top mode (fooling its overseers) ranked 2, gt_dev7's (alignment tax under commercial
    # pressure) was not found, gt_dev8's (convergent instrumental incentives) ranked 2; first
    # as one item since round 11's vocabulary (families one failure mode each). gt_dev9-11
    # were gt_eval7-9 (held out: met on all three in round 12)
    path = next(p for p in set_dirs("dev", "gt") if p.name == name)
    q = failure_set_quality(path)
    assert (q["top_rank"], q["top_items"]) == (1, 1), q["items"]


# ---- the held-out sets (quality/sets/eval; nothing is tuned on them): pt_eval25-27 (the ninth
# group of blind authors, written as workshop participants write) and gt_eval22-25 (the tenth),
# each measured once with the round-16 scorer (bench/RESULTS_analysis.md, round 16). ----------


def test_automatic_merges_on_the_held_out_sets_are_precise() -> None:
    # measured once: one automatic pair, right (1.000); the held-out sets of rounds 14-15: one
    # automatic pair in all, right
    assert split_merge("eval")["precision"] >= 0.95


def test_suggestions_find_most_true_pairs_of_the_held_out_sets() -> None:
    # measured once with the round-16 scorer: 0.949 (pt_eval25 0.918, pt_eval26 0.962,
    # pt_eval27 0.959); the round-15 scorer on the same sets 0.938. Earlier groups, whose
    # authors wrote in other fields' metaphors, stayed at 0.64-0.76 (they are dev sets now)
    assert split_merge("eval")["recall"] >= 0.85


def test_every_gold_hierarchy_disagreement_of_the_held_out_sets_is_reported() -> None:
    # measured once with the round-16 scorer: 9 of 9 (the round-15 scorer: 8 of 9)
    assert split_merge("eval")["disagreements"] == 1.0


# Held-out game trees. gt_eval22-25 (the tenth group) were measured with the round-16 scorer
# (1 of 4) and the round-17 scorer (3 of 4; two of them were seen passing during round 17's
# development); gt_eval32-37 (the twelfth group) once with the round-17 scorer (3 of 6; the
# round-16 scorer 1 of 6; a round-17 variant whose reader also learnt from the development trees
# was measured beside it and not kept): bench/RESULTS_analysis.md, round 17. gt_eval44-55
# (written after that) once with the shipped round-17 scorer: round 18. Round 19's scorer was
# measured on gt_eval56-61 (written after it froze) beside round 17's, and then on the others;
# round 20's on gt_eval62-69 (written after its pre-registration) beside round 19's, then on the
# others. Each reason gives the ranks measured; a comment gives a passing tree's.
def xfail(name: str, reason: str) -> Any:
    return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize(
    "name",
    [
        # round 16: ranks 2 (25% of its critiques); rounds 17, 19 and 20: first as one item (50%)
        "gt_eval22",
        xfail(
            "gt_eval23",
            "round 16: no item stands for its top mode (the guarantee lives in the idealised "
            "model); round 17: first as one item (38%); round 19: no item; round 20: rank 2, "
            "as one item holding 25%",
        ),
        # rounds 16, 17, 19 and 20: first, as one item holding 71% of its critiques
        "gt_eval24",
        xfail(
            "gt_eval25",
            "measured with the round-16, -17, -19 and -20 scorers: its top mode (checkers cannot "
            "judge work beyond their understanding) ranks 2, as one item holding 29% (rounds 17, "
            "19 and 20: 43%) of its critiques",
        ),
        # round 17: first, as one item holding 71% of its critiques (rounds 19 and 20: 57%; round
        # 16: no item)
        "gt_eval32",
        xfail(
            "gt_eval33",
            "measured with the round-17, -19 and -20 scorers: no item stands for its top mode "
            "(optimises the measurable stand-in instead of what was meant)",
        ),
        xfail(
            "gt_eval34",
            "rounds 17 and 19: first as one item (33%); round 20: its top mode (deceptive "
            "alignment) ranks 2, as one item holding 33%",
        ),
        xfail(
            "gt_eval35",
            "its top mode (gaming the score) ranks 3 with the round-17 scorer, 2 with rounds 19 "
            "and 20, as one item holding 25% of its critiques",
        ),
        # round 20: first, as one item holding 62% (rounds 17 and 19: no item)
        "gt_eval36",
        # round 17: first, as one item holding 88% of its critiques (rounds 19 and 20: 75%; round
        # 16: no item)
        "gt_eval37",
        # gt_eval44-55 (the fourteenth and fifteenth groups): round 17, 2 of 12 (round 18); round
        # 19, 4 of 12; round 20, 4 of 12
        # rounds 19 and 20: first, as one item holding 29% (round 17: no item)
        "gt_eval44",
        xfail(
            "gt_eval45",
            "measured with the round-17, -19 and -20 scorers: no item stands for its top mode "
            "(the rule binds only those who opt in)",
        ),
        # round 20: first, as one item holding 57% (rounds 17 and 19: no item)
        "gt_eval46",
        xfail(
            "gt_eval47",
            "measured with the round-17, -19 and -20 scorers: no item stands for its top mode "
            "(hits the measure, misses the point)",
        ),
        xfail(
            "gt_eval48",
            "measured with the round-17, -19 and -20 scorers: no item stands for its top mode "
            "(optimising against the interpretability signal teaches the model to hide from it)",
        ),
        xfail(
            "gt_eval49",
            "round 17: rank 2; round 19: first as one item (57%); round 20: its top mode (behaves "
            "differently when it knows it is assessed) ranks 2, as one item holding 57%",
        ),
        # round 20: first, as one item holding 43% (rounds 17 and 19: no item)
        "gt_eval50",
        xfail(
            "gt_eval51",
            "rounds 17 and 19: first as one item (43%); round 20: its top mode (strategic "
            "deception under observation) ranks 2, as one item holding 43%",
        ),
        xfail(
            "gt_eval52",
            "its top mode (satisfies the written rule while defeating its purpose) ranks 6 with "
            "the round-17 and -19 scorers (29%), 2 with round 20's (57%)",
        ),
        xfail(
            "gt_eval53",
            "round 17: first as one item (57%); rounds 19 and 20: its top mode (behaves well when "
            "it can tell it is observed) ranks 2, as one item holding 29%",
        ),
        # rounds 19 and 20: first, as one item holding 57% (round 17: no item)
        "gt_eval54",
        xfail(
            "gt_eval55",
            "measured with the round-17, -19 and -20 scorers: its top mode (harm nobody can "
            "observe, attribute or settle in time) ranks 2, as one item holding 50%",
        ),
        # gt_eval56-61 (the sixteenth group), measured once with the round-17 and round-19 scorers:
        # 1 and 2 of 6 (bench/RESULTS_analysis.md, round 19); round 20: 1 of 6
        xfail(
            "gt_eval56",
            "rounds 19 and 20: no item stands for its top mode (leans on a second AI that would "
            "itself need aligning); round 17: rank 2, 29%",
        ),
        xfail(
            "gt_eval57",
            "round 19: its top mode (optimises what is measured instead of what is wanted) ranks "
            "4, as one item holding 20%; rounds 17 and 20: first, but two items stand for it",
        ),
        xfail(
            "gt_eval58",
            "rounds 17, 19 and 20: no item stands for its top mode (optimises the measured signal "
            "instead of the goal it stands for)",
        ),
        xfail(
            "gt_eval59",
            "rounds 17, 19 and 20: no item stands for its top mode (acts differently when it can "
            "tell it is being checked)",
        ),
        xfail(
            "gt_eval60",
            "round 19: first as one item (29%); rounds 17 and 20: first, but two items stand for "
            "its top mode (optimising a measurable stand-in)",
        ),
        # rounds 17, 19 and 20: first, as one item holding 57%
        "gt_eval61",
        # gt_eval62-69 (the seventeenth group), measured once with the round-19 and round-20
        # scorers: 2 and 2 of 8 (MRR/items 0.34 and 0.41; bench/RESULTS_analysis.md, round 20)
        xfail(
            "gt_eval62",
            "rounds 19 and 20: its top mode (behaves well only while observed) ranks 4, as one "
            "item holding 29%",
        ),
        # rounds 19 and 20: first, as one item holding 57%
        "gt_eval63",
        xfail(
            "gt_eval64",
            "rounds 19 and 20: no item stands for its top mode (specification gaming / reward "
            "hacking)",
        ),
        xfail(
            "gt_eval65",
            "rounds 19 and 20: its top mode (alignment faking: behaves well while tested) ranks 2, "
            "as one item holding 43%",
        ),
        # round 20: first, as one item holding 43% (round 19: no item)
        "gt_eval66",
        xfail(
            "gt_eval67",
            "round 19: first as one item (43%); round 20: first, but two items stand for its top "
            "mode (reward hacking / Goodhart)",
        ),
        xfail(
            "gt_eval68",
            "rounds 19 and 20: no item stands for its top mode (optimises the score or stated rule "
            "instead of the intent)",
        ),
        xfail(
            "gt_eval69",
            "rounds 19 and 20: no item stands for its top mode (behaves well only while observed "
            "or weak)",
        ),
    ],
)
def test_the_gold_top_failure_mode_of_each_held_out_tree_is_first_and_one_item(name: str) -> None:
    path = next(p for p in set_dirs("eval", "gt") if p.name == name)
    q = failure_set_quality(path)
    assert (q["top_rank"], q["top_items"]) == (1, 1), q["items"]
