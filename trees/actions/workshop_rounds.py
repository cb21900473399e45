"""Action layer: a workshop's exercises and their timed rounds (docs/guide.md, "Run a
workshop").

- An exercise is made from a template: a game tree (one round, one tree per group, owned by
  the facilitator, edited by the group) or a problem tree (individual rounds: one tree per
  person, starting with the problem "Alignment", owned by them; usually blind). Two problem
  trees with the phases "before reading" / "after reading" make the before/after template.
- The timer is the server's: start sets `ends_at`, extend moves it, end sets `ended_at`.
- Trees are made for everyone grouped when the exercise is made, and the missing ones
  (late joiners) when a round starts or is prepared. An individual round after the first
  forks the group's merged tree of the round before for each member (existing fork).
- Ending an individual round starts the group merges (trees/actions/workshop_merges.py).

Every change is one transaction; live events go to the workshop's channel group after commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from trees.actions import tree_create, tree_delete
from trees.actions.imports import tree_import
from trees.actions.merges import tree_fork
from trees.actions.workshop_members import group_trees_sync
from trees.domain.errors import ActionError
from trees.models import (
    Exercise,
    ExerciseKind,
    ExerciseTree,
    ExerciseTreeKind,
    GroupMerge,
    GroupMergeStatus,
    Membership,
    NodeType,
    Role,
    Round,
    RoundMode,
    TreeKind,
    Workshop,
    WorkshopGroup,
    WorkshopParticipant,
    WorkshopRole,
)
from trees.realtime.broadcast import broadcast_workshop

TEMPLATES = ("game_tree", "problem_tree", "before_after_reading")
PROBLEM_ROOT = "Alignment"
BEFORE, AFTER = "before reading", "after reading"
_DEFAULT_TITLES = {"game_tree": "Game tree", "problem_tree": "Problem tree"}
MAX_ROUNDS = 6


def _event(workshop_id: int, event: dict[str, Any]) -> None:
    transaction.on_commit(lambda: broadcast_workshop(workshop_id, event))


def _lock(workshop_id: int) -> None:
    # One change of a workshop's exercises and rounds at a time.
    Workshop.objects.select_for_update().filter(pk=workshop_id).first()


def _title(title: object, default: str) -> str:
    if title is None or title == "":
        return default
    if not isinstance(title, str) or not title.strip():
        raise ActionError("invalid", "An exercise's title is text.")
    if len(title) > 200:
        raise ActionError("too_large", "Titles are at most 200 characters.")
    return title.strip()


def _phase(phase: object) -> str:
    if phase is None:
        return ""
    if not isinstance(phase, str) or len(phase) > 60:
        raise ActionError("invalid", "A phase is a short label (at most 60 characters).")
    return " ".join(phase.split())


def _positive(value: object, name: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ActionError("invalid", f"{name} is a whole number from {low} to {high}.")
    return value


def exercise_create(
    *,
    workshop: Workshop,
    actor_id: int,
    template: object,
    title: object = None,
    phase: object = None,
    duration_seconds: object = 900,
    rounds: object = 2,
    blind: object = True,
) -> list[Exercise]:
    """Make one exercise from a template (two for `before_after_reading`), with its rounds,
    and the first round's trees for everyone in a group."""
    if template not in TEMPLATES:
        raise ActionError("invalid", f"template is one of {', '.join(TEMPLATES)}.")
    duration = _positive(duration_seconds, "duration_seconds", 60, 14400)
    count = _positive(rounds, "rounds", 1, MAX_ROUNDS)
    if not isinstance(blind, bool):
        raise ActionError("invalid", "blind must be true or false.")
    specs: list[tuple[str, str, str]] = []  # (kind, title, phase)
    if template == "game_tree":
        specs.append((ExerciseKind.GAME_TREE, _title(title, "Game tree"), _phase(phase)))
    elif template == "problem_tree":
        specs.append((ExerciseKind.PROBLEM_TREE, _title(title, "Problem tree"), _phase(phase)))
    else:
        base = _title(title, "Problem tree")
        specs += [
            (ExerciseKind.PROBLEM_TREE, f"{base} ({BEFORE})"[:200], BEFORE),
            (ExerciseKind.PROBLEM_TREE, f"{base} ({AFTER})"[:200], AFTER),
        ]
    made: list[Exercise] = []
    with transaction.atomic():
        _lock(workshop.pk)
        top = Exercise.objects.filter(workshop=workshop).aggregate(m=Max("position"))["m"]
        position = top or 0
        for kind, clean_title, clean_phase in specs:
            position += 1
            exercise = Exercise.objects.create(
                workshop=workshop,
                kind=kind,
                title=clean_title,
                phase=clean_phase,
                position=position,
            )
            if kind == ExerciseKind.GAME_TREE:
                Round.objects.create(
                    exercise=exercise, number=1, mode=RoundMode.GROUP, duration_seconds=duration
                )
            else:
                for number in range(1, count + 1):
                    Round.objects.create(
                        exercise=exercise,
                        number=number,
                        mode=RoundMode.INDIVIDUAL,
                        blind=blind,
                        duration_seconds=duration,
                    )
            _prepare(exercise.rounds.get(number=1), actor_id)
            made.append(exercise)
            _event(workshop.pk, {"type": "exercise", "event": "created", "exercise": exercise.pk})
    return made


