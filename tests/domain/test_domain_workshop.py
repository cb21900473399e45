"""Workshop rules without a database: balanced group draws, who may open a workshop tree and
whether an individual tree follows its person to another group."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from trees.domain.workshop import (
    FOLLOWS,
    MERGED_ALREADY,
    NO_GROUP,
    Seat,
    TreeLink,
    draw_groups,
    follow,
    group_sizes,
    workshop_role,
)


@pytest.mark.parametrize("size", [2, 3])
def test_group_sizes_differ_by_at_most_one_and_never_leave_someone_alone(size: int) -> None:
    for count in range(2, 61):
        sizes = group_sizes(count, size)
        assert sum(sizes) == count
        assert max(sizes) - min(sizes) <= 1
        assert min(sizes) >= 2, (count, sizes)
        assert max(sizes) <= 3 or (count < 2), (count, sizes)


def test_preferred_size_three_makes_fewer_larger_groups_than_size_two() -> None:
    assert group_sizes(7, 3) == [3, 2, 2]
    assert group_sizes(7, 2) == [3, 2, 2]
    assert group_sizes(6, 3) == [3, 3]
    assert group_sizes(6, 2) == [2, 2, 2]
    assert group_sizes(5, 2) == [3, 2]
    assert group_sizes(4, 3) == [2, 2]


def test_one_person_is_a_group_of_one_and_nobody_is_no_group() -> None:
    assert group_sizes(1) == [1]
    assert group_sizes(0) == []


def test_a_size_other_than_two_or_three_is_refused() -> None:
    with pytest.raises(ValueError):
        group_sizes(5, 4)


def test_a_draw_places_everyone_once_in_balanced_groups() -> None:
    people = list(range(40))
    groups = draw_groups(people, 3, random.Random(1))
    assert sorted(p for g in groups for p in g) == people
    assert len(groups) == 14
    assert Counter(len(g) for g in groups) == {3: 12, 2: 2}


def test_drawing_again_gives_a_different_partition() -> None:
    people = list(range(12))
    first = draw_groups(people, 3, random.Random(1))
    second = draw_groups(people, 3, random.Random(2))
    assert {frozenset(g) for g in first} != {frozenset(g) for g in second}


FAC = Seat(1, "facilitator", None)
ANN = Seat(2, "participant", 10)
BOB = Seat(3, "participant", 10)
CAT = Seat(4, "participant", 11)
LOOSE = Seat(5, "participant", None)


def test_facilitators_read_every_tree_of_their_workshop() -> None:
    for kind in ("group", "individual", "merged"):
        link = TreeLink(kind, 10, 2 if kind == "individual" else None, blind=True)
        assert workshop_role(FAC, link) == "viewer"


def test_a_group_edits_its_group_and_merged_trees_and_other_groups_see_nothing() -> None:
    for kind in ("group", "merged"):
        link = TreeLink(kind, 10, None)
        assert workshop_role(ANN, link) == "editor"
        assert workshop_role(CAT, link) is None
        assert workshop_role(LOOSE, link) is None
        assert workshop_role(None, link) is None


def test_during_a_blind_round_group_mates_cannot_open_each_others_trees() -> None:
    anns = TreeLink("individual", 10, ANN.id, blind=True, round_ended=False)
    assert workshop_role(ANN, anns) == "editor"
    assert workshop_role(BOB, anns) is None
    assert workshop_role(CAT, anns) is None


def test_once_the_blind_round_ends_group_mates_read_each_others_trees() -> None:
    anns = TreeLink("individual", 10, ANN.id, blind=True, round_ended=True)
    assert workshop_role(BOB, anns) == "viewer"
    assert workshop_role(CAT, anns) is None


def test_in_a_round_that_is_not_blind_group_mates_read_each_others_trees() -> None:
    anns = TreeLink("individual", 10, ANN.id, blind=False)
    assert workshop_role(BOB, anns) == "viewer"


def test_an_individual_tree_of_a_round_still_open_follows_its_person_to_the_new_group() -> None:
    assert follow(round_ended=False, new_group=7) == FOLLOWS


def test_an_individual_tree_of_an_ended_round_stays_where_it_was_merged() -> None:
    assert follow(round_ended=True, new_group=7) == MERGED_ALREADY
    assert follow(round_ended=True, new_group=None) == MERGED_ALREADY


def test_an_individual_tree_stays_in_its_group_when_its_person_leaves_every_group() -> None:
    assert follow(round_ended=False, new_group=None) == NO_GROUP
