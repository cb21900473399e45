#!/usr/bin/env python3
"""Shared code of the benches that time live editing (next to bench/_harness.py, which it uses,
so that neither passes ~600 lines):

- `open_tree_socket()`: a member's socket on a tree, signed in like the web client and past
  its snapshot;
- `LiveRoom` / `measure_gametree()`: the live round trip of bench/live_latency.py: Alice sends
  ops one at a time on a fresh tree that Bob and Carol have open; a sample is the time from her
  send to its receipt at one of their sockets;
- `idle_then_busy()`: the phase runner of the benches that ask whether other work slows live
  editing: the samples with nothing else running, then while the work runs;
- `database_arguments()` / `each_setup()` / `one_server()`: the command line's `--databases`,
  running a measurement for each database and mode of a bench (one fresh server after the
  other), and such a server with its users;
- `store_problem_trees()`: problem trees of bench/analysis_speed.py's generator, stored through
  the import action (what the merge benches merge);
- `workers_settled()`: the wait for the warm-up of a server's worker processes of some pools
  (merges, Analysis: `Server.pool_workers`) to end (bench/merge_first.py,
  bench/analysis_first.py);
- `new_over_old()`, `load_range()`, `end_load_line()`: lines of their reports.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import websockets
from _harness import PG_URL, REDIS_URL, ROOT, LoadSampler, cpu_seconds

from tests.e2e.server import Server, running_servers  # (_harness put the project on sys.path)

T = TypeVar("T")

# -- the live round trip ---------------------------------------------------------------------


async def open_tree_socket(
    server: Server, tree_id: int, user: str, client: str = "bench", **connect: Any
) -> Any:
    """`user`'s socket on `tree_id` (signed in with a session, like the web client), once its
    snapshot has come; `connect`: further options of `websockets.connect`."""
    cookie = await asyncio.to_thread(server.session_cookie, user)
    ws = await websockets.connect(
        f"{server.ws_base}/ws/trees/{tree_id}/",
        origin=server.base,  # type: ignore[arg-type]
        additional_headers={"Cookie": cookie},
        ping_interval=None,
        compression=None,
        **connect,
    )
    await ws.send(json.dumps({"type": "hello", "client_id": f"{client}-{user}", "since": None}))
    while json.loads(await ws.recv())["type"] != "snapshot":
        pass
    return ws


def operations(count: int) -> list[dict[str, Any]]:
    """A realistic mix: creates, text edits and reorders of top-level proposals."""
    ids: list[str] = []
    ops: list[dict[str, Any]] = []
    for i in range(count):
        if not ids or i % 10 < 3:
            node = str(uuid.uuid4())
            ids.append(node)
            ops.append({"kind": "create", "id": node, "type": "proposal", "parent": None})
        elif i % 10 < 9:
            target = ids[i % len(ids)]
            ops.append({"kind": "set", "id": target, "field": "text", "value": f"edit {i}"})
        else:
            ops.append({"kind": "move", "id": ids[i % len(ids)], "parent": None})
    return ops


class LiveRoom:
    """Alice sends ops on a fresh game tree that Bob and Carol have open, one at a time: the
    next after her ack and both receipts. With two servers Alice is on the first and the
    receivers on the second (through Redis) and the first (local): every op crosses processes
    for one of the two. `timeout`: how long the receipts may take after the ack."""

    def __init__(self, servers: list[Server], timeout: float = 10) -> None:
        self.servers = servers
        self.timeout = timeout
        self.n = 0
        self._sent = 0.0
        self._took: list[float] = []
        self._left = 0
        self._both = asyncio.Event()

    async def __aenter__(self) -> LiveRoom:
        servers = self.servers
        tree_id = await asyncio.to_thread(servers[0].make_tree, "alice", ["bob", "carol"])
        self.sender = await open_tree_socket(servers[0], tree_id, "alice")
        self.receivers = [
            await open_tree_socket(servers[(i + 1) % len(servers)], tree_id, user)
            for i, user in enumerate(("bob", "carol"))
        ]
        # Read all the time, so that a receipt is stamped as it arrives.
        self._readers = [asyncio.create_task(self._receive(ws)) for ws in self.receivers]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._readers:
            task.cancel()
        for ws in (self.sender, *self.receivers):
            await ws.close()

    async def _receive(self, ws: Any) -> None:
        async for raw in ws:
            now = time.perf_counter()
            message = json.loads(raw)
            if message.get("type") != "op" or message["n"] != self.n:
                continue
            self._took.append(now - self._sent)
            self._left -= 1
            if self._left == 0:
                self._both.set()

    async def send(self, op: dict[str, Any]) -> list[float]:
        """Send `op`; once it is acked and both others have it, the seconds to each receipt."""
        self.n += 1
        n = self.n
        self._both.clear()
        self._took, self._left = [], 2
        self._sent = time.perf_counter()
        await self.sender.send(json.dumps({"type": "op", "n": n, "op": op}))
        while True:
            reply = json.loads(await self.sender.recv())
            if reply.get("type") == "ack" and reply["n"] == n:
                break
            if reply.get("type") == "nack":
                raise RuntimeError(f"op {n} refused: {reply}")
        await asyncio.wait_for(self._both.wait(), self.timeout)
        return self._took


async def measure_gametree(
    servers: list[Server], count: int, warmup: int, cpu: list[float] | None = None
) -> list[float]:
    """The samples of `count` ops of `operations()` after `warmup` unmeasured ones, in a fresh
    `LiveRoom`. `cpu` gets the servers' CPU seconds over the measured ops (sign-ins and
    warm-up left out)."""
    samples: list[float] = []
    async with LiveRoom(servers) as room:
        for n, op in enumerate(operations(count + warmup), start=1):
            if n == warmup + 1:
                cpu_start = sum(cpu_seconds(s.pid) for s in servers if s.pid)
            took = await room.send(op)
            if n > warmup:
                samples += took
        if cpu is not None:
            cpu.append(sum(cpu_seconds(s.pid) for s in servers if s.pid) - cpu_start)
    return samples


# -- live editing beside other work ----------------------------------------------------------


@dataclass
class Phase:
    samples: list[float]
    load: float  # the 1-min load average at the phase's end


async def idle_then_busy(
    sample: Callable[[asyncio.Future[T] | None], Awaitable[list[float]]],
    work: Callable[[], Awaitable[T]],
    running: Callable[[], Awaitable[object]] | None = None,
    stop: asyncio.Event | None = None,
) -> tuple[Phase, Phase, T]:
    """Two phases side by side: the live samples with nothing else running (`sample(None)`),
    then with `work` started (`sample(its future)`, once `running()` has returned); then `stop`
    is set (for work that runs until told) and `work` waited for. The phases, and what `work`
    returned."""
    idle = Phase(await sample(None), os.getloadavg()[0])
    task = asyncio.ensure_future(work())
    if running is not None:
        await running()
    samples = await sample(task)
    if stop is not None:
        stop.set()
    result = await task
    return idle, Phase(samples, os.getloadavg()[0]), result


def database_arguments(
    parser: argparse.ArgumentParser, default: str, help_text: str, redis: bool = False
) -> None:
    """`--databases` (`default`, described by `help_text`), the PostgreSQL server its `postgres`
    runs make a fresh database on and, with `redis`, the Redis they use (without it they keep
    the in-memory channel layer)."""
    parser.add_argument("--databases", default=default, help=help_text)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("PG_TEST_URL", PG_URL),
        help="PostgreSQL server to make a fresh database on (PG_TEST_URL, else the harness's)",
    )
    if redis:
        parser.add_argument(
            "--redis-url",
            default=os.environ.get("REDIS_TEST_URL", REDIS_URL),
            help="Redis for the PostgreSQL run (REDIS_TEST_URL, else the harness's)",
        )


@dataclass
class Setup:
    """One measurement of a bench: a database (`sqlite`, the embedded default, or `postgres`)
    and one of its modes."""

    backend: str
    mode: str
    database_url: str | None
    redis_url: str | None
    label: str


async def each_setup(
    args: argparse.Namespace, measure: Callable[[Setup], Awaitable[T]]
) -> dict[str, T]:
    """`measure()` for each database of `--databases` (the embedded default alone when the
    bench has none) and each mode of `--modes`, one after the other; the results by label
    ("sqlite new", or the mode alone without `--databases`)."""
    databases = getattr(args, "databases", None)
    results: dict[str, T] = {}
    for backend in (databases or "sqlite").split(","):
        postgres = backend == "postgres"
        for mode in args.modes.split(","):
            setup = Setup(
                backend=backend,
                mode=mode,
                database_url=args.pg_url if postgres else None,
                redis_url=getattr(args, "redis_url", None) if postgres else None,
                label=f"{backend} {mode}" if databases is not None else mode,
            )
            print(f"{setup.label} ...", flush=True)
            results[setup.label] = await measure(setup)
    return results


@contextlib.asynccontextmanager
async def one_server(
    setup: Setup, env: dict[str, str]
) -> AsyncIterator[tuple[Server, LoadSampler]]:
    """One daphne process with `env` on a fresh database of `setup`, Alice, Bob and Carol
    signed up; and the load average, sampled from before the server starts (its `samples`)."""
    with (
        LoadSampler() as load,
        running_servers(1, setup.database_url, setup.redis_url, extra_env=env) as servers,
    ):
        await asyncio.to_thread(servers[0].create_users, "alice", "bob", "carol")
        yield servers[0], load


# Run inside `manage.py shell`: the trees, owned by alice, node ids made UUIDs.
_PROBLEM_TREES = """
import json, sys, uuid
sys.path.insert(0, {bench!r})
from analysis_speed import problem_trees
from django.contrib.auth import get_user_model
from trees.actions.imports import tree_import
alice = get_user_model().objects.get(username="alice")
def uid(n):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "bench-merge-" + n))
ids = []
for t, nodes in problem_trees({count}, {size}):
    out = [dict(n, id=uid(n["id"]), parent=uid(n["parent"]) if n["parent"] else None,
                author=alice.pk) for n in nodes]
    tree = tree_import(owner_id=alice.pk, kind="problem", title=f"bench {{t}}", nodes=out)
    ids.append(tree.pk)
