"""A real daphne server per test module (tests/e2e/server.py), which the tests may kill.

Pass 1: a temporary SQLite file and the in-memory channel layer. Pass 2 (DATABASE_URL,
REDIS_URL): a fresh PostgreSQL database and Redis. The server gets a Redis database number of
its own: every fresh database numbers its trees 1, 2, ..., so two test runs sharing one Redis
database would otherwise broadcast into each other's `tree.1` group.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from urllib.parse import urlparse, urlunparse

import pytest

from tests.e2e.server import Server, running_server

USERS = ("alice", "bob", "carol", "dave")
PASS2 = bool(os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL"))


def own_redis_url() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return None
    return urlunparse(urlparse(url)._replace(path=f"/{1 + os.getpid() % 15}"))


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    with running_server(os.environ.get("DATABASE_URL"), own_redis_url()) as live:
        live.create_users(*USERS)
        yield live
