"""Analysis layer: the merged DAG, built from the merge's clusters.

Merged node dicts with provenance, edges with contributors, ordered parents first; cycles
between trees (A above B in one tree, B above A in another) are reported as disagreements and
broken at their weakest edge, and the disagreements that accepting suggestions would bring
out are reported as pending.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from graphlib import TopologicalSorter
from hashlib import sha1
from typing import Any

import networkx as nx

from trees.analysis.graph import topological_order
from trees.analysis.merge.clusters import Clusters
from trees.analysis.merge.lineage import Diff3
from trees.analysis.merge.scores import Item
from trees.analysis.survival import short
from trees.domain.keys import keys_after

MERGE_NS = uuid.UUID("6f1d7e2a-4c1b-5a8e-9b0d-2f6c3e1a7d55")
_MERGE_NS_BYTES = MERGE_NS.bytes


def build(
    items: list[Item], clusters: Clusters, diff3: Diff3
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Merged node dicts, edges with contributors, and the disagreements (cycles).

    Plain dicts and lists (no networkx): the merged graph of 10,000 nodes is built, made
    acyclic and ordered in linear time.
    """
    find = clusters.find
    cluster_of = [find(i) for i in range(len(items))]
    # members in input order: items are numbered tree by tree, so by (tree order, index)
    groups: dict[int, list[int]] = {}
    for i, c in enumerate(cluster_of):
        members = groups.get(c)
        if members is None:
            groups[c] = [i]
        else:
            members.append(i)
    lineage = bool(diff3.base)  # a second round: carried-over nodes keep their merged ids
    removed = diff3.removed_clusters(groups) if lineage else set()
    node_id: dict[int, Any] = {}
    for c, members in groups.items():
        origin = None
        if lineage:
            origin = next((items[i].origin for i in members if items[i].origin is not None), None)
        if origin is not None and diff3.knows(origin):
            node_id[c] = origin
        else:
            first = items[members[0]]
            node_id[c] = _merged_id(f"{first.tree}:{first.id}")
    nodes = [c for c in groups if c not in removed]
    succ: dict[int, dict[int, list[Any]]] = {c: {} for c in nodes}
    for i, it in enumerate(items):
        ci = cluster_of[i]
        if ci in removed:
            continue
        for p in it.parents:
            cp = cluster_of[p]
            if cp != ci and cp not in removed:
                who = succ[cp].get(ci)
                if who is None:
                    succ[cp][ci] = [it.tree]
                elif it.tree not in who:
                    who.append(it.tree)
    if lineage:
        for p, c in diff3.removed_edges():
            if p in succ:
                succ[p].pop(c, None)
    disagreements = _break_cycles(succ, groups, items, node_id)
    pred: dict[int, list[int]] = {c: [] for c in nodes}
    for p, cs in succ.items():
        for c in cs:
            pred[c].append(p)
    depth = {c: min(items[i].depth for i in groups[c]) for c in nodes}
    children: dict[int | None, list[int]] = {}
    primary: dict[int, int | None] = {}
    for c in nodes:
        preds = pred[c]
        if len(preds) > 1:
            preds = sorted(preds, key=lambda p: (-len(succ[p][c]), depth[p], groups[p][0]))
        up = primary[c] = preds[0] if preds else None
        sibs = children.get(up)
        if sibs is None:
            children[up] = [c]
        else:
            sibs.append(c)
    keys: dict[int, str] = {}
    for sibs in children.values():
        sibs.sort(key=lambda c: (items[groups[c][0]].order, groups[c][0]))
        for c, key in zip(sibs, keys_after(None, len(sibs)), strict=True):
            keys[c] = key
    out_nodes: list[dict[str, Any]] = []
    for c in _topological(nodes, succ, pred):
        members = groups[c]
        first = items[members[0]]
        text = diff3.text(members) if lineage else None
        if text:
            label = text
        elif len(members) == 1:
            label = first.label
        else:
            labels = Counter(items[i].label for i in members)
            # most common wording wins; ties go to the earliest tree (Counter keeps first-seen
            # order)
            label = max(labels, key=labels.__getitem__)
        up = primary[c]
        sources = []
        for i in members:
            it = items[i]
            sources.append({"tree": it.tree, "node": it.id, "label": it.label, "author": it.author})
        meta: dict[str, Any] = {
            "sources": sources,
            "contributors": len({items[i].tree for i in members}),
        }
        if lineage:
            meta["drew"] = diff3.drew(members)
        out_nodes.append(
            {
                "id": node_id[c],
                "type": "problem",
                "parent": node_id[up] if up is not None else None,
                "parents": [node_id[q] for q in pred[c] if q != up],
                "key": keys[c],
                "text": label,
                "note": "",
                "tags": [],
                "author": first.author,
                "deleted": False,
                "meta": meta,
            }
        )
    edges = [
        {"parent": node_id[p], "child": node_id[c], "contributors": who}
        for p, cs in succ.items()
        for c, who in cs.items()
    ]
    return out_nodes, edges, disagreements


