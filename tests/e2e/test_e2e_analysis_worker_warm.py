"""End to end: a freshly started daphne process starts one Analysis worker at once, below the
live path's CPU priority, before anyone asks for an Analysis (`GAMETREE_ANALYSIS_WARM`, the
default: trees/analysis_service.py `keep_worker_warm`), and the first Analysis runs in it;
switched off, the worker starts with the first Analysis. (What the warm-up loads:
tests/analysis/test_analysis_worker_warm.py; the merges' worker:
tests/e2e/test_e2e_merge_worker_warm.py.)
"""

from __future__ import annotations

import os
import time

import pytest

from tests.e2e.server import Server, running_server

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]


def game_tree_with_critiques(server: Server) -> int:
    """Alice's game tree: a proposal and three critiques, two of them tagged."""
    script = (
        "from django.contrib.auth import get_user_model\n"
        "from trees.actions.imports import tree_import\n"
        "alice = get_user_model().objects.get(username='alice')\n"
        "def n(i, kind, parent, text, *tags):\n"
        "    return {'id': f'00000000-0000-4000-8000-00000000000{i}', 'type': kind,\n"
        "            'parent': parent and f'00000000-0000-4000-8000-00000000000{parent}',\n"
        "            'text': text, 'tags': list(tags), 'author': alice.pk}\n"
        "nodes = [n(1, 'proposal', None, 'Train it with human feedback'),\n"
        "         n(2, 'critique', 1, 'Raters reward flattery', 'sycophancy'),\n"
        "         n(3, 'critique', 1, 'It says what we want to hear', 'sycophancy'),\n"
        "         n(4, 'critique', 1, 'It could tamper with its reward')]\n"
        "tree = tree_import(owner_id=alice.pk, kind='game', title='e2e', nodes=nodes)\n"
        "print('TREE', tree.pk)\n"
    )
    out = server.manage("shell", "-c", script)
    return int(next(x for x in out.splitlines() if x.startswith("TREE "))[5:])


def analyse(server: Server, tree: int) -> dict[str, object]:
    status, body = server.api("GET", f"/api/analysis/recurring/?trees={tree}", user="alice")
    assert status == 200, body
    return dict(body)


def test_a_freshly_started_server_has_an_analysis_worker_running_low_before_any_analysis() -> None:
    with running_server() as server:
        [worker] = server.pool_workers("analysis")  # started with the server: nothing asked
        assert server.pid is not None
        nice = os.getpriority(os.PRIO_PROCESS, server.pid)
        assert os.getpriority(os.PRIO_PROCESS, worker) == min(nice + 10, 19)
        assert len(server.pool_workers("merges")) == 1  # beside the merges' own
        server.create_users("alice")
        tree = game_tree_with_critiques(server)
        report = analyse(server, tree)
        assert report["kind"] == "game" and report["items"]
        assert server.pool_workers("analysis") == [worker]  # the Analysis ran in it; it stays


def test_with_warming_switched_off_the_analysis_worker_starts_with_the_first_analysis() -> None:
    with running_server(extra_env={"GAMETREE_ANALYSIS_WARM": "0"}) as server:
        time.sleep(1.0)
        assert server.pool_workers("analysis") == []
        assert len(server.pool_workers("merges")) == 1  # (the merges' switch is apart)
        server.create_users("alice")
        tree = game_tree_with_critiques(server)
        assert analyse(server, tree)["items"]
        assert len(server.pool_workers("analysis")) == 1  # kept for the next Analysis
