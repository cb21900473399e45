"""Analysis layer tests: a workshop at a glance (board counts, group rows, the cross-group
ranking, failure-mode counts, activity) and the before/after comparison. No database."""

from __future__ import annotations

from typing import Any

from analysis_helpers import node, outline

from trees.analysis.workshop import (
    BoardTree,
    activity,
    compare_trees,
    cross_group_ranking,
    failure_mode_counts,
    group_summaries,
    ranking_trees,
    surviving_proposals,
    tree_counts,
)

GROUP_A = outline(
    """
P p1 @1 Imitate a careful human
  C c1 [reward-hacking] @2 It learns to please the rater
  C c2 [distribution-shift] @1 Humans never saw these situations
    X x1 @2 Ask for human review out of distribution
P p2 @1 Debate between two copies
  C c3 [reward-hacking] @2 Debaters learn to persuade, not to be right
    X x2 @1 Judges trained to spot persuasion
      C c4 [reward-hacking] @2 The judge gets hacked instead
""",
    prefix="a",
)
GROUP_B = outline(
    """
P p1 @3 Train on human feedback
  C c1 [reward-hacking] @4 The model games the reward
P p2 @3 Interpretability audits
""",
    prefix="b",
)


def board_tree(tid: int, nodes: list[dict[str, Any]], group: int, **kw: Any) -> BoardTree:
    kw.setdefault("kind", "game")
    kw.setdefault("exercise", 1)
    return BoardTree(id=tid, title=f"t{tid}", nodes=nodes, group=group, **kw)


def test_a_game_tree_counts_its_proposals_critiques_patches_and_which_proposals_survive() -> None:
    counts = tree_counts("game", GROUP_A)
    assert counts["proposals"] == 2
    assert counts["critiques"] == 4
    assert counts["patches"] == 2
    # ap1 is broken by the unanswered reward-hacking critique; ap2's patch is broken by ac4.
    assert counts["broken"] == 2
    assert counts["surviving"] == 0
    assert tree_counts("game", GROUP_B)["surviving"] == 1


def test_deleted_nodes_are_not_counted() -> None:
    nodes = [*GROUP_B, node("bc2", "critique", "bp2", "gone", deleted=True)]
    counts = tree_counts("game", nodes)
    assert counts["critiques"] == 1
    assert counts["surviving"] == 1


def test_a_problem_tree_counts_its_problems_without_the_alignment_root() -> None:
    nodes = outline(
        """
R r Alignment
  R a We cannot specify what we want
    R b Values are hard to write down
  R c Oversight does not scale
"""
    )
    assert tree_counts("problem", nodes)["problems"] == 3


def test_surviving_proposals_lists_only_the_proposals_that_stand() -> None:
    assert surviving_proposals(GROUP_B) == [{"node": "bp2", "label": "Interpretability audits"}]


def test_group_rows_add_up_their_trees_and_keep_the_given_order() -> None:
    trees = [board_tree(1, GROUP_A, 10), board_tree(2, GROUP_B, 20)]
    counts = {t.id: tree_counts(t.kind, t.nodes) for t in trees}
    rows = group_summaries([(20, "Blue"), (10, "Red")], trees, counts)
    assert [r["name"] for r in rows] == ["Blue", "Red"]
    assert rows[1]["totals"]["critiques"] == 4
    assert rows[0]["trees"][0]["id"] == 2
    assert rows[0]["totals"]["surviving"] == 1


def test_a_group_without_trees_still_has_a_row_with_zero_counts() -> None:
    rows = group_summaries([(5, "Late")], [], {})
    assert rows == [{"id": 5, "name": "Late", "trees": [], "totals": rows[0]["totals"]}]
    assert set(rows[0]["totals"].values()) == {0}


def test_the_ranking_puts_the_mode_found_in_both_groups_first_and_says_so() -> None:
    trees = [board_tree(1, GROUP_A, 10), board_tree(2, GROUP_B, 20)]
    ranking = cross_group_ranking(trees)
    assert ranking["kind"] == "game"
    first = ranking["items"][0]
    assert first["tag"] == "reward-hacking"
    assert first["groups"] == 2
    assert first["member_count"] == 4
    assert first["members"][0]["tree"] in (1, 2)