def _merged_id(name: str) -> str:
    """``str(uuid.uuid5(MERGE_NS, name))`` without building a UUID object (a tenth of the
    time; one per merged node)."""
    raw = bytearray(sha1(_MERGE_NS_BYTES + name.encode()).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50  # version 5
    raw[8] = (raw[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _topological(
    nodes: list[int], succ: Mapping[int, Mapping[int, Any]], pred: Mapping[int, list[int]]
) -> list[int]:
    """Parents before children (the graph is acyclic here), by the standard library's
    `graphlib`: nodes in `nodes` order as they become ready, successors in `succ` order."""
    sorter: TopologicalSorter[int] = TopologicalSorter()
    for c in nodes:
        sorter.add(c)
    for c in nodes:
        for d in succ[c]:
            sorter.add(d, c)
    return topological_order(sorter, nodes)


def strongly_connected(succ: Mapping[int, Mapping[int, Any]]) -> list[list[int]]:
    """Strongly connected components with two or more nodes (networkx, O(V + E)).

    Each as Tarjan's algorithm lists it, latest discovered first (networkx's components are
    sets): the disagreements a merge reports, and the edges it drops, are listed in this order.
    """
    graph = nx.DiGraph()
    graph.add_nodes_from(succ)
    graph.add_edges_from((u, v) for u, vs in succ.items() for v in vs)
    found = [c for c in nx.strongly_connected_components(graph) if len(c) > 1]
    if not found:
        return []
    discovered = {v: i for i, v in enumerate(nx.dfs_preorder_nodes(graph))}
    return [sorted(c, key=discovered.__getitem__, reverse=True) for c in found]


def _break_cycles(
    succ: dict[int, dict[int, list[Any]]],
    groups: dict[int, list[int]],
    items: list[Item],
    node_id: dict[int, Any],
) -> list[dict[str, Any]]:
    """Report every set of nodes the trees order differently (A above B in one tree, B above
    A in another) and make the graph a DAG again.

    Each strongly connected component is one disagreement. Inside it we keep the order the
    trees agree on best (mean depth in the source trees, then fewer contributors lose) and
    drop the edges that point against it: linear time, however many cycles there are.
    """
    out: list[dict[str, Any]] = []
    for scc_list in strongly_connected(succ):
        scc = set(scc_list)
        depth = {c: sum(items[i].depth for i in groups[c]) / len(groups[c]) for c in scc}
        order = {c: (depth[c], items[groups[c][0]].order, groups[c][0]) for c in scc}
        inside = [(u, v) for u in scc for v in succ[u] if v in scc]
        upward = [(u, v) for u, v in inside if order[u] >= order[v]]

        def describe(e: tuple[int, int]) -> dict[str, Any]:
            u, v = e
            return {
                "parent": {"node": node_id[u], "label": items[groups[u][0]].label},
                "child": {"node": node_id[v], "label": items[groups[v][0]].label},
                "contributors": list(succ[u][v]),
            }

        inside.sort(key=lambda e: (order[e[0]], order[e[1]]))
        described = [describe(e) for e in inside[:50]]
        text = "; ".join(
            f"{short(e['parent']['label'], 40)} above {short(e['child']['label'], 40)} in "
            f"{', '.join(map(str, e['contributors']))}"
            for e in described[:6]
        )
        out.append(
            {
                "cycle": described,
                "dropped": [describe(e) for e in upward],
                "message": f"trees disagree about the order: {text}",
            }
        )
        for u, v in upward:
            del succ[u][v]
    return out


def _mirror_links(
    edges: dict[tuple[int, int], list[Any]],
    linked: dict[int, list[int]],
    strength: dict[tuple[int, int], float],
    link_min: float,
    mirror: Mirror,
) -> None:
    """Add the links a reversal itself makes likely: when A (up) is under nothing special
    but has child B in one tree, and A's suggested or merged partner A' has parent B' in
    another, B and B' sit in mirrored places, so a weaker likeness of B and B' (the
    ``mirror`` score of the two merged nodes, at least its ``min_score``) counts as a link
    too.

    Structure as evidence, as merge's parents and children evidence is: a plain-words label
    and its jargon twin often score under ``link_min`` on their words alone
    ("Open the Pod Bay Doors, HAL: will it let us switch it off?" / "shutdown avoidance,
    off-switch"), and the disagreement was then not reported.

    The mirrored pairs are all found first (finding them reads no link added here) and
    scored in one call: an array operation per pair cost 13 times as much (the 7,209 pairs
    of the quality, development and evaluation sets' merges: 285 ms against 22 ms).
    """
    ups_of: dict[int, list[int]] = {}
    for u, v in edges:
        ups_of.setdefault(v, []).append(u)
    pairs: list[tuple[int, int]] = []
    for up, down in edges:
        for x in linked.get(up, ()):
            if strength[(up, x)] < link_min:
                continue
            for y in ups_of.get(x, ()):
                if y in (down, up) or y in linked.get(down, ()) or (down, y) in edges:
                    continue
                pairs.append((down, y))
    if not pairs:
        return
    for (a, b), s in zip(pairs, mirror.scores(pairs), strict=True):
        if s < mirror.min_score:
            continue
        for x, y in ((a, b), (b, a)):
            got = linked.setdefault(x, [])
            if y not in got:
                got.append(y)
                strength[(x, y)] = s


LINKS_PER_NODE = 10  # suggested partners of a merged node looked at for disagreements
LINK_CANDIDATES = 3  # of each suggestion's candidates, the best ones taken as links
# weaker suggestions are not taken as "the same problem" for disagreements (the default;
# merge passes its sentence model's Calibration.link_min)
LINK_MIN = 0.35
# a mirrored pair (see _mirror_links) counts as a link from this likeness in meaning (the
# default; merge passes its sentence model's Calibration.mirror_min)
MIRROR_MIN = 0.15
# the meaning scores of pairs of merged nodes (each named by a member item), in one call
PairScores = Callable[[Sequence[tuple[int, int]]], list[float]]


@dataclass(frozen=True, slots=True)
class Mirror:
    """Links from mirrored places (:func:`_mirror_links`): the meaning scores of pairs of
    merged nodes, and the least of them that counts as a link."""

    scores: PairScores
    min_score: float = MIRROR_MIN


def suggested_disagreements(
    items: list[Item],
    clusters: Clusters,
    suggestions: list[dict[str, Any]],
    nodes: list[dict[str, Any]],
    link_min: float = LINK_MIN,
    mirror: Mirror | None = None,
) -> list[dict[str, Any]]:
    """Disagreements about the order that accepting suggestions would bring out.

    A is under B in one tree and B under A in another, but A's two labels (or B's) were not
    merged automatically, only suggested: the merged DAG has no cycle, yet the group should
    know, before and while it reviews. Each is reported once, with ``"pending": true`` and
    both edges, likeliest first (by the weaker of the two suggested matches it rests on, among
    each suggestion's best :data:`LINK_CANDIDATES` candidates scoring at least ``link_min``,
    which depends on the sentence model's calibration); a report that shares an edge with a
    likelier one joins it (the same disagreement seen from a third tree). Nothing is dropped
    (the suggestions may be rejected). Linear in the edges (each merged node looks at its
    :data:`LINKS_PER_NODE` best suggested partners). With ``mirror``, pairs in mirrored
    places count as links too (:func:`_mirror_links`).
    """
    if not suggestions:
        return []
    find = clusters.find
    index = {(it.tree, it.id): i for i, it in enumerate(items)}
    node_of: dict[int, dict[str, Any]] = {}
    for node in nodes:
        src = node["meta"]["sources"][0]
        node_of[find(index[(src["tree"], src["node"])])] = node
    linked: dict[int, list[int]] = {}
    strength: dict[tuple[int, int], float] = {}  # a link's score (its best suggestion's)
    for s in suggestions:  # best first
        a = find(index[(s["a"]["tree"], s["a"]["node"])])
        for c in s["candidates"][:LINK_CANDIDATES]:
            if c["score"] < link_min:
                continue
            b = find(index[(c["tree"], c["node"])])
            for x, y in ((a, b), (b, a)):
                got = linked.setdefault(x, [])
                if y not in got and len(got) < LINKS_PER_NODE:
                    got.append(y)
                    strength[(x, y)] = c["score"]
    # the root is above everything by definition: "Alignment above X" in one tree and X
    # above a node suggested as like the root in another is no disagreement of order
    roots = {find(i) for i, it in enumerate(items) if it.is_root}
    edges: dict[tuple[int, int], list[Any]] = {}
    for i, it in enumerate(items):
        ci = find(i)
        for p in it.parents:
            cp = find(p)
            if cp != ci and cp not in roots and ci in node_of and cp in node_of:
                who = edges.setdefault((cp, ci), [])
                if it.tree not in who:
                    who.append(it.tree)
    if mirror is not None:
        _mirror_links(edges, linked, strength, link_min, mirror)
    found: list[tuple[float, int, dict[str, Any]]] = []
    seen: set[frozenset[tuple[int, int]]] = set()
    for (up, down), who in edges.items():
        for x in (up, *linked.get(up, ())):
            for y in (down, *linked.get(down, ())):
                if (x, y) == (up, down):
                    continue
                back = edges.get((y, x))
                if back is None or (y, x) == (down, up):  # (down, up): a real cycle
                    continue
                key = frozenset(((up, down), (y, x)))
                if key in seen:
                    continue
                seen.add(key)
                sides: tuple[tuple[int, int, list[Any]], ...] = ((up, down, who), (y, x, back))
                cycle: list[dict[str, Any]] = [
                    {
                        "parent": {"node": node_of[u]["id"], "label": node_of[u]["text"]},
                        "child": {"node": node_of[v]["id"], "label": node_of[v]["text"]},
                        "contributors": list(c),
                    }
                    for u, v, c in sides
                ]
                weakest = min(
                    1.0 if x == up else strength[(up, x)],
                    1.0 if y == down else strength[(down, y)],
                )
                found.append(
                    (
                        -weakest,
                        len(found),
                        {
                            "cycle": cycle,
                            "dropped": [],
                            "pending": True,
                            "message": "",  # written below, once its edges are all known
                        },
                    )
                )
    # the likeliest first: by the weaker of the two suggested matches it rests on; and one
    # report per edge: a weaker one that shares an edge with a likelier one is the same
    # disagreement seen from another tree's copy (A above B here; B' above A' there, B''
    # above A'' in a third), so its other edge joins the likelier report instead of making
    # a report of its own
    found.sort(key=lambda t: (t[0], t[1]))
    out: list[dict[str, Any]] = []
    owner: dict[tuple[Any, Any], dict[str, Any]] = {}
    for _, _, d in found:
        keys = [(e["parent"]["node"], e["child"]["node"]) for e in d["cycle"]]
        into = next((owner[e] for e in keys if e in owner), None)
        if into is None:
            out.append(d)
            into = d
        else:
            for e, side in zip(keys, d["cycle"], strict=True):
                if e not in owner:
                    into["cycle"].append(side)
        for e in keys:
            owner.setdefault(e, into)
    for d in out:
        text = "; ".join(
            f"{short(e['parent']['label'], 40)} above {short(e['child']['label'], 40)}"
            f" in {', '.join(map(str, e['contributors']))}"
            for e in d["cycle"]
        )
        d["message"] = (
            f"if the suggested matches are accepted, trees disagree about the order: {text}"
        )
    return out
