"""Access granted by a share link or a workshop ends on the open socket at once."""

from __future__ import annotations

from typing import Any

import pytest
from channels.db import database_sync_to_async

from tests.ws.wshelpers import new_id

pytestmark = pytest.mark.django_db(transaction=True)


def proposal() -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}


@database_sync_to_async
def _join_and_share(team: Any) -> tuple[Any, Any, int]:
    from trees.actions import workshops as w

    workshop = w.workshop_create(user=team.owner, title="W")
    seat, made = w.workshop_join(workshop=workshop, user=None, display_name="Ada")
    assert made
    link = w.sharelink_create(tree=team.tree, user=team.owner, role="editor")
    w.sharelink_redeem(user=seat.user, token=link.token)
    return workshop, seat.user, seat.pk


async def test_a_member_by_share_link_removed_as_member_is_closed_with_4403(
    team: Any, connect: Any
) -> None:
    from trees.actions import member_remove

    _, ada, _ = await _join_and_share(team)
    ws = await connect(ada, team.tree_id, hello=True)
    await ws.ok(proposal())
    await database_sync_to_async(member_remove)(tree=team.tree, user_id=ada.pk)
    assert await ws.expect_close() == 4403


async def test_removing_a_participant_closes_their_open_socket_and_the_others_go_on(
    team: Any, connect: Any
) -> None:
    from trees.actions.workshops import participant_remove

    workshop, ada, seat_id = await _join_and_share(team)
    ws = await connect(ada, team.tree_id, hello=True)
    bob = await connect(team.bob, team.tree_id, hello=True)
    await ws.ok(proposal())
    await database_sync_to_async(participant_remove)(workshop=workshop, participant_id=seat_id)
    assert await ws.expect_close() == 4403
    await bob.ok(proposal())
    again = await connect(ada, team.tree_id)
    assert await again.expect_close() == 4403


async def test_revoking_a_share_link_leaves_the_member_it_made_connected(
    team: Any, connect: Any
) -> None:
    from trees.actions.workshops import sharelink_revoke
    from trees.models import ShareLink

    _, ada, _ = await _join_and_share(team)
    ws = await connect(ada, team.tree_id, hello=True)
    link = await database_sync_to_async(ShareLink.objects.get)(tree_id=team.tree_id)
    await database_sync_to_async(sharelink_revoke)(tree=team.tree, link_id=link.pk)
    await ws.ok(proposal())


async def test_someone_who_joined_a_workshop_as_ada_is_ada_in_welcome_and_presence(
    team: Any, connect: Any
) -> None:
    _, ada, _ = await _join_and_share(team)
    a = await connect(ada, team.tree_id, hello=True)
    assert a.messages[0]["user"]["name"] == "Ada"
    assert a.messages[0]["user"]["username"] == ada.username != "Ada"
    owner = await connect(team.owner, team.tree_id, hello=True)
    seen = await owner.expect("presence", conn=a.messages[0]["conn"])
    assert seen["user"] == {"id": ada.pk, "username": ada.username, "name": "Ada"}


@database_sync_to_async
def _group_tree(team: Any) -> int:
    """bob ("Bob Stone" as an account) joins alice's workshop as Robert, carol as Carol; one
    group, one game tree."""
    from trees.actions import workshops as w
    from trees.actions.workshop_groups import group_create, participant_move
    from trees.actions.workshop_rounds import exercise_create
    from trees.models import ExerciseTree

    team.bob.first_name, team.bob.last_name = "Bob", "Stone"
    team.bob.save()
    workshop = w.workshop_create(user=team.owner, title="W")
    group = group_create(workshop=workshop, name="One")
    for user, given in ((team.bob, "Robert"), (team.carol, "Carol")):
        seat, _ = w.workshop_join(workshop=workshop, user=user, display_name=given)
        participant_move(workshop=workshop, participant_id=seat.pk, group_id=group.pk)
    [game] = exercise_create(workshop=workshop, actor_id=team.owner.pk, template="game_tree")
    return int(ExerciseTree.objects.get(exercise=game).tree_id)


async def test_an_account_that_joined_under_another_name_is_that_name_in_the_workshops_tree_only(
    team: Any, connect: Any
) -> None:
    tree = await _group_tree(team)
    bob = await connect(team.bob, tree, hello=True)
    assert bob.messages[0]["user"] == {"id": team.bob.pk, "username": "bob", "name": "Robert"}
    carol = await connect(team.carol, tree, hello=True)
    seen = await carol.expect("presence", conn=bob.messages[0]["conn"])
    assert seen["user"] == {"id": team.bob.pk, "username": "bob", "name": "Robert"}
    # In a tree of no workshop he is his account.
    plain = await connect(team.bob, team.tree_id, hello=True)
    assert plain.messages[0]["user"]["name"] == "Bob Stone"


@database_sync_to_async
def _opening_with_queries(user: Any, tree_id: int) -> tuple[Any, int, Any]:
    """reads.opening's answer, how many queries it made, and what tree_role and people_in_tree
    answer apart (the rule it must keep)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from trees.realtime import reads
    from trees.selectors import people_in_tree, tree_role, user_ref

    with CaptureQueriesContext(connection) as queries:
        opened = reads.opening(user, tree_id)
    role = tree_role(user.pk, tree_id)
    apart = (role, people_in_tree(tree_id, [user])[user.pk] if role is not None else user_ref(user))
    return opened, len(queries), apart


async def test_a_socket_opening_a_tree_reads_its_users_role_and_seat_name_in_two_queries(
    team: Any,
) -> None:
    tree = await _group_tree(team)
    cases = [
        (team.bob, tree, ("editor", "Robert")),  # a group's seat, no membership
        (team.owner, tree, None),  # the facilitator
        (team.outsider, tree, (None, "mallory")),
        (team.bob, team.tree_id, ("editor", "Bob Stone")),  # a member, a tree of no workshop
        (team.viewer, team.tree_id, ("viewer", "victor")),
    ]
    for user, tree_id, expected in cases:
        opened, queries, apart = await _opening_with_queries(user, tree_id)
        assert opened == apart, (user.username, tree_id)
        if expected is not None:
            assert (opened[0], opened[1]["name"]) == expected
        assert queries == 2, (user.username, tree_id, queries)
