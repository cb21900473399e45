"""Formats layer: SVG and PNG pictures of a tree or DAG for slides, drawn by Graphviz.

Nodes are boxes coloured by type, labels wrapped (and cut after a few lines so one long
node cannot swamp a slide), deleted nodes and their subtrees hidden, extra parents drawn
as dashed edges. Export only. Needs the `dot` program: without it, `renderer_missing`.

Every text (title, labels) reaches Graphviz as an escaped plain string, never as markup: a
title such as `<<TABLE HREF="javascript:...">>` would otherwise be an HTML-like label that
Graphviz turns into a link.

The layout aims at a picture that can be read at 100 % on a laptop screen (1280-1440 px
wide, `TARGET_WIDTH`) without scaling: labels wrapped at 24 characters, the children of a
crowded node staggered, and separate top-level trees (a merged tree has dozens) laid out
in bands: rows of trees that fit the width, or, when a tree is too wide to stand top to
bottom, left to right with the trees in columns. Never one row thousands of pixels wide.
"""

from __future__ import annotations

import textwrap

import graphviz

from trees.domain.errors import FormatError
from trees.formats.doc import Node, TreeDoc, live_children

COLOURS = {
    "proposal": "#cfe2ff",
    "critique": "#f8d7da",
    "patch": "#d1e7dd",
    "problem": "#fff3cd",
}
WRAP_WIDTH = 24
MAX_LINES = 6
FONT_SIZE = 12
# Pictures are drawn at 96 dpi (1 pt = 4/3 px); the widths below are in pixels.
DPI = 96
TARGET_WIDTH = 1400
NODE_GAP = 24
RANK_GAP = 40
MAX_STAGGER = 5
CROWDED = 6
DAG_SHARE = 0.7
# Graphviz needs seconds per thousand nodes and shrinks huge bitmaps until nothing can be
# read: larger trees are refused rather than drawn.
MAX_PICTURE_NODES = 2000


def _lines(text: str) -> list[str]:
    lines = textwrap.wrap(" ".join(text.split()), WRAP_WIDTH, break_long_words=True) or [""]
    if len(lines) > MAX_LINES:
        lines = [*lines[: MAX_LINES - 1], lines[MAX_LINES - 1][: WRAP_WIDTH - 1] + "…"]
    return lines


def _dot_text(text: str) -> str:
    """Wrapped, with DOT's own escapes: `\\n` between lines, backslashes and quotes literal."""
    escaped = [line.replace("\\", "\\\\").replace('"', '\\"') for line in _lines(text)]
    return "\\n".join(escaped)


def _node_width(text: str) -> float:
    """Roughly how wide Graphviz draws a node with this label, in pixels (Helvetica)."""
    longest = max(len(line) for line in _lines(text))
    return (longest * 0.55 * FONT_SIZE + 20) * DPI / 72


