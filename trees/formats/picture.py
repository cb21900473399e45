"""Formats layer: SVG and PNG pictures of a tree or DAG for slides, drawn by Graphviz.

Nodes are boxes coloured by type, labels wrapped (and cut after a few lines so one long
node cannot swamp a slide), deleted nodes and their subtrees hidden, extra parents drawn
as dashed edges. Export only. Needs the `dot` program: without it, `renderer_missing`.
"""

from __future__ import annotations

import textwrap

import graphviz

from trees.formats.doc import TreeDoc, live_children
from trees.formats.errors import FormatError

COLOURS = {
    "proposal": "#cfe2ff",
    "critique": "#f8d7da",
    "patch": "#d1e7dd",
    "problem": "#fff3cd",
}
WRAP_WIDTH = 28
MAX_LINES = 6


def _dot_text(text: str) -> str:
    """Wrapped, with DOT's own escapes: `\\n` between lines, backslashes and quotes literal."""
    lines = textwrap.wrap(" ".join(text.split()), WRAP_WIDTH) or [""]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: WRAP_WIDTH - 1] + "…"]
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"') for line in lines]
    return "\\n".join(escaped)


def build_graph(doc: TreeDoc) -> graphviz.Digraph:
    graph = graphviz.Digraph(
        graph_attr={
            "rankdir": "TB",
            "label": _dot_text(doc.title),
            "labelloc": "t",
            "fontname": "Helvetica",
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": "Helvetica",
            "fontsize": "11",
        },
        edge_attr={"color": "#666666"},
    )
    children = live_children(doc)
    names: dict[str, str] = {}
    stack: list[str | None] = [None]
    while stack:
        parent = stack.pop()
        for node in children.get(parent, []):
            names[node["id"]] = f"n{len(names)}"
            stack.append(node["id"])
    # Nodes and edges in document order keep Graphviz's layout stable between exports.
    for node in doc.nodes:
        name = names.get(node["id"])
        if name is None:
            continue
        graph.node(
            name,
            label=graphviz.nohtml(_dot_text(node["text"])),
            fillcolor=COLOURS.get(node["type"], "#eeeeee"),
            tooltip=graphviz.nohtml(node["type"]),
        )
        if node["parent"] is not None:
            graph.edge(names[node["parent"]], name)
        for other in node["parents"]:
            if other in names:
                graph.edge(names[other], name, style="dashed", constraint="false")
    return graph


def render(doc: TreeDoc, fmt: str) -> bytes:
    graph = build_graph(doc)
    try:
        data: bytes = graph.pipe(format=fmt)
        return data
    except graphviz.ExecutableNotFound:
        raise FormatError(
            "renderer_missing", "Graphviz is not installed (the `dot` program was not found)"
        ) from None
    except graphviz.CalledProcessError as exc:
        raise FormatError("invalid", f"Graphviz failed: {exc.stderr!r}") from None


def write_svg(doc: TreeDoc) -> bytes:
    return render(doc, "svg")


def write_png(doc: TreeDoc) -> bytes:
    return render(doc, "png")
