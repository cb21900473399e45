#!/usr/bin/env python3
"""Live editing latency while merges run: does a 5 x 2,000-node merge stall live editing?

For each database (the embedded SQLite default, and PostgreSQL) and each way of running a
merge, one server after the other in the same run: migrate + daphne (in-memory channel layer),
five problem trees of 2,000 nodes each (bench/analysis_speed.py's generator, stored through
the import action), then the live round trip of bench/live_latency.py (one sender, two
receivers on one tree, one op at a time, send -> receipt at the others), twice:

  idle     no merge running
  merging  merges of the five trees started back to back over REST (POST /api/merges/, polled
           until done) for the whole measurement: every sample is taken while a merge runs in
           the serving process

The ways of running a merge:

  old  the way before issue 17 item 8 was fixed: computed in a thread of the serving process
       (GAMETREE_MERGE_IN_PROCESS=0), the merged tree written in one transaction
       (GAMETREE_MERGE_WRITE_ROWS=0)
  new  the default: computed in the merge worker process, written in short transactions
       with pauses between them, the tree hidden until the last one

Prints p50 / p99 / max for each, new / old ratios measured side by side, the merges' own
time, the load average while each ran, and the verdict against the target (issue 17, item 8):
p99 <= 50 ms while merging.
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

from _harness import bench_parser, machine, machine_line, production_env, summary, write_json  # noqa: E402
from _live import (  # noqa: E402
    Setup,
    database_arguments,
    each_setup,
    end_load_line,
    idle_then_busy,
    load_range,
    measure_gametree,
    new_over_old,
    one_server,
    store_problem_trees,
)

TARGET_P99_MS = 50.0


async def merges_back_to_back(server: Any, trees: list[int], stop: asyncio.Event) -> list[float]:
    """Merge `trees` again and again until `stop`; the seconds each merge took (start to done)."""
    took: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        status, job = await asyncio.to_thread(
            server.api, "POST", "/api/merges/", {"trees": trees}, user="alice"
        )
        assert status == 202, job
        while True:
            await asyncio.sleep(0.2)
            status, job = await asyncio.to_thread(server.api, "GET", job["url"], user="alice")
            if job["status"] in ("done", "failed"):
                break
        assert job["status"] == "done", job
        took.append(time.perf_counter() - started)
    return took


async def wait_running(server: Any) -> None:
    """Until the first merge left the queue (its computation has begun)."""
    for _ in range(600):
        status, body = await asyncio.to_thread(server.api, "GET", "/api/merges/1/", user="alice")
        if status == 200 and body["status"] != "queued":
            return
        await asyncio.sleep(0.05)


MODES = {
    "old": {"GAMETREE_MERGE_IN_PROCESS": "0", "GAMETREE_MERGE_WRITE_ROWS": "0"},
    "new": {},  # the defaults
}


async def measure(args: argparse.Namespace, setup: Setup) -> dict[str, Any]:
    async with one_server(setup, production_env(**MODES[setup.mode])) as (server, load):
        trees = await store_problem_trees(server, args.trees, args.size)
        stop = asyncio.Event()
        idle, merging, took = await idle_then_busy(
            lambda _: measure_gametree([server], args.ops, args.warmup),
            lambda: merges_back_to_back(server, trees, stop),
            lambda: wait_running(server),
            stop,
        )
    return {
        "idle": summary(idle.samples),
        "merging": summary(merging.samples),
        "merges": len(took),
        "merge_seconds": took,
        "load": load.samples,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs = await each_setup(args, lambda setup: measure(args, setup))
    return {"machine": machine(), "runs": runs, "load": os.getloadavg()}


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--trees", type=int, default=5, help="trees merged (5)")
    parser.add_argument("--size", type=int, default=2000, help="nodes per tree (2,000)")
    parser.add_argument("--ops", type=int, default=400, help="measured ops per phase (400)")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured first ops (30)")
    parser.add_argument("--modes", default="old,new", help="old,new or one of them (both)")
    database_arguments(parser, "sqlite,postgres", "sqlite,postgres or one of them (both)")
    args = parser.parse_args()
    data = asyncio.run(run(args))
    m = data["machine"]
    print(machine_line(m))
    print(end_load_line(data["load"]))
    print(f"{'':24} {'n':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>9}  load (1-min avg, min-max)")
    verdicts = []
    runs = data["runs"]
    for name, result in runs.items():
        for phase in ("idle", "merging"):
            s = result[phase]
            print(
                f"{name + ' ' + phase:24} {s['n']:>5} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
                f"{s['max_ms']:>9.2f}  {load_range(result['load'])}"
            )
        secs = result["merge_seconds"]
        print(
            f"{'':24} {result['merges']} merges of {args.trees} x {args.size:,}"
            + (f", each {min(secs):.1f}-{max(secs):.1f} s" if secs else "")
        )
        ok = result["merging"]["p99_ms"] <= TARGET_P99_MS
        verdicts.append(f"{name}: {'met' if ok else 'MISSED'}")
    for backend in args.databases.split(","):
        old, new = runs.get(f"{backend} old"), runs.get(f"{backend} new")
        if old and new:
            print(new_over_old(f"{backend}, while merging", old["merging"], new["merging"]))
    print(f"target p99 <= {TARGET_P99_MS:.0f} ms while merging: {'; '.join(verdicts)}")
    write_json(args.json, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
