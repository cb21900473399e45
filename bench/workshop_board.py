#!/usr/bin/env python3
"""The live facilitator board under a 40-person workshop: how long after an edit is committed
does the facilitator's board show it, and what does the board cost the server.

A workshop of 40 participants in 13 groups (one of 4, twelve of 3), one game-tree exercise
with a tree per group, seeded with proposals and tagged critiques. Every participant has their
group's tree open over a websocket (one daphne process, production settings). Half of them
type (a whole-text write of the node they are writing every 200-400 ms, as the client sends
keystrokes), the other half restructure (a new proposal, or a critique with a failure-mode tag
under one, every 2-5 s). The run has two phases of equal length, side by side:

1. the same load with no board open (the baseline: live-edit ack latency and server CPU);
2. the same load with the facilitator's board open on ws/workshops/<id>/board/.

Board delay = the time from an op's ack at its client (the commit) to the first `board`
message whose `versions` show that op's tree at or past the op's seq. All clients run in this
one process, so both times are on one clock. Printed: board delay p50/p99, the live ack
p50/p99 of both phases and their ratio (the board must not slow live editing), the server's
CPU in both phases (daphne and its children: the board computes in a child process) and their
ratio, the board messages received, and the load average. Measuring starts once the board has
answered (its compute process takes a few seconds to start).
Target (issue 15): the board reflects an edit within 1 s at p99.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from _harness import (  # noqa: E402
    LoadSampler,
    cpu_seconds,
    machine,
    production_env,
    summary,
)

from tests.e2e.server import running_server  # noqa: E402

TARGET_P99_MS = 1000.0
PARTICIPANTS = 40
GROUPS = 13
TAGS = ["reward-hacking", "distribution-shift", "deception", "scalable-oversight", "goodhart"]

SETUP = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from trees.actions import tree_apply_op, tree_create
from trees.actions.workshops import workshop_create, workshop_join
from trees.models import Exercise, ExerciseTree, Membership, Round, WorkshopGroup
spec = json.loads({spec!r})
User = get_user_model()
fac = User.objects.create(username="facilitator", password="!")
people = [User.objects.create(username=f"p{{i}}", password="!") for i in range(spec["people"])]
workshop = workshop_create(user=fac, title="Bench workshop")
exercise = Exercise.objects.create(workshop=workshop, kind="game_tree", title="Game tree")
round_ = Round.objects.create(exercise=exercise, number=1, mode="group")
store = import_module(settings.SESSION_ENGINE).SessionStore
def cookie(user):
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return "sessionid=" + session.session_key
groups = []
n = 0
for g, size in enumerate(spec["sizes"]):
    group = WorkshopGroup.objects.create(workshop=workshop, name=f"Group {{g + 1}}", position=g)
    members = people[n:n + size]
    n += size
    for user in members:
        seat, _ = workshop_join(workshop=workshop, user=user, display_name=user.username)
        seat.group = group
        seat.save(update_fields=["group"])
    tree = tree_create(owner_id=members[0].pk, kind="game", title=f"Group {{g + 1}}")
    Membership.objects.bulk_create(
        [Membership(tree=tree, user=u, role="editor") for u in members[1:]]
    )
    Membership.objects.create(tree=tree, user=fac, role="viewer")
    ExerciseTree.objects.create(
        exercise=exercise, round=round_, tree=tree, group=group, kind="group"
    )
    proposals = []
    for k, (p, c) in enumerate(spec["seed"]):
        pid = spec["ids"][g][k]
        tag = spec["tags"][(g + k) % len(spec["tags"])]
        tree_apply_op(
            tree_id=tree.pk, actor_id=members[0].pk, client_id="seed", n=2 * k + 1,
            op={{"kind": "create", "id": pid, "type": "proposal", "parent": None, "text": p}},
        )
        tree_apply_op(
            tree_id=tree.pk, actor_id=members[-1].pk, client_id="seed", n=2 * k + 2,
            op={{"kind": "create", "id": spec["ids"][g][k + 10], "type": "critique",
                "parent": pid, "text": c, "tags": [tag]}},
        )
        proposals.append(pid)
    groups.append({{"tree": tree.pk, "members": [(u.username, cookie(u)) for u in members],
                    "proposals": proposals}})
made = {{"workshop": workshop.pk, "facilitator": cookie(fac), "groups": groups}}
print("WORKSHOP " + json.dumps(made))
"""

