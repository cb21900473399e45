"""REST API: CSRF token, session login and logout, me, API tokens, CSRF and login throttling."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from tests.api.api_helpers import assert_error

PASSWORD = "pw-for-tests-123"


def test_csrf_endpoint_returns_a_token_and_sets_the_cookie(db: Any) -> None:
    client = APIClient()
    response = client.get("/api/auth/csrf/")
    assert response.status_code == 200
    token = response.json()["csrfToken"]
    assert isinstance(token, str) and token
    assert "csrftoken" in response.cookies


def test_login_with_the_right_password_starts_a_session(alice: Any) -> None:
    client = APIClient()
    response = client.post(
        "/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"id": alice.pk, "username": "alice", "name": "alice"}
    assert "sessionid" in response.cookies
    me = client.get("/api/auth/me/")
    assert me.status_code == 200
    assert me.json() == {"id": alice.pk, "username": "alice", "name": "alice"}


def test_login_with_a_wrong_password_is_refused_as_invalid_credentials(alice: Any) -> None:
    client = APIClient()
    response = client.post(
        "/api/auth/login/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert_error(response, 400, "invalid_credentials")
    assert_error(client.get("/api/auth/me/"), 401, "not_authenticated")


def test_login_for_an_unknown_user_is_refused_as_invalid_credentials(db: Any) -> None:
    response = APIClient().post(
        "/api/auth/login/", {"username": "ghost", "password": PASSWORD}, format="json"
    )
    assert_error(response, 400, "invalid_credentials")


def test_login_without_a_password_is_invalid(alice: Any) -> None:
    response = APIClient().post("/api/auth/login/", {"username": "alice"}, format="json")
    body = assert_error(response, 400, "invalid")
    assert "password" in body["message"]


def test_logout_ends_the_session(as_alice: APIClient) -> None:
    assert as_alice.get("/api/auth/me/").status_code == 200
    response = as_alice.post("/api/auth/logout/")
    assert response.status_code == 204
    assert_error(as_alice.get("/api/auth/me/"), 401, "not_authenticated")


def test_me_for_an_anonymous_client_is_401_not_authenticated(anon: APIClient) -> None:
    assert_error(anon.get("/api/auth/me/"), 401, "not_authenticated")


def test_session_tells_an_anonymous_client_it_is_signed_out_without_an_error(
    anon: APIClient,
) -> None:
    response = anon.get("/api/auth/session/")
    assert response.status_code == 200
    assert response.json() == {"authenticated": False, "user": None}


def test_session_names_the_user_signed_in_and_forgets_them_after_logout(
    as_alice: APIClient, alice: Any
) -> None:
    response = as_alice.get("/api/auth/session/")
    assert response.status_code == 200
    assert response.json() == {
        "authenticated": True,
        "user": {"id": alice.pk, "username": "alice", "name": "alice"},
    }
    assert as_alice.post("/api/auth/logout/").status_code == 204
    assert as_alice.get("/api/auth/session/").json() == {"authenticated": False, "user": None}
    # The other endpoints keep their 401 for a caller not signed in.
    assert_error(as_alice.get("/api/auth/me/"), 401, "not_authenticated")


def test_session_with_a_token_names_its_user_and_a_bad_token_is_still_401(alice: Any) -> None:
    client = APIClient()
    token = client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/auth/session/").json()["user"] == {
        "id": alice.pk,
        "username": "alice",
        "name": "alice",
    }
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/auth/session/"), 401, "not_authenticated")


def test_token_obtain_gives_a_token_that_authenticates_requests(alice: Any) -> None:
    client = APIClient()
    response = client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]
    again = client.post(
        "/api/auth/token/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    # Each call makes a new token (each script or device its own, revocable one by one).
    assert again.json()["token"] != token
    assert again.json()["id"] != response.json()["id"]

    # Token requests need no CSRF token: they carry no ambient credentials.
    scripted = APIClient(enforce_csrf_checks=True)
    scripted.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert scripted.get("/api/auth/me/").json() == {
        "id": alice.pk,
        "username": "alice",
        "name": "alice",
    }
    created = scripted.post("/api/trees/", {"kind": "game", "title": "Scripted"}, format="json")
    assert created.status_code == 201
    assert created.json()["owner"]["id"] == alice.pk


def test_token_obtain_with_a_wrong_password_is_invalid_credentials(alice: Any) -> None:
    response = APIClient().post(
        "/api/auth/token/", {"username": "alice", "password": "nope"}, format="json"
    )
    assert_error(response, 400, "invalid_credentials")


def test_a_bad_token_is_401_not_authenticated(alice: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert_error(client.get("/api/auth/me/"), 401, "not_authenticated")


def test_session_requests_that_write_need_the_csrf_token(alice: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    # Reads are safe and need no token.
    assert client.get("/api/trees/").status_code == 200

    refused = client.post("/api/trees/", {"kind": "game", "title": "T"}, format="json")
    body = assert_error(refused, 403, "forbidden")
    assert "CSRF" in body["message"]

    token = client.get("/api/auth/csrf/").json()["csrfToken"]
    created = client.post(
        "/api/trees/", {"kind": "game", "title": "T"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert created.status_code == 201


def test_session_logout_needs_the_csrf_token(alice: Any) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)
    assert_error(client.post("/api/auth/logout/"), 403, "forbidden")
    assert client.get("/api/auth/me/").status_code == 200


@pytest.fixture
def tight_login_throttle(monkeypatch: pytest.MonkeyPatch) -> Any:
    from trees.api.views import LoginThrottle

    rates = {"login": "3/min"}
    with override_settings(REST_FRAMEWORK={**_rest_settings(), "DEFAULT_THROTTLE_RATES": rates}):
        # DRF copies the rates into the throttle class when it is first imported, so the
        # settings override alone does not reach an already imported throttle.
        monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", rates)
        cache.clear()
        yield
    cache.clear()


def _rest_settings() -> dict[str, Any]:
    from django.conf import settings

    return dict(settings.REST_FRAMEWORK)


def test_login_attempts_beyond_the_rate_get_429_rate_limited(
    alice: Any, tight_login_throttle: Any
) -> None:
    client = APIClient()
    for _ in range(3):
        response = client.post(
            "/api/auth/login/", {"username": "alice", "password": "nope"}, format="json"
        )
        assert_error(response, 400, "invalid_credentials")
    blocked = client.post(
        "/api/auth/login/", {"username": "alice", "password": PASSWORD}, format="json"
    )
    assert_error(blocked, 429, "rate_limited")
    assert "Retry-After" in blocked.headers


def test_login_throttling_cannot_be_dodged_with_a_forged_forwarded_for_header(
    alice: Any, tight_login_throttle: Any
) -> None:
    # daphne runs with --proxy-headers behind nginx, so REMOTE_ADDR already is the client;
    # a client-supplied X-Forwarded-For must not give each attempt a fresh bucket.
    client = APIClient()
    for i in range(3):
        response = client.post(
            "/api/auth/login/",
            {"username": "alice", "password": "nope"},
            format="json",
            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
        )
        assert_error(response, 400, "invalid_credentials")
    blocked = client.post(
        "/api/auth/token/",
        {"username": "alice", "password": PASSWORD},
        format="json",
        HTTP_X_FORWARDED_FOR="198.51.100.7",
    )
    assert_error(blocked, 429, "rate_limited")