def _exercise(workshop: Workshop, exercise_id: int) -> Exercise:
    exercise = Exercise.objects.filter(workshop=workshop, pk=exercise_id).first()
    if exercise is None:
        raise ActionError("not_found", "No such exercise in this workshop.")
    return exercise


def exercise_update(
    *,
    workshop: Workshop,
    exercise_id: int,
    title: object = None,
    phase: object = None,
    position: object = None,
) -> Exercise:
    with transaction.atomic():
        exercise = _exercise(workshop, exercise_id)
        fields = []
        if title is not None:
            exercise.title = _title(title, exercise.title)
            fields.append("title")
        if phase is not None:
            exercise.phase = _phase(phase)
            fields.append("phase")
        if position is not None:
            exercise.position = _positive(position, "position", 0, 100000)
            fields.append("position")
        if fields:
            exercise.save(update_fields=fields)
            _event(workshop.pk, {"type": "exercise", "event": "updated", "exercise": exercise.pk})
    return exercise


def exercise_delete(*, workshop: Workshop, exercise_id: int) -> None:
    """Delete an exercise none of whose rounds has started, with the trees made for it."""
    with transaction.atomic():
        _lock(workshop.pk)
        exercise = _exercise(workshop, exercise_id)
        if exercise.rounds.filter(started_at__isnull=False).exists():
            raise ActionError("conflict", "A round of this exercise has started; keep it.")
        trees = [link.tree for link in exercise.trees.select_related("tree")]
        exercise.delete()
        for tree in trees:
            tree_delete(tree=tree)
        _event(workshop.pk, {"type": "exercise", "event": "deleted", "exercise": exercise_id})


# ---- rounds and their timer -----------------------------------------------------------------


def _iso(value: Any) -> Any:
    """Times as the REST API writes them (ISO 8601, UTC as Z): events travel as JSON."""
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value


def round_state(rnd: Round) -> str:
    if rnd.ended_at is not None:
        return "ended"
    return "running" if rnd.started_at is not None else "pending"


def _round(workshop: Workshop, round_id: int, *, lock: bool = True) -> Round:
    rows = Round.objects.select_related("exercise")
    if lock:
        rows = rows.select_for_update()
    rnd = rows.filter(exercise__workshop=workshop, pk=round_id).first()
    if rnd is None:
        raise ActionError("not_found", "No such round in this workshop.")
    return rnd


def _round_event(workshop_id: int, rnd: Round, what: str) -> None:
    round_id = rnd.pk

    def send() -> None:
        from trees import selectors

        row = Round.objects.select_related("exercise").filter(pk=round_id).first()
        if row is not None:
            out = {k: _iso(v) for k, v in selectors.round_out(row).items()}
            broadcast_workshop(workshop_id, {"type": "round", "event": what, "round": out})

    transaction.on_commit(send)


