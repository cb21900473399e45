"""Action layer: per-process cache of domain tree states.

Loading a 20,000-node tree for every operation would dominate the write path, so each
process keeps the states it has used. A cached state is only trusted when its version equals
the version read from the locked tree row inside the writing transaction; any other process's
write (or a rolled-back one of ours) makes the versions differ and the state is reloaded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from trees.domain import Node as DomainNode
from trees.domain import TreeState
from trees.models import Node

_MAX_TREES = 256
_lock = threading.RLock()
_states: OrderedDict[int, TreeState] = OrderedDict()

_FIELDS = (
    "id",
    "type",
    "parent_id",
    "parents",
    "key",
    "text",
    "note",
    "tags",
    "author_id",
    "deleted",
    "deleted_seq",
    "meta",
    "field_seq",
)


def load_state(tree_id: int, kind: str, version: int) -> TreeState:
    nodes = [
        DomainNode(
            id=str(row["id"]),
            type=row["type"],
            parent=str(row["parent_id"]) if row["parent_id"] else None,
            parents=list(row["parents"]),
            key=row["key"],
            text=row["text"],
            note=row["note"],
            tags=list(row["tags"]),
            author=row["author_id"],
            deleted=row["deleted"],
            deleted_seq=row["deleted_seq"],
            meta=dict(row["meta"]),
            field_seq=dict(row["field_seq"]),
        )
        for row in Node.objects.filter(tree_id=tree_id).values(*_FIELDS)
    ]
    return TreeState(kind, nodes, version)


def state_for(tree_id: int, kind: str, version: int) -> TreeState:
    """The state of a tree at `version`. Call only while holding the tree's row lock."""
    with _lock:
        state = _states.get(tree_id)
        if state is not None and state.version == version and state.kind == kind:
            _states.move_to_end(tree_id)
            return state
    state = load_state(tree_id, kind, version)
    with _lock:
        _states[tree_id] = state
        _states.move_to_end(tree_id)
        while len(_states) > _MAX_TREES:
            _states.popitem(last=False)
    return state


def forget(tree_id: int) -> None:
    with _lock:
        _states.pop(tree_id, None)


def clear() -> None:
    with _lock:
        _states.clear()
