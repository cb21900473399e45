"""Domain layer: the invariants every tree state must satisfy, checked in O(nodes).

Used by tests after every operation, and by the action layer as a cheap sanity check after
loading a tree from the database.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InvariantError
from .grammar import TREE_KINDS, allowed_under, node_types
from .keys import is_valid_key
from .limits import MAX_NODES, MAX_NOTE, MAX_TAG_LEN, MAX_TAGS, MAX_TEXT
from .tags import norm_tag

if TYPE_CHECKING:
    from .node import Node
    from .state import TreeState


def _fail(message: str) -> None:
    raise InvariantError(message)


def _check_node(state: TreeState, node: Node) -> None:
    nodes, kind = state.nodes, state.kind
    if node.type not in node_types(kind):
        _fail(f"{node.id}: type {node.type!r} in a {kind} tree")
    parent = nodes.get(node.parent) if node.parent is not None else None
    if node.parent is not None and parent is None:
        _fail(f"{node.id}: parent {node.parent} does not exist")
    if not allowed_under(kind, node.type, parent.type if parent else None):
        _fail(f"{node.id}: a {node.type} under {parent.type if parent else 'top level'}")
    if not node.deleted and parent is not None and parent.deleted:
        _fail(f"{node.id}: live node under deleted parent {node.parent}")
    if node.parents and kind != "problem":
        _fail(f"{node.id}: extra parents in a {kind} tree")
    if len(set(node.parents)) != len(node.parents) or node.parent in node.parents:
        _fail(f"{node.id}: duplicate parent links")
    for extra_id in node.parents:
        extra = nodes.get(extra_id)
        if extra is None:
            _fail(f"{node.id}: extra parent {extra_id} does not exist")
        elif not allowed_under(kind, node.type, extra.type):
            _fail(f"{node.id}: a {node.type} linked under a {extra.type}")
    if not is_valid_key(node.key):
        _fail(f"{node.id}: invalid key {node.key!r}")
    if len(node.text) > MAX_TEXT or len(node.note) > MAX_NOTE:
        _fail(f"{node.id}: text or note over the limit")
    if len(node.tags) > MAX_TAGS or len(set(node.tags)) != len(node.tags):
        _fail(f"{node.id}: too many or duplicate tags")
    if any(not t or t != norm_tag(t) or len(t) > MAX_TAG_LEN for t in node.tags):
        _fail(f"{node.id}: malformed tag")
    if node.deleted != (node.deleted_seq > 0) or node.deleted_seq > state.version:
        _fail(f"{node.id}: deleted={node.deleted} but deleted_seq={node.deleted_seq}")
    if any(not 0 <= s <= state.version for s in node.field_seq.values()):
        _fail(f"{node.id}: field_seq {node.field_seq} beyond version {state.version}")


def _check_acyclic(state: TreeState) -> None:
    # Iterative three-colour DFS over child -> parent edges (primary and extra).
    done: set[str] = set()
    for start in state.nodes:
        if start in done:
            continue
        on_path: set[str] = set()
        stack: list[tuple[str, bool]] = [(start, False)]
        while stack:
            node_id, leaving = stack.pop()
            if leaving:
                on_path.discard(node_id)
                done.add(node_id)
                continue
            if node_id in done:
                continue
            if node_id in on_path:
                _fail(f"cycle through {node_id}")
            on_path.add(node_id)
            stack.append((node_id, True))
            node = state.nodes.get(node_id)
            if node is not None:
                ups = [node.parent] if node.parent is not None else []
                stack.extend((up, False) for up in [*ups, *node.parents] if up not in done)


def _check_index(state: TreeState) -> None:
    expected: dict[str | None, tuple[set[str], dict[str, str]]] = {}
    for node in state.nodes.values():
        ids, by_key = expected.setdefault(node.parent, (set(), {}))
        if node.key in by_key:
            _fail(f"{node.id} and {by_key[node.key]} share key {node.key!r}")
        ids.add(node.id)
        by_key[node.key] = node.id
    actual = state.index_view()
    if set(actual) != set(expected):
        _fail("children index has the wrong parents")
    for parent, (ids, by_key, keys) in actual.items():
        if (ids, by_key) != expected[parent] or keys != sorted(by_key):
            _fail(f"children index of {parent} is out of date")


def check_invariants(state: TreeState) -> None:
    """Raise InvariantError at the first violated invariant."""
    if state.kind not in TREE_KINDS:
        _fail(f"unknown tree kind {state.kind!r}")
    if len(state.nodes) > MAX_NODES:
        _fail(f"{len(state.nodes)} nodes, more than {MAX_NODES}")
    for node_id, node in state.nodes.items():
        if node_id != node.id:
            _fail(f"node stored under {node_id} has id {node.id}")
        _check_node(state, node)
    _check_acyclic(state)
    _check_index(state)
