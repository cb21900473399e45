"""Formats layer: plain text outlines, as copying a Google Doc puts them on the clipboard.

Each non-blank line is an item. A leading bullet glyph (`●`, `○`, `■`, `•`, `◦`, `▪`,
`-`, `*`, ...) or number (`1.`, `1)`) is removed. Nesting comes from the indentation
(spaces or tabs) when any item line is indented; otherwise from the glyphs, which Google
Docs cycles per level (`●` `○` `■` `●` ...): a glyph already used by an open level closes
back to that level (the nearest one), a new glyph opens a deeper level. Lines without a glyph
before the first glyph line are the title (the first) and the description.

Writes the title, then one line per node: a tab per level, the Google Docs glyph of that
level, the label with a `Critique:`-style prefix where needed. Notes and descriptions have
no place in plain text and are not written.
"""

from __future__ import annotations

import re

from trees.formats.doc import TreeDoc
from trees.formats.errors import FormatError
from trees.formats.outline import (
    Nester,
    Outline,
    OutlineItem,
    build_doc,
    doc_to_outline,
    export_label,
    split_prefix,
    walk,
)
from trees.formats.textio import decode_text

EXPECTED = "plain text (one item per line, indented or with bullet glyphs)"
# Bullet glyphs seen in copied text, including the hyphen bullet and en dash (\u2043, \u2013).
GLYPHS = "●○■•◦▪▫□◆◇►▸‣\u2043\u2013-*+"
GOOGLE_CYCLE = "●○■"
_LINE = re.compile(
    rf"^(?P<indent>[ \t]*)(?:(?P<glyph>[{re.escape(GLYPHS)}])|\d{{1,9}}[.)])"
    r"(?:[ \t]+(?P<rest>.*)|$)"
)
TAB_WIDTH = 4


def _item(label: str, number: int, kind: str) -> OutlineItem:
    label = label.strip()
    node_type = None
    if kind == "game":
        node_type, label = split_prefix(label)
    return OutlineItem(text=label.strip(), line=number, type=node_type)


def read_plaintext(data: bytes | str, *, kind: str, title: str | None) -> TreeDoc:
    lines = decode_text(data, EXPECTED).split("\n")
    parsed: list[tuple[int, str, str | None, str]] = []  # line, indent, glyph, label
    for index, raw in enumerate(lines):
        if not raw.strip():
            continue
        match = _LINE.match(raw)
        if match:
            glyph = match.group("glyph") or "1."
            parsed.append((index + 1, match.group("indent"), glyph, match.group("rest") or ""))
        else:
            stripped = raw.lstrip(" \t")
            parsed.append((index + 1, raw[: len(raw) - len(stripped)], None, stripped))
    outline = Outline(items=[])
    if any(glyph for _, _, glyph, _ in parsed):
        # A heading paragraph above the list (the document's title) is not an item.
        head: list[str] = []
        while parsed and parsed[0][2] is None and not parsed[0][1]:
            head.append(parsed.pop(0)[3].strip())
        if head:
            outline.title = head[0]
            outline.description = "\n".join(head[1:])
    if any(indent for _, indent, _, _ in parsed):
        _nest_by_indent(parsed, outline, kind)
    else:
        _nest_by_glyph(parsed, outline, kind)
    return build_doc(outline, kind=kind, title=title)


def _nest_by_indent(
    parsed: list[tuple[int, str, str | None, str]], outline: Outline, kind: str
) -> None:
    nester = Nester()
    indent_char: str | None = None
    for number, indent, _, label in parsed:
        chars = set(indent)
        if len(chars) > 1:
            raise FormatError("bad_indentation", "indentation mixes tabs and spaces", line=number)
        if chars:
            char = chars.pop()
            indent_char = indent_char or char
            if char != indent_char:
                raise FormatError(
                    "bad_indentation", "indentation switches between tabs and spaces", line=number
                )
        item = _item(label, number, kind)
        parent = nester.place(len(indent.expandtabs(TAB_WIDTH)), item, number)
        (parent.children if parent else outline.items).append(item)


def _nest_by_glyph(
    parsed: list[tuple[int, str, str | None, str]], outline: Outline, kind: str
) -> None:
    open_levels: list[tuple[str | None, OutlineItem]] = []
    for number, _, glyph, label in parsed:
        item = _item(label, number, kind)
        if glyph is None:
            open_levels = []  # a plain paragraph between lists starts again at the top
        else:
            for depth in range(len(open_levels) - 1, -1, -1):
                if open_levels[depth][0] == glyph:
                    del open_levels[depth:]
                    break
        parent = open_levels[-1][1] if open_levels else None
        (parent.children if parent else outline.items).append(item)
        open_levels.append((glyph, item))


def write_plaintext(doc: TreeDoc) -> bytes:
    outline = doc_to_outline(doc)
    out = [" ".join(doc.title.split())]
    for depth, item in walk(outline.items):
        glyph = GOOGLE_CYCLE[depth % len(GOOGLE_CYCLE)]
        out.append(f"{chr(9) * depth}{glyph} {export_label(doc.kind, item)}".rstrip())
    return ("\n".join(out) + "\n").encode("utf-8")
