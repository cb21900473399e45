"""The real server for the e2e tests: migrated fresh database + daphne, stopped at the end.

Pass 1 (no DATABASE_URL / REDIS_URL): a temporary SQLite file and the in-memory layer.
Pass 2: a fresh database `gametree_e2e_<pid>_...` on the PostgreSQL of DATABASE_URL (dropped
afterwards) and the Redis of REDIS_URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.e2e.server import Server, running_server


@pytest.fixture(scope="session")
def live_server_proc() -> Iterator[Server]:
    with running_server(os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")) as server:
        server.create_users("alice", "bob", "carol", "mallory")
        yield server
