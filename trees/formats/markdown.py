"""Formats layer: Markdown nested bullet lists, as outliners and Google Docs write them.

Reads `-`/`*`/`+` bullets and `1.`/`1)` numbered items indented by spaces or tabs (Google
Docs: `*` and 4 spaces; Workflowy, Dynalist, Obsidian: `-` and 2 spaces; Logseq: `-` and
tabs), a YAML front matter `title:`, a first `#` heading as the title, later headings as
items with the bullets under them as children, `**bold**`/`_italic_`/links/`\\-` escapes
stripped from labels, Logseq `key:: value` property lines skipped. Lines under a bullet
that are not bullets are its note; plain paragraphs before the first bullet are the tree's
description.

Writes `# Title`, the description, then `-` bullets indented 2 spaces per level, a
`Critique:`-style prefix only where the type differs from what the depth implies, and each
note as continuation lines indented to the bullet's text (a line that would read as markup
gets a leading backslash, which the reader removes).
"""

from __future__ import annotations

import re

from trees.domain.errors import FormatError
from trees.formats.doc import TreeDoc
from trees.formats.inline import (
    escape_markdown,
    hide_escapes,
    restore,
    strip_markdown,
    strip_marks,
    take_tags,
    write_tags,
)
from trees.formats.outline import (
    Nester,
    Outline,
    OutlineItem,
    build_doc,
    deeper_mark,
    doc_to_outline,
    export_label,
    normalize_block,
    split_deeper,
    split_prefix,
    walk,
)
from trees.formats.textio import decode_text