class _Layout:
    """Direction, staggering and bands of top-level trees for a picture (see module doc)."""

    def __init__(self, children: dict[str | None, list[Node]], dag: bool) -> None:
        self.children = children
        # Dashed extra-parent edges between trees need room of their own between them.
        budget = TARGET_WIDTH * (DAG_SHARE if dag else 1.0)
        roots = children.get(None, [])
        self.level_width = (
            max((_node_width(n["text"]) for kids in children.values() for n in kids), default=0)
            + RANK_GAP
        )
        self.rankdir = "TB"
        self.spread: dict[str, int] = {}  # parent id -> ranks its children are spread over
        self.levels = {root["id"]: self._levels(root) for root in roots}
        tb = {root["id"]: self._tb_width(root) for root in roots}
        # Bands: groups of top-level trees side by side; each band starts after the one
        # before (rows top to bottom, or columns left to right).
        self.bands: list[list[Node]] = []
        if max(tb.values(), default=0.0) <= TARGET_WIDTH:
            row: list[Node] = []
            used = 0.0
            for root in roots:
                if row and used + tb[root["id"]] > budget:
                    self.bands.append(row)
                    row, used = [], 0.0
                row.append(root)
                used += tb[root["id"]]
            self.bands.append(row)
            return
        # Too wide top to bottom: left to right, so that siblings stack down the page,
        # with a crowded node's children spread over as many columns as still fit.
        self.rankdir = "LR"
        deepest = max(self.levels.values())
        spare = int((TARGET_WIDTH - deepest * self.level_width) // self.level_width)
        columns = max(1, min(MAX_STAGGER, spare + 1))
        for parent, kids in children.items():
            if parent is not None and len(kids) > CROWDED and columns > 1:
                self.spread[parent] = columns
        band_width = (deepest + (columns - 1 if self.spread else 0)) * self.level_width
        bands = max(1, min(len(roots), round(TARGET_WIDTH / band_width)))
        sizes = {root["id"]: len(self._ids(root)) for root in roots}
        share = sum(sizes.values()) / bands
        column: list[Node] = []
        filled = 0
        for root in roots:
            if column and filled + sizes[root["id"]] / 2 > share * (len(self.bands) + 1):
                self.bands.append(column)
                column = []
            column.append(root)
            filled += sizes[root["id"]]
        self.bands.append(column)

    def _ids(self, root: Node) -> list[str]:
        out, stack = [], [root]
        while stack:
            node = stack.pop()
            out.append(node["id"])
            stack.extend(self.children.get(node["id"], []))
        return out

    def _levels(self, root: Node) -> int:
        deepest, stack = 1, [(root, 1)]
        while stack:
            node, depth = stack.pop()
            deepest = max(deepest, depth)
            stack.extend((kid, depth + 1) for kid in self.children.get(node["id"], []))
        return deepest

    def _tb_width(self, root: Node) -> float:
        widths: dict[int, float] = {}
        stack = [(root, 0)]
        while stack:
            node, rank = stack.pop()
            widths[rank] = widths.get(rank, 0.0) + _node_width(node["text"]) + NODE_GAP
            stack.extend((kid, rank + 1) for kid in self.children.get(node["id"], []))
        return max(widths.values())

    def place_bands(self, graph: graphviz.Digraph, names: dict[str, str]) -> None:
        """Each band's trees side by side on one rank, after the deepest tree of the band before."""
        previous: list[Node] = []
        for band in self.bands:
            with graph.subgraph() as same:
                same.attr(rank="same")
                for root in band:
                    same.node(names[root["id"]])
            if previous:
                spread = max(self.spread.values(), default=1)
                for index, root in enumerate(previous):
                    levels = self.levels[root["id"]] + spread - 1
                    # The first trees of the bands line up (a heavy edge keeps them in one
                    # column); the others only push the next band down.
                    graph.edge(
                        names[root["id"]],
                        names[band[0]["id"]],
                        style="invis",
                        minlen=str(levels),
                        weight="100" if index == 0 else "0",
                    )
            previous = band


def build_graph(doc: TreeDoc) -> graphviz.Digraph:
    children = live_children(doc)
    order: list[Node] = []  # live nodes, parents first
    stack: list[str | None] = [None]
    while stack:
        parent = stack.pop()
        for node in children.get(parent, []):
            order.append(node)
            stack.append(node["id"])
    if len(order) > MAX_PICTURE_NODES:
        raise FormatError(
            "too_large",
            f"a picture can show at most {MAX_PICTURE_NODES:,} nodes and this tree has "
            f"{len(order):,}; export Markdown, OPML or GraphML instead",
        )
    live = {node["id"] for node in order}
    layout = _Layout(children, any(p in live for node in order for p in node["parents"]))
    rows = layout.spread
    graph = graphviz.Digraph(
        graph_attr={
            "rankdir": layout.rankdir,
            "label": graphviz.nohtml(_dot_text(doc.title)),
            "labelloc": "t",
            "fontname": "Helvetica",
            "fontsize": str(FONT_SIZE + 4),
            "dpi": str(DPI),
            "nodesep": "0.2",
            "ranksep": "0.3" if layout.rankdir == "LR" else "0.45",
        },
        node_attr={
            "shape": "box",
            "style": "rounded,filled",
            "fontname": "Helvetica",
            "fontsize": str(FONT_SIZE),
            "margin": "0.1,0.05",
        },
        edge_attr={"color": "#666666"},
    )
    names = {node["id"]: f"n{index}" for index, node in enumerate(order)}
    position = {n["id"]: i for kids in children.values() for i, n in enumerate(kids)}
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
        parent = node["parent"]
        if parent is not None:
            attrs: dict[str, str] = {}
            if parent in rows:
                # The n-th child goes n % columns ranks further: a crowded node's children
                # fill several shorter columns instead of one very long one.
                attrs["minlen"] = str(1 + position[node["id"]] % rows[parent])
            graph.edge(names[parent], name, **attrs)
        for other in node["parents"]:
            if other in names:
                graph.edge(names[other], name, style="dashed", constraint="false", weight="0")
    if len(layout.bands) > 1:
        layout.place_bands(graph, names)
    return graph


def render(doc: TreeDoc, fmt: str) -> bytes:
    graph = build_graph(doc)
    try:
        data: bytes = graph.pipe(format=fmt, quiet=True)
        return data
    except graphviz.ExecutableNotFound:
        raise FormatError(
            "renderer_missing",
            "Graphviz is not installed on the server (the `dot` program was not found); "
            "`make run` or `make sysdeps` installs it",
        ) from None
    except graphviz.CalledProcessError:
        # Graphviz's own message is not repeated: it can echo the input back.
        raise FormatError("invalid", "Graphviz could not draw this tree") from None


def write_svg(doc: TreeDoc) -> bytes:
    return render(doc, "svg")


def write_png(doc: TreeDoc) -> bytes:
    return render(doc, "png")
