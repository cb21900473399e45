"""Every group, exercise and round action of a workshop, per role: the facilitator, a
participant of the group concerned, a participant of another group, a removed participant,
an outsider and an anonymous visitor. Reads are for every seat; writes for facilitators;
nobody outside the workshop learns it exists (404); a refused request changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.workshop_helpers import Room, exercise, make_room
from trees.models import Exercise, ExerciseTree, Round, WorkshopGroup, WorkshopParticipant

pytestmark = pytest.mark.django_db

ROLES = ("facilitator", "group_member", "other_group", "removed", "outsider", "anonymous")
READ = (200, 200, 200, 404, 404, 401)


def write(ok: int) -> tuple[int, ...]:
    return (ok, 403, 403, 404, 404, 401)


Spec = Callable[[Room, dict[str, int]], tuple[str, str, dict[str, Any] | None]]

# name -> (request builder, expected status per ROLES). Ids: group A (ann's), its exercise
# (a game tree) and round, a spare group without trees.
ACTIONS: dict[str, tuple[Spec, tuple[int, ...]]] = {
    "home": (lambda r, i: ("get", r.url("home/"), None), READ),
    "groups list": (lambda r, i: ("get", r.url("groups/"), None), READ),
    "group create": (lambda r, i: ("post", r.url("groups/"), {"name": "C"}), write(201)),
    "group draw": (lambda r, i: ("post", r.url("groups/draw/"), {"seed": 3}), write(200)),
    "group rename": (
        lambda r, i: ("patch", r.url(f"groups/{i['group']}/"), {"name": "Ants"}),
        write(200),
    ),
    "group delete": (lambda r, i: ("delete", r.url(f"groups/{i['spare']}/"), None), write(204)),
    "participant move": (
        lambda r, i: ("patch", r.url(f"participants/{i['bob']}/"), {"group": i["spare"]}),
        write(200),
    ),
    "exercises list": (lambda r, i: ("get", r.url("exercises/"), None), READ),
    "exercise create": (
        lambda r, i: ("post", r.url("exercises/"), {"template": "before_after_reading"}),
        write(201),
    ),
    "exercise read": (lambda r, i: ("get", r.url(f"exercises/{i['exercise']}/"), None), READ),
    "exercise update": (
        lambda r, i: ("patch", r.url(f"exercises/{i['exercise']}/"), {"phase": "warm-up"}),
        write(200),
    ),
    "exercise delete": (
        lambda r, i: ("delete", r.url(f"exercises/{i['exercise']}/"), None),
        write(204),
    ),
    "round start": (
        lambda r, i: ("post", r.url(f"rounds/{i['round']}/start/"), {"duration_seconds": 300}),
        write(200),
    ),
    "round extend": (
        lambda r, i: ("post", r.url(f"rounds/{i['running']}/extend/"), {"seconds": 60}),
        write(200),
    ),
    "round end": (lambda r, i: ("post", r.url(f"rounds/{i['running']}/end/"), None), write(200)),
    "round merge": (
        # An individual round that ended with no trees to merge: retried, nothing to do.
        lambda r, i: ("post", r.url(f"rounds/{i['ended']}/merge/"), None),
        write(200),
    ),
    "round prepare": (
        lambda r, i: ("post", r.url(f"rounds/{i['round']}/prepare/"), None),
        write(200),
    ),
}


# Run before the request: starting a round needs the workshop's running round ended.
PREP: dict[str, Callable[[dict[str, int]], Any]] = {
    "round start": lambda i: Round.objects.filter(pk=i["running"]).update(
        ended_at="2026-01-01T00:20Z"
    ),
}


def _setup(room: Room) -> dict[str, int]:
    game = exercise(room, "game_tree")
    running = exercise(room, "game_tree", title="Running")
    empty = exercise(room, "problem_tree", rounds=1, title="Nobody's")
    room.fac.post(room.url(f"rounds/{running['rounds'][0]['id']}/start/"), {}, format="json")
    ended = empty["rounds"][0]["id"]
    # No trees in it: delete them first, then run the round through.
    ExerciseTree.objects.filter(exercise_id=empty["id"]).delete()
    Round.objects.filter(pk=ended).update(
        started_at="2026-01-01T00:00Z", ended_at="2026-01-01T00:10Z"
    )
    spare = room.fac.post(room.url("groups/"), {"name": "Spare"}, format="json").json()["id"]
    room.fac.delete(room.url(f"participants/{room.seats['dan']}/"))
    return {
        "group": room.groups["A"],
        "spare": spare,
        "bob": room.seats["bob"],
        "exercise": game["id"],
        "round": game["rounds"][0]["id"],
        "running": running["rounds"][0]["id"],
        "ended": ended,
    }


def _client(room: Room, role: str) -> APIClient:
    names = {
        "facilitator": "alice",
        "group_member": "ann",
        "other_group": "cat",
        "removed": "dan",
        "outsider": "eve",
    }
    return APIClient() if role == "anonymous" else room.as_(names[role])


def _state() -> dict[str, Any]:
    return {
        "groups": sorted(WorkshopGroup.objects.values_list("id", "name")),
        "seats": sorted(WorkshopParticipant.objects.values_list("id", "group_id")),
        "exercises": sorted(Exercise.objects.values_list("id", "title", "phase")),
        "rounds": sorted(
            (r[0], str(r[1]), str(r[2]), str(r[3]))
            for r in Round.objects.values_list("id", "started_at", "ends_at", "ended_at")
        ),
        "trees": ExerciseTree.objects.count(),
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_workshop_action_answers_each_role_as_the_rules_say(
    make_user: Any, client_for: Any, action: str, role: str
) -> None:
    room = make_room(make_user, client_for)
    ids = _setup(room)
    build, expected = ACTIONS[action]
    method, url, data = build(room, ids)
    if action in PREP:
        PREP[action](ids)
    before = _state()
    response = getattr(_client(room, role), method)(url, data, format="json")
    status = expected[ROLES.index(role)]
    assert response.status_code == status, (response.status_code, response.content[:300])
    if status >= 400:
        assert response.json()["code"] in ("forbidden", "not_found", "not_authenticated")
        assert _state() == before, "a refused request changed something"
