#!/usr/bin/env python3
"""Export size, peak memory and time of a 10,000-level chain, before and after issue 17's
bounds, side by side in one run.

The "before" code is the formats layer of a given commit (default: the last one before the
change), extracted with `git archive` into a temporary directory and run in its own
process; "after" is the working tree. Each process builds the same chain (one node per
level, a short text and note each) and exports it in each format, measuring the output
size, the peak of Python allocations while writing (tracemalloc) and the wall time.

    .venv/bin/python bench/export_size.py [--before COMMIT] [--levels N]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", default=BEFORE, help="commit of the old formats layer")
    parser.add_argument("--levels", type=int, default=10_000)
    args = parser.parse_args()
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
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
