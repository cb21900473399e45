"""End to end: live editing goes on while a merge runs in the real server, with the default
settings (the merge computed in its worker process, the merged tree written in short
transactions and hidden until the last): every op sent while the merge ran is acknowledged
and in the tree, the merge ends `done`, and its tree appears whole. Pass 1 runs it on SQLite
(where every writer shares one lock), pass 2 on PostgreSQL + Redis.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import Server
from tests.e2e.wsclient import LiveClient

pytestmark = pytest.mark.e2e

BENCH = Path(__file__).resolve().parents[2] / "bench"

# Run inside `manage.py shell`: problem trees owned by alice (bench/analysis_speed.py's
# generator), node ids made UUIDs.
_TREES = """
import json, sys, uuid
sys.path.insert(0, {bench!r})
from analysis_speed import problem_trees
from django.contrib.auth import get_user_model
from trees.actions.imports import tree_import
alice = get_user_model().objects.get(username="alice")
def uid(n):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, {salt!r} + n))
ids = []
for t, nodes in problem_trees({count}, {size}):
    out = [dict(n, id=uid(n["id"]), parent=uid(n["parent"]) if n["parent"] else None,
                author=alice.pk) for n in nodes]
    ids.append(tree_import(owner_id=alice.pk, kind="problem", title=f"e2e {{t}}", nodes=out).pk)
print("TREES " + json.dumps(ids))
"""


def make_problem_trees(server: Server, count: int, size: int) -> list[int]:
    script = _TREES.format(bench=str(BENCH), salt=uuid.uuid4().hex, count=count, size=size)
    out = server.manage("shell", "-c", script)
    return list(json.loads(next(x for x in out.splitlines() if x.startswith("TREES "))[6:]))


async def test_live_edits_made_while_a_merge_runs_are_all_committed_and_acked(
    live_server_proc: Server,
) -> None:
    server = live_server_proc
    sources = await asyncio.to_thread(make_problem_trees, server, 3, 400)
    tree_id = await asyncio.to_thread(server.make_tree, "bob", [])
    cookie = await asyncio.to_thread(server.session_cookie, "bob")
    editor = LiveClient(f"{server.ws_base}/ws/trees/{tree_id}/", cookie, server.base, name="bob")
    await editor.connect()
    try:
        status, job = await asyncio.to_thread(
            server.api, "POST", "/api/merges/", {"trees": sources}, user="alice"
        )
        assert status == 202, job
        phases: set[str] = set()
        replies: list[dict[str, Any]] = []
        sent = 0
        deadline = time.monotonic() + 600
        while job["status"] not in ("done", "failed") and time.monotonic() < deadline:
            for _ in range(5):
                op = {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal"}
                future = await editor.submit({**op, "parent": None, "text": f"live {sent}"})
                sent += 1
                replies.append(await asyncio.wait_for(future, 30))
            status, job = await asyncio.to_thread(server.api, "GET", job["url"], user="alice")
            phases.add(job["phase"])
        assert job["status"] == "done", job
        assert sent >= 5 and [r["type"] for r in replies] == ["ack"] * sent
        # Every acknowledged op is in the tree, in order.
        texts = {n["text"] for n in await asyncio.to_thread(server.db_snapshot, tree_id)}
        assert {f"live {i}" for i in range(sent)} <= texts
        assert [r["seq"] for r in replies] == list(range(1, sent + 1))
        assert editor.errors == []
        # The merged tree appears whole: every node of it reachable, its review queue there.
        merged = job["tree"]["id"]
        status, tree = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{merged}/", user="alice"
        )
        assert status == 200 and tree["version"] > 0, tree
        nodes = await asyncio.to_thread(server.db_snapshot, merged)
        assert len(nodes) == job["stats"]["merged_nodes"] > 400
        status, queue = await asyncio.to_thread(
            server.api, "GET", f"/api/trees/{merged}/review/", user="alice"
        )
        assert status == 200, queue
    finally:
        await editor.close()