SEED = [
    ("Imitate a careful human", "It learns to please the rater"),
    ("Debate between two copies", "Debaters learn to persuade, not to be right"),
    ("Interpretability audits", "Audits miss what they were not built to see"),
]


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children (the board's compute process)."""
    total = cpu_seconds(pid)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            total += cpu_seconds(int(stat.parent.name))
    return total


def group_sizes(people: int, groups: int) -> list[int]:
    base, extra = divmod(people, groups)
    return [base + (1 if i < extra else 0) for i in range(groups)]


def setup(server: Any, people: int, groups: int) -> dict[str, Any]:
    sizes = group_sizes(people, groups)
    ids = [[str(uuid.uuid4()) for _ in range(20)] for _ in sizes]
    spec = json.dumps({"people": people, "sizes": sizes, "seed": SEED, "ids": ids, "tags": TAGS})
    out = server.manage("shell", "-c", SETUP.format(spec=spec))
    line = next(x for x in out.splitlines() if x.startswith("WORKSHOP "))
    return dict(json.loads(line.split(" ", 1)[1]))


class Participant:
    """One participant's socket on their group's tree, typing or restructuring."""

    def __init__(
        self, url: str, origin: str, cookie: str, typist: bool, proposals: list[str]
    ) -> None:
        self.url, self.origin, self.cookie = url, origin, cookie
        self.typist = typist
        self.proposals = list(proposals)
        self.client_id = f"bench-{uuid.uuid4().hex[:10]}"
        self.n = 0
        self.ws: Any = None
        self.waiting: dict[int, tuple[float, asyncio.Future[dict[str, Any]]]] = {}
        self.tree = int(url.rstrip("/").rsplit("/", 1)[1])
        # (ack time, tree, seq) of every acked op, and submit -> ack times, per phase
        self.acked: list[tuple[float, int, int]] = []
        self.ack_latency: list[float] = []

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": self.cookie},
            max_size=None,  # type: ignore[arg-type]
        )
        await self.ws.send(
            json.dumps({"type": "hello", "client_id": self.client_id, "since": None})
        )
        while True:
            message = json.loads(await self.ws.recv())
            if message.get("type") == "snapshot":
                break
        asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                message = json.loads(raw)
                if message.get("type") in ("ack", "nack"):
                    found = self.waiting.pop(message.get("n"), None)
                    if found is not None and not found[1].done():
                        found[1].set_result(message)
        except websockets.ConnectionClosed:
            pass

    async def submit(self, op: dict[str, Any]) -> None:
        self.n += 1
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        sent = time.monotonic()
        self.waiting[self.n] = (sent, future)
        await self.ws.send(json.dumps({"type": "op", "n": self.n, "op": op}))
        reply = await asyncio.wait_for(future, 30)
        now = time.monotonic()
        if reply["type"] == "ack":
            self.acked.append((now, self.tree, int(reply["seq"])))
            self.ack_latency.append(now - sent)

    async def run(self, stop: asyncio.Event, rng: random.Random) -> None:
        node, text = None, ""
        while not stop.is_set():
            if self.typist:
                if node is None or len(text) > 120:
                    node, text = str(uuid.uuid4()), ""
                    parent = rng.choice(self.proposals)
                    await self.submit(
                        {"kind": "create", "id": node, "type": "critique", "parent": parent}
                    )
                text += rng.choice("abcdefghijklmnopqrstuvwxyz     ")
                await self.submit({"kind": "set", "id": node, "field": "text", "value": text})
                await asyncio.sleep(rng.uniform(0.2, 0.4))
            else:
                if rng.random() < 0.4:
                    pid = str(uuid.uuid4())
                    await self.submit(
                        {
                            "kind": "create",
                            "id": pid,
                            "type": "proposal",
                            "parent": None,
                            "text": "A new idea",
                        }
                    )
                    self.proposals.append(pid)
                else:
                    await self.submit(
                        {
                            "kind": "create",
                            "id": str(uuid.uuid4()),
                            "type": "critique",
                            "parent": rng.choice(self.proposals),
                            "text": "It fails when...",
                            "tags": [rng.choice(TAGS)],
                        }
                    )
                await asyncio.sleep(rng.uniform(2.0, 5.0))

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()


