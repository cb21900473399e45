#!/usr/bin/env python3
"""Export size, peak memory and time of a 10,000-level chain, before and after issue 17's
bounds, side by side in one run.

The "before" code is the formats layer of a given commit (default: the last one before the
change), extracted with `git archive` into a temporary directory and run in its own
process; "after" is the working tree. Each process builds the same chain (one node per
level, a short text and note each) and exports it in each format, measuring the output
size, the peak of Python allocations while writing (tracemalloc) and the wall time.

With `--server` it also imports the chain into a real daphne (temporary SQLite database)
and downloads Markdown and Argdown twice each, four at once, reporting daphne's resident
memory (VmRSS) and its peak (VmHWM) before and after: the issue saw 3 GB.

    .venv/bin/python bench/export_size.py [--before COMMIT] [--levels N] [--server]
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import LoadSampler, bench_parser, machine, machine_line

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "ea47fcc"
FORMATS = ["md", "txt", "argdown", "json"]

CHILD = r"""
import json, sys, time, tracemalloc
from trees.domain.keys import keys_after
from trees.formats import TreeDoc, export_tree
from trees.formats.doc import new_node

levels = int(sys.argv[1])
nodes, parent, key = [], None, keys_after(None, 1)[0]
for level in range(levels):
    kind = "proposal" if level == 0 else ("critique", "patch")[(level - 1) % 2]
    nodes.append(new_node(kind, parent, key, f"level {level}", note=f"note {level}"))
    parent = nodes[-1]["id"]
doc = TreeDoc("game", "Chain", "", nodes)
out = {}
for fmt in sys.argv[2:]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        size = len(export_tree(doc, fmt=fmt))
    except Exception as exc:  # the old code may refuse (OPML) or fail
        size = f"{type(exc).__name__}: {exc}"[:80]
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    out[fmt] = {"bytes": size, "peak": peak, "seconds": seconds}
print(json.dumps(out))
"""


def run(source: Path, levels: int) -> dict[str, dict[str, object]]:
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(levels), *FORMATS],
        cwd=source,
        env={"PYTHONPATH": str(source), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, dict[str, object]] = json.loads(done.stdout)
    return result


def chain_backup(levels: int) -> bytes:
    sys.path.insert(0, str(ROOT))
    from trees.domain.keys import keys_after
    from trees.formats import TreeDoc, export_tree
    from trees.formats.doc import new_node

    nodes, parent, key = [], None, keys_after(None, 1)[0]
    for level in range(levels):
        kind = "proposal" if level == 0 else ("critique", "patch")[(level - 1) % 2]
        nodes.append(new_node(kind, parent, key, f"level {level}", note=f"note {level}"))
        parent = nodes[-1]["id"]
    return export_tree(TreeDoc("game", "Chain", "", nodes), fmt="json")


def server_memory(levels: int) -> None:
    tmp = tempfile.mkdtemp(prefix="gametree-export-bench-")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3",
        DJANGO_DEBUG="1",
        DJANGO_SETTINGS_MODULE="gametree.settings",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 40,
    )
    python = str(ROOT / ".venv" / "bin" / "python")
    for command in (["migrate", "--noinput", "-v0"], ["loaddemo"]):
        subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    daphne = str(ROOT / ".venv" / "bin" / "daphne")
    server = subprocess.Popen(
        [daphne, "-b", "127.0.0.1", "-p", str(port), "gametree.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                time.sleep(0.2)

        def memory() -> str:
            status = Path(f"/proc/{server.pid}/status").read_text().splitlines()
            value = {
                line.split(":")[0]: int(line.split()[1]) // 1024
                for line in status[1:]
                if line.startswith(("VmRSS", "VmHWM"))
            }
            return f"RSS {value['VmRSS']} MB, peak {value['VmHWM']} MB"

        def call(method: str, path: str, body: bytes | None = None, **headers: str) -> bytes:
            request = urllib.request.Request(base + path, method=method, data=body, headers=headers)
            with urllib.request.urlopen(request, timeout=600) as answer:
                data: bytes = answer.read()
                return data

        login = json.dumps({"username": "alice", "password": "gametree-demo"}).encode()
        token = json.loads(
            call("POST", "/api/auth/token/", login, **{"Content-Type": "application/json"})
        )
        auth = {"Authorization": f"Token {token['token']}"}
        body = json.dumps({"kind": "game", "text": chain_backup(levels).decode()}).encode()
        tree = json.loads(
            call("POST", "/api/trees/import/", body, **auth, **{"Content-Type": "application/json"})
        )
        print(f"daphne after importing the chain: {memory()}")
        sizes: list[int] = []

        def download(fmt: str) -> None:
            sizes.append(len(call("GET", f"/api/trees/{tree['id']}/export/?format={fmt}", **auth)))

        threads = [
            threading.Thread(target=download, args=(fmt,))
            for fmt in ("md", "argdown")
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(f"daphne after 4 concurrent downloads ({sorted(set(sizes))} bytes): {memory()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> int:
    parser = bench_parser(__doc__, json_file=False)
    parser.add_argument("--before", default=BEFORE, help="commit of the old formats layer")
    parser.add_argument("--levels", type=int, default=10_000)
    parser.add_argument("--server", action="store_true", help="also measure a real daphne")
    args = parser.parse_args()
    print(machine_line(machine()))
    load = LoadSampler().__enter__()  # sampled until the report's last line
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "archive", args.before, "trees"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        before = run(Path(tmp), args.levels)
    after = run(ROOT, args.levels)
    print(f"{args.levels:,}-level chain, before = {args.before}, after = working tree")
    print(
        f"{'format':8} {'before':>14} {'after':>12} {'ratio':>8} {'peak before':>12} "
        f"{'peak after':>11} {'s before':>9} {'s after':>8}"
    )
    for fmt in FORMATS:
        b, a = before[fmt], after[fmt]
        ratio = (
            f"{b['bytes'] / a['bytes']:.0f}x"
            if isinstance(b["bytes"], int) and isinstance(a["bytes"], int)
            else "-"
        )
        print(
            f"{fmt:8} {b['bytes']!s:>14} {a['bytes']!s:>12} {ratio:>8} "
            f"{int(b['peak']) / 1e6:>10.1f}MB {int(a['peak']) / 1e6:>9.1f}MB "
            f"{float(b['seconds']):>9.2f} {float(a['seconds']):>8.2f}"
        )
    if args.server:
        server_memory(args.levels)
    load.__exit__()
    print(load.text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
