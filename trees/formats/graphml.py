"""Formats layer: GraphML, for graph tools (Gephi, yEd, networkx) and merged DAGs.

Writes a directed graph through networkx: graph attributes `format`, `kind`, `title`,
`description`; one node per tree node (deleted ones too) with `type`, `text`, `note`,
`tags` (comma-joined), `key`, `deleted`, `meta` (JSON) and `author` when set; an edge
parent -> child with `primary=true` for the primary parent and `primary=false` plus
`order` for each extra parent.

Reads the same, and also plain GraphML from other tools: the label comes from `text`,
`label` or `name` (else the node id), a missing type follows from depth, the first
incoming edge is the primary parent when no edge says `primary`, node ids that are UUIDs
are kept (others get fresh ones), missing or clashing keys are laid out in file order.
The XML is checked with defusedxml before networkx (which uses the stdlib parser) sees it.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import networkx as nx

from trees.domain.errors import FormatError
from trees.domain.keys import is_valid_key, keys_after
from trees.formats.doc import TreeDoc, check_node_count
from trees.formats.inline import xml_safe
from trees.formats.outline import implied_type
from trees.formats.textio import decode_text
from trees.formats.xmlsafe import local_name, parse_xml

EXPECTED = "GraphML (XML with a <graphml> root)"


def write_graphml(doc: TreeDoc) -> bytes:
    graph = nx.DiGraph(
        format="gametree",
        kind=doc.kind,
        title=xml_safe(doc.title),
        description=xml_safe(doc.description),
    )
    for node in doc.nodes:
        attrs: dict[str, Any] = {
            "type": node["type"],
            "text": xml_safe(node["text"]),
            "note": xml_safe(node["note"]),
            "tags": ",".join(node["tags"]),
            "key": node["key"],
            "deleted": node["deleted"],
            "meta": json.dumps(node["meta"], ensure_ascii=False),
        }
        if node["author"] is not None:
            attrs["author"] = node["author"]
        graph.add_node(node["id"], **attrs)
    for node in doc.nodes:
        if node["parent"] is not None:
            graph.add_edge(node["parent"], node["id"], primary=True)
        for order, other in enumerate(node["parents"]):
            graph.add_edge(other, node["id"], primary=False, order=order)
    return ("\n".join(nx.generate_graphml(graph)) + "\n").encode("utf-8")


def read_graphml(data: bytes | str, *, kind: str, title: str | None) -> TreeDoc:
    text = decode_text(data, EXPECTED)
    root, lines = parse_xml(text.encode("utf-8"), EXPECTED)
    if local_name(root.tag) != "graphml":
        raise FormatError(
            "invalid_format", f"the XML root is <{local_name(root.tag)}>; expected {EXPECTED}"
        )
    node_lines = {
        el.get("id", ""): line for el, line in lines.items() if local_name(el.tag) == "node"
    }
    check_node_count(len(node_lines))
    # networkx does not keep edges in file order; the first parent in the file is primary.
    edge_order = {
        (el.get("source"), el.get("target")): index
        for index, el in enumerate(e for e in root.iter() if local_name(e.tag) == "edge")
    }
    try:
        graph = nx.parse_graphml(text)
    except (nx.NetworkXError, ValueError, KeyError) as exc:
        raise FormatError(
            "invalid_format", f"unreadable GraphML ({exc}); expected {EXPECTED}"
        ) from None
    if not graph.is_directed():
        raise FormatError(
            "invalid_format", "the graph is undirected; edges must run parent -> child"
        )
    return _doc_from_graph(graph, node_lines, edge_order, kind=kind, title=title)


def _doc_from_graph(
    graph: Any,
    node_lines: dict[str, int],
    edge_order: dict[tuple[str | None, str | None], int],
    *,
    kind: str,
    title: str | None,
) -> TreeDoc:
    if graph.graph.get("kind", kind) != kind:
        raise FormatError(
            "kind_mismatch", f"the file holds a {graph.graph['kind']!r} tree, not a {kind!r} tree"
        )
    position = {name: index for index, name in enumerate(graph.nodes)}
    try:
        order = list(nx.lexicographical_topological_sort(graph, key=lambda n: position[n]))
    except nx.NetworkXUnfeasible:
        raise FormatError("invalid", "the graph has a cycle; a tree or DAG is expected") from None
    ids = {name: _node_id(str(name)) for name in order}
    doc = TreeDoc(
        kind=kind,
        title=title if title else str(graph.graph.get("title", "")),
        description=str(graph.graph.get("description", "")),
    )
    types: dict[str, str] = {}
    children: dict[str | None, list[dict[str, Any]]] = {}
    for name in order:
        attrs = graph.nodes[name]
        line = node_lines.get(str(name))
        primary, extra = _parents(graph, name, line, edge_order)
        parent = ids[primary] if primary is not None else None
        node_type = attrs.get("type")
        if not isinstance(node_type, str) or not node_type:
            node_type = implied_type(kind, types.get(parent) if parent else None)
        text = attrs.get("text", attrs.get("label", attrs.get("name", str(name))))
        try:
            meta = json.loads(attrs["meta"]) if "meta" in attrs else {}
        except json.JSONDecodeError:
            raise FormatError("invalid", f"node {name!r}: meta is not JSON", line=line) from None
        node = {
            "id": ids[name],
            "type": node_type,
            "parent": parent,
            "parents": [ids[p] for p in extra],
            "key": attrs.get("key"),
            "text": str(text),
            "note": str(attrs.get("note", "")),
            "tags": [t.strip() for t in str(attrs.get("tags", "")).split(",") if t.strip()],
            "author": attrs.get("author"),
            "deleted": bool(attrs.get("deleted", False)),
            "meta": meta,
        }
        types[ids[name]] = node_type
        doc.nodes.append(node)
        children.setdefault(parent, []).append(node)
    for siblings in children.values():
        keys = [n["key"] for n in siblings]
        if not all(is_valid_key(k) for k in keys) or len(set(keys)) != len(keys):
            for node, key in zip(siblings, keys_after(None, len(siblings)), strict=True):
                node["key"] = key
    return doc


def _parents(
    graph: Any, name: Any, line: int | None, edge_order: dict[tuple[str | None, str | None], int]
) -> tuple[Any, list[Any]]:
    """The primary parent (None at top level) and the extra parents, in their order."""
    edges = sorted(
        graph.in_edges(name, data=True), key=lambda e: edge_order.get((str(e[0]), str(e[1])), 0)
    )
    marked = [src for src, _, data in edges if data.get("primary") is True]
    if len(marked) > 1:
        raise FormatError("invalid", f"node {name!r} has {len(marked)} primary parents", line=line)
    if not edges:
        return None, []
    if marked:
        primary = marked[0]
    elif any("primary" in data for _, _, data in edges):
        primary = None  # only extra parents: a top-level node that also sits elsewhere
    else:
        primary = edges[0][0]  # a foreign file: the first parent is the primary one
    rest = [(data.get("order", 0), i, src) for i, (src, _, data) in enumerate(edges)]
    return primary, [src for _, _, src in sorted(rest) if src != primary]


def _node_id(name: str) -> str:
    """Keep UUID ids (ours); foreign ids like `n0` get fresh UUIDs."""
    try:
        return str(uuid.UUID(name)) if len(name) == 36 else str(uuid.uuid4())
    except ValueError:
        return str(uuid.uuid4())
