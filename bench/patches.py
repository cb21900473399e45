#!/usr/bin/env python3
"""What each private-internals patch of a serving worker is worth, side by side in one run.

gametree/serving.py holds every patch of a private part of daphne, Twisted, Channels and the
garbage collector of the process. Each phase starts the embedded default (one daphne, SQLite,
in-memory layer, production settings) with `GAMETREE_SKIP_PATCHES` naming the patches it leaves
out, and measures:

- live round trip at low load: 3 clients on one tree, one op at a time, send -> receipt at the
  other two (as bench/live_latency.py), p50 / p99, and the server's CPU per op (each op its
  own batch: the fixed cost of an op, which other load on the machine moves little);
- many sockets: 1,000 sockets in 300 trees at 1 op/s each (as bench/connections.py; `--rate`
  lower keeps a loaded machine from saturating), the time to connect them all, ack p50 / p99,
  server CPU per op, and the worker's resident memory at the end;
- full garbage collections: every generation-2 collection of the worker while the sockets
  connected and sent, with its pause (wall and CPU ms), logged by a gc callback that a
  `sitecustomize` module of this bench installs in the server (`GAMETREE_BENCH_GC_LOG`);
- a refused body: the worker's peak resident memory (VmHWM) growth while an anonymous client
  sends a 64 MiB POST (GAMETREE_MAX_REQUEST_BYTES is 8 MiB by default).

Phases: `all` (as shipped), `-NAME` (all but NAME) for each patch, `none` (every patch left
out). The order of the phases is alternated over `--rounds` so that a drift of the machine's
load does not favour one of them; ratios against `all` are printed per round.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    LoadSampler,
    bench_parser,
    machine,
    production_env,
    raise_nofile,
    report_header,
    rss_kib,
    run_bench,
    running_servers,
    setup_population,
    summary,
    write_json,
)
from _live import measure_gametree
from connections import run_clients

# Imported by every Python process started with the bench's directory on PYTHONPATH; only the
# server (GAMETREE_BENCH_GC_LOG set) logs its full collections, to its own log.
SITECUSTOMIZE = """
import gc, os, sys, time
if os.environ.get("GAMETREE_BENCH_GC_LOG"):
    _start = {}
    def _log(phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            _start["wall"], _start["cpu"] = time.perf_counter(), time.process_time()
        elif _start:
            wall = (time.perf_counter() - _start["wall"]) * 1000
            cpu = (time.process_time() - _start["cpu"]) * 1000
            print(f"GCPAUSE {wall:.3f} {cpu:.3f} {info['collected']}", file=sys.stderr, flush=True)
    gc.callbacks.append(_log)
"""

# gametree/serving.py's PATCHES (autobahn_plain_log, measured here too, was removed).
PATCHES = ("daphne_body_limit", "layer_sweep", "gc_timer", "twisted_write_through")
BODY_MIB = 64


def skip_of(phase: str) -> list[str]:
    if phase == "all":
        return []
    if phase == "none":
        return list(PATCHES)
    if phase.startswith("-") and phase[1:] in PATCHES:
        return [phase[1:]]
    raise SystemExit(f"unknown phase {phase!r}: all, none or -NAME with NAME in {PATCHES}")


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM")


def post_big_body(port: int, mib: int) -> str:
    """An anonymous POST of `mib` MiB; the status, or how the server cut it off."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    chunk = b"x" * (1 << 20)
    try:
        conn.putrequest("POST", "/api/trees/")
        conn.putheader("Content-Type", "application/json")
        conn.putheader("Content-Length", str(mib << 20))
        conn.endheaders()
        for _ in range(mib):
            conn.send(chunk)
        return str(conn.getresponse().status)
    except (BrokenPipeError, ConnectionResetError) as exc:
        try:
            return f"{conn.getresponse().status} (cut off: {type(exc).__name__})"
        except Exception:
            return f"cut off: {type(exc).__name__}"
    finally:
        conn.close()


def gc_pauses(log: str) -> dict[str, Any]:
    """The full collections the server logged (see SITECUSTOMIZE)."""
    walls = []
    cpus = []
    for line in log.splitlines():
        if line.startswith("GCPAUSE "):
            _, wall, cpu, _collected = line.split()
            walls.append(float(wall))
            cpus.append(float(cpu))
    return {
        "count": len(walls),
        "max_ms": max(walls, default=0.0),
        "total_ms": sum(walls),
        "cpu_total_ms": sum(cpus),
    }


async def phase_run(phase: str, args: argparse.Namespace) -> dict[str, Any]:
    skip = skip_of(phase)
    site = Path(tempfile.mkdtemp(prefix="gametree-bench-site-"))
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    path = os.pathsep.join(p for p in (str(site), os.environ.get("PYTHONPATH", "")) if p)
    env = production_env(
        GAMETREE_SKIP_PATCHES=",".join(skip), GAMETREE_BENCH_GC_LOG="1", PYTHONPATH=path
    )
    with running_servers(1, extra_env=env) as servers:
        server = servers[0]
        assert server.pid is not None
        pid = server.pid
        server.create_users("alice", "bob", "carol")
        # One op at a time: every op is its own batch, so CPU per op is the fixed cost of one
        # op (one frame in, three out), which other load on the machine barely moves.
        low_cpu: list[float] = []
        low = await measure_gametree([server], args.ops, args.warmup, low_cpu)
        low_cpu_ms = low_cpu[0] * 1000 / args.ops
        population = await asyncio.to_thread(setup_population, server, args.sockets, args.trees)
        started_at = len(server.log())  # full collections from here on: the sockets' phase
        targets = []
        groups = []
        for tree_id, names in population.trees:
            members = []
            for name in names:
                members.append(len(targets))
                targets.append(
                    (
                        f"{server.ws_base}/ws/trees/{tree_id}/",
                        population.cookies[name],
                        server.base,
                        f"c-{name}",
                    )
                )
            groups.append(members)
        many = await run_clients(
            targets, groups, rate=args.rate, duration=args.duration, pids=[pid]
        )
        pauses = gc_pauses(server.log()[started_at:])
        rss = rss_kib(pid)
        before = peak_kib(pid)
        outcome = await asyncio.to_thread(post_big_body, server.port, BODY_MIB)
        await asyncio.sleep(0.5)
        grown = peak_kib(pid) - before
        log = server.log()
        errors = log.count("Traceback")
    shutil.rmtree(site, ignore_errors=True)
    return {
        "phase": phase,
        "skip": skip,
        "low": summary(low),
        "low_cpu_ms_per_op": low_cpu_ms,
        "many": many,
        "rss_kib": rss,
        "body": {"outcome": outcome, "peak_growth_kib": grown},
        "server_errors": errors,
        "gc": pauses,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    phases = args.phases.split(",")
    rounds = []
    with LoadSampler() as load:
        for r in range(args.rounds):
            order = phases if r % 2 == 0 else list(reversed(phases))
            results = []
            for phase in order:
                print(f"round {r + 1}, phase {phase} ...", flush=True)
                started = time.monotonic()
                with LoadSampler() as phase_load:
                    result = await phase_run(phase, args)
                result["load"] = phase_load.text()
                result["seconds"] = time.monotonic() - started
                results.append(result)
                print("  " + row(result, None), flush=True)
                write_json(args.json, {"partial": True, "rounds": [*rounds, results]})
            rounds.append(results)
    return {
        "machine": machine(),
        "load": load.text(),
        "args": vars(args),
        "rounds": rounds,
        "autobahn_log_cost": autobahn_log_cost(),
    }


def row(r: dict[str, Any], base: dict[str, Any] | None) -> str:
    """One phase: latencies, CPU, memory, and its ratios to the `all` phase of its round."""
    many, low = r["many"], r["low"]
    ratio = ""
    if base is not None and r is not base:
        ratio = (
            f"{r['low_cpu_ms_per_op'] / base['low_cpu_ms_per_op']:.2f}x "
            f"{low['p99_ms'] / base['low']['p99_ms']:.2f}x "
            f"{many['ack']['p99_ms'] / base['many']['ack']['p99_ms']:.2f}x "
            f"{many['server_cpu_ms_per_op'] / base['many']['server_cpu_ms_per_op']:.2f}x"
        )
    return (
        f"{r['phase']:24} {low['p50_ms']:8.2f} {low['p99_ms']:8.2f} {r['low_cpu_ms_per_op']:7.3f}"
        f" {many['connect_s']:7.1f} {many['ack']['p50_ms']:8.2f} {many['ack']['p99_ms']:8.2f}"
        f" {many['server_cpu_ms_per_op']:7.3f} {r['rss_kib'] / 1024:8.1f}"
        f" {r['body']['peak_growth_kib'] / 1024:9.1f} {r['gc']['count']:4d}"
        f" {r['gc']['max_ms']:7.1f} {r['gc']['total_ms']:8.1f}  {ratio:28} {r['load']}"
    )


def autobahn_log_cost() -> dict[str, float]:
    """The removed autobahn_plain_log patch, timed directly (process CPU, which other load
    moves little): autobahn builds `hltype`/`hlval` debug-log arguments for every frame it
    reads (dataReceived) and writes (sendData), one hltype and two hlval calls each."""
    from autobahn.util import hltype, hlval
    from autobahn.websocket.protocol import WebSocketProtocol

    n = 20_000
    started = time.process_time()
    for _ in range(n):
        hltype(WebSocketProtocol.sendData)
    per_hltype = (time.process_time() - started) / n * 1e6
    started = time.process_time()
    for _ in range(n):
        hlval(n)
    per_hlval = (time.process_time() - started) / n * 1e6
    return {"hltype_us": per_hltype, "hlval_us": per_hlval, "frame_us": per_hltype + 2 * per_hlval}


def report(data: dict[str, Any]) -> None:
    report_header(data)
    a = data["args"]
    print(
        f"low load: {a['ops']} ops one at a time, 3 clients; many: {a['sockets']} sockets in "
        f"{a['trees']} trees at {a['rate']:g} op/s for {a['duration']:.0f} s; refused body"
        f" {BODY_MIB} MiB"
    )
    for i, results in enumerate(data["rounds"], start=1):
        base = next((r for r in results if r["phase"] == "all"), None)
        print(f"\nround {i}")
        print(
            f"  {'phase':24} {'low p50':>8} {'low p99':>8} {'cpu/op':>7} {'conn s':>7}"
            f" {'ack p50':>8} {'ack p99':>8}"
            f" {'cpu/op':>7} {'RSS MiB':>8} {'body +MiB':>9} {'GC2':>4} {'max ms':>7}"
            f" {'total ms':>8}  ratios to all (low cpu/op, low p99, ack p99, cpu/op)  load"
        )
        for r in results:
            print("  " + row(r, base))
            many = r["many"]
            problems = []
            if many["behind_at_end"] or many["failed_clients"]:
                problems.append(
                    f"{many['behind_at_end']} behind, {many['failed_clients']} failed clients"
                )
            if r["server_errors"]:
                problems.append(f"{r['server_errors']} server tracebacks")
            print(f"  {'':24} body: {r['body']['outcome']}" + (f"; {problems}" if problems else ""))
    cost = data["autobahn_log_cost"]
    print(
        f"\nautobahn's debug-log arguments (the removed autobahn_plain_log): hltype"
        f" {cost['hltype_us']:.2f} us, hlval {cost['hlval_us']:.2f} us per call,"
        f" {cost['frame_us']:.1f} us per websocket frame read or written"
    )


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument(
        "--phases",
        default="all," + ",".join(f"-{p}" for p in PATCHES) + ",none",
        help="comma-separated: all, none, -NAME (default: all, each one left out, none)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="rounds, alternating order (1)")
    parser.add_argument("--ops", type=int, default=300, help="low-load ops (300)")
    parser.add_argument("--warmup", type=int, default=30, help="low-load warm-up ops (30)")
    parser.add_argument("--sockets", type=int, default=1000, help="websockets (1000)")
    parser.add_argument("--trees", type=int, default=300, help="trees (300)")
    parser.add_argument("--rate", type=float, default=1.0, help="ops/s per socket (1)")
    parser.add_argument("--duration", type=float, default=20.0, help="measured seconds (20)")
    args = parser.parse_args()
    raise_nofile(max(4096, 4 * args.sockets + 256))
    return run_bench(args, run, report)


if __name__ == "__main__":
    sys.exit(main())
