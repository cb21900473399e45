"""The registry: names, extensions, media types and format detection."""

from __future__ import annotations

import pytest

from trees.formats import FORMATS, TreeDoc, detect_format, export_tree, get_format, import_tree


def test_every_format_declares_what_it_can_do() -> None:
    assert {n for n, f in FORMATS.items() if f.can_import} == {
        "md",
        "txt",
        "opml",
        "json",
        "graphml",
    }
    assert {n for n, f in FORMATS.items() if f.can_export} == set(FORMATS)
    assert [n for n, f in FORMATS.items() if f.binary] == ["png"]
    assert get_format("Markdown").name == "md"
    assert get_format(".OPML").media_type.startswith("text/x-opml")


@pytest.mark.parametrize(
    ("data", "filename", "name"),
    [
        (b"- a", "tree.markdown", "md"),
        (b"anything", "tree.opml", "opml"),
        (b'{"format": "gametree"}', None, "json"),
        (b'<?xml version="1.0"?>\n<opml version="2.0"/>', None, "opml"),
        (b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns"/>', None, "graphml"),
        (b"# Title\n\n* a\n    * b\n", None, "md"),
        (b"1. first\n2. second\n", None, "md"),
        ("Title\n\u25cf a\n\u25cb b\n".encode(), None, "txt"),
        (b"a\n  b\n", None, "txt"),
    ],
)
def test_detect_format_uses_the_extension_then_the_content(
    data: bytes, filename: str | None, name: str
) -> None:
    assert detect_format(data, filename) == name


def test_import_accepts_str_and_utf8_with_bom_and_crlf() -> None:
    doc = import_tree("\ufeff# T\r\n- a\r\n  - b\r\n".encode(), kind="problem", title=None)
    assert [n["text"] for n in doc.nodes] == ["a", "b"]
    assert import_tree("- a\n  - b", kind="problem", title="Given").title == "Given"


def test_markdown_export_prefixes_only_types_the_depth_does_not_imply() -> None:
    doc = import_tree("# T\n- p\n  - critique: Critique: c\n", fmt="md", kind="game", title=None)
    assert doc.nodes[1]["text"] == "Critique: c"
    text = export_tree(doc, fmt="md").decode()
    assert text == "# T\n\n- p\n  - Critique: Critique: c\n"


def test_markdown_export_writes_notes_as_indented_continuation_lines() -> None:
    doc = TreeDoc(kind="problem", title="T")
    doc.nodes = import_tree("- a\n  - b\n", fmt="md", kind="problem", title="T").nodes
    doc.nodes[1]["note"] = "first\n\n- not a bullet\nlast"
    text = export_tree(doc, fmt="md").decode()
    assert text == "# T\n\n- a\n  - b\n    first\n\n    \\- not a bullet\n    last\n"
    assert (
        import_tree(text, fmt="md", kind="problem", title=None).nodes[1]["note"]
        == (doc.nodes[1]["note"])
    )
