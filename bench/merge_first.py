#!/usr/bin/env python3
"""The first merge on a freshly started server: cold merge worker against one started warm.

A workshop's facilitator merges the round's trees on a server that has made no merge yet.
The merge worker process (trees/analysis/merge/in_process.py) used to start with that merge:
imports, sentence models read and verified, the vectors every merge embeds computed, all
before the merge itself. A serving process now starts it as it starts and has it warm up in
the background (`GAMETREE_MERGE_WARM`, trees/actions/merges.py).

For each way, one fresh server after the other in the same run (migrate + daphne, the
embedded default): five problem trees of `--size` nodes stored (bench/analysis_speed.py's
generator), the server restarted (a fresh process with the workshop's data), then:

  cold     GAMETREE_MERGE_WARM=0 (as before): the first merge starts the worker
  warming  the default, the first merge asked for at once (the worker still warming up)
  warm     the default, the first merge asked for once the worker's warm-up is done (its CPU
           time stopped growing)

Each merge is timed from its request (POST /api/merges/) to its job reported `done` (the
merged tree ready), polled every 50 ms; then a second merge of the same trees. Right after
the restart (in `cold`: nothing warming; in `warm`: while the worker warms up) the live round
trip of bench/live_latency.py is measured (one sender, two receivers, one op at a time), and
again after the warm-up in `warm`: does the warm-up get in the way of the first live edits?

    .venv/bin/python bench/merge_first.py [--size 60] [--ops 150] [--modes cold,warming,warm]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import (  # noqa: E402
    bench_parser,
    machine,
    machine_line,
    production_env,
    rss_kib,
    summary,
    write_json,
)
from _live import (  # noqa: E402
    Setup,
    each_setup,
    end_load_line,
    load_range,
    measure_gametree,
    one_server,
    store_problem_trees,
    workers_settled,
)

from tests.e2e.server import Server  # noqa: E402

MODES = {
    "cold": {"GAMETREE_MERGE_WARM": "0"},
    "warming": {},  # the default
    "warm": {},
}


async def timed_merge(server: Server, trees: list[int]) -> float:
    """Seconds from POST /api/merges/ to the job reported done."""
    started = time.perf_counter()
    status, job = await asyncio.to_thread(
        server.api, "POST", "/api/merges/", {"trees": trees}, user="alice"
    )
    assert status == 202, job
    while job["status"] not in ("done", "failed"):
        await asyncio.sleep(0.05)
        status, job = await asyncio.to_thread(server.api, "GET", job["url"], user="alice")
    assert job["status"] == "done", job
    return time.perf_counter() - started


async def measure(args: argparse.Namespace, setup: Setup) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with one_server(setup, production_env(**MODES[setup.mode])) as (server, load):
        trees = await store_problem_trees(server, args.trees, args.size)
        for user in ("alice", "bob", "carol"):  # sign in now: tokens outlive the restart
            await asyncio.to_thread(server.token, user)
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(1)
        out["load_before"] = os.getloadavg()[0]
        await asyncio.to_thread(server.start)
        if setup.mode != "warming":  # (warming: the merge at once)
            out["live_at_start"] = summary(await measure_gametree([server], args.ops, args.warmup))
        if setup.mode == "warm":
            out["warm_up_waited"] = await workers_settled(server, ("merges",))
            out["live_after_warm_up"] = summary(
                await measure_gametree([server], args.ops, args.warmup)
            )
        out["first"] = await timed_merge(server, trees)
        out["second"] = await timed_merge(server, trees)
        assert server.pid is not None
        out["worker_rss_mib"] = [rss_kib(pid) / 1024 for pid in server.pool_workers("merges")]
    out["load"] = load.samples
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs = await each_setup(args, lambda setup: measure(args, setup))
    return {"machine": machine(), "runs": runs, "load": os.getloadavg()}


def _live(s: dict[str, float] | None) -> str:
    return f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f}" if s else "-"


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--trees", type=int, default=5, help="trees merged (5)")
    parser.add_argument("--size", type=int, default=60, help="nodes per tree (60)")
    parser.add_argument("--ops", type=int, default=150, help="measured live ops per phase (150)")
    parser.add_argument("--warmup", type=int, default=20, help="unmeasured first ops (20)")
    parser.add_argument("--modes", default="cold,warming,warm", help="cold,warming,warm (all)")
    args = parser.parse_args()
    data = asyncio.run(run(args))
    print(machine_line(data["machine"]))
    print(end_load_line(data["load"]))
    print(f"merges of {args.trees} x {args.size} nodes, request -> merged tree ready")
    print(
        f"{'':8} {'first s':>8} {'second s':>9} {'first/second':>13}  "
        f"{'live p50/p99 ms at start':>25} {'after warm-up':>15}  worker MiB  load"
    )
    for mode, r in data["runs"].items():
        rss = ", ".join(f"{x:.0f}" for x in r["worker_rss_mib"]) or "-"
        print(
            f"{mode:8} {r['first']:>8.2f} {r['second']:>9.2f} {r['first'] / r['second']:>12.1f}x"
            f"  {_live(r.get('live_at_start')):>25} {_live(r.get('live_after_warm_up')):>15}"
            f"  {rss:>10}  {load_range(r['load'])}"
        )
        if "warm_up_waited" in r:
            print(f"{'':8} (warm-up done {r['warm_up_waited']:.1f} s after the live ops)")
    runs = data["runs"]
    if "cold" in runs:
        for mode in ("warming", "warm"):
            if mode in runs:
                ratio = runs[mode]["first"] / runs["cold"]["first"]
                print(f"first merge, {mode} / cold: {ratio:.2f}x")
    write_json(args.json, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