class Board:
    """The facilitator's board socket: every board message with its arrival time."""

    def __init__(self, url: str, origin: str, cookie: str) -> None:
        self.url, self.origin, self.cookie = url, origin, cookie
        self.seen: list[tuple[float, dict[str, int]]] = []
        self.ws: Any = None

    async def connect(self) -> None:
        self.ws = await websockets.connect(
            self.url,
            origin=self.origin,
            additional_headers={"Cookie": self.cookie},
            max_size=None,  # type: ignore[arg-type]
        )
        await self.ws.send(json.dumps({"type": "hello"}))
        asyncio.get_running_loop().create_task(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.monotonic()
                message = json.loads(raw)
                if message.get("type") == "board":
                    versions = {int(k): int(v) for k, v in message["board"]["versions"].items()}
                    self.seen.append((now, versions))
        except websockets.ConnectionClosed:
            pass

    def delays(self, acked: list[tuple[float, int, int]]) -> tuple[list[float], int]:
        """Per acked op, ack -> first board showing it; and how many no board showed."""
        out: list[float] = []
        missing = 0
        for at, tree, seq in acked:
            for when, versions in self.seen:
                if versions.get(tree, 0) >= seq and when >= at - 5.0:
                    out.append(max(0.0, when - at))
                    break
            else:
                missing += 1
        return out, missing


async def phase(
    made: dict[str, Any], server: Any, seconds: float, with_board: bool, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    origin = server.base
    people: list[Participant] = []
    for group in made["groups"]:
        for i, (_, cookie) in enumerate(group["members"]):
            url = f"{server.ws_base}/ws/trees/{group['tree']}/"
            people.append(
                Participant(url, origin, cookie, typist=i % 2 == 0, proposals=group["proposals"])
            )
    board = None
    if with_board:
        board = Board(
            f"{server.ws_base}/ws/workshops/{made['workshop']}/board/", origin, made["facilitator"]
        )
        await board.connect()
    for p in people:
        await p.connect()
    stop = asyncio.Event()
    tasks = [asyncio.create_task(p.run(stop, random.Random(rng.random()))) for p in people]
    await asyncio.sleep(3.0)  # warm up: every socket busy
    if board is not None:  # and the board's compute process up and answering
        while len(board.seen) < 3:
            await asyncio.sleep(0.2)
        await asyncio.sleep(2.0)
    for p in people:
        p.acked.clear()
        p.ack_latency.clear()
    assert server.pid is not None
    cpu0, wall0 = tree_cpu_seconds(server.pid), time.monotonic()
    await asyncio.sleep(seconds)
    cpu1, wall1 = tree_cpu_seconds(server.pid), time.monotonic()
    stop.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    await asyncio.sleep(1.5)  # the last board after the last edit
    acked = [a for p in people for a in p.acked]
    out: dict[str, Any] = {
        "ops": len(acked),
        "ack": summary([x for p in people for x in p.ack_latency]),
        "cpu_share": (cpu1 - cpu0) / (wall1 - wall0),
        "ops_per_s": len(acked) / (wall1 - wall0),
    }
    if board is not None:
        delays, missing = board.delays(acked)
        out.update(board=summary(delays), missing=missing, board_messages=len(board.seen))
        await board.ws.close()
    for p in people:
        await p.close()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40.0, help="measured seconds per phase")
    parser.add_argument("--people", type=int, default=PARTICIPANTS)
    parser.add_argument("--groups", type=int, default=GROUPS)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (default: SQLite)")
    parser.add_argument("--redis-url", default=None, help="Redis URL (default: in-memory layer)")
    args = parser.parse_args()
    print(machine())
    with running_server(args.database_url, args.redis_url, extra_env=production_env()) as server:
        made = setup(server, args.people, args.groups)
        with LoadSampler() as load:
            base = asyncio.run(phase(made, server, args.seconds, False, 1))
            live = asyncio.run(phase(made, server, args.seconds, True, 2))
        print(
            f"{args.people} participants in {args.groups} groups, {args.seconds:.0f} s per phase; "
            f"one daphne, {'PostgreSQL' if args.database_url else 'SQLite'}, "
            f"{'Redis' if args.redis_url else 'in-memory layer'}"
        )
        for name, got in (("no board", base), ("board open", live)):
            print(
                f"{name:>10}: {got['ops']} ops ({got['ops_per_s']:.1f}/s), live ack p50 "
                f"{got['ack']['p50_ms']:.1f} ms p99 {got['ack']['p99_ms']:.1f} ms, "
                f"server CPU {100 * got['cpu_share']:.1f}% of a core"
            )
        b = live["board"]
        print(
            f"board delay (commit -> board message): p50 {b['p50_ms']:.0f} ms, p99 "
            f"{b['p99_ms']:.0f} ms, max {b['max_ms']:.0f} ms over {b['n']} ops "
            f"({live['missing']} never shown); {live['board_messages']} board messages"
        )
        print(
            f"ratios board open / no board: live ack p50 "
            f"{live['ack']['p50_ms'] / max(base['ack']['p50_ms'], 1e-6):.2f}x, p99 "
            f"{live['ack']['p99_ms'] / max(base['ack']['p99_ms'], 1e-6):.2f}x, server CPU "
            f"{live['cpu_share'] / max(base['cpu_share'], 1e-6):.2f}x"
        )
        print(load.text())
    ok = b["p99_ms"] <= TARGET_P99_MS and live["missing"] == 0
    print(f"target board p99 <= {TARGET_P99_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
