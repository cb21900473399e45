"""REST API: listing, adding, re-roling and removing members; leaving; the last owner stays."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.api_helpers import assert_error, tree_url
from trees.models import Membership


def _roles(tree: Any) -> dict[str, str]:
    rows = Membership.objects.filter(tree=tree).select_related("user")
    return {m.user.username: m.role for m in rows}


def test_member_list_shows_every_member_with_their_role(
    make_tree: Any, alice: Any, bob: Any, carol: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, members={bob: "editor", carol: "viewer"})
    response = as_alice.get(tree_url(tree.pk, "members/"))
    assert response.status_code == 200
    assert response.json() == [
        {"user": {"id": alice.pk, "username": "alice", "name": "alice"}, "role": "owner"},
        {"user": {"id": bob.pk, "username": "bob", "name": "bob"}, "role": "editor"},
        {"user": {"id": carol.pk, "username": "carol", "name": "carol"}, "role": "viewer"},
    ]


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_add_member_by_username_gives_them_the_role(
    make_tree: Any,
    alice: Any,
    bob: Any,
    as_alice: APIClient,
    client_for: Callable[[Any], APIClient],
    role: str,
) -> None:
    tree = make_tree(alice)
    response = as_alice.post(
        tree_url(tree.pk, "members/"), {"username": "bob", "role": role}, format="json"
    )
    assert response.status_code == 201
    assert response.json() == {
        "user": {"id": bob.pk, "username": "bob", "name": "bob"},
        "role": role,
    }
    assert client_for(bob).get(tree_url(tree.pk)).json()["role"] == role


def test_add_an_unknown_user_is_404_not_found(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice)
    response = as_alice.post(
        tree_url(tree.pk, "members/"), {"username": "nobody", "role": "editor"}, format="json"
    )
    assert_error(response, 404, "not_found")
    assert _roles(tree) == {"alice": "owner"}


def test_add_an_existing_member_again_is_409_conflict(
    make_tree: Any, alice: Any, bob: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, members={bob: "viewer"})
    response = as_alice.post(
        tree_url(tree.pk, "members/"), {"username": "bob", "role": "editor"}, format="json"
    )
    assert_error(response, 409, "conflict")
    assert _roles(tree) == {"alice": "owner", "bob": "viewer"}


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "bob", "role": "admin"},
        {"username": "bob"},
        {"role": "editor"},
        {"username": "", "role": "editor"},
    ],
)
def test_add_member_with_bad_input_is_400_invalid(
    make_tree: Any, alice: Any, bob: Any, as_alice: APIClient, payload: dict[str, Any]
) -> None:
    tree = make_tree(alice)
    assert_error(
        as_alice.post(tree_url(tree.pk, "members/"), payload, format="json"), 400, "invalid"
    )
    assert _roles(tree) == {"alice": "owner"}


def test_change_role_updates_the_member(
    make_tree: Any, alice: Any, bob: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, members={bob: "viewer"})
    response = as_alice.patch(
        tree_url(tree.pk, f"members/{bob.pk}/"), {"role": "editor"}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {
        "user": {"id": bob.pk, "username": "bob", "name": "bob"},
        "role": "editor",
    }
    assert _roles(tree)["bob"] == "editor"


def test_change_role_to_a_bad_role_is_400_invalid(
    make_tree: Any, alice: Any, bob: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, members={bob: "viewer"})
    response = as_alice.patch(
        tree_url(tree.pk, f"members/{bob.pk}/"), {"role": "god"}, format="json"
    )
    assert_error(response, 400, "invalid")
    assert _roles(tree)["bob"] == "viewer"


def test_change_role_of_a_non_member_is_404_not_found(
    make_tree: Any, alice: Any, bob: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice)
    response = as_alice.patch(
        tree_url(tree.pk, f"members/{bob.pk}/"), {"role": "editor"}, format="json"
    )
    assert_error(response, 404, "not_found")
    assert_error(as_alice.delete(tree_url(tree.pk, f"members/{bob.pk}/")), 404, "not_found")


def test_remove_member_takes_away_their_access(
    make_tree: Any,
    alice: Any,
    bob: Any,
    as_alice: APIClient,
    client_for: Callable[[Any], APIClient],
) -> None:
    tree = make_tree(alice, members={bob: "editor"})
    assert as_alice.delete(tree_url(tree.pk, f"members/{bob.pk}/")).status_code == 204
    assert _roles(tree) == {"alice": "owner"}
    assert_error(client_for(bob).get(tree_url(tree.pk)), 404, "not_found")


def test_the_last_owner_cannot_be_removed_or_demoted(
    make_tree: Any, alice: Any, bob: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, members={bob: "editor"})
    members = tree_url(tree.pk, f"members/{alice.pk}/")
    assert_error(as_alice.delete(members), 403, "forbidden")
    assert_error(as_alice.patch(members, {"role": "editor"}, format="json"), 403, "forbidden")
    assert_error(as_alice.post(tree_url(tree.pk, "leave/")), 403, "forbidden")
    assert _roles(tree) == {"alice": "owner", "bob": "editor"}


def test_an_owner_can_step_down_once_there_is_another_owner(
    make_tree: Any, alice: Any, bob: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, members={bob: "editor"})
    promote = as_alice.patch(
        tree_url(tree.pk, f"members/{bob.pk}/"), {"role": "owner"}, format="json"
    )
    assert promote.status_code == 200
    demote_self = as_alice.patch(
        tree_url(tree.pk, f"members/{alice.pk}/"), {"role": "viewer"}, format="json"
    )
    assert demote_self.status_code == 200
    assert _roles(tree) == {"alice": "viewer", "bob": "owner"}


@pytest.mark.parametrize("role", ["viewer", "editor", "owner"])
def test_a_member_can_leave_a_shared_tree(
    make_tree: Any,
    alice: Any,
    bob: Any,
    client_for: Callable[[Any], APIClient],
    role: str,
) -> None:
    tree = make_tree(alice, members={bob: role})
    member = client_for(bob)
    assert member.post(tree_url(tree.pk, "leave/")).status_code == 204
    assert _roles(tree) == {"alice": "owner"}
    assert member.get("/api/trees/").json() == []
    assert_error(member.get(tree_url(tree.pk)), 404, "not_found")


def test_a_member_id_beyond_the_database_range_is_404_not_found(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice)
    url = tree_url(tree.pk, f"members/{2**70}/")
    assert_error(as_alice.patch(url, {"role": "viewer"}, format="json"), 404, "not_found")
    assert_error(as_alice.delete(url), 404, "not_found")
