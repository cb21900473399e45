"""Working through a merge: accept keeping either label (the other an alias), merge two nodes
by hand and undo it, split a merged node back into its sources, settle a round-merge conflict
by picking a person's text; each through REST, per role, as ordinary logged ops."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from tests.analysis.three_people import PEOPLE
from tests.analysis_api.conftest import (
    assert_log_replays_to_the_snapshot,
    build_problem_tree,
    live,
    merge_via_api,
)
from trees.actions import member_add
from trees.models import Node, Tree

pytestmark = pytest.mark.django_db(transaction=True)


def by_text(tree_id: int) -> dict[str, Node]:
    return {n.text: n for n in live(tree_id).values()}


@pytest.fixture
def people(make_user: Any, client_for: Any) -> Any:
    """ann merged the three people's trees; bob may edit the merge, vic only view it."""
    users = {name: make_user(name) for name in PEOPLE}
    trees = [
        build_problem_tree(u, name, PEOPLE[name], {users["ann"]: "editor"} if name != "ann" else {})
        for name, u in users.items()
    ]
    ann = client_for(users["ann"])
    out = merge_via_api(ann, trees)
    assert out["status"] == "done", out
    tree_id = out["tree"]["id"]
    make_user("vic")  # bob and carol edit it already: they owned a source tree
    member_add(tree=Tree.objects.get(pk=tree_id), username="vic", role="viewer")
    make_user("mallory")
    return {
        "tree": tree_id,
        "sources": trees,
        "ann": ann,
        "bob": client_for(users["bob"]),
        "vic": client_for(_user("vic")),
        "mallory": client_for(_user("mallory")),
    }


def _user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


