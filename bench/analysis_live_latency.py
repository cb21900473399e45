#!/usr/bin/env python3
"""Keystrokes while an uncached multi-tree Analysis runs: does reading a workshop's critiques
by example in the serving process slow what other people see?

One daphne process (production settings) on the embedded default (a fresh SQLite file, the
in-memory channel layer) and, with --databases sqlite,postgres, on PostgreSQL + Redis (a fresh
database, dropped afterwards). Alice, Bob and Carol have one game tree open over websockets;
Alice types into one node (a whole-text write per keystroke, the next one `--interval` after
the last has reached both others' screens); the time from her send to its receipt at Bob's and
Carol's sockets is one sample each. Beside it, `--sets` sets of `--trees` game trees with
`--critiques` distinct critiques each (fresh wording made for this run, so no reading of them
is cached anywhere), owned by Alice.

Phases, side by side in one run, `--repeats` times in turn:

  idle       typing for `--idle-seconds` with no Analysis request
  analysing  typing while Alice's `GET /api/analysis/recurring/?trees=<one set>&top=50` runs
             (a set not requested before: every critique is read by example for the first time);
             with `--request board`, her `GET /api/workshops/<id>/board/` of a workshop whose
             one exercise has the set's trees, one per group (the REST board's ranking reads
             the critiques the same way; trees/board_service.py)

Then the same set is asked for again (cached) and the answer compared with the first.

Each database is measured in each way of computing an Analysis (`--modes`), one server after
the other in the same run:

  old  in the request's thread of the serving process (GAMETREE_ANALYSIS_IN_PROCESS=0), the
       way before the Analysis moved to a worker process
  new  the default: in the Analysis's warm worker process (trees/analysis_service.py; the
       board's ranking: board_service.ranked)

Prints the keystroke p50 / p99 / max of both phases (every phase's samples pooled, and each
phase apart), the Analysis request's own time uncached and cached, and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import bench_parser, machine, machine_line, production_env, summary, write_json  # noqa: E402
from _live import (  # noqa: E402
    LiveRoom,
    Setup,
    database_arguments,
    each_setup,
    idle_then_busy,
    load_range,
    new_over_old,
    one_server,
)

from tests.e2e.server import Server  # noqa: E402

# -- fresh critiques -------------------------------------------------------------------------

WHO = [
    "The model",
    "The policy",
    "The trained agent",
    "Our assistant",
    "The overseer",
    "The reward model",
    "The debate judge",
    "The learned optimiser",
    "The planner",
    "The summariser",
    "The proxy objective",
    "The amplified system",
    "The red team",
    "The evaluator",
    "The fine-tuned model",
    "The agent at deployment",
]
DOES = [
    "learns to please the raters",
    "finds a loophole in the reward",
    "hides what it is doing",
    "behaves well only while it is watched",
    "copies the labellers' mistakes",
    "optimises the measurable proxy",
    "acquires more resources than the task needs",
    "persuades the judge instead of being right",
    "drifts once the inputs change",
    "resists being switched off",
    "tells people what they want to hear",
    "games the unit tests",
    "colludes with the other copy",
    "overfits the training prompts",
    "pursues a goal we never intended",
    "stops asking when it is unsure",
]
WHEN = [
    "as soon as the stakes are high",
    "when nobody checks the logs",
    "after a few updates",
    "on inputs unlike the training data",
    "once it is deployed widely",
    "when the evaluators are tired",
    "in long multi-step tasks",
    "under time pressure",
    "when the reward is sparse",
    "with a capable enough base model",
    "whenever the humans disagree",
    "in the tail of the distribution",
]
SO = [
    "so the numbers look fine while the outcome is bad",
    "and nobody notices for months",
    "which the oversight cannot catch",
    "so the safety case no longer holds",
    "and the fix makes it worse",
    "so we end up trusting the wrong signal",
    "and the failure only shows at scale",
    "which breaks the assumption of the proposal",
    "so the audit misses it",
    "and we cannot tell from the outside",
]


def critique_texts(count: int, rng: random.Random, seen: set[str]) -> list[str]:
    """`count` distinct critique sentences, none in `seen` (which they are added to)."""
    out: list[str] = []
    while len(out) < count:
        text = (
            f"{rng.choice(WHO)} {rng.choice(DOES)} {rng.choice(WHEN)}, {rng.choice(SO)}"
            f" (case {rng.randrange(10_000)})."
        )
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def game_nodes(
    critiques: list[str], rng: random.Random, proposals: int = 8
) -> list[dict[str, Any]]:
    """A game tree: `proposals` top-level proposals with the critiques spread under them, a
    third of them tagged (what a group's tree looks like at the end of a round)."""
    tags = ["reward-hacking", "deception", "distribution-shift", "goodhart", "oversight"]
    nodes: list[dict[str, Any]] = []
    tops = [str(uuid.uuid4()) for _ in range(proposals)]
    for k, pid in enumerate(tops):
        nodes.append(
            {"id": pid, "type": "proposal", "parent": None, "text": f"Proposal {k + 1}", "tags": []}
        )
    for text in critiques:
        nodes.append(
            {
                "id": str(uuid.uuid4()),
                "type": "critique",
                "parent": rng.choice(tops),
                "text": text,
                "tags": [rng.choice(tags)] if rng.random() < 1 / 3 else [],
            }
        )
    return nodes


# Run inside `manage.py shell` (read from standard input): the sets of trees, owned by alice.
_TREES = """
import json, random, sys
sys.path.insert(0, {bench!r})
from analysis_live_latency import critique_texts, game_nodes
from django.contrib.auth import get_user_model
from trees.actions.imports import tree_import
from trees.actions.workshops import workshop_create
from trees.models import Exercise, ExerciseTree, Round, WorkshopGroup
alice = get_user_model().objects.get(username="alice")
rng = random.Random({seed!r})
seen = set()
sets = []
workshops = []
for s in range({sets}):
    ids = []
    for t in range({trees}):
        nodes = game_nodes(critique_texts({critiques}, rng, seen), rng)
        tree = tree_import(owner_id=alice.pk, kind="game", title=f"set {{s}} tree {{t}}",
                           nodes=nodes)
        ids.append(tree.pk)
    sets.append(ids)
    # the same trees as one exercise of a workshop Alice facilitates, a group's tree each
    workshop = workshop_create(user=alice, title=f"set {{s}}")
    exercise = Exercise.objects.create(workshop=workshop, kind="game_tree", title="Game tree",
                                       position=0)
    round_ = Round.objects.create(exercise=exercise, number=1, mode="group")
    for t, tree_id in enumerate(ids):
        group = WorkshopGroup.objects.create(workshop=workshop, name=f"Group {{t + 1}}",
                                             position=t)
        ExerciseTree.objects.create(exercise=exercise, round=round_, tree_id=tree_id,
                                    group=group, kind="group")
    workshops.append(workshop.pk)
warm = tree_import(owner_id=alice.pk, kind="game", title="warm-up",
                   nodes=game_nodes(critique_texts(5, rng, seen), rng, proposals=1))
print("SETS " + json.dumps({{"sets": sets, "workshops": workshops, "warm": warm.pk}}))
"""


def make_sets(server: Server, args: argparse.Namespace) -> tuple[list[list[int]], list[int], int]:
    """The sets of trees, the workshop of each, and a small tree for the models' warm-up."""
    script = _TREES.format(
        bench=str(ROOT / "bench"),
        seed=uuid.uuid4().hex,
        sets=args.sets,
        trees=args.trees,
        critiques=args.critiques,
    )
    out = server.manage("shell", stdin=script)
    made = json.loads(next(x for x in out.splitlines() if x.startswith("SETS "))[5:])
    return made["sets"], made["workshops"], made["warm"]


# -- the Analysis request --------------------------------------------------------------------


def alices_get(server: Server, path: str, timeout: float = 300) -> tuple[float, int, Any]:
    """Alice's GET of `path`: (seconds, HTTP status, body)."""
    request = urllib.request.Request(
        server.base + path,
        headers={"Authorization": f"Token {server.token('alice')}", "Accept": "application/json"},
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        body = json.loads(response.read())
        status = response.status
    return time.perf_counter() - started, status, body


def analysis(server: Server, trees: list[int]) -> tuple[float, int, Any]:
    """Alice's multi-tree Analysis of `trees`: (seconds, HTTP status, body)."""
    return alices_get(server, f"/api/analysis/recurring/?trees={','.join(map(str, trees))}&top=50")


def board(server: Server, workshop: int) -> tuple[float, int, Any]:
    """Alice's REST board of `workshop`: (seconds, HTTP status, its exercise's ranking)."""
    took, status, body = alices_get(server, f"/api/workshops/{workshop}/board/")
    return took, status, body["exercises"][0]["ranking"]


# -- the typist ------------------------------------------------------------------------------


class Typist(LiveRoom):
    """Alice types into one node of a game tree that Bob and Carol have open."""

    def __init__(self, server: Server, interval: float) -> None:
        # (An uncached Analysis in the serving process may hold the others' receipts long.)
        super().__init__([server], timeout=60)
        self.interval = interval
        self.text = ""

    async def __aenter__(self) -> Typist:
        await super().__aenter__()
        self.node = str(uuid.uuid4())
        await self.send({"kind": "create", "id": self.node, "type": "proposal", "parent": None})
        return self

    async def type_until(self, done: asyncio.Future[Any] | float) -> list[float]:
        """Keystrokes until `done` (a future, or a number of seconds); the samples."""
        deadline = time.perf_counter() + done if isinstance(done, float) else None
        samples: list[float] = []
        while True:
            if deadline is not None and time.perf_counter() >= deadline:
                return samples
            if not isinstance(done, float) and done.done():
                return samples
            self.text = (self.text + random.choice("abcdefghij klmnop"))[-300:]
            samples += await self.send(
                {"kind": "set", "id": self.node, "field": "text", "value": self.text}
            )
            await asyncio.sleep(self.interval)


# -- run -------------------------------------------------------------------------------------


def _items(body: Any) -> list[Any]:
    return [(i.get("label"), i.get("score"), len(i.get("members") or ())) for i in body["items"]]


MODES = {"old": {"GAMETREE_ANALYSIS_IN_PROCESS": "0"}, "new": {}}


async def measure(args: argparse.Namespace, setup: Setup) -> dict[str, Any]:
    env = production_env(**MODES[setup.mode], **dict(kv.split("=", 1) for kv in args.env))
    async with one_server(setup, env) as (server, load):
        sets, workshops, warm_tree = await asyncio.to_thread(make_sets, server, args)

        def ask(r: int) -> tuple[float, int, Any]:
            if args.request == "board":
                return board(server, workshops[r % len(workshops)])
            return analysis(server, sets[r % len(sets)])

        # the models loaded (as any earlier Analysis did), none of the sets' critiques read
        warm = await asyncio.to_thread(analysis, server, [warm_tree])
        phases: list[dict[str, Any]] = []
        async with Typist(server, args.interval) as typist:
            await typist.type_until(2.0)  # warm-up, not measured

            async def typing(request: asyncio.Future[Any] | None) -> list[float]:
                """Idle: for `--idle-seconds`; analysing: until the request is answered."""
                return await typist.type_until(
                    float(args.idle_seconds) if request is None else request
                )

            for r in range(args.repeats):
                idle, busy, (took, status, body) = await idle_then_busy(
                    typing, functools.partial(asyncio.to_thread, ask, r)
                )
                phases.append({"phase": "idle", "samples": idle.samples, "load": idle.load})
                phases.append(
                    {
                        "phase": "analysing",
                        "samples": busy.samples,
                        "load": busy.load,
                        "analysis_s": took,
                        "status": status,
                        "items": len(body["items"]),
                        "partial": body.get("partial"),
                    }
                )
                again, _, body2 = await asyncio.to_thread(ask, r)
                phases[-1]["cached_s"] = again
                phases[-1]["same_answer"] = _items(body) == _items(body2)
    pooled = {
        name: summary([x for p in phases if p["phase"] == name for x in p["samples"]])
        for name in ("idle", "analysing")
    }
    for p in phases:
        p["summary"] = summary(p.pop("samples"))
    return {
        "backend": setup.backend,
        "mode": setup.mode,
        "request": args.request,
        "env": args.env,
        "model_load_s": warm[0],
        "pooled": pooled,
        "phases": phases,
        "load": load.samples,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    runs = await each_setup(args, lambda setup: measure(args, setup))
    return {"machine": machine(), "args": vars(args), "runs": list(runs.values())}


def _ms(s: dict[str, float]) -> str:
    return f"{s['p50_ms']:8.2f} {s['p99_ms']:8.2f} {s['max_ms']:9.2f} {s['n']:>6}"


def report(data: dict[str, Any], args: argparse.Namespace) -> None:
    print(machine_line(data["machine"]))
    critiques = args.trees * args.critiques
    what = "REST board" if args.request == "board" else "Analysis"
    print(
        f"keystroke -> other screens (ms), one {what} of {args.trees} trees x "
        f"{args.critiques} critiques = {critiques:,} distinct, uncached, at a time"
    )
    for result in data["runs"]:
        load = load_range(result["load"], digits=2)
        env = "".join(f", {kv}" for kv in result["env"])
        print(f"\n{result['backend']} {result['mode']}{env}, 1-min load {load}")
        print(f"{'':22} {'p50':>8} {'p99':>8} {'max':>9} {'n':>6}  Analysis uncached / cached")
        for p in result["phases"]:
            tail = ""
            if p["phase"] == "analysing":
                tail = (
                    f"  {p['analysis_s']:.2f} s / {p['cached_s']:.2f} s"
                    f"{'' if p['same_answer'] else ' (answers differ)'}"
                    f"{' partial' if p.get('partial') else ''}"
                )
            print(f"  {p['phase']:20} {_ms(p['summary'])}{tail}")
        idle, busy = result["pooled"]["idle"], result["pooled"]["analysing"]
        print(f"  {'all idle':20} {_ms(idle)}")
        print(f"  {'all analysing':20} {_ms(busy)}")
        print(
            f"  analysing / idle: p50 {busy['p50_ms'] / idle['p50_ms']:.2f}x, "
            f"p99 {busy['p99_ms'] / idle['p99_ms']:.2f}x, "
            f"max {busy['max_ms'] / idle['max_ms']:.2f}x"
            f"; first Analysis of one tree (models loaded) {result['model_load_s']:.2f} s"
        )
    by = {(r["backend"], r["mode"]): r for r in data["runs"]}
    for backend in dict.fromkeys(r["backend"] for r in data["runs"]):
        if (backend, "old") in by and (backend, "new") in by:
            old, new = by[backend, "old"], by[backend, "new"]
            label = f"{backend}, while analysing"
            print(new_over_old(label, old["pooled"]["analysing"], new["pooled"]["analysing"]))


def main() -> int:
    parser = bench_parser(__doc__)
    parser.add_argument("--trees", type=int, default=10, help="trees per Analysis (10)")
    parser.add_argument("--critiques", type=int, default=100, help="critiques per tree (100)")
    parser.add_argument("--sets", type=int, default=2, help="sets of trees made (2)")
    parser.add_argument("--repeats", type=int, default=2, help="idle + analysing rounds (2)")
    parser.add_argument("--idle-seconds", type=float, default=10.0, help="idle phase (10 s)")
    parser.add_argument(
        "--interval", type=float, default=0.03, help="pause between keystrokes (0.03 s)"
    )
    parser.add_argument(
        "--request",
        choices=("recurring", "board"),
        default="recurring",
        help="what runs beside the typing: the Analysis (recurring) or the REST board",
    )
    parser.add_argument("--modes", default="old,new", help="old,new or one of them (both)")
    database_arguments(parser, "sqlite", "sqlite, postgres or sqlite,postgres (sqlite)", redis=True)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a further server setting for every run (repeatable)",
    )
    args = parser.parse_args()
    if args.repeats > args.sets:
        parser.error("--repeats needs as many --sets (each Analysis reads a set not read before)")
    data = asyncio.run(run(args))
    report(data, args)
    write_json(args.json, data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