def round_start(
    *, workshop: Workshop, round_id: int, actor_id: int, duration_seconds: object = None
) -> Round:
    """Start a round's timer (and make its missing trees). The round before in the exercise
    must have ended, and no other round of the workshop may be running."""
    with transaction.atomic():
        _lock(workshop.pk)
        rnd = _round(workshop, round_id)
        if rnd.started_at is not None:
            raise ActionError("conflict", "This round has already started.")
        earlier = Round.objects.filter(
            exercise=rnd.exercise, number__lt=rnd.number, ended_at__isnull=True
        )
        if earlier.exists():
            raise ActionError("conflict", "End the exercise's earlier round first.")
        running = Round.objects.filter(
            exercise__workshop=workshop, started_at__isnull=False, ended_at__isnull=True
        )
        if running.exists():
            raise ActionError("conflict", "Another round of this workshop is running; end it.")
        if duration_seconds is not None:
            rnd.duration_seconds = _positive(duration_seconds, "duration_seconds", 60, 14400)
        now = timezone.now()
        rnd.started_at = now
        rnd.ends_at = now + timedelta(seconds=rnd.duration_seconds)
        rnd.save(update_fields=["duration_seconds", "started_at", "ends_at"])
        _prepare(rnd, actor_id)
        _round_event(workshop.pk, rnd, "started")
    return rnd


def round_extend(*, workshop: Workshop, round_id: int, seconds: object) -> Round:
    """More time: `ends_at` moves by `seconds` (from now, if the time was already up)."""
    more = _positive(seconds, "seconds", 1, 3600)
    with transaction.atomic():
        rnd = _round(workshop, round_id)
        if round_state(rnd) != "running":
            raise ActionError("conflict", "Only a running round can be extended.")
        now = timezone.now()
        base = rnd.ends_at if rnd.ends_at is not None and rnd.ends_at > now else now
        rnd.ends_at = base + timedelta(seconds=more)
        rnd.save(update_fields=["ends_at"])
        _round_event(workshop.pk, rnd, "extended")
    return rnd


def round_end(*, workshop: Workshop, round_id: int) -> Round:
    """End a running round. An individual round's blind hiding ends, and each group's trees
    of the round are merged, one group after another, in the background."""
    from trees.actions.workshop_merges import merges_plan, merges_start_after_commit

    with transaction.atomic():
        rnd = _round(workshop, round_id)
        if round_state(rnd) != "running":
            raise ActionError("conflict", "Only a running round can be ended.")
        rnd.ended_at = timezone.now()
        rnd.save(update_fields=["ended_at"])
        _round_event(workshop.pk, rnd, "ended")
        if rnd.mode == RoundMode.INDIVIDUAL:
            merges_plan(rnd)
            merges_start_after_commit(rnd.pk)
    return rnd


def round_prepare(*, workshop: Workshop, round_id: int, actor_id: int) -> Round:
    """Make the round's missing trees now (for people grouped since), without starting it."""
    with transaction.atomic():
        _lock(workshop.pk)
        rnd = _round(workshop, round_id)
        if rnd.ended_at is not None:
            raise ActionError("conflict", "This round has ended.")
        _prepare(rnd, actor_id)
    return rnd


# ---- the trees of a round -------------------------------------------------------------------


def prepare_for_merge(rnd: Round) -> int:
    """A group's merge of the round before `rnd` just finished while `rnd` runs: fork it for
    the group's members now (inside the merge's linking transaction). Forks are made as each
    member, so no facilitator is needed as actor (group trees are not made here)."""
    if rnd.mode != RoundMode.INDIVIDUAL:
        return 0
    return _prepare(rnd, actor_id=0)


