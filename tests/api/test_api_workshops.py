"""Workshops over REST: create, join by link or code, first password, reset access, remove,
self sign-up; every action per role (facilitator, participant, other user, anonymous)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.test import APIClient

from trees.actions.workshops import CODE_ALPHABET, CODE_LENGTH
from trees.models import ApiToken, Membership, WorkshopParticipant

PASSWORD = "pw-for-tests-123"


@pytest.fixture
def workshop(client_for: Any, alice: Any) -> dict[str, Any]:
    response = client_for(alice).post("/api/workshops/", {"title": "Alignment day"}, format="json")
    assert response.status_code == 201, response.content
    return dict(response.json())


def join(client: APIClient, name: str, **how: str) -> Any:
    return client.post("/api/join/", {"display_name": name, **how}, format="json")


def test_a_new_workshop_has_a_readable_code_and_a_long_join_token(
    workshop: dict[str, Any],
) -> None:
    assert workshop["role"] == "facilitator" and workshop["open"] is True
    assert len(workshop["code"]) == CODE_LENGTH
    assert set(workshop["code"]) <= set(CODE_ALPHABET)
    assert not set("ILOUV01") & set(workshop["code"])
    assert len(workshop["join_token"]) >= 40


def test_a_signed_out_visitor_joins_by_link_and_is_signed_in_with_no_password(
    workshop: dict[str, Any],
) -> None:
    client = APIClient()
    response = join(client, "Ada Lovelace", token=workshop["join_token"])
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account_created"] is True
    assert body["participant"]["display_name"] == "Ada Lovelace"
    assert body["participant"]["role"] == "participant"
    assert body["workshop"]["code"] is None and body["workshop"]["join_token"] is None
    user = get_user_model().objects.get(pk=body["user"]["id"])
    assert not user.has_usable_password() and user.email == ""
    # The session is signed in: the visitor can use the API at once.
    assert client.get("/api/auth/me/").json()["id"] == user.pk
    assert client.get(f"/api/workshops/{workshop['id']}/").json()["role"] == "participant"


def test_a_code_read_aloud_joins_whatever_the_case_and_spacing(workshop: dict[str, Any]) -> None:
    code = workshop["code"]
    typed = f" {code[:3].lower()}-{code[3:]} "
    response = join(APIClient(), "Grace", code=typed)
    assert response.status_code == 200, response.content


def test_a_wrong_code_or_token_is_not_found(workshop: dict[str, Any]) -> None:
    assert join(APIClient(), "Eve", code="ZZZZZZ").json()["code"] == "not_found"
    response = join(APIClient(), "Eve", token="x" * 43)
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = join(APIClient(), "Eve")
    assert (response.status_code, response.json()["code"]) == (400, "invalid")


def test_a_taken_display_name_is_refused_with_name_taken(workshop: dict[str, Any]) -> None:
    assert join(APIClient(), "Ada", token=workshop["join_token"]).status_code == 200
    response = join(APIClient(), "  Ada ", token=workshop["join_token"])
    assert (response.status_code, response.json()["code"]) == (409, "name_taken")
    assert WorkshopParticipant.objects.filter(display_name="Ada").count() == 1


def test_a_closed_workshop_refuses_joins_and_reopens(
    workshop: dict[str, Any], client_for: Any, alice: Any
) -> None:
    facilitator = client_for(alice)
    url = f"/api/workshops/{workshop['id']}/"
    assert facilitator.patch(url, {"open": False}, format="json").json()["open"] is False
    response = join(APIClient(), "Late", token=workshop["join_token"])
    assert (response.status_code, response.json()["code"]) == (403, "workshop_closed")
    assert get_user_model().objects.filter(first_name="Late").count() == 0
    facilitator.patch(url, {"open": True}, format="json")
    assert join(APIClient(), "Late", token=workshop["join_token"]).status_code == 200


def test_a_signed_in_user_joins_as_themself_and_joining_again_keeps_one_seat(
    workshop: dict[str, Any], client_for: Any, make_user: Any
) -> None:
    bob = make_user("bob")
    client = client_for(bob)
    first = join(client, "Bob", code=workshop["code"]).json()
    again = join(client, "Robert", code=workshop["code"]).json()
    assert first["account_created"] is False and first["user"]["id"] == bob.pk
    assert again["participant"]["id"] == first["participant"]["id"]
    assert WorkshopParticipant.objects.filter(user=bob).count() == 1


def test_a_joined_participant_sets_a_first_password_and_signs_in_with_it_later(
    workshop: dict[str, Any],
) -> None:
    client = APIClient()
    username = join(client, "Ada", token=workshop["join_token"]).json()["user"]["username"]
    response = client.post(
        "/api/auth/password/set/", {"new_password": "a-long-pass-phrase"}, format="json"
    )
    assert response.status_code == 204, response.content
    # The session stays signed in after the change.
    assert client.get("/api/auth/me/").status_code == 200
    # A second "first" password is refused: the old one is needed now.
    again = client.post(
        "/api/auth/password/set/", {"new_password": "other-pass-123"}, format="json"
    )
    assert (again.status_code, again.json()["code"]) == (403, "forbidden")
    later = APIClient()
    login = {"username": username, "password": "a-long-pass-phrase"}
    assert later.post("/api/auth/login/", login, format="json").status_code == 200


def test_a_first_password_needs_a_session_not_a_token(workshop: dict[str, Any]) -> None:
    client = APIClient()
    join(client, "Ada", token=workshop["join_token"])
    from trees.actions.accounts import token_create

    user = get_user_model().objects.get(first_name="Ada")
    _, key = token_create(user_id=user.pk)
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = by_token.post(
        "/api/auth/password/set/", {"new_password": "a-long-pass"}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    anonymous = APIClient().post(
        "/api/auth/password/set/", {"new_password": "x" * 12}, format="json"
    )
    assert anonymous.status_code == 401


def test_resetting_access_signs_the_participant_out_everywhere_and_gives_a_one_time_link(
    workshop: dict[str, Any], client_for: Any, alice: Any
) -> None:
    phone = APIClient()
    body = join(phone, "Ada", token=workshop["join_token"]).json()
    pid, uid = body["participant"]["id"], body["user"]["id"]
    phone.post("/api/auth/password/set/", {"new_password": "a-long-pass-phrase"}, format="json")
    from trees.actions.accounts import token_create

    _, key = token_create(user_id=uid)
    url = f"/api/workshops/{workshop['id']}/participants/{pid}/reset/"
    response = client_for(alice).post(url)
    assert response.status_code == 200, response.content
    access = response.json()["key"]
    # The old session, token and password no longer work.
    assert phone.get("/api/auth/me/").status_code in (401, 403)
    assert not ApiToken.objects.filter(user_id=uid).exists()
    by_token = APIClient()
    by_token.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert by_token.get("/api/auth/me/").status_code == 401
    login = {"username": body["user"]["username"], "password": "a-long-pass-phrase"}
    assert APIClient().post("/api/auth/login/", login, format="json").status_code == 400
    # The link signs in once.
    laptop = APIClient()
    signed = laptop.post("/api/auth/access/", {"key": access}, format="json")
    assert signed.status_code == 200 and signed.json()["id"] == uid
    assert laptop.get("/api/auth/me/").json()["id"] == uid
    reused = APIClient().post("/api/auth/access/", {"key": access}, format="json")
    assert (reused.status_code, reused.json()["code"]) == (410, "link_invalid")


def test_an_expired_access_link_is_refused_with_link_expired(
    workshop: dict[str, Any], client_for: Any, alice: Any
) -> None:
    pid = join(APIClient(), "Ada", token=workshop["join_token"]).json()["participant"]["id"]
    url = f"/api/workshops/{workshop['id']}/participants/{pid}/reset/"
    access = client_for(alice).post(url).json()["key"]
    from datetime import timedelta

    from django.utils import timezone

    WorkshopParticipant.objects.filter(pk=pid).update(
        access_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = APIClient().post("/api/auth/access/", {"key": access}, format="json")
    assert (response.status_code, response.json()["code"]) == (410, "link_expired")


def test_a_facilitator_cannot_reset_an_account_the_workshop_did_not_make(
    workshop: dict[str, Any], client_for: Any, alice: Any, make_user: Any
) -> None:
    bob = make_user("bob")
    pid = join(client_for(bob), "Bob", code=workshop["code"]).json()["participant"]["id"]
    url = f"/api/workshops/{workshop['id']}/participants/{pid}/reset/"
    response = client_for(alice).post(url)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    bob.refresh_from_db()
    assert bob.check_password(PASSWORD)


def test_removing_a_participant_closes_a_workshop_made_account_and_its_tree_access(
    workshop: dict[str, Any], client_for: Any, alice: Any, make_tree: Any
) -> None:
    client = APIClient()
    body = join(client, "Ada", token=workshop["join_token"]).json()
    uid = body["user"]["id"]
    tree = make_tree(alice, kind="problem", title="Shared")
    Membership.objects.create(tree=tree, user_id=uid, role="editor")
    url = f"/api/workshops/{workshop['id']}/participants/{body['participant']['id']}/"
    assert client_for(alice).delete(url).status_code == 204
    assert not Membership.objects.filter(user_id=uid).exists()
    assert not get_user_model().objects.get(pk=uid).is_active
    assert client.get("/api/auth/me/").status_code in (401, 403)
    names = [p["display_name"] for p in client_for(alice).get(url.rsplit("/", 2)[0] + "/").json()]
    assert names == ["alice"]


def test_removing_a_facilitator_is_refused(
    workshop: dict[str, Any], client_for: Any, alice: Any
) -> None:
    seat = WorkshopParticipant.objects.get(user=alice)
    url = f"/api/workshops/{workshop['id']}/participants/{seat.pk}/"
    response = client_for(alice).delete(url)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")


ROLES = ("anonymous", "outsider", "participant", "facilitator")


@pytest.fixture
def cast(workshop: dict[str, Any], client_for: Any, alice: Any, make_user: Any) -> dict[str, Any]:
    participant = APIClient()
    body = join(participant, "Pat", token=workshop["join_token"]).json()
    target = join(APIClient(), "Tess", token=workshop["join_token"]).json()["participant"]["id"]
    return {
        "clients": {
            "anonymous": APIClient(),
            "outsider": client_for(make_user("mallory")),
            "participant": participant,
            "facilitator": client_for(alice),
        },
        "workshop": workshop["id"],
        "target": target,
        "participant_user": body["user"]["id"],
    }


A401 = (401, "not_authenticated")
N404 = (404, "not_found")
F403 = (403, "forbidden")
OK = (200, None)

# (method, path, body) -> expected (status, code) per role in ROLES order.
WORKSHOP_MATRIX: list[tuple[str, str, dict[str, Any] | None, tuple[Any, ...]]] = [
    ("get", "/api/workshops/", None, (A401, OK, OK, OK)),
    ("post", "/api/workshops/", {"title": "Mine"}, (A401, (201, None), (201, None), (201, None))),
    ("get", "/api/workshops/{w}/", None, (A401, N404, OK, OK)),
    ("patch", "/api/workshops/{w}/", {"title": "Renamed"}, (A401, N404, F403, OK)),
    ("get", "/api/workshops/{w}/participants/", None, (A401, N404, OK, OK)),
    ("post", "/api/workshops/{w}/participants/{p}/reset/", None, (A401, N404, F403, OK)),
    ("delete", "/api/workshops/{w}/participants/{p}/", None, (A401, N404, F403, (204, None))),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "index"),
    [
        pytest.param(m, p, b, i, id=f"{m} {p} as {role}")
        for m, p, b, expected in WORKSHOP_MATRIX
        for i, role in enumerate(ROLES)
    ],
)
def test_each_workshop_action_answers_each_role_as_expected(
    cast: dict[str, Any], method: str, path: str, body: Any, index: int
) -> None:
    expected = next(e for m, p, _, e in WORKSHOP_MATRIX if (m, p) == (method, path))[index]
    url = path.format(w=cast["workshop"], p=cast["target"])
    before = list(WorkshopParticipant.objects.order_by("id").values())
    client = cast["clients"][ROLES[index]]
    response = getattr(client, method)(url, body, format="json")
    assert response.status_code == expected[0], (response.status_code, response.content[:300])
    if expected[1] is not None:
        assert response.json()["code"] == expected[1]
        assert list(WorkshopParticipant.objects.order_by("id").values()) == before


def test_participants_see_names_but_only_facilitators_see_the_code_and_link(
    cast: dict[str, Any],
) -> None:
    url = f"/api/workshops/{cast['workshop']}/"
    seen = cast["clients"]["participant"].get(url).json()
    assert seen["code"] is None and seen["join_token"] is None
    assert cast["clients"]["facilitator"].get(url).json()["code"]
    names = cast["clients"]["participant"].get(url + "participants/").json()
    assert [p["display_name"] for p in names] == ["alice", "Pat", "Tess"]


def test_joins_are_rate_limited_per_address(workshop: dict[str, Any], monkeypatch: Any) -> None:
    from trees.api.workshop_views import JoinThrottle

    # The rate as a deployment would set JOIN_THROTTLE_RATE, read when the throttle is made.
    monkeypatch.setattr(JoinThrottle, "THROTTLE_RATES", {"join": "3/min"})
    codes = [join(APIClient(), f"P{i}", code="ZZZZZZ").status_code for i in range(3)]
    assert codes == [404, 404, 404]
    # The guesser's address is now refused, even with the right link.
    limited = join(APIClient(), "Real", token=workshop["join_token"])
    assert (limited.status_code, limited.json()["code"]) == (429, "rate_limited")
    assert not WorkshopParticipant.objects.filter(display_name="Real").exists()


def test_self_signup_is_closed_by_default(db: Any) -> None:
    body = {"username": "newbie", "password": "a-long-pass-phrase"}
    response = APIClient().post("/api/auth/signup/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "signup_closed")
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_self_signup_when_on_makes_a_signed_in_account(db: Any, make_user: Any) -> None:
    make_user("taken")
    with override_settings(GAMETREE_SELF_SIGNUP=True):
        client = APIClient()
        body = {"username": "newbie", "password": "a-long-pass-phrase"}
        response = client.post("/api/auth/signup/", body, format="json")
        assert response.status_code == 201, response.content
        assert client.get("/api/auth/me/").json()["username"] == "newbie"
        dup = APIClient().post(
            "/api/auth/signup/", {"username": "TAKEN", "password": "a-long-pass-phrase"}
        )
        assert (dup.status_code, dup.json()["code"]) == (409, "conflict")
        weak = APIClient().post("/api/auth/signup/", {"username": "weak", "password": "123"})
        assert (weak.status_code, weak.json()["code"]) == (400, "invalid")
