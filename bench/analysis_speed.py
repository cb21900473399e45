"""Speed benchmark of the analysis layer: merge, recurrence, survival, and doubling ratios.

Run: .venv/bin/python bench/analysis_speed.py [merge] [recurring] [survival] [--phases]
(default: all cases; ``--help`` says more).
Targets: merge 5 trees x 2,000 nodes < 2 s; recurrence on a 10,000-node game tree < 1 s;
survival on 100,000 nodes < 1 s; doubling the size costs <= 2.2x (measured in this run).
"""

from __future__ import annotations

import argparse
import functools
import importlib
import os
import random
import sys
import time
from collections.abc import Callable
from typing import Any

from trees.analysis.merge import merge
from trees.analysis.recurrence import TreeInput, recurring
from trees.analysis.survival import survival

WORDS = [
    "reward",
    "hacking",
    "deception",
    "oversight",
    "values",
    "power",
    "goal",
    "drift",
    "proxy",
    "model",
    "training",
    "deployment",
    "interpretability",
    "feedback",
    "human",
    "raters",
    "shutdown",
    "mesa",
    "optimizer",
    "gradient",
    "situational",
    "awareness",
    "evaluation",
    "sandbagging",
    "governance",
    "race",
    "labs",
    "misuse",
    "jailbreak",
    "robustness",
    "distribution",
    "shift",
    "superposition",
    "debate",
    "honesty",
    "sycophancy",
    "corrigibility",
    "specification",
    "gaming",
    "side",
    "effects",
    "inner",
    "outer",
    "alignment",
    "latent",
    "knowledge",
    "scaling",
]
SYLLABLES = [
    "ra",
    "mi",
    "to",
    "ke",
    "lo",
    "su",
    "na",
    "vi",
    "de",
    "po",
    "ga",
    "fe",
    "ri",
    "mo",
    "tu",
]
# a realistic vocabulary size: real trees of thousands of nodes use thousands of words
VOCAB = WORDS + sorted({"".join(random.Random(k).choices(SYLLABLES, k=3)) for k in range(3000)})
TAGS = ["goodhart", "deception", "oversight", "scaling", "values", "power", "collusion"]


def node(nid: str, kind: str, parent: str | None, text: str, **kw: Any) -> dict[str, Any]:
    return {
        "id": nid,
        "type": kind,
        "parent": parent,
        "parents": [],
        "key": "a0",
        "text": text,
        "note": "",
        "tags": kw.get("tags", []),
        "author": kw.get("author", 1),
        "deleted": False,
        "meta": {},
    }


def phrase(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(VOCAB) for _ in range(n))


def problem_trees(count: int, size: int, seed: int = 1) -> list[tuple[int, list[dict[str, Any]]]]:
    """Trees that share a vocabulary of problems, each reworded and placed a bit differently."""
    rng = random.Random(seed)
    concepts = [phrase(rng, rng.randint(2, 4)) for _ in range(size)]
    trees = []
    for t in range(count):
        nodes = [node(f"{t}-0", "problem", None, "Alignment")]
        for i in range(1, size):
            words = concepts[rng.randrange(size)].split()
            if rng.random() < 0.3:
                words[rng.randrange(len(words))] = rng.choice(VOCAB)
            parent = f"{t}-{rng.randrange(max(1, i - 50), i)}" if i > 10 else f"{t}-0"
            nodes.append(node(f"{t}-{i}", "problem", parent, " ".join(words)))
        trees.append((t, nodes))
    return trees


