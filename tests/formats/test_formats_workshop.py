"""Formats layer tests: the workshop exports (Markdown report, CSV of failure modes, JSON
backup), their escaping and their bound. No database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from markdown_it import MarkdownIt

from trees.formats import FormatError, TreeDoc, jsonbackup
from trees.formats.workshop import WORKSHOP_FORMATS, WorkshopDoc, WorkshopTree, export_workshop
from trees.formats.workshop import doc as workshop_doc_module
from trees.formats.workshop.failure_csv import cell


def sample() -> WorkshopDoc:
    tree = TreeDoc(
        kind="game",
        title="Group <1>",
        nodes=[
            {
                "id": "6f1d7e2a-4c1b-5a8e-9b0d-2f6c3e1a7d55",
                "type": "proposal",
                "parent": None,
                "parents": [],
                "key": "a0",
                "text": "Imitate",
                "note": "",
                "tags": [],
                "author": 3,
                "deleted": False,
                "meta": {},
            }
        ],
    )
    return WorkshopDoc(
        title="# Day <script>alert(1)</script>",
        exported_at="2026-12-07T02:00:00+00:00",
        groups=[
            {
                "id": 1,
                "name": "[Red](http://evil)",
                "members": ["Ada *bold*", "Grace"],
                "surviving": [{"tree": "t", "label": "<img src=x onerror=alert(1)>"}],
                "failure_modes": [{"tag": "reward-hacking", "critiques": 3, "broken": 1}],
                "problems": 0,
            }
        ],
        exercises=[
            {
                "id": 9,
                "title": "Game tree",
                "kind": "game_tree",
                "phase": "",
                "ranking": {
                    "kind": "game",
                    "items": [
                        {
                            "label": "![x](http://evil/img)",
                            "score": 2.5,
                            "groups": 2,
                            "explanation": "e",
                        }
                    ],
                },
            }
        ],
        failure_modes=[
            {"tag": "reward-hacking", "critiques": 3, "trees": 2, "groups": 2, "broken": 1},
            {"tag": "=SUM(A1)", "critiques": 1, "trees": 1, "groups": 1, "broken": 0},
        ],
        trees=[WorkshopTree(5, tree, 1, 9, 1, None, "group")],
    )


def test_the_report_renders_no_markup_from_what_people_typed() -> None:
    html = MarkdownIt("commonmark").render(export_workshop(sample(), fmt="md").decode())
    for bad in ("<script", "<img", "<a ", "<em>", "<h2>Day"):
        assert bad not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "[Red](http://evil)" in html
    assert "reward-hacking: 3 critiques, 1 proposals broken" in html


def test_the_report_lists_the_ranking_with_its_groups() -> None:
    text = export_workshop(sample(), fmt="md").decode()
    assert "score 2.5, in 2 groups" in text


def test_the_csv_has_a_header_and_defuses_formulas() -> None:
    rows = list(csv.reader(io.StringIO(export_workshop(sample(), fmt="csv").decode())))
    assert rows[0] == ["tag", "critiques", "trees", "groups", "broken_proposals"]
    assert rows[1] == ["reward-hacking", "3", "2", "2", "1"]
    assert rows[2][0] == "'=SUM(A1)"
    assert [cell(x) for x in ("+1", "-1", "@a", "ok")] == ["'+1", "'-1", "'@a", "ok"]


def test_the_json_backup_keeps_each_tree_in_the_per_tree_backup_format() -> None:
    body = json.loads(export_workshop(sample(), fmt="json"))
    assert body["format"] == "gametree-workshop" and body["version"] == 1
    backup = body["trees"][0]["backup"]
    restored = jsonbackup.read_json(json.dumps(backup), kind="game", title=None)
    assert restored.nodes == sample().trees[0].doc.nodes
    assert body["trees"][0]["group"] == 1 and body["trees"][0]["exercise"] == 9


def test_an_unknown_format_and_an_oversized_export_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(FormatError) as unknown:
        export_workshop(sample(), fmt="docx")
    assert unknown.value.code == "unknown_format"
    import trees.formats.workshop as registry

    monkeypatch.setattr(registry, "MAX_WORKSHOP_EXPORT_BYTES", 100)
    with pytest.raises(FormatError) as big:
        export_workshop(sample(), fmt="json")
    assert big.value.code == "too_large"
    assert set(WORKSHOP_FORMATS) == {"md", "csv", "json"}
    assert workshop_doc_module.MAX_WORKSHOP_EXPORT_BYTES == 64 * 1024 * 1024
