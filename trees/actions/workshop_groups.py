"""Action layer: a workshop's groups — a balanced random draw, or groups made, renamed,
deleted and people moved by hand (drag and drop). The grouping rule itself is pure
(trees/domain/workshop.py).

Who is in which group decides who may open the workshop's trees (trees/selectors.py), so a
change re-checks the open sockets of the trees concerned, after commit.
"""

from __future__ import annotations

import random

from django.db import transaction
from django.db.models import Max

from trees.domain.errors import ActionError
from trees.domain.workshop import GROUP_SIZES, draw_groups
from trees.models import (
    ExerciseTree,
    Workshop,
    WorkshopGroup,
    WorkshopParticipant,
    WorkshopRole,
)
from trees.realtime.broadcast import broadcast_access_changed, broadcast_workshop

_NAME_MAX = 60


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ActionError("invalid", "A group needs a name.")
    clean = " ".join(name.split())
    if len(clean) > _NAME_MAX:
        raise ActionError("too_large", f"Group names are at most {_NAME_MAX} characters.")
    return clean


def _lock(workshop: Workshop) -> None:
    # One change of the workshop's groups at a time (two draws at once would interleave).
    Workshop.objects.select_for_update().filter(pk=workshop.pk).first()


def _after_commit(workshop_id: int, tree_ids: set[int]) -> None:
    def send() -> None:
        for tree_id in sorted(tree_ids):
            broadcast_access_changed(tree_id)
        broadcast_workshop(workshop_id, {"type": "groups"})

    transaction.on_commit(send)


def _trees_of_groups(group_ids: set[int]) -> set[int]:
    ids = [g for g in group_ids if g is not None]
    return set(ExerciseTree.objects.filter(group_id__in=ids).values_list("tree_id", flat=True))


def _group(workshop: Workshop, group_id: object) -> WorkshopGroup:
    if not isinstance(group_id, int) or isinstance(group_id, bool):
        raise ActionError("invalid", "group must be a group's id or null.")
    group = WorkshopGroup.objects.filter(workshop=workshop, pk=group_id).first()
    if group is None:
        raise ActionError("not_found", "No such group in this workshop.")
    return group


def groups_draw(*, workshop: Workshop, size: object = 3, seed: object = None) -> None:
    """A new random draw of every participant into balanced groups of `size` (2 or 3, the
    preferred size). Existing groups are reused in order (their trees stay theirs); extra
    groups are deleted when they have no trees, else left empty."""
    if size not in GROUP_SIZES or isinstance(size, bool):
        raise ActionError("invalid", "size is 2 or 3.")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ActionError("invalid", "seed must be an integer.")
    with transaction.atomic():
        _lock(workshop)
        seats = list(
            WorkshopParticipant.objects.filter(
                workshop=workshop, role=WorkshopRole.PARTICIPANT
            ).order_by("pk")
        )
        drawn = draw_groups([s.pk for s in seats], int(str(size)), random.Random(seed))
        groups = list(WorkshopGroup.objects.filter(workshop=workshop).order_by("position", "pk"))
        before = {g.pk for g in groups}
        while len(groups) < len(drawn):
            n = len(groups) + 1
            groups.append(
                WorkshopGroup.objects.create(workshop=workshop, name=f"Group {n}", position=n)
            )
        group_of = {seat_id: groups[i].pk for i, members in enumerate(drawn) for seat_id in members}
        for seat in seats:
            seat.group_id = group_of.get(seat.pk)
        WorkshopParticipant.objects.bulk_update(seats, ["group"])
        with_trees = set(
            ExerciseTree.objects.filter(group__workshop=workshop).values_list("group_id", flat=True)
        )
        spare = [g.pk for g in groups[len(drawn) :] if g.pk not in with_trees]
        WorkshopGroup.objects.filter(pk__in=spare).delete()
        _after_commit(workshop.pk, _trees_of_groups(before))


def group_create(*, workshop: Workshop, name: object = None) -> WorkshopGroup:
    with transaction.atomic():
        _lock(workshop)
        top = WorkshopGroup.objects.filter(workshop=workshop).aggregate(m=Max("position"))["m"]
        position = (top or 0) + 1
        clean = _clean_name(name) if name not in (None, "") else f"Group {position}"
        group = WorkshopGroup.objects.create(workshop=workshop, name=clean, position=position)
        _after_commit(workshop.pk, set())
    return group


def group_update(
    *, workshop: Workshop, group_id: int, name: object = None, position: object = None
) -> WorkshopGroup:
    with transaction.atomic():
        group = _group(workshop, group_id)
        fields = []
        if name is not None:
            group.name = _clean_name(name)
            fields.append("name")
        if position is not None:
            if not isinstance(position, int) or isinstance(position, bool) or position < 0:
                raise ActionError("invalid", "position is a number from 0.")
            group.position = position
            fields.append("position")
        if fields:
            group.save(update_fields=fields)
            _after_commit(workshop.pk, set())
    return group


def group_delete(*, workshop: Workshop, group_id: int) -> None:
    """Delete an empty-handed group: its members become unassigned. A group that has trees
    keeps them (and cannot be deleted): `conflict`."""
    with transaction.atomic():
        _lock(workshop)
        group = _group(workshop, group_id)
        if ExerciseTree.objects.filter(group=group).exists():
            raise ActionError(
                "conflict", "This group has trees of an exercise; move its members instead."
            )
        group.delete()
        _after_commit(workshop.pk, set())


def participant_move(
    *, workshop: Workshop, participant_id: int, group_id: object
) -> WorkshopParticipant:
    """Put a participant in a group (or in none, `group_id` None). They gain the new group's
    trees and lose the old one's at once (open sockets re-checked)."""
    with transaction.atomic():
        _lock(workshop)
        seat = WorkshopParticipant.objects.filter(workshop=workshop, pk=participant_id).first()
        if seat is None:
            raise ActionError("not_found", "No such participant.")
        if seat.role == WorkshopRole.FACILITATOR:
            raise ActionError("invalid", "Facilitators are in no group.")
        new = None if group_id is None else _group(workshop, group_id)
        old_id = seat.group_id
        new_id = new.pk if new is not None else None
        if old_id != new_id:
            seat.group_id = new_id
            seat.save(update_fields=["group"])
            _after_commit(workshop.pk, _trees_of_groups({g for g in (old_id, new_id) if g}))
    return seat
