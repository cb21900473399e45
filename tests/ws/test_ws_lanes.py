"""The batcher's lanes (trees/actions/batcher.py): trees spread over database threads.

Lanes exist on PostgreSQL only (SQLite takes one writer at a time; the test suite's shared
in-memory SQLite even refuses a second one at once), so these run in the integration pass.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import pytest

from tests.ws.wshelpers import db_log, new_id

pytestmark = pytest.mark.django_db(transaction=True)
on_postgresql = pytest.mark.skipif(
    "postgres" not in os.environ.get("DATABASE_URL", ""),
    reason="lanes run on PostgreSQL only: the integration pass (DATABASE_URL)",
)


def proposal(text: str) -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": None, "text": text}


@on_postgresql
async def test_ops_of_trees_in_two_lanes_commit_in_order_and_each_tree_stays_in_its_lane(
    make_user: Any, make_tree: Any
) -> None:
    from channels.db import database_sync_to_async

    from trees.actions.batcher import OpBatcher
    from trees.actions.ops import OpRequest
    from trees.fanout import fanout

    owner = await database_sync_to_async(make_user)("lanes")
    tree_ids = [
        int((await database_sync_to_async(make_tree)(owner, title=f"t{i}")).pk) for i in range(4)
    ]
    batcher = OpBatcher(lanes=2)
    published: list[tuple[int, int]] = []
    real_publish = fanout().publish_batch

    async def recording(ops_by_tree: dict[int, list[dict[str, Any]]]) -> None:
        published.extend((tree, op["seq"]) for tree, ops in ops_by_tree.items() for op in ops)
        await real_publish(ops_by_tree)

    fanout().publish_batch = recording  # type: ignore[method-assign]
    try:
        requests = [
            OpRequest(
                tree_id=tree, actor_id=owner.pk, client_id=f"c{tree}", n=n, op=proposal(f"{n}")
            )
            for n in range(25)
            for tree in tree_ids
        ]
        results = await asyncio.gather(*(batcher.submit(r) for r in requests))
    finally:
        del fanout().publish_batch

    for tree in tree_ids:
        mine = [res.seq for req, res in zip(requests, results, strict=True) if req.tree_id == tree]
        assert mine == list(range(1, 26))  # submitted in order per tree, committed in order
        assert [seq for t, seq in published if t == tree] == list(range(1, 26))
        assert [row["seq"] for row in await db_log(tree)] == list(range(1, 26))
    lanes_used = [lane for lane in batcher.lanes if lane.ops]
    assert len(lanes_used) == 2
    assert sum(lane.ops for lane in batcher.lanes) == 100


@on_postgresql
async def test_a_resent_op_in_a_lane_is_answered_as_a_duplicate(
    make_user: Any, make_tree: Any
) -> None:
    from channels.db import database_sync_to_async

    from trees.actions.batcher import OpBatcher
    from trees.actions.ops import OpRequest

    owner = await database_sync_to_async(make_user)("lanes2")
    tree = int((await database_sync_to_async(make_tree)(owner)).pk)
    batcher = OpBatcher(lanes=2)
    request = OpRequest(tree_id=tree, actor_id=owner.pk, client_id="c", n=1, op=proposal("x"))

    first = await batcher.submit(request)
    again = await batcher.submit(request)

    assert (first.seq, first.dup) == (1, False)
    assert (again.seq, again.dup) == (1, True)


def test_sqlite_gets_one_lane_and_postgresql_the_configured_number(settings: Any) -> None:
    from django.db import connection

    from trees.actions.batcher import default_lanes

    settings.GAMETREE_DB_LANES = 3
    assert default_lanes() == (3 if connection.vendor == "postgresql" else 1)