def _members(workshop_id: int) -> dict[int, list[WorkshopParticipant]]:
    by_group: dict[int, list[WorkshopParticipant]] = {}
    seats = WorkshopParticipant.objects.filter(
        workshop_id=workshop_id, role=WorkshopRole.PARTICIPANT, group__isnull=False
    ).select_related("user")
    for seat in seats.order_by("joined_at", "pk"):
        assert seat.group_id is not None
        by_group.setdefault(seat.group_id, []).append(seat)
    return by_group


def _prepare(rnd: Round, actor_id: int) -> int:
    """Make the trees `rnd` lacks; returns how many. Inside the caller's transaction."""
    exercise = rnd.exercise
    workshop_id = exercise.workshop_id
    groups = list(WorkshopGroup.objects.filter(workshop_id=workshop_id).order_by("position", "pk"))
    members = _members(workshop_id)
    made = 0
    if rnd.mode == RoundMode.GROUP:
        have = set(
            ExerciseTree.objects.filter(exercise=exercise, kind=ExerciseTreeKind.GROUP).values_list(
                "group_id", flat=True
            )
        )
        for group in groups:
            if group.pk in have or not members.get(group.pk):
                continue
            kind = TreeKind.GAME if exercise.kind == ExerciseKind.GAME_TREE else TreeKind.PROBLEM
            tree = tree_create(
                owner_id=actor_id,
                kind=kind,
                title=f"{exercise.title} — {group.name}"[:200],
                meta={"workshop": workshop_id, "exercise": exercise.pk},
            )
            ExerciseTree.objects.create(
                exercise=exercise, round=rnd, tree=tree, group=group, kind=ExerciseTreeKind.GROUP
            )
            # Its members are the group's people, as editors; the facilitator's owner row
            # goes, so a facilitator reads it through the workshop and stays read-only.
            group_trees_sync([group.pk])
            made += 1
    else:
        have = set(
            ExerciseTree.objects.filter(round=rnd, kind=ExerciseTreeKind.INDIVIDUAL).values_list(
                "participant_id", flat=True
            )
        )
        sources: dict[int, Any] = {}
        if rnd.number > 1:
            for merge in GroupMerge.objects.filter(
                round__exercise=exercise,
                round__number=rnd.number - 1,
                status__in=(GroupMergeStatus.DONE, GroupMergeStatus.SINGLE),
                tree__isnull=False,
            ).select_related("tree"):
                sources[merge.group_id] = merge.tree
        for group in groups:
            for seat in members.get(group.pk, []):
                if seat.pk in have:
                    continue
                if rnd.number == 1:
                    tree = _problem_tree(exercise, seat, workshop_id)
                elif group.pk in sources:
                    tree = _fork_for(sources[group.pk], seat)
                else:
                    continue  # the group's merge is not done yet: prepare again later
                ExerciseTree.objects.create(
                    exercise=exercise,
                    round=rnd,
                    tree=tree,
                    group=group,
                    participant=seat,
                    kind=ExerciseTreeKind.INDIVIDUAL,
                )
                made += 1
    if made:
        _event(workshop_id, {"type": "trees", "exercise": exercise.pk})
    return made


def _problem_tree(exercise: Exercise, seat: WorkshopParticipant, workshop_id: int) -> Any:
    title = f"{exercise.title} — {seat.display_name}"[:200]
    root = {"id": str(uuid.uuid4()), "type": NodeType.PROBLEM, "parent": None}
    return tree_import(
        owner_id=seat.user_id,
        kind=TreeKind.PROBLEM,
        title=title,
        nodes=[{**root, "text": PROBLEM_ROOT}],
        meta={"workshop": workshop_id, "exercise": exercise.pk},
    )


def _fork_for(source: Any, seat: WorkshopParticipant) -> Any:
    # The fork action copies a tree for its members; a late joiner reads the group's tree
    # through the workshop only, so they become a viewer of it first.
    Membership.objects.get_or_create(
        tree=source, user_id=seat.user_id, defaults={"role": Role.VIEWER}
    )
    [(_, tree)] = tree_fork(
        tree=source, actor_id=seat.user_id, people={seat.display_name: seat.user_id}
    )
    return tree
