"""`loaddemo` makes a demo workshop: people in groups, a game tree with content, a problem
tree in its blind first round; running it again changes nothing."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from trees.models import ExerciseTree, Node, Round, Workshop, WorkshopParticipant

pytestmark = pytest.mark.django_db


def test_loaddemo_makes_a_demo_workshop_mid_round_once(client_for: Any) -> None:
    out = StringIO()
    call_command("loaddemo", stdout=out)
    assert "demo workshop ready" in out.getvalue()
    call_command("loaddemo", stdout=StringIO())
    [workshop] = Workshop.objects.all()
    seats = WorkshopParticipant.objects.filter(workshop=workshop, role="participant")
    assert seats.count() == 6
    assert {s.group_id for s in seats} == set(workshop.groups.values_list("pk", flat=True))
    game, problem = workshop.exercises.order_by("position")
    assert (game.kind, problem.kind) == ("game_tree", "problem_tree")
    assert game.rounds.get().ended_at is not None
    first = problem.rounds.get(number=1)
    assert first.started_at is not None and first.ended_at is None and first.blind
    assert Round.objects.filter(exercise=problem, number=2, started_at__isnull=True).exists()
    for link in ExerciseTree.objects.filter(exercise=game):
        assert Node.objects.filter(tree_id=link.tree_id).count() == 2
    assert ExerciseTree.objects.filter(exercise=problem, kind="individual").count() == 6
    # The demo participants can sign in and see their workshop.
    from django.contrib.auth import get_user_model

    dave = get_user_model().objects.get(username="dave")
    home = client_for(dave).get(f"/api/workshops/{workshop.pk}/home/").json()
    assert home["group"]["name"] == "Group 1" and len(home["exercises"]) == 2


def test_each_demo_person_has_one_name_on_the_workshop_board_and_in_trees() -> None:
    from django.contrib.auth import get_user_model

    from trees.selectors import display_name

    call_command("loaddemo", stdout=StringIO())
    seats = WorkshopParticipant.objects.select_related("user")
    assert seats.count() == 7
    for seat in seats:
        assert seat.display_name == display_name(seat.user), seat.user.get_username()
    alice = get_user_model().objects.get(username="alice")
    assert seats.get(user=alice).display_name == "Alice Chen"