def test_the_ranking_of_problem_trees_merges_them_and_ranks_shared_problems() -> None:
    one = outline(
        """
R r Alignment
  R a Goals are hard to specify
  R b Oversight does not scale
""",
        prefix="x",
    )
    two = outline(
        """
R r Alignment
  R a Goals are hard to specify
  R c Models deceive their overseers
""",
        prefix="y",
    )
    trees = [board_tree(1, one, 10, kind="problem"), board_tree(2, two, 20, kind="problem")]
    ranking = cross_group_ranking(trees)
    assert ranking["kind"] == "problem"
    assert ranking["items"][0]["label"] == "Goals are hard to specify"
    assert ranking["items"][0]["groups"] == 2


def merged_tree(tid: int, group: int, sources: dict[int, list[dict[str, Any]]]) -> BoardTree:
    """A group's merged problem tree as the board has it: the merge of its members' trees,
    its nodes' ``meta.sources`` naming those trees, ``meta.merged_from`` listing them."""
    from trees.analysis.merge import merge

    nodes = merge(list(sources.items()), embedder=None)["nodes"]
    meta = {"merged_from": list(sources)}
    return board_tree(tid, nodes, group, kind="problem", round=1, link_kind="merged", meta=meta)


ANN = outline(
    """
R r Alignment
  R a Goals are hard to specify
  R b Oversight does not scale
""",
    prefix="ann",
)
BOB = outline(
    """
R r Alignment
  R a Goals are hard to specify
  R c Models deceive their overseers
""",
    prefix="bob",
)
CAT = outline(
    """
R r Alignment
  R a Goals are hard to specify
  R d Power seeking
""",
    prefix="cat",
)


def test_with_one_group_each_problem_of_its_merged_tree_counts_that_one_group() -> None:
    # The board ranks the lone merged tree as it is: each problem's members are the
    # members' own trees (its sources), which belong to the group all the same.
    merged = merged_tree(3, 10, {11: ANN, 12: BOB})
    ranking = cross_group_ranking(ranking_trees([merged], 1))
    assert ranking["kind"] == "problem"
    groups = {it["label"]: it["groups"] for it in ranking["items"]}
    assert groups == {
        "Goals are hard to specify": 1,
        "Oversight does not scale": 1,
        "Models deceive their overseers": 1,
    }
    assert {m["tree"] for m in ranking["items"][0]["members"]} == {11, 12}


def test_a_problem_added_to_the_lone_merged_tree_after_the_merge_counts_its_group() -> None:
    merged = merged_tree(3, 10, {11: ANN, 12: BOB})
    late = node("late", "problem", merged.nodes[0]["id"], "Sycophancy")
    nodes = [*map(dict, merged.nodes), late]
    grown = board_tree(3, nodes, 10, kind="problem", meta=merged.meta)
    groups = {it["label"]: it["groups"] for it in cross_group_ranking([grown])["items"]}
    assert groups["Sycophancy"] == 1


def test_a_lone_forked_copy_counts_its_group_though_its_problems_name_the_round_before() -> None:
    # Round two with one copy of the group's merged tree on the board (one member left):
    # the copy keeps its nodes' sources (trees 11 and 12, not ranked) but not `merged_from`.
    merged = merged_tree(3, 10, {11: ANN, 12: BOB})
    nodes = [dict(n) for n in merged.nodes]
    fork = board_tree(5, nodes, 10, kind="problem", round=2, link_kind="individual")
    items = cross_group_ranking([fork])["items"]
    assert {m["tree"] for m in items[0]["members"]} == {11, 12}
    assert {it["groups"] for it in items} == {1}


def test_with_two_groups_merged_trees_a_problem_both_drew_counts_two_groups() -> None:
    trees = [merged_tree(3, 10, {11: ANN, 12: BOB}), merged_tree(4, 20, {13: CAT})]
    groups = {it["label"]: it["groups"] for it in cross_group_ranking(trees)["items"]}
    assert groups == {
        "Goals are hard to specify": 2,
        "Oversight does not scale": 1,
        "Models deceive their overseers": 1,
        "Power seeking": 1,
    }


DAN = outline(
    """
R r Alignment
  R a Goals are hard to specify
  R e Power seeking
""",
    prefix="dan",
)


def own_tree(tid: int, nodes: list[dict[str, Any]], group: int, **kw: Any) -> BoardTree:
    """One person's problem tree of round one (a group's member, before or without a merge)."""
    kw.setdefault("round", 1)
    return board_tree(tid, nodes, group, kind="problem", link_kind="individual", **kw)


def ranked_groups(trees: list[BoardTree]) -> dict[str, int]:
    ranking = cross_group_ranking(ranking_trees(trees, 1))
    return {it["label"]: it["groups"] for it in ranking["items"]}


