"""Review decisions change the merged tree through ops (logged, replayable, undoable); rejected
pairs are remembered by later merges; forks carry lineage into the next merge."""

from __future__ import annotations

from typing import Any

import pytest

from tests.analysis_api.conftest import (
    assert_log_replays_to_the_snapshot,
    build_problem_tree,
    live,
    merge_via_api,
)
from trees.models import GlossaryEntry, MergeSuggestion, Node, OpLog, RejectedPair, Tree
from trees.selectors import tree_snapshot

# Merges run in a background thread, which must see the rows the test committed.
pytestmark = pytest.mark.django_db(transaction=True)


def merged(client: Any, *trees: Any) -> int:
    out = merge_via_api(client, list(trees))
    assert out["status"] == "done", out
    return int(out["tree"]["id"])


def decide(client: Any, tree_id: int, sid: int, decision: str, **extra: Any) -> Any:
    body = {"decision": decision, **extra}
    return client.post(f"/api/trees/{tree_id}/review/{sid}/", body, format="json")


def test_accept_merges_b_into_a_through_logged_ops_and_undo_reverts_it(
    demo: Any, client_for: Any
) -> None:
    alice = client_for(demo.alice)
    tree_id = merged(alice, demo.bobs, demo.carols)
    before = tree_snapshot(tree_id=tree_id)["nodes"]
    s = alice.get(f"/api/trees/{tree_id}/review/").json()["suggestions"][0]
    a, b = s["a"]["node"], s["b"]["node"]
    children_of_b = [n["id"] for n in before if n["parent"] == b and not n["deleted"]]
    version = Tree.objects.get(pk=tree_id).version

    response = decide(alice, tree_id, s["id"], "accept")
    assert response.status_code == 200, response.json()
    out = response.json()
    assert out["suggestion"]["status"] == "accepted"
    assert out["suggestion"]["decided_by"] == {
        "id": demo.alice.pk,
        "username": "alice",
        "name": "Alice Chen",
    }
    assert out["suggestion"]["decided_at"]
    assert out["progress"] == {"done": 1, "total": out["progress"]["total"]}
    # b is gone, its children and its sources now belong to a.
    nodes = live(tree_id)
    assert b not in nodes and a in nodes
    assert {(x["tree"], x["node"]) for x in s["b"]["sources"]} <= {
        (x["tree"], x["node"]) for x in nodes[a].meta["sources"]
    }
    assert all(str(nodes[c].parent_id) == a for c in children_of_b)
    assert out["suggestion"]["b"]["node"] == a
    ops = OpLog.objects.filter(tree_id=tree_id, seq__gt=version).order_by("seq")
    assert ops and {o.client_id for o in ops} == {f"review:{demo.alice.pk}"}
    assert [o.op["kind"] for o in ops][-2:] == ["set", "delete"]
    assert_log_replays_to_the_snapshot(tree_id)

    # The same decision again changes nothing.
    count = OpLog.objects.filter(tree_id=tree_id).count()
    again = decide(alice, tree_id, s["id"], "accept")
    assert again.status_code == 200 and again.json()["suggestion"]["status"] == "accepted"
    assert OpLog.objects.filter(tree_id=tree_id).count() == count
    assert decide(alice, tree_id, s["id"], "reject").json()["code"] == "conflict"

    undone = alice.post(f"/api/trees/{tree_id}/review/{s['id']}/undo/")
    assert undone.status_code == 200, undone.json()
    assert undone.json()["suggestion"]["status"] == "pending"
    assert undone.json()["suggestion"]["decided_by"] is None
    assert undone.json()["progress"]["done"] == 0
    after = {n["id"]: n for n in tree_snapshot(tree_id=tree_id)["nodes"]}
    for n in before:
        got = after[n["id"]]
        assert (got["parent"], got["key"], got["deleted"], got["meta"]) == (
            n["parent"],
            n["key"],
            n["deleted"],
            n["meta"],
        )
        assert sorted(got["parents"]) == sorted(n["parents"])
    assert_log_replays_to_the_snapshot(tree_id)
    # And it can be accepted again (fresh op numbers, not taken for re-sends).
    assert decide(alice, tree_id, s["id"], "accept").json()["suggestion"]["status"] == "accepted"
    assert b not in live(tree_id)


def hand_made_suggestion(tree_id: int, a: Node, b: Node) -> MergeSuggestion:
    return MergeSuggestion.objects.create(
        tree_id=tree_id,
        position=1000,
        a_tree=a.tree_id,
        b_tree=b.tree_id,
        a={"tree": a.tree_id, "node": str(a.id), "label": a.text},
        b={"tree": b.tree_id, "node": str(b.id), "label": b.text},
        score=0.5,
        explanation="labels 0.50",
    )


