"""Shared fixtures: users, trees, signed-in API clients, and a clean per-process state cache
for every test. Autouse fixtures that only some folders want live in tests/fixtures.py."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from rest_framework.test import APIClient

INTEGRATION = os.environ.get("GAMETREE_INTEGRATION") == "1"


@pytest.fixture(autouse=True)
def _fresh_state_cache() -> Iterator[None]:
    # Transactional tests flush tables and reuse ids; a cached tree state must not survive.
    from trees.actions import state_cache

    state_cache.clear()
    yield
    state_cache.clear()
    # The live path's database thread keeps its connection open; close it so that no test
    # leaves a connection behind (PostgreSQL cannot drop a test database that has one).
    dbthread = sys.modules.get("trees.realtime.dbthread")
    if dbthread is not None:
        dbthread.close()
    board = sys.modules.get("trees.realtime.board")  # the live board's thread, likewise
    if board is not None:
        board.close()


@pytest.fixture
def make_user(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    def make(username: str, password: str = "pw-for-tests-123") -> Any:
        return get_user_model().objects.create_user(username=username, password=password)

    return make


@pytest.fixture
def make_tree(db: Any) -> Any:
    from trees.actions import member_add, tree_create

    def make(
        owner: Any, kind: str = "game", title: str = "Tree", members: dict[Any, str] | None = None
    ) -> Any:
        tree = tree_create(owner_id=owner.pk, kind=kind, title=title)
        for user, role in (members or {}).items():
            member_add(tree=tree, username=user.username, role=role)
        return tree

    return make


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], APIClient]:
    """An APIClient signed in with a real session (CSRF is not enforced by this client)."""
    from rest_framework.test import APIClient

    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def anon() -> APIClient:
    from rest_framework.test import APIClient

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
