#!/usr/bin/env python3
"""Live editing latency: send -> receipt at the other clients, gametree vs a bare relay.

Starts the real server (migrate + daphne, like the e2e tests) on the embedded default (a fresh
SQLite file, in-memory channel layer) or, with --postgres-redis, on the local PostgreSQL (a
fresh database, dropped afterwards) and Redis; with --processes 2, two daphne processes on
them, the sender and one receiver on the first, the other receiver on the second (issue 6's
scaled-out setup). Three clients open one tree; one of them sends
operations one at a time (the next one after its ack and after both others have received the
broadcast); the time from send to receipt is measured at the two other clients.

In the same run a bare `websockets` relay (each message forwarded to the other clients) is
measured the same way, as the floor for this machine. Prints p50/p99 for both and the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from _harness import (  # noqa: E402
    bench_parser,
    cpu_seconds,
    machine,
    machine_line,
    production_env,
    summary,
    write_json,
)
from _live import measure_gametree, operations  # noqa: E402

from tests.e2e.server import free_port, running_servers  # noqa: E402

TARGET_P50_MS = 2.0  # embedded default (issue 2)
TARGET_P99_MS = 8.0
TARGET_SCALED_P50_MS = 4.0  # PostgreSQL + Redis with 2 processes (issue 6)
TARGET_SCALED_P99_MS = 15.0


def targets(args: argparse.Namespace) -> tuple[float, float]:
    if args.processes > 1:
        return TARGET_SCALED_P50_MS, TARGET_SCALED_P99_MS
    return TARGET_P50_MS, TARGET_P99_MS


# -- bare relay ------------------------------------------------------------------------------


async def measure_relay(count: int, warmup: int) -> list[float]:
    clients: set[Any] = set()

    async def relay(ws: Any) -> None:
        clients.add(ws)
        try:
            async for message in ws:
                for other in list(clients):
                    if other is not ws:
                        await other.send(message)
        finally:
            clients.discard(ws)

    port = free_port()
    async with websockets.serve(relay, "127.0.0.1", port, compression=None, ping_interval=None):
        url = f"ws://127.0.0.1:{port}/"
        sockets = [
            await websockets.connect(url, compression=None, ping_interval=None) for _ in range(3)
        ]
        while len(clients) < 3:
            await asyncio.sleep(0.01)
        sender, receivers = sockets[0], sockets[1:]
        sent_at: dict[int, float] = {}
        samples: list[float] = []
        state = {"left": 0}
        both = asyncio.Event()

        async def receive(ws: Any) -> None:
            async for raw in ws:
                now = time.perf_counter()
                n = json.loads(raw)["n"]
                if n > warmup:
                    samples.append(now - sent_at[n])
                state["left"] -= 1
                if state["left"] == 0:
                    both.set()

        readers = [asyncio.create_task(receive(ws)) for ws in receivers]
        try:
            for n, op in enumerate(operations(count + warmup), start=1):
                both.clear()
                state["left"] = 2
                sent_at[n] = time.perf_counter()
                await sender.send(json.dumps({"type": "op", "n": n, "op": op}))
                await asyncio.wait_for(both.wait(), 10)
        finally:
            for task in readers:
                task.cancel()
            for ws in sockets:
                await ws.close()
    return samples


# -- main ------------------------------------------------------------------------------------


async def run(args: argparse.Namespace) -> dict[str, Any]:
    database_url = args.pg_url if args.postgres_redis else None
    redis_url = args.redis_url if args.postgres_redis else None
    # One client sends as fast as acks come back (hundreds per second): lift the rate limits
    # that protect a live server from scripts, which this bench is.
    # Measure what `make run` and production serve (Django's debug mode off), unless --debug.
    limits = production_env(**({"DJANGO_DEBUG": "1"} if args.debug else {}))
    with running_servers(args.processes, database_url, redis_url, extra_env=limits) as servers:
        await asyncio.to_thread(servers[0].create_users, "alice", "bob", "carol")
        cpu_before = sum(cpu_seconds(s.pid) for s in servers if s.pid)
        gametree = await measure_gametree(servers, args.ops, args.warmup)
        # CPU seconds the servers spent per op: unlike latency, barely moved by other load.
        server_cpu_ms = (
            (sum(cpu_seconds(s.pid) for s in servers if s.pid) - cpu_before)
            * 1000
            / (args.ops + args.warmup)
        )
    relay = await measure_relay(args.ops, args.warmup)
    return {
        "setup": ("postgresql+redis" if args.postgres_redis else "embedded (sqlite+in-memory)")
        + (f", {args.processes} processes" if args.processes > 1 else "")
        + (", DEBUG on" if args.debug else ""),
        "targets": targets(args),
        "machine": machine(),
        "gametree": summary(gametree),
        "relay": summary(relay),
        "server_cpu_ms_per_op": server_cpu_ms,
    }


def main() -> int:
    parser = bench_parser(__doc__, databases=True)
    parser.add_argument("--ops", type=int, default=1000, help="measured operations (1000)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured first ops (50)")
    parser.add_argument(
        "--postgres-redis",
        action="store_true",
        help="run the server on PostgreSQL + Redis instead of the embedded default",
    )
    parser.add_argument(
        "--processes",
        type=int,
        choices=(1, 2),
        default=1,
        help="daphne processes (2 implies --postgres-redis; receivers on both)",
    )
    parser.add_argument(
        "--debug", action="store_true", help="run the server with DJANGO_DEBUG=1 (slower)"
    )
    args = parser.parse_args()
    if args.processes > 1:
        args.postgres_redis = True  # the in-memory layer cannot reach another process
    result = asyncio.run(run(args))
    write_json(args.json, result)
    g, r = result["gametree"], result["relay"]
    m = result["machine"]
    print(f"setup: {result['setup']}; {machine_line(m)}")
    print(f"{'':10} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8} {'max ms':>8}")
    for name, s in (("gametree", g), ("relay", r)):
        print(
            f"{name:10} {s['n']:>6} {s['p50_ms']:>8.3f} {s['p99_ms']:>8.3f} "
            f"{s['mean_ms']:>8.3f} {s['max_ms']:>8.3f}"
        )
    ratio = f"p50 {g['p50_ms'] / r['p50_ms']:.1f}x, p99 {g['p99_ms'] / r['p99_ms']:.1f}x"
    print(f"ratio gametree/relay: {ratio}")
    cpu = result["server_cpu_ms_per_op"]
    print(f"server CPU per op (all work of one op, 3 sockets): {cpu:.3f} ms")
    load = os.getloadavg()
    print(f"load average during the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    p50, p99 = result["targets"]
    ok = g["p50_ms"] <= p50 and g["p99_ms"] <= p99
    print(f"target p50 <= {p50} ms, p99 <= {p99} ms: {'met' if ok else 'MISSED'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
