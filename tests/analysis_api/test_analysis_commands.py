"""Management commands print exactly the JSON shapes of docs/analysis.md on the demo data."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from trees.models import Membership, Node, Tree


def run(*args: Any) -> Any:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def test_survival_prints_a_label_for_every_live_node_of_the_demo_game_tree(demo: Any) -> None:
    body = run("survival", str(demo.game.pk), "--json")
    assert set(body) == {"nodes"}
    live = set(Node.objects.filter(tree=demo.game, deleted=False).values_list("id", flat=True))
    assert {n["id"] for n in body["nodes"]} == {str(i) for i in live}
    for n in body["nodes"]:
        assert set(n) == {"id", "label", "type", "status", "reason"}
        assert n["status"] in {"survives", "broken", "contested"}
        assert n["reason"]
    assert {"survives", "broken"} <= {n["status"] for n in body["nodes"]}


def test_survival_refuses_a_problem_tree_with_a_clear_message(demo: Any) -> None:
    with pytest.raises(CommandError, match="invalid: Survival applies to game trees"):
        call_command("survival", str(demo.bobs.pk), "--json", stdout=io.StringIO())


def test_recurring_ranks_the_tags_of_the_demo_game_tree_most_taut_first(demo: Any) -> None:
    body = run("recurring", str(demo.game.pk), "--json")
    assert set(body) == {"items"}
    items = body["items"]
    assert len(items) >= 3
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0
    for item in items:
        assert set(item) == {"label", "score", "members"}
        for m in item["members"]:
            assert set(m) == {"tree", "node", "label"}
            assert m["tree"] == demo.game.pk
    assert len(run("recurring", str(demo.game.pk), "--json", "--top", "2")["items"]) == 2


def test_recurring_over_the_demo_problem_trees_ranks_problems(demo: Any) -> None:
    items = run("recurring", str(demo.bobs.pk), str(demo.carols.pk), "--json")["items"]
    assert items and all(set(i) == {"label", "score", "members"} for i in items)
    trees = {m["tree"] for i in items for m in i["members"]}
    assert trees == {demo.bobs.pk, demo.carols.pk}


def test_recurring_names_a_missing_tree(demo: Any) -> None:
    with pytest.raises(CommandError, match="no tree 999"):
        call_command("recurring", "999", "--json", stdout=io.StringIO())


def test_mergetrees_creates_a_dag_problem_tree_with_provenance_and_suggestions(
    demo: Any,
) -> None:
    body = run(
        "mergetrees",
        str(demo.bobs.pk),
        str(demo.carols.pk),
        "--title",
        "Big ASS Tree",
        "--owner",
        "alice",
        "--json",
    )
    assert set(body) == {"id", "nodes", "suggestions", "disagreements"}
    tree = Tree.objects.get(pk=body["id"])
    assert tree.kind == "problem" and tree.title == "Big ASS Tree"
    assert tree.owner == demo.alice
    roles = dict(Membership.objects.filter(tree=tree).values_list("user__username", "role"))
    assert roles == {"alice": "owner", "bob": "editor", "carol": "editor"}
    # the two trees order no problem differently; some suggested matches would
    assert [d for d in body["disagreements"] if not d.get("pending")] == []
    # Every node keeps where it came from; the two roots became one node.
    for n in body["nodes"]:
        assert set(n) == {"id", "label", "sources"}
        assert n["sources"]
        for s in n["sources"]:
            assert set(s) == {"tree", "node", "label", "author"}
            assert s["tree"] in (demo.bobs.pk, demo.carols.pk)
    root = next(n for n in body["nodes"] if n["label"] == "Alignment")
    assert {s["tree"] for s in root["sources"]} == {demo.bobs.pk, demo.carols.pk}
    live = Node.objects.filter(tree__in=[demo.bobs, demo.carols], deleted=False).count()
    # every live source node is in exactly one merged node (the roots, and what the model
    # matched automatically, share one)
    assert sum(len(n["sources"]) for n in body["nodes"]) == live
    assert len(body["nodes"]) <= live - 1
    assert len(body["nodes"]) == Node.objects.filter(tree=tree).count()
    # The review queue: pairs across the two trees, scored.
    assert len(body["suggestions"]) >= 5
    for s in body["suggestions"]:
        assert set(s) == {"a", "b", "score"}
        assert set(s["a"]) == set(s["b"]) == {"tree", "node", "label"}
        assert s["a"]["tree"] != s["b"]["tree"]
        assert 0 < s["score"] < 1
    # Every edge records who drew it.
    meta = Node.objects.filter(tree=tree, parent_id__isnull=False).first().meta
    assert next(iter(meta["edge_contributors"].values()))[0] in (demo.bobs.pk, demo.carols.pk)


def test_mergetrees_refuses_a_game_tree(demo: Any) -> None:
    with pytest.raises(CommandError, match="invalid: Only problem trees merge"):
        call_command(
            "mergetrees",
            str(demo.bobs.pk),
            str(demo.game.pk),
            "--owner",
            "alice",
            "--json",
            stdout=io.StringIO(),
        )
