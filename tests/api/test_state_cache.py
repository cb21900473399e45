"""trees/actions/state_cache.py: the write path's cache of tree states, bounded by nodes."""

from __future__ import annotations

import uuid
from typing import Any

from trees.actions import state_cache, tree_apply_op


def _tree_with_nodes(make_tree: Any, owner: Any, count: int) -> int:
    tree = make_tree(owner, title=f"{count} proposals")
    for n in range(count):
        op = {"kind": "create", "id": str(uuid.uuid4()), "type": "proposal", "parent": None}
        tree_apply_op(tree_id=tree.pk, actor_id=owner.pk, client_id="c", n=n, op=op)
    return int(tree.pk)


def _load(tree_id: int) -> Any:
    from trees.models import Tree

    tree = Tree.objects.get(pk=tree_id)
    return state_cache.state_for(tree_id, tree.kind, tree.version)


def test_the_least_recently_written_trees_leave_once_the_nodes_exceed_the_budget(
    make_user: Any, make_tree: Any, settings: Any
) -> None:
    owner = make_user("alice")
    a, b, c = (_tree_with_nodes(make_tree, owner, 4) for _ in range(3))
    settings.GAMETREE_STATE_CACHE_NODES = 10
    state_cache.clear()

    first_a = _load(a)
    _load(b)
    assert state_cache.cached_nodes() == 8
    assert _load(a) is first_a  # a hit, and now the most recently used
    _load(c)  # 12 nodes > 10: b, the least recently used, goes

    assert state_cache.cached_nodes() == 8
    assert _load(a) is first_a
    assert state_cache.cached_nodes() == 8


def test_a_tree_bigger_than_the_whole_budget_is_still_cached_while_it_is_written(
    make_user: Any, make_tree: Any, settings: Any
) -> None:
    owner = make_user("alice")
    big = _tree_with_nodes(make_tree, owner, 6)
    settings.GAMETREE_STATE_CACHE_NODES = 3
    state_cache.clear()

    state = _load(big)

    assert _load(big) is state
    assert state_cache.cached_nodes() == 6


def test_three_hundred_small_trees_all_stay_cached_under_the_default_budget(
    make_user: Any, make_tree: Any
) -> None:
    """The old bound of 256 trees made 300 busy trees reload on nearly every write."""
    owner = make_user("alice")
    ids = [_tree_with_nodes(make_tree, owner, 1) for _ in range(300)]
    state_cache.clear()
    first = {tree_id: _load(tree_id) for tree_id in ids}

    assert all(_load(tree_id) is first[tree_id] for tree_id in ids)
    assert state_cache.cached_nodes() == 300
