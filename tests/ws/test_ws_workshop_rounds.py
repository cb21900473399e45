"""Workshop live: the workshop socket carries round, timer and group events; a group edits its
tree live through the workshop's rule; a participant removed or moved to another group is
closed out of the trees they lose at once, and out of the workshop socket."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.ws.wshelpers import ORIGIN, Ws, disconnect_all, new_id, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

OpenWorkshop = Callable[[Any, int], Awaitable[Ws]]


@pytest.fixture
async def open_workshop() -> AsyncIterator[OpenWorkshop]:
    from gametree.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def open_socket(user: Any, workshop_id: int) -> Ws:
        headers = [(b"origin", ORIGIN), (b"cookie", await session_cookie(user))]
        comm = WebsocketCommunicator(application, f"/ws/workshops/{workshop_id}/", headers=headers)
        opened.append(comm)
        connected, detail = await comm.connect(timeout=5)
        return Ws(comm, connected, detail)

    try:
        yield open_socket
    finally:
        await disconnect_all(opened)


@database_sync_to_async
def _room(team: Any) -> dict[str, Any]:
    """alice facilitates; bob and carol are group 1, victor group 2; a game tree each."""
    from trees.actions import workshops as w
    from trees.actions.workshop_groups import group_create, participant_move
    from trees.actions.workshop_rounds import exercise_create
    from trees.models import ExerciseTree

    workshop = w.workshop_create(user=team.owner, title="Live")
    seats = {}
    for user in (team.bob, team.carol, team.viewer):
        seats[user.username], _ = w.workshop_join(
            workshop=workshop, user=user, display_name=user.username
        )
    one = group_create(workshop=workshop, name="One")
    two = group_create(workshop=workshop, name="Two")
    for name, group in (("bob", one), ("carol", one), ("victor", two)):
        participant_move(workshop=workshop, participant_id=seats[name].pk, group_id=group.pk)
    [game] = exercise_create(workshop=workshop, actor_id=team.owner.pk, template="game_tree")
    trees = {link.group_id: link.tree_id for link in ExerciseTree.objects.filter(exercise=game)}
    return {
        "workshop": workshop,
        "seats": {k: v.pk for k, v in seats.items()},
        "groups": {"one": one.pk, "two": two.pk},
        "tree_one": trees[one.pk],
        "tree_two": trees[two.pk],
        "round": game.rounds.get().pk,
    }


def proposal() -> dict[str, Any]:
    return {"kind": "create", "id": new_id(), "type": "proposal", "parent": None}


async def _until(ws: Ws, kind: str) -> dict[str, Any]:
    while True:
        message = await ws.recv()
        if message.get("type") == kind:
            return message


async def test_a_group_edits_its_game_tree_live_and_another_group_cannot_open_it(
    team: Any, connect: Any
) -> None:
    room = await _room(team)
    bob = await connect(team.bob, room["tree_one"], hello=True)
    carol = await connect(team.carol, room["tree_one"], hello=True)
    await bob.ok(proposal())
    await carol.ok(proposal())
    victor = await connect(team.viewer, room["tree_one"])
    assert await victor.expect_close() == 4403
    facilitator = await connect(team.owner, room["tree_one"], hello=True)
    nack = await facilitator.op(proposal())
    assert nack["type"] == "nack" and nack["code"] == "forbidden"


async def test_a_removed_participants_open_sockets_are_closed_at_once(
    team: Any, connect: Any, open_workshop: OpenWorkshop
) -> None:
    from trees.actions.workshops import participant_remove

    room = await _room(team)
    bob_tree = await connect(team.bob, room["tree_one"], hello=True)
    bob_live = await open_workshop(team.bob, room["workshop"].pk)
    assert (await bob_live.recv())["type"] == "welcome"
    carol = await connect(team.carol, room["tree_one"], hello=True)
    await bob_tree.ok(proposal())
    await database_sync_to_async(participant_remove)(
        workshop=room["workshop"], participant_id=room["seats"]["bob"]
    )
    assert await bob_tree.expect_close() == 4403
    assert await bob_live.expect_close() == 4403
    await carol.ok(proposal())
    again = await connect(team.bob, room["tree_one"])
    assert await again.expect_close() == 4403
    live_again = await open_workshop(team.bob, room["workshop"].pk)
    assert await live_again.expect_close() == 4403


async def test_moving_a_participant_to_another_group_closes_their_socket_on_the_old_tree(
    team: Any, connect: Any
) -> None:
    from trees.actions.workshop_groups import participant_move

    room = await _room(team)
    bob = await connect(team.bob, room["tree_one"], hello=True)
    await database_sync_to_async(participant_move)(
        workshop=room["workshop"],
        participant_id=room["seats"]["bob"],
        group_id=room["groups"]["two"],
    )
    assert await bob.expect_close() == 4403
    moved = await connect(team.bob, room["tree_two"], hello=True)
    await moved.ok(proposal())


async def test_the_workshop_socket_tells_everyone_in_it_when_a_round_starts_and_its_end_time(
    team: Any, open_workshop: OpenWorkshop
) -> None:
    from trees.actions.workshop_rounds import round_extend, round_start

    room = await _room(team)
    carol = await open_workshop(team.carol, room["workshop"].pk)
    welcome = await carol.recv()
    assert welcome["type"] == "welcome" and welcome["role"] == "participant"
    assert welcome["participant"] == room["seats"]["carol"]
    await carol.send({"type": "ping"})
    assert (await carol.recv())["type"] == "pong"
    await database_sync_to_async(round_start)(
        workshop=room["workshop"], round_id=room["round"], actor_id=team.owner.pk
    )
    started = await _until(carol, "round")
    assert started["event"] == "started" and started["round"]["state"] == "running"
    assert started["round"]["ends_at"] and started["server_time"]
    await database_sync_to_async(round_extend)(
        workshop=room["workshop"], round_id=room["round"], seconds=120
    )
    extended = await _until(carol, "round")
    assert extended["event"] == "extended"
    assert extended["round"]["ends_at"] > started["round"]["ends_at"]


async def test_facilitator_only_events_do_not_reach_participants_and_outsiders_are_refused(
    team: Any, open_workshop: OpenWorkshop
) -> None:
    from trees.realtime.broadcast import broadcast_workshop

    room = await _room(team)
    wid = room["workshop"].pk
    alice = await open_workshop(team.owner, wid)
    carol = await open_workshop(team.carol, wid)
    assert (await alice.recv())["role"] == "facilitator"
    assert (await carol.recv())["role"] == "participant"
    send = database_sync_to_async(broadcast_workshop)
    await send(wid, {"type": "board", "n": 1}, audience="facilitators")
    await send(wid, {"type": "groups"})
    assert (await alice.recv())["type"] == "board"
    assert (await alice.recv())["type"] == "groups"
    assert (await carol.recv())["type"] == "groups"  # the board event never came
    outsider = await open_workshop(team.outsider, wid)
    assert await outsider.expect_close() == 4403
