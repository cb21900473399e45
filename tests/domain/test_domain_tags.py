"""A tag's one spelling (trees/domain/tags.py), on the table the web client's test reads too
(frontend/tests/tag_spellings.json), so both sides write the same tags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trees.domain.tags import norm_tag, norm_tags

TABLE = json.loads(
    (Path(__file__).parents[2] / "frontend" / "tests" / "tag_spellings.json").read_text()
)


@pytest.mark.parametrize(("raw", "want"), TABLE)
def test_a_spelling_reads_as_the_one_tag(raw: str, want: str) -> None:
    assert norm_tag(raw) == want
    assert norm_tag(want) == want


def test_spellings_of_one_tag_collapse_into_the_first_and_empty_ones_go() -> None:
    assert norm_tags(
        ["#Goodhart", "Scalable oversight", "goodhart", "#", "scalable_oversight"]
    ) == [
        "goodhart",
        "scalable-oversight",
    ]
