"""Action layer: a workshop's groups — a balanced random draw, or groups made, renamed,
deleted and people moved by hand (drag and drop). The grouping rule itself is pure
(trees/domain/workshop.py).

Who is in which group decides who may open the workshop's trees (trees/selectors.py), so a
change re-checks the open sockets of the trees concerned, after commit.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from trees.actions.workshop_members import group_trees_sync
from trees.domain.errors import ActionError
from trees.domain.workshop import FOLLOWS, GROUP_SIZES, MERGED_ALREADY, draw_groups, follow
from trees.models import (
    ExerciseTree,
    ExerciseTreeKind,
    Round,
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
    groups are deleted when they have no trees, else left empty. Group trees' members and
    individual trees follow the people as for a move (`participant_move`)."""
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
        old_of = {seat.pk: seat.group_id for seat in seats}
        for seat in seats:
            seat.group_id = group_of.get(seat.pk)
        WorkshopParticipant.objects.bulk_update(seats, ["group"])
        # The same rule as a move: individual trees of rounds still open follow their people.
        for seat in seats:
            if seat.group_id != old_of[seat.pk]:
                _trees_follow(seat, old_of[seat.pk], seat.group_id)
        group_trees_sync(before | {g.pk for g in groups})
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


@dataclass(frozen=True)
class TreeFate:
    """What a move did with one of the person's individual trees (trees/domain/workshop.py
    `follow`): `group` is the group it is in now."""

    tree: int
    exercise: int
    round: int
    round_number: int
    group: int
    outcome: str  # FOLLOWS, MERGED_ALREADY or NO_GROUP
    message: str


@dataclass(frozen=True)
class Moved:
    seat: WorkshopParticipant
    trees: list[TreeFate]

    @property
    def message(self) -> str:
        """One sentence per tree the facilitator should know about (empty: nothing to say)."""
        return " ".join(t.message for t in self.trees)


def _fate_message(link: ExerciseTree, outcome: str, names: dict[int, str], new: int | None) -> str:
    what = f"Their tree of {link.exercise.title}, round {link.round.number if link.round else 1}"
    if outcome == FOLLOWS:
        assert new is not None
        return f"{what} moved with them to {names[new]}: that group's merge will include it."
    if outcome == MERGED_ALREADY:
        return (
            f"{what} stays with {names[link.group_id]}: the round has ended and that group's "
            "merge already has it."
        )
    return (
        f"{what} stays with {names[link.group_id]} (they are in no group now): that group's "
        "merge will include it."
    )


def _trees_follow(
    seat: WorkshopParticipant, old_id: int | None, new_id: int | None
) -> list[TreeFate]:
    """Move the person's individual trees of rounds still open to their new group (each
    round's merge takes a tree from the group it is in when the round ends)."""
    links = list(
        ExerciseTree.objects.filter(participant=seat, kind=ExerciseTreeKind.INDIVIDUAL)
        .select_related("exercise", "round")
        .order_by("exercise__position", "exercise_id", "round__number", "pk")
    )
    if not links:
        return []
    # Lock the rounds: a round ending now plans its merges from the trees' groups either
    # before this move or after it, never from half of it.
    round_ids = {link.round_id for link in links if link.round_id is not None}
    ended = {
        pk: ended_at is not None
        for pk, ended_at in Round.objects.select_for_update()
        .filter(pk__in=round_ids)
        .values_list("pk", "ended_at")
    }
    names = dict(
        WorkshopGroup.objects.filter(workshop_id=seat.workshop_id).values_list("pk", "name")
    )
    fates: list[TreeFate] = []
    for link in links:
        outcome = follow(round_ended=ended.get(link.round_id or 0, False), new_group=new_id)
        if outcome == FOLLOWS and link.group_id == new_id:
            continue  # already there (left behind by an earlier move, and back now)
        if outcome != FOLLOWS and link.group_id != old_id:
            continue  # left in another group by an earlier move: not this move's news
        message = _fate_message(link, outcome, names, new_id)
        if outcome == FOLLOWS:
            assert new_id is not None
            link.group_id = new_id
            link.save(update_fields=["group"])
        fates.append(
            TreeFate(
                tree=link.tree_id,
                exercise=link.exercise_id,
                round=link.round_id or 0,
                round_number=link.round.number if link.round else 1,
                group=link.group_id,
                outcome=outcome,
                message=message,
            )
        )
    return fates


def participant_move(*, workshop: Workshop, participant_id: int, group_id: object) -> Moved:
    """Put a participant in a group (or in none, `group_id` None). They gain the new group's
    trees and lose the old one's at once (member rows of the group trees, open sockets
    re-checked). Their individual trees of rounds not ended yet follow them to the new group,
    so its merge includes them and the old group's does not; the answer says, tree by tree,
    what moved and what stayed (a round already ended was merged where it was)."""
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
        fates: list[TreeFate] = []
        if old_id != new_id:
            seat.group_id = new_id
            seat.save(update_fields=["group"])
            fates = _trees_follow(seat, old_id, new_id)
            concerned = {g for g in (old_id, new_id) if g}
            group_trees_sync(concerned)
            _after_commit(workshop.pk, _trees_of_groups(concerned))
    return Moved(seat, fates)
