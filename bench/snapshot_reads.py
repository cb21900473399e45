#!/usr/bin/env python3
"""A whole-tree read, lock-free (issue 18) against the old locked read, side by side.

`selectors.tree_snapshot` reads the tree's version in one read transaction and takes no lock;
it answers from the writers' cached state when that is at the version read (under the tree's
guard, trees/actions/state_cache.py), else from the node rows. The old `actions.tree_snapshot`
took the write lock (SELECT ... FOR UPDATE; on SQLite a BEGIN IMMEDIATE) and answered from the
cached state. This times both, interleaved, on trees of 500-8,000 nodes, on a fresh SQLite file
database (as `make run` serves) or on DATABASE_URL when given, and prints the load average.
(Reading the node rows every time, the first lock-free version, cost 8-33x the locked read at
load 14: hence the cache.)

    .venv/bin/python bench/snapshot_reads.py [--nodes 500 2000 8000] [--repeat 9]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def locked_snapshot(tree_id: int) -> dict[str, Any]:
    """The old read: the write lock, then the writers' cached state."""
    from django.db import transaction

    from trees.actions import state_cache
    from trees.models import Tree

    with transaction.atomic():
        tree = Tree.objects.select_for_update().only("id", "kind", "version").get(pk=tree_id)
        state = state_cache.state_for(tree_id, tree.kind, tree.version)
        return {"seq": tree.version, "kind": tree.kind, "nodes": state.snapshot()}


def run(sizes: list[int], repeat: int) -> None:
    from django.contrib.auth import get_user_model

    from trees.actions.imports import tree_import
    from trees.selectors import tree_snapshot

    owner = get_user_model().objects.create_user(f"bench-{uuid.uuid4().hex[:8]}")
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'nodes':>6} {'locked, cached ms':>18} {'lock-free ms':>13} {'ratio':>6}")
    for n in sizes:
        ids = [str(uuid.uuid4()) for _ in range(n)]
        nodes = [
            {
                "id": node_id,
                "type": "problem",
                "parent": ids[(i - 1) // 3] if i else None,
                "parents": [],
                "text": f"problem {i}",
            }
            for i, node_id in enumerate(ids)
        ]
        tree = tree_import(owner_id=owner.pk, kind="problem", title=f"{n}", nodes=nodes)
        assert locked_snapshot(tree.pk) == tree_snapshot(tree_id=tree.pk)
        old = new = float("inf")
        for _ in range(repeat):
            start = time.perf_counter()
            locked_snapshot(tree.pk)
            old = min(old, time.perf_counter() - start)
            start = time.perf_counter()
            tree_snapshot(tree_id=tree.pk)
            new = min(new, time.perf_counter() - start)
        print(f"{n:>6} {old * 1e3:>18.1f} {new * 1e3:>13.1f} {new / old:>6.2f}")
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[500, 2000, 8000])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        import django

        django.setup()
        run(args.nodes, args.repeat)
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "gametree.settings_test",
            "PYTHONPATH": str(ROOT),
        }
        env.setdefault("DATABASE_URL", f"sqlite:///{Path(tmp) / 'db.sqlite3'}")
        print(f"database: {env['DATABASE_URL'].split('@')[-1]}")
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], env=env, check=True)
        command = [sys.executable, __file__, "--child", "--repeat", str(args.repeat), "--nodes"]
        return subprocess.run([*command, *map(str, args.nodes)], env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
