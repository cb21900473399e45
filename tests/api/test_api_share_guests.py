"""A tree's share link opened by someone signed out (`POST /api/share/enter/`): they type a
display name and enter the tree with the link's role as a guest, an account without a
password like a workshop seat's; every refusal has a stable code (docs/security.md,
"Workshops and share links")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.api.api_helpers import create, new_id, submit
from trees.models import Membership, Node, ShareLink


@pytest.fixture
def team(make_user: Any, make_tree: Any, client_for: Any) -> dict[str, Any]:
    owner, bob = make_user("olivia"), make_user("bob")
    owner.first_name, owner.last_name = "Olivia", "Smith"
    owner.save(update_fields=["first_name", "last_name"])
    tree = make_tree(owner, kind="problem", members={bob: "viewer"})
    return {"tree": tree, "owner": owner, "bob": bob, "client": client_for}


def make_link(team: dict[str, Any], role: str = "editor", **extra: Any) -> dict[str, Any]:
    response = team["client"](team["owner"]).post(
        f"/api/trees/{team['tree'].pk}/links/", {"role": role, **extra}, format="json"
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def enter(client: APIClient, token: str, name: str | None = "Ada") -> Any:
    body = {"token": token} if name is None else {"token": token, "display_name": name}
    return client.post("/api/share/enter/", body, format="json")


def error(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["code"]


def guests() -> Any:
    return get_user_model().objects.filter(username__startswith="ada-")


def test_a_signed_out_visitor_enters_an_editor_link_as_a_guest_and_edits(
    team: dict[str, Any],
) -> None:
    link = make_link(team, "editor")
    guest = APIClient()
    response = enter(guest, link["token"], "  Ada   Lovelace ")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["tree"] == team["tree"].pk and body["role"] == "editor"
    assert body["account_created"] is True
    assert body["user"]["name"] == "Ada Lovelace"
    account = get_user_model().objects.get(pk=body["user"]["id"])
    # The same kind of account a workshop seat without one gets: no password, no email.
    assert not account.has_usable_password() and account.email == ""
    assert account.username.startswith("ada-lovelace-")
    # The session is signed in to it: the guest reads and writes the tree.
    assert guest.get("/api/auth/me/").json()["id"] == account.pk
    node_id = create(guest, team["tree"].pk, "problem", text="A problem")
    assert Node.objects.get(pk=node_id).text == "A problem"
    members = team["client"](team["owner"]).get(f"/api/trees/{team['tree'].pk}/members/").json()
    assert "Ada Lovelace" in [m["user"]["name"] for m in members]


def test_a_viewer_link_makes_a_guest_who_reads_but_cannot_write(team: dict[str, Any]) -> None:
    link = make_link(team, "viewer")
    guest = APIClient()
    assert enter(guest, link["token"]).json()["role"] == "viewer"
    assert guest.get(f"/api/trees/{team['tree'].pk}/snapshot/").status_code == 200
    op = {"kind": "create", "id": new_id(), "type": "problem", "parent": None, "text": "x"}
    assert error(submit(guest, team["tree"].pk, op)) == (403, "forbidden")


def test_revoked_expired_and_unknown_links_are_refused_and_make_no_account(
    team: dict[str, Any],
) -> None:
    revoked = make_link(team, "editor")
    team["client"](team["owner"]).delete(f"/api/trees/{team['tree'].pk}/links/{revoked['id']}/")
    expired = make_link(team, "editor")
    ShareLink.objects.filter(pk=expired["id"]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert error(enter(APIClient(), revoked["token"])) == (410, "link_revoked")
    assert error(enter(APIClient(), expired["token"])) == (410, "link_expired")
    assert error(enter(APIClient(), "no-such-token")) == (404, "not_found")
    assert error(enter(APIClient(), "")) == (400, "invalid")
    assert not guests().exists()


def test_a_members_name_or_username_is_taken_in_any_case(team: dict[str, Any]) -> None:
    link = make_link(team, "editor")
    # The owner is shown as "Olivia Smith" (username olivia), bob (no name) by his username.
    for name in ("olivia smith", "OLIVIA", "Bob"):
        assert error(enter(APIClient(), link["token"], name)) == (409, "name_taken"), name
    assert enter(APIClient(), link["token"], "Ada").status_code == 200
    # A guest's name is taken too, for the next guest.
    assert error(enter(APIClient(), link["token"], "ada")) == (409, "name_taken")
    assert Membership.objects.filter(tree=team["tree"]).count() == 3


def test_blank_oversized_and_unprintable_names_are_refused(team: dict[str, Any]) -> None:
    link = make_link(team, "editor")
    assert error(enter(APIClient(), link["token"], None)) == (400, "invalid")
    assert error(enter(APIClient(), link["token"], "   ")) == (400, "invalid")
    assert error(enter(APIClient(), link["token"], "x" * 61)) == (413, "too_large")
    assert error(enter(APIClient(), link["token"], "Ada\u200bX\x07")) == (400, "invalid")
    assert error(enter(APIClient(), link["token"], "x" * 201)) == (400, "invalid")
    assert Membership.objects.filter(tree=team["tree"]).count() == 2


def test_guest_entries_share_the_join_rate_limit_per_address(
    team: dict[str, Any], monkeypatch: Any
) -> None:
    from trees.api.workshop_views import JoinThrottle

    monkeypatch.setattr(JoinThrottle, "THROTTLE_RATES", {"join": "3/min"})
    codes = [enter(APIClient(), f"guess-{i}").status_code for i in range(3)]
    assert codes == [404, 404, 404]
    link = make_link(team, "editor")
    assert error(enter(APIClient(), link["token"])) == (429, "rate_limited")
    assert not guests().exists()


def test_a_signed_in_person_keeps_the_existing_behaviour(team: dict[str, Any]) -> None:
    link = make_link(team, "editor")
    bob = team["client"](team["bob"])
    body = enter(bob, link["token"], "Ignored name").json()
    assert body["role"] == "editor" and body["account_created"] is False
    assert body["user"]["id"] == team["bob"].pk
    assert Membership.objects.get(tree=team["tree"], user=team["bob"]).role == "editor"
    # No name needed; and an owner stays owner, as with POST /api/share/.
    owner = team["client"](team["owner"])
    assert enter(owner, link["token"], None).json()["role"] == "owner"
    assert get_user_model().objects.count() == 2


def test_a_guest_comes_back_from_the_same_session_and_an_owner_removes_them(
    team: dict[str, Any],
) -> None:
    link = make_link(team, "viewer")
    guest = APIClient()
    me = enter(guest, link["token"]).json()["user"]
    # The same browser opens the link again: the same account, no second one.
    again = enter(guest, link["token"], "Ada").json()
    assert (again["user"]["id"], again["account_created"]) == (me["id"], False)
    assert [t["id"] for t in guest.get("/api/trees/").json()] == [team["tree"].pk]
    owner = team["client"](team["owner"])
    removed = owner.delete(f"/api/trees/{team['tree'].pk}/members/{me['id']}/")
    assert removed.status_code == 204
    assert error(guest.get(f"/api/trees/{team['tree'].pk}/snapshot/")) == (404, "not_found")


def test_guest_entry_signs_in_so_it_checks_csrf(team: dict[str, Any]) -> None:
    link = make_link(team, "editor")
    client = APIClient(enforce_csrf_checks=True)
    assert error(enter(client, link["token"])) == (403, "forbidden")
    token = client.get("/api/auth/csrf/").json()["csrfToken"]
    body = {"token": link["token"], "display_name": "Ada"}
    entered = client.post("/api/share/enter/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert entered.status_code == 200, entered.content


def test_guest_entry_can_be_turned_off(team: dict[str, Any]) -> None:
    link = make_link(team, "editor")
    with override_settings(GAMETREE_SHARE_GUESTS=False):
        assert error(enter(APIClient(), link["token"])) == (403, "signup_closed")
        # Signed-in people still open links; a bad link still says why.
        assert enter(team["client"](team["bob"]), link["token"]).status_code == 200
        assert error(enter(APIClient(), "no-such-token")) == (404, "not_found")
    assert not guests().exists()