def test_a_group_of_one_is_ranked_by_its_own_tree_beside_another_groups_merged_tree() -> None:
    # Group 10 merged ann's and bob's trees; group 20 is cat alone (merge status `single`):
    # no merged tree, so cat's own tree stands for the group.
    a = merged_tree(3, 10, {11: ANN, 12: BOB})
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), own_tree(13, CAT, 20), a]
    assert sorted(t.id for t in ranking_trees(trees, 1)) == [3, 13]
    assert ranked_groups(trees) == {
        "Goals are hard to specify": 2,
        "Oversight does not scale": 1,
        "Models deceive their overseers": 1,
        "Power seeking": 1,
    }


def test_a_group_whose_merge_is_still_running_is_ranked_by_its_members_trees_once() -> None:
    # Group 20's merge has not made its tree yet: cat's and dan's trees stand for it, and a
    # problem both of them drew counts group 20 once.
    a = merged_tree(3, 10, {11: ANN, 12: BOB})
    trees = [a, own_tree(11, ANN, 10), own_tree(12, BOB, 10)]
    trees += [own_tree(13, CAT, 20), own_tree(14, DAN, 20)]
    assert sorted(t.id for t in ranking_trees(trees, 1)) == [3, 13, 14]
    groups = ranked_groups(trees)
    assert groups["Goals are hard to specify"] == 2
    assert groups["Power seeking"] == 1
    assert groups["Oversight does not scale"] == 1


def test_when_every_group_has_merged_only_the_merged_trees_are_ranked() -> None:
    a = merged_tree(3, 10, {11: ANN, 12: BOB})
    b = merged_tree(4, 20, {13: CAT, 14: DAN})
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), a]
    trees += [own_tree(13, CAT, 20), own_tree(14, DAN, 20), b]
    assert [t.id for t in ranking_trees(trees, 1)] == [3, 4]
    assert ranked_groups(trees) == {
        "Goals are hard to specify": 2,
        "Oversight does not scale": 1,
        "Models deceive their overseers": 1,
        "Power seeking": 1,
    }


def test_before_any_merge_every_tree_of_the_round_is_ranked() -> None:
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), own_tree(13, CAT, 20)]
    assert [t.id for t in ranking_trees(trees, 1)] == [11, 12, 13]
    groups = ranked_groups(trees)
    assert groups["Goals are hard to specify"] == 2
    assert groups["Power seeking"] == 1


def test_a_group_whose_merge_is_still_running_when_the_next_round_starts_is_still_ranked() -> None:
    # Round two started: group 10 has its forks, group 20 none yet (they come when its merge
    # of round one is done): its round-one trees stand for it until then.
    a = merged_tree(3, 10, {11: ANN, 12: BOB})
    forks = [
        board_tree(
            t, [dict(n) for n in a.nodes], 10, kind="problem", round=2, link_kind="individual"
        )
        for t in (21, 22)
    ]
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), a, *forks]
    trees += [own_tree(13, CAT, 20), own_tree(14, DAN, 20)]
    assert sorted(t.id for t in ranking_trees(trees, 1)) == [13, 14, 21, 22]
    assert ranked_groups(trees)["Power seeking"] == 1
    assert ranked_groups(trees)["Goals are hard to specify"] == 2


def test_an_exercise_is_ranked_on_its_newest_round_and_its_merged_trees() -> None:
    trees = [
        board_tree(1, GROUP_A, 10, round=1, link_kind="individual"),
        board_tree(2, GROUP_B, 10, round=2, link_kind="individual"),
        board_tree(3, GROUP_B, 10, round=2, link_kind="merged"),
        board_tree(4, GROUP_B, 10, round=3, link_kind="individual", exercise=2),
    ]
    assert [t.id for t in ranking_trees(trees, 1)] == [3]
    assert ranking_trees(trees, 99) == []


def test_after_the_merge_a_groups_total_counts_its_merged_tree_not_its_members_trees_too() -> None:
    # The walkthrough's board said "15 problems" for three own trees of 3 and their merged
    # tree of 6: the merged tree holds its sources, so the group's total is the merged tree's.
    cat = own_tree(13, CAT, 10)
    merged = merged_tree(3, 10, {11: ANN, 12: BOB, 13: CAT})
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), cat, merged]
    counts = {t.id: tree_counts(t.kind, t.nodes) for t in trees}
    assert [counts[t]["problems"] for t in (11, 12, 13, 3)] == [2, 2, 2, 4]
    [row] = group_summaries([(10, "Group 1")], trees, counts)
    assert row["totals"]["problems"] == 4
    # every tree is still listed with its own count; only the merged tree is in the total
    assert [(t["id"], t["counts"]["problems"], t["counted"]) for t in row["trees"]] == [
        (11, 2, False),
        (12, 2, False),
        (13, 2, False),
        (3, 4, True),
    ]


