"""A pair the group left undecided in one round's review queue is asked again in the next
round's merge (trees.analysis.merge.lineage.carry_suggestions): the copies' nodes match by
lineage and are never matched against each other by text, so without the round before's
queue nothing would ask about them again."""

from __future__ import annotations

from typing import Any

from analysis_helpers import outline

from trees.analysis.merge import merge
from trees.analysis.merge.lineage import fork
from trees.analysis.merge.review_queue import distinct_suggestions, holder_of

ANN = """
R r Alignment
  R a Reward hacking
  R b Deceptive alignment
  R c Race dynamics
"""
BOB = """
R r Alignment
  R a Reward hacking is easy
  R b Deceptive alignment
  R c Labs racing to deploy
"""
HACK = frozenset({"Reward hacking", "Reward hacking is easy"})
RACE = frozenset({"Race dynamics", "Labs racing to deploy"})


def first_round() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Round one's merge and its stored queue (every row pending, as the merge left it)."""
    first = merge([(1, outline(ANN, prefix="a")), (2, outline(BOB, prefix="b"))], embedder=None)
    queue = distinct_suggestions(first["suggestions"], holder_of(first["nodes"]))
    return first, [{**s, "status": "pending", "chosen": None} for s in queue]


def pairs(result: dict[str, Any]) -> list[frozenset[str]]:
    """The queue the next merged tree stores, as pairs of labels."""
    queue = distinct_suggestions(result["suggestions"], holder_of(result["nodes"]))
    return [frozenset((s["a"]["label"], s["b"]["label"])) for s in queue]


def second_round(
    first: dict[str, Any], queue: list[dict[str, Any]], **kw: Any
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    copies = kw.pop("copies", None) or fork(first["nodes"], ["ann", "bob"])
    inputs = [(21, copies["ann"]), (22, copies["bob"])]
    result = merge(inputs, base=first["nodes"], base_queue=queue, embedder=None, **kw)
    return result, copies


def test_round_one_asks_about_both_pairs_the_next_rounds_tests_carry() -> None:
    _, queue = first_round()
    assert [frozenset((s["a"]["label"], s["b"]["label"])) for s in queue] == [HACK, RACE]


def test_a_pair_nobody_decided_in_the_round_before_is_asked_again_in_the_next_round() -> None:
    first, queue = first_round()
    second, _ = second_round(first, queue)
    assert pairs(second) == [HACK, RACE]
    # its sides are the copies' nodes (the merge's inputs, which the queue is stored by)
    hack = next(s for s in second["suggestions"] if s["a"]["label"] == "Reward hacking")
    assert hack["a"]["tree"] == 21 and hack["b"]["tree"] == 21
    assert hack["candidates"][0]["node"] == hack["b"]["node"]
    assert "not decided in the round before" in hack["explanation"]
    assert second["stats"]["carried"] == 2


def test_a_pair_asked_twice_in_the_round_before_is_asked_once_in_the_next() -> None:
    first, queue = first_round()
    mirror = {**queue[0], "a": queue[0]["b"], "b": queue[0]["a"]}
    mirror["candidates"] = [{**queue[0]["a"], "score": queue[0]["score"]}]
    second, _ = second_round(first, [queue[0], mirror, queue[1]])
    assert pairs(second) == [HACK, RACE]
    raw = [frozenset((s["a"]["label"], s["b"]["label"])) for s in second["suggestions"]]
    assert raw.count(HACK) == 1


def test_a_pair_rejected_or_accepted_in_the_round_before_is_not_asked_again() -> None:
    first, queue = first_round()
    rejected = {**queue[0], "status": "rejected"}
    accepted = {**queue[1], "status": "accepted", "chosen": queue[1]["b"]}
    # a pending row about a pair a decided row settled is settled too (as the queue is served)
    mirror = {**queue[0], "a": queue[0]["b"], "b": queue[0]["a"], "candidates": []}
    second, _ = second_round(first, [rejected, accepted, mirror])
    assert pairs(second) == []
    assert second["stats"]["carried"] == 0


def test_a_pair_whose_node_the_next_round_deleted_is_not_asked_again() -> None:
    first, queue = first_round()
    copies = fork(first["nodes"], ["ann", "bob"])
    # both delete "Race dynamics" (one alone, untouched elsewhere, deletes it too)
    for person in ("ann", "bob"):
        copies[person] = [n for n in copies[person] if n["text"] != "Race dynamics"]
    second, _ = second_round(first, queue, copies=copies)
    assert pairs(second) == [HACK]


def test_a_pair_whose_nodes_the_round_before_joined_by_hand_is_not_asked_again() -> None:
    first, queue = first_round()
    base = [dict(n) for n in first["nodes"]]
    hack = next(n for n in base if n["text"] == "Reward hacking")
    easy = next(n for n in base if n["text"] == "Reward hacking is easy")
    hack["meta"] = {**hack["meta"], "sources": hack["meta"]["sources"] + easy["meta"]["sources"]}
    base.remove(easy)
    first = {**first, "nodes": base}
    second, _ = second_round(first, queue)
    assert pairs(second) == [RACE]


def test_a_carried_pair_rejected_in_this_merge_is_not_asked_again() -> None:
    first, queue = first_round()
    second, copies = second_round(first, queue)
    hack = next(s for s in second["suggestions"] if s["a"]["label"] == "Reward hacking")
    again, _ = second_round(first, queue, copies=copies, rejected=[(hack["a"], hack["b"])])
    assert pairs(again) == [RACE]


def test_without_the_round_befores_queue_the_next_round_asks_nothing_about_carried_nodes() -> None:
    first, _ = first_round()
    second, _ = second_round(first, [])
    assert pairs(second) == []
    assert second["stats"]["carried"] == 0
