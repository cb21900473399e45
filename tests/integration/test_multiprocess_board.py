"""The facilitator board's presence across TWO daphne processes on PostgreSQL and Redis.

The participants' tree sockets are on one process and the board on the other (a load
balancer's choice): the board must count them all the same, see one leave at once, and forget
the ones of a process that died (it sent no leave) at its next presence refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import websockets

from tests.e2e.server import Server
from tests.e2e.wsclient import LiveClient
from tests.integration.test_multiprocess_support import cluster, needs_services
from trees.realtime.board_presence import ANSWER_WITHIN, REFRESH

pytestmark = [*needs_services, pytest.mark.timeout(180)]

SETUP = """
import json
from django.contrib.auth import get_user_model
from trees.actions.workshops import workshop_create, workshop_join
from trees.actions.workshop_groups import group_create, participant_move
from trees.actions.workshop_rounds import exercise_create
from trees.models import ExerciseTree
users = {u.username: u for u in get_user_model().objects.all()}
w = workshop_create(user=users["alice"], title="Two processes")
group = group_create(workshop=w, name="Group 1")
seats = {}
for name in ("bob", "carol"):
    seat, _ = workshop_join(workshop=w, user=users[name], display_name=name.title())
    participant_move(workshop=w, participant_id=seat.pk, group_id=group.pk)
    seats[name] = seat.pk
[ex] = exercise_create(workshop=w, actor_id=users["alice"].pk, template="game_tree")
tree = ExerciseTree.objects.get(exercise=ex).tree_id
print(json.dumps({"workshop": w.pk, "tree": tree, "seats": seats}))
"""


@pytest.fixture(scope="module")
def servers() -> Iterator[list[Server]]:
    with cluster(2) as started:
        yield started


class Board:
    """A facilitator's board socket; keeps the newest board."""

    def __init__(self, server: Server, workshop: int, cookie: str) -> None:
        self.url = f"{server.ws_base}/ws/workshops/{workshop}/board/"
        self.origin, self.cookie = server.base, cookie
        self.latest: dict[str, Any] | None = None
        self.changed = asyncio.Event()
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None

    async def open(self) -> None:
        self.ws = await websockets.connect(
            self.url, origin=self.origin, additional_headers={"Cookie": self.cookie}
        )
        await self.ws.send(json.dumps({"type": "hello"}))
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for raw in self.ws:
            message = json.loads(raw)
            if message.get("type") == "board":
                self.latest = message["board"]
                self.changed.set()

    async def where(self, check: Callable[[dict[str, Any]], bool], timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self.changed.clear()
            if self.latest is not None and check(self.latest):
                return
            left = deadline - loop.time()
            assert left > 0, f"no such board within {timeout} s: {self.latest}"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        if self.ws is not None:
            await self.ws.close()


def present(names: set[str]) -> Callable[[dict[str, Any]], bool]:
    """The board shows exactly `names` (display names) present."""

    def check(board: dict[str, Any]) -> bool:
        shown = {m["display_name"] for g in board["groups"] for m in g["members"] if m["present"]}
        return shown == names and board["present"] == len(names)

    return check


async def test_a_board_counts_the_people_on_the_other_process_and_forgets_a_dead_one(
    servers: list[Server],
) -> None:
    a, b = servers
    out = await asyncio.to_thread(a.manage, "shell", "-c", SETUP)
    made = json.loads(out.strip().splitlines()[-1])
    tree = made["tree"]
    b_cookies = {u: await asyncio.to_thread(b.session_cookie, u) for u in ("bob", "carol")}

    def on_b(user: str) -> LiveClient:
        return LiveClient(f"{b.ws_base}/ws/trees/{tree}/", b_cookies[user], b.base, name=user)

    bob, carol = on_b("bob"), on_b("carol")
    board = Board(a, made["workshop"], await asyncio.to_thread(a.session_cookie, "alice"))
    here = Board(b, made["workshop"], await asyncio.to_thread(b.session_cookie, "alice"))
    try:
        await bob.connect()  # before the board: the board's ask finds him
        await board.open()
        await board.where(present({"Bob"}), 20)
        await carol.connect()  # after: her own hello reaches the board's process
        await board.where(present({"Bob", "Carol"}), 20)
        # A board on the sockets' process says the same.
        await here.open()
        await here.where(present({"Bob", "Carol"}), 20)
        await carol.close()
        await board.where(present({"Bob"}), 20)
        await here.where(present({"Bob"}), 20)
        await here.close()
        # Process b dies without a word: its sockets sent no leave. The board forgets them at
        # its next refresh.
        b.kill()
        await board.where(present(set()), REFRESH + ANSWER_WITHIN + 15)
    finally:
        for client in (bob, carol):
            await client.close()
        for socket in (board, here):
            await socket.close()
    assert "Traceback" not in a.log(), a.log()[-3000:]
