#!/usr/bin/env python3
"""The analysis and domain layers' graph jobs, library against hand-written, side by side.

Issue 18 replaced the hand-written graph algorithms by the libraries that do those jobs:
strongly connected components of the merged DAG (an iterative Tarjan) by networkx, and the
three topological orders (the merged DAG's, the recurrence table's, a DAG tree snapshot's) by
the standard library's graphlib. This times each library version against the hand-written
one it replaced (kept below as the baseline), interleaved in one process on the same graphs,
and checks that both give the same result. Graphs: merged-DAG sized (5 trees x N nodes merged
into about 2N nodes, a tenth with an extra parent, a few cycles between trees).

* The DAG snapshot's order (trees/domain/state.py) stays hand-written: it is a priority order
  (the ready node of lowest preorder rank first), which graphlib does not give; graphlib
  keeping only the in-degrees (the candidate timed here) cost 2-3x on the path that sends a
  merged tree to every client that opens it.

    .venv/bin/python bench/graph_jobs.py [--nodes 2000 4000 8000] [--repeat 7]
"""

from __future__ import annotations

import argparse
import heapq
import importlib
import os
import random
import sys
import time
import uuid
from array import array
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress
from graphlib import CycleError, TopologicalSorter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from trees.analysis.merge import dag  # noqa: E402
from trees.domain import Node, TreeState  # noqa: E402

# the module (the package's `recurring` is its function)
recurring = importlib.import_module("trees.analysis.recurrence.recurring")

# ---- the hand-written versions, as they were before (git log -- trees/analysis/merge.py) ----


def old_topological(
    nodes: list[int], succ: Mapping[int, Mapping[int, Any]], pred: Mapping[int, list[int]]
) -> list[int]:
    indeg = {c: len(pred[c]) for c in nodes}
    order = [c for c in nodes if indeg[c] == 0]
    for c in order:
        for d in succ[c]:
            indeg[d] -= 1
            if indeg[d] == 0:
                order.append(d)
    if len(order) < len(nodes):
        seen = set(order)
        order.extend(c for c in nodes if c not in seen)
    return order


