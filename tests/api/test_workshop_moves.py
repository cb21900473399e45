"""Moving someone between groups mid-exercise, over REST: their individual tree of a round
still open moves with them (the new group's merge takes it, the old one's not), one of an
ended round stays where it was merged and the answer says so; group trees have member rows
that follow the groups, so they are in the members' tree lists and nobody else's."""

from __future__ import annotations

import importlib
import uuid
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.workshop_helpers import Room, exercise, make_room, round_step, tree_of
from trees.actions.workshop_members import group_trees_sync
from trees.models import ExerciseTree, GroupMerge, Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(make_user: Any, client_for: Any) -> Room:
    return make_room(make_user, client_for)


def move(room: Room, who: str, group: str | None) -> dict[str, Any]:
    target = room.groups[group] if group is not None else None
    response = room.fac.patch(
        room.url(f"participants/{room.seats[who]}/"), {"group": target}, format="json"
    )
    assert response.status_code == 200, response.content
    return dict(response.json())


def problem_tree_exercise(room: Room, rounds: int, *steps: str) -> tuple[int, int, int]:
    """A problem-tree exercise whose first round the facilitator takes through `steps`: the
    exercise's id, the first round's and ann's tree's in it."""
    ex = exercise(room, "problem_tree", rounds=rounds)
    first = ex["rounds"][0]["id"]
    for step in steps:
        round_step(room, first, step)
    return ex["id"], first, tree_of(room, ex["id"], participant="ann")


def group_trees(room: Room) -> tuple[int, int]:
    """A game-tree exercise: the trees of groups A and B in it."""
    ex = exercise(room, "game_tree")
    return tree_of(room, ex["id"], group="A"), tree_of(room, ex["id"], group="B")


def status_of(client: APIClient, tree_id: int) -> int:
    return int(client.get(f"/api/trees/{tree_id}/snapshot/").status_code)


def listed(client: APIClient) -> dict[int, str]:
    """GET /api/trees/: the trees in someone's own tree list, with their role."""
    response = client.get("/api/trees/")
    assert response.status_code == 200, response.content
    return {t["id"]: t["role"] for t in response.json()}


def group_of_tree(tree_id: int) -> int:
    return ExerciseTree.objects.get(tree_id=tree_id).group_id


def members(tree_id: int) -> dict[int, str]:
    return dict(Membership.objects.filter(tree_id=tree_id).values_list("user_id", "role"))


# ---- individual trees --------------------------------------------------------------------------


def test_a_tree_of_a_running_round_moves_with_its_person_and_the_answer_says_so(
    room: Room,
) -> None:
    _, first, anns = problem_tree_exercise(room, 2, "start")
    body = move(room, "ann", "B")
    assert body["group"] == room.groups["B"]
    [fate] = body["trees"]
    assert (fate["tree"], fate["outcome"], fate["group"]) == (anns, "follows", room.groups["B"])
    assert fate["round"] == first and fate["round_number"] == 1
    assert "moved with them to Group B" in fate["message"] and body["message"] == fate["message"]
    assert group_of_tree(anns) == room.groups["B"]
    # The round is blind and running: neither old nor new group-mates open it; ann still does.
    assert status_of(room.clients["ann"], anns) == 200
    for mate in ("bob", "cat"):
        assert status_of(room.clients[mate], anns) == 404
    round_step(room, first, "end")
    assert status_of(room.clients["cat"], anns) == 200  # the new group reads it after the round
    assert status_of(room.clients["bob"], anns) == 404  # the old group does not


def test_the_new_groups_merge_includes_the_moved_tree_and_the_old_groups_does_not(
    room: Room,
) -> None:
    ex_id, only, anns = problem_tree_exercise(room, 1, "start")
    bobs = tree_of(room, ex_id, participant="bob")
    move(room, "ann", "B")
    # The merge plan is made at the round's end (the merges themselves run after commit).
    round_step(room, only, "end")
    plans = {m.group_id: m for m in GroupMerge.objects.filter(round_id=only)}
    assert (plans[room.groups["A"]].status, plans[room.groups["A"]].tree_id) == ("single", bobs)
    assert plans[room.groups["B"]].status in ("waiting", "running", "done")
    b_trees = set(
        ExerciseTree.objects.filter(round_id=only, group_id=room.groups["B"]).values_list(
            "tree_id", flat=True
        )
    )
    assert anns in b_trees and len(b_trees) == 3


def test_a_tree_of_an_ended_round_stays_where_it_was_merged_and_the_answer_says_so(
    room: Room,
) -> None:
    _, _, anns = problem_tree_exercise(room, 2, "start", "end")
    body = move(room, "ann", "B")
    [fate] = [t for t in body["trees"] if t["tree"] == anns]
    assert (fate["outcome"], fate["group"]) == ("merged_already", room.groups["A"])
    assert "stays with Group A" in body["message"] and "merge already has it" in body["message"]
    assert group_of_tree(anns) == room.groups["A"]
    assert status_of(room.clients["bob"], anns) == 200  # still the old group's, merged there
    assert status_of(room.clients["cat"], anns) == 404


