"""Analysis layer: conversion between protocol node dicts and networkx graphs, and the
topological order of a `graphlib` sorter.

Edges point parent -> child, for the primary parent (``primary=True``) and for every extra
parent (``primary=False``). Deleted nodes are skipped, and so are edges to nodes that are not
in the input (a live node whose parent is missing becomes top-level rather than an error:
analysis must never crash on a slightly inconsistent snapshot).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from contextlib import suppress
from graphlib import CycleError, TopologicalSorter
from typing import Any, TypeVar

import networkx as nx

NodeDict = Mapping[str, Any]
T = TypeVar("T")


def live_nodes(nodes: Iterable[NodeDict]) -> list[NodeDict]:
    """The nodes that are not tombstoned."""
    return [n for n in nodes if not n.get("deleted")]


def parents_of(node: NodeDict) -> list[Any]:
    """Primary parent first, then extra parents, without duplicates or ``None``."""
    out: list[Any] = []
    primary = node.get("parent")
    if primary is not None:
        out.append(primary)
    for p in node.get("parents") or ():
        if p is not None and p not in out:
            out.append(p)
    return out


def tree_graph(nodes: Iterable[NodeDict], *, tree_id: int | str | None = None) -> nx.DiGraph:
    """Build a DiGraph keyed by node id; node attributes are copied from the dicts.

    ``tree_id`` is stored as the graph attribute ``tree`` and as node attribute ``tree`` so
    that graphs of several trees can be combined without losing where a node came from.
    """
    g: nx.DiGraph = nx.DiGraph(tree=tree_id)
    live = live_nodes(nodes)
    for n in live:
        attrs = dict(n)
        attrs["tree"] = tree_id
        g.add_node(n["id"], **attrs)
    for n in live:
        for i, p in enumerate(parents_of(n)):
            if p in g and p != n["id"]:
                g.add_edge(p, n["id"], primary=(i == 0 and n.get("parent") == p))
    return g


def graph_nodes(g: nx.DiGraph) -> list[dict[str, Any]]:
    """Node dicts back from a graph built by :func:`tree_graph` (or by the merge).

    The primary parent is the edge marked ``primary``; without one, the first predecessor.
    Nodes come out parents-before-children when the graph is acyclic.
    """
    order: Iterable[Any]
    try:
        order = list(nx.topological_sort(g))
    except nx.NetworkXUnfeasible:
        order = list(g.nodes)
    out: list[dict[str, Any]] = []
    for v in order:
        attrs = {k: val for k, val in g.nodes[v].items() if k != "tree"}
        preds = list(g.predecessors(v))
        primary = next((p for p in preds if g.edges[p, v].get("primary")), None)
        if primary is None and preds:
            primary = preds[0]
        attrs["id"] = v
        attrs["parent"] = primary
        attrs["parents"] = [p for p in preds if p != primary]
        attrs.setdefault("deleted", False)
        out.append(attrs)
    return out


def topological_order(sorter: TopologicalSorter[T], nodes: Collection[T]) -> list[T]:
    """The nodes of `sorter` (`graphlib`) as they become ready, parents first; on a cycle
    (never in a DAG, but never drop a node) the nodes it blocks follow, in `nodes` order."""
    with suppress(CycleError):
        sorter.prepare()
    order: list[T] = []
    while ready := sorter.get_ready():
        order.extend(ready)
        sorter.done(*ready)
    if len(order) < len(nodes):
        seen = set(order)
        order.extend(v for v in nodes if v not in seen)
    return order