def old_strongly_connected(succ: Mapping[int, Mapping[int, Any]]) -> list[list[int]]:
    size = max(succ, default=-1) + 1
    index = array("q", [-1]) * size
    low = array("q", [0]) * size
    on_stack = bytearray(size)
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for start in succ:
        if index[start] >= 0:
            continue
        work: list[tuple[int, Iterator[int]]] = [(start, iter(succ[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack[start] = 1
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, iter(succ[w])))
                    advanced = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


def old_recurring_topological(
    ids: set[Any], parents: Mapping[Any, list[Any]], children: Mapping[Any, list[Any]]
) -> list[Any]:
    indeg = {v: len(parents[v]) for v in ids}
    order = [v for v in ids if indeg[v] == 0]
    for v in order:
        for c in children[v]:
            indeg[c] -= 1
            if indeg[c] == 0:
                order.append(c)
    seen = set(order)
    return order + [v for v in ids if v not in seen]


def graphlib_state_topological(state: TreeState, preorder: list[Node]) -> list[Node]:
    """The graphlib version of TreeState._topological, tried and not taken: graphlib keeps
    the in-degrees, a heap still picks the ready node of lowest preorder rank."""
    rank = {node.id: i for i, node in enumerate(preorder)}
    rest = sorted((n for n in state.nodes.values() if n.id not in rank), key=lambda n: n.id)
    for node in rest:
        rank[node.id] = len(rank)
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for node in state.nodes.values():
        ups = {p for p in [node.parent, *node.parents] if p is not None and p in state.nodes}
        sorter.add(node.id, *ups)
    with suppress(CycleError):
        sorter.prepare()
    heap = [(rank[i], i) for i in sorter.get_ready()]
    heapq.heapify(heap)
    out: list[Node] = []
    while heap:
        _, node_id = heapq.heappop(heap)
        out.append(state.nodes[node_id])
        sorter.done(node_id)
        for down in sorter.get_ready():
            heapq.heappush(heap, (rank[down], down))
    return out


# ---- graphs -----------------------------------------------------------------------------------


def merged_dag(n: int, rng: random.Random, cycles: int) -> dict[int, dict[int, list[Any]]]:
    """`n` merged nodes (ints, as the merge numbers clusters), parents before children, a
    tenth with an extra parent, then `cycles` back edges (trees that disagree)."""
    nodes = rng.sample(range(3 * n), n)  # cluster numbers are items' indexes: sparse
    succ: dict[int, dict[int, list[Any]]] = {c: {} for c in nodes}
    for i in range(1, n):
        succ[nodes[rng.randrange(max(0, i - 50), i)]][nodes[i]] = [0]
        if rng.random() < 0.1:
            succ[nodes[rng.randrange(i)]].setdefault(nodes[i], [1])
    for _ in range(cycles):
        i = rng.randrange(n // 2, n)
        succ[nodes[i]].setdefault(nodes[rng.randrange(max(0, i - 30), i)], [2])
    return succ


def problem_state(n: int, rng: random.Random) -> TreeState:
    ids = [str(uuid.UUID(int=rng.getrandbits(128))) for _ in range(n)]
    nodes = []
    for i, node_id in enumerate(ids):
        parent = ids[rng.randrange(max(0, i - 50), i)] if i else None
        extra = [ids[rng.randrange(i)]] if i > 1 and rng.random() < 0.1 else []
        if extra and extra[0] == parent:
            extra = []
        nodes.append(
            Node(id=node_id, type="problem", parent=parent, parents=extra, key=f"a{i:07d}")
        )
    return TreeState("problem", nodes, 0)


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.process_time()
        result = fn()
        best = min(best, time.process_time() - start)
    return best, result


Job = tuple[str, Callable[[], Any], Callable[[], Any], Callable[[Any], Any]]


def jobs_for(n: int, rng: random.Random) -> list[Job]:
    """The four jobs on graphs of `n` nodes: (name, hand-written, library, what must agree)."""
    succ = merged_dag(n, rng, cycles=max(3, n // 500))
    nodes = list(succ)

    def scc_old() -> Any:
        return sorted(sorted(c) for c in old_strongly_connected(succ))

    def scc_new() -> Any:
        return sorted(sorted(c) for c in dag.strongly_connected(succ))

    acyclic = {c: dict(ds) for c, ds in succ.items()}
    for comp in old_strongly_connected(acyclic):  # drop the back edges, as _break_cycles
        inside = set(comp)
        for u in comp:
            for v in [v for v in acyclic[u] if v in inside and nodes.index(v) < nodes.index(u)]:
                del acyclic[u][v]
    pred: dict[int, list[int]] = {c: [] for c in nodes}
    for p, cs in acyclic.items():
        for c in cs:
            pred[c].append(p)
    ids = set(nodes)
    children = {c: list(ds) for c, ds in acyclic.items()}
    state = problem_state(n, rng)
    preorder = sorted(state.nodes.values(), key=lambda x: x.key)
    jobs: list[Job] = [
        ("strongly connected (merge)", scc_old, scc_new, lambda r: r),
        (
            "topological order (merge DAG)",
            lambda: old_topological(nodes, acyclic, pred),
            lambda: dag._topological(nodes, acyclic, pred),
            lambda r: r,
        ),
        (
            "topological order (recurrence)",
            lambda: old_recurring_topological(ids, pred, children),
            lambda: recurring._topological(ids, pred, children),
            _is_topological(children),
        ),
        (
            "topological order (DAG snapshot)*",
            lambda: [x.id for x in state._topological(preorder)],
            lambda: [x.id for x in graphlib_state_topological(state, preorder)],
            lambda r: r,
        ),
    ]
    return jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[2000, 4000, 8000, 16000])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--merge",
        type=int,
        nargs="*",
        default=[1000, 2000, 4000],
        help="also time whole merges of 5 trees x N nodes (bench/analysis_speed.py's trees, word "
        "scores) with each pair of versions, and the slope of each",
    )
    args = parser.parse_args()
    rng = random.Random(18)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'job':34} {'nodes':>6} {'hand-written ms':>16} {'library ms':>11} {'ratio':>6}")
    print("(* not taken: the code keeps the hand-written one; see the docstring)")
    worst = 0.0
    for n in args.nodes:
        jobs = jobs_for(n, rng)
        for name, old, new, key in jobs:
            # interleaved, best of `repeat` each: the machine's load hits both alike
            t_old = t_new = float("inf")
            r_old = r_new = None
            for _ in range(args.repeat):
                a, r_old = best_of(old, 1)
                b, r_new = best_of(new, 1)
                t_old, t_new = min(t_old, a), min(t_new, b)
            if key(r_old) != key(r_new):
                print(f"{name}: the results differ at {n} nodes")
                return 1
            ratio = t_new / t_old if t_old else float("nan")
            if not name.endswith("*"):
                worst = max(worst, ratio)
            print(f"{name:34} {n:>6} {t_old * 1e3:>16.2f} {t_new * 1e3:>11.2f} {ratio:>6.2f}")
    if args.merge:
        worst = max(worst, whole_merges(args.merge, args.repeat))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"results identical; worst ratio library / hand-written: {worst:.2f}")
    return 0


def whole_merges(sizes: list[int], repeat: int) -> float:
    """Whole merges (5 x N, bench/analysis_speed.py's trees), the merged DAG's SCCs and order
    by the hand-written versions or by the libraries, alternately; the slopes of both."""
    from bench.analysis_speed import problem_trees, slope
    from trees.analysis.merge import merge

    versions = {
        "hand-written": (old_strongly_connected, old_topological),
        "library": (dag.strongly_connected, dag._topological),
    }
    best: dict[str, list[float]] = {name: [] for name in versions}
    results: dict[str, Any] = {}
    for n in sizes:
        trees = problem_trees(5, n)
        times = {name: float("inf") for name in versions}
        for _ in range(max(1, repeat // 2)):
            for name, (scc, topo) in versions.items():
                dag.strongly_connected, dag._topological = scc, topo  # type: ignore[assignment]
                start = time.process_time()
                results[name] = merge(trees, embedder=None)
                times[name] = min(times[name], time.process_time() - start)
        dag.strongly_connected, dag._topological = versions["library"]  # type: ignore[assignment]
        if results["hand-written"] != results["library"]:
            print(f"whole merge: the results differ at 5 x {n}")
            raise SystemExit(1)
        for name in versions:
            best[name].append(times[name])
        ratio = times["library"] / times["hand-written"]
        print(
            f"{'whole merge 5 x N (CPU)':34} {n:>6} {times['hand-written'] * 1e3:>16.0f}"
            f" {times['library'] * 1e3:>11.0f} {ratio:>6.2f}"
        )
    for name in versions:
        print(f"merge cost growth (slope of log time), {name}: {slope(sizes, best[name]):.3f}")
    return max(b / a for a, b in zip(best["hand-written"], best["library"], strict=True))


def _is_topological(children: Mapping[Any, list[Any]]) -> Callable[[list[Any]], bool]:
    """Any topological order serves the recurrence table (it ORs bits down the DAG)."""

    def check(order: list[Any]) -> bool:
        at = {v: i for i, v in enumerate(order)}
        return len(at) == len(children) and all(
            at[p] < at[c] for p, cs in children.items() for c in cs
        )

    return check


if __name__ == "__main__":
    sys.exit(main())
