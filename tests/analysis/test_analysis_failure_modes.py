"""Analysis layer tests: failure-mode statistics, rescue, tag suggestions, clusters."""

from __future__ import annotations

from analysis_helpers import outline

from trees.analysis.failure_modes import (
    GameCorpus,
    cluster_untagged,
    failure_mode_table,
    suggest_tags,
)
from trees.analysis.recurrence import TreeInput, recurring

GAME = """
P p1 Train on human approval
  C c1 [goodhart] @1 The model learns to seek approval rather than be right
  C c2 [deception] @2 A capable model could pretend to be aligned during training
P p2 Debate between two models
  C c3 [goodhart] @2 Judges reward persuasive answers rather than true ones
    X x1 @3 Train judges on questions with known answers
      C c4 [goodhart] @3 Judges then reward whatever looks like the known-answer style
P p3 Interpretability audits before deployment
  C c5 [deception] @1 The model could hide its reasoning from the probes
    X x2 @1 Audit many layers with independent tools
P p4 Imitate a careful human
"""


def table(text: str = GAME) -> dict[str, dict[str, object]]:
    return {row["tag"]: row for row in failure_mode_table([(1, outline(text))])}


def test_props_stand_authors_and_whack_a_mole_follow_the_definitions() -> None:
    rows = table()
    good = rows["goodhart"]
    assert good["props"] == 2  # p1, p2
    assert good["stand"] == 2  # c1 breaks p1; c3 stands again because c4 broke its patch
    assert good["authors"] == 3
    assert good["re"] == 1  # c4 sits below the patch of the earlier goodhart critique c3
    assert good["score"] == (2 + 2) * 3 / 4 + 0.5 * 1
    dec = rows["deception"]
    assert dec["props"] == 2
    assert dec["stand"] == 1  # c2 breaks p1; c5 is answered by x2
    assert dec["re"] == 0


def test_rescue_counts_proposals_that_answering_every_tag_critique_would_save() -> None:
    rows = table()
    # p1 is broken by c1 (goodhart) and c2 (deception): answering one tag saves nothing.
    # p2 is broken only through goodhart critiques: answering them saves it.
    assert rows["goodhart"]["rescue"] == 1
    assert rows["deception"]["rescue"] == 0


def test_the_table_is_sorted_most_taut_first_with_members_for_drill_down() -> None:
    rows = failure_mode_table([(1, outline(GAME))])
    assert [r["tag"] for r in rows] == ["goodhart", "deception"]
    members = {m["node"] for m in rows[0]["members"]}
    assert members == {"c1", "c3", "c4"}
    assert all({"tree", "node", "label", "status"} <= m.keys() for m in rows[0]["members"])


def test_tags_compare_case_and_punctuation_insensitively_across_trees() -> None:
    one = outline("P p1 a\n  C c1 [Reward-Hacking] x", prefix="a")
    two = outline("P p1 b\n  C c1 [reward_hacking] y", prefix="b")
    rows = failure_mode_table([(1, one), (2, two)])
    assert len(rows) == 1
    assert rows[0]["props"] == 2
    assert {m["tree"] for m in rows[0]["members"]} == {1, 2}


def test_untagged_critiques_get_the_tag_of_their_nearest_tagged_neighbours() -> None:
    nodes = outline(
        GAME
        + """
P p5 Recursive reward modelling
  C c6 The reward model learns to seek the approval of raters rather than being right
  C c7 Nothing about this scales to superhuman tasks
"""
    )
    sugg = {s["node"]: s for s in suggest_tags([(1, nodes)])}
    assert sugg["c6"]["suggestions"][0]["tag"] == "goodhart"
    assert sugg["c6"]["suggestions"][0]["neighbours"][0]["node"] == "c1"
    assert "c1" not in sugg  # tagged critiques get no suggestions


def test_clusters_of_untagged_critiques_span_proposals_and_are_reproducible() -> None:
    text = """
P p1 Imitation learning
  C c1 Human demonstrators make systematic errors that get copied
P p2 Recursive reward modelling
  C c2 Human raters make systematic errors that get amplified
P p3 Debate
  C c3 The debaters might collude against the judge
P p4 Market making
  C c4 Human judges make systematic errors which the market exploits
"""
    corpus = GameCorpus([(1, outline(text))])
    first = cluster_untagged(corpus, seed=3)
    assert first == cluster_untagged(GameCorpus([(1, outline(text))]), seed=3)
    ids = [{corpus.critiques[q].id for q in c} for c in first]
    assert {"c1", "c2", "c4"} in ids


def test_recurring_on_game_trees_ranks_tags_and_clusters_together() -> None:
    text = (
        GAME
        + """
P p5 Imitation learning
  C c11 Human demonstrators make systematic errors that get copied
P p6 Recursive reward modelling
  C c12 Human raters make systematic errors that get amplified
P p7 Market making
  C c14 Human judges make systematic errors which the market exploits
"""
    )
    result = recurring([TreeInput(1, outline(text))], top=5)
    assert result["kind"] == "game"
    kinds = {item["kind"] for item in result["items"]}
    assert kinds == {"tag", "cluster"}
    scores = [item["score"] for item in result["items"]]
    assert scores == sorted(scores, reverse=True)
    cluster = next(item for item in result["items"] if item["kind"] == "cluster")
    assert {m["node"] for m in cluster["members"]} == {"c11", "c12", "c14"}
    assert cluster["props"] == 3


def test_recurring_on_problem_trees_ranks_by_breadth_times_support() -> None:
    one = outline(
        """
R r Alignment
  R a Outer alignment
    R g Goodhart's law
  R b Scalable oversight
""",
        prefix="one",
    )
    one[2]["parents"] = ["oneb"]  # a DAG: Goodhart sits under both problems
    two = outline(
        """
R r Alignment
  R a Outer alignment
    R g Goodhart's law
  R i Interpretability
""",
        prefix="two",
    )
    result = recurring([TreeInput("one", one), TreeInput("two", two)])
    assert result["kind"] == "problem"
    first = result["items"][0]
    assert first["label"] == "Goodhart's law"
    assert first["breadth"] == 2  # under outer alignment and under scalable oversight
    assert first["support"] == 1.0
    assert {m["tree"] for m in first["members"]} == {"one", "two"}
