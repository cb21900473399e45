"""Action layer: apply one operation to a tree. The single write path for tree content.

lock the tree row -> answer a re-sent op from the log -> validate and apply in the domain
layer -> write changed nodes, the log row and the new version -> commit -> broadcast.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from trees.actions import state_cache
from trees.broadcast import broadcast_op
from trees.domain import Applied, OpError, TreeState
from trees.errors import ActionError
from trees.models import Membership, Node, OpLog, Role, Tree

_WRITE_ROLES = (Role.OWNER, Role.EDITOR)
_MAX_CLIENT_ID = 64
_MAX_N = 2**62

_NODE_UPDATE_FIELDS = [
    "type",
    "parent_id",
    "parents",
    "key",
    "text",
    "note",
    "tags",
    "deleted",
    "deleted_seq",
    "meta",
    "field_seq",
    "updated_at",
]


@dataclass(frozen=True)
class OpResult:
    seq: int
    client_id: str
    n: int
    op: dict[str, Any]
    actor: int | None
    overwrote: int
    dup: bool

    def message(self) -> dict[str, Any]:
        """The protocol's `op` broadcast (without `type`)."""
        return {
            "seq": self.seq,
            "client_id": self.client_id,
            "n": self.n,
            "op": self.op,
            "actor": self.actor,
            "overwrote": self.overwrote,
        }


def _check_client(client_id: object, n: object) -> tuple[str, int]:
    if not isinstance(client_id, str) or not 1 <= len(client_id) <= _MAX_CLIENT_ID:
        raise ActionError("invalid", "client_id must be a string of 1-64 characters.")
    if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n < _MAX_N:
        raise ActionError("invalid", "n must be a non-negative integer.")
    return client_id, n


def _node_row(tree_id: int, state: TreeState, node_id: str) -> Node:
    node = state.nodes[node_id]
    return Node(
        id=uuid.UUID(node.id),
        tree_id=tree_id,
        type=node.type,
        parent_id=uuid.UUID(node.parent) if node.parent else None,
        parents=list(node.parents),
        key=node.key,
        text=node.text,
        note=node.note,
        tags=list(node.tags),
        author_id=node.author,
        deleted=node.deleted,
        deleted_seq=node.deleted_seq,
        meta=node.meta,
        field_seq=dict(node.field_seq),
    )


def _persist(tree_id: int, state: TreeState, applied: Applied) -> None:
    rows = [_node_row(tree_id, state, node_id) for node_id in applied.changed]
    if rows:
        Node.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=_NODE_UPDATE_FIELDS,
        )


def _duplicate(tree_id: int, client_id: str, n: int) -> OpResult | None:
    row = OpLog.objects.filter(tree_id=tree_id, client_id=client_id, client_n=n).first()
    if row is None:
        return None
    return OpResult(
        seq=row.seq,
        client_id=client_id,
        n=n,
        op=row.op,
        actor=row.actor_id,
        overwrote=row.overwrote,
        dup=True,
    )


def tree_apply_op(
    *, tree_id: int, actor_id: int, client_id: object, n: object, op: Mapping[str, Any] | Any
) -> OpResult:
    """Apply `op` for `actor_id` as the client's op number `n`; broadcast after commit.

    A re-sent op (same client_id and n) returns the original result with `dup=True` and
    changes nothing. Raises ActionError with a stable code when the op is refused.
    """
    client_id, n = _check_client(client_id, n)
    try:
        with transaction.atomic():
            result = _apply_locked(tree_id, actor_id, client_id, n, op)
    except IntegrityError:
        # Two processes raced on the same (client_id, n): the other one won; answer as a dup.
        state_cache.forget(tree_id)
        dup = _duplicate(tree_id, client_id, n)
        if dup is None:
            raise
        return dup
    return result


def _apply_locked(
    tree_id: int, actor_id: int, client_id: str, n: int, op: Mapping[str, Any] | Any
) -> OpResult:
    tree = Tree.objects.select_for_update().only("id", "kind", "version").filter(pk=tree_id).first()
    if tree is None:
        raise ActionError("not_found", "No such tree.")
    role = (
        Membership.objects.filter(tree_id=tree_id, user_id=actor_id)
        .values_list("role", flat=True)
        .first()
    )
    if role is None:
        raise ActionError("not_found", "No such tree.")
    dup = _duplicate(tree_id, client_id, n)
    if dup is not None:
        return dup
    if role not in _WRITE_ROLES:
        raise ActionError("forbidden", "Viewers cannot edit this tree.")

    state = state_cache.state_for(tree_id, tree.kind, tree.version)
    seq = tree.version + 1
    try:
        applied = state.apply(op, seq=seq, actor=actor_id)
    except OpError as exc:
        # The domain validates before it mutates, so the cached state is untouched.
        raise ActionError(exc.code, exc.message) from None
    except Exception:
        state_cache.forget(tree_id)
        raise
    try:
        _persist(tree_id, state, applied)
        OpLog.objects.create(
            tree_id=tree_id,
            seq=seq,
            client_id=client_id,
            client_n=n,
            actor_id=actor_id,
            op=applied.op,
            overwrote=applied.overwrote,
        )
        Tree.objects.filter(pk=tree_id).update(version=seq, updated_at=timezone.now())
    except Exception:
        # The in-memory state is ahead of the database now; drop it.
        state_cache.forget(tree_id)
        raise
    result = OpResult(
        seq=seq,
        client_id=client_id,
        n=n,
        op=applied.op,
        actor=actor_id,
        overwrote=applied.overwrote,
        dup=False,
    )
    transaction.on_commit(lambda: broadcast_op(tree_id, result.message()))
    return result


def tree_snapshot(*, tree_id: int) -> dict[str, Any]:
    """A consistent snapshot `{seq, kind, nodes}` of the tree."""
    with transaction.atomic():
        tree = (
            Tree.objects.select_for_update()
            .only("id", "kind", "version")
            .filter(pk=tree_id)
            .first()
        )
        if tree is None:
            raise ActionError("not_found", "No such tree.")
        state = state_cache.state_for(tree_id, tree.kind, tree.version)
        return {"seq": tree.version, "kind": tree.kind, "nodes": state.snapshot()}
