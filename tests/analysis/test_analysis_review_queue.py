"""One suggestion per pair of merged nodes (trees.analysis.merge.review_queue), on three people's
15-node problem trees and on hand-made queues."""

from __future__ import annotations

from collections import Counter
from typing import Any

from tests.analysis.three_people import PEOPLE, count, nodes
from trees.analysis import merge
from trees.analysis.merge.review_queue import distinct_suggestions, pair_key


def three_people_merge() -> tuple[dict[str, Any], Any]:
    trees = [(i + 1, nodes(i + 1, o, i + 1)) for i, o in enumerate(PEOPLE.values())]
    result = merge(trees, embedder=None)
    held = {
        (s["tree"], str(s["node"])): n["id"] for n in result["nodes"] for s in n["meta"]["sources"]
    }
    return result, lambda ref: held.get((ref["tree"], str(ref["node"])))


def test_three_fifteen_node_trees_are_what_the_queue_is_tested_on() -> None:
    assert [count(o) for o in PEOPLE.values()] == [15, 15, 15]


def test_the_merge_asks_about_each_pair_once_and_the_served_queue_keeps_every_pair() -> None:
    # merge itself leaves out pairs an earlier suggestion showed (queues stored before it
    # did are made distinct when served: the hand-made queues below)
    result, holder = three_people_merge()
    raw = Counter(pair_key(s["a"], s["b"], holder) for s in result["suggestions"])
    assert raw and all(n == 1 for n in raw.values())
    out = distinct_suggestions(result["suggestions"], holder)
    keys = [pair_key(s["a"], s["b"], holder) for s in out]
    assert len(keys) == len(set(keys))
    # Every pair the merge suggested is still suggested once: none is lost.
    assert set(raw) <= set(keys)
    for s in out:
        assert len(pair_key(s["a"], s["b"], holder)) == 2  # never a node with itself
        assert s["candidates"][0]["node"] == s["b"]["node"]
        held = [holder(c) for c in s["candidates"]]
        assert len(held) == len(set(held)) and holder(s["a"]) not in held


def test_a_mirror_pair_moves_on_to_its_next_candidate() -> None:
    def ref(t: int, n: str) -> dict[str, Any]:
        return {"tree": t, "node": n, "label": n}

    a, b, c = ref(1, "race"), ref(2, "race-labs"), ref(3, "labs-racing")
    first = {"a": a, "b": b, "score": 0.8, "components": {"labels": 0.8}, "explanation": "x"}
    first["candidates"] = [{**b, "score": 0.8, "components": {"labels": 0.8}}]
    mirror = {"a": b, "b": a, "score": 0.8, "components": {"labels": 0.8}, "explanation": "x"}
    mirror["candidates"] = [
        {**a, "score": 0.8, "components": {"labels": 0.8}},
        {**c, "score": 0.4, "components": {"labels": 0.35, "parents": 0.5}},
    ]
    twice = {**mirror, "candidates": mirror["candidates"][:1]}
    out = distinct_suggestions([first, mirror, twice], lambda r: None)
    assert [(s["a"]["node"], s["b"]["node"]) for s in out] == [
        ("race", "race-labs"),
        ("race-labs", "labs-racing"),
    ]
    assert out[1]["score"] == 0.4
    assert out[1]["explanation"] == "labels 0.35, parents 0.50"
    assert [c["node"] for c in out[1]["candidates"]] == ["labs-racing"]


def test_sources_held_by_one_merged_node_are_one_side_of_a_pair() -> None:
    def ref(t: int, n: str) -> dict[str, Any]:
        return {"tree": t, "node": n, "label": "Goodhart's law" if n == "g" else "Goodhart"}

    holder = {(1, "g"): "m1", (2, "g"): "m1", (3, "h"): "m2"}.get
    rows = [
        {"a": ref(t, "g"), "b": ref(3, "h"), "score": 0.8, "candidates": [{**ref(3, "h")}]}
        for t in (1, 2)
    ]
    out = distinct_suggestions(rows, lambda r: holder((r["tree"], r["node"])))
    assert len(out) == 1 and out[0]["a"]["tree"] == 1


def test_the_queue_is_in_the_order_of_the_scores_it_shows() -> None:
    def ref(t: int, n: str) -> dict[str, Any]:
        return {"tree": t, "node": n, "label": n}

    a, b, c, d, e = (ref(i + 1, n) for i, n in enumerate("abcde"))

    def row(x: Any, y: Any, score: float, *more: Any) -> dict[str, Any]:
        cands = [{**y, "score": score}, *more]
        return {"a": x, "b": y, "score": score, "explanation": "", "candidates": cands}

    # b ≟ a mirrors a ≟ b: it moves on to c, scoring 0.4, below d ≟ e at 0.6
    rows = [row(a, b, 0.9), row(b, a, 0.9, {**c, "score": 0.4}), row(d, e, 0.6)]
    out = distinct_suggestions(rows, lambda r: None)
    assert [(s["a"]["node"], s["b"]["node"], s["score"]) for s in out] == [
        ("a", "b", 0.9),
        ("d", "e", 0.6),
        ("b", "c", 0.4),
    ]
    result, holder = three_people_merge()
    scores = [s["score"] for s in distinct_suggestions(result["suggestions"], holder)]
    assert scores == sorted(scores, reverse=True)
