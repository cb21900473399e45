"""Exported text is never read as markup: titles and labels are plain strings to Graphviz,
and notes and descriptions in Markdown render as text in a CommonMark viewer."""

from __future__ import annotations

import re
import shutil
import struct

import pytest
from markdown_it import MarkdownIt

from trees.domain.keys import keys_after
from trees.formats import TreeDoc, export_tree, import_tree
from trees.formats.doc import new_node

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")

HOSTILE = [
    "<script>alert(1)</script>",
    "[click](javascript:alert(1))",
    '<iframe srcdoc="<script>alert(2)</script>"></iframe>',
    "<javascript:alert(3)>",
    "![img](javascript:alert(4))",
    "[ref]",
    "[ref]: javascript:alert(5)",
    "&lt;script&gt;alert(6)&lt;/script&gt;",
    "<img src=x onerror=alert(7)>",
    "1. a numbered line",
    "- a bullet line",
    "key:: value",
    "    <script>indented</script>",
    "C:\\path\\to\\file and a \\*literal\\* backslash",
]
GRAPHVIZ_TITLE = '<<TABLE HREF="javascript:alert(1)"><TR><TD>click</TD></TR></TABLE>>'


def _doc(title: str, text: str = "node", note: str = "", description: str = "") -> TreeDoc:
    key = keys_after(None, 1)[0]
    proposal = new_node("proposal", None, key, text, note=note)
    critique = new_node("critique", proposal["id"], key, text + " 2", note=note)
    return TreeDoc("game", title, description, [proposal, critique])


def _render(markdown: str) -> str:
    # The CommonMark preset passes raw HTML through, as GitHub-like viewers without a
    # sanitiser would: the export itself must not contain live markup.
    return MarkdownIt("commonmark").render(markdown)


def _unsafe(html: str) -> list[str]:
    return re.findall(
        r"<script|<iframe|<img|(?:href|src)=\"javascript:|(?:href|src)=\"[^\"]*alert", html, re.I
    )


def test_markdown_notes_and_description_render_as_text_and_import_back() -> None:
    note = "\n".join(HOSTILE)
    doc = _doc("Safe", note=note, description=note)
    markdown = export_tree(doc, fmt="md").decode()
    html = _render(markdown)
    assert _unsafe(html) == []
    for line in ("alert(1)", "javascript:alert(1)", "srcdoc", "onerror=alert(7)"):
        assert line in html  # shown as text, not dropped
    back = import_tree(markdown, fmt="md", kind="game", title=None)
    assert back.description == note
    assert [n["note"] for n in back.nodes] == [note, note]


@pytest.mark.parametrize("line", HOSTILE)
def test_each_hostile_note_line_alone_renders_without_live_markup(line: str) -> None:
    doc = _doc("Safe", text=line, note=line, description=line)
    markdown = export_tree(doc, fmt="md").decode()
    assert _unsafe(_render(markdown)) == []
    back = import_tree(markdown, fmt="md", kind="game", title=None)
    assert (back.description, back.nodes[0]["note"]) == (line.rstrip(), line.rstrip())


@needs_dot
def test_a_crafted_title_and_labels_are_drawn_as_text_never_as_links() -> None:
    doc = _doc(GRAPHVIZ_TITLE, text=GRAPHVIZ_TITLE)
    svg = export_tree(doc, fmt="svg").decode()
    assert re.search(r"\shref=|xlink:href=", svg) is None
    # The text itself, escaped (wrapped over lines).
    assert "&lt;&lt;TABLE HREF=&quot;javascript" in svg and ":alert(1)&quot;&gt;" in svg


@needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_an_html_looking_title_exports_instead_of_failing(fmt: str) -> None:
    doc = _doc("<b>x</b>", text='<i>y</i> \\N \\G "quoted"')
    data = export_tree(doc, fmt=fmt)
    if fmt == "svg":
        svg = data.decode()
        assert "&lt;b&gt;x&lt;/b&gt;" in svg
        assert "&lt;i&gt;y&lt;/i&gt; \\N \\G &quot;quoted&quot;" in svg
    else:
        assert data.startswith(b"\x89PNG")


def _png_size(data: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def _merged_tree(roots: int, children: int, grandchildren: int) -> TreeDoc:
    """Shaped like a merged problem tree: many top-level problems, each a small subtree, with
    labels of a few words to two lines and some extra parents."""
    words = ["reward", "hacking", "specification", "gaming", "deceptive", "alignment", "power"]
    nodes = []
    count = 0

    def label() -> str:
        nonlocal count
        count += 1
        return " ".join(words[(count * 7 + i) % len(words)] for i in range(2 + count % 8))

    for root_key in keys_after(None, roots):
        root = new_node("problem", None, root_key, label())
        nodes.append(root)
        for child_key in keys_after(None, children):
            child = new_node("problem", root["id"], child_key, label())
            nodes.append(child)
            for key in keys_after(None, grandchildren):
                nodes.append(new_node("problem", child["id"], key, label()))
    for index in range(roots + 5, len(nodes), 11):
        other = nodes[index - roots - 3]
        if (
            other["id"] not in (nodes[index]["parent"], nodes[index]["id"])
            and nodes.index(other) < index
        ):
            nodes[index]["parents"] = [other["id"]]
    return TreeDoc("problem", "Big ASS Tree", "", nodes)


@needs_dot
@pytest.mark.parametrize(
    ("roots", "children", "grandchildren"), [(30, 2, 0), (1, 60, 0), (12, 5, 2), (8, 8, 0)]
)
def test_a_wide_merged_tree_is_drawn_to_be_read_on_a_laptop_screen(
    roots: int, children: int, grandchildren: int
) -> None:
    doc = _merged_tree(roots, children, grandchildren)
    width, height = _png_size(export_tree(doc, fmt="png"))
    # At most a little wider than a 1440 px screen, at 96 dpi (no shrinking), and not a
    # thin strip either way (the merged tree that prompted this was 4,718 x 303); a tall
    # picture is read by scrolling down, as a document.
    assert width <= 1600, (width, height)
    assert 0.1 <= width / height <= 3, (width, height)


@needs_dot
def test_long_labels_are_wrapped_in_the_picture() -> None:
    long = "a long label that goes on and on about reward hacking and deceptive alignment"
    svg = export_tree(_doc("Wrap", text=long), fmt="svg").decode()
    lines = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "a long label that goes on" not in lines
    assert all(len(line) <= 24 for line in lines if "reward" in line or "label" in line)
