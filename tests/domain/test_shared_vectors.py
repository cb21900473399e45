"""The shared vectors (tests/vectors/*.json) against the server's domain and analysis code;
frontend/tests/vectors.test.ts runs the same files against the client's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trees.analysis.survival import survival
from trees.domain import OpError, TreeState
from trees.domain.textmerge import merge_text

VECTORS = Path(__file__).resolve().parent.parent / "vectors"


def _load(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((VECTORS / name).read_text(encoding="utf-8"))["cases"]
    return cases


def outline(state: TreeState) -> dict[str, Any]:
    """The projection both suites compare: live nodes nested in sibling order, deleted ids."""

    def live(parent: str | None) -> list[dict[str, Any]]:
        out = []
        for node in state.children(parent):
            if node.deleted:
                continue
            row: dict[str, Any] = {"id": node.id, "type": node.type, "text": node.text}
            if node.note:
                row["note"] = node.note
            if node.tags:
                row["tags"] = list(node.tags)
            if node.parents:
                row["links"] = sorted(node.parents)
            kids = live(node.id)
            if kids:
                row["children"] = kids
            out.append(row)
        return out

    return {
        "tree": live(None),
        "deleted": sorted(n.id for n in state.nodes.values() if n.deleted),
    }


OP_CASES = _load("ops.json")
SURVIVAL_CASES = _load("survival.json")
MERGE_CASES = _load("merge_text.json")


@pytest.mark.parametrize("case", OP_CASES, ids=[c["name"] for c in OP_CASES])
def test_every_op_vector_gives_the_expected_tree_and_refusals(case: dict[str, Any]) -> None:
    state = TreeState(case["kind"])
    seq = 0
    for i, step in enumerate(case["steps"]):
        expected = step.get("error")
        try:
            state.apply(step["op"], seq=seq + 1, actor=1)
        except OpError as exc:
            assert exc.code == expected, f"step {i}: refused with {exc.code}, expected {expected}"
            continue
        assert expected is None, f"step {i}: applied, expected the refusal {expected}"
        seq += 1
    state.check_invariants()
    assert outline(state) == case["expect"]


@pytest.mark.parametrize("case", SURVIVAL_CASES, ids=[c["name"] for c in SURVIVAL_CASES])
def test_every_survival_vector_gives_the_expected_labels(case: dict[str, Any]) -> None:
    got = {
        node_id: {"status": s.status, "reason": s.reason, "by": sorted(s.by)}
        for node_id, s in survival(case["nodes"]).items()
    }
    assert got == case["expect"]


@pytest.mark.parametrize("case", MERGE_CASES, ids=[c["name"] for c in MERGE_CASES])
def test_every_text_merge_vector_merges_as_the_client_does(case: dict[str, Any]) -> None:
    assert merge_text(case["base"], case["mine"], case["theirs"]) == case["expect"]


def test_the_vectors_cover_every_refusal_the_rules_have() -> None:
    codes = {step["error"] for case in OP_CASES for step in case["steps"] if "error" in step}
    assert {"bad_parent_type", "cycle", "conflict", "not_found", "deleted", "too_large"} <= codes
    statuses = {row["status"] for case in SURVIVAL_CASES for row in case["expect"].values()}
    assert statuses == {"survives", "broken", "contested"}