def test_moving_someone_to_no_group_leaves_their_tree_with_the_old_group_and_says_so(
    room: Room,
) -> None:
    _, _, anns = problem_tree_exercise(room, 1)
    body = move(room, "ann", None)
    [fate] = body["trees"]
    assert (fate["outcome"], fate["group"]) == ("no_group", room.groups["A"])
    assert "stays with Group A (they are in no group now)" in body["message"]
    assert status_of(room.clients["ann"], anns) == 200  # they own it
    # Grouped again, the tree of the round still open follows them.
    again = move(room, "ann", "B")
    assert [t["outcome"] for t in again["trees"]] == ["follows"]
    assert group_of_tree(anns) == room.groups["B"]


def test_a_move_without_individual_trees_says_nothing_about_trees(room: Room) -> None:
    exercise(room, "game_tree")
    body = move(room, "ann", "B")
    assert body["trees"] == [] and body["message"] == ""


def test_a_draw_moves_trees_of_open_rounds_with_their_people(room: Room) -> None:
    ex = exercise(room, "problem_tree", rounds=1)
    drawn = room.fac.post(room.url("groups/draw/"), {"size": 2, "seed": 3}, format="json")
    assert drawn.status_code == 200, drawn.content
    group_of_seat = {s: g["id"] for g in drawn.json()["groups"] for s in g["members"]}
    for name in ("ann", "bob", "cat", "dan"):
        seat = room.seats[name]
        link = ExerciseTree.objects.get(exercise_id=ex["id"], participant_id=seat)
        assert link.group_id == group_of_seat[seat], name


# ---- group trees' members ------------------------------------------------------------------------


def test_a_groups_members_are_editors_of_its_group_tree_and_see_it_in_their_tree_list(
    room: Room,
) -> None:
    a_tree, b_tree = group_trees(room)
    users = room.users
    assert members(a_tree) == {users["ann"].pk: "editor", users["bob"].pk: "editor"}
    assert listed(room.clients["ann"]).get(a_tree) == "editor"
    assert b_tree not in listed(room.clients["ann"])
    # The facilitator reads it through the workshop, without a member row: still read-only.
    assert a_tree not in listed(room.fac)
    assert status_of(room.fac, a_tree) == 200
    detail = room.fac.get(f"/api/trees/{a_tree}/").json()
    assert detail["role"] == "viewer"
    assert status_of(room.clients["eve"], a_tree) == 404


def test_moving_someone_moves_their_group_tree_membership_and_access_together(
    room: Room,
) -> None:
    a_tree, b_tree = group_trees(room)
    ann = room.users["ann"].pk
    move(room, "ann", "B")
    assert ann not in members(a_tree) and members(b_tree)[ann] == "editor"
    seen = listed(room.clients["ann"])
    assert a_tree not in seen and seen[b_tree] == "editor"
    assert status_of(room.clients["ann"], a_tree) == 404
    op = {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal", "parent": None}
    written = room.clients["ann"].post(
        f"/api/trees/{b_tree}/ops/", {"client_id": "c-ann", "n": 1, "op": op}, format="json"
    )
    assert written.status_code == 200, written.content
    refused = room.clients["ann"].post(
        f"/api/trees/{a_tree}/ops/", {"client_id": "c-ann", "n": 2, "op": op}, format="json"
    )
    assert refused.status_code == 404
    move(room, "ann", None)
    assert ann not in members(b_tree) and b_tree not in listed(room.clients["ann"])


def test_a_draw_and_a_removal_keep_group_tree_members_equal_to_the_groups(room: Room) -> None:
    trees = group_trees(room)
    drawn = room.fac.post(room.url("groups/draw/"), {"size": 2, "seed": 11}, format="json")
    assert drawn.status_code == 200, drawn.content
    groups = {g["id"]: set(g["members"]) for g in drawn.json()["groups"]}
    user_of = {room.seats[n]: room.users[n].pk for n in ("ann", "bob", "cat", "dan")}
    for tree_id in trees:
        seats = groups[group_of_tree(tree_id)]
        assert members(tree_id) == {user_of[s]: "editor" for s in seats}
    removed = room.fac.delete(room.url(f"participants/{room.seats['ann']}/"))
    assert removed.status_code == 204
    assert all(room.users["ann"].pk not in members(t) for t in trees)
    assert listed(room.clients["ann"]) == {}


def test_syncing_group_trees_gives_existing_group_trees_their_members(room: Room) -> None:
    """What migration 0012 does for group trees made before they had member rows."""
    ex = exercise(room, "game_tree")
    a_tree = tree_of(room, ex["id"], group="A")
    Membership.objects.filter(tree_id=a_tree).delete()
    assert group_trees_sync([room.groups["A"], room.groups["B"]]) == {a_tree}
    assert set(members(a_tree)) == {room.users["ann"].pk, room.users["bob"].pk}
    assert group_trees_sync([room.groups["A"]]) == set()  # nothing left to change


def test_migration_0012_gives_group_trees_made_before_it_their_members(room: Room) -> None:
    from django.apps import apps

    migration = importlib.import_module("trees.migrations.0012_group_tree_members")
    ex = exercise(room, "game_tree")
    a_tree = tree_of(room, ex["id"], group="A")
    Membership.objects.filter(tree_id=a_tree).delete()
    Membership.objects.create(tree_id=a_tree, user=room.users["alice"], role="owner")
    migration.add_members(apps, None)
    assert members(a_tree) == {room.users["ann"].pk: "editor", room.users["bob"].pk: "editor"}
