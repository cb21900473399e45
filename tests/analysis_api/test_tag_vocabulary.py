"""The tag vocabulary through REST: renaming and merging tags across the trees a user may
edit (ordinary logged ops, per role), and what the tag field offers while typing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from trees.actions import member_add
from trees.domain import replay
from trees.models import FailureMode, Node, OpLog, Tree
from trees.selectors import tree_snapshot

pytestmark = pytest.mark.django_db(transaction=True)


def game_tree(client: Any, title: str, tags: list[list[str]]) -> int:
    tree = client.post("/api/trees/", {"kind": "game", "title": title}, format="json").json()
    root = str(uuid.uuid4())
    ops = [{"kind": "create", "id": root, "type": "proposal", "parent": None, "text": "P"}]
    for i, t in enumerate(tags):
        ops.append(
            {
                "kind": "create",
                "id": str(uuid.uuid4()),
                "type": "critique",
                "parent": root,
                "text": f"C{i}",
                "tags": t,
            }
        )
    for n, op in enumerate(ops, start=1):
        r = client.post(
            f"/api/trees/{tree['id']}/ops/", {"client_id": "t", "n": n, "op": op}, format="json"
        )
        assert r.status_code == 200, r.json()
    return int(tree["id"])


def tags_of(tree_id: int) -> list[list[str]]:
    rows = Node.objects.filter(tree_id=tree_id, deleted=False, type="critique").order_by("text")
    return [list(n.tags) for n in rows]


def replays(tree_id: int) -> None:
    tree = Tree.objects.get(pk=tree_id)
    rows = OpLog.objects.filter(tree=tree).order_by("seq")
    state = replay(tree.kind, [(r.seq, r.op, r.actor_id) for r in rows])
    assert state.snapshot() == tree_snapshot(tree_id=tree_id)["nodes"]


def test_a_merge_of_tags_rewrites_every_tree_named_and_no_other(
    make_user: Any, client_for: Any
) -> None:
    ann = client_for(make_user("ann"))
    one = game_tree(ann, "one", [["#Goodhart", "sycophancy"], ["proxy gaming"], []])
    two = game_tree(ann, "two", [["goodhart"], ["Proxy-Gaming", "goodhart"]])
    other = game_tree(ann, "other", [["goodhart"]])
    FailureMode.objects.create(user_id=Tree.objects.get(pk=one).owner_id, tag="goodhart")
    body = {"from": ["goodhart", "Proxy gaming"], "to": "Proxy gaming", "trees": [one, two]}
    r = ann.post("/api/tags/rename/", body, format="json")
    assert r.status_code == 200, r.json()
    assert r.json() == {
        "from": ["goodhart"],
        "to": "proxy-gaming",
        "trees": [{"tree": one, "nodes": 1}, {"tree": two, "nodes": 2}],
    }
    assert tags_of(one) == [["proxy-gaming", "sycophancy"], ["proxy-gaming"], []]
    assert tags_of(two) == [["proxy-gaming"], ["proxy-gaming"]]
    assert tags_of(other) == [["goodhart"]]
    assert FailureMode.objects.get().tag == "proxy-gaming"
    for t in (one, two):
        replays(t)
        assert OpLog.objects.filter(tree_id=t, client_id__startswith="tags:").exists()


def test_a_rename_without_trees_covers_the_trees_i_may_edit(
    make_user: Any, client_for: Any
) -> None:
    ann_user, bob_user = make_user("ann"), make_user("bob")
    ann, bob = client_for(ann_user), client_for(bob_user)
    mine = game_tree(ann, "mine", [["oversight"]])
    edit = game_tree(bob, "bob edits", [["oversight"]])
    view = game_tree(bob, "bob shows", [["oversight"]])
    member_add(tree=Tree.objects.get(pk=edit), username="ann", role="editor")
    member_add(tree=Tree.objects.get(pk=view), username="ann", role="viewer")
    r = ann.post(
        "/api/tags/rename/", {"from": "oversight", "to": "scalable oversight"}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert sorted(x["tree"] for x in r.json()["trees"]) == sorted([mine, edit])
    assert tags_of(mine) == tags_of(edit) == [["scalable-oversight"]]
    assert tags_of(view) == [["oversight"]]


@pytest.mark.parametrize(
    ("role", "status"), [("viewer", 403), (None, 404), ("editor", 200), ("owner", 200)]
)
def test_renaming_tags_in_a_tree_needs_an_editor(
    make_user: Any, client_for: Any, role: str | None, status: int
) -> None:
    bob = client_for(make_user("bob"))
    tree = game_tree(bob, "bob's", [["oversight"]])
    ann_user = make_user("ann")
    if role == "owner":
        ann_user = Tree.objects.get(pk=tree).owner
    elif role is not None:
        member_add(tree=Tree.objects.get(pk=tree), username="ann", role=role)
    ann = client_for(ann_user)
    body = {"from": "oversight", "to": "weak oversight", "trees": [tree]}
    r = ann.post("/api/tags/rename/", body, format="json")
    assert r.status_code == status, r.json()
    assert tags_of(tree) == [["weak-oversight" if status == 200 else "oversight"]]


def test_a_rename_refuses_bad_tags(make_user: Any, client_for: Any) -> None:
    ann = client_for(make_user("ann"))
    tree = game_tree(ann, "t", [["a"]])
    for body in (
        {"from": [], "to": "b"},
        {"from": "a", "to": "#"},
        {"from": "#", "to": "b"},
        {"from": "a", "to": "x" * 65},
        {"to": "b"},
    ):
        r = ann.post("/api/tags/rename/", {**body, "trees": [tree]}, format="json")
        assert r.status_code == 400 and r.json()["code"] == "invalid", (body, r.json())
    assert tags_of(tree) == [["a"]]


def test_the_tag_field_offers_this_trees_tags_then_the_groups_then_the_vocabulary(
    make_user: Any, client_for: Any
) -> None:
    ann = client_for(make_user("ann"))
    here = game_tree(ann, "here", [["sycophancy"], ["my-own"]])
    game_tree(ann, "there", [["elsewhere"], ["elsewhere"]])
    bob = client_for(make_user("bob"))
    game_tree(bob, "not mine", [["secret-tag"]])
    r = ann.get(f"/api/tags/vocabulary/?tree={here}")
    assert r.status_code == 200
    rows = r.json()
    tags = [x["tag"] for x in rows]
    assert tags[:3] == ["my-own", "sycophancy", "elsewhere"]
    assert [x["source"] for x in rows[:3]] == ["tree", "tree", "group"]
    assert "secret-tag" not in tags
    syc = rows[1]
    assert syc["label"] and syc["description"] and syc["count"] == 1
    vocab = [x for x in rows if x["source"] == "vocabulary"]
    assert vocab and all(x["count"] == 0 and x["label"] for x in vocab)
    assert any("goodhart" in " ".join(x["aliases"]).lower() for x in rows)
    assert len(tags) == len(set(tags))
    assert bob.get(f"/api/tags/vocabulary/?tree={here}").status_code == 404