def test_before_the_merge_a_groups_total_adds_up_its_members_trees() -> None:
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), own_tree(13, CAT, 20)]
    counts = {t.id: tree_counts(t.kind, t.nodes) for t in trees}
    rows = group_summaries([(10, "Red"), (20, "Blue")], trees, counts)
    assert [r["totals"]["problems"] for r in rows] == [4, 2]
    assert all(t["counted"] for r in rows for t in r["trees"])


def test_a_groups_total_counts_each_exercise_by_its_newest_round_and_adds_the_exercises() -> None:
    # Round two's copies stand for the group in exercise 1 (round one and its merge are in
    # them); exercise 2 (a game tree, no rounds) counts as it is, beside it.
    merged = merged_tree(3, 10, {11: ANN, 12: BOB})
    copy = board_tree(
        21, [dict(n) for n in merged.nodes], 10, kind="problem", round=2, link_kind="individual"
    )
    game = board_tree(5, GROUP_B, 10, exercise=2)
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), merged, copy, game]
    counts = {t.id: tree_counts(t.kind, t.nodes) for t in trees}
    [row] = group_summaries([(10, "Red")], trees, counts)
    assert row["totals"]["problems"] == counts[21]["problems"] == 3
    assert row["totals"]["proposals"] == 2
    assert [t["id"] for t in row["trees"] if t["counted"]] == [21, 5]


def test_with_one_group_after_its_merge_each_problem_is_ranked_once() -> None:
    # The ranking reads the merged tree alone, not the members' trees beside it.
    merged = merged_tree(3, 10, {11: ANN, 12: BOB, 13: CAT})
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), own_tree(13, CAT, 10), merged]
    assert [t.id for t in ranking_trees(trees, 1)] == [3]
    labels = [it["label"] for it in cross_group_ranking(ranking_trees(trees, 1))["items"]]
    assert sorted(labels) == sorted(set(labels))
    assert len(labels) == tree_counts("problem", merged.nodes)["problems"]


def test_an_empty_workshop_has_an_empty_ranking() -> None:
    assert cross_group_ranking([]) == {"kind": None, "items": [], "trees": 0, "clusters": True}


def test_failure_mode_counts_count_critiques_trees_groups_and_breaks() -> None:
    trees = [board_tree(1, GROUP_A, 10), board_tree(2, GROUP_B, 20)]
    rows = {r["tag"]: r for r in failure_mode_counts(trees)}
    assert rows["reward-hacking"]["critiques"] == 4
    assert rows["reward-hacking"]["trees"] == 2
    assert rows["reward-hacking"]["groups"] == 2
    # ac1 breaks ap1, ac3 (its patch broken by ac4) breaks ap2, bc1 breaks bp1; ac4 breaks
    # a patch, not a proposal
    assert rows["reward-hacking"]["broken"] == 3
    assert rows["distribution-shift"]["broken"] == 0
    assert list(rows) == ["reward-hacking", "distribution-shift"]


def test_activity_counts_the_last_minute_of_edits() -> None:
    out = activity([100.0, 130.0, 150.0, 10.0], now=160.0)
    assert out == {"last_edit": 150.0, "edits_per_minute": 3.0}
    assert activity([], now=5.0) == {"last_edit": None, "edits_per_minute": 0.0}


def test_before_and_after_says_what_was_added_dropped_and_reworded() -> None:
    before = outline(
        """
R r Alignment
  R a We cannot specify human values precisely
  R b Oversight does not scale to superhuman systems
  R c Nobody funds safety research
"""
    )
    after = outline(
        """
R r Alignment
  R a We cannot specify human values precisely enough
  R b Oversight does not scale to superhuman systems
  R d Learned optimisers pursue proxy goals
""",
        prefix="n",
    )
    out = compare_trees((1, before), (2, after))
    assert [d["label"] for d in out["dropped"]] == ["Nobody funds safety research"]
    assert [a["label"] for a in out["added"]] == ["Learned optimisers pursue proxy goals"]
    assert [(r["before"]["node"], r["after"]["node"]) for r in out["reworded"]] == [("a", "na")]
    assert out["kept"] == 1


def test_comparing_a_tree_with_itself_changes_nothing() -> None:
    nodes = outline(
        """
R r Alignment
  R a Goals are hard to specify
"""
    )
    out = compare_trees((7, nodes), (7, nodes))
    assert out == {"added": [], "dropped": [], "reworded": [], "kept": 1}


