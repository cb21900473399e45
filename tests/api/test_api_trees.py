"""REST API: listing, creating, reading, renaming and deleting trees."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.api_helpers import assert_error, tree_url
from trees.models import Membership, Tree


def test_tree_list_shows_only_my_trees_with_my_role(
    make_tree: Any, alice: Any, bob: Any, carol: Any, client_for: Callable[[Any], APIClient]
) -> None:
    mine = make_tree(alice, title="Mine")
    shared = make_tree(bob, title="Shared", members={alice: "viewer"})
    make_tree(carol, title="Not mine")

    response = client_for(alice).get("/api/trees/")
    assert response.status_code == 200
    rows = {row["id"]: row for row in response.json()}
    assert set(rows) == {mine.pk, shared.pk}
    assert rows[mine.pk]["role"] == "owner"
    assert rows[shared.pk]["role"] == "viewer"
    assert rows[shared.pk]["owner"] == {"id": bob.pk, "username": "bob", "name": "bob"}
    assert rows[mine.pk]["title"] == "Mine"
    assert set(rows[mine.pk]) == {
        "id",
        "kind",
        "title",
        "description",
        "owner",
        "role",
        "version",
        "created_at",
        "updated_at",
    }


def test_tree_list_is_empty_for_a_new_user(as_alice: APIClient) -> None:
    response = as_alice.get("/api/trees/")
    assert response.status_code == 200
    assert response.json() == []


def test_create_tree_makes_me_its_owner(as_alice: APIClient, alice: Any) -> None:
    response = as_alice.post(
        "/api/trees/",
        {"kind": "problem", "title": "  Problems  ", "description": "why"},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == "problem"
    assert body["title"] == "Problems"
    assert body["description"] == "why"
    assert body["role"] == "owner"
    assert body["version"] == 0
    assert body["owner"] == {"id": alice.pk, "username": "alice", "name": "alice"}
    assert Membership.objects.get(tree_id=body["id"], user=alice).role == "owner"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "game"}, "title"),
        ({"kind": "game", "title": ""}, "title"),
        ({"kind": "game", "title": "   "}, "title"),
        ({"kind": "game", "title": "x" * 201}, "title"),
        ({"title": "No kind"}, "kind"),
        ({"kind": "forest", "title": "Bad kind"}, "kind"),
        ({"kind": "game", "title": "T", "description": "d" * 5001}, "description"),
    ],
)
def test_create_tree_with_bad_input_is_400_invalid_with_a_message(
    as_alice: APIClient, payload: dict[str, Any], field: str
) -> None:
    response = as_alice.post("/api/trees/", payload, format="json")
    body = assert_error(response, 400, "invalid")
    assert field in body["message"]
    assert not Tree.objects.exists()


def test_create_tree_with_a_malformed_body_is_400_bad_json(as_alice: APIClient) -> None:
    response = as_alice.post("/api/trees/", "{not json", content_type="application/json")
    assert_error(response, 400, "bad_json")


def test_read_tree_gives_its_fields_and_my_role(
    make_tree: Any, alice: Any, bob: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, title="Read me", members={bob: "editor"})
    response = client_for(bob).get(tree_url(tree.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == tree.pk
    assert body["title"] == "Read me"
    assert body["kind"] == "game"
    assert body["role"] == "editor"
    assert body["owner"]["id"] == alice.pk


def test_update_tree_renames_and_describes_it(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, title="Old")
    response = as_alice.patch(
        tree_url(tree.pk), {"title": "New", "description": "More"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["title"] == "New"
    assert response.json()["description"] == "More"
    tree.refresh_from_db()
    assert (tree.title, tree.description) == ("New", "More")

    only_description = as_alice.patch(tree_url(tree.pk), {"description": ""}, format="json")
    assert only_description.status_code == 200
    tree.refresh_from_db()
    assert (tree.title, tree.description) == ("New", "")


def test_update_tree_with_a_blank_title_is_400_invalid(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice, title="Keep")
    assert_error(as_alice.patch(tree_url(tree.pk), {"title": ""}, format="json"), 400, "invalid")
    tree.refresh_from_db()
    assert tree.title == "Keep"


def test_delete_tree_removes_it_for_everyone(
    make_tree: Any, alice: Any, bob: Any, client_for: Callable[[Any], APIClient]
) -> None:
    tree = make_tree(alice, members={bob: "editor"})
    owner = client_for(alice)
    assert owner.delete(tree_url(tree.pk)).status_code == 204
    assert not Tree.objects.filter(pk=tree.pk).exists()
    assert_error(owner.get(tree_url(tree.pk)), 404, "not_found")
    assert_error(client_for(bob).get(tree_url(tree.pk)), 404, "not_found")
    assert client_for(bob).get("/api/trees/").json() == []


def test_an_unknown_tree_is_404_not_found(as_alice: APIClient) -> None:
    assert_error(as_alice.get(tree_url(999999)), 404, "not_found")


def test_a_method_the_endpoint_lacks_is_405_with_a_json_error(
    make_tree: Any, alice: Any, as_alice: APIClient
) -> None:
    tree = make_tree(alice)
    response = as_alice.put(tree_url(tree.pk), {"title": "x"}, format="json")
    assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("get", "members/"), ("get", "snapshot/"), ("get", "ops/"), ("post", "leave/")],
)
def test_a_tree_id_beyond_the_database_range_is_404_not_found(
    as_alice: APIClient, method: str, suffix: str
) -> None:
    response = getattr(as_alice, method)(tree_url(2**70, suffix))
    assert_error(response, 404, "not_found")
