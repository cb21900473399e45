#!/usr/bin/env python3
"""Throughput: ops/s persisted and broadcast by gametree, side by side with a bare relay.

Many clients (one user and one socket each) in many trees send ops as fast as their acks come
back, several in flight per socket (ops on one socket are processed in order). Every op is a
create or a text edit that the server accepts, so an ack means one committed log row + node
row + version bump, and a broadcast to every member of the tree (the sender included).

Phases, all in one run (each on a fresh database, servers started and stopped by the script):

  relay            bare `websockets` relay in its own process (ack + broadcast, no storage)
  embedded         one daphne, SQLite + in-memory layer, group commit (the default)
  embedded-naive   the same with GAMETREE_MAX_BATCH=1: one transaction per op
  embedded-full    embedded with GAMETREE_SQLITE_SYNCHRONOUS=FULL (acks survive power loss;
                   the default NORMAL survives a killed process only): the cost of full sync
  pg               one daphne, PostgreSQL + Redis, group commit
  pg-naive         the same, one transaction per op
  pg2              TWO daphne processes on one PostgreSQL + Redis; trees pinned to a process
                   (what `hash $gametree_tree` in nginx does), then spread (each tree's members
                   on both processes: every broadcast crosses Redis)

`--worker-cpus C` caps every daphne process at C cores (a cgroup each; root only). On a
2-core machine that also runs the load generator, PostgreSQL and Redis, an uncapped second
worker finds no free core, so "two processes / one" measures the machine rather than the
design; with both phases capped at the same budget per worker (e.g. 0.4, so that two workers
leave 1.2 cores to the rest), the ratio says whether a second worker adds a whole worker's
capacity. Report both.

Each gametree phase also measures latency at low load (one sender, one op at a time, one other
member receiving) and checks that the database holds exactly the acknowledged ops.
The per-socket rate limits are raised for the run (GAMETREE_WS_RATE_*): this measures the
server, not the limiter; the per-user limit (200/s) stays and is never reached here.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    BenchClient,
    CpuCap,
    LoadSampler,
    Population,
    Relay,
    Stats,
    bench_parser,
    cpu_seconds,
    fmt,
    machine,
    production_env,
    raise_nofile,
    report_header,
    run_bench,
    running_servers,
    setup_population,
    stored_ops,
    summary,
)

TARGET_OPS = 2000.0
TARGET_P99_LOW_MS = 10.0
TARGET_SCALING = 1.8

Target = tuple[str, str | None, str | None, str]  # url, cookie, origin, client id


async def run_load(
    targets: list[Target], *, in_flight: int, warmup: float, duration: float, pids: list[int]
) -> dict[str, Any]:
    stats = Stats()
    sent: dict[tuple[str, int], float] = {}
    clients = [
        BenchClient(url, cookie, origin, cid, stats, sent) for url, cookie, origin, cid in targets
    ]
    gate = asyncio.Semaphore(50)

    async def connect(client: BenchClient) -> None:
        async with gate:
            await client.connect()

    await asyncio.gather(*(connect(c) for c in clients))
    stop = asyncio.Event()

    async def worker(client: BenchClient) -> None:
        while not stop.is_set():
            await client.submit()

    tasks = [asyncio.create_task(worker(c)) for c in clients for _ in range(in_flight)]
    try:
        await asyncio.sleep(warmup)
        cpu_before = [cpu_seconds(pid) for pid in pids]
        own_before = time.process_time()
        stats.measuring = True
        started = time.perf_counter()
        await asyncio.sleep(duration)
        stats.measuring = False
        elapsed = time.perf_counter() - started
        server_cpu = sum(cpu_seconds(pid) for pid in pids) - sum(cpu_before)
        own_cpu = time.process_time() - own_before
        stop.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 120)
        await asyncio.sleep(0.5)  # let the last broadcasts land
        gaps_left = sum(1 for c in clients if c.early)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return {
        "ops_per_s": stats.acks / elapsed,
        "deliveries_per_s": len(stats.broadcast) / elapsed,
        "ack": summary(stats.ack),
        "broadcast": summary(stats.broadcast),
        "nacks": stats.nacks,
        "gaps": stats.gaps,
        "gaps_left": gaps_left,
        "total_acks": stats.total_acks,
        # CPU of the server process(es) per op and in cores: barely moved by other load, so
        # 1000 / cpu_ms_per_op is what one free core would sustain.
        "server_cpu_ms_per_op": server_cpu * 1000 / max(1, stats.acks),
        "server_cores": server_cpu / elapsed,
        "generator_cores": own_cpu / elapsed,
    }


async def low_load(sender: Target, receiver: Target, ops: int) -> dict[str, Any]:
    """One op at a time: the next one after the ack and after the other member got it."""
    stats = Stats()
    sent: dict[tuple[str, int], float] = {}
    a = BenchClient(*sender, stats, sent)
    b = BenchClient(*receiver, stats, sent)
    b.arrivals = {}
    await a.connect()
    await b.connect()
    acks: list[float] = []
    broadcasts: list[float] = []
    try:
        for i in range(ops + 30):  # 30 unmeasured warm-up ops
            n = a.next_n
            started = time.perf_counter()
            reply = await a.submit()
            assert reply["type"] == "ack", reply
            acked = time.perf_counter() - started
            while (a.client_id, n) not in b.arrivals:
                b.arrived.clear()
                await asyncio.wait_for(b.arrived.wait(), 30)
            if i >= 30:
                acks.append(acked)
                broadcasts.append(b.arrivals[(a.client_id, n)])
    finally:
        await a.close()
        await b.close()
    return {"ack": summary(acks), "broadcast": summary(broadcasts)}


def targets_for(
    servers: list[Any], population: Population, *, tag: str, pinned: bool = True
) -> list[Target]:
    out: list[Target] = []
    for t, (tree_id, names) in enumerate(population.trees):
        for m, name in enumerate(names):
            server = servers[(t if pinned else m) % len(servers)]
            out.append(
                (
                    f"{server.ws_base}/ws/trees/{tree_id}/",
                    population.cookies[name],
                    server.base,
                    f"{tag}-{name}",
                )
            )
    return out


async def gametree_phase(name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    processes = 2 if name == "pg2" else 1
    on_pg = name.startswith("pg")
    env = production_env()
    if name.endswith("naive"):
        env["GAMETREE_MAX_BATCH"] = "1"
    if name == "embedded-full":
        env["GAMETREE_SQLITE_SYNCHRONOUS"] = "FULL"
    results = []
    with (
        running_servers(
            processes,
            args.pg_url if on_pg else None,
            args.redis_url if on_pg else None,
            extra_env=env,
        ) as servers,
        contextlib.ExitStack() as stack,
    ):
        cap = stack.enter_context(CpuCap(args.worker_cpus)) if args.worker_cpus else None
        for server in servers:
            if cap is not None and server.pid is not None:
                cap.add(server.pid)
        population = await asyncio.to_thread(setup_population, servers[0], args.clients, args.trees)
        variants = [("pinned", True), ("spread", False)] if processes == 2 else [("", True)]
        total = 0
        for variant, pinned in variants:
            label = f"{name} {variant}".strip()
            print(f"  {label}: {args.clients} sockets, {args.trees} trees ...", flush=True)
            throttled = cap.throttled_seconds() if cap is not None else 0.0
            result = await run_load(
                targets_for(servers, population, tag=f"{label}-{time.time_ns()}", pinned=pinned),
                in_flight=args.in_flight,
                warmup=args.warmup,
                duration=args.duration,
                pids=[s.pid for s in servers if s.pid is not None],
            )
            total += result["total_acks"]
            result["setup"] = label
            result["worker_cpus"] = args.worker_cpus
            result["throttled_s"] = cap.throttled_seconds() - throttled if cap is not None else None
            results.append(result)
        tree_id = population.trees[0][0]
        sender, receiver = targets_for(servers, population, tag=f"low-{time.time_ns()}")[:2]
        if processes == 2:  # the receiver on the other process: the Redis hop is measured
            s1 = servers[1]
            receiver = (f"{s1.ws_base}/ws/trees/{tree_id}/", receiver[1], s1.base, receiver[3])
        results[0]["low"] = await low_load(sender, receiver, args.low_ops)
        total += args.low_ops + 30
        stored = await asyncio.to_thread(stored_ops, servers[0])
        for result in results:
            result["stored_ok"] = stored == total
        if stored != total:
            print(f"  !! database holds {stored} ops, {total} were acknowledged", flush=True)
    return results


async def relay_phase(args: argparse.Namespace) -> dict[str, Any]:
    with Relay() as relay:
        print(f"  relay: {args.clients} sockets, {args.trees} trees ...", flush=True)
        targets: list[Target] = []
        for i in range(args.clients):
            url = f"{relay.ws_base}/ws/trees/{i % args.trees}/"
            targets.append((url, None, None, f"relay-{i}"))
        result = await run_load(
            targets,
            in_flight=args.in_flight,
            warmup=args.warmup,
            duration=args.duration,
            pids=[relay.pid],
        )
        sender = (f"{relay.ws_base}/ws/trees/low/", None, None, "low-a")
        receiver = (f"{relay.ws_base}/ws/trees/low/", None, None, "low-b")
        result["low"] = await low_load(sender, receiver, args.low_ops)
    result["setup"] = "relay"
    result["stored_ok"] = None
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results: list[dict[str, Any]] = []
    with LoadSampler() as load:
        for phase in args.phases.split(","):
            print(f"phase {phase}", flush=True)
            if phase == "relay":
                results.append(await relay_phase(args))
            else:
                results.extend(await gametree_phase(phase, args))
    return {"machine": machine(), "load": load.text(), "args": vars(args), "results": results}


def report(data: dict[str, Any]) -> None:
    report_header(data)
    if data["args"].get("worker_cpus"):
        print(f"every daphne process capped at {data['args']['worker_cpus']} cores (cgroup)")
    rows = {r["setup"]: r for r in data["results"]}
    relay = rows.get("relay")
    print(
        f"\n{'setup':18} {'ops/s':>8} {'x relay':>8} {'deliv/s':>8} {'ack p50':>8} "
        f"{'ack p99':>8} {'gaps':>5} {'db ok':>6} {'srv cores':>9} {'cpu ms/op':>9} "
        f"{'gen cores':>9}"
    )
    for r in data["results"]:
        ratio = f"{r['ops_per_s'] / relay['ops_per_s']:.2f}" if relay else "-"
        print(
            f"{r['setup']:18} {r['ops_per_s']:>8.0f} {ratio:>8} {r['deliveries_per_s']:>8.0f} "
            f"{r['ack']['p50_ms']:>8.1f} {r['ack']['p99_ms']:>8.1f} {r['gaps']:>5} "
            f"{r['stored_ok']!s:>6} {r['server_cores']:>9.2f} {r['server_cpu_ms_per_op']:>9.3f} "
            f"{r['generator_cores']:>9.2f}"
        )
        if r["nacks"]:
            print(f"{'':18} nacks: {r['nacks']}")
        if r.get("throttled_s") is not None:
            print(f"{'':18} waited {r['throttled_s']:.1f} s in all for the CPU cap")
    print("\nlatency at low load (one op at a time): submit -> ack, submit -> other member")
    for r in data["results"]:
        if "low" in r:
            low = r["low"]
            print(f"  {r['setup']:16} ack {fmt(low['ack'])}; broadcast {fmt(low['broadcast'])}")
    print()

    def ops(name: str) -> float | None:
        return rows[name]["ops_per_s"] if name in rows else None

    for fast, slow in (("embedded", "embedded-naive"), ("pg", "pg-naive")):
        if ops(fast) and ops(slow):
            print(f"group commit vs one transaction per op ({fast}): {ops(fast) / ops(slow):.2f}x")
    if ops("embedded") and ops("embedded-full"):
        normal, full = rows["embedded"], rows["embedded-full"]
        print(
            f"SQLite synchronous=FULL vs NORMAL: {ops('embedded-full') / ops('embedded'):.2f}x "
            f"ops/s; low-load ack p50 {full['low']['ack']['p50_ms']:.2f} vs "
            f"{normal['low']['ack']['p50_ms']:.2f} ms, p99 {full['low']['ack']['p99_ms']:.2f} vs "
            f"{normal['low']['ack']['p99_ms']:.2f} ms"
        )
    if ops("pg"):
        for variant in ("pg2 pinned", "pg2 spread"):
            if ops(variant):
                print(
                    f"scaling {variant} / pg (1 process): {ops(variant) / ops('pg'):.2f}x "
                    f"(target >= {TARGET_SCALING}x)"
                )
    best_one = max((ops(n) or 0) for n in ("embedded", "pg"))
    if best_one:
        print(
            f"one process: best {best_one:.0f} ops/s (target >= {TARGET_OPS:.0f}): "
            f"{'met' if best_one >= TARGET_OPS else 'MISSED'}"
        )
    for name in ("embedded", "pg"):
        if name in rows and "low" in rows[name]:
            p99 = rows[name]["low"]["ack"]["p99_ms"]
            verdict = "met" if p99 <= TARGET_P99_LOW_MS else "MISSED"
            print(
                f"{name}: low-load ack p99 {p99:.2f} ms (target <= {TARGET_P99_LOW_MS}): {verdict}"
            )


def main() -> int:
    parser = bench_parser(__doc__, databases=True)
    parser.add_argument("--clients", type=int, default=100, help="sockets, one user each (100)")
    parser.add_argument("--trees", type=int, default=50, help="trees the sockets share (50)")
    parser.add_argument("--in-flight", type=int, default=4, help="unacked ops per socket (4)")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds before measuring (3)")
    parser.add_argument("--duration", type=float, default=10.0, help="measured seconds (10)")
    parser.add_argument("--low-ops", type=int, default=300, help="ops of the low-load part (300)")
    parser.add_argument(
        "--phases",
        default="relay,embedded,embedded-naive,pg,pg-naive,pg2",
        help=(
            "comma-separated subset of relay,embedded,embedded-naive,embedded-full,pg,pg-naive,pg2"
        ),
    )
    parser.add_argument(
        "--worker-cpus",
        type=float,
        metavar="C",
        help="cap every daphne process at C cores with a cgroup (root; see above)",
    )
    args = parser.parse_args()
    args.duration = min(args.duration, 120.0)  # bounded
    raise_nofile()
    return run_bench(args, run, report)


if __name__ == "__main__":
    sys.exit(main())
