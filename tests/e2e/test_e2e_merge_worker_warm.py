"""End to end: a freshly started daphne process starts its merge worker at once, below the
live path's CPU priority, before any merge asks (`GAMETREE_MERGE_WARM`, the default), and its
first merge runs in that worker; switched off, the worker starts with the first merge.
(Several processes: tests/integration/test_multiprocess_merge_worker.py.)
"""

from __future__ import annotations

import os
import time

import pytest

from tests.e2e.server import Server, running_server
from tests.e2e.test_e2e_merge_live import make_problem_trees

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def merge_workers(server: Server) -> list[int]:
    """The merge worker processes of a daphne process (not its Analysis worker)."""
    return server.pool_workers("merges")


def merge(server: Server, trees: list[int]) -> dict[str, object]:
    status, job = server.api("POST", "/api/merges/", {"trees": trees}, user="alice")
    assert status == 202, job
    deadline = time.monotonic() + 240
    while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
        status, job = server.api("GET", job["url"], user="alice")
    return dict(job)


def test_a_freshly_started_server_has_its_merge_worker_running_low_before_any_merge() -> None:
    with running_server() as server:
        [worker] = merge_workers(server)  # started with the server: no merge asked yet
        assert server.pid is not None
        nice = os.getpriority(os.PRIO_PROCESS, server.pid)
        assert os.getpriority(os.PRIO_PROCESS, worker) == min(nice + 10, 19)
        server.create_users("alice")
        trees = make_problem_trees(server, 2, 30)
        job = merge(server, trees)
        assert job["status"] == "done", job
        assert merge_workers(server) == [worker]  # the first merge ran in it; it stays


def test_with_warming_switched_off_the_merge_worker_starts_with_the_first_merge() -> None:
    with running_server(extra_env={"GAMETREE_MERGE_WARM": "0"}) as server:
        time.sleep(1.0)
        assert merge_workers(server) == []
        server.create_users("alice")
        trees = make_problem_trees(server, 2, 30)
        job = merge(server, trees)
        assert job["status"] == "done", job
        assert len(merge_workers(server)) == 1  # kept for the next merge
