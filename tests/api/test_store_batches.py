"""trees/actions/store.py with batches big enough to take the JSON-parameter statements that
PostgreSQL uses past `_JSON_FROM` values (pass 2); SQLite (pass 1) runs the same checks on its
one form of statement."""

from __future__ import annotations

import uuid
from typing import Any

from trees.actions import state_cache, store
from trees.actions.ops import OpRequest, tree_apply_ops
from trees.domain.errors import ActionError
from trees.models import Node, OpLog, Tree


def _create(tree_id: int, actor: int, n: int, node_id: str | None = None) -> OpRequest:
    op = {
        "kind": "create",
        "id": node_id or str(uuid.uuid4()),
        "type": "proposal",
        "parent": None,
        "text": f"proposal {n} \u2014 \u00e9\U0001f600 'quoted' \\ back",
        "meta": {"n": n, "nested": [1, {"x": None}]},
    }
    return OpRequest(tree_id=tree_id, actor_id=actor, client_id="big", n=n, op=op)


def test_a_big_batch_over_many_trees_is_stored_exactly_and_a_resend_is_all_duplicates(
    make_user: Any, make_tree: Any
) -> None:
    owner = make_user("alice")
    trees = [int(make_tree(owner, title=f"t{i}").pk) for i in range(20)]
    requests = [_create(trees[n % 20], owner.pk, n) for n in range(60)]
    assert len(requests) * len(store._LOG_COLUMNS) > store._JSON_FROM
    assert len(trees) * 3 > store._JSON_FROM

    first = tree_apply_ops(requests, broadcast=False)
    state_cache.clear()  # the second pass reads the database, not the cache
    again = tree_apply_ops(requests, broadcast=False)

    assert all(not isinstance(o, ActionError) and not o.dup for o in first)
    assert [(o.seq, o.dup) for o in again] == [(o.seq, True) for o in first]
    assert [o.op for o in again] == [o.op for o in first]
    assert set(Tree.objects.filter(pk__in=trees).values_list("version", flat=True)) == {3}
    assert OpLog.objects.filter(tree_id__in=trees).count() == 60
    for request in requests:
        node = Node.objects.get(pk=request.op["id"])
        assert (node.tree_id, node.text, node.meta) == (
            request.tree_id,
            request.op["text"],
            request.op["meta"],
        )
        assert node.author_id == owner.pk and node.parent_id is None and not node.deleted


def test_a_big_batch_naming_another_trees_node_changes_nothing_and_answers_conflict(
    make_user: Any, make_tree: Any
) -> None:
    owner = make_user("alice")
    other = int(make_tree(owner, title="other").pk)
    taken = str(uuid.uuid4())
    tree_apply_ops([_create(other, owner.pk, 0, taken)], broadcast=False)
    mine = int(make_tree(owner, title="mine").pk)
    requests = [_create(mine, owner.pk, n) for n in range(1, 9)]
    requests.append(_create(mine, owner.pk, 9, taken))

    outcomes = tree_apply_ops(requests, broadcast=False)

    assert [o.seq for o in outcomes[:8] if not isinstance(o, ActionError)] == list(range(1, 9))
    assert isinstance(outcomes[8], ActionError) and outcomes[8].code == "conflict"
    assert Node.objects.get(pk=taken).tree_id == other  # never rewritten
    assert Tree.objects.get(pk=mine).version == 8
