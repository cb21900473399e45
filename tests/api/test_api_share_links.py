"""Tree share links over REST: made and revoked by owners, opened by anyone signed in (a
workshop participant too); revoked and expired links refused with stable codes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from trees.models import Membership, ShareLink


@pytest.fixture
def team(make_user: Any, make_tree: Any, client_for: Any) -> dict[str, Any]:
    owner, editor, viewer, bob = (make_user(n) for n in ("olivia", "eddie", "vera", "bob"))
    tree = make_tree(owner, kind="problem", members={editor: "editor", viewer: "viewer"})
    return {
        "tree": tree,
        "owner": owner,
        "bob": bob,
        "client": client_for,
        "e": editor,
        "v": viewer,
    }


def make_link(team: dict[str, Any], role: str = "editor", **extra: Any) -> dict[str, Any]:
    response = team["client"](team["owner"]).post(
        f"/api/trees/{team['tree'].pk}/links/", {"role": role, **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def redeem(client: APIClient, token: str) -> Any:
    return client.post("/api/share/", {"token": token}, format="json")


def test_opening_an_editor_link_makes_a_signed_in_user_an_editor(team: dict[str, Any]) -> None:
    link = make_link(team, "editor")
    bob = team["client"](team["bob"])
    response = redeem(bob, link["token"])
    assert response.json() == {"tree": team["tree"].pk, "role": "editor", "changed": True}
    assert bob.get(f"/api/trees/{team['tree'].pk}/snapshot/").status_code == 200
    assert redeem(bob, link["token"]).json()["changed"] is False


def test_a_link_never_lowers_a_role_and_raises_a_lower_one(team: dict[str, Any]) -> None:
    viewer_link = make_link(team, "viewer")
    editor_link = make_link(team, "editor")
    owner = team["client"](team["owner"])
    assert redeem(owner, viewer_link["token"]).json()["role"] == "owner"
    editor = team["client"](team["e"])
    assert redeem(editor, viewer_link["token"]).json()["role"] == "editor"
    viewer = team["client"](team["v"])
    assert redeem(viewer, editor_link["token"]).json() == {
        "tree": team["tree"].pk,
        "role": "editor",
        "changed": True,
    }


def test_a_workshop_participant_opens_a_share_link_after_joining(
    team: dict[str, Any],
) -> None:
    owner = team["client"](team["owner"])
    workshop = owner.post("/api/workshops/", {"title": "W"}, format="json").json()
    link = make_link(team, "viewer")
    visitor = APIClient()
    visitor.post("/api/join/", {"token": workshop["join_token"], "display_name": "Ada"})
    assert redeem(visitor, link["token"]).json()["role"] == "viewer"
    trees = visitor.get("/api/trees/").json()
    assert [t["id"] for t in trees] == [team["tree"].pk]


def test_a_revoked_link_is_refused_and_memberships_it_granted_stay(team: dict[str, Any]) -> None:
    link = make_link(team, "editor")
    bob = team["client"](team["bob"])
    redeem(bob, link["token"])
    owner = team["client"](team["owner"])
    url = f"/api/trees/{team['tree'].pk}/links/{link['id']}/"
    assert owner.delete(url).status_code == 204
    assert owner.delete(url).status_code == 204  # revoking twice is harmless
    carol = team["client"](team["v"].__class__.objects.create_user("carol", password="x-pass-123"))
    response = redeem(carol, link["token"])
    assert (response.status_code, response.json()["code"]) == (410, "link_revoked")
    assert not Membership.objects.filter(user__username="carol").exists()
    assert Membership.objects.get(user=team["bob"], tree=team["tree"]).role == "editor"
    listed = owner.get(f"/api/trees/{team['tree'].pk}/links/").json()
    assert listed[0]["revoked_at"] is not None


def test_an_expired_link_is_refused_with_link_expired(team: dict[str, Any]) -> None:
    soon = timezone.now() + timedelta(hours=1)
    link = make_link(team, "viewer", expires_at=soon.isoformat())
    ShareLink.objects.filter(pk=link["id"]).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = redeem(team["client"](team["bob"]), link["token"])
    assert (response.status_code, response.json()["code"]) == (410, "link_expired")
    assert not Membership.objects.filter(user=team["bob"]).exists()


def test_bad_links_and_bad_requests_are_refused_with_stable_codes(team: dict[str, Any]) -> None:
    bob = team["client"](team["bob"])
    assert redeem(bob, "no-such-token").json()["code"] == "not_found"
    assert redeem(APIClient(), "anything").status_code == 401
    owner = team["client"](team["owner"])
    url = f"/api/trees/{team['tree'].pk}/links/"
    past = (timezone.now() - timedelta(hours=1)).isoformat()
    for body in ({"role": "owner"}, {"role": "viewer", "expires_at": past}, {}):
        response = owner.post(url, body, format="json")
        assert (response.status_code, response.json()["code"]) == (400, "invalid"), body
    response = owner.delete(f"{url}999999/")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    assert not ShareLink.objects.exists()


def test_only_owners_make_list_or_revoke_links(team: dict[str, Any]) -> None:
    link = make_link(team)
    url = f"/api/trees/{team['tree'].pk}/links/"
    for user, code in (
        (team["e"], "forbidden"),
        (team["v"], "forbidden"),
        (team["bob"], "not_found"),
    ):
        client = team["client"](user)
        assert client.get(url).json()["code"] == code
        assert client.post(url, {"role": "viewer"}, format="json").json()["code"] == code
        assert client.delete(f"{url}{link['id']}/").json()["code"] == code
    assert ShareLink.objects.get().revoked_at is None
