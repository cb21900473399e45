"""Several daphne processes on PostgreSQL + Redis: each one starts its own merge worker as it
starts (a merge runs in the process that took its request), and a merge asked of either runs
in that process's worker."""

from __future__ import annotations

import pytest

from tests.e2e.test_e2e_merge_live import make_problem_trees
from tests.e2e.test_e2e_merge_worker_warm import merge, merge_workers
from tests.integration.test_multiprocess_support import cluster, needs_services

pytestmark = [*needs_services, pytest.mark.timeout(300)]


def test_each_server_process_starts_its_own_merge_worker_and_merges_in_it() -> None:
    with cluster(2) as servers:
        workers = [merge_workers(server) for server in servers]
        assert [len(w) for w in workers] == [1, 1]
        trees = make_problem_trees(servers[0], 2, 30)
        for server, before in zip(servers, workers, strict=True):
            job = merge(server, trees)
            assert job["status"] == "done", job
            assert merge_workers(server) == before
