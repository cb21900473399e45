"""The fine-tuned sentence model's training texts (tools/finetune/) stay apart from every
quality set: the model is measured on those sets, so none of their texts may be trained on."""

from __future__ import annotations

import json
from typing import Any

import yaml
from quality.quality_eval import HERE, SETS

ROOT = HERE.parents[2]
CORPUS = sorted((ROOT / "tools" / "finetune").glob("corpus-*.jsonl"))


def corpus() -> list[dict[str, Any]]:
    return [json.loads(line) for path in CORPUS for line in path.read_text().splitlines()]


def quality_texts() -> set[str]:
    """Every label and critique of the quality sets, lower case."""
    texts: set[str] = set()
    for md in [*SETS.glob("*/pt_*/*.md"), *HERE.glob("*.md")]:
        for line in md.read_text().splitlines():
            if line.strip().startswith("- "):
                texts.add(line.strip()[2:].strip().lower())

    def walk(items: list[dict[str, Any]]) -> None:
        for it in items:
            texts.add(it["text"].strip().lower())
            walk(it.get("children") or [])

    for game in [*SETS.glob("*/gt_*/game.json"), *HERE.glob("*game.json")]:
        data = json.loads(game.read_text())
        walk(data if isinstance(data, list) else data.get("nodes", []))
    return texts


def test_the_training_corpus_is_there_and_names_only_known_concepts_and_modes() -> None:
    concepts = yaml.safe_load((ROOT / "trees/analysis/text/concepts.yaml").read_text())
    modes = yaml.safe_load((ROOT / "trees/analysis/taxonomy.yaml").read_text())
    known = {c["id"] for c in concepts["concepts"]} | {m["id"] for m in modes["modes"]}
    rows = corpus()
    assert len(rows) >= 1700
    assert {r["id"] for r in rows} <= known
    assert {r["kind"] for r in rows} == {"label", "critique"}


def test_no_training_text_is_a_label_or_critique_of_a_quality_set() -> None:
    sets = quality_texts()
    assert len(sets) > 3000  # the sets were read (dev and held out)
    shared = sorted({r["text"].strip().lower() for r in corpus()} & sets)
    assert shared == []


def test_no_training_text_is_repeated() -> None:
    texts = [r["text"] for r in corpus()]
    assert len(texts) == len(set(texts))
