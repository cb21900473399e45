"""Domain layer: workshop rules with no storage — drawing balanced groups, who may open a
tree made for a workshop exercise (the one rule trees/selectors.py applies), and whether an
individual tree follows its person to another group.

Pure: no Django, tested without a database (tests/domain/test_domain_workshop.py).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")

GROUP_SIZES = (2, 3)

FACILITATOR = "facilitator"
EDITOR = "editor"
VIEWER = "viewer"


def group_sizes(count: int, size: int = 3) -> list[int]:
    """The sizes of the groups `count` people form when the preferred size is `size` (2 or 3):
    sizes differ by at most one and none is 1 unless there is a single person. Largest first.

    size 3 makes ceil(count / 3) groups (7 -> 3, 2, 2); size 2 makes count // 2 (5 -> 3, 2)."""
    if size not in GROUP_SIZES:
        raise ValueError(f"group size must be one of {GROUP_SIZES}")
    if count < 0:
        raise ValueError("count must not be negative")
    if count == 0:
        return []
    groups = max(1, math.ceil(count / 3) if size == 3 else count // 2)
    base, extra = divmod(count, groups)
    return [base + 1] * extra + [base] * (groups - extra)


def draw_groups(
    people: Sequence[T], size: int = 3, rng: random.Random | None = None
) -> list[list[T]]:
    """A new random partition of `people` into balanced groups (group_sizes)."""
    shuffled = list(people)
    (rng or random.Random()).shuffle(shuffled)
    out: list[list[T]] = []
    start = 0
    for n in group_sizes(len(shuffled), size):
        out.append(shuffled[start : start + n])
        start += n
    return out


@dataclass(frozen=True)
class Seat:
    """Someone's place in the workshop the tree belongs to."""

    id: int
    role: str  # "facilitator" or "participant"
    group: int | None


@dataclass(frozen=True)
class TreeLink:
    """What the workshop knows of a tree: its kind, group, person and round."""

    kind: str  # "group", "individual" or "merged"
    group: int
    participant: int | None
    blind: bool = False  # its round is blind ...
    round_ended: bool = False  # ... and has not ended yet (then group-mates cannot open it)


def workshop_role(seat: Seat | None, link: TreeLink) -> str | None:
    """The role the workshop alone gives `seat` on a tree linked to it (memberships aside):
    facilitators read every tree; a group edits its group and merged trees and reads its
    members' individual trees, except during a blind round that has not ended; others none."""
    if seat is None:
        return None
    if seat.role == FACILITATOR:
        return VIEWER
    if seat.group is None or seat.group != link.group:
        return None
    if link.kind != "individual":
        return EDITOR
    if link.participant == seat.id:
        return EDITOR
    if link.blind and not link.round_ended:
        return None
    return VIEWER


# What becomes of someone's individual tree of a round when they change group (`follow`).
FOLLOWS = "follows"  # it moves to the new group: that group's merge takes it, the old one's not
MERGED_ALREADY = "merged_already"  # its round has ended: the old group's merge has it
NO_GROUP = "no_group"  # they are in no group now: it stays, and the old group's merge takes it


def follow(*, round_ended: bool, new_group: int | None) -> str:
    """Whether an individual tree follows its person to `new_group` (None: no group).

    A round's merge is planned from the trees' groups when the round ends, so after that the
    tree stays where it was merged; a tree must belong to some group, so with no new group it
    stays too."""
    if round_ended:
        return MERGED_ALREADY
    if new_group is None:
        return NO_GROUP
    return FOLLOWS
