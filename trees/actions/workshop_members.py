"""Action layer: the member rows of a workshop's group trees follow its groups.

A group tree (a game tree one group edits together) gets an `editor` membership for each
person in the group, so the group sees it in its tree list (`GET /api/trees/`) like any tree
shared with it, and the membership and the workshop rule (trees/selectors.py `tree_role`)
say the same thing. Nobody else is a member: the facilitator reads it through the workshop
(a viewer, never an owner), and nobody can invite or make share links for it. So every row on
a group tree is the workshop's to set: whoever is not in the group any more loses theirs.

Called inside the caller's transaction, after the seats changed (a move, a draw) or when the
group tree is made; the callers re-check the open sockets after commit.
"""

from __future__ import annotations

from collections.abc import Iterable

from trees.models import (
    ExerciseTree,
    ExerciseTreeKind,
    Membership,
    Role,
    WorkshopParticipant,
    WorkshopRole,
)


def group_trees_sync(group_ids: Iterable[int | None]) -> set[int]:
    """Make the members of the group trees of `group_ids` exactly the groups' participants,
    as editors. Returns the ids of the trees whose members changed."""
    ids = {g for g in group_ids if g is not None}
    if not ids:
        return set()
    trees: dict[int, list[int]] = {}
    for group_id, tree_id in ExerciseTree.objects.filter(
        group_id__in=ids, kind=ExerciseTreeKind.GROUP
    ).values_list("group_id", "tree_id"):
        trees.setdefault(group_id, []).append(tree_id)
    if not trees:
        return set()
    people: dict[int, set[int]] = {g: set() for g in trees}
    for group_id, user_id in WorkshopParticipant.objects.filter(
        group_id__in=list(trees), role=WorkshopRole.PARTICIPANT, user__is_active=True
    ).values_list("group_id", "user_id"):
        assert group_id is not None
        people[group_id].add(user_id)
    tree_ids = [t for ids_ in trees.values() for t in ids_]
    have: dict[int, dict[int, str]] = {t: {} for t in tree_ids}
    for tree_id, user_id, role in Membership.objects.filter(tree_id__in=tree_ids).values_list(
        "tree_id", "user_id", "role"
    ):
        have[tree_id][user_id] = role
    changed: set[int] = set()
    add: list[Membership] = []
    for group_id, group_tree_ids in trees.items():
        want = people[group_id]
        for tree_id in group_tree_ids:
            rows = have[tree_id]
            gone = [u for u, role in rows.items() if u not in want or role != Role.EDITOR]
            if gone:
                Membership.objects.filter(tree_id=tree_id, user_id__in=gone).delete()
                changed.add(tree_id)
            for user_id in sorted(want):
                if rows.get(user_id) != Role.EDITOR:
                    add.append(Membership(tree_id=tree_id, user_id=user_id, role=Role.EDITOR))
                    changed.add(tree_id)
    Membership.objects.bulk_create(add)
    return changed
