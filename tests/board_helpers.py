"""A workshop set up for the board tests: a facilitator, participants in groups, one exercise
with a tree per group, made through the real actions (joining, tree creation, memberships)
and the workshop models (groups, exercises, rounds, exercise trees)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any


@dataclass
class BoardWorkshop:
    workshop: Any
    facilitator: Any
    groups: list[Any] = field(default_factory=list)
    people: list[list[Any]] = field(default_factory=list)  # users per group
    seats: list[list[Any]] = field(default_factory=list)
    trees: list[Any] = field(default_factory=list)  # the exercise's tree per group
    exercise: Any = None

    @property
    def id(self) -> int:
        return int(self.workshop.pk)


def make_board_workshop(
    facilitator: Any,
    *,
    groups: int = 2,
    per_group: int = 2,
    kind: str = "game",
    prefix: str = "p",
    password: str = "pw-for-tests-123",
) -> BoardWorkshop:
    from django.contrib.auth import get_user_model

    from trees.actions import member_add, tree_create
    from trees.actions.workshops import workshop_create, workshop_join
    from trees.models import Exercise, ExerciseTree, Round, WorkshopGroup

    workshop = workshop_create(user=facilitator, title="Alignment day")
    out = BoardWorkshop(workshop, facilitator)
    out.exercise = Exercise.objects.create(
        workshop=workshop,
        kind="game_tree" if kind == "game" else "problem_tree",
        title="Game tree" if kind == "game" else "Problem tree",
        position=0,
    )
    round_ = Round.objects.create(exercise=out.exercise, number=1, mode="group")
    users = get_user_model().objects
    for g in range(groups):
        group = WorkshopGroup.objects.create(workshop=workshop, name=f"Group {g + 1}", position=g)
        out.groups.append(group)
        people, seats = [], []
        for i in range(per_group):
            user = users.create_user(
                username=f"{prefix}{g}-{i}-{uuid.uuid4().hex[:4]}", password=password
            )
            seat, _ = workshop_join(workshop=workshop, user=user, display_name=f"Person {g}.{i}")
            seat.group = group
            seat.save(update_fields=["group"])
            people.append(user)
            seats.append(seat)
        tree = tree_create(owner_id=facilitator.pk, kind=kind, title=f"{group.name}'s tree")
        for user in people:
            member_add(tree=tree, username=user.username, role="editor")
        ExerciseTree.objects.create(
            exercise=out.exercise, round=round_, tree=tree, group=group, kind="group"
        )
        out.people.append(people)
        out.seats.append(seats)
        out.trees.append(tree)
    return out


def create_op(
    type_: str, parent: str | None, text: str = "", tags: list[str] | None = None
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "kind": "create",
        "id": str(uuid.uuid4()),
        "type": type_,
        "parent": parent,
    }
    if text:
        op["text"] = text
    if tags:
        op["tags"] = tags
    return op


def own_problem_trees(ws: BoardWorkshop, g: int, problems: list[list[str]]) -> list[Any]:
    """Group `g`'s members' own problem trees of round one ("Alignment" and, for each person,
    their problems under it), linked to the exercise as at the round's start."""
    from trees.actions.imports import tree_import
    from trees.models import ExerciseTree

    round_ = ws.exercise.rounds.get()
    own = []
    for user, seat, texts in zip(ws.people[g], ws.seats[g], problems, strict=True):
        top = {"id": str(uuid.uuid4()), "type": "problem", "parent": None, "text": "Alignment"}
        nodes = [top] + [
            {"id": str(uuid.uuid4()), "type": "problem", "parent": top["id"], "text": text}
            for text in texts
        ]
        tree = tree_import(owner_id=user.pk, kind="problem", title="Mine", nodes=nodes)
        ExerciseTree.objects.create(
            exercise=ws.exercise,
            round=round_,
            tree=tree,
            group=ws.groups[g],
            participant=seat,
            kind="individual",
        )
        own.append(tree)
    return own


def group_merged(ws: BoardWorkshop, g: int, own: list[Any]) -> Any:
    """Group `g`'s merge done: its members' trees merged and linked as the group's tree
    (returned)."""
    from trees.actions.merges import merge_create
    from trees.models import ExerciseTree

    merged = merge_create(actor_id=ws.people[g][0].pk, trees=own).tree
    ExerciseTree.objects.create(
        exercise=ws.exercise,
        round=ws.exercise.rounds.get(),
        tree=merged,
        group=ws.groups[g],
        kind="merged",
    )
    return merged
