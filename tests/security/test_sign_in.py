"""Sign-in: password guessing limited by target account and by address whatever the caller's
own authentication (REST and the admin page), and API tokens that expire, are revoked by
logout, listed and revoked one by one, and a password change and reset that revoke them."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from tests.security.conftest import PASSWORD, Cast
from trees.actions.accounts import token_create
from trees.models import ApiToken, LoginFailure

ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 8
LIMITS = {
    "GAMETREE_LOGIN_FAILURES_PER_ACCOUNT": ACCOUNT_LIMIT,
    "GAMETREE_LOGIN_FAILURES_PER_ADDRESS": ADDRESS_LIMIT,
}


@pytest.fixture(autouse=True)
def _limits() -> Any:
    with override_settings(**LIMITS):
        yield


def token_client(user: Any) -> tuple[APIClient, ApiToken]:
    token, key = token_create(user_id=user.pk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client, token


def guess(client: Any, path: str, username: str, password: str, address: str) -> Any:
    body = {"username": username, "password": password}
    return client.post(path, body, format="json", REMOTE_ADDR=address)


def assert_refused(response: Any, code: str) -> None:
    assert response.status_code == 429, (response.status_code, response.content[:300])
    assert response.json()["code"] == code
    assert "sign-ins" in response.json()["message"]
    assert int(response.headers["Retry-After"]) > 0


# ---- password guessing ------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/auth/token/", "/api/auth/login/"])
def test_guessing_another_accounts_password_while_signed_in_locks_that_account(
    cast: Cast, path: str
) -> None:
    # Mallory guesses Tess's password with her own token (token endpoint) or her own signed-in
    # session (login endpoint), from a new address each time: the account limit holds.
    if path == "/api/auth/token/":
        mallory, _ = token_client(cast.outsider)
    else:
        mallory = APIClient()
        mallory.force_login(cast.outsider)
    for i in range(ACCOUNT_LIMIT):
        answer = guess(mallory, path, "tess", f"guess-{i}", f"203.0.113.{i}")
        assert answer.status_code == 400 and answer.json()["code"] == "invalid_credentials"
    assert_refused(guess(mallory, path, "tess", "guess-x", "198.51.100.1"), "account_locked")
    # Even the right password is refused while locked: guesses learn nothing.
    assert_refused(guess(APIClient(), path, "tess", PASSWORD, "192.0.2.9"), "account_locked")
    # Other accounts are not affected.
    assert guess(APIClient(), path, "vera", PASSWORD, "192.0.2.9").status_code == 200


def test_one_address_guessing_many_accounts_is_stopped_at_the_address_limit(cast: Cast) -> None:
    client = APIClient()
    names = [f"nobody-{i}" for i in range(ADDRESS_LIMIT)]
    for name in names:
        answer = guess(client, "/api/auth/token/", name, "pw", "203.0.113.50")
        assert answer.status_code == 400
    assert_refused(guess(client, "/api/auth/login/", "vera", "pw", "203.0.113.50"), "rate_limited")
    # Another address signs in to the same accounts.
    assert guess(client, "/api/auth/login/", "vera", PASSWORD, "203.0.113.51").status_code == 200


def test_the_lock_ends_when_its_failures_age_past_the_window(cast: Cast) -> None:
    for i in range(ACCOUNT_LIMIT):
        guess(APIClient(), "/api/auth/token/", "tess", f"g{i}", "203.0.113.7")
    assert_refused(
        guess(APIClient(), "/api/auth/token/", "tess", PASSWORD, "1.2.3.4"), "account_locked"
    )
    LoginFailure.objects.update(at=timezone.now() - timedelta(hours=1))
    assert guess(APIClient(), "/api/auth/token/", "tess", PASSWORD, "1.2.3.4").status_code == 200


def test_the_operator_unlocks_an_account_with_unlocklogin(cast: Cast) -> None:
    for i in range(ACCOUNT_LIMIT):
        guess(APIClient(), "/api/auth/login/", "tess", f"g{i}", "203.0.113.8")
    assert_refused(
        guess(APIClient(), "/api/auth/login/", "tess", PASSWORD, "1.2.3.4"), "account_locked"
    )
    out = StringIO()
    call_command("unlocklogin", "tess", stdout=out)
    assert f"{ACCOUNT_LIMIT} failed sign-ins forgotten" in out.getvalue()
    assert guess(APIClient(), "/api/auth/login/", "tess", PASSWORD, "1.2.3.4").status_code == 200


def test_the_per_process_login_throttle_counts_signed_in_callers_too(cast: Cast) -> None:
    from django.conf import settings

    from trees.api.views import LoginThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "login": "3/min"}
    old = LoginThrottle.THROTTLE_RATES
    LoginThrottle.THROTTLE_RATES = rates
    try:
        client, _ = token_client(cast.outsider)
        for i in range(3):
            assert guess(client, "/api/auth/token/", "vera", f"g{i}", "1.2.3.4").status_code == 400
        refused = guess(client, "/api/auth/token/", "vera", "g", "1.2.3.4")
        assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    finally:
        LoginThrottle.THROTTLE_RATES = old


def _admin_post(client: Client, username: str, password: str, address: str) -> Any:
    client.get("/admin/login/", REMOTE_ADDR=address)
    return client.post(
        "/admin/login/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def test_guessing_on_the_admin_login_page_is_limited_and_refused_clearly(cast: Cast) -> None:
    staff = get_user_model().objects.create_user("root", password=PASSWORD, is_staff=True)
    client = Client()
    for i in range(ACCOUNT_LIMIT):
        answer = _admin_post(client, staff.username, f"guess-{i}", f"203.0.113.{i}")
        assert answer.status_code == 200  # the form again, "enter the correct username..."
    locked = _admin_post(client, staff.username, PASSWORD, "192.0.2.1")
    assert locked.status_code == 429
    assert "Sign-in refused" in locked.content.decode() and "locked" in locked.content.decode()
    assert int(locked["Retry-After"]) > 0
    # The REST paths see the same lock (one count for every path).
    assert_refused(
        guess(APIClient(), "/api/auth/login/", "root", PASSWORD, "192.0.2.2"), "account_locked"
    )
    call_command("unlocklogin", "root", stdout=StringIO())
    signed_in = _admin_post(Client(), staff.username, PASSWORD, "192.0.2.1")
    assert signed_in.status_code == 302 and signed_in["Location"] == "/admin/"


# ---- tokens ---------------------------------------------------------------------------------


def test_a_token_past_its_expiry_no_longer_authenticates(cast: Cast) -> None:
    client, token = token_client(cast.editor)
    assert client.get("/api/auth/me/").status_code == 200
    assert token.expires_at - timezone.now() > timedelta(days=29)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    answer = client.get("/api/auth/me/")
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"


def test_the_token_lifetime_is_a_setting(cast: Cast) -> None:
    with override_settings(GAMETREE_TOKEN_DAYS=2):
        body = (
            APIClient()
            .post("/api/auth/token/", {"username": "eddie", "password": PASSWORD}, format="json")
            .json()
        )
    token = ApiToken.objects.get(pk=body["id"])
    assert timedelta(days=1, hours=23) < token.expires_at - timezone.now() <= timedelta(days=2)


def test_logout_with_a_token_revokes_that_token_only(cast: Cast) -> None:
    first, _ = token_client(cast.editor)
    second, _ = token_client(cast.editor)
    assert first.post("/api/auth/logout/").status_code == 204
    assert first.get("/api/auth/me/").status_code == 401
    assert second.get("/api/auth/me/").status_code == 200


def test_logout_of_a_session_revokes_the_tokens_obtained_in_it(cast: Cast) -> None:
    session = APIClient()
    assert (
        session.post(
            "/api/auth/login/", {"username": "eddie", "password": PASSWORD}, format="json"
        ).status_code
        == 200
    )
    key = session.post(
        "/api/auth/token/", {"username": "eddie", "password": PASSWORD}, format="json"
    ).json()["token"]
    elsewhere, _ = token_client(cast.editor)
    scripted = APIClient()
    scripted.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert scripted.get("/api/auth/me/").status_code == 200
    assert session.post("/api/auth/logout/").status_code == 204
    assert scripted.get("/api/auth/me/").status_code == 401
    assert elsewhere.get("/api/auth/me/").status_code == 200


@pytest.mark.parametrize("role", ["outsider", "viewer", "editor", "owner"])
def test_each_user_lists_and_revokes_only_their_own_tokens(cast: Cast, role: str) -> None:
    user = cast.user(role)
    mine, current = token_client(user)
    _, other_of_mine = token_client(user)
    theirs_client, theirs = token_client(cast.stranger)
    listed = mine.get("/api/auth/tokens/").json()
    assert {t["id"] for t in listed} == {current.pk, other_of_mine.pk}
    assert [t["current"] for t in listed if t["id"] == current.pk] == [True]
    assert all("token" not in t and len(t["prefix"]) == 8 for t in listed)
    # Another user's token is not found and keeps working.
    refused = mine.delete(f"/api/auth/tokens/{theirs.pk}/")
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"
    assert theirs_client.get("/api/auth/me/").status_code == 200
    # Revoking one's own.
    assert mine.delete(f"/api/auth/tokens/{other_of_mine.pk}/").status_code == 204
    assert [t["id"] for t in mine.get("/api/auth/tokens/").json()] == [current.pk]
    assert mine.delete(f"/api/auth/tokens/{current.pk}/").status_code == 204
    assert mine.get("/api/auth/tokens/").status_code == 401


def test_anonymous_callers_cannot_list_revoke_or_change_passwords(cast: Cast) -> None:
    _, token = token_client(cast.owner)
    anon = APIClient()
    assert anon.get("/api/auth/tokens/").status_code == 401
    assert anon.delete(f"/api/auth/tokens/{token.pk}/").status_code == 401
    body = {"old_password": PASSWORD, "new_password": "a-new-pass-phrase"}
    assert anon.post("/api/auth/password/", body, format="json").status_code == 401
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_user_keeps_at_most_the_configured_number_of_tokens(cast: Cast) -> None:
    with override_settings(GAMETREE_MAX_TOKENS_PER_USER=3):
        made = [token_create(user_id=cast.editor.pk)[0].pk for _ in range(5)]
    assert set(ApiToken.objects.filter(user=cast.editor).values_list("pk", flat=True)) == set(
        made[-3:]
    )


# ---- passwords ------------------------------------------------------------------------------


def test_changing_ones_password_revokes_other_tokens_and_sessions_but_not_this_one(
    cast: Cast,
) -> None:
    here, current = token_client(cast.editor)
    other_token, _ = token_client(cast.editor)
    other_session = APIClient()
    other_session.post(
        "/api/auth/login/", {"username": "eddie", "password": PASSWORD}, format="json"
    )
    assert other_session.get("/api/auth/me/").status_code == 200

    wrong = here.post(
        "/api/auth/password/",
        {"old_password": "nope", "new_password": "a-new-pass-phrase"},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["code"] == "invalid_credentials"
    weak = here.post(
        "/api/auth/password/", {"old_password": PASSWORD, "new_password": "123"}, format="json"
    )
    assert weak.status_code == 400 and weak.json()["code"] == "invalid"

    done = here.post(
        "/api/auth/password/",
        {"old_password": PASSWORD, "new_password": "a-new-pass-phrase"},
        format="json",
    )
    assert done.status_code == 204
    assert here.get("/api/auth/me/").status_code == 200
    assert other_token.get("/api/auth/me/").status_code == 401
    assert other_session.get("/api/auth/me/").status_code == 401
    assert list(ApiToken.objects.filter(user=cast.editor).values_list("pk", flat=True)) == [
        current.pk
    ]
    old = {"username": "eddie", "password": PASSWORD}
    assert APIClient().post("/api/auth/login/", old, format="json").status_code == 400
    new = {"username": "eddie", "password": "a-new-pass-phrase"}
    assert APIClient().post("/api/auth/login/", new, format="json").status_code == 200


def test_a_session_that_changes_its_password_stays_signed_in(cast: Cast) -> None:
    client = APIClient()
    client.post("/api/auth/login/", {"username": "vera", "password": PASSWORD}, format="json")
    body = {"old_password": PASSWORD, "new_password": "a-new-pass-phrase"}
    assert client.post("/api/auth/password/", body, format="json").status_code == 204
    assert client.get("/api/auth/me/").status_code == 200


def test_guessing_the_old_password_through_a_stolen_session_is_limited(cast: Cast) -> None:
    thief = APIClient()
    thief.force_login(cast.viewer)
    for i in range(ACCOUNT_LIMIT):
        body = {"old_password": f"g{i}", "new_password": "a-new-pass-phrase"}
        assert thief.post("/api/auth/password/", body, format="json").status_code == 400
    body = {"old_password": PASSWORD, "new_password": "a-new-pass-phrase"}
    locked = thief.post("/api/auth/password/", body, format="json")
    assert locked.status_code == 429 and locked.json()["code"] == "account_locked"


def test_the_operator_resets_a_password_and_that_revokes_everything(cast: Cast) -> None:
    client, _ = token_client(cast.viewer)
    session = APIClient()
    session.post("/api/auth/login/", {"username": "vera", "password": PASSWORD}, format="json")
    for i in range(ACCOUNT_LIMIT):
        guess(APIClient(), "/api/auth/login/", "vera", f"g{i}", "203.0.113.9")
    out = StringIO()
    call_command("resetpassword", "vera", stdout=out)
    password = out.getvalue().split("new password of vera: ")[1].split("\n")[0]
    assert client.get("/api/auth/me/").status_code == 401
    assert session.get("/api/auth/me/").status_code == 401
    body = {"username": "vera", "password": password}
    assert APIClient().post("/api/auth/login/", body, format="json").status_code == 200