print("TREES " + json.dumps(ids))
"""


async def store_problem_trees(server: Server, count: int, size: int) -> list[int]:
    """`count` problem trees of `size` nodes (bench/analysis_speed.py's generator) owned by
    Alice; their ids."""
    script = _PROBLEM_TREES.format(bench=str(ROOT / "bench"), count=count, size=size)
    out = await asyncio.to_thread(server.manage, "shell", "-c", script)
    return list(json.loads(next(x for x in out.splitlines() if x.startswith("TREES "))[6:]))


# -- worker processes ------------------------------------------------------------------------


async def workers_settled(server: Server, pools: tuple[str, ...], limit: float = 300.0) -> float:
    """Wait until each of `pools` has a worker in the server and their CPU time stopped
    growing for a second (their warm-up done); the seconds waited."""
    started = time.perf_counter()
    assert server.pid is not None
    last = -1.0
    still = 0
    while time.perf_counter() - started < limit:
        found = [server.pool_workers(pool) for pool in pools]
        used = sum(cpu_seconds(pid) for pids in found for pid in pids) if all(found) else -1.0
        still = still + 1 if all(found) and used == last else 0
        if still >= 4:
            return time.perf_counter() - started
        last = used
        await asyncio.sleep(0.25)
    raise RuntimeError(f"the {', '.join(pools)} workers did not settle")


# -- report lines ----------------------------------------------------------------------------


def new_over_old(label: str, old: dict[str, float], new: dict[str, float]) -> str:
    """`label`, then the new way's p50 / p99 / max over the old one's."""
    return (
        f"{label}, new / old: p50 {new['p50_ms'] / old['p50_ms']:.2f}x, "
        f"p99 {new['p99_ms'] / old['p99_ms']:.2f}x, max {new['max_ms'] / old['max_ms']:.2f}x"
    )


def load_range(samples: list[float], digits: int = 1) -> str:
    """The lowest and highest of a LoadSampler's samples."""
    return f"{min(samples):.{digits}f}-{max(samples):.{digits}f}" if samples else "n/a"


def end_load_line(load: tuple[float, float, float] | list[float]) -> str:
    return f"load average at the end: {' '.join(f'{x:.2f}' for x in load)}"
