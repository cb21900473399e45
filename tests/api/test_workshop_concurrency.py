"""A room joining at once: two people taking the same display name at the same moment (in a
workshop, and as guests on a tree's share link), a room of people joining together, and a move
racing the end of a round, from real threads with their own database connections (PostgreSQL
in the integration pass, SQLite otherwise)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.api.test_owner_concurrency import _race
from trees.actions.trees import tree_create
from trees.actions.workshop_groups import group_create, participant_move
from trees.actions.workshop_rounds import exercise_create, round_end, round_start
from trees.actions.workshops import (
    sharelink_create,
    sharelink_enter,
    workshop_create,
    workshop_join,
)
from trees.domain.workshop import FOLLOWS, MERGED_ALREADY
from trees.models import ExerciseTree, GroupMerge, Membership, WorkshopParticipant

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_taking_one_name_at_once_get_one_seat_and_one_name_taken(
    make_user: Any,
) -> None:
    workshop = workshop_create(user=make_user("fran"), title="W")
    for round_ in range(10):
        name = f"Sam {round_}"

        def take(name: str = name) -> None:
            workshop_join(workshop=workshop, user=None, display_name=name)

        answers = _race([take, take])
        assert sorted(answers) == ["name_taken", "ok"], answers
        assert WorkshopParticipant.objects.filter(workshop=workshop, display_name=name).count() == 1


def test_two_guests_taking_one_name_on_a_share_link_at_once_get_one_place_and_one_name_taken(
    make_user: Any,
) -> None:
    owner = make_user("olivia")
    tree = tree_create(owner_id=owner.pk, kind="game", title="Shared")
    link = sharelink_create(tree=tree, user=owner, role="editor")
    for round_ in range(10):
        name = f"Ada {round_}"

        def take(name: str = name) -> None:
            sharelink_enter(user=None, token=link.token, display_name=name)

        answers = _race([take, take])
        assert sorted(answers) == ["name_taken", "ok"], answers
    assert Membership.objects.filter(tree=tree).count() == 11


def test_twelve_people_joining_together_each_get_their_own_account_and_seat(
    make_user: Any,
) -> None:
    workshop = workshop_create(user=make_user("fran"), title="W")

    def joiner(i: int) -> Any:
        return lambda: workshop_join(workshop=workshop, user=None, display_name=f"P{i}")

    calls = [joiner(i) for i in range(12)]
    assert _race(calls) == ["ok"] * 12
    seats = WorkshopParticipant.objects.filter(workshop=workshop, role="participant")
    assert seats.count() == 12
    assert len(set(seats.values_list("user_id", flat=True))) == 12


def _settled(round_id: int, timeout: float = 180.0) -> list[Any]:
    """The round's group merges once none is waiting or running (they run in the background)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = list(GroupMerge.objects.filter(round_id=round_id))
        if rows and all(r.status not in ("waiting", "running") for r in rows):
            return rows
        time.sleep(0.2)
    raise AssertionError(f"round {round_id}: merges still going")


@pytest.mark.parametrize("attempt", [1, 2])
def test_a_move_racing_the_rounds_end_is_merged_wholly_on_one_side_of_it(
    make_user: Any, attempt: int
) -> None:
    """Ann moves from A to B as the facilitator ends the round: either her tree moved first
    (B's merge takes it, A's is Bob's alone) or the round ended first (it stays with A, which
    merges it with Bob's, and the move says so) — never planned in one group and linked in the
    other."""
    fran = make_user(f"fran{attempt}")
    workshop = workshop_create(user=fran, title="W")
    groups = [group_create(workshop=workshop, name=n) for n in ("A", "B")]
    seats = {}
    for name, group in (("ann", 0), ("bob", 0), ("cat", 1), ("dan", 1)):
        user = make_user(f"{name}{attempt}")
        seat, _ = workshop_join(workshop=workshop, user=user, display_name=name.title())
        participant_move(workshop=workshop, participant_id=seat.pk, group_id=groups[group].pk)
        seats[name] = seat.pk
    [exercise] = exercise_create(
        workshop=workshop, actor_id=fran.pk, template="problem_tree", rounds=1
    )
    rnd = exercise.rounds.get()
    round_start(workshop=workshop, round_id=rnd.pk, actor_id=fran.pk)
    moved: list[Any] = []

    def end() -> None:
        round_end(workshop=workshop, round_id=rnd.pk)

    def move() -> None:
        moved.append(
            participant_move(workshop=workshop, participant_id=seats["ann"], group_id=groups[1].pk)
        )

    assert _race([end, move]) == ["ok", "ok"]
    [fate] = moved[0].trees
    anns = ExerciseTree.objects.get(round=rnd, participant_id=seats["ann"])
    merges = {m.group_id: m for m in _settled(rnd.pk)}
    a, b = merges[groups[0].pk], merges[groups[1].pk]
    if fate.outcome == FOLLOWS:
        assert anns.group_id == groups[1].pk
        assert a.status == "single"  # Bob's tree alone
        assert b.status == "done" and anns.tree_id in b.tree.meta["merged_from"]
    else:
        assert fate.outcome == MERGED_ALREADY and anns.group_id == groups[0].pk
        assert a.status == "done" and anns.tree_id in a.tree.meta["merged_from"]
        assert b.status == "done" and anns.tree_id not in b.tree.meta["merged_from"]