def game_tree(size: int, seed: int = 2) -> list[dict[str, Any]]:
    """Proposals with critiques and patches, about a third of the critiques tagged."""
    rng = random.Random(seed)
    nodes: list[dict[str, Any]] = []
    kinds: list[str] = []
    while len(nodes) < size:
        i = len(nodes)
        if not nodes or rng.random() < 0.08:
            nodes.append(node(f"n{i}", "proposal", None, phrase(rng, 6)))
            kinds.append("proposal")
            continue
        p = rng.randrange(max(0, i - 30), i)
        kind = "patch" if kinds[p] == "critique" else "critique"
        tags = [rng.choice(TAGS)] if kind == "critique" and rng.random() < 0.35 else []
        nodes.append(
            node(f"n{i}", kind, f"n{p}", phrase(rng, 10), tags=tags, author=rng.randrange(20))
        )
        kinds.append(kind)
    return nodes


def attack_tree(size: int) -> list[dict[str, Any]]:
    nodes = []
    p = 0
    while len(nodes) < size:
        nodes.append(node(f"p{p}", "proposal", None, f"proposal {p}"))
        for c in range(3):
            nodes.append(node(f"p{p}c{c}", "critique", f"p{p}", "critique"))
            if c < 2:
                nodes.append(node(f"p{p}c{c}x", "patch", f"p{p}c{c}", "patch"))
                nodes.append(node(f"p{p}c{c}xc", "critique", f"p{p}c{c}x", "again"))
        p += 1
    return nodes[:size]


