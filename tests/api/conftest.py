"""REST API test fixtures: signed-in API clients and a fresh throttle cache."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # The login throttle counts in the default cache; one test's attempts must not leak.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], APIClient]:
    """An APIClient signed in with a real session (CSRF is not enforced by this client)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture
def alice(make_user: Any) -> Any:
    return make_user("alice")


@pytest.fixture
def bob(make_user: Any) -> Any:
    return make_user("bob")


@pytest.fixture
def carol(make_user: Any) -> Any:
    return make_user("carol")


@pytest.fixture
def as_alice(client_for: Callable[[Any], APIClient], alice: Any) -> APIClient:
    return client_for(alice)
