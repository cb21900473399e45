#!/usr/bin/env python3
"""Shared code of the live benchmarks (throughput, connections, memory, live latency).

- `bench_parser()` / `run_bench()` / `report_header()`: the command line every bench starts
  from (its docstring as --help, `--json FILE`, the database URLs), running it, and the
  report's first lines (`machine_line()`, the load);
- `machine()` / `LoadSampler`: what the run ran on, and the load average during it (other
  test suites may be running on the same machine: every result records it);
- `percentile()` / `summary()`;
- `setup_population()`: users, trees, memberships and signed-in sessions made in bulk by one
  `manage.py shell` (no password hashing, no login throttle), for hundreds of sockets;
- `Relay`: the bare `websockets` baseline, run as its own process (like daphne) and speaking
  just enough of the protocol (hello -> snapshot, op -> ack + broadcast with a per-room seq) for
  the same load generator to drive it;
- `CpuCap`: a fixed CPU budget per server process (a cgroup), so that a scaling run on a small
  machine compares one worker with two workers of the same budget instead of with the cores
  left over by the load generator and the databases;
- `BenchClient` (bench/_client.py): a load-generating protocol client that checks seq
  continuity (gaps are repaired with `sync`) and measures submit -> ack and submit ->
  broadcast receipt.

The live round trip (one person's ops to two others' screens), the idle / busy phase runner and
the runs over databases and modes of the benches that time live editing beside other work are
in bench/_live.py, which builds on this module.

`python bench/_harness.py relay --port N` runs the relay (used by the benches).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from _client import BenchClient, Stats, measuring  # noqa: E402, F401  (re-exported)

from tests.e2e.server import Server, free_port, running_servers  # noqa: E402, F401

PG_URL = "postgres://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/0"


def production_env(**extra: str) -> dict[str, str]:
    """Server settings as `make run` and production serve them (Django's debug mode off, which
    alone cost ~0.2 ms per op in SQL logging), with the websocket rate limits lifted for load."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + uuid.uuid4().hex * 2,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SECURE_COOKIES": "0",
        "GAMETREE_WS_RATE_PER_SECOND": "100000",
        "GAMETREE_WS_RATE_BURST": "100000",
        "GAMETREE_WS_USER_RATE_PER_SECOND": "100000",
        "GAMETREE_WS_USER_RATE_BURST": "100000",
        "GAMETREE_WS_MAX_SOCKETS_PER_USER": "100000",
        **extra,
    }


# -- command line and report -----------------------------------------------------------------


def bench_parser(
    doc: str | None,
    *,
    databases: bool = False,
    redis_url: str = REDIS_URL,
    json_file: bool = True,
) -> argparse.ArgumentParser:
    """A bench's parser: the first paragraph of its docstring as the description, the rest as
    the epilog of --help, `--json FILE` (unless `json_file` is off), and with `databases` the
    PostgreSQL and Redis URLs of its scale-out phases (fresh databases are made on that server
    and dropped)."""
    head, _, rest = (doc or "").strip().partition("\n\n")
    parser = argparse.ArgumentParser(
        description=head,
        epilog=rest or None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    if json_file:
        parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    if databases:
        parser.add_argument("--pg-url", default=PG_URL, help=f"PostgreSQL server ({PG_URL})")
        parser.add_argument("--redis-url", default=redis_url, help=f"Redis ({redis_url})")
    return parser


def machine_line(m: dict[str, str]) -> str:
    """The first line of every report: what the run ran on, and when."""
    return f"{m['nproc']} CPUs, {m['cpu']}, Python {m['python']}; {m['date']}"


def write_json(path: str | None, data: Any) -> None:
    """`--json FILE`: the results as JSON, beside the printed report."""
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str))


def report_header(data: dict[str, Any]) -> None:
    """A report's first lines: the machine (`data["machine"]`) and the load during the run
    (`data["load"]`, a LoadSampler's text)."""
    print(f"\n{machine_line(data['machine'])}")
    print(data["load"])


def run_bench(
    args: argparse.Namespace,
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]],
    report: Callable[[dict[str, Any]], None],
) -> int:
    """Run an async bench, print its report, write `--json FILE`; the exit status."""
    data = asyncio.run(run(args))
    report(data)
    write_json(args.json, data)
    return 0


