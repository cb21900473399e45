"""The live facilitator board over its websocket: who may open it, that it follows edits of
every tree of the workshop (from the websocket and from REST), that a burst of edits makes a
few recomputes rather than one per edit, and that a replaced projector link closes the sockets
opened with the old key."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator

from tests.board_helpers import (
    BoardWorkshop,
    create_op,
    group_merged,
    make_board_workshop,
    own_problem_trees,
)
from tests.ws.wshelpers import ORIGIN, Ws, db_apply, disconnect_all, session_cookie

pytestmark = pytest.mark.django_db(transaction=True)

OpenBoard = Callable[..., Awaitable[Ws]]


@pytest.fixture
def ws(make_user: Any) -> BoardWorkshop:
    return make_board_workshop(make_user("fay"))


@pytest.fixture
async def open_board() -> AsyncIterator[OpenBoard]:
    from gametree.asgi import application

    opened: list[WebsocketCommunicator] = []

    async def open_socket(user: Any | None, workshop_id: int, key: str | None = None) -> Ws:
        headers = [(b"origin", ORIGIN)]
        if user is not None:
            headers.append((b"cookie", await session_cookie(user)))
        comm = WebsocketCommunicator(
            application, f"/ws/workshops/{workshop_id}/board/", headers=headers
        )
        opened.append(comm)
        connected, detail = await comm.connect(timeout=5)
        assert connected
        hello: dict[str, Any] = {"type": "hello"}
        if key is not None:
            hello["key"] = key
        await comm.send_json_to(hello)
        return Ws(comm, connected, detail)

    try:
        yield open_socket
    finally:
        await disconnect_all(opened)


async def board_where(
    board: Ws, check: Callable[[dict[str, Any]], bool], timeout: float = 30.0
) -> dict[str, Any]:
    """The first board message whose board passes `check`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        left = deadline - loop.time()
        assert left > 0, f"no such board within {timeout}s: {board.messages[-1:]}"
        message = await board.expect("board", timeout=left)
        if check(message["board"]):
            return dict(message["board"])


def proposals(board: dict[str, Any], group: int) -> int:
    return int(board["groups"][group]["totals"]["proposals"])


async def test_the_facilitator_board_follows_edits_made_over_the_tree_sockets(
    ws: BoardWorkshop, open_board: OpenBoard, connect: Any
) -> None:
    board = await open_board(ws.facilitator, ws.id)
    first = await board_where(board, lambda b: True)
    assert proposals(first, 0) == 0 and first["projector"] is False
    editor = await connect(ws.people[0][0], ws.trees[0].pk, hello=True)
    await editor.ok(create_op("proposal", None, "Imitate a careful human"))
    seen = await board_where(board, lambda b: proposals(b, 0) == 1)
    assert proposals(seen, 1) == 0
    # The editor has the tree open: present at once.
    assert seen["groups"][0]["members"][0]["present"] is True


async def test_the_board_follows_edits_made_over_rest_too(
    ws: BoardWorkshop, open_board: OpenBoard
) -> None:
    board = await open_board(ws.facilitator, ws.id)
    await board_where(board, lambda b: True)
    await db_apply(ws.trees[1].pk, ws.people[1][0].pk, create_op("proposal", None, "Debate"))
    await board_where(board, lambda b: proposals(b, 1) == 1)


async def test_a_burst_of_edits_makes_a_few_recomputes_not_one_per_edit(
    ws: BoardWorkshop, open_board: OpenBoard, connect: Any
) -> None:
    from trees.realtime.board import hub_for

    board = await open_board(ws.facilitator, ws.id)
    await board_where(board, lambda b: True)
    before = hub_for(ws.id).recomputes
    editor = await connect(ws.people[0][0], ws.trees[0].pk, hello=True)
    for i in range(30):
        reply = await editor.op(create_op("proposal", None, f"Proposal {i}"))
        assert reply["type"] == "ack"
    await board_where(board, lambda b: proposals(b, 0) == 30)
    made = hub_for(ws.id).recomputes - before
    assert 1 <= made < 15, made


async def test_after_a_merge_the_live_board_counts_the_merged_tree_and_follows_its_edits(
    make_user: Any, open_board: OpenBoard
) -> None:
    # Group 1's own trees (1 and 2 problems) are merged into its tree of 2 problems: the
    # board's total is the merged tree's, not 1 + 2 + 2, and a problem added there counts.
    def setup() -> tuple[BoardWorkshop, Any]:
        ws = make_board_workshop(make_user("fay"), groups=1, kind="problem")
        own = own_problem_trees(ws, 0, [["Reward hacking"], ["Reward hacking", "Deception"]])
        return ws, group_merged(ws, 0, own)

    ws, merged = await database_sync_to_async(setup)()

    def problems(b: dict[str, Any]) -> int:
        return int(b["groups"][0]["totals"]["problems"])

    board = await open_board(ws.facilitator, ws.id)
    first = await board_where(board, lambda b: True)
    counted = {t["id"]: t["counted"] for t in first["groups"][0]["trees"]}
    assert counted[merged.pk] is True and list(counted.values()).count(True) == 1
    assert problems(first) == 2
    top = await database_sync_to_async(
        lambda: str(merged.nodes.get(parent_id=None, deleted=False).pk)
    )()
    await db_apply(merged.pk, ws.people[0][0].pk, create_op("problem", top, "Power seeking"))
    await board_where(board, lambda b: problems(b) == 3)


