"""A workshop exercise's tree names its workshop in the tree detail (the tree page's strip back
to the workshop and its round timer), and a participant compares their own before/after trees."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.workshop_helpers import Room, make_room, tree_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def room(make_user: Any, client_for: Any) -> Room:
    return make_room(make_user, client_for)


def _before_after(room: Room) -> tuple[int, int]:
    made = room.fac.post(
        room.url("exercises/"),
        {"template": "before_after_reading", "title": "Risks"},
        format="json",
    ).json()["exercises"]
    return made[0]["id"], made[1]["id"]


def test_an_exercise_tree_names_its_workshop_to_its_owner_and_the_facilitator(room: Room) -> None:
    first, _ = _before_after(room)
    tree_id = tree_of(room, first, participant="ann")
    for who in ("ann", "alice"):
        body = room.as_(who).get(f"/api/trees/{tree_id}/").json()
        assert body["workshop"] == {"id": room.id, "title": "Alignment day", "exercise": first}


def test_a_tree_outside_any_workshop_has_no_workshop(room: Room) -> None:
    made = (
        room.clients["eve"]
        .post("/api/trees/", {"kind": "problem", "title": "Mine"}, format="json")
        .json()
    )
    assert room.clients["eve"].get(f"/api/trees/{made['id']}/").json()["workshop"] is None


def test_a_participant_compares_their_own_before_and_after_trees(room: Room) -> None:
    first, second = _before_after(room)
    before = tree_of(room, first, participant="ann")
    after = tree_of(room, second, participant="ann")
    url = f"/api/compare/?before={before}&after={after}"
    response = room.clients["ann"].get(url)
    assert response.status_code == 200, response.content
    assert set(response.json()) >= {"before", "after", "added", "dropped", "reworded"}
    # Another group, and a group-mate while the (blind) round has not ended, see neither tree.
    assert room.clients["cat"].get(url).status_code == 404
    assert room.clients["bob"].get(url).status_code == 404