def timed(
    small: Callable[[], object], big: Callable[[], object], repeat: int = 5
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Best of ``repeat`` runs of each size as (wall seconds, CPU seconds of this process).

    The dev box is shared: wall time includes waiting for a core, CPU time
    (``time.process_time``) does not. Runs of the two sizes alternate, so that a burst of
    load from other jobs does not land on one size only (which skews the doubling ratio more
    than anything the code does); fewer runs when one run of the big size takes over 10 s.
    """
    best = {False: [float("inf")] * 2, True: [float("inf")] * 2}
    for _ in range(repeat):
        for is_big, fn in ((False, small), (True, big)):
            w, c = time.perf_counter(), time.process_time()
            fn()
            got = best[is_big]
            got[0] = min(got[0], time.perf_counter() - w)
            got[1] = min(got[1], time.process_time() - c)
        if best[True][0] > 10.0:
            break
    return (best[False][0], best[False][1]), (best[True][0], best[True][1])


CASES = ("merge", "recurring", "survival")
# merge's phases: (owner, attribute); the rest of merge (auto matches, the result) is "other"
MERGE_PHASES = (
    ("trees.analysis.merge", "_items"),
    ("trees.analysis.matching", "Matcher.__init__"),
    ("trees.analysis.matching", "Matcher.candidates"),
    ("trees.analysis.matching", "Matcher.ranked"),
    ("trees.analysis.merge", "_suggestions"),
    ("trees.analysis.merge", "_build"),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Time the analysis layer at size N and 2N: merge of 5 problem trees x N nodes "
            "(N = 2,000, target < 2 s), recurring on a game tree of N nodes (N = 10,000, "
            "target < 1 s) and survival on N nodes (N = 100,000, target < 1 s); doubling the "
            "size must cost at most 2.2x. Each case runs N and 2N alternately, best of 5 "
            "(fewer when one 2N run takes over 10 s), and prints wall and CPU seconds and "
            "their ratios. Exit status 1 when a target is missed (judged on wall time)."
        )
    )
    parser.add_argument(
        "cases", nargs="*", metavar="CASE", help=f"any of {', '.join(CASES)} (default: all)"
    )
    parser.add_argument(
        "--phases",
        action="store_true",
        help=(
            "also print merge's CPU seconds per phase at N and 2N (best of the same runs; "
            "a timer wraps each phase function, called once per merge)"
        ),
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {', '.join(unknown)}; choose from {', '.join(CASES)}")
    return args


class PhaseTimer:
    """CPU seconds per merge phase, best of the runs of each size."""

    def __init__(self) -> None:
        self.current: dict[str, float] = {}
        self.best: dict[bool, dict[str, float]] = {False: {}, True: {}}

    def install(self) -> None:
        for module_name, attr in MERGE_PHASES:
            owner: Any = importlib.import_module(module_name)
            *path, name = attr.split(".")
            for part in path:
                owner = getattr(owner, part)
            setattr(owner, name, self._wrap(attr, getattr(owner, name)))

    def _wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def timed_phase(*args: Any, **kwargs: Any) -> Any:
            start = time.process_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.current[label] = self.current.get(label, 0.0) + time.process_time() - start

        return timed_phase

    def done(self, is_big: bool, total: float) -> None:
        self.current["other"] = total - sum(self.current.values())
        best = self.best[is_big]
        for label, t in self.current.items():
            best[label] = min(best.get(label, float("inf")), t)
        self.current = {}

    def report(self) -> None:
        small, big = self.best[False], self.best[True]
        print(f"merge phases, CPU seconds (best of the runs)  {'N':>7} {'2N':>7}  ratio")
        for label in [*(a for _, a in MERGE_PHASES), "other"]:
            a, b = small.get(label, 0.0), big.get(label, 0.0)
            print(f"  {label:42} {a:>7.3f} {b:>7.3f}  {b / a if a else 0.0:>5.2f}x")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows = []
    ok = True
    only = set(args.cases)
    phases = PhaseTimer() if args.phases and (not only or "merge" in only) else None
    if phases is not None:
        phases.install()
    print(f"load average at the start (1, 5, 15 min): {os.getloadavg()}")

    def case(name: str, target: float, make: Callable[[int], Callable[[], object]], n: int) -> None:
        nonlocal ok
        if only and name.split()[0].rstrip(",") not in only:
            return
        (small, small_cpu), (big, big_cpu) = timed(make(n), make(2 * n))
        ratio, ratio_cpu = big / small, big_cpu / small_cpu
        passed = small < target and ratio <= 2.2
        ok = ok and passed
        rows.append(
            (name, n, small, small_cpu, target, 2 * n, big, big_cpu, ratio, ratio_cpu, passed)
        )

    trees_small = problem_trees(5, 2000) if not only or "merge" in only else []
    trees_big = problem_trees(5, 4000) if not only or "merge" in only else []

    def run_merge(trees: list[tuple[int, list[dict[str, Any]]]], is_big: bool) -> object:
        if phases is None:
            return merge(trees, embedder=None)
        start = time.process_time()
        result = merge(trees, embedder=None)
        phases.done(is_big, time.process_time() - start)
        return result

    case(
        "merge 5 trees x N nodes",
        2.0,
        lambda n: lambda t=(trees_small if n == 2000 else trees_big): run_merge(t, n != 2000),
        2000,
    )
    games = {n: game_tree(n) for n in (10_000, 20_000) if not only or "recurring" in only}
    case(
        "recurring, game tree of N nodes",
        1.0,
        lambda n: lambda g=games[n]: recurring([TreeInput(1, g, kind="game")]),
        10_000,
    )
    attacks = {n: attack_tree(n) for n in (100_000, 200_000) if not only or "survival" in only}
    case("survival, N nodes", 1.0, lambda n: lambda a=attacks[n]: survival(a), 100_000)

    print(f"load average at the end (1, 5, 15 min): {os.getloadavg()}")
    print(
        f"{'case':32} {'N':>7} {'wall':>7} {'cpu':>7} {'target':>6} {'2N':>7} {'wall':>7} "
        f"{'cpu':>7} {'ratio wall/cpu':>15}"
    )
    for name, n, small, sc, target, n2, big, bc, ratio, rc, passed in rows:
        flag = "ok" if passed else "FAIL"
        print(
            f"{name:32} {n:>7} {small:>6.3f}s {sc:>6.3f}s {target:>5.1f}s {n2:>7} {big:>6.3f}s "
            f"{bc:>6.3f}s {ratio:>6.2f}x/{rc:.2f}x {flag}"
        )
    print("(ok/FAIL judges wall time, as the targets are stated; compare the CPU columns too)")
    if phases is not None:
        phases.report()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
