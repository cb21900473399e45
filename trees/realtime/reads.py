"""Reads for live clients: catching up after `hello` or `sync`, and re-checking access.

Synchronous ORM code, called from the consumer through database_sync_to_async.
"""

from __future__ import annotations

from typing import Any

from trees.models import Tree, WorkshopParticipant
from trees.selectors import ops_since, tree_role, tree_role_and_person, tree_snapshot, user_ref

# More ops than this behind: a snapshot is cheaper for both sides than replaying them.
MAX_CATCH_UP_OPS = 1000


def role_in_tree(user_id: int | None, tree_id: int) -> str | None:
    """The same rule as REST (trees/selectors.py: membership or workshop role)."""
    return tree_role(user_id, tree_id)


def opening(user: Any, tree_id: int) -> tuple[str | None, dict[str, Any]]:
    """What a socket opening `tree_id` needs of its user, in one trip to the database thread
    and two queries: their role (`role_in_tree`) and how the tree names them (a workshop
    seat's name, `selectors.people_in_tree`)."""
    if user is None or not user.is_authenticated:
        return None, {"id": None, "username": "", "name": ""}
    role, person = tree_role_and_person(user, tree_id)
    return role, person if role is not None else user_ref(user)


def catch_up(tree_id: int, since: int | None) -> dict[str, Any]:
    """The message that brings a client from `since` to now: `ops` or a `snapshot`."""
    head = Tree.objects.filter(pk=tree_id).values_list("version", flat=True).first()
    if head is None:
        return {"type": "gone"}
    if since is not None and 0 <= since <= head and head - since <= MAX_CATCH_UP_OPS:
        ops = ops_since(tree_id, since, limit=MAX_CATCH_UP_OPS)
        return {"type": "ops", "ops": ops, "head": ops[-1]["seq"] if ops else since}
    snapshot = tree_snapshot(tree_id=tree_id)
    return {"type": "snapshot", **snapshot}


def ops_between(tree_id: int, after: int, upto: int) -> list[dict[str, Any]]:
    """Log rows with after < seq <= upto, to fill a gap in what a consumer has forwarded."""
    return [op for op in ops_since(tree_id, after, limit=upto - after) if op["seq"] <= upto]


def workshop_seat(user_id: int | None, workshop_id: int) -> tuple[int, str] | None:
    """(seat id, role) of an active user in a workshop, or None."""
    if user_id is None:
        return None
    row = (
        WorkshopParticipant.objects.filter(
            workshop_id=workshop_id, user_id=user_id, user__is_active=True
        )
        .values_list("pk", "role")
        .first()
    )
    return (row[0], row[1]) if row else None
