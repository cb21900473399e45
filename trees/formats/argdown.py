"""Formats layer: Argdown export of a game tree (for the Argdown tools and their maps).

Proposals and patches become statements (`[Proposal 1]: ...`, `[Patch 1.1.1]: ...`),
critiques become arguments (`<Critique 1.1>: ...`); every child attacks its parent
(`<-` under the parent, indented two spaces per level). Export only, game trees only.
"""

from __future__ import annotations

import re

from trees.formats.doc import Node, TreeDoc, live_children
from trees.formats.errors import FormatError

_SPECIAL = re.compile(r"([\\\[\]<>#*_])")


def _escape(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", " ".join(text.split()))


def write_argdown(doc: TreeDoc) -> bytes:
    if doc.kind != "game":
        raise FormatError("unsupported", "Argdown export is for game trees only")
    children = live_children(doc)
    out = [f"# {_escape(doc.title)}"]
    # Depth-first with an explicit stack: (node, its outline number, depth).
    stack: list[tuple[Node, str, int]] = [
        (node, str(index), 0)
        for index, node in reversed(list(enumerate(children.get(None, []), 1)))
    ]
    while stack:
        node, number, depth = stack.pop()
        name = f"{node['type'].capitalize()} {number}"
        ref = f"<{name}>" if node["type"] == "critique" else f"[{name}]"
        if depth == 0:
            out.append("")
        relation = "<- " if depth else ""
        out.append(f"{'  ' * depth}{relation}{ref}: {_escape(node['text'])}")
        kids = list(enumerate(children.get(node["id"], []), 1))
        stack.extend((kid, f"{number}.{index}", depth + 1) for index, kid in reversed(kids))
    return ("\n".join(out) + "\n").encode("utf-8")