# -- machine and load ------------------------------------------------------------------------


def machine() -> dict[str, str]:
    model = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "python": platform.python_version(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


class LoadSampler:
    """Samples the 1-minute load average once a second in a thread."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(1)

    def __enter__(self) -> LoadSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)

    def text(self) -> str:
        if not self.samples:
            return "n/a"
        return (
            f"1-min load average during the run: min {min(self.samples):.2f}, "
            f"mean {statistics.fmean(self.samples):.2f}, max {max(self.samples):.2f} "
            f"(on {os.cpu_count()} CPUs)"
        )


def raise_nofile(wanted: int = 65536) -> int:
    """Raise the open-files limit (inherited by the servers started afterwards)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# -- statistics ------------------------------------------------------------------------------


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"n": 0, "p50_ms": float("nan"), "p99_ms": float("nan"), "mean_ms": float("nan")}
    return {
        "n": len(samples),
        "p50_ms": percentile(samples, 50) * 1000,
        "p99_ms": percentile(samples, 99) * 1000,
        "mean_ms": statistics.fmean(samples) * 1000,
        "max_ms": max(samples) * 1000,
    }


def fmt(s: dict[str, float]) -> str:
    return f"p50 {s['p50_ms']:.2f} ms, p99 {s['p99_ms']:.2f} ms (n={s['n']})"


# -- population ------------------------------------------------------------------------------

_POPULATION = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth import get_user_model
from trees.actions import tree_create
from trees.models import Membership
spec = json.loads({spec!r})
User = get_user_model()
User.objects.bulk_create(
    [User(username=name, password="!") for name in spec["users"]], batch_size=500
)
users = {{u.username: u for u in User.objects.filter(username__in=spec["users"])}}
store = import_module(settings.SESSION_ENGINE).SessionStore
cookies = {{}}
for name, user in users.items():
    session = store()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    cookies[name] = session.session_key
trees = []
members = []
for names in spec["trees"]:
    tree = tree_create(owner_id=users[names[0]].pk, kind="game", title="bench")
    members += [Membership(tree=tree, user=users[n], role="editor") for n in names[1:]]
    trees.append([tree.pk, names])
Membership.objects.bulk_create(members, batch_size=500)
print("POPULATION " + json.dumps({{"cookies": cookies, "trees": trees}}))
"""


@dataclass
class Population:
    cookies: dict[str, str]  # username -> "sessionid=..."
    trees: list[tuple[int, list[str]]]  # tree id, member usernames (first is the owner)


def setup_population(server: Server, sockets: int, trees: int, prefix: str = "u") -> Population:
    """`sockets` users (one socket each), spread round-robin over `trees` game trees."""
    users = [f"{prefix}{i}" for i in range(sockets)]
    per_tree: list[list[str]] = [[] for _ in range(trees)]
    for i, name in enumerate(users):
        per_tree[i % trees].append(name)
    spec = json.dumps({"users": users, "trees": [t for t in per_tree if t]})
    out = server.manage("shell", "-c", _POPULATION.format(spec=spec))
    line = next(x for x in out.splitlines() if x.startswith("POPULATION "))
    data = json.loads(line.split(" ", 1)[1])
    return Population(
        cookies={name: f"sessionid={key}" for name, key in data["cookies"].items()},
        trees=[(int(tree_id), names) for tree_id, names in data["trees"]],
    )


def stored_ops(server: Server) -> int:
    """Sum of all trees' versions = ops persisted (read by a fresh process)."""
    out = server.manage(
        "shell",
        "-c",
        "from django.db.models import Sum\nfrom trees.models import Tree\n"
        "print('OPS', Tree.objects.aggregate(s=Sum('version'))['s'] or 0)",
    )
    return int(next(x for x in out.splitlines() if x.startswith("OPS ")).split()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


# -- the bare relay --------------------------------------------------------------------------


async def _relay_main(port: int) -> None:
    rooms: dict[str, set[Any]] = {}
    seqs: dict[str, int] = {}

    async def handler(ws: Any) -> None:
        room = ws.request.path
        members = rooms.setdefault(room, set())
        members.add(ws)
        try:
            async for raw in ws:
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "hello":
                    await ws.send(json.dumps({"type": "welcome"}))
                    seq = seqs.get(room, 0)
                    await ws.send(
                        json.dumps({"type": "snapshot", "seq": seq, "kind": "game", "nodes": []})
                    )
                elif kind == "op":
                    seq = seqs[room] = seqs.get(room, 0) + 1
                    await ws.send(json.dumps({"type": "ack", "n": message["n"], "seq": seq}))
                    out = json.dumps(
                        {
                            "type": "op",
                            "seq": seq,
                            "client_id": message.get("client_id", ""),
                            "n": message["n"],
                            "op": message["op"],
                        }
                    )
                    websockets.broadcast(members, out)
                elif kind == "ping":
                    await ws.send('{"type":"pong"}')
        except websockets.ConnectionClosed:
            pass
        finally:
            members.discard(ws)

    stop = asyncio.get_running_loop().create_future()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set_result, None)
    async with websockets.serve(
        handler, "127.0.0.1", port, compression=None, ping_interval=None, max_queue=None
    ):
        print("READY", flush=True)
        await stop