def test_an_accepted_match_teaches_the_owners_glossary_and_undo_forgets_it(
    client_for: Any, make_user: Any
) -> None:
    ann = make_user("ann")
    one = build_problem_tree(ann, "1", [("Alignment", [("Wireheading", [])])])
    two = build_problem_tree(ann, "2", [("Alignment", [("Reward tampering by the agent", [])])])
    client = client_for(ann)
    tree_id = merged(client, one, two)
    src = {n.text: n for n in Node.objects.filter(tree__in=[one, two])}
    s = hand_made_suggestion(tree_id, src["Wireheading"], src["Reward tampering by the agent"])
    assert decide(client, tree_id, s.pk, "accept").status_code == 200
    entry = GlossaryEntry.objects.get(user=ann)
    assert (entry.alias, entry.canonical) == ("wireheading", "reward tampering by the agent")
    assert Tree.objects.get(pk=tree_id).meta["glossary"] == {entry.alias: entry.canonical}
    client.post(f"/api/trees/{tree_id}/review/{s.pk}/undo/")
    assert not GlossaryEntry.objects.filter(user=ann).exists()
    assert Tree.objects.get(pk=tree_id).meta["glossary"] == {}


def test_accepting_a_match_under_another_parent_makes_the_tree_a_dag(
    client_for: Any, make_user: Any
) -> None:
    ann = make_user("ann")
    one = build_problem_tree(
        ann, "1", [("Alignment", [("Outer alignment", [("Specification gaming", [])])])]
    )
    two = build_problem_tree(
        ann, "2", [("Alignment", [("Inner alignment", [("Goal misgeneralisation", [])])])]
    )
    client = client_for(ann)
    tree_id = merged(client, one, two)
    src = {n.text: n for n in Node.objects.filter(tree__in=[one, two])}
    s = hand_made_suggestion(tree_id, src["Specification gaming"], src["Goal misgeneralisation"])
    assert decide(client, tree_id, s.pk, "accept").status_code == 200
    nodes = {n.text: n for n in live(tree_id).values()}
    assert "Goal misgeneralisation" not in nodes
    kept = nodes["Specification gaming"]
    assert str(kept.parent_id) == str(nodes["Outer alignment"].id)
    assert kept.parents == [str(nodes["Inner alignment"].id)]
    assert {x["tree"] for x in kept.meta["sources"]} == {one.pk, two.pk}
    assert set(kept.meta["edge_contributors"]) == {
        str(nodes["Outer alignment"].id),
        str(nodes["Inner alignment"].id),
    }
    ops = [o.op["kind"] for o in OpLog.objects.filter(tree_id=tree_id, client_id__startswith="r")]
    assert "link" in ops
    assert_log_replays_to_the_snapshot(tree_id)
    client.post(f"/api/trees/{tree_id}/review/{s.pk}/undo/")
    nodes = {n.text: n for n in live(tree_id).values()}
    assert nodes["Specification gaming"].parents == []
    assert "Goal misgeneralisation" in nodes


def test_pick_merges_the_chosen_candidate(demo: Any, client_for: Any) -> None:
    alice = client_for(demo.alice)
    tree_id = merged(alice, demo.bobs, demo.carols)
    s = alice.get(f"/api/trees/{tree_id}/review/").json()["suggestions"][0]
    pick = s["candidates"][-1]
    missing = decide(alice, tree_id, s["id"], "pick")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid"
    wrong = decide(alice, tree_id, s["id"], "pick", candidate=s["a"]["node"])
    assert wrong.status_code == 400
    response = decide(alice, tree_id, s["id"], "pick", candidate=pick["node"])
    assert response.status_code == 200, response.json()
    assert response.json()["suggestion"]["chosen"] == s["a"]["node"]
    assert pick["node"] not in live(tree_id)


def test_reject_is_remembered_and_a_later_merge_does_not_suggest_the_pair(
    demo: Any, client_for: Any
) -> None:
    alice = client_for(demo.alice)
    tree_id = merged(alice, demo.bobs, demo.carols)
    s = MergeSuggestion.objects.filter(tree_id=tree_id).order_by("position").first()
    version = Tree.objects.get(pk=tree_id).version
    response = decide(alice, tree_id, s.pk, "reject")
    assert response.status_code == 200 and response.json()["suggestion"]["status"] == "rejected"
    assert Tree.objects.get(pk=tree_id).version == version  # no ops for a reject
    assert RejectedPair.objects.count() == 1

    pair = {(s.a["tree"], s.a["node"]), (s.b["tree"], s.b["node"])}
    again = merged(alice, demo.bobs, demo.carols)
    later = [
        {(x.a["tree"], x.a["node"]), (x.b["tree"], x.b["node"])}
        for x in MergeSuggestion.objects.filter(tree_id=again)
    ]
    assert later and pair not in later

    # Undo forgets the rejection.
    alice.post(f"/api/trees/{tree_id}/review/{s.pk}/undo/")
    assert RejectedPair.objects.count() == 0


