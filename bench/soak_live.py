"""Soak the live path: N clients editing one tree through random disconnects and server kills.

    .venv/bin/python bench/soak_live.py --seconds 120 [--clients 4] [--pg] [--json FILE]

Starts the real server (tests/e2e/server.py: migrate + daphne on 127.0.0.1, a fresh SQLite
file, or with --pg a fresh PostgreSQL database and Redis), opens N websocket clients that
edit for `--seconds` (each at ~`--rate` ops/s, at most 4 in flight) while each of them drops
its connection at random (every ~3 s) and the server is SIGKILLed and restarted at random
(every ~10 s). Then it stops editing, lets every client settle and prints:

- ops acknowledged, and ops lost: acknowledged ops missing from the operation log or logged at
  another seq than their ack said (must be 0), and clients whose tree differs from the database;
- convergence time per op: from the edit (first sent) until the last of the N clients has
  applied it, p50 / p99 / max; it includes waiting out a server restart;
- the final convergence: from "stop editing" to every client settled at the head.

Loopback only: the server binds 127.0.0.1 on a free port; nothing else is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import bench_parser, write_json  # noqa: E402

from tests.e2e.server import Server, running_server  # noqa: E402
from tests.reliability.harness import (  # noqa: E402
    ResilientClient,
    converge,
    edit,
    kill_and_restart,
    lost_ops,
    open_clients,
    read_log,
    settle,
)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def pause(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep up to `seconds`; False if `stop` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return True
    return False


async def chaos_drops(
    client: ResilientClient, rng: random.Random, every: float, stop: asyncio.Event
) -> int:
    drops = 0
    while await pause(stop, rng.expovariate(1 / every)):
        if client.online:
            await client.drop()  # the keeper task reconnects it
            drops += 1
    return drops


async def chaos_kills(
    server: Server, rng: random.Random, every: float, stop: asyncio.Event
) -> list[float]:
    downtimes = []
    while await pause(stop, rng.expovariate(1 / every)):
        downtimes.append(await asyncio.to_thread(kill_and_restart, server))
    return downtimes


async def soak(server: Server, args: argparse.Namespace) -> dict[str, Any]:
    users = [f"soak{i}" for i in range(args.clients)]
    await asyncio.to_thread(server.create_users, *users)
    tree_id = await asyncio.to_thread(server.make_tree, users[0], users[1:])
    clients = await open_clients(server, tree_id, users)
    rng = random.Random(args.seed)
    stop_chaos, stop_editing, stop_keeping = asyncio.Event(), asyncio.Event(), asyncio.Event()
    keepers = [asyncio.create_task(c.stay_connected(stop_keeping)) for c in clients]
    editors = [
        asyncio.create_task(
            edit(c, random.Random(args.seed + i), stop_editing, window=4, pause=2 / args.rate)
        )
        for i, c in enumerate(clients)
    ]
    droppers = [
        asyncio.create_task(
            chaos_drops(c, random.Random(rng.random()), args.drop_every, stop_chaos)
        )
        for c in clients
    ]
    killer = asyncio.create_task(chaos_kills(server, rng, args.kill_every, stop_chaos))
    try:
        await asyncio.sleep(args.seconds)
        stop_chaos.set()
        drops = sum(await asyncio.gather(*droppers))
        downtimes = await killer
        stop_editing.set()
        await asyncio.gather(*editors)
        stopped = time.monotonic()
        await settle(server, clients, tree_id, users[0], timeout=120)
        final = time.monotonic() - stopped
        try:
            head, _ = await converge(server, clients, tree_id, users[0])
            diverged = 0
        except AssertionError:
            head, diverged = -1, 1
        log = await asyncio.to_thread(read_log, server, tree_id, users[0])
    finally:
        stop_chaos.set()
        stop_editing.set()
        stop_keeping.set()
        await asyncio.gather(*droppers, killer, *editors, *keepers, return_exceptions=True)
        for client in clients:
            await client.close()

    by_ident = {(row["client_id"], row["n"]): row["seq"] for row in log}
    convergence = []
    for client in clients:
        for n in client.acks:
            seq = by_ident.get((client.client_id, n))
            if seq is None:
                continue
            seen = [c.applied_at.get(seq) for c in clients]
            if all(t is not None for t in seen):
                convergence.append(max(seen) - client.submitted_at[n])  # type: ignore[type-var]
    acknowledged = sum(len(c.acks) for c in clients)
    return {
        "seconds": args.seconds,
        "clients": args.clients,
        "ops_per_second_per_client": args.rate,
        "database": "postgresql+redis" if args.pg else "sqlite+in-memory",
        "ops_acknowledged": acknowledged,
        "ops_refused": sum(r["type"] == "nack" for c in clients for r in c.results.values()),
        "ops_lost": lost_ops(clients, log),
        "log_rows": len(log),
        "log_gapless": [row["seq"] for row in log] == list(range(1, len(log) + 1)),
        "head": head,
        "clients_diverged": diverged,
        "server_kills": len(downtimes),
        "restart_seconds_p50": round(percentile(downtimes, 0.5), 2),
        "client_drops": drops,
        "reconnects": sum(c.reconnects for c in clients),
        "duplicates_answered": sum(
            a["dup"] for c in clients for acks in c.acks.values() for a in acks
        ),
        "internal_retried": sum(c.internal for c in clients),
        "convergence_ms_p50": round(percentile(convergence, 0.5) * 1000, 1),
        "convergence_ms_p99": round(percentile(convergence, 0.99) * 1000, 1),
        "convergence_ms_max": round(max(convergence, default=float("nan")) * 1000, 1),
        "convergence_ms_mean": round(statistics.fmean(convergence) * 1000, 1)
        if convergence
        else None,
        "final_settle_seconds": round(final, 2),
    }


def main() -> int:
    parser = bench_parser(__doc__, databases=True, redis_url="redis://127.0.0.1:6379/9")
    parser.add_argument("--seconds", type=float, default=60, help="editing time (60)")
    parser.add_argument("--clients", type=int, default=4, help="websocket clients (4)")
    parser.add_argument("--rate", type=float, default=10, help="ops/s per client (10)")
    parser.add_argument("--drop-every", type=float, default=3, help="mean s between drops (3)")
    parser.add_argument("--kill-every", type=float, default=10, help="mean s between kills (10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL + Redis (--pg-url ...)")
    args = parser.parse_args()
    for url in (args.pg_url, args.redis_url) if args.pg else ():
        if urlparse(url).hostname not in ("127.0.0.1", "localhost", "::1"):
            parser.error(f"loopback only: {url}")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    database = args.pg_url if args.pg else None
    with running_server(database, args.redis_url if args.pg else None) as server:
        result = asyncio.run(soak(server, args))
    width = max(len(k) for k in result)
    for key, value in result.items():
        print(f"{key:<{width}}  {value}")
    write_json(args.json, result)
    ok = result["ops_lost"] == 0 and not result["clients_diverged"] and result["log_gapless"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
