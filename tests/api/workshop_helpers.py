"""A workshop with a facilitator (alice), two groups of two and an outsider, over REST."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rest_framework.test import APIClient


@dataclass
class Room:
    id: int
    fac: APIClient
    users: dict[str, Any]
    clients: dict[str, APIClient]
    seats: dict[str, int]
    groups: dict[str, int] = field(default_factory=dict)

    def url(self, tail: str = "") -> str:
        return f"/api/workshops/{self.id}/{tail}"

    def as_(self, name: str) -> APIClient:
        return self.fac if name == "alice" else self.clients[name]


def make_room(make_user: Any, client_for: Any) -> Room:
    """alice facilitates; ann and bob are group A, cat and dan group B; eve is an outsider."""
    alice = make_user("alice")
    fac = client_for(alice)
    created = fac.post("/api/workshops/", {"title": "Alignment day"}, format="json").json()
    users = {"alice": alice}
    clients: dict[str, APIClient] = {}
    seats: dict[str, int] = {}
    for name in ("ann", "bob", "cat", "dan", "eve"):
        users[name] = make_user(name)
        clients[name] = client_for(users[name])
    for name in ("ann", "bob", "cat", "dan"):
        body = clients[name].post(
            "/api/join/",
            {"display_name": name.title(), "token": created["join_token"]},
            format="json",
        )
        assert body.status_code == 200, body.content
        seats[name] = body.json()["participant"]["id"]
    room = Room(created["id"], fac, users, clients, seats)
    for label, members in (("A", ("ann", "bob")), ("B", ("cat", "dan"))):
        group = fac.post(room.url("groups/"), {"name": f"Group {label}"}, format="json")
        assert group.status_code == 201, group.content
        room.groups[label] = group.json()["id"]
        for name in members:
            moved = fac.patch(
                room.url(f"participants/{seats[name]}/"),
                {"group": room.groups[label]},
                format="json",
            )
            assert moved.status_code == 200, moved.content
    return room


def exercise(room: Room, template: str, **extra: Any) -> dict[str, Any]:
    response = room.fac.post(room.url("exercises/"), {"template": template, **extra}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json()["exercises"][0])


def round_step(room: Room, round_id: int, step: str) -> None:
    """The facilitator starts or ends a round."""
    response = room.fac.post(room.url(f"rounds/{round_id}/{step}/"), {}, format="json")
    assert response.status_code == 200, response.content


def trees_seen(room: Room, who: str, exercise_id: int) -> dict[int, dict[str, Any]]:
    """The trees `who` is shown in an exercise, by tree id."""
    body = room.as_(who).get(room.url(f"exercises/{exercise_id}/"))
    assert body.status_code == 200, body.content
    return {t["tree"]: t for t in body.json()["trees"]}


def tree_of(
    room: Room,
    exercise_id: int,
    *,
    participant: str | None = None,
    group: str | None = None,
    kind: str | None = None,
) -> int:
    seen = trees_seen(room, "alice", exercise_id)
    for tree_id, t in seen.items():
        if participant is not None and t["participant"] != room.seats[participant]:
            continue
        if group is not None and t["group"] != room.groups[group]:
            continue
        if kind is not None and t["kind"] != kind:
            continue
        return tree_id
    raise AssertionError(f"no such tree among {seen}")