def test_review_decisions_need_an_editor(demo: Any, client_for: Any, make_user: Any) -> None:
    from trees.actions import member_add

    alice = client_for(demo.alice)
    tree_id = merged(alice, demo.bobs, demo.carols)
    victor = make_user("victor")
    member_add(tree=Tree.objects.get(pk=tree_id), username="victor", role="viewer")
    viewer = client_for(victor)
    sid = MergeSuggestion.objects.filter(tree_id=tree_id).first().pk
    assert viewer.get(f"/api/trees/{tree_id}/review/").status_code == 200
    for response in (
        decide(viewer, tree_id, sid, "accept"),
        viewer.post(f"/api/trees/{tree_id}/review/{sid}/undo/"),
        viewer.post(f"/api/trees/{tree_id}/fork/", {"people": ["victor"]}, format="json"),
    ):
        assert response.status_code == 403 and response.json()["code"] == "forbidden"
    other = merged(alice, demo.bobs, demo.carols)
    assert decide(alice, other, sid, "accept").status_code == 404  # not this tree's suggestion
    assert decide(alice, other, 2**64, "accept").status_code == 404


def test_fork_makes_a_copy_per_person_and_the_next_merge_matches_by_lineage(
    demo: Any, client_for: Any
) -> None:
    alice = client_for(demo.alice)
    tree_id = merged(alice, demo.bobs, demo.carols)
    base = live(tree_id)
    response = alice.post(
        f"/api/trees/{tree_id}/fork/", {"people": ["bob", "carol"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    copies = {row["person"]: row["tree"] for row in response.json()["trees"]}
    assert set(copies) == {"bob", "carol"}
    for name, t in copies.items():
        tree = Tree.objects.get(pk=t["id"])
        assert tree.owner.username == name and tree.meta["forked_from"] == tree_id
        nodes = live(tree.pk)
        assert len(nodes) == len(base)
        assert {n.meta["origin"] for n in nodes.values()} == set(base)

    # Bob adds a problem, both rename the same one differently: a conflict to settle.
    bob, carol = client_for(demo.bob), client_for(demo.carol)
    bobs_copy, carols_copy = copies["bob"]["id"], copies["carol"]["id"]
    root = next(n for n in live(bobs_copy).values() if n.parent_id is None)
    new = "33333333-3333-4333-8333-333333333333"
    op = {"kind": "create", "id": new, "type": "problem", "parent": str(root.id)}
    op["text"] = "Nobody can verify the verifier"
    ok = bob.post(
        f"/api/trees/{bobs_copy}/ops/", {"client_id": "t", "n": 1, "op": op}, format="json"
    )
    assert ok.status_code == 200, ok.json()
    origin = next(n.meta["origin"] for n in live(bobs_copy).values() if n.parent_id == root.id)
    for client, copy in ((bob, bobs_copy), (carol, carols_copy)):
        node = next(n for n in live(copy).values() if n.meta["origin"] == origin)
        op = {"kind": "set", "id": str(node.id), "field": "text", "value": f"renamed {copy}"}
        body = {"client_id": "t", "n": 2, "op": op}
        assert client.post(f"/api/trees/{copy}/ops/", body, format="json").status_code == 200

    out = merge_via_api(alice, [bobs_copy, carols_copy])
    assert out["status"] == "done", out
    # Every carried-over node matched by lineage (the roots match as roots first).
    assert out["stats"]["matches"] == {"root": 1, "lineage": len(base) - 1}
    assert [c["field"] for c in out["conflicts"]] == ["text"]
    nodes = live(out["tree"]["id"])
    assert len(nodes) == len(base) + 1
    assert sum(1 for n in nodes.values() if n.text == "Nobody can verify the verifier") == 1
    carried = [n for n in nodes.values() if len({s["tree"] for s in n.meta["sources"]}) == 2]
    assert len(carried) == len(base)


def test_each_fork_copy_is_titled_with_the_name_its_person_is_shown_by(
    demo: Any, client_for: Any
) -> None:
    # the username stays the identifier ("person", meta.forked_for); the title is for people
    alice = client_for(demo.alice)
    tree_id = merged(alice, demo.bobs, demo.carols)
    title = Tree.objects.get(pk=tree_id).title
    response = alice.post(
        f"/api/trees/{tree_id}/fork/", {"people": ["bob", "carol"]}, format="json"
    )
    assert response.status_code == 201, response.json()
    rows = {row["person"]: row["tree"] for row in response.json()["trees"]}
    shown = {"bob": "Bob Okafor", "carol": "Carol Lindqvist"}
    for person, t in rows.items():
        tree = Tree.objects.get(pk=t["id"])
        assert tree.title == f"{title} ({shown[person]})"
        assert tree.meta["forked_for"] == person


def test_fork_refuses_people_who_are_not_members(
    demo: Any, client_for: Any, make_user: Any
) -> None:
    alice = client_for(demo.alice)
    tree_id = merged(alice, demo.bobs, demo.carols)
    make_user("mallory")
    response = alice.post(f"/api/trees/{tree_id}/fork/", {"people": ["mallory"]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    response = alice.post(f"/api/trees/{tree_id}/fork/", {"people": ["nobody"]}, format="json")
    assert response.status_code == 404