def test_accept_keeps_b_label_when_asked_and_a_label_as_an_alias(people: Any) -> None:
    ann, tree_id = people["ann"], people["tree"]
    s = ann.get(f"/api/trees/{tree_id}/review/").json()["suggestions"][0]
    a_text = live(tree_id)[s["a"]["node"]].text
    b_text = live(tree_id)[s["b"]["node"]].text
    bad = ann.post(
        f"/api/trees/{tree_id}/review/{s['id']}/",
        {"decision": "accept", "label": "c"},
        format="json",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    body = {"decision": "accept", "label": "b"}
    out = ann.post(f"/api/trees/{tree_id}/review/{s['id']}/", body, format="json").json()
    node = live(tree_id)[out["suggestion"]["a"]["node"]]
    assert node.text == b_text
    assert node.meta["aliases"] == [a_text]
    assert_log_replays_to_the_snapshot(tree_id)
    ann.post(f"/api/trees/{tree_id}/review/{s['id']}/undo/")
    assert live(tree_id)[s["a"]["node"]].text == a_text
    assert "aliases" not in live(tree_id)[s["a"]["node"]].meta


def test_two_nodes_merge_by_hand_for_editors_only_and_undo_splits_them(people: Any) -> None:
    tree_id = people["tree"]
    nodes = by_text(tree_id)
    a, b = nodes["Race dynamics"], nodes["Competitive pressure"]
    body = {"a": str(a.id), "b": str(b.id), "label": "a"}
    url = f"/api/trees/{tree_id}/merge-nodes/"
    assert people["vic"].post(url, body, format="json").status_code == 403
    assert people["mallory"].post(url, body, format="json").status_code == 404
    same = people["bob"].post(url, {"a": str(a.id), "b": str(a.id)}, format="json")
    assert same.status_code == 400 and same.json()["code"] == "invalid"
    gone = people["bob"].post(url, {"a": str(a.id), "b": "nope"}, format="json")
    assert gone.status_code == 404
    children_of_b = [n.text for n in live(tree_id).values() if n.parent_id == b.id]

    out = people["bob"].post(url, body, format="json")
    assert out.status_code == 200, out.json()
    s = out.json()["suggestion"]
    assert s["status"] == "accepted" and s["explanation"] == "merged by hand"
    assert s["decided_by"]["username"] == "bob"
    now = by_text(tree_id)
    assert "Competitive pressure" not in now
    kept = now["Race dynamics"]
    assert kept.meta["aliases"] == ["Competitive pressure"]
    assert {x["tree"] for x in kept.meta["sources"]} >= {people["sources"][1].pk}
    assert all(str(now[t].parent_id) == str(kept.id) for t in children_of_b)
    queue = people["ann"].get(f"/api/trees/{tree_id}/review/").json()
    assert s["id"] in [x["id"] for x in queue["suggestions"]]
    assert_log_replays_to_the_snapshot(tree_id)

    undone = people["ann"].post(f"/api/trees/{tree_id}/review/{s['id']}/undo/")
    assert undone.status_code == 200, undone.json()
    assert {"Race dynamics", "Competitive pressure"} <= set(by_text(tree_id))
    assert_log_replays_to_the_snapshot(tree_id)


def test_a_merged_node_splits_back_into_one_node_per_source_tree(people: Any) -> None:
    tree_id = people["tree"]
    ann, bob = people["ann"], people["bob"]
    node = by_text(tree_id)["Reward hacking"]
    assert len({s["tree"] for s in node.meta["sources"]}) == 3
    url = f"/api/trees/{tree_id}/nodes/{node.id}/split/"
    assert people["vic"].post(url).status_code == 403
    assert people["mallory"].post(url).status_code == 404
    before = {n.text for n in live(tree_id).values()}

    out = bob.post(url)
    assert out.status_code == 200, out.json()
    ids = out.json()["nodes"]
    assert ids[0] == str(node.id) and len(ids) == 3
    nodes = live(tree_id)
    parts = [nodes[i] for i in ids]
    assert [len(p.meta["sources"]) for p in parts] == [1, 1, 1]
    assert {p.meta["sources"][0]["tree"] for p in parts} == {t.pk for t in people["sources"]}
    assert all(p.parent_id == node.parent_id for p in parts)
    # A child only one person drew under it goes with that person's part; shared ones stay.
    part = {p.meta["sources"][0]["tree"]: p.id for p in parts}
    ann_tree, _, carol_tree = (t.pk for t in people["sources"])
    now = by_text(tree_id)
    assert now["Goodhart"].parent_id == part[carol_tree]  # carol's alone
    assert now["Reward tampering"].parent_id == part[ann_tree] == node.id  # ann's alone
    assert now["Specification gaming"].parent_id == node.id  # bob's and carol's
    assert {n.text for n in live(tree_id).values()} == before
    assert_log_replays_to_the_snapshot(tree_id)
    one = bob.post(f"/api/trees/{tree_id}/nodes/{ids[1]}/split/")
    assert one.status_code == 400 and one.json()["code"] == "invalid"
    assert ann.post(f"/api/trees/{tree_id}/nodes/nope/split/").status_code == 404


def test_a_round_conflict_shows_each_persons_text_and_a_pick_sets_it(
    people: Any, client_for: Any
) -> None:
    ann, tree_id = people["ann"], people["tree"]
    forked = ann.post(
        f"/api/trees/{tree_id}/fork/", {"people": ["bob", "carol"]}, format="json"
    ).json()
    copies = {row["person"]: row["tree"]["id"] for row in forked["trees"]}
    # bob gave a name: each change names the copy's owner by username and by that name.
    get_user_model().objects.filter(username="bob").update(first_name="Bob")
    target = by_text(tree_id)["Deceptive alignment"]
    for name, copy in copies.items():
        node = next(n for n in live(copy).values() if n.meta.get("origin") == str(target.id))
        op = {"kind": "set", "id": str(node.id), "field": "text", "value": f"Deception ({name})"}
        client = client_for(_user(name))
        r = client.post(
            f"/api/trees/{copy}/ops/", {"client_id": "t", "n": 1, "op": op}, format="json"
        )
        assert r.status_code == 200, r.json()
    out = merge_via_api(ann, list(copies.values()))
    assert out["status"] == "done", out
    merged = out["tree"]["id"]
    member_add(tree=Tree.objects.get(pk=merged), username="vic", role="viewer")
    conflicts = ann.get(f"/api/trees/{merged}/review/").json()["conflicts"]
    assert len(conflicts) == 1
    c = conflicts[0]
    assert c["field"] == "text" and c["base"] == "Deceptive alignment" and c["index"] == 0
    assert c["merged"]["text"] == "Deceptive alignment"
    assert {(ch["person"], ch["value"]) for ch in c["changes"]} == {
        ("bob", "Deception (bob)"),
        ("carol", "Deception (carol)"),
    }
    assert {(ch["person"], ch["person_name"]) for ch in c["changes"]} == {
        ("bob", "Bob"),
        ("carol", "carol"),
    }
    assert c["resolved"] is None
    bobs = next(ch["tree"] for ch in c["changes"] if ch["person"] == "bob")
    url = f"/api/trees/{merged}/conflicts/0/"
    assert people["vic"].post(url, {"pick": str(bobs)}, format="json").status_code == 403
    bad = ann.post(url, {"pick": "12345"}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"
    assert (
        ann.post(f"/api/trees/{merged}/conflicts/5/", {"pick": "base"}, format="json").status_code
        == 404
    )

    picked = ann.post(url, {"pick": str(bobs)}, format="json")
    assert picked.status_code == 200, picked.json()
    assert picked.json()["resolved"]["value"] == "Deception (bob)"
    assert picked.json()["resolved"]["by"]["username"] == "ann"
    assert picked.json()["merged"]["text"] == "Deception (bob)"
    assert live(merged)[c["merged"]["node"]].text == "Deception (bob)"
    again = ann.get(f"/api/trees/{merged}/review/").json()["conflicts"][0]
    assert again["resolved"]["pick"] == str(bobs)
    assert_log_replays_to_the_snapshot(merged)


def test_in_a_later_round_two_nodes_merged_by_hand_were_drawn_by_who_drew_either(
    people: Any,
) -> None:
    ann, tree_id = people["ann"], people["tree"]
    forked = ann.post(
        f"/api/trees/{tree_id}/fork/", {"people": ["ann", "bob", "carol"]}, format="json"
    ).json()
    out = merge_via_api(ann, [row["tree"]["id"] for row in forked["trees"]])
    assert out["status"] == "done", out
    merged = out["tree"]["id"]
    first = by_text(tree_id)
    drew = {
        text: {s["tree"] for s in first[text].meta["sources"]}
        for text in ("Race dynamics", "Competitive pressure")
    }
    a, b = by_text(merged)["Race dynamics"], by_text(merged)["Competitive pressure"]
    assert {d["tree"] for d in a.meta["drew"]} == drew["Race dynamics"]
    body = {"a": str(a.id), "b": str(b.id), "label": "a"}
    done = ann.post(f"/api/trees/{merged}/merge-nodes/", body, format="json")
    assert done.status_code == 200, done.json()
    kept = by_text(merged)["Race dynamics"]
    both = drew["Race dynamics"] | drew["Competitive pressure"]
    assert len(both) == 2  # one person short of all three: the copies would say 3 of 3
    assert {d["tree"] for d in kept.meta["drew"]} == both
    ranked = ann.get(f"/api/analysis/recurring/?trees={merged}").json()["items"]
    row = next(r for r in ranked if r["label"] == "Race dynamics")
    assert row["support"] == round(len(both) / 3, 3)

    split = ann.post(f"/api/trees/{merged}/nodes/{kept.id}/split/")
    assert split.status_code == 200, split.json()
    assert "drew" not in live(merged)[str(kept.id)].meta  # one copy's node: its sources say


def test_a_split_takes_back_the_extra_parent_edges_only_that_tree_drew(
    make_user: Any, client_for: Any
) -> None:
    """ann drew "Specification gaming" under "Outer alignment", carol at the top: merged, it
    sits under one and is linked under the other. Merging "Outer alignment" into bob's
    "Specifying values" by hand and splitting that back must bring ann's edge back to ann's
    part, not leave it under bob's problem (it was drawn by ann alone)."""
    ann, bob, carol = (make_user(n) for n in ("ann", "bob", "carol"))
    outlines = {
        ann: [("Alignment", [("Outer alignment", [("Specification gaming", [])])])],
        bob: [("Alignment", [("Specifying values", [("Reward hacking", [])])])],
        carol: [("Alignment", [("Specification gaming", [])])],
    }
    trees = [
        build_problem_tree(u, u.username, o, {ann: "editor"} if u != ann else {})
        for u, o in outlines.items()
    ]
    client = client_for(ann)
    out = merge_via_api(client, trees)
    assert out["status"] == "done", out
    tree_id = out["tree"]["id"]
    nodes = by_text(tree_id)
    outer, values, gaming = (
        nodes["Outer alignment"],
        nodes["Specifying values"],
        nodes["Specification gaming"],
    )
    assert str(outer.id) in {str(gaming.parent_id), *gaming.parents}
    merged = client.post(
        f"/api/trees/{tree_id}/merge-nodes/",
        {"a": str(values.id), "b": str(outer.id)},
        format="json",
    )
    assert merged.status_code == 200, merged.json()
    gaming = by_text(tree_id)["Specification gaming"]
    assert str(values.id) in {str(gaming.parent_id), *gaming.parents}

    split = client.post(f"/api/trees/{tree_id}/nodes/{values.id}/split/")
    assert split.status_code == 200, split.json()
    now = by_text(tree_id)
    ann_part = now["Outer alignment"]
    gaming = now["Specification gaming"]
    ups = {str(gaming.parent_id), *gaming.parents}
    assert str(ann_part.id) in ups and str(values.id) not in ups, ups
    assert now["Reward hacking"].parent_id == values.id  # bob's child stays with bob's part
    assert_log_replays_to_the_snapshot(tree_id)


def test_a_split_after_keep_b_label_gives_each_part_its_own_label_and_opens_the_pair_again(
    people: Any,
) -> None:
    ann, bob, tree_id = people["ann"], people["bob"], people["tree"]
    queue = ann.get(f"/api/trees/{tree_id}/review/").json()
    s = next(
        x
        for x in queue["suggestions"]
        if len({src["tree"] for src in x["a"]["sources"] + x["b"]["sources"]}) == 2
        and len({src["tree"] for src in x["a"]["sources"]}) == 1
        and live(tree_id)[x["a"]["node"]].text != live(tree_id)[x["b"]["node"]].text
    )
    a_text = live(tree_id)[s["a"]["node"]].text
    b_text = live(tree_id)[s["b"]["node"]].text
    glossary = Tree.objects.get(pk=tree_id).meta.get("glossary")
    body = {"decision": "accept", "label": "b"}
    out = ann.post(f"/api/trees/{tree_id}/review/{s['id']}/", body, format="json").json()
    node = out["suggestion"]["a"]["node"]
    assert live(tree_id)[node].text == b_text

    split = bob.post(f"/api/trees/{tree_id}/nodes/{node}/split/")
    assert split.status_code == 200, split.json()
    parts = [live(tree_id)[i] for i in split.json()["nodes"]]
    assert sorted(p.text for p in parts) == sorted([a_text, b_text])
    assert parts[0].text == a_text  # the node split from takes back its own label
    assert all("aliases" not in p.meta for p in parts)
    assert_log_replays_to_the_snapshot(tree_id)
    # The card no longer says Accepted of two problems the tree holds apart: open again.
    again = ann.get(f"/api/trees/{tree_id}/review/").json()
    row = next(x for x in again["suggestions"] if x["id"] == s["id"])
    assert row["status"] == "pending" and row["chosen"] is None and row["decided_by"] is None
    assert {row["a"]["node"], row["b"]["node"]} == {str(p.id) for p in parts}
    assert again["progress"]["done"] == queue["progress"]["done"]
    assert Tree.objects.get(pk=tree_id).meta.get("glossary") == glossary  # alias forgotten


def test_a_node_edited_after_its_merge_keeps_its_text_when_split(people: Any) -> None:
    tree_id = people["tree"]
    nodes = by_text(tree_id)
    a, b = nodes["Race dynamics"], nodes["Competitive pressure"]
    body = {"a": str(a.id), "b": str(b.id), "label": "b"}
    people["bob"].post(f"/api/trees/{tree_id}/merge-nodes/", body, format="json")
    Node.objects.filter(pk=a.id).update(text="Racing to deploy")  # as if edited later
    from trees.actions import state_cache

    state_cache.forget(tree_id)
    out = people["bob"].post(f"/api/trees/{tree_id}/nodes/{a.id}/split/").json()
    texts = [live(tree_id)[i].text for i in out["nodes"]]
    assert texts[0] == "Racing to deploy" and "Competitive pressure" in texts[1:]


def test_a_pick_says_which_candidate_was_merged_and_asks_the_pair_with_b_again(
    people: Any,
) -> None:
    ann, tree_id = people["ann"], people["tree"]
    queue = ann.get(f"/api/trees/{tree_id}/review/").json()
    s, pick = next(
        (x, c)
        for x in queue["suggestions"]
        for c in x["candidates"]
        if c["node"] not in (x["a"]["node"], x["b"]["node"])
    )
    url = f"/api/trees/{tree_id}/review/{s['id']}/"
    out = ann.post(url, {"decision": "pick", "candidate": pick["node"]}, format="json")
    assert out.status_code == 200, out.json()
    got = out.json()["suggestion"]
    assert got["status"] == "accepted"
    assert got["picked"] == {"node": s["a"]["node"], "label": pick["label"]}
    assert pick["node"] not in live(tree_id) and s["b"]["node"] in live(tree_id)
    # b's pair is still open: asked again as a pending suggestion, without the picked one.
    after = ann.get(f"/api/trees/{tree_id}/review/").json()
    open_again = [
        x
        for x in after["suggestions"]
        if x["status"] == "pending"
        and {x["a"]["node"], x["b"]["node"]} == {s["a"]["node"], s["b"]["node"]}
    ]
    assert len(open_again) == 1 and open_again[0]["id"] != s["id"]
    assert after["progress"]["done"] == queue["progress"]["done"] + 1
    # Undo takes the pick back, and with it the pair it left open.
    undone = ann.post(f"{url}undo/").json()["suggestion"]
    assert undone["status"] == "pending" and undone["picked"] is None
    back = ann.get(f"/api/trees/{tree_id}/review/").json()
    assert [x["id"] for x in back["suggestions"]] == [x["id"] for x in queue["suggestions"]]
    assert_log_replays_to_the_snapshot(tree_id)
