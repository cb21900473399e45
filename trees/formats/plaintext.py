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

from trees.domain.errors import FormatError
from trees.domain.grammar import allowed_under
from trees.formats.doc import TreeDoc
from trees.formats.outline import (
    Nester,
    Outline,
    OutlineItem,
    build_doc,
    deeper_mark,
    doc_to_outline,
    export_label,
    implied_type,
    split_deeper,
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
        deeper, label = split_deeper(label)
        item = _item(label, number, kind)
        parent = nester.place(len(indent.expandtabs(TAB_WIDTH)), item, number, deeper)
        (parent.children if parent else outline.items).append(item)


def _nest_by_glyph(
    parsed: list[tuple[int, str, str | None, str]], outline: Outline, kind: str
) -> None:
    open_levels: list[tuple[str | None, OutlineItem, str | None]] = []  # glyph, item, type
    guessed: list[tuple[int, str, int, int]] = []  # line, text, level read, level possible
    for number, _, glyph, label in parsed:
        item = _item(split_deeper(label)[1], number, kind)
        if glyph is None:
            open_levels = []  # a plain paragraph between lists starts again at the top
        elif glyph in GOOGLE_CYCLE and all(g and g in GOOGLE_CYCLE for g, _, _ in open_levels):
            depth, other = _google_depth(open_levels, glyph, item, kind)
            if other is not None:
                guessed.append((number, item.text, depth, other))
            del open_levels[depth:]
        else:
            for depth in range(len(open_levels) - 1, -1, -1):
                if open_levels[depth][0] == glyph:
                    del open_levels[depth:]
                    break
        parent = open_levels[-1] if open_levels else None
        (parent[1].children if parent else outline.items).append(item)
        parent_type = parent[2] if parent else None
        open_levels.append((glyph, item, item.type or implied_type(kind, parent_type)))
    if guessed:
        number, label, depth, other = guessed[0]
        more = f" (and {len(guessed) - 1} more lines like it)" if len(guessed) > 1 else ""
        outline.warnings.append(
            f"line {number}: “{label[:60]}” was read as level {depth + 1}, but its bullet could "
            f"also mean level {other + 1}{more}: Google Docs repeats ●, ○, ■ every three levels. "
            "Paste from the document itself (the copy keeps every level), indent with tabs, or "
            "start the label with “Proposal:”, “Critique:” or “Patch:” to be sure."
        )


def _google_depth(
    open_levels: list[tuple[str | None, OutlineItem, str | None]],
    glyph: str,
    item: OutlineItem,
    kind: str,
) -> tuple[int, int | None]:
    """The depth of a glyph-only Google Docs item (its glyph fixes it modulo 3), and the
    shallower depth it could also have had when nothing but a guess decided.

    Google Docs cycles `●` `○` `■` per level, so after a third-level `■` a `●` is either a
    new top-level item or a fourth-level one. A type prefix decides where it can (the deepest
    level where that type may sit); otherwise the deepest level its glyph allows (one level
    deeper, as a chain of critiques and patches goes, or the nearest open level with that
    glyph), and the preview warns that it was a guess.
    """
    cycle = GOOGLE_CYCLE.index(glyph)
    candidates = [d for d in range(len(open_levels), -1, -1) if d % len(GOOGLE_CYCLE) == cycle]
    if not candidates:
        return 0, None
    if kind == "game" and item.type is not None:
        for depth in candidates:
            parent_type = open_levels[depth - 1][2] if depth else None
            if allowed_under(kind, item.type, parent_type):
                return depth, None
        return candidates[0], None  # fits nowhere: build_doc explains why
    return candidates[0], (candidates[1] if len(candidates) > 1 else None)


def write_plaintext(doc: TreeDoc) -> bytes:
    outline = doc_to_outline(doc)
    out = [" ".join(doc.title.split())]
    for depth, item in walk(outline.items):
        level, mark = deeper_mark(depth)
        glyph = GOOGLE_CYCLE[level % len(GOOGLE_CYCLE)]
        out.append(f"{chr(9) * level}{glyph} {mark}{export_label(doc.kind, item)}".rstrip())
    return ("\n".join(out) + "\n").encode("utf-8")