# ---- the ranking reads critiques as the Analysis board does ----------------------------------

UNTAGGED = """
P p1 A sandboxed agent
  C c1 @1 Grade it by how many tickets it closes and it will close tickets, solved or not.
P p2 A recommender
  C c2 @2 If the score is clicks, it will find the cheapest way to get clicks.
"""


def readings(items: list[dict[str, Any]]) -> dict[str, tuple[Any, list[str]]]:
    return {
        m["node"]: (m.get("mode"), m.get("evidence"))
        for it in items
        if it["kind"] == "cluster"
        for m in it["members"]
    }


def test_the_ranking_reads_an_untagged_critique_as_the_analysis_board_does() -> None:
    from trees.analysis.recurrence.recurring import TreeInput, recurring

    a, b = outline(UNTAGGED, prefix="a"), outline(UNTAGGED, prefix="b")
    alone = recurring([TreeInput(1, a, "game")])["items"]
    ranking = cross_group_ranking([board_tree(1, a, 10), board_tree(2, b, 20)], semantic=True)
    ranked = readings(ranking["items"])
    # no phrase reads either critique: the critique reader does, on both boards alike
    assert ranked["ac1"] == readings(alone)["ac1"] == ("proxy-gaming", ["examples 0.72"])
    assert ranked["ac2"] == readings(alone)["ac2"]
    first = ranking["items"][0]
    assert (first["kind"], first["family"]["id"], first["groups"]) == ("cluster", "gaming", 2)
    assert first["explanation"].startswith("untagged, read as Gaming the measure")


def test_without_the_shipped_models_the_ranking_reads_untagged_critiques_by_words() -> None:
    ranking = cross_group_ranking([board_tree(1, outline(UNTAGGED, prefix="a"), 10)])
    assert all(item.get("family") is None for item in ranking["items"])


def test_the_ranking_without_clusters_ranks_the_peoples_tags_only_and_says_so() -> None:
    trees = [board_tree(1, GROUP_A, 10), board_tree(3, outline(UNTAGGED, prefix="u"), 20)]
    ranking = cross_group_ranking(trees, clusters=False)
    assert ranking["clusters"] is False
    assert {it["kind"] for it in ranking["items"]} == {"tag"}


# ---- problem scores count groups -------------------------------------------------------------


def scores(trees: list[BoardTree]) -> dict[str, tuple[float, str]]:
    ranking = cross_group_ranking(ranking_trees(trees, 1))
    return {it["label"]: (it["score"], it["explanation"]) for it in ranking["items"]}


def test_while_a_groups_merge_runs_its_members_trees_of_one_problem_count_once() -> None:
    # Group 20's merge is running: cat and dan both drew "Power seeking", which is still
    # one group of two, as group 10's "Oversight does not scale" is.
    a = merged_tree(3, 10, {11: ANN, 12: BOB})
    running = [a, own_tree(11, ANN, 10), own_tree(12, BOB, 10)]
    running += [own_tree(13, CAT, 20), own_tree(14, DAN, 20)]
    got = scores(running)
    assert got["Power seeking"][0] == got["Oversight does not scale"][0] == 0.5
    assert got["Power seeking"][1].endswith("drawn by 1 of 2 groups")
    assert got["Goals are hard to specify"][0] == 1.0
    # and once the merge is done, every problem scores what it scored while it ran
    b = merged_tree(4, 20, {13: CAT, 14: DAN})
    done = [*running, b]
    assert {k: v[0] for k, v in scores(done).items()} == {k: v[0] for k, v in got.items()}


def test_before_any_merge_a_groups_several_trees_of_one_problem_count_once() -> None:
    trees = [own_tree(11, ANN, 10), own_tree(12, BOB, 10), own_tree(13, CAT, 20)]
    got = scores(trees)
    assert got["Goals are hard to specify"][0] == 1.0  # both groups
    assert got["Oversight does not scale"][0] == got["Power seeking"][0] == 0.5


def test_one_groups_trees_alone_still_count_trees_as_its_merged_tree_will() -> None:
    before = scores([own_tree(11, ANN, 10), own_tree(12, BOB, 10)])
    after = scores([merged_tree(3, 10, {11: ANN, 12: BOB})])
    assert before["Oversight does not scale"][0] == after["Oversight does not scale"][0] == 0.5
    assert before["Oversight does not scale"][1].endswith("drawn by 1 of 2 trees")
