"""Action layer: trees and their members (create, rename, delete, invite, roles, leave)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from trees.actions import state_cache
from trees.domain.errors import ActionError
from trees.models import Membership, Role, Tree, TreeKind
from trees.realtime.broadcast import broadcast_access_changed
from trees.selectors import MAX_PK

# Tree.meta["merge"]["status"] of a merged tree being written (trees/actions/merges.py): it
# has no members until its last write transaction, and counts against nobody's quota.
MERGE_WRITING = "writing"

_TITLE_MAX = 200
_DESCRIPTION_MAX = 5000


def _clean_title(title: object) -> str:
    if not isinstance(title, str) or not title.strip():
        raise ActionError("invalid", "A tree needs a title.")
    if len(title) > _TITLE_MAX:
        raise ActionError("too_large", f"Titles are at most {_TITLE_MAX} characters.")
    return title.strip()


def _clean_description(description: object) -> str:
    if not isinstance(description, str):
        raise ActionError("invalid", "description must be a string.")
    if len(description) > _DESCRIPTION_MAX:
        raise ActionError("too_large", f"Descriptions are at most {_DESCRIPTION_MAX} characters.")
    return description


def tree_create(
    *,
    owner_id: int,
    kind: object,
    title: object,
    description: object = "",
    meta: dict[str, Any] | None = None,
    created_by_id: int | None = None,
    members: bool = True,
) -> Tree:
    """A new tree owned by `owner_id`, made by `created_by_id` (default: the owner), whose
    trees-per-user quota it counts against. `members=False`: the owner is not made a member
    yet, so nobody can reach the tree (a merged tree while it is written)."""
    if kind not in TreeKind.values:
        raise ActionError("invalid", "kind must be 'game' or 'problem'.")
    clean_title = _clean_title(title)
    clean_description = _clean_description(description)
    maker = owner_id if created_by_id is None else created_by_id
    with transaction.atomic():
        # Trees the maker made, not trees they own: owning can be given (a fork for someone,
        # being added as an owner) without asking, and must not fill anyone's quota.
        # A merged tree still being written (hidden, no members) is not counted: its merge
        # may have died mid-write, leaving it for the sweep (merge_jobs.merge_discard_orphans).
        made = Tree.objects.filter(created_by_id=maker).count() - (
            Tree.objects.filter(
                created_by_id=maker, meta__merge__status=MERGE_WRITING, memberships__isnull=True
            ).count()
        )
        if made >= settings.GAMETREE_MAX_TREES_PER_USER:
            raise ActionError(
                "limit_reached",
                f"A user can make at most {settings.GAMETREE_MAX_TREES_PER_USER} trees"
                " (created, imported, merged or forked for others); delete some first.",
            )
        tree = Tree.objects.create(
            kind=kind,
            title=clean_title,
            description=clean_description,
            owner_id=owner_id,
            created_by_id=maker,
            meta=meta or {},
        )
        if members:
            Membership.objects.create(tree=tree, user_id=owner_id, role=Role.OWNER)
    return tree


def tree_update(*, tree: Tree, title: object = None, description: object = None) -> Tree:
    fields = ["updated_at"]
    if title is not None:
        tree.title = _clean_title(title)
        fields.append("title")
    if description is not None:
        tree.description = _clean_description(description)
        fields.append("description")
    tree.save(update_fields=fields)
    return tree


def tree_delete(*, tree: Tree) -> None:
    tree_id = tree.pk
    with transaction.atomic():
        tree.delete()
        transaction.on_commit(lambda: broadcast_access_changed(tree_id))
    state_cache.forget(tree_id)


def _clean_role(role: object) -> str:
    if role not in (Role.EDITOR, Role.VIEWER, Role.OWNER):
        raise ActionError("invalid", "role must be owner, editor or viewer.")
    return str(role)


def member_add(*, tree: Tree, username: object, role: object) -> Membership:
    clean_role = _clean_role(role)
    if not isinstance(username, str) or not username:
        raise ActionError("invalid", "username is required.")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ActionError("not_found", f"No user named {username!r}.")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            tree=tree, user=user, defaults={"role": clean_role}
        )
        if not created:
            raise ActionError("conflict", f"{username} is already a member.")
        transaction.on_commit(lambda: broadcast_access_changed(tree.pk))
    return membership


def _owner_count(tree: Tree) -> int:
    return Membership.objects.filter(tree=tree, role=Role.OWNER).count()


def _lock_tree(tree: Tree) -> None:
    """Take the tree's row lock for the rest of the transaction. Every change that can take an
    owner away locks it first, so two of them on one tree run one after the other: without
    it, two owners leaving (or demoting each other) at once each counted two owners and both
    went through, leaving the tree with none (PostgreSQL, read committed). On SQLite the
    IMMEDIATE transaction already serialises writers; the lock is a no-op there."""
    if not list(Tree.objects.select_for_update().filter(pk=tree.pk).values_list("pk", flat=True)):
        raise ActionError("not_found", "No such tree.")


def _locked_membership(tree: Tree, user_id: int) -> Membership:
    if not 0 < user_id <= MAX_PK:
        raise ActionError("not_found", "No such member.")
    membership = Membership.objects.select_for_update().filter(tree=tree, user_id=user_id).first()
    if membership is None:
        raise ActionError("not_found", "No such member.")
    return membership


def member_set_role(*, tree: Tree, user_id: int, role: object) -> Membership:
    clean_role = _clean_role(role)
    with transaction.atomic():
        _lock_tree(tree)
        membership = _locked_membership(tree, user_id)
        if membership.role == Role.OWNER and clean_role != Role.OWNER and _owner_count(tree) == 1:
            raise ActionError("forbidden", "A tree must keep at least one owner.")
        membership.role = clean_role
        membership.save(update_fields=["role"])
        transaction.on_commit(lambda: broadcast_access_changed(tree.pk))
    return membership


def member_remove(*, tree: Tree, user_id: int) -> None:
    with transaction.atomic():
        _lock_tree(tree)
        membership = _locked_membership(tree, user_id)
        if membership.role == Role.OWNER and _owner_count(tree) == 1:
            raise ActionError("forbidden", "The last owner cannot leave; delete the tree instead.")
        membership.delete()
        transaction.on_commit(lambda: broadcast_access_changed(tree.pk))


def tree_leave(*, tree: Tree, user_id: int) -> None:
    member_remove(tree=tree, user_id=user_id)
