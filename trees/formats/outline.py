"""Formats layer: the outline shared by Markdown, plain text and OPML.

Those formats all describe a tree as nested labelled items without ids. Each parses into an
`Outline`; `build_doc` then applies the rules they share (title detection, node types from
depth or a `Critique:` prefix, keys, limits). Exports go the other way via `doc_to_outline`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from trees.domain.errors import FormatError
from trees.domain.grammar import allowed_under
from trees.domain.keys import keys_after
from trees.formats.doc import (
    TreeDoc,
    check_node_count,
    check_text_limits,
    live_children,
    new_node,
)

DEFAULT_TITLE = "Untitled tree"
# Outline exports indent at most this many levels. Indenting every level makes a deep chain
# quadratic in size (a 10,000-level chain was 100 MB of spaces); deeper items are written at
# this indentation with a marker saying how many levels deeper they sit, which imports back.
MAX_INDENT_LEVELS = 16
DEEPER = re.compile(r"^<!-- \+(\d{1,6}) -->[ \t]*")
PREFIX = re.compile(r"^\s*(proposal|critique|patch)\s*:\s*", re.I)
# In a game tree a node's type follows from its parent's unless a prefix says otherwise.
_IMPLIED = {None: "proposal", "proposal": "critique", "critique": "patch", "patch": "critique"}


def implied_type(kind: str, parent_type: str | None) -> str:
    return "problem" if kind == "problem" else _IMPLIED.get(parent_type, "critique")


@dataclass
class OutlineItem:
    text: str
    line: int | None = None
    note: str = ""
    type: str | None = None  # set only by an explicit prefix (import) or when needed (export)
    tags: list[str] = field(default_factory=list)
    children: list[OutlineItem] = field(default_factory=list)


@dataclass
class Outline:
    items: list[OutlineItem]
    title: str | None = None  # from a heading or an OPML <title>: then no root is a title
    description: str = ""
    warnings: list[str] = field(default_factory=list)


def split_prefix(label: str) -> tuple[str | None, str]:
    """`Critique: text` -> ("critique", "text"); a label without a prefix -> (None, label)."""
    match = PREFIX.match(label)
    if match is None:
        return None, label
    return match.group(1).lower(), label[match.end() :]


def export_label(kind: str, item: OutlineItem, escape: Callable[[str], str] = str) -> str:
    """The label with a type prefix where an importer could not otherwise recover the type.

    A text that itself starts with `Critique:` gets a prefix too, since an import strips
    exactly one prefix.
    """
    text = escape(" ".join(item.text.split("\n")))
    if kind != "game" or item.type is None:
        return text
    return f"{item.type.capitalize()}: {text}"


def normalize_block(text: str) -> str:
    """Notes and descriptions as line-based formats keep them: no trailing blanks per line."""
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")


def deeper_mark(depth: int) -> tuple[int, str]:
    """The indentation level to write an item at `depth` with, and the marker before its label."""
    if depth <= MAX_INDENT_LEVELS:
        return depth, ""
    return MAX_INDENT_LEVELS, f"<!-- +{depth - MAX_INDENT_LEVELS} --> "


def split_deeper(label: str) -> tuple[int, str]:
    """`<!-- +3 --> text` -> (3, "text"): how much deeper than its indentation an item sits."""
    match = DEEPER.match(label)
    if match is None:
        return 0, label
    return int(match.group(1)), label[match.end() :]


class Nester:
    """Turns indentation widths into parents, rejecting widths that match no open level.

    A width is (columns, levels deeper than those columns say), compared in that order, so
    that items written at a capped indentation with a `<!-- +k -->` marker nest as deep as
    the marker says.
    """

    def __init__(self) -> None:
        self._stack: list[tuple[tuple[int, int], OutlineItem]] = []

    def reset(self) -> None:
        self._stack = []

    def place(
        self, width: int, item: OutlineItem, line: int, deeper: int = 0
    ) -> OutlineItem | None:
        """Push `item` at `width`; return its parent item (None = the current anchor)."""
        stack = self._stack
        level = (width, deeper)
        popped = False
        while stack and stack[-1][0] > level:
            stack.pop()
            popped = True
        if stack and stack[-1][0] == level:
            stack.pop()
        elif stack and popped:
            levels = ", ".join(str(w) + (f"+{d}" if d else "") for (w, d), _ in stack)
            raise FormatError(
                "bad_indentation",
                f"indented {width} columns, which matches no enclosing level "
                f"(open levels are at {levels} columns)",
                line=line,
            )
        parent = stack[-1][1] if stack else None
        stack.append((level, item))
        return parent


def build_doc(outline: Outline, *, kind: str, title: str | None) -> TreeDoc:
    """Nodes from an outline: types, keys, limits. Raises FormatError; never partial."""
    items = _prune(outline.items)
    doc_title = outline.title
    description = outline.description
    if doc_title is None and len(items) == 1:
        root = items[0]
        # In a game tree a lone root is the tree's name: proposals must be top level. It is
        # a node after all when it says it is one, or its children could not be top level.
        if (
            kind == "game"
            and root.type is None
            and root.children
            and not any(child.type in ("critique", "patch") for child in root.children)
        ):
            doc_title = root.text
            description = description or root.note
            items = root.children
        elif kind == "problem":
            doc_title = root.text
    if not items:
        raise FormatError("invalid_format", "found no outline items to import")
    doc = TreeDoc(
        kind=kind,
        title=(title if title else doc_title) or DEFAULT_TITLE,
        description=description,
        warnings=list(outline.warnings),
    )
    # Depth first with an explicit stack, so nodes come out in document order.
    stack: list[tuple[OutlineItem, str, str | None, str | None]] = []

    def push(siblings: list[OutlineItem], parent_id: str | None, parent_type: str | None) -> None:
        keys = keys_after(None, len(siblings))
        stack.extend(
            (item, key, parent_id, parent_type)
            for item, key in reversed(list(zip(siblings, keys, strict=True)))
        )

    push(items, None, None)
    while stack:
        item, key, parent_id, parent_type = stack.pop()
        node_type = item.type or implied_type(kind, parent_type)
        if not allowed_under(kind, node_type, parent_type):
            raise FormatError(
                "bad_parent_type", _misplaced(item, node_type, parent_type), line=item.line
            )
        check_text_limits(item.text, item.note, line=item.line)
        node = new_node(node_type, parent_id, key, item.text, item.note, item.tags)
        doc.nodes.append(node)
        check_node_count(len(doc.nodes), line=item.line)
        push(item.children, node["id"], node_type)
    return doc


_RULES = {
    "proposal": "proposals sit at the top level",
    "critique": "a critique answers a proposal or a patch",
    "patch": "a patch answers a critique",
}


def _misplaced(item: OutlineItem, node_type: str, parent_type: str | None) -> str:
    """A sentence for a type prefix at a place where that type cannot sit."""
    label = item.text if len(item.text) <= 60 else item.text[:59] + "…"
    where = f"under a {parent_type}" if parent_type else "at the top level"
    rule = _RULES.get(node_type, f"a {node_type} cannot sit there")
    return (
        f"“{label}” is marked as a {node_type} but sits {where}, and {rule}. "
        f"Indent it under the right item or remove its “{node_type.capitalize()}:” prefix."
    )


def _prune(items: list[OutlineItem]) -> list[OutlineItem]:
    """Drop empty leaves (trailing empty bullets that outliners leave behind), iteratively."""
    order: list[OutlineItem] = []
    stack = list(items)
    while stack:
        item = stack.pop()
        order.append(item)
        stack.extend(item.children)
    for item in reversed(order):  # children before parents
        item.children = [c for c in item.children if c.text or c.note or c.children]
    return [i for i in items if i.text or i.note or i.children]


def doc_to_outline(doc: TreeDoc) -> Outline:
    """The live part of a tree as an outline, with `type` set only where a prefix is needed."""
    children = live_children(doc)
    types = {node["id"]: node["type"] for node in doc.nodes}
    top: list[OutlineItem] = []
    stack: list[tuple[str | None, list[OutlineItem]]] = [(None, top)]
    while stack:
        parent_id, into = stack.pop()
        parent_type = types[parent_id] if parent_id is not None else None
        for node in children.get(parent_id, []):
            prefixed = doc.kind == "game" and (
                node["type"] != implied_type(doc.kind, parent_type) or PREFIX.match(node["text"])
            )
            item = OutlineItem(
                text=node["text"],
                note=node["note"],
                type=node["type"] if prefixed else None,
                tags=list(node["tags"]),
            )
            into.append(item)
            stack.append((node["id"], item.children))
    return Outline(items=top, title=doc.title, description=doc.description)


def walk(items: list[OutlineItem]) -> list[tuple[int, OutlineItem]]:
    """(depth, item) in document order, without recursion (outlines may be 10,000 deep)."""
    out: list[tuple[int, OutlineItem]] = []
    stack = [(0, item) for item in reversed(items)]
    while stack:
        depth, item = stack.pop()
        out.append((depth, item))
        stack.extend((depth + 1, child) for child in reversed(item.children))
    return out
