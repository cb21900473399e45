#!/usr/bin/env python3
"""Memory per idle connection: RSS of the daphne process before and after N idle sockets.

Each socket is a signed-in user, member of one tree, that said `hello` and received its
snapshot, then stays idle. RSS (VmRSS of the server process, kernel socket buffers not
included) is read before opening them (after a warm-up of 20 sockets opened and closed, so
that code paths and caches are loaded), with all N open, and after closing them.
The same is done in the same run for the bare `websockets` relay (its own process).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    BenchClient,
    LoadSampler,
    Relay,
    Stats,
    bench_parser,
    machine,
    production_env,
    raise_nofile,
    report_header,
    rss_kib,
    run_bench,
    running_servers,
    setup_population,
)

Target = tuple[str, str | None, str | None, str]


async def settled_rss(pid: int) -> int:
    samples = []
    for _ in range(5):
        await asyncio.sleep(0.3)
        samples.append(rss_kib(pid))
    return int(statistics.median(samples))


async def open_all(targets: list[Target]) -> list[BenchClient]:
    stats = Stats()
    sent: dict[tuple[str, int], float] = {}
    clients = [BenchClient(u, c, o, cid, stats, sent) for u, c, o, cid in targets]
    gate = asyncio.Semaphore(100)

    async def connect(client: BenchClient) -> None:
        async with gate:
            await client.connect()

    await asyncio.gather(*(connect(c) for c in clients))
    return clients


async def measure(pid: int, warm: list[Target], targets: list[Target]) -> dict[str, Any]:
    for client in await open_all(warm):
        await client.close()
    await asyncio.sleep(1)
    before = await settled_rss(pid)
    clients = await open_all(targets)
    await asyncio.sleep(2)
    during = await settled_rss(pid)
    await asyncio.gather(*(c.close() for c in clients))
    await asyncio.sleep(2)
    after = await settled_rss(pid)
    n = len(targets)
    return {
        "n": n,
        "rss_before_kib": before,
        "rss_open_kib": during,
        "rss_closed_kib": after,
        "kib_per_connection": (during - before) / n,
    }


async def gametree_phase(name: str, args: argparse.Namespace) -> dict[str, Any]:
    on_pg = name == "pg"
    with running_servers(
        1,
        args.pg_url if on_pg else None,
        args.redis_url if on_pg else None,
        extra_env=production_env(),
    ) as servers:
        server = servers[0]
        population = await asyncio.to_thread(
            setup_population, server, args.sockets + 20, args.trees
        )
        targets: list[Target] = [
            (f"{server.ws_base}/ws/trees/{tree_id}/", population.cookies[u], server.base, f"m-{u}")
            for tree_id, names in population.trees
            for u in names
        ]
        print(f"  {name}: {args.sockets} idle sockets ...", flush=True)
        assert server.pid is not None
        result = await measure(server.pid, targets[:20], targets[20:])
    result["setup"] = name
    return result


async def relay_phase(args: argparse.Namespace) -> dict[str, Any]:
    with Relay() as relay:
        targets: list[Target] = [
            (f"{relay.ws_base}/ws/trees/{i % args.trees}/", None, None, f"r{i}")
            for i in range(args.sockets + 20)
        ]
        print(f"  relay: {args.sockets} idle sockets ...", flush=True)
        result = await measure(relay.pid, targets[:20], targets[20:])
    result["setup"] = "relay"
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = []
    with LoadSampler() as load:
        for phase in args.phases.split(","):
            print(f"phase {phase}", flush=True)
            started = time.monotonic()
            if phase == "relay":
                results.append(await relay_phase(args))
            else:
                results.append(await gametree_phase(phase, args))
            print(f"  ({time.monotonic() - started:.0f} s)", flush=True)
    return {"machine": machine(), "load": load.text(), "args": vars(args), "results": results}


def report(data: dict[str, Any]) -> None:
    report_header(data)
    relay = next((r for r in data["results"] if r["setup"] == "relay"), None)
    print(
        f"\n{'setup':10} {'sockets':>8} {'RSS before':>11} {'RSS open':>10} {'RSS closed':>11} "
        f"{'KiB/conn':>9} {'x relay':>8}"
    )
    for r in data["results"]:
        ratio = (
            f"{r['kib_per_connection'] / relay['kib_per_connection']:.1f}"
            if relay and relay["kib_per_connection"] > 0
            else "-"
        )
        print(
            f"{r['setup']:10} {r['n']:>8} {r['rss_before_kib'] / 1024:>9.1f}MB "
            f"{r['rss_open_kib'] / 1024:>8.1f}MB {r['rss_closed_kib'] / 1024:>9.1f}MB "
            f"{r['kib_per_connection']:>9.1f} {ratio:>8}"
        )


def main() -> int:
    parser = bench_parser(__doc__, databases=True)
    parser.add_argument("--sockets", type=int, default=1000, help="idle sockets (1000)")
    parser.add_argument("--trees", type=int, default=300, help="trees they are in (300)")
    parser.add_argument("--phases", default="relay,embedded,pg", help="subset of relay,embedded,pg")
    args = parser.parse_args()
    raise_nofile(max(4096, 4 * args.sockets + 256))
    return run_bench(args, run, report)


if __name__ == "__main__":
    sys.exit(main())
