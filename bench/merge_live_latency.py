#!/usr/bin/env python3
"""Live editing latency while merges run: does a 5 x 2,000-node merge stall live editing?

Starts the real server (migrate + daphne, the embedded default: SQLite + in-memory layer), makes
five problem trees of 2,000 nodes each (bench/analysis_speed.py's generator, stored through the
import action), then measures the live round trip of bench/live_latency.py (one sender, two
receivers on one tree, one op at a time, send -> receipt at the others) twice in one run:

  idle     no merge running
  merging  merges of the five trees started back to back over REST (POST /api/merges/, polled
           until done) for the whole measurement: every sample is taken while a merge runs in
           the serving process

Both for each way of running a merge, one server after the other in the same run: `thread`
(the merge computed in a thread of the serving process) and `process` (computed in a spawned
child process, GAMETREE_MERGE_IN_PROCESS=1). Prints p50 / p99 / max for each, the ratios, the
merges' own time, and the verdict against the target (issue 17, item 8): p99 <= 50 ms while
merging.
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
sys.path.insert(0, str(ROOT / "bench"))

from _harness import machine, production_env, summary  # noqa: E402
from live_latency import measure_gametree  # noqa: E402

from tests.e2e.server import running_servers  # noqa: E402

TARGET_P99_MS = 50.0

# Run inside `manage.py shell`: the five trees, owned by alice, node ids made UUIDs.
_TREES = """
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


async def measure(args: argparse.Namespace, in_process: bool) -> dict[str, Any]:
    env = production_env(GAMETREE_MERGE_IN_PROCESS="1" if in_process else "0")
    with running_servers(1, None, None, extra_env=env) as servers:
        server = servers[0]
        await asyncio.to_thread(server.create_users, "alice", "bob", "carol")
        script = _TREES.format(bench=str(ROOT / "bench"), count=args.trees, size=args.size)
        out = await asyncio.to_thread(server.manage, "shell", "-c", script)
        trees = json.loads(next(x for x in out.splitlines() if x.startswith("TREES "))[6:])
        idle = await measure_gametree(servers, args.ops, args.warmup)
        stop = asyncio.Event()
        merging_task = asyncio.create_task(merges_back_to_back(server, trees, stop))
        await wait_running(server)
        merging = await measure_gametree(servers, args.ops, args.warmup)
        stop.set()
        took = await merging_task
    return {
        "idle": summary(idle),
        "merging": summary(merging),
        "merges": len(took),
        "merge_seconds": took,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    modes = {}
    for mode in args.modes.split(","):
        print(f"mode {mode} ...", flush=True)
        modes[mode] = await measure(args, mode == "process")
    return {"machine": machine(), "modes": modes, "load": os.getloadavg()}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--trees", type=int, default=5, help="trees merged (5)")
    parser.add_argument("--size", type=int, default=2000, help="nodes per tree (2,000)")
    parser.add_argument("--ops", type=int, default=400, help="measured ops per phase (400)")
    parser.add_argument("--warmup", type=int, default=30, help="unmeasured first ops (30)")
    parser.add_argument(
        "--modes", default="thread,process", help="thread,process or one of them (both)"
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()
    data = asyncio.run(run(args))
    m = data["machine"]
    print(f"embedded; {m['nproc']} CPUs, {m['cpu']}, Python {m['python']}; {m['date']}")
    print(f"load average at the end: {' '.join(f'{x:.2f}' for x in data['load'])}")
    print(f"{'':18} {'n':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    verdicts = []
    for mode, result in data["modes"].items():
        for name in ("idle", "merging"):
            s = result[name]
            print(
                f"{mode + ' ' + name:18} {s['n']:>6} {s['p50_ms']:>8.2f} {s['p99_ms']:>8.2f} "
                f"{s['max_ms']:>8.2f}"
            )
        idle, merging = result["idle"], result["merging"]
        secs = result["merge_seconds"]
        print(
            f"{'':18} merging / idle: p50 {merging['p50_ms'] / idle['p50_ms']:.1f}x, "
            f"p99 {merging['p99_ms'] / idle['p99_ms']:.1f}x; {result['merges']} merges of "
            f"{args.trees} x {args.size:,}"
            + (f", each {min(secs):.1f}-{max(secs):.1f} s" if secs else "")
        )
        ok = merging["p99_ms"] <= TARGET_P99_MS
        verdicts.append(f"{mode}: {'met' if ok else 'MISSED'}")
    modes = data["modes"]
    if "thread" in modes and "process" in modes:
        t, p = modes["thread"]["merging"], modes["process"]["merging"]
        print(
            f"while merging, process / thread: p50 {p['p50_ms'] / t['p50_ms']:.2f}x, "
            f"p99 {p['p99_ms'] / t['p99_ms']:.2f}x, max {p['max_ms'] / t['max_ms']:.2f}x"
        )
    print(f"target p99 <= {TARGET_P99_MS:.0f} ms while merging: {'; '.join(verdicts)}")
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
