"""Analysis layer tests: the merge computed in a spawned child process gives what merge() gives
in this process, reports the same phases, and reports a failure instead of hanging."""

from __future__ import annotations

from typing import Any

import pytest
from analysis_helpers import outline

from trees.analysis import Glossary
from trees.analysis.merge import merge
from trees.analysis.merge.in_process import MergeProcessError, merge_in_process

ONE = """
R r Alignment
  R a Outer alignment
    R a1 Reward hacking
  R b Deceptive alignment
"""
TWO = """
R r AI alignment
  R a Outer alignment
    R a1 Reward hacking
  R b Deception
"""


def trees() -> list[tuple[int, list[dict[str, Any]]]]:
    return [(k, outline(text, prefix=f"t{k}")) for k, text in enumerate((ONE, TWO), start=1)]


def test_a_merge_computed_in_a_child_process_equals_the_one_computed_here() -> None:
    here: list[tuple[str, float]] = []
    there: list[tuple[str, float]] = []
    glossary = Glossary({"deception": "deceptive alignment"})
    expected = merge(
        trees(), glossary=glossary, embedder=None, progress=lambda p, f: here.append((p, f))
    )
    got = merge_in_process(
        trees(), glossary=glossary, embedder=None, progress=lambda p, f: there.append((p, f))
    )
    assert got["suggestions"] == expected["suggestions"]
    assert got["nodes"] == expected["nodes"]
    assert got["stats"] == expected["stats"]
    assert there == here


def test_a_merge_that_fails_in_its_child_process_raises_here() -> None:
    with pytest.raises(MergeProcessError, match="TypeError"):
        merge_in_process(trees(), embedder=None, no_such_argument=1)