class CpuCap:
    """Cap each added process at `cores` CPUs with a cgroup of its own (root only).

    cgroup v1 (`cpu.cfs_quota_us`) or v2 (`cpu.max`), whichever holds the cpu controller.
    The budget is enforced per 100 ms period: a capped process that used it up waits for the
    next period, so caps are for throughput runs, not for latency figures.
    """

    PERIOD_US = 100_000
    V1 = Path("/sys/fs/cgroup/cpu")
    V2 = Path("/sys/fs/cgroup")

    def __init__(self, cores: float) -> None:
        if not 0 < cores <= (os.cpu_count() or 1):
            raise ValueError(f"a CPU cap must be between 0 and {os.cpu_count()} cores")
        self.cores = cores
        self.groups: list[Path] = []
        if (self.V1 / "cpu.cfs_quota_us").exists():
            self.root, self.v2 = self.V1, False
        elif "cpu" in _read(self.V2 / "cgroup.controllers").split():
            self.root, self.v2 = self.V2, True
        else:
            raise RuntimeError("no cgroup cpu controller here: cannot cap CPU")

    def add(self, pid: int) -> None:
        group = self.root / f"gametree-bench-{pid}"
        group.mkdir(exist_ok=True)
        quota = int(self.cores * self.PERIOD_US)
        if self.v2:
            (group / "cpu.max").write_text(f"{quota} {self.PERIOD_US}")
        else:
            (group / "cpu.cfs_period_us").write_text(str(self.PERIOD_US))
            (group / "cpu.cfs_quota_us").write_text(str(quota))
        (group / "cgroup.procs").write_text(str(pid))  # the whole process, every thread
        self.groups.append(group)

    def throttled_seconds(self) -> float:
        """How long the capped processes waited for their next period, in all."""
        total = 0.0
        for group in self.groups:
            for line in _read(group / "cpu.stat").splitlines():
                key, _, value = line.partition(" ")
                if key == "throttled_time":  # v1, nanoseconds
                    total += int(value) / 1e9
                elif key == "throttled_usec":  # v2
                    total += int(value) / 1e6
        return total

    def __enter__(self) -> CpuCap:
        return self

    def __exit__(self, *exc: object) -> None:
        for group in self.groups:
            for pid in _read(group / "cgroup.procs").split():
                with contextlib.suppress(OSError):  # back to the root group if still alive
                    (self.root / "cgroup.procs").write_text(pid)
            with contextlib.suppress(OSError):
                group.rmdir()
        self.groups.clear()


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


class Relay:
    """The bare relay in its own process (started and stopped by the bench)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def ws_base(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def __enter__(self) -> Relay:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__)), "relay", "--port", str(self.port)],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if b"READY" not in line:
            raise RuntimeError("relay did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description="bench helpers; `relay` runs the bare relay")
    sub = parser.add_subparsers(dest="command", required=True)
    relay = sub.add_parser("relay", help="run the bare websockets relay")
    relay.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    if args.command == "relay":
        asyncio.run(_relay_main(args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
