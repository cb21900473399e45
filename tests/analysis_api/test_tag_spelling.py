"""Tags in their one spelling: written so by every op, and existing tags rewritten by the
data migration (trees/migrations/0006_normalise_tags.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from trees.domain import replay
from trees.models import Node, OpLog, Tree
from trees.selectors import tree_snapshot

BEFORE = [("trees", "0005_tree_created_by")]
AFTER = [("trees", "0006_normalise_tags")]


@pytest.mark.django_db(transaction=True)
def test_the_migration_rewrites_existing_tags_in_their_one_spelling(make_user: Any) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        _rewrites(make_user, executor)
    finally:  # later tests need the latest schema
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


def _rewrites(make_user: Any, executor: MigrationExecutor) -> None:
    apps = executor.loader.project_state(BEFORE).apps
    user = make_user("ann")
    OldTree, OldNode = apps.get_model("trees", "Tree"), apps.get_model("trees", "Node")
    tree = OldTree.objects.create(owner_id=user.pk, kind="game", title="t", version=1)
    raw = {
        uuid.uuid4(): ["#Goodhart", "goodhart", "Scalable oversight", "scalable-oversight"],
        uuid.uuid4(): ["Reward_Hacking"],
        uuid.uuid4(): [],
    }
    for i, (node_id, tags) in enumerate(raw.items()):
        OldNode.objects.create(tree_id=tree.pk, id=node_id, type="proposal", key=f"a{i}", tags=tags)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    # The model as of AFTER: later migrations add columns the table does not have yet.
    NewNode = executor.loader.project_state(AFTER).apps.get_model("trees", "Node")
    got = {n.id: n.tags for n in NewNode.objects.filter(tree_id=tree.pk)}
    assert list(got[k] for k in raw) == [
        ["goodhart", "scalable-oversight"],
        ["reward-hacking"],
        [],
    ]


@pytest.mark.django_db(transaction=True)
def test_an_op_through_the_api_stores_logs_and_broadcasts_the_one_spelling(
    client_for: Any, make_user: Any
) -> None:
    ann = make_user("ann")
    client = client_for(ann)
    tree = client.post("/api/trees/", {"kind": "game", "title": "t"}, format="json").json()
    node = str(uuid.uuid4())
    op = {"kind": "create", "id": node, "type": "proposal", "parent": None}
    op["tags"] = ["#Goodhart", "Scalable oversight"]
    r = client.post(
        f"/api/trees/{tree['id']}/ops/", {"client_id": "c", "n": 1, "op": op}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert Node.objects.get(id=node).tags == ["goodhart", "scalable-oversight"]
    assert OpLog.objects.get(tree_id=tree["id"], seq=1).op["tags"] == [
        "goodhart",
        "scalable-oversight",
    ]
    rows = OpLog.objects.filter(tree_id=tree["id"]).order_by("seq")
    state = replay("game", [(o.seq, o.op, o.actor_id) for o in rows])
    assert state.snapshot() == tree_snapshot(tree_id=Tree.objects.get(pk=tree["id"]).pk)["nodes"]