async def test_a_participant_and_an_outsider_are_closed_with_4403(
    ws: BoardWorkshop, open_board: OpenBoard, make_user: Any
) -> None:
    participant = await open_board(ws.people[0][0], ws.id)
    assert await participant.expect_close() == 4403
    mallory = await database_sync_to_async(make_user)("mallory")
    outsider = await open_board(mallory, ws.id)
    assert await outsider.expect_close() == 4403
    nobody = await open_board(None, ws.id)
    assert await nobody.expect_close() == 4403
    wrong_key = await open_board(None, ws.id, key="not-the-key")
    assert await wrong_key.expect_close() == 4403


async def test_the_projector_key_opens_a_read_only_board_until_the_link_is_replaced(
    ws: BoardWorkshop, open_board: OpenBoard
) -> None:
    from trees.actions.board import board_link_create
    from trees.models import Workshop

    workshop = await database_sync_to_async(Workshop.objects.get)(pk=ws.id)
    key, _ = await database_sync_to_async(board_link_create)(workshop=workshop)
    projector = await open_board(None, ws.id, key=key)
    shown = await board_where(projector, lambda b: True)
    assert shown["projector"] is True
    assert all(t["id"] is None for g in shown["groups"] for t in g["trees"])
    await projector.send({"type": "op", "n": 1, "op": create_op("proposal", None)})
    refused = await projector.expect("error")
    assert refused["code"] == "invalid"
    facilitator = await open_board(ws.facilitator, ws.id)
    await board_where(facilitator, lambda b: True)
    await database_sync_to_async(board_link_create)(workshop=workshop)
    assert await projector.expect_close() == 4403
    # the facilitator's own board stays open
    await db_apply(ws.trees[0].pk, ws.people[0][0].pk, create_op("proposal", None, "Still live"))
    await board_where(facilitator, lambda b: proposals(b, 0) == 1)


async def test_a_tag_given_just_after_another_edit_still_reaches_the_ranking(
    ws: BoardWorkshop, open_board: OpenBoard
) -> None:
    board = await open_board(ws.facilitator, ws.id)
    await board_where(board, lambda b: True)
    prop = create_op("proposal", None, "Imitate")
    await db_apply(ws.trees[0].pk, ws.people[0][0].pk, prop, n=1)
    # the ranking was just computed for this edit; the tag comes within its interval
    await board_where(board, lambda b: proposals(b, 0) == 1)
    crit = create_op("critique", prop["id"], "It pleases the rater", ["reward-hacking"])
    await db_apply(ws.trees[0].pk, ws.people[0][0].pk, crit, n=2)

    def ranked(b: dict[str, Any]) -> bool:
        items = b["exercises"][0]["ranking"]["items"]
        return bool(items) and items[0]["tag"] == "reward-hacking"

    await board_where(board, ranked)


async def presence_news(sock: Ws, timeout: float) -> list[dict[str, Any]]:
    """The presence messages a tree socket's client gets within `timeout`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    out = []
    while (left := deadline - loop.time()) > 0:
        if await sock.comm.receive_nothing(min(left, 0.05)):
            continue
        message = await sock.recv()
        if message.get("type") in ("presence", "presence_leave"):
            out.append(message)
    return out


async def test_board_presence_learns_who_was_there_before_it_and_who_leaves(
    ws: BoardWorkshop, connect: Any
) -> None:
    """The tree sockets' presence over the channel layer (what reaches a board in another
    process): an ask is answered by the sockets already open, a leave forgets one."""
    from trees.realtime.board_presence import BoardPresence

    changed = asyncio.Event()
    first, second = ws.people[0][0], ws.people[0][1]
    early = await connect(first, ws.trees[0].pk, hello=True)
    presence = BoardPresence(changed.set)
    try:
        await presence.follow(ws.trees[0].pk)
        await asyncio.wait_for(changed.wait(), 10)
        assert presence.users() == {first.pk}
        # The ask showed nobody new to the sockets' clients.
        assert await presence_news(early, 0.3) == []
        changed.clear()
        late = await connect(second, ws.trees[0].pk, hello=True)
        await asyncio.wait_for(changed.wait(), 10)
        assert presence.users() == {first.pk, second.pk}
        changed.clear()
        await late.comm.disconnect()
        await asyncio.wait_for(changed.wait(), 10)
        assert presence.users() == {first.pk}
        # Unfollowing a tree forgets its sockets.
        await presence.unfollow(ws.trees[0].pk)
        assert presence.users() == set()
    finally:
        await presence.close()


async def test_the_live_board_comes_to_rank_untagged_critiques_read_as_the_analysis_board_does(
    ws: BoardWorkshop, open_board: OpenBoard
) -> None:
    # The full ranking is computed off the board's computation: the counts come at once, the
    # cluster of untagged critiques (read by the critique reader) when it is done.
    board = await open_board(ws.facilitator, ws.id)
    await board_where(board, lambda b: True)
    texts = (
        "Grade it by how many tickets it closes and it will close tickets, solved or not.",
        "If the score is clicks, it will find the cheapest way to get clicks.",
    )
    n = 0
    for text in texts:
        prop = create_op("proposal", None, "An idea")
        await db_apply(ws.trees[0].pk, ws.people[0][0].pk, prop, n=(n := n + 1))
        crit = create_op("critique", prop["id"], text)
        await db_apply(ws.trees[0].pk, ws.people[0][0].pk, crit, n=(n := n + 1))

    def clustered(b: dict[str, Any]) -> bool:
        ranking = b["exercises"][0]["ranking"]
        items = ranking["items"]
        return ranking["clusters"] and bool(items) and items[0].get("suggested_tag") is not None

    found = await board_where(board, clustered)
    first = found["exercises"][0]["ranking"]["items"][0]
    assert first["kind"] == "cluster" and first["family"]["id"] == "gaming"
    assert {m["mode"] for m in first["members"]} == {"proxy-gaming"}
