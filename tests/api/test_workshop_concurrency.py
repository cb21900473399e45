"""A room joining at once: two people taking the same display name at the same moment, and a
room of people joining together, from real threads with their own database connections
(PostgreSQL in the integration pass, SQLite otherwise)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_owner_concurrency import _race
from trees.actions.workshops import workshop_create, workshop_join
from trees.models import WorkshopParticipant

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
