"""Golden outputs of merge and recurring on fixed inputs, so that speed work cannot change
results unnoticed. "With the model" is what the app runs: merge picks the transformer for
these sizes (under 500 distinct labels); one case pins the static model.

Each case hashes the canonical JSON of the whole result (sorted keys, floats as Python
prints them) and compares it with tests/analysis/golden/results.json, which also keeps a few
counts to say what changed. A change of results that is meant (a better scorer) regenerates
the file: ``GAMETREE_UPDATE_GOLDEN=1 .venv/bin/pytest tests/analysis/test_analysis_golden.py``,
and the commit says why.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from analysis_helpers import node
from quality.quality_eval import HERE, game_set, problem_set, problem_trees, set_dirs

from trees.analysis.merge import merge
from trees.analysis.recurrence import TreeInput, recurring
from trees.analysis.text import semantic

GOLDEN = Path(__file__).resolve().parent / "golden" / "results.json"
WORDS = (  # noqa: SIM905
    "reward hacking deception oversight values power goal drift proxy model training "
    "deployment interpretability feedback human raters shutdown mesa optimizer gradient "
    "situational awareness evaluation sandbagging governance race labs misuse jailbreak "
    "robustness distribution shift superposition debate honesty sycophancy corrigibility"
).split()


def synthetic_problem_trees(count: int, size: int) -> list[tuple[int, list[dict[str, Any]]]]:
    """Trees sharing reworded problems, placed a bit differently (like the speed bench's)."""
    rng = random.Random(7)
    concepts = [" ".join(rng.choices(WORDS, k=rng.randint(2, 4))) for _ in range(size)]
    trees = []
    for t in range(count):
        nodes = [node(f"{t}-0", "R", None, "Alignment")]
        for i in range(1, size):
            words = concepts[rng.randrange(size)].split()
            if rng.random() < 0.3:
                words[rng.randrange(len(words))] = rng.choice(WORDS)
            parent = f"{t}-{rng.randrange(max(1, i - 30), i)}" if i > 5 else f"{t}-0"
            nodes.append(node(f"{t}-{i}", "R", parent, " ".join(words)))
        trees.append((t, nodes))
    return trees


def synthetic_game_tree(size: int) -> list[dict[str, Any]]:
    rng = random.Random(11)
    nodes: list[dict[str, Any]] = []
    kinds: list[str] = []
    while len(nodes) < size:
        i = len(nodes)
        if not nodes or rng.random() < 0.1:
            nodes.append(node(f"n{i}", "P", None, " ".join(rng.choices(WORDS, k=6))))
            kinds.append("proposal")
            continue
        p = rng.randrange(max(0, i - 20), i)
        kind = "X" if kinds[p] == "critique" else "C"
        tags = ["goodhart"] if kind == "C" and rng.random() < 0.2 else []
        text = " ".join(rng.choices(WORDS, k=10))
        nodes.append(node(f"n{i}", kind, f"n{p}", text, tags=tags, author=rng.randrange(6)))
        kinds.append("critique" if kind == "C" else "patch")
    return nodes


def game(path: Path) -> list[TreeInput]:
    return [TreeInput("game", game_set(path)[0], kind="game")]


CASES: dict[str, Callable[[], dict[str, Any]]] = {
    "merge quality set, with the model": lambda: merge(problem_trees()),
    "merge quality set, words only": lambda: merge(problem_trees(), embedder=None),
    "merge dev/pt_dev2, with the model": lambda: merge(problem_set(set_dirs("dev", "pt")[1])[0]),
    "merge dev/pt_dev2, static model": lambda: merge(
        problem_set(set_dirs("dev", "pt")[1])[0], embedder=semantic.model()
    ),
    "merge 4 synthetic trees x 250, with the model": lambda: merge(synthetic_problem_trees(4, 250)),
    "merge 4 synthetic trees x 250, words only": lambda: merge(
        synthetic_problem_trees(4, 250), embedder=None
    ),
    "recurring quality game tree": lambda: recurring(
        [TreeInput("game", json.loads((HERE / "game.json").read_text())["nodes"], "game")]
    ),
    "recurring dev/gt_dev1": lambda: recurring(game(set_dirs("dev", "gt")[0])),
    "recurring synthetic game tree x 600": lambda: recurring(
        [TreeInput(1, synthetic_game_tree(600), kind="game")]
    ),
    "recurring quality problem trees": lambda: recurring(
        [TreeInput(t, nodes, kind="problem") for t, nodes in problem_trees()]
    ),
}


def summary(result: dict[str, Any]) -> dict[str, Any]:
    canonical = json.dumps(result, sort_keys=True, separators=(",", ":"), default=str)
    out: dict[str, Any] = {"sha256": hashlib.sha256(canonical.encode()).hexdigest()}
    for key in ("nodes", "matches", "suggestions", "disagreements", "items"):
        if key in result:
            out[key] = len(result[key])
    return out


def test_the_golden_file_covers_every_case() -> None:
    if os.environ.get("GAMETREE_UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(
            json.dumps({name: summary(run()) for name, run in CASES.items()}, indent=1) + "\n"
        )
    assert sorted(json.loads(GOLDEN.read_text())) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_results_on_fixed_inputs_equal_the_committed_golden_output(name: str) -> None:
    expected = json.loads(GOLDEN.read_text())[name]
    got = summary(CASES[name]())
    assert got == expected, f"{name}: results changed ({got} != {expected})"
