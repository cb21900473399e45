"""Analysis layer: merge individually drawn problem trees into one DAG (the Big ASS Tree).

Pipeline (analysis.md section 1): normalise and alias-expand labels, score candidate pairs
(see :mod:`trees.analysis.matching`), then constrained union-find clustering: roots, lineage
and confirmed matches first, then automatic matches above ``auto`` in score order, never two
nodes of one source tree in one cluster, never a rejected pair, never a pair whose labels are
subset-like. Pairs in the review band become suggestions with their top-3 candidates. The
merged DAG keeps provenance on every node and contributors on every edge; cycles between
trees are reported as disagreements and broken at their weakest edge, never raised.
"""

from __future__ import annotations

import uuid
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from hashlib import sha1
from typing import Any, Literal

from trees.analysis.batch import batch
from trees.analysis.glossary import Glossary
from trees.analysis.graph import live_nodes, parents_of
from trees.analysis.lineage import Diff3, fork
from trees.analysis.matching import Item, Matcher, Ranked
from trees.analysis.similarity import Embedder, load_embedder
from trees.analysis.survival import short
from trees.domain.keys import keys_after

__all__ = ["fork", "merge"]

Ref = tuple[Any, Any]
TreeLike = tuple[Any, Sequence[Mapping[str, Any]]]
Progress = Callable[[str, float], None]
# Where each phase starts, as a share of the whole merge: its share of the instructions of a
# 5 x 2,000-node merge (bench/RESULTS_analysis.md, "Where the super-linear time goes").
PHASES = {
    "reading": 0.0,
    "labels": 0.02,
    "candidates": 0.27,
    "ranking": 0.69,
    "suggestions": 0.78,
    "building": 0.91,
}
MERGE_NS = uuid.UUID("6f1d7e2a-4c1b-5a8e-9b0d-2f6c3e1a7d55")
_MERGE_NS_BYTES = MERGE_NS.bytes


def as_ref(value: Any) -> Ref:
    """``(tree, node)`` from a tuple/list or a ``{"tree", "node"}`` mapping."""
    if isinstance(value, Mapping):
        return (value["tree"], value["node"])
    tree, node = value
    return (tree, node)


class _Clusters:
    """Union-find whose clusters remember their source trees (to refuse same-tree merges).

    A cluster's trees are a bit mask (one bit per distinct source tree), not a set: checking
    a candidate pair then reads two ints from one list (mostly the cached small ints), where
    a set per item scattered 20,000 objects over memory for 5 x 4,000 nodes.
    """

    def __init__(self, items: list[Item]) -> None:
        # a flat array: find() reads it all over the range, and a list's ints lie all over
        # the heap
        self.parent = array("q", range(len(items)))
        bit: dict[Any, int] = {}
        for it in items:
            bit.setdefault(it.tree, 1 << len(bit))
        self.trees: list[int] = [bit[it.tree] for it in items]

    def find(self, x: int) -> int:
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def can_union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        return ra != rb and not self.trees[ra] & self.trees[rb]

    def union(self, a: int, b: int) -> bool:
        if not self.can_union(a, b):
            return False
        ra, rb = sorted((self.find(a), self.find(b)))
        self.parent[rb] = ra
        self.trees[ra] |= self.trees[rb]
        return True


def _items(trees: Sequence[TreeLike]) -> tuple[list[Item], dict[Ref, int]]:
    items: list[Item] = []
    index: dict[Ref, int] = {}
    for order, (tree, nodes) in enumerate(trees):
        live = live_nodes(nodes)
        local: dict[Any, int] = {}  # node id -> item, in this tree
        for n in live:
            meta = n.get("meta") or {}
            local[n["id"]] = len(items)
            items.append(
                Item(
                    tree,
                    order,
                    n["id"],
                    str(n.get("text") or ""),
                    n.get("author"),
                    0,
                    is_root=False,
                    origin=meta.get("origin"),
                )
            )
        tops: list[int] = []
        for n in live:
            child = local[n["id"]]
            top = True
            for p in parents_of(n):
                up = local.get(p)
                if up is not None:
                    top = False
                    items[child].parents.append(up)
                    items[up].children.append(child)
            if top:
                tops.append(child)
        if len(tops) == 1:  # one top-level node: the tree's root
            items[tops[0]].is_root = True
        index.update(((tree, node), i) for node, i in local.items())
    _depths(items)
    return items, index


