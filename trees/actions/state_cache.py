"""Action layer: per-process cache of domain tree states.

Loading a 20,000-node tree for every operation would dominate the write path, so each
process keeps the states it has used, least recently used first out once they hold more than
`settings.GAMETREE_STATE_CACHE_NODES` nodes in all. (A bound on the number of trees instead,
256, thrashed with 300 busy small trees: most ops then reloaded their tree, and a process
managed a few hundred ops per second; bench/connections.py.)

A cached state is only trusted when its version equals the version read from the locked tree
row inside the writing transaction; any other process's write (or a rolled-back one of ours)
makes the versions differ and the state is reloaded.

Whole-tree reads take no lock (`trees.selectors.tree_snapshot`) but answer from a cached state
when it is at the committed version they read (`committed_snapshot`): loading the node rows
costs about eight times serialising a cached state (bench/snapshot_reads.py). So that a reader
never sees a state half-way through an op, the one place that changes a cached state
(`actions/ops.py`) does it under the tree's `guard`, and the reader serialises under it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from django.conf import settings

from trees import selectors
from trees.domain import TreeState
from trees.selectors import load_state

DEFAULT_MAX_NODES = 500_000  # ~0.5-1 GB of Python objects at the worst; workshop trees are small
_lock = threading.RLock()
_states: OrderedDict[int, TreeState] = OrderedDict()
_sizes: dict[int, int] = {}  # node count of each cached state when last used
_total = 0


# Guards of the cached states, striped by tree id: a writer applies ops to a cached state
# under its tree's guard, a lock-free reader serialises it under the same guard.
_GUARDS = tuple(threading.Lock() for _ in range(64))


def guard(tree_id: int) -> threading.Lock:
    return _GUARDS[tree_id % len(_GUARDS)]


def committed_snapshot(tree_id: int, kind: str, version: int) -> list[dict[str, Any]] | None:
    """The nodes of the cached state if it is at `version` (a committed version the caller
    read in its own transaction), else None (then the caller reads the node rows)."""
    with _lock:
        state = _states.get(tree_id)
    if state is None:
        return None
    with guard(tree_id):
        if state.version != version or state.kind != kind:
            return None
        return state.snapshot()


selectors.use_cached_states(committed_snapshot)


def _max_nodes() -> int:
    return int(getattr(settings, "GAMETREE_STATE_CACHE_NODES", DEFAULT_MAX_NODES))


def state_for(tree_id: int, kind: str, version: int) -> TreeState:
    """The state of a tree at `version`. Call only while holding the tree's row lock."""
    with _lock:
        state = _states.get(tree_id)
        if state is not None and state.version == version and state.kind == kind:
            _states.move_to_end(tree_id)
            _resize(tree_id, len(state.nodes))
            return state
    state = load_state(tree_id, kind, version)
    with _lock:
        _states[tree_id] = state
        _states.move_to_end(tree_id)
        _resize(tree_id, len(state.nodes))
        limit = _max_nodes()
        # Never evict the state just loaded, however big: the caller is about to use it.
        while _total > limit and len(_states) > 1:
            oldest = next(iter(_states))
            _drop(oldest)
    return state


def _resize(tree_id: int, size: int) -> None:
    global _total
    _total += size - _sizes.get(tree_id, 0)
    _sizes[tree_id] = size


def _drop(tree_id: int) -> None:
    global _total
    _states.pop(tree_id, None)
    _total -= _sizes.pop(tree_id, 0)


def forget(tree_id: int) -> None:
    with _lock:
        _drop(tree_id)


def clear() -> None:
    global _total
    with _lock:
        _states.clear()
        _sizes.clear()
        _total = 0


def cached_nodes() -> int:
    """Nodes held by the cache (as of each tree's last use)."""
    with _lock:
        return _total
