"""The review queue people work through: one suggestion per pair of merged nodes (three
people's 15-node trees), stored and served so."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analysis.three_people import PEOPLE
from tests.analysis_api.conftest import build_problem_tree, merge_via_api
from trees.models import MergeSuggestion

pytestmark = pytest.mark.django_db(transaction=True)


def three_people(make_user: Any) -> tuple[dict[str, Any], list[Any]]:
    users = {name: make_user(name) for name in PEOPLE}
    others = {u: "viewer" for name, u in users.items() if name != "ann"}
    trees = [
        build_problem_tree(u, f"{name}'s tree", PEOPLE[name], {users["ann"]: "editor"})
        if name != "ann"
        else build_problem_tree(u, "ann's tree", PEOPLE[name], others)
        for name, u in users.items()
    ]
    return users, trees


def pairs(queue: dict[str, Any]) -> list[frozenset[str]]:
    return [frozenset((s["a"]["node"], s["b"]["node"])) for s in queue["suggestions"]]


def test_three_peoples_merge_suggests_each_pair_of_nodes_once(
    make_user: Any, client_for: Any
) -> None:
    users, trees = three_people(make_user)
    ann = client_for(users["ann"])
    out = merge_via_api(ann, trees)
    assert out["status"] == "done", out
    tree_id = out["tree"]["id"]
    queue = ann.get(f"/api/trees/{tree_id}/review/").json()
    got = pairs(queue)
    assert got and len(got) == len(set(got)) == out["suggestions"]
    assert all(len(p) == 2 for p in got)  # never a node with itself
    assert MergeSuggestion.objects.filter(tree_id=tree_id).count() == len(got)
    assert queue["progress"] == {"done": 0, "total": len(got)}
    for s in queue["suggestions"]:
        nodes = [c["node"] for c in s["candidates"]]
        assert len(nodes) == len(set(nodes)) and s["a"]["node"] not in nodes


def test_a_stored_mirror_pair_and_a_pair_an_accept_joined_are_not_served(
    make_user: Any, client_for: Any
) -> None:
    users, trees = three_people(make_user)
    ann = client_for(users["ann"])
    tree_id = merge_via_api(ann, trees)["tree"]["id"]
    first = MergeSuggestion.objects.filter(tree_id=tree_id).order_by("position").first()
    # A queue stored before the dedupe: the mirror of the first suggestion.
    MergeSuggestion.objects.create(
        tree_id=tree_id,
        position=10_000,
        a_tree=first.b["tree"],
        b_tree=first.a["tree"],
        a=first.b,
        b=first.a,
        score=first.score,
        explanation=first.explanation,
        candidates=[{**first.a, "score": first.score}],
    )
    queue = ann.get(f"/api/trees/{tree_id}/review/").json()
    total = queue["progress"]["total"]
    assert total == len(pairs(queue)) == len(set(pairs(queue)))
    assert total == MergeSuggestion.objects.filter(tree_id=tree_id).count() - 1

    # Accept: the pair is one node now; a second suggestion of it (hand-made) is not served.
    body = {"decision": "accept"}
    answer = ann.post(f"/api/trees/{tree_id}/review/{first.pk}/", body, format="json").json()
    assert answer["progress"] == {"done": 1, "total": total}
    queue = ann.get(f"/api/trees/{tree_id}/review/").json()
    assert queue["progress"] == {"done": 1, "total": total}
    assert {s["id"] for s in queue["suggestions"]} == {
        s.pk for s in MergeSuggestion.objects.filter(tree_id=tree_id).exclude(position=10_000)
    }
