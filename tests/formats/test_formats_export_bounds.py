"""Exports stay linear in the tree: a 10,000-level chain (a 1.5 MB import) used to export as
100 MB of Markdown and 200 MB of Argdown, built in memory. Past a size bound an export is
refused with `too_large` instead of built."""

from __future__ import annotations

import tracemalloc

import pytest

from trees.domain.keys import keys_after
from trees.formats import FormatError, TreeDoc, export_tree, import_tree, registry
from trees.formats.doc import new_node
from trees.formats.picture import MAX_PICTURE_NODES

LEVELS = 10_000


def chain(levels: int, kind: str = "game") -> TreeDoc:
    """One node per level, each the only child of the one before."""
    nodes = []
    parent = None
    key = keys_after(None, 1)[0]
    for level in range(levels):
        if kind == "problem":
            node_type = "problem"
        else:
            node_type = "proposal" if level == 0 else ("critique", "patch")[(level - 1) % 2]
        node = new_node(node_type, parent, key, f"level {level}", note=f"note {level}")
        nodes.append(node)
        parent = node["id"]
    return TreeDoc(kind=kind, title="A very deep chain", nodes=nodes)


def _depths(doc: TreeDoc) -> list[int]:
    depth: dict[str | None, int] = {None: -1}
    for node in doc.nodes:
        depth[node["id"]] = depth[node["parent"]] + 1
    return [depth[node["id"]] for node in doc.nodes]


@pytest.fixture(scope="module")
def deep() -> TreeDoc:
    return chain(LEVELS)


@pytest.mark.parametrize("fmt", ["md", "txt", "argdown", "json"])
def test_a_10000_level_chain_exports_in_linear_size_and_memory(deep: TreeDoc, fmt: str) -> None:
    tracemalloc.start()
    try:
        data = export_tree(deep, fmt=fmt)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # About 20 bytes of text and note per level, plus per-node markup; 100 MB before.
    assert len(data) < 400 * LEVELS, len(data)
    assert peak < 60 * 1024 * 1024, peak


@pytest.mark.parametrize("fmt", ["md", "txt"])
def test_a_10000_level_chain_imports_back_from_its_outline_export(deep: TreeDoc, fmt: str) -> None:
    back = import_tree(export_tree(deep, fmt=fmt), fmt=fmt, kind="game", title=None)
    assert _depths(back) == list(range(LEVELS))
    assert [n["type"] for n in back.nodes] == [n["type"] for n in deep.nodes]
    assert [n["text"] for n in back.nodes] == [n["text"] for n in deep.nodes]
    if fmt == "md":
        assert [n["note"] for n in back.nodes] == [n["note"] for n in deep.nodes]


def test_markdown_indents_at_most_sixteen_levels_and_marks_deeper_ones() -> None:
    text = export_tree(chain(20), fmt="md").decode()
    lines = [line for line in text.splitlines() if line.lstrip().startswith("- ")]
    assert lines[16] == " " * 32 + "- level 16"
    assert lines[17] == " " * 32 + "- <!-- +1 --> level 17"
    assert max(len(line) - len(line.lstrip()) for line in lines) == 32


def test_argdown_of_a_deep_chain_continues_in_sections_with_short_names() -> None:
    text = export_tree(chain(40), fmt="argdown").decode()
    assert max(len(line) for line in text.splitlines()) < 120
    assert "[Patch #1]" in text.splitlines()  # a section opened by a reference
    for level in range(40):
        assert f": level {level}" in text


def test_an_export_over_the_size_bound_is_refused_as_too_large(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(registry, "MAX_EXPORT_BYTES", 50_000)
    for fmt in ("md", "json", "argdown"):
        with pytest.raises(FormatError) as info:
            export_tree(chain(1_000), fmt=fmt)
        assert info.value.code == "too_large"
        assert "MB" in info.value.message


def test_a_picture_of_more_nodes_than_can_be_read_is_too_large() -> None:
    with pytest.raises(FormatError) as info:
        export_tree(chain(MAX_PICTURE_NODES + 1, kind="problem"), fmt="svg")
    assert info.value.code == "too_large"
