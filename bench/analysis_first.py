#!/usr/bin/env python3
"""The first Analysis on a freshly started server: a cold Analysis worker against one started
warm.

After a deploy or a restart, the first person to open the Analysis tab of a game tree used to
wait for the Analysis's worker process (trees/analysis/merge/in_process.py, `ANALYSIS`) to
start with that request: imports, the static model and the critique reader over the
transformer read and SHA-256-verified, the vocabulary's vectors computed, all before the
Analysis itself. A serving process now starts one as it starts and has it warm up in the
background (`GAMETREE_ANALYSIS_WARM`, trees/analysis_service.py `keep_worker_warm`), as it
does the merges' worker (bench/merge_first.py).

For each way, one fresh server after the other in the same run (migrate + daphne, the
embedded default, production settings, the merges' worker warming as by default): the demo
data loaded (`manage.py loaddemo`: the demo game tree, 99 nodes of which 55 critiques), the
server restarted (a fresh process with the data), then Alice's
`GET /api/analysis/recurring/?trees=<the demo game tree>&top=50`, the Analysis tab's first
request:

  cold        GAMETREE_ANALYSIS_WARM=0 (as before), asked once the server idles (its merge
              worker's warm-up done): the request starts the Analysis worker
  warm        the default, asked once the server idles (both workers' warm-ups done)
  cold-start  GAMETREE_ANALYSIS_WARM=0, asked at once (the merges' worker still warming)
  warming     the default, asked at once (both workers still warming)

Each timed from the request to its answer, and from the server's start (daphne spawned) to
the answer; then `GET /api/trees/<id>/tag-suggestions/`, which the tab asks once the board
has answered (`then tags`: the tab's first opening is `first` + `then tags`); then the same
`recurring` again (cached), and then both side by side, as the tab asked them before it waited
for the board (the pool runs two calls at once: the second call of a pair finds no idle
worker and starts one). The
Analysis workers' resident memory at the end. `--repeats` rounds of all modes in turn.

    .venv/bin/python bench/analysis_first.py [--repeats 3] [--modes cold,warm,cold-start,warming]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
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
    write_json,
)
from _live import (  # noqa: E402
    Setup,
    each_setup,
    end_load_line,
    load_range,
    one_server,
    workers_settled,
)

from tests.e2e.server import Server  # noqa: E402

COLD = {"GAMETREE_ANALYSIS_WARM": "0"}
MODES = {"cold": COLD, "warm": {}, "cold-start": COLD, "warming": {}}
AT_ONCE = {"cold-start", "warming"}

_DEMO_TREE = (
    "from trees.models import Tree; print('TREE', Tree.objects.get(meta__demo='demo-0').pk)"
)


async def timed_get(server: Server, path: str) -> float:
    """Seconds from Alice's GET to its answer (200)."""
    started = time.perf_counter()
    status, body = await asyncio.to_thread(server.api, "GET", path, user="alice")
    assert status == 200, body
    return time.perf_counter() - started


async def measure(setup: Setup) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with one_server(setup, production_env(**MODES[setup.mode])) as (server, load):
        await asyncio.to_thread(server.manage, "loaddemo")
        shell = await asyncio.to_thread(server.manage, "shell", "-c", _DEMO_TREE)
        tree = int(next(x for x in shell.splitlines() if x.startswith("TREE "))[5:])
        await asyncio.to_thread(server.token, "alice")  # tokens outlive the restart
        recurring = f"/api/analysis/recurring/?trees={tree}&top=50"
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(1)
        out["load_before"] = os.getloadavg()[0]
        started = time.perf_counter()
        await asyncio.to_thread(server.start)
        out["healthy"] = time.perf_counter() - started
        if setup.mode not in AT_ONCE:
            pools = ("merges",) if setup.mode == "cold" else ("merges", "analysis")
            await workers_settled(server, pools)
            out["idled"] = time.perf_counter() - started
        asked = time.perf_counter()
        out["first"] = await timed_get(server, recurring)
        out["from_start"] = time.perf_counter() - started
        out["from_asked"] = time.perf_counter() - asked
        # What the tab asks next, once the board has answered (frontend/src/ui/analysis.ts).
        out["first_tags"] = await timed_get(server, f"/api/trees/{tree}/tag-suggestions/")
        out["second"] = await timed_get(server, recurring)
        pair = await asyncio.gather(
            timed_get(server, recurring), timed_get(server, f"/api/trees/{tree}/tag-suggestions/")
        )
        out["tab_recurring"], out["tab_tags"] = pair
        assert server.pid is not None
        out["worker_rss_mib"] = [rss_kib(pid) / 1024 for pid in server.pool_workers("analysis")]
    out["load"] = load.samples
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    rounds = []
    for n in range(args.repeats):
        print(f"round {n + 1} of {args.repeats}", flush=True)
        rounds.append(await each_setup(args, measure))
    return {"machine": machine(), "rounds": rounds, "load": os.getloadavg()}


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--repeats", type=int, default=3, help="rounds of all modes (3)")
    parser.add_argument(
        "--modes", default="cold,warm,cold-start,warming", help="cold,warm,cold-start,warming"
    )
    args = parser.parse_args()
    data = asyncio.run(run(args))
    print(machine_line(data["machine"]))
    print(end_load_line(data["load"]))
    print("GET /api/analysis/recurring/ of the demo game tree (55 critiques), seconds")
    print(
        f"{'':11} {'first':>6} {'then tags':>9} {'start->answer':>14} {'second':>7} "
        f"{'pair: recurring + tags':>23}  worker MiB  load"
    )
    for n, rnd in enumerate(data["rounds"], start=1):
        print(f"round {n}")
        for mode, r in rnd.items():
            rss = ", ".join(f"{x:.0f}" for x in r["worker_rss_mib"]) or "-"
            tab = f"{r['tab_recurring']:.2f} + {r['tab_tags']:.2f}"
            print(
                f"{mode:11} {r['first']:>6.2f} {r['first_tags']:>9.2f} {r['from_start']:>14.2f} "
                f"{r['second']:>7.2f} {tab:>23}  {rss:>10}  {load_range(r['load'])}"
            )
    for warm, cold in (("warm", "cold"), ("warming", "cold-start")):
        ratios = [
            rnd[warm]["first"] / rnd[cold]["first"]
            for rnd in data["rounds"]
            if warm in rnd and cold in rnd
        ]
        if ratios:
            listed = ", ".join(f"{x:.2f}" for x in ratios)
            median = statistics.median(ratios)
            print(f"first Analysis, {warm} / {cold}: {listed} (median {median:.2f})")
    write_json(args.json, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
