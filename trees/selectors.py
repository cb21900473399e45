"""Reads with permission checks. Every view and the consumer fetch trees through here."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from trees.errors import ActionError
from trees.models import Membership, MergeJob, OpLog, Role, Tree

READ = "read"
WRITE = "write"
ADMIN = "admin"

_ALLOWED = {
    READ: {Role.OWNER, Role.EDITOR, Role.VIEWER},
    WRITE: {Role.OWNER, Role.EDITOR},
    ADMIN: {Role.OWNER},
}

User = AbstractBaseUser | AnonymousUser

# Primary keys are signed 64-bit in every backend; a bigger id in a URL must be a plain "no
# such row", not a database OverflowError (500).
MAX_PK = 2**63 - 1


def role_of(user: User, tree_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    return (
        Membership.objects.filter(tree_id=tree_id, user_id=user.pk)
        .values_list("role", flat=True)
        .first()
    )


def access_tree(user: User, tree_id: int | str, *, need: str = READ) -> tuple[Tree, str]:
    """The tree and the user's role, or an error.

    Non-members get `not_found` rather than `forbidden` so that tree ids cannot be probed.
    """
    if not user.is_authenticated:
        raise ActionError("not_authenticated", "Sign in first.")
    try:
        tree_pk = int(tree_id)
    except (TypeError, ValueError):
        raise ActionError("not_found", "No such tree.") from None
    if not 0 < tree_pk <= MAX_PK:
        raise ActionError("not_found", "No such tree.")
    membership = (
        Membership.objects.select_related("tree").filter(tree_id=tree_pk, user_id=user.pk).first()
    )
    if membership is None:
        raise ActionError("not_found", "No such tree.")
    if membership.role not in _ALLOWED[need]:
        raise ActionError("forbidden", f"A {membership.role} cannot do this.")
    return membership.tree, membership.role


def access_merge_job(user: User, job_id: int | str) -> MergeJob:
    """A merge the user started. Other people's merges answer `not_found`, like missing ones:
    a merge's status tells what trees someone is merging."""
    if not user.is_authenticated:
        raise ActionError("not_authenticated", "Sign in first.")
    try:
        job_pk = int(job_id)
    except (TypeError, ValueError):
        raise ActionError("not_found", "No such merge.") from None
    job = None
    if 0 < job_pk <= MAX_PK:
        job = MergeJob.objects.select_related("tree__owner").filter(pk=job_pk).first()
    if job is None or job.actor_id != user.pk:
        raise ActionError("not_found", "No such merge.")
    return job


def trees_for_user(user: User) -> QuerySet[Tree]:
    return (
        Tree.objects.filter(memberships__user_id=user.pk)
        .select_related("owner")
        .order_by("-updated_at", "id")
    )


def role_map(user: User, tree_ids: list[int]) -> dict[int, str]:
    rows = Membership.objects.filter(user_id=user.pk, tree_id__in=tree_ids)
    return {m.tree_id: m.role for m in rows}


def ops_since(tree_id: int, since: int, *, limit: int) -> list[dict[str, Any]]:
    rows = (
        OpLog.objects.filter(tree_id=tree_id, seq__gt=since)
        .order_by("seq")
        .values("seq", "client_id", "client_n", "op", "actor_id", "overwrote")[:limit]
    )
    return [op_message_fields(row) for row in rows]


def op_message_fields(row: dict[str, Any]) -> dict[str, Any]:
    """One log row in the shape of the protocol's `op` message (without `type`)."""
    return {
        "seq": row["seq"],
        "client_id": row["client_id"],
        "n": row["client_n"],
        "op": row["op"],
        "actor": row["actor_id"],
        "overwrote": row["overwrote"],
    }
