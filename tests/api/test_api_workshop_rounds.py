"""Workshop groups, exercises and timed rounds over REST, and who may open which tree: the
facilitator reads every tree, a group edits its own, a blind round hides group-mates' trees
until it ends, another group, an outsider and a removed participant see nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.workshop_helpers import Room, exercise, make_room, tree_of, trees_seen
from trees.models import ExerciseTree, Node, Round, Tree, WorkshopGroup, WorkshopParticipant

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(make_user: Any, client_for: Any) -> Room:
    return make_room(make_user, client_for)


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def status_of(client: APIClient, tree_id: int) -> int:
    return int(client.get(f"/api/trees/{tree_id}/snapshot/").status_code)


# ---- groups --------------------------------------------------------------------------------


def test_groups_list_their_members_and_the_participants_in_no_group(room: Room) -> None:
    body = room.clients["ann"].get(room.url("groups/")).json()
    members = {g["name"]: g["members"] for g in body["groups"]}
    assert members == {
        "Group A": [room.seats["ann"], room.seats["bob"]],
        "Group B": [room.seats["cat"], room.seats["dan"]],
    }
    assert body["unassigned"] == []
    people = room.fac.get(room.url("participants/")).json()
    assert {p["display_name"]: p["group"] for p in people}["Ann"] == room.groups["A"]


def test_a_draw_makes_balanced_groups_of_everyone_and_drawing_again_changes_them(
    room: Room, make_user: Any, client_for: Any
) -> None:
    token = room.fac.get(room.url()).json()["join_token"]
    for name in ("fay", "gus", "hal"):
        client = client_for(make_user(name))
        client.post("/api/join/", {"display_name": name, "token": token}, format="json")
    first = room.fac.post(room.url("groups/draw/"), {"seed": 1}, format="json")
    assert first.status_code == 200, first.content
    sizes = sorted(len(g["members"]) for g in first.json()["groups"])
    assert sizes == [2, 2, 3] and first.json()["unassigned"] == []
    partitions = {frozenset(frozenset(g["members"]) for g in first.json()["groups"])}
    for seed in range(2, 6):
        again = room.fac.post(room.url("groups/draw/"), {"seed": seed}, format="json").json()
        partitions.add(frozenset(frozenset(g["members"]) for g in again["groups"]))
    assert len(partitions) > 1
    pairs = room.fac.post(room.url("groups/draw/"), {"size": 2, "seed": 1}, format="json")
    assert sorted(len(g["members"]) for g in pairs.json()["groups"]) == [2, 2, 3]
    # Seven people in groups of two: three groups (one of three), never one alone.
    assert WorkshopGroup.objects.filter(workshop_id=room.id).count() == 3


def test_a_draw_with_a_size_other_than_two_or_three_is_invalid(room: Room) -> None:
    response = room.fac.post(room.url("groups/draw/"), {"size": 4}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_the_facilitator_renames_deletes_and_moves_by_hand(room: Room) -> None:
    renamed = room.fac.patch(
        room.url(f"groups/{room.groups['A']}/"), {"name": "  The  Ants "}, format="json"
    )
    assert renamed.json()["name"] == "The Ants"
    moved = room.fac.patch(
        room.url(f"participants/{room.seats['ann']}/"), {"group": room.groups["B"]}, format="json"
    )
    assert moved.json()["group"] == room.groups["B"]
    out = room.fac.patch(
        room.url(f"participants/{room.seats['bob']}/"), {"group": None}, format="json"
    )
    assert out.json()["group"] is None
    assert room.fac.delete(room.url(f"groups/{room.groups['A']}/")).status_code == 204
    body = room.fac.get(room.url("groups/")).json()
    assert [g["name"] for g in body["groups"]] == ["Group B"]
    assert body["unassigned"] == [room.seats["bob"]]


def test_a_facilitator_cannot_be_put_in_a_group_nor_someone_in_another_workshops_group(
    room: Room,
) -> None:
    me = room.fac.get(room.url("home/")).json()["me"]["id"]
    response = room.fac.patch(
        room.url(f"participants/{me}/"), {"group": room.groups["A"]}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")
    other = room.fac.post("/api/workshops/", {"title": "Other"}, format="json").json()
    theirs = room.fac.post(f"/api/workshops/{other['id']}/groups/", {}, format="json").json()
    response = room.fac.patch(
        room.url(f"participants/{room.seats['ann']}/"), {"group": theirs["id"]}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_a_group_with_trees_is_not_deleted(room: Room) -> None:
    exercise(room, "game_tree")
    response = room.fac.delete(room.url(f"groups/{room.groups['A']}/"))
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    assert WorkshopGroup.objects.filter(pk=room.groups["A"]).exists()


# ---- exercises and trees -------------------------------------------------------------------


def test_a_game_tree_exercise_makes_one_tree_per_group_that_its_members_edit(room: Room) -> None:
    ex = exercise(room, "game_tree", title="Oversight")
    assert [r["mode"] for r in ex["rounds"]] == ["group"]
    assert {t["kind"] for t in ex["trees"]} == {"group"} and len(ex["trees"]) == 2
    a_tree = tree_of(room, ex["id"], group="A")
    b_tree = tree_of(room, ex["id"], group="B")
    assert Tree.objects.get(pk=a_tree).kind == "game"
    assert set(trees_seen(room, "ann", ex["id"])) == {a_tree}
    assert trees_seen(room, "ann", ex["id"])[a_tree]["role"] == "editor"
    assert status_of(room.clients["ann"], a_tree) == 200
    assert status_of(room.clients["cat"], a_tree) == 404
    assert status_of(room.clients["eve"], a_tree) == 404
    op = {
        "client_id": "c-ann",
        "n": 1,
        "op": {
            "kind": "create",
            "id": str(uuid.uuid4()),
            "type": "proposal",
            "parent": None,
            "text": "Debate",
        },
    }
    written = room.clients["ann"].post(f"/api/trees/{a_tree}/ops/", op, format="json")
    assert written.status_code in (200, 201), written.content
    assert status_of(room.clients["dan"], b_tree) == 200


def test_a_problem_tree_exercise_gives_each_person_a_tree_starting_with_alignment(
    room: Room,
) -> None:
    ex = exercise(room, "problem_tree", rounds=2)
    assert [(r["number"], r["mode"], r["blind"]) for r in ex["rounds"]] == [
        (1, "individual", True),
        (2, "individual", True),
    ]
    anns = tree_of(room, ex["id"], participant="ann")
    tree = Tree.objects.get(pk=anns)
    assert tree.kind == "problem" and tree.owner_id == room.users["ann"].pk
    roots = list(Node.objects.filter(tree=tree, deleted=False).values_list("type", "text"))
    assert roots == [("problem", "Alignment")]


def test_before_after_reading_makes_two_problem_tree_exercises_with_their_phases(
    room: Room,
) -> None:
    made = room.fac.post(
        room.url("exercises/"),
        {"template": "before_after_reading", "title": "Risks"},
        format="json",
    ).json()["exercises"]
    assert [(e["kind"], e["phase"]) for e in made] == [
        ("problem_tree", "before reading"),
        ("problem_tree", "after reading"),
    ]
    assert made[0]["title"] == "Risks (before reading)"


def test_an_unknown_template_is_invalid(room: Room) -> None:
    response = room.fac.post(room.url("exercises/"), {"template": "quiz"}, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_an_exercise_is_renamed_and_deleted_with_its_trees_until_a_round_starts(
    room: Room,
) -> None:
    ex = exercise(room, "game_tree")
    patched = room.fac.patch(
        room.url(f"exercises/{ex['id']}/"), {"title": "Renamed", "phase": "warm-up"}, format="json"
    )
    assert (patched.json()["title"], patched.json()["phase"]) == ("Renamed", "warm-up")
    tree_ids = [t["tree"] for t in ex["trees"]]
    assert room.fac.delete(room.url(f"exercises/{ex['id']}/")).status_code == 204
    assert not Tree.objects.filter(pk__in=tree_ids).exists()
    started = exercise(room, "game_tree")
    room.fac.post(room.url(f"rounds/{started['rounds'][0]['id']}/start/"), {}, format="json")
    response = room.fac.delete(room.url(f"exercises/{started['id']}/"))
    assert (response.status_code, response.json()["code"]) == (409, "conflict")


# ---- the timer -----------------------------------------------------------------------------


def test_the_timer_starts_extends_and_ends_on_the_servers_clock(room: Room) -> None:
    ex = exercise(room, "game_tree", duration_seconds=600)
    rid = ex["rounds"][0]["id"]
    before = timezone.now()
    started = room.fac.post(room.url(f"rounds/{rid}/start/"), {}, format="json").json()
    assert started["state"] == "running"
    ends = _at(started["ends_at"])
    assert before + timedelta(seconds=599) <= ends <= timezone.now() + timedelta(seconds=601)
    extended = room.fac.post(
        room.url(f"rounds/{rid}/extend/"), {"seconds": 120}, format="json"
    ).json()
    assert _at(extended["ends_at"]) - ends == timedelta(seconds=120)
    ended = room.fac.post(room.url(f"rounds/{rid}/end/"), {}, format="json").json()
    assert ended["state"] == "ended" and ended["ended_at"] is not None
    again = room.fac.post(room.url(f"rounds/{rid}/end/"), {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "conflict")


def test_a_round_whose_time_is_up_is_extended_from_now(room: Room) -> None:
    ex = exercise(room, "game_tree")
    rid = ex["rounds"][0]["id"]
    room.fac.post(room.url(f"rounds/{rid}/start/"), {}, format="json")
    Round.objects.filter(pk=rid).update(ends_at=timezone.now() - timedelta(minutes=5))
    extended = room.fac.post(room.url(f"rounds/{rid}/extend/"), {"seconds": 60}, format="json")
    assert _at(extended.json()["ends_at"]) > timezone.now() + timedelta(seconds=50)


def test_rounds_run_one_at_a_time_and_in_order(room: Room) -> None:
    game = exercise(room, "game_tree")
    problem = exercise(room, "problem_tree")
    second = problem["rounds"][1]["id"]
    response = room.fac.post(room.url(f"rounds/{second}/start/"), {}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    room.fac.post(room.url(f"rounds/{game['rounds'][0]['id']}/start/"), {}, format="json")
    response = room.fac.post(
        room.url(f"rounds/{problem['rounds'][0]['id']}/start/"), {}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (409, "conflict")
    response = room.fac.post(
        room.url(f"rounds/{game['rounds'][0]['id']}/extend/"), {"seconds": 0}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


# ---- access --------------------------------------------------------------------------------


def test_during_a_blind_round_group_mates_cannot_open_each_others_trees_until_it_ends(
    room: Room,
) -> None:
    ex = exercise(room, "problem_tree", rounds=1)
    anns = tree_of(room, ex["id"], participant="ann")
    bobs = tree_of(room, ex["id"], participant="bob")
    assert set(trees_seen(room, "ann", ex["id"])) == {anns}
    assert status_of(room.clients["bob"], anns) == 404
    rid = ex["rounds"][0]["id"]
    room.fac.post(room.url(f"rounds/{rid}/start/"), {}, format="json")
    assert status_of(room.clients["bob"], anns) == 404
    room.fac.post(room.url(f"rounds/{rid}/end/"), {}, format="json")
    assert status_of(room.clients["bob"], anns) == 200
    assert set(trees_seen(room, "ann", ex["id"])) == {anns, bobs}
    assert trees_seen(room, "ann", ex["id"])[bobs]["role"] == "viewer"
    assert status_of(room.clients["cat"], anns) == 404


def test_in_a_round_that_is_not_blind_group_mates_read_each_others_trees(room: Room) -> None:
    ex = exercise(room, "problem_tree", rounds=1, blind=False)
    anns = tree_of(room, ex["id"], participant="ann")
    assert status_of(room.clients["bob"], anns) == 200
    response = room.clients["bob"].post(
        f"/api/trees/{anns}/ops/",
        {
            "client_id": "c-bob",
            "n": 1,
            "op": {"kind": "create", "id": str(uuid.uuid4()), "type": "problem", "parent": None},
        },
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_the_facilitator_reads_every_tree_of_the_workshop_without_being_invited_and_cannot_write(
    room: Room,
) -> None:
    ex = exercise(room, "problem_tree", rounds=1)
    anns = tree_of(room, ex["id"], participant="ann")
    assert status_of(room.fac, anns) == 200
    assert len(trees_seen(room, "alice", ex["id"])) == 4
    assert {t["role"] for t in trees_seen(room, "alice", ex["id"]).values()} == {"viewer"}
    response = room.fac.post(
        f"/api/trees/{anns}/ops/",
        {
            "client_id": "c-fac",
            "n": 1,
            "op": {"kind": "create", "id": str(uuid.uuid4()), "type": "problem", "parent": None},
        },
        format="json",
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


def test_moving_a_participant_to_another_group_moves_their_access(room: Room) -> None:
    ex = exercise(room, "game_tree")
    a_tree = tree_of(room, ex["id"], group="A")
    b_tree = tree_of(room, ex["id"], group="B")
    room.fac.patch(
        room.url(f"participants/{room.seats['ann']}/"), {"group": room.groups["B"]}, format="json"
    )
    assert status_of(room.clients["ann"], a_tree) == 404
    assert status_of(room.clients["ann"], b_tree) == 200


def test_a_removed_participant_loses_every_tree_of_the_workshop_at_once(room: Room) -> None:
    game = exercise(room, "game_tree")
    problem = exercise(room, "problem_tree", rounds=1)
    a_tree = tree_of(room, game["id"], group="A")
    anns = tree_of(room, problem["id"], participant="ann")
    assert status_of(room.clients["ann"], anns) == 200
    assert room.fac.delete(room.url(f"participants/{room.seats['ann']}/")).status_code == 204
    assert status_of(room.clients["ann"], a_tree) == 404
    assert status_of(room.clients["ann"], anns) == 404
    assert room.clients["ann"].get(room.url("home/")).status_code == 404
    assert status_of(room.clients["bob"], a_tree) == 200


def test_home_has_my_group_the_people_and_the_trees_i_may_open(room: Room) -> None:
    ex = exercise(room, "game_tree")
    body = room.clients["ann"].get(room.url("home/")).json()
    assert body["me"]["id"] == room.seats["ann"]
    assert body["group"]["id"] == room.groups["A"]
    assert body["workshop"]["join_token"] is None
    assert len(body["participants"]) == 5
    assert [t["tree"] for t in body["exercises"][0]["trees"]] == [
        tree_of(room, ex["id"], group="A")
    ]
    assert _at(body["server_time"]) <= timezone.now()


def test_a_late_joiner_gets_their_tree_when_the_round_is_prepared(
    room: Room, make_user: Any, client_for: Any
) -> None:
    ex = exercise(room, "problem_tree", rounds=1)
    token = room.fac.get(room.url()).json()["join_token"]
    fay = client_for(make_user("fay"))
    seat = fay.post("/api/join/", {"display_name": "Fay", "token": token}, format="json").json()
    room.fac.patch(
        room.url(f"participants/{seat['participant']['id']}/"),
        {"group": room.groups["A"]},
        format="json",
    )
    assert fay.get(room.url(f"exercises/{ex['id']}/")).json()["trees"] == []
    prepared = room.fac.post(
        room.url(f"rounds/{ex['rounds'][0]['id']}/prepare/"), {}, format="json"
    )
    assert prepared.status_code == 200, prepared.content
    mine = fay.get(room.url(f"exercises/{ex['id']}/")).json()["trees"]
    assert [(t["kind"], t["role"]) for t in mine] == [("individual", "owner")]
    assert ExerciseTree.objects.filter(exercise_id=ex["id"]).count() == 5
    assert (
        WorkshopParticipant.objects.get(pk=seat["participant"]["id"]).group_id == room.groups["A"]
    )
