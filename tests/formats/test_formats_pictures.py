"""Pictures for slides: SVG and PNG through Graphviz, and Argdown text."""

from __future__ import annotations

import shutil

import pytest

from trees.formats import FormatError, export_tree, import_tree

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")

GAME = (
    "# Debate\n- Use debate\n"
    '  - Judges get fooled by "quotes" and \\\\backslashes\\\\\n'
    "    - Patch it\n"
)


def _game_with_a_deleted_node() -> object:
    doc = import_tree(GAME + "- Secret deleted proposal\n", fmt="md", kind="game", title=None)
    doc.nodes[-1]["deleted"] = True
    return doc


@needs_dot
def test_svg_shows_live_nodes_coloured_by_type_and_hides_deleted_ones() -> None:
    svg = export_tree(_game_with_a_deleted_node(), fmt="svg").decode()  # type: ignore[arg-type]
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    assert "Use debate" in svg and "Patch it" in svg
    assert "Secret deleted proposal" not in svg
    assert "#cfe2ff" in svg and "#f8d7da" in svg and "#d1e7dd" in svg


@needs_dot
def test_png_of_a_dag_is_a_png() -> None:
    doc = import_tree(
        '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="directed">'
        '<node id="a"/><node id="b"/><node id="c"/><edge source="a" target="c"/>'
        '<edge source="b" target="c"/></graph></graphml>',
        fmt="graphml",
        kind="problem",
        title="DAG",
    )
    assert export_tree(doc, fmt="png").startswith(b"\x89PNG\r\n\x1a\n")


def test_a_missing_dot_program_is_renderer_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    doc = import_tree(GAME, fmt="md", kind="game", title=None)
    with pytest.raises(FormatError) as info:
        export_tree(doc, fmt="svg")
    assert info.value.code == "renderer_missing"


def test_argdown_writes_critiques_as_attacking_arguments() -> None:
    doc = import_tree(GAME, fmt="md", kind="game", title=None)
    text = export_tree(doc, fmt="argdown").decode()
    assert text.splitlines() == [
        "# Debate",
        "",
        "[Proposal 1]: Use debate",
        '  <- <Critique 1.1>: Judges get fooled by "quotes" and \\\\backslashes\\\\',
        "    <- [Patch 1.1.1]: Patch it",
    ]