EXPECTED = "Markdown (a nested bullet list)"
_BULLET = re.compile(r"^(?P<indent>[ \t]*)(?P<marker>[-*+]|\d{1,9}[.)])(?:[ \t]+(?P<rest>.*)|$)")
_HEADING = re.compile(r"^ {0,3}(?P<hashes>#{1,6})(?:[ \t]+(?P<text>.*?))?(?:[ \t]+#+)?[ \t]*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_PROPERTY = re.compile(r"^[ \t]*[\w-]+::(?:\s|$)")
_NEEDS_ESCAPE = re.compile(r"^\s*(?:[^\w\s]|\d{1,9}[.)]|[\w-]+::)")
TAB_WIDTH = 4


def looks_like_markdown(line: str) -> bool:
    """A bullet, numbered item or heading: what tells Markdown from plain text."""
    return bool(_BULLET.match(line) or _HEADING.match(line))


def label_item(label: str, line: int, kind: str) -> OutlineItem:
    """An item from a label: trailing `#tags` taken, marks stripped, a type prefix taken off."""
    hidden, stash = hide_escapes(label.strip())
    hidden, tags = take_tags(hidden, stash)
    hidden = strip_marks(hidden, stash)
    node_type = None
    if kind == "game":
        node_type, hidden = split_prefix(hidden)
    return OutlineItem(text=restore(hidden, stash).strip(), line=line, type=node_type, tags=tags)


def _width(indent: str) -> int:
    return len(indent.expandtabs(TAB_WIDTH))


_PUNCT_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _unescape_line(text: str) -> str:
    """A note or description line: backslash escapes undone (Google Docs writes `3\\.`)."""
    if text.startswith("\\") and not _PUNCT_ESCAPE.match(text):
        text = text[1:]  # our own guard before a line that would read as markup
    return _PUNCT_ESCAPE.sub(r"\1", text)


class _Reader:
    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.outline = Outline(items=[])
        self.title_level = 0
        self.description: list[str] = []
        self.nester = Nester()
        self.headings: list[tuple[int, OutlineItem]] = []
        self.anchor: OutlineItem | None = None
        self.current: OutlineItem | None = None
        self.current_indent = -1
        self.current_col = 0
        self.notes: dict[int, list[str]] = {}
        self.blank = 0
        self.indent_char: str | None = None

    def attach(self, item: OutlineItem, parent: OutlineItem | None) -> None:
        (parent.children if parent is not None else self.outline.items).append(item)
        self.current = item
        self.blank = 0

    def bullet(self, match: re.Match[str], raw: str, number: int) -> None:
        indent = match.group("indent")
        chars = set(indent)
        if len(chars) > 1:
            raise FormatError("bad_indentation", "indentation mixes tabs and spaces", line=number)
        if chars:
            char = chars.pop()
            if self.indent_char is None:
                self.indent_char = char
            elif char != self.indent_char:
                used = "tabs" if self.indent_char == "\t" else "spaces"
                raise FormatError(
                    "bad_indentation",
                    f"indented with {'a tab' if char == chr(9) else 'spaces'} where earlier "
                    f"lines use {used}",
                    line=number,
                )
        width = _width(indent)
        deeper, label = split_deeper(match.group("rest") or "")
        item = label_item(label, number, self.kind)
        parent = self.nester.place(width, item, number, deeper) or self.anchor
        self.attach(item, parent)
        start = match.start("rest") if match.group("rest") is not None else match.end()
        self.current_indent = width
        self.current_col = _width(raw[:start])

    def heading(self, level: int, text: str, number: int) -> None:
        if self.outline.title is None and self.current is None:
            self.outline.title = strip_markdown(text).strip()
            self.title_level = level
            return
        level = max(level, self.title_level + 1)
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        item = label_item(text, number, self.kind)
        self.attach(item, self.headings[-1][1] if self.headings else None)
        self.headings.append((level, item))
        self.anchor = item
        self.nester.reset()
        self.current_indent = -1
        self.current_col = 0

    def text(self, raw: str, number: int) -> None:
        stripped = raw.lstrip(" \t")
        width = _width(raw[: len(raw) - len(stripped)])
        current = self.current
        if current is None or (width == 0 and self.blank and self.current_indent >= 0):
            self._add(self.description, _unescape_line(raw.rstrip()))
            return
        if self.current_indent >= 0 and _PROPERTY.match(raw):
            return  # Logseq block properties (collapsed:: true, id:: ...) are not content.
        lead = raw[: len(raw) - len(stripped)].expandtabs(TAB_WIDTH)
        content = lead[min(width, self.current_col) :] + stripped
        lines = self.notes.setdefault(id(current), [])
        self._add(lines, _unescape_line(content.rstrip()))
        current.note = "\n".join(lines)

    def _add(self, lines: list[str], line: str) -> None:
        if lines:
            lines.extend([""] * self.blank)
        lines.append(line)
        self.blank = 0


def _front_matter(lines: list[str]) -> tuple[int, str | None]:
    """Lines to skip for a YAML front matter block (Obsidian), and its `title:` if any."""
    if not lines or lines[0].strip() != "---":
        return 0, None
    for index in range(1, len(lines)):
        if lines[index].strip() in ("---", "..."):
            title = None
            for entry in lines[1:index]:
                if entry.startswith("title:"):
                    title = entry[len("title:") :].strip().strip("\"'") or None
            return index + 1, title
    return 0, None


def read_markdown(data: bytes | str, *, kind: str, title: str | None) -> TreeDoc:
    lines = decode_text(data, EXPECTED).split("\n")
    reader = _Reader(kind)
    skip, front_title = _front_matter(lines)
    reader.outline.title = front_title
    for index in range(skip, len(lines)):
        raw, number = lines[index], index + 1
        if not raw.strip():
            reader.blank += 1
        elif _RULE.match(raw):
            reader.blank = 0
        elif match := _BULLET.match(raw):
            reader.bullet(match, raw, number)
        elif match := _HEADING.match(raw):
            reader.heading(len(match.group("hashes")), match.group("text") or "", number)
        else:
            reader.text(raw, number)
    reader.outline.description = normalize_block("\n".join(reader.description))
    for _, item in walk(reader.outline.items):
        item.note = normalize_block(item.note)
    return build_doc(reader.outline, kind=kind, title=title)


# In notes and the description every character that CommonMark could read as markup that
# runs or links (`<` starts raw HTML and autolinks, `[` links, `&` entities) is escaped, so a
# Markdown viewer shows the text as typed; the reader undoes every backslash escape.
_NOTE_SPECIAL = re.compile(r"([\\`*_\[\]<>&~#|!])")
_NUMBERED = re.compile(r"^(\d{1,9})([.)])")


def _escape_line(line: str) -> str:
    escaped = _NOTE_SPECIAL.sub(r"\\\1", line)
    if _NUMBERED.match(escaped):
        return _NUMBERED.sub(r"\1\\\2", escaped, count=1)  # `1\.` reads as text, not a list
    if _NEEDS_ESCAPE.match(line) and not escaped.startswith("\\"):
        return "\\" + escaped
    return escaped


def write_markdown(doc: TreeDoc) -> bytes:
    outline = doc_to_outline(doc)
    out = [f"# {escape_markdown(' '.join(doc.title.split()))}".rstrip(), ""]
    description = normalize_block(doc.description)
    if description:
        out += [_escape_line(line) for line in description.split("\n")] + [""]
    for depth, item in walk(outline.items):
        level, mark = deeper_mark(depth)
        indent = "  " * level
        label = export_label(doc.kind, item, escape_markdown) + write_tags(item.tags)
        out.append(f"{indent}- {mark}{label}".rstrip())
        note = normalize_block(item.note)
        if note:
            out += [f"{indent}  {_escape_line(line)}" if line else "" for line in note.split("\n")]
    return ("\n".join(out) + "\n").encode("utf-8")
