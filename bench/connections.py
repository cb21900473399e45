#!/usr/bin/env python3
"""Many connections: 1,000 sockets in 300 trees at 1 op/s each, latency and seq continuity.

Every socket is its own signed-in user and a member (editor) of one tree; it says hello, then
sends one op per second (random phase) for the measured period. Measured: submit -> ack at the
sender and submit -> receipt at the tree's other members (broadcast), p50/p99. Every client
checks that the seqs it applies are contiguous: a gap is repaired with `sync` and counted;
at the end every client must have reached its tree's head with no gap left open.

Phases in one run: the bare relay (own process), gametree on the embedded default (one daphne,
SQLite + in-memory layer), one daphne on PostgreSQL + Redis, and two daphne processes on
PostgreSQL + Redis with each tree on one of them, as deploy/nginx.conf pins trees (`pg2`).
`pg2-spread` (not run by default) alternates every tree's sockets between the two processes,
so most broadcasts cross Redis and every batch finds its tree's cached state stale.
The open-files limit is raised (setrlimit) before anything starts; servers inherit it.
"""

from __future__ import annotations

import argparse
import asyncio
import random
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
    cpu_seconds,
    fmt,
    machine,
    production_env,
    raise_nofile,
    report_header,
    run_bench,
    running_servers,
    setup_population,
    summary,
)

TARGET_P99_MS = 50.0
Target = tuple[str, str | None, str | None, str]


async def run_clients(
    targets: list[Target],
    groups: list[list[int]],
    *,
    rate: float,
    duration: float,
    pids: list[int],
) -> dict[str, Any]:
    """`groups`: for each tree, the indexes of its clients (to check heads at the end)."""
    stats = Stats()
    sent: dict[tuple[str, int], float] = {}
    clients = [BenchClient(u, c, o, cid, stats, sent) for u, c, o, cid in targets]
    gate = asyncio.Semaphore(100)
    started = time.perf_counter()

    async def connect(client: BenchClient) -> None:
        async with gate:
            await client.connect()

    outcomes = await asyncio.gather(*(connect(c) for c in clients), return_exceptions=True)
    connect_s = time.perf_counter() - started
    refused = [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, BaseException)]
    if refused:
        print(f"  {len(refused)} sockets failed to connect, e.g. {refused[0]}", flush=True)
        failed = {i for i, o in enumerate(outcomes) if isinstance(o, BaseException)}
        keep = [i for i in range(len(clients)) if i not in failed]
        index = {old: new for new, old in enumerate(keep)}
        clients = [clients[i] for i in keep]
        groups = [[index[i] for i in g if i in index] for g in groups]
        groups = [g for g in groups if g]
    stop_at = time.perf_counter() + duration + 2  # 2 s unmeasured at the start

    async def sender(client: BenchClient, rng: random.Random) -> None:
        await asyncio.sleep(rng.random() / rate)
        next_at = time.perf_counter()
        while time.perf_counter() < stop_at:
            try:
                await client.submit()
            except (ConnectionError, TimeoutError) as exc:
                failures.append(str(exc))
                return
            next_at += 1 / rate
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))

    failures: list[str] = []
    tasks = [asyncio.create_task(sender(c, random.Random(i))) for i, c in enumerate(clients)]
    await asyncio.sleep(2)
    stats.measuring = True
    measured_from = time.perf_counter()
    server_cpu, gen_cpu = sum(cpu_seconds(p) for p in pids), time.process_time()
    await asyncio.gather(*tasks)
    stats.measuring = False
    measured = time.perf_counter() - measured_from
    server_cpu = sum(cpu_seconds(p) for p in pids) - server_cpu
    gen_cpu = time.process_time() - gen_cpu
    # Every client must reach its tree's head (the highest seq acknowledged in that tree).
    deadline = time.perf_counter() + 30
    behind = len(clients)
    while time.perf_counter() < deadline:
        behind = 0
        for members in groups:
            head = max(clients[i].acked_head for i in members)
            behind += sum(1 for i in members if (clients[i].last_seq or 0) < head)
            behind += sum(1 for i in members if clients[i].early)
        if behind == 0:
            break
        await asyncio.sleep(0.2)
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    return {
        "connect_s": connect_s,
        "ops_per_s": stats.acks / measured,
        # CPU while measuring, in cores: is the server or the load generator the limit?
        "server_cores": server_cpu / measured,
        "server_cpu_ms_per_op": 1000 * server_cpu / max(1, stats.acks),
        "gen_cores": gen_cpu / measured,
        "ack": summary(stats.ack),
        "broadcast": summary(stats.broadcast),
        "nacks": stats.nacks,
        "gaps": stats.gaps,
        "behind_at_end": behind,
        "failed_clients": len(failures) + len(refused),
        "failures": (refused + failures)[:5],
    }


def layout(count: int, trees: int) -> list[list[int]]:
    groups: list[list[int]] = [[] for _ in range(trees)]
    for i in range(count):
        groups[i % trees].append(i)
    return groups


