"""People are shown by the name they gave (a workshop join's display name), not by the
username made for them: every user object the server sends has `name` beside `username`."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from tests.api.api_helpers import create, tree_url
from trees.models import Tree


def join_as(name: str, token: str) -> APIClient:
    guest = APIClient()
    answer = guest.post("/api/join/", {"display_name": name, "token": token}, format="json")
    assert answer.status_code == 200, answer.content
    return guest


def test_a_guest_who_joins_as_nora_is_named_nora_in_the_session_and_keeps_a_generated_username(
    alice: Any, client_for: Any
) -> None:
    created = client_for(alice).post("/api/workshops/", {"title": "Day"}, format="json").json()
    nora = join_as("Nora", created["join_token"])
    user = nora.get("/api/auth/session/").json()["user"]
    assert user["name"] == "Nora"
    assert user["username"].startswith("nora-") and user["username"] != "Nora"
    assert nora.get("/api/auth/me/").json()["name"] == "Nora"


def test_a_joined_name_shows_as_owner_in_tree_lists_as_member_and_in_history(
    alice: Any, client_for: Any
) -> None:
    created = client_for(alice).post("/api/workshops/", {"title": "Day"}, format="json").json()
    nora = join_as("Nora", created["join_token"])
    username = nora.get("/api/auth/me/").json()["username"]
    tree = nora.post("/api/trees/", {"kind": "game", "title": "Mine"}, format="json").json()
    assert tree["owner"]["name"] == "Nora"
    [listed] = [t for t in nora.get("/api/trees/").json() if t["id"] == tree["id"]]
    assert listed["owner"] == {"id": listed["owner"]["id"], "username": username, "name": "Nora"}
    # Invited by username (the identifier), shown by name.
    added = nora.post(
        f"/api/trees/{tree['id']}/members/", {"username": "alice", "role": "editor"}, format="json"
    )
    assert added.json()["user"]["name"] == "alice"  # alice gave no name: her username
    members = nora.get(f"/api/trees/{tree['id']}/members/").json()
    assert [m["user"]["name"] for m in members] == ["Nora", "alice"]
    node = create(nora, tree["id"], "proposal", text="Debate")
    history = nora.get(tree_url(tree["id"], f"nodes/{node}/history/")).json()
    assert [e["actor"]["name"] for e in history["entries"]] == ["Nora"]


def test_an_account_without_a_name_takes_the_one_it_joins_with_and_a_named_one_keeps_its_own(
    alice: Any, make_user: Any, client_for: Any
) -> None:
    created = client_for(alice).post("/api/workshops/", {"title": "Day"}, format="json").json()
    sam, kim = make_user("sam"), make_user("kim")
    kim.first_name, kim.last_name = "Kim", "Lee"
    kim.save()
    for user, given in ((sam, "Sam"), (kim, "Kimmy")):
        client = client_for(user)
        answer = client.post(
            "/api/join/", {"display_name": given, "token": created["join_token"]}, format="json"
        )
        assert answer.status_code == 200, answer.content
    assert client_for(sam).get("/api/auth/session/").json()["user"]["name"] == "Sam"
    assert client_for(kim).get("/api/auth/session/").json()["user"]["name"] == "Kim Lee"


def test_someone_who_gave_no_name_is_shown_by_their_username(alice: Any, client_for: Any) -> None:
    assert client_for(alice).get("/api/auth/me/").json() == {
        "id": alice.pk,
        "username": "alice",
        "name": "alice",
    }


def test_a_facilitator_who_gives_no_name_sits_under_the_name_their_trees_show(
    alice: Any, bob: Any, client_for: Any
) -> None:
    alice.first_name, alice.last_name = "Alice", "Chen"
    alice.save()
    bob.first_name = "B" * 150  # longer than a seat's name may be: cut to fit, never refused
    bob.save()
    made = [
        client_for(user).post("/api/workshops/", {"title": "Day"}, format="json")
        for user in (alice, bob)
    ]
    assert [m.status_code for m in made] == [201, 201], [m.content for m in made]
    seats = [
        client_for(user).get(f"/api/workshops/{m.json()['id']}/participants/").json()
        for user, m in zip((alice, bob), made, strict=True)
    ]
    # Not "alice", the username: the board names her as the trees do.
    assert [s[0]["display_name"] for s in seats] == ["Alice Chen", "B" * 60]
    assert client_for(alice).get("/api/auth/me/").json()["name"] == "Alice Chen"


def test_in_a_workshops_trees_a_signed_in_account_is_named_by_its_seat_and_elsewhere_by_its_own(
    alice: Any, make_user: Any, client_for: Any
) -> None:
    from trees.actions.merges import tree_fork
    from trees.selectors import people_in_tree

    fac = client_for(alice)
    created = fac.post("/api/workshops/", {"title": "Day"}, format="json").json()
    kim, ann = make_user("kim"), make_user("ann")
    kim.first_name, kim.last_name = "Kim", "Lee"
    kim.save()
    seats = {}
    for user, given in ((kim, "Kimmy"), (ann, "Ann")):
        joined = client_for(user).post(
            "/api/join/", {"display_name": given, "token": created["join_token"]}, format="json"
        )
        assert joined.status_code == 200, joined.content
        seats[user.username] = joined.json()["participant"]["id"]
    url = f"/api/workshops/{created['id']}/"
    group = fac.post(url + "groups/", {"name": "A"}, format="json").json()
    for seat in seats.values():
        moved = fac.patch(url + f"participants/{seat}/", {"group": group["id"]}, format="json")
        assert moved.status_code == 200, moved.content
    [game] = fac.post(url + "exercises/", {"template": "game_tree"}, format="json").json()[
        "exercises"
    ]
    [problem] = fac.post(url + "exercises/", {"template": "problem_tree"}, format="json").json()[
        "exercises"
    ]
    [group_tree] = [t["tree"] for t in game["trees"]]
    [kims_copy] = [t["tree"] for t in problem["trees"] if t["participant"] == seats["kim"]]

    # Ann reads what Kim wrote in their group's tree: by the name Kim joined with.
    node = create(client_for(kim), group_tree, "proposal", text="Debate")
    history = client_for(ann).get(tree_url(group_tree, f"nodes/{node}/history/")).json()
    assert [e["actor"]["name"] for e in history["entries"]] == ["Kimmy"]
    # Kim's own problem tree of the workshop, its members and a copy made of it: "Kimmy" too.
    members = client_for(kim).get(tree_url(kims_copy, "members/")).json()
    assert [(m["user"]["username"], m["user"]["name"]) for m in members] == [("kim", "Kimmy")]
    [(_, fork)] = tree_fork(
        tree=Tree.objects.get(pk=kims_copy), actor_id=kim.pk, people={"kim": kim.pk}
    )
    assert fork.title.endswith("(Kimmy)"), fork.title
    # Alice never took a name other than her account's: in the workshop's trees she is that.
    assert people_in_tree(group_tree, [kim, ann, alice]) == {
        kim.pk: {"id": kim.pk, "username": "kim", "name": "Kimmy"},
        ann.pk: {"id": ann.pk, "username": "ann", "name": "Ann"},
        alice.pk: {"id": alice.pk, "username": "alice", "name": "alice"},
    }

    # Outside the workshop's trees Kim is the account's name: the session, Kim's own tree.
    assert client_for(kim).get("/api/auth/me/").json()["name"] == "Kim Lee"
    own = client_for(kim).post("/api/trees/", {"kind": "game", "title": "Mine"}, format="json")
    mine = own.json()["id"]
    node = create(client_for(kim), mine, "proposal", text="Elsewhere")
    history = client_for(kim).get(tree_url(mine, f"nodes/{node}/history/")).json()
    assert [e["actor"]["name"] for e in history["entries"]] == ["Kim Lee"]
    assert people_in_tree(mine, [kim])[kim.pk]["name"] == "Kim Lee"


def named_account(make_user: Any, username: str, first: str, last: str) -> Any:
    user = make_user(username)
    user.first_name, user.last_name = first, last
    user.save()
    return user


def seated_in_a_workshop(
    alice: Any, client_for: Any, seats: dict[Any, str], *, as_: str | None = None
) -> tuple[int, dict[str, int]]:
    """alice facilitates a workshop (seated as `as_`, if given) that `seats` ({user: name
    they join with}) join, all in one group; it gets a game tree (the group's, owned by alice)
    and a problem tree each (owned by its person). Returns the group tree's id and the
    problem trees' by username."""
    fac = client_for(alice)
    body = {"title": "Day"} | ({"display_name": as_} if as_ else {})
    created = fac.post("/api/workshops/", body, format="json").json()
    url = f"/api/workshops/{created['id']}/"
    group = fac.post(url + "groups/", {"name": "A"}, format="json").json()
    seat_ids = {}
    for user, given in seats.items():
        joined = client_for(user).post(
            "/api/join/", {"display_name": given, "token": created["join_token"]}, format="json"
        )
        assert joined.status_code == 200, joined.content
        seat = joined.json()["participant"]["id"]
        seat_ids[seat] = user.username
        moved = fac.patch(url + f"participants/{seat}/", {"group": group["id"]}, format="json")
        assert moved.status_code == 200, moved.content
    [game] = fac.post(url + "exercises/", {"template": "game_tree"}, format="json").json()[
        "exercises"
    ]
    [problem] = fac.post(url + "exercises/", {"template": "problem_tree"}, format="json").json()[
        "exercises"
    ]
    [group_tree] = [t["tree"] for t in game["trees"]]
    own = {seat_ids[t["participant"]]: t["tree"] for t in problem["trees"] if t["participant"]}
    return group_tree, own


def test_members_added_and_re_roled_in_a_workshop_tree_are_named_by_their_seats(
    alice: Any, make_user: Any, client_for: Any
) -> None:
    kim = named_account(make_user, "kim", "Kim", "Lee")
    ann = named_account(make_user, "ann", "Ann", "Smith")
    _, own = seated_in_a_workshop(alice, client_for, {kim: "Kimmy", ann: "Annie"})
    as_kim = client_for(kim)
    members = tree_url(own["kim"], "members/")

    added = as_kim.post(members, {"username": "ann", "role": "viewer"}, format="json")
    assert added.status_code == 201, added.content
    assert added.json() == {
        "user": {"id": ann.pk, "username": "ann", "name": "Annie"},
        "role": "viewer",
    }
    changed = as_kim.patch(members + f"{ann.pk}/", {"role": "editor"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json() == {
        "user": {"id": ann.pk, "username": "ann", "name": "Annie"},
        "role": "editor",
    }
    assert as_kim.get(members).json() == [
        {"user": {"id": kim.pk, "username": "kim", "name": "Kimmy"}, "role": "owner"},
        {"user": {"id": ann.pk, "username": "ann", "name": "Annie"}, "role": "editor"},
    ]


def test_tree_lists_name_a_workshop_trees_owner_by_their_seat_in_one_query_for_all_trees(
    alice: Any, make_user: Any, client_for: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trees.selectors import owners_in_trees

    kim = named_account(make_user, "kim", "Kim", "Lee")
    ann = named_account(make_user, "ann", "Ann", "Smith")
    group_tree, own = seated_in_a_workshop(
        alice, client_for, {kim: "Kimmy", ann: "Annie"}, as_="Host"
    )
    as_kim = client_for(kim)
    mine = as_kim.post("/api/trees/", {"kind": "game", "title": "Mine"}, format="json").json()
    # Ann shares her problem tree of the workshop with Kim: in it she is Annie too.
    shared = client_for(ann).post(
        tree_url(own["ann"], "members/"), {"username": "kim", "role": "viewer"}, format="json"
    )
    assert shared.status_code == 201, shared.content

    def owners() -> dict[int, str]:
        listed = as_kim.get("/api/trees/")
        assert listed.status_code == 200, listed.content
        return {t["id"]: t["owner"]["name"] for t in listed.json()}

    with CaptureQueriesContext(connection) as few:
        assert owners() == {
            group_tree: "Host",  # the facilitator's seat, not her account's name (alice)
            own["kim"]: "Kimmy",
            own["ann"]: "Annie",
            mine["id"]: "Kim Lee",  # not the workshop's tree: the account's name
        }
    # The tree itself, made or read alone, names its owner the same way.
    assert as_kim.get(tree_url(own["kim"])).json()["owner"]["name"] == "Kimmy"
    assert as_kim.get(tree_url(mine["id"])).json()["owner"]["name"] == "Kim Lee"

    # Twice the workshop's trees, and the list asks no more queries: one for all owners' seats.
    workshop = Tree.objects.get(pk=group_tree).workshop_link.exercise.workshop_id
    for template in ("game_tree", "problem_tree"):
        made = client_for(alice).post(
            f"/api/workshops/{workshop}/exercises/", {"template": template}, format="json"
        )
        assert made.status_code == 201, made.content
    with CaptureQueriesContext(connection) as more:
        named = owners()
    assert len(named) == 6 and sorted(named.values()).count("Kimmy") == 2
    assert len(more.captured_queries) == len(few.captured_queries)
    trees = list(Tree.objects.filter(pk__in=named).select_related("owner"))
    with django_assert_num_queries(1):
        assert {t: p["name"] for t, p in owners_in_trees(trees).items()} == named
