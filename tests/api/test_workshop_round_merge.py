"""A two-round problem-tree exercise end to end over REST, with the real merge running in
the background: blind round, each group's trees merged into the group's tree (with its review
queue) at the round's end, the merged tree forked for each member in round two, merged again.
Runs on SQLite here and on PostgreSQL + Redis in the integration pass."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from tests.api.workshop_helpers import Room, exercise, make_room, round_step, tree_of, trees_seen
from trees.models import GroupMerge, MergeSuggestion, Node, Tree

pytestmark = pytest.mark.django_db(transaction=True)


def add(room: Room, who: str, tree_id: int, text: str, parent: str | None = None) -> str:
    node = str(uuid.uuid4())
    op = {"kind": "create", "id": node, "type": "problem", "parent": parent, "text": text}
    response = room.clients[who].post(
        f"/api/trees/{tree_id}/ops/",
        {"client_id": f"c-{who}", "n": int(time.monotonic_ns() % 10**12), "op": op},
        format="json",
    )
    assert response.status_code == 200, response.content
    return node


def root(tree_id: int) -> str:
    return str(Node.objects.get(tree_id=tree_id, parent_id=None, deleted=False).pk)


def merges_settle(room: Room, round_id: int, timeout: float = 120.0) -> dict[int, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(GroupMerge.objects.filter(round_id=round_id))
        if rows and all(r.status not in ("waiting", "running") for r in rows):
            break
        time.sleep(0.2)
    body = room.fac.get(room.url("home/")).json()
    for ex in body["exercises"]:
        for rnd in ex["rounds"]:
            if rnd["id"] == round_id:
                return {m["group"]: m for m in rnd["merges"]}
    raise AssertionError("round not found")


def test_a_two_round_problem_tree_exercise_merges_each_group_and_forks_it_for_each_member(
    make_user: Any, client_for: Any
) -> None:
    room = make_room(make_user, client_for)
    ex = exercise(room, "problem_tree", rounds=2)
    first, second = (r["id"] for r in ex["rounds"])
    own = {name: tree_of(room, ex["id"], participant=name) for name in ("ann", "bob", "cat")}
    round_step(room, first, "start")
    add(room, "ann", own["ann"], "Reward hacking", root(own["ann"]))
    add(room, "bob", own["bob"], "Reward hacking", root(own["bob"]))
    add(room, "bob", own["bob"], "Deceptive alignment", root(own["bob"]))
    add(room, "cat", own["cat"], "Goal misgeneralisation", root(own["cat"]))
    round_step(room, first, "end")

    merges = merges_settle(room, first)
    assert {m["status"] for m in merges.values()} == {"done"}, merges
    merged_a = merges[room.groups["A"]]["tree"]
    merged_b = merges[room.groups["B"]]["tree"]
    texts = set(Node.objects.filter(tree_id=merged_a, deleted=False).values_list("text", flat=True))
    assert {"Alignment", "Reward hacking", "Deceptive alignment"} <= texts
    assert "Goal misgeneralisation" not in texts
    assert Tree.objects.get(pk=merged_a).meta["merged_from"] == [own["ann"], own["bob"]]
    assert MergeSuggestion.objects.filter(tree_id=merged_a).count() >= 0  # review queue made
    seen = trees_seen(room, "bob", ex["id"])
    assert seen[merged_a]["kind"] == "merged" and seen[merged_a]["role"] in ("owner", "editor")
    assert merged_b not in seen
    assert trees_seen(room, "alice", ex["id"])[merged_a]["role"] == "viewer"
    assert room.clients["cat"].get(f"/api/trees/{merged_a}/snapshot/").status_code == 404

    round_step(room, second, "start")
    forks = {}
    for name in ("ann", "bob", "cat", "dan"):
        mine = [
            t
            for t in trees_seen(room, name, ex["id"]).values()
            if t["round"] == second and t["participant"] == room.seats[name]
        ]
        if name == "dan":  # dan had no tree in round 1: cat's is forked for him too
            assert len(mine) == 1
        forks[name] = mine[0]["tree"]
        assert Tree.objects.get(pk=forks[name]).meta["forked_from"] in (merged_a, merged_b)
    assert Tree.objects.get(pk=forks["ann"]).meta["forked_from"] == merged_a
    copied = Node.objects.filter(tree_id=forks["ann"], deleted=False).values_list("text", flat=True)
    assert "Deceptive alignment" in set(copied)
    # Round two is blind again: bob cannot open ann's fork until it ends.
    assert room.clients["bob"].get(f"/api/trees/{forks['ann']}/snapshot/").status_code == 404
    add(room, "ann", forks["ann"], "Sycophancy", root(forks["ann"]))
    round_step(room, second, "end")
    again = merges_settle(room, second)
    assert again[room.groups["A"]]["status"] == "done", again
    final = again[room.groups["A"]]["tree"]
    texts = set(Node.objects.filter(tree_id=final, deleted=False).values_list("text", flat=True))
    assert {"Sycophancy", "Deceptive alignment", "Reward hacking"} <= texts
    assert Tree.objects.get(pk=final).meta["base"] == merged_a
    assert room.clients["bob"].get(f"/api/trees/{forks['ann']}/snapshot/").status_code == 200
    # The ranking of the round-two tree counts who drew each problem (round one's people,
    # then ann's addition), not the two copies every carried-over problem sat in.
    ranked = room.clients["ann"].get(f"/api/analysis/recurring/?trees={final}")
    assert ranked.status_code == 200, ranked.content
    support = {i["label"]: i["support"] for i in ranked.json()["items"]}
    assert support == {"Reward hacking": 1.0, "Deceptive alignment": 0.5, "Sycophancy": 0.5}


def test_after_round_ones_merge_the_board_counts_each_groups_merged_tree_once(
    make_user: Any, client_for: Any
) -> None:
    # A walkthrough's board said "15 problems" for a group whose own trees (3 + 3 + 3) were
    # merged into a tree of 6: the own trees and the merged tree that holds them were added.
    room = make_room(make_user, client_for)
    ex = exercise(room, "problem_tree", rounds=2)
    first = ex["rounds"][0]["id"]
    own = {name: tree_of(room, ex["id"], participant=name) for name in ("ann", "bob", "cat")}
    round_step(room, first, "start")
    add(room, "ann", own["ann"], "Reward hacking", root(own["ann"]))
    add(room, "bob", own["bob"], "Reward hacking", root(own["bob"]))
    add(room, "bob", own["bob"], "Deceptive alignment", root(own["bob"]))
    add(room, "cat", own["cat"], "Goal misgeneralisation", root(own["cat"]))

    def group_a() -> dict[str, Any]:
        board = room.fac.get(room.url("board/"))
        assert board.status_code == 200, board.content
        body = board.json()
        [row] = [g for g in body["groups"] if g["id"] == room.groups["A"]]
        return {"row": row, "ranking": body["exercises"][0]["ranking"]["items"]}

    before = group_a()["row"]
    assert before["totals"]["problems"] == 3  # ann's 1 and bob's 2, nothing merged yet
    assert all(t["counted"] for t in before["trees"])

    round_step(room, first, "end")
    merged = merges_settle(room, first)[room.groups["A"]]["tree"]
    after = group_a()
    trees = {t["id"]: t for t in after["row"]["trees"]}
    assert trees[merged]["counts"]["problems"] == 2  # "Reward hacking" drawn twice is one
    assert after["row"]["totals"]["problems"] == 2
    # the members' trees are still listed with their counts, outside the total
    assert [
        (trees[own[n]]["counts"]["problems"], trees[own[n]]["counted"]) for n in ("ann", "bob")
    ] == [
        (1, False),
        (2, False),
    ]
    labels = [it["label"] for it in after["ranking"]]
    assert sorted(labels) == ["Deceptive alignment", "Goal misgeneralisation", "Reward hacking"]
    assert {it["label"]: it["groups"] for it in after["ranking"]}["Reward hacking"] == 1


def review_pairs(room: Room, who: str, tree_id: int) -> list[tuple[frozenset[str], str]]:
    review = room.clients[who].get(f"/api/trees/{tree_id}/review/")
    assert review.status_code == 200, review.content
    return [
        (frozenset((s["a"]["label"], s["b"]["label"])), s["status"])
        for s in review.json()["suggestions"]
    ]


def test_a_pair_nobody_decided_in_round_one_is_in_round_twos_review_queue_once(
    make_user: Any, client_for: Any
) -> None:
    # A 3-person browser test found round two's queue empty ("0 of 0 decided"): the copies'
    # nodes match by lineage, so no text matching asked about round one's open pairs again.
    room = make_room(make_user, client_for)
    ex = exercise(room, "problem_tree", rounds=2)
    first, second = (r["id"] for r in ex["rounds"])
    own = {name: tree_of(room, ex["id"], participant=name) for name in ("ann", "bob")}
    round_step(room, first, "start")
    add(room, "ann", own["ann"], "Reward hacking", root(own["ann"]))
    add(room, "bob", own["bob"], "Reward hacking is easy", root(own["bob"]))
    round_step(room, first, "end")
    merged = merges_settle(room, first)[room.groups["A"]]["tree"]
    hack = frozenset({"Reward hacking", "Reward hacking is easy"})
    assert (hack, "pending") in review_pairs(room, "ann", merged)

    round_step(room, second, "start")  # nobody reviews round one's queue
    round_step(room, second, "end")
    final = merges_settle(room, second)[room.groups["A"]]["tree"]
    assert Tree.objects.get(pk=final).meta["base"] == merged
    pairs = review_pairs(room, "bob", final)
    assert [p for p in pairs if p[0] == hack] == [(hack, "pending")]
    body = room.clients["bob"].get(f"/api/trees/{final}/review/").json()
    assert body["progress"] == {"done": 0, "total": len(pairs)}


def test_a_group_of_one_is_not_merged_and_its_tree_is_forked_as_it_is_next_round(
    make_user: Any, client_for: Any
) -> None:
    room = make_room(make_user, client_for)
    room.fac.patch(room.url(f"participants/{room.seats['dan']}/"), {"group": None}, format="json")
    ex = exercise(room, "problem_tree", rounds=2)
    first, second = (r["id"] for r in ex["rounds"])
    cats = tree_of(room, ex["id"], participant="cat")
    add(room, "cat", cats, "Power seeking", root(cats))
    round_step(room, first, "start")
    round_step(room, first, "end")
    merges = merges_settle(room, first)
    assert merges[room.groups["B"]]["status"] == "single"
    assert merges[room.groups["B"]]["tree"] == cats
    assert merges[room.groups["A"]]["status"] == "done"
    round_step(room, second, "start")
    [fork] = [
        t
        for t in trees_seen(room, "cat", ex["id"]).values()
        if t["round"] == second and t["participant"] == room.seats["cat"]
    ]
    assert Tree.objects.get(pk=fork["tree"]).meta["forked_from"] == cats
    texts = set(Node.objects.filter(tree_id=fork["tree"]).values_list("text", flat=True))
    assert "Power seeking" in texts


def test_a_failed_group_merge_is_started_again_by_the_facilitator(
    make_user: Any, client_for: Any
) -> None:
    room = make_room(make_user, client_for)
    ex = exercise(room, "problem_tree", rounds=1)
    rid = ex["rounds"][0]["id"]
    round_step(room, rid, "start")
    round_step(room, rid, "end")
    merges_settle(room, rid)
    # As if the server had stopped mid-merge: the merged tree gone, the merge failed.
    row = GroupMerge.objects.get(round_id=rid, group_id=room.groups["A"])
    Tree.objects.filter(pk=row.tree_id).delete()
    GroupMerge.objects.filter(pk=row.pk).update(
        status="failed", error_code="interrupted", tree=None
    )
    assert room.clients["ann"].post(room.url(f"rounds/{rid}/merge/")).status_code == 403
    again = room.fac.post(room.url(f"rounds/{rid}/merge/"))
    assert again.status_code == 200, again.content
    merges = merges_settle(room, rid)
    assert merges[room.groups["A"]]["status"] == "done"
    assert Tree.objects.filter(pk=merges[room.groups["A"]]["tree"]).exists()
    assert merges[room.groups["B"]]["tree"] != merges[room.groups["A"]]["tree"]


def test_a_round_started_before_the_merges_finish_gets_each_groups_forks_when_its_merge_does(
    make_user: Any, client_for: Any
) -> None:
    room = make_room(make_user, client_for)
    ex = exercise(room, "problem_tree", rounds=2)
    first, second = (r["id"] for r in ex["rounds"])
    round_step(room, first, "start")
    round_step(room, first, "end")
    round_step(room, second, "start")
    merges = merges_settle(room, first)
    assert {m["status"] for m in merges.values()} == {"done"}
    for name in ("ann", "bob", "cat", "dan"):
        mine = [
            t
            for t in trees_seen(room, name, ex["id"]).values()
            if t["round"] == second and t["participant"] == room.seats[name]
        ]
        assert len(mine) == 1, (name, mine)