async def gametree_phase(name: str, args: argparse.Namespace) -> dict[str, Any]:
    processes = 2 if name.startswith("pg2") else 1
    on_pg = name.startswith("pg")
    with running_servers(
        processes,
        args.pg_url if on_pg else None,
        args.redis_url if on_pg else None,
        extra_env=production_env(),
    ) as servers:
        population = await asyncio.to_thread(setup_population, servers[0], args.sockets, args.trees)
        targets: list[Target] = []
        groups: list[list[int]] = []
        for tree_id, names in population.trees:
            members = []
            for name_ in names:
                # pg2: each tree on one worker, as the shipped nginx config pins them;
                # pg2-spread: a tree's sockets alternate between the workers.
                if name == "pg2-spread":
                    server = servers[len(targets) % processes]
                else:
                    server = servers[len(groups) % processes]
                members.append(len(targets))
                targets.append(
                    (
                        f"{server.ws_base}/ws/trees/{tree_id}/",
                        population.cookies[name_],
                        server.base,
                        f"c-{name_}",
                    )
                )
            groups.append(members)
        print(f"  {name}: {len(targets)} sockets in {len(groups)} trees ...", flush=True)
        try:
            result = await run_clients(
                targets,
                groups,
                rate=args.rate,
                duration=args.duration,
                pids=[s.pid for s in servers if s.pid is not None],
            )
            result["server_errors"] = sum(s.log().count("Traceback") for s in servers)
        finally:
            if args.keep_logs:
                Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
                for s in servers:
                    Path(args.keep_logs, f"{name}-{s.port}.log").write_text(s.log())
    result["setup"] = name
    return result


async def relay_phase(args: argparse.Namespace) -> dict[str, Any]:
    with Relay() as relay:
        groups = layout(args.sockets, args.trees)
        targets: list[Target] = [
            (f"{relay.ws_base}/ws/trees/{i % args.trees}/", None, None, f"r{i}")
            for i in range(args.sockets)
        ]
        print(f"  relay: {len(targets)} sockets in {args.trees} rooms ...", flush=True)
        result = await run_clients(
            targets, groups, rate=args.rate, duration=args.duration, pids=[relay.pid]
        )
    result["setup"] = "relay"
    result["server_errors"] = 0
    return result


async def run(args: argparse.Namespace) -> dict[str, Any]:
    results = []
    with LoadSampler() as load:
        for phase in args.phases.split(","):
            print(f"phase {phase}", flush=True)
            if phase == "relay":
                results.append(await relay_phase(args))
            else:
                results.append(await gametree_phase(phase, args))
    return {"machine": machine(), "load": load.text(), "args": vars(args), "results": results}


def report(data: dict[str, Any]) -> None:
    report_header(data)
    args = data["args"]
    print(f"{args['sockets']} sockets, {args['trees']} trees, {args['rate']} op/s per socket")
    rows = {r["setup"]: r for r in data["results"]}
    relay = rows.get("relay")
    for r in data["results"]:
        ratio = ""
        if relay and r is not relay:
            ratio = (
                f"  [x relay: ack p99 {r['ack']['p99_ms'] / relay['ack']['p99_ms']:.1f}, "
                f"broadcast p99 {r['broadcast']['p99_ms'] / relay['broadcast']['p99_ms']:.1f}]"
            )
        ok = r["broadcast"]["p99_ms"] < TARGET_P99_MS and r["ack"]["p99_ms"] < TARGET_P99_MS
        print(
            f"\n{r['setup']}: connected in {r['connect_s']:.1f} s, {r['ops_per_s']:.0f} ops/s;"
            f" server {r['server_cores']:.2f} cores ({r['server_cpu_ms_per_op']:.3f} ms CPU"
            f" per op), load generator {r['gen_cores']:.2f} cores"
            f"\n  ack       {fmt(r['ack'])}\n  broadcast {fmt(r['broadcast'])}{ratio}"
            f"\n  seq gaps repaired: {r['gaps']}; clients behind or with an open gap at the "
            f"end: {r['behind_at_end']}; nacks: {r['nacks'] or 'none'}; server tracebacks: "
            f"{r['server_errors']}; clients that lost their socket or got no answer: "
            f"{r['failed_clients']} {r['failures'][:2]}"
        )
        if r["setup"] != "relay":
            clean = r["behind_at_end"] == 0 and r["failed_clients"] == 0
            verdict = "met" if ok and clean else "MISSED"
            print(f"  target p99 < {TARGET_P99_MS:.0f} ms, every gap repaired: {verdict}")


def main() -> int:
    parser = bench_parser(__doc__, databases=True)
    parser.add_argument("--sockets", type=int, default=1000, help="websockets (1000)")
    parser.add_argument("--trees", type=int, default=300, help="trees (300)")
    parser.add_argument("--rate", type=float, default=1.0, help="ops/s per socket (1)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (20)")
    parser.add_argument(
        "--phases",
        default="relay,embedded,pg,pg2",
        help="comma-separated subset of relay,embedded,pg,pg2,pg2-spread",
    )
    parser.add_argument("--keep-logs", metavar="DIR", help="copy the daphne logs there")
    args = parser.parse_args()
    args.duration = min(args.duration, 120.0)
    limit = raise_nofile(max(4096, 4 * args.sockets + 256))
    print(f"open files limit: {limit}", flush=True)
    return run_bench(args, run, report)


if __name__ == "__main__":
    sys.exit(main())
