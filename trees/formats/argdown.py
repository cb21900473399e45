"""Formats layer: Argdown export of a game tree (for the Argdown tools and their maps).

Proposals and patches become statements (`[Proposal 1]: ...`, `[Patch 1.1.1]: ...`),
critiques become arguments (`<Critique 1.1>: ...`); every child attacks its parent
(`<-` under the parent, indented two spaces per level). Export only, game trees only.

Indentation stops at `MAX_INDENT_LEVELS`: a node that deep is written there, and its
children continue in a section of their own that starts with a reference to it (Argdown
joins statements and arguments of the same name), so a 10,000-level chain stays linear in
size. Past that depth names are numbered in order (`Critique #123`) instead of by path.
"""

from __future__ import annotations

import re
from collections import deque

from trees.domain.errors import FormatError
from trees.formats.doc import Node, TreeDoc, live_children
from trees.formats.outline import MAX_INDENT_LEVELS

_SPECIAL = re.compile(r"([\\\[\]<>#*_])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def write_argdown(doc: TreeDoc) -> bytes:
    if doc.kind != "game":
        raise FormatError("unsupported", "Argdown export is for game trees only")
    children = live_children(doc)
    out = [f"# {_escape(doc.title)}"]
    # Sections: (the reference that opens it or None, its top nodes with their names).
    sections: deque[tuple[str | None, list[tuple[Node, str]]]] = deque(
        [(None, [(node, str(index)) for index, node in enumerate(children.get(None, []), 1)])]
    )
    counter = 0
    while sections:
        opening, tops = sections.popleft()
        base = 0
        if opening is not None:
            out += ["", opening]
            base = 1
        # Depth-first with an explicit stack: (node, its name's number, depth in section).
        stack: list[tuple[Node, str, int]] = [(node, num, base) for node, num in reversed(tops)]
        while stack:
            node, number, depth = stack.pop()
            name = f"{node['type'].capitalize()} {number}"
            ref = f"<{name}>" if node["type"] == "critique" else f"[{name}]"
            if depth == 0:
                out.append("")
            relation = "<- " if depth else ""
            out.append(f"{'  ' * depth}{relation}{ref}: {_escape(node['text'])}")
            kids = children.get(node["id"], [])
            if not kids:
                continue
            named: list[tuple[Node, str]] = []
            for index, kid in enumerate(kids, 1):
                if depth + 1 >= MAX_INDENT_LEVELS:
                    counter += 1
                    named.append((kid, f"#{counter}"))
                else:
                    named.append((kid, f"{number}.{index}"))
            if depth + 1 > MAX_INDENT_LEVELS:
                sections.append((ref, named))
            else:
                stack.extend((kid, num, depth + 1) for kid, num in reversed(named))
    return ("\n".join(out) + "\n").encode("utf-8")