def _depths(items: list[Item]) -> None:
    """Shortest depth from a top-level node (breadth-first, cycle-safe)."""
    frontier = [i for i, it in enumerate(items) if not it.parents]
    seen = set(frontier)
    depth = 0
    while frontier:
        nxt = []
        for i in frontier:
            items[i].depth = depth
            for c in items[i].children:
                if c not in seen:
                    seen.add(c)
                    nxt.append(c)
        frontier, depth = nxt, depth + 1


@batch
def merge(
    trees: Sequence[TreeLike],
    *,
    glossary: Glossary | None = None,
    confirmed: Iterable[Any] = (),
    rejected: Iterable[Any] = (),
    base: Sequence[Mapping[str, Any]] | None = None,
    auto: float = 0.8,
    review: float = 0.2,
    embedder: Embedder | Literal["auto"] | None = "auto",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Merge ``(tree id, nodes)`` problem trees; see the module docstring.

    ``confirmed`` / ``rejected``: pairs of refs (``((tree, node), (tree, node))`` or
    ``{"a": {"tree", "node"}, "b": {...}}``) decided by the group. ``base``: the merged tree
    the inputs were forked from (their nodes carry ``meta.origin``); carried-over nodes match
    by lineage, only new nodes are matched by text, and edits are combined by diff3 rules.
    ``glossary`` is updated in place with what confirmed matches teach. ``progress`` is
    called as ``progress(phase, fraction)`` when each phase of :data:`PHASES` starts and
    with ``("building", 1.0)`` at the end; an exception it raises aborts the merge.

    Returns ``{"nodes", "edges", "matches", "suggestions", "disagreements", "conflicts",
    "glossary", "stats"}``: plain data, to be read (or deep-copied before editing): in the
    suggestions, a node's ref and a pair's components are one dict each wherever they occur.
    """
    report = progress or _no_progress
    report("reading", PHASES["reading"])
    glossary = glossary if glossary is not None else Glossary()
    if embedder == "auto":
        embedder = load_embedder()
    items, index = _items(trees)
    pairs_of = [_pair_refs(p) for p in confirmed]
    for a, b in pairs_of:
        if a in index and b in index:
            glossary.learn(items[index[a]].label, items[index[b]].label)
    report("labels", PHASES["labels"])
    matcher = Matcher(items, glossary, embedder)
    base_ids = {n["id"] for n in base or ()}
    carried = [i for i, it in enumerate(items) if it.origin is not None and it.origin in base_ids]
    carried_set = set(carried)
    matchable = [i for i in range(len(items)) if i not in carried_set]
    rejected_set = {
        (min(index[a], index[b]), max(index[a], index[b]))
        for a, b in map(_pair_refs, rejected)
        if a in index and b in index
    }

    clusters = _Clusters(items)
    matches: list[dict[str, Any]] = []

    def record(i: int, j: int, reason: str) -> None:
        if clusters.union(i, j):
            matches.append({"a": _ref(items[i]), "b": _ref(items[j]), "reason": reason})

    roots = [i for i, it in enumerate(items) if it.is_root]
    for r in roots[1:]:
        record(roots[0], r, "root")
    by_origin: dict[Any, int] = {}
    for i in carried:
        first = by_origin.setdefault(items[i].origin, i)
        if first != i:
            record(first, i, "lineage")
    for a, b in pairs_of:
        if a in index and b in index:
            record(index[a], index[b], "confirmed")

    report("candidates", PHASES["candidates"])
    matcher.candidates(matchable, floor=review)
    if base_ids:  # carried nodes were told apart by the group already: only new ones match
        matcher.drop_within(carried_set)
    # every candidate pair has its label score now: scoring and ranking them needs no text,
    # and reuses the memory the n-gram vectors held (which no longer fits the L3 cache at
    # 5 x 4,000 nodes alongside the pairs)
    matcher.release_text()
    # only pairs that can become a match or a suggestion are kept and sorted; the
    # explanation of a pair (Scored) is built only when it is shown
    report("ranking", PHASES["ranking"])
    ordered = matcher.ranked(min(auto, review))
    report("suggestions", PHASES["suggestions"])
    n = len(items)
    for neg, p in zip(ordered.negs, ordered.pairs, strict=True):
        if -neg < auto:
            break
        i, j = divmod(p, n)
        if (i, j) not in rejected_set and not matcher.subset(i, j) and clusters.union(i, j):
            shown = matcher.score(i, j)
            matches.append(
                {
                    "a": _ref(items[i]),
                    "b": _ref(items[j]),
                    "reason": "auto",
                    "score": round(shown.score, 3),
                    "components": shown.components(),
                }
            )

    suggestions = _suggestions(items, clusters, matcher, ordered, rejected_set, review)
    candidate_pairs = len(matcher.known)
    del matcher, ordered  # the DAG is built in the memory the pairs held
    report("building", PHASES["building"])
    diff3 = Diff3(base or (), items, clusters.find, trees)
    nodes, edges, disagreements = _build(items, clusters, diff3)
    disagreements.extend(_suggested_disagreements(items, clusters, suggestions, nodes))
    report("building", 1.0)
    return {
        "nodes": nodes,
        "edges": edges,
        "matches": matches,
        "suggestions": suggestions,
        "disagreements": disagreements,
        "conflicts": diff3.conflicts,
        "glossary": glossary.to_dict(),
        "stats": {
            "trees": len(trees),
            "input_nodes": len(items),
            "merged_nodes": len(nodes),
            "candidate_pairs": candidate_pairs,
            "auto_matches": sum(1 for m in matches if m["reason"] == "auto"),
            "suggestions": len(suggestions),
            "embeddings": embedder is not None,
        },
    }


def _no_progress(phase: str, fraction: float) -> None:
    pass


def _pair_refs(pair: Any) -> tuple[Ref, Ref]:
    if isinstance(pair, Mapping):
        return as_ref(pair["a"]), as_ref(pair["b"])
    a, b = pair
    return as_ref(a), as_ref(b)


def _ref(it: Item) -> dict[str, Any]:
    return {"tree": it.tree, "node": it.id, "label": it.label}


def _suggestions(
    items: list[Item],
    clusters: _Clusters,
    matcher: Matcher,
    ordered: Ranked,
    rejected: set[tuple[int, int]],
    review: float,
) -> list[dict[str, Any]]:
    """Review-band pairs grouped per node: its best candidate plus its top 3.

    A node's ref (``a``, ``b``) and a pair's components are built once and shared by every
    suggestion and candidate that shows them, not copied: the suggestions are the largest
    part of the result (34 MB of 65 MB for 5 x 4,000 nodes with copies, 26 MB without).
    """
    n = len(items)
    # per item (lists indexed by item, not dicts: compact, and read in item order below)
    per_item: list[list[int] | None] = [None] * n  # other items, best first
    best = [0.0] * n  # -score of the item's best pair
    can_union = clusters.can_union
    for neg, p in zip(ordered.negs, ordered.pairs, strict=True):  # best first
        if neg > -review:
            break
        i, j = divmod(p, n)
        if (rejected and (i, j) in rejected) or not can_union(i, j):
            continue
        others = per_item[i]
        if others is None:
            per_item[i] = [j]
            best[i] = neg
        else:
            others.append(j)
        others = per_item[j]
        if others is None:
            per_item[j] = [i]
            best[j] = neg
        else:
            others.append(i)
    shown: dict[int, tuple[float, dict[str, float], str]] = {}

    def explained(i: int, j: int) -> tuple[float, dict[str, float], str]:
        key = i * n + j if i < j else j * n + i
        got = shown.get(key)
        if got is None:
            s = matcher.score(*divmod(key, n))
            components = s.components()
            got = shown[key] = (round(s.score, 3), components, s.explain(components))
        return got

    refs: list[dict[str, Any] | None] = [None] * n

    def ref(i: int) -> dict[str, Any]:
        got = refs[i]
        if got is None:
            got = refs[i] = _ref(items[i])
        return got

    out: list[dict[str, Any]] = []
    # pairs of clusters already shown (as a suggestion's pair or one of its candidates):
    # B's suggestion does not ask again about A when A's asked about B ("A = B?" and
    # "B = A?" are one question; rejecting it once is enough)
    shown_pairs: set[int] = set()
    find = clusters.find
    shown_items = [i for i, others in enumerate(per_item) if others is not None]
    for i in sorted(shown_items, key=best.__getitem__):  # best first, ties by item
        top: list[int] = []
        seen_clusters: set[int] = set()
        ci = find(i)
        for j in per_item[i] or ():  # already in score order
            c = find(j)
            if c not in seen_clusters:
                seen_clusters.add(c)
                if (ci * n + c if ci < c else c * n + ci) in shown_pairs:
                    continue
                top.append(j)
                if len(top) == 3:
                    break
        if not top:
            continue
        for j in top:
            c = find(j)
            shown_pairs.add(ci * n + c if ci < c else c * n + ci)
        first = top[0]
        score, components, explanation = explained(i, first)
        candidates = []
        for j in top:
            it = items[j]
            c_score, c_components, _ = explained(i, j)
            candidates.append(
                {
                    "tree": it.tree,
                    "node": it.id,
                    "label": it.label,
                    "score": c_score,
                    "components": c_components,
                }
            )
        out.append(
            {
                "a": ref(i),
                "b": ref(first),
                "score": score,
                "components": components,
                "explanation": explanation,
                "candidates": candidates,
            }
        )
    return out


def _build(
    items: list[Item], clusters: _Clusters, diff3: Diff3
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
                "meta": {
                    "sources": sources,
                    "contributors": len({items[i].tree for i in members}),
                },
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
    """Kahn's order, parents before children (the graph is acyclic here)."""
    indeg = {c: len(pred[c]) for c in nodes}
    order = [c for c in nodes if indeg[c] == 0]
    for c in order:
        for d in succ[c]:
            indeg[d] -= 1
            if indeg[d] == 0:
                order.append(d)
    if len(order) < len(nodes):  # cannot happen after _break_cycles; never drop a node
        seen = set(order)
        order.extend(c for c in nodes if c not in seen)
    return order


def strongly_connected(succ: Mapping[int, Mapping[int, Any]]) -> list[list[int]]:
    """Strongly connected components with two or more nodes (iterative Tarjan, O(V + E)).

    Nodes are small non-negative ints (merged clusters are numbered by an item): the
    bookkeeping is flat arrays indexed by node, not dicts and a set, so the walk over the
    edges reads consecutive memory for it.
    """
    size = max(succ, default=-1) + 1
    index = array("q", [-1]) * size
    low = array("q", [0]) * size
    on_stack = bytearray(size)
    stack: list[int] = []
    out: list[list[int]] = []
    counter = 0
    for start in succ:
        if index[start] >= 0:
            continue
        work: list[tuple[int, Iterator[int]]] = [(start, iter(succ[start]))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack[start] = 1
        while work:
            v, it = work[-1]
            advanced = False
            for w in it:
                if index[w] < 0:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on_stack[w] = 1
                    work.append((w, iter(succ[w])))
                    advanced = True
                    break
                if on_stack[w] and index[w] < low[v]:
                    low[v] = index[w]
            if advanced:
                continue
            work.pop()
            if work:
                u = work[-1][0]
                if low[v] < low[u]:
                    low[u] = low[v]
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack[w] = 0
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)
    return out


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


LINKS_PER_NODE = 10  # suggested partners of a merged node looked at for disagreements
LINK_CANDIDATES = 3  # of each suggestion's candidates, the best ones taken as links
LINK_MIN = 0.35  # weaker suggestions are not taken as "the same problem" for disagreements


def _suggested_disagreements(
    items: list[Item],
    clusters: _Clusters,
    suggestions: list[dict[str, Any]],
    nodes: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """Disagreements about the order that accepting suggestions would bring out.

    A is under B in one tree and B under A in another, but A's two labels (or B's) were not
    merged automatically, only suggested: the merged DAG has no cycle, yet the group should
    know, before and while it reviews. Each is reported once, with ``"pending": true`` and
    both edges, likeliest first (by the weaker of the two suggested matches it rests on, among
    each suggestion's best :data:`LINK_CANDIDATES` candidates scoring at least
    :data:`LINK_MIN`); nothing is dropped (the suggestions may be rejected). Linear in the edges
    (each merged node looks at its :data:`LINKS_PER_NODE` best suggested partners).
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
            if c["score"] < LINK_MIN:
                continue
            b = find(index[(c["tree"], c["node"])])
            for x, y in ((a, b), (b, a)):
                got = linked.setdefault(x, [])
                if y not in got and len(got) < LINKS_PER_NODE:
                    got.append(y)
                    strength[(x, y)] = c["score"]
    edges: dict[tuple[int, int], list[Any]] = {}
    for i, it in enumerate(items):
        ci = find(i)
        for p in it.parents:
            cp = find(p)
            if cp != ci and ci in node_of and cp in node_of:
                who = edges.setdefault((cp, ci), [])
                if it.tree not in who:
                    who.append(it.tree)
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
                text = "; ".join(
                    f"{short(e['parent']['label'], 40)} above {short(e['child']['label'], 40)}"
                    f" in {', '.join(map(str, e['contributors']))}"
                    for e in cycle
                )
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
                            "message": f"if the suggested matches are accepted, trees disagree "
                            f"about the order: {text}",
                        },
                    )
                )
    # the likeliest first: by the weaker of the two suggested matches it rests on
    found.sort(key=lambda t: (t[0], t[1]))
    return [d for _, _, d in found]
