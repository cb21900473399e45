"""Analysis layer: merge individually drawn problem trees into one DAG (the Big ASS Tree).

Pipeline (analysis.md section 1): normalise and alias-expand labels, score candidate pairs
(see :mod:`trees.analysis.merge.matching`), then constrained union-find clustering: roots, lineage
and confirmed matches first, then automatic matches above ``auto`` in score order, never two
nodes of one source tree in one cluster, never a rejected pair, never a pair whose labels are
subset-like. Pairs in the review band become suggestions with their top-3 candidates (and,
in a later round, the pairs the round before left undecided: `lineage.carry_suggestions`). The
merged DAG keeps provenance on every node and contributors on every edge; cycles between
trees are reported as disagreements and broken at their weakest edge, never raised.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal

from trees.analysis.batch import batch
from trees.analysis.graph import live_nodes, parents_of
from trees.analysis.merge.clusters import Clusters
from trees.analysis.merge.dag import Mirror, build, suggested_disagreements
from trees.analysis.merge.lineage import Diff3, carry_suggestions, fork
from trees.analysis.merge.matching import Matcher
from trees.analysis.merge.scores import Item, Ranked
from trees.analysis.text.glossary import Glossary
from trees.analysis.text.semantic import load_embedder, model_name
from trees.analysis.text.similarity import Embedder

__all__ = ["fork", "merge"]

Ref = tuple[Any, Any]
TreeLike = tuple[Any, Sequence[Mapping[str, Any]]]
Progress = Callable[[str, float], None]
# Where each phase starts, as a share of the whole merge: its share of the instructions of a
# 5 x 2,000-node merge (bench/RESULTS_analysis.md, "Where the super-linear time goes").
# the one-to-one assignment of labels (trees.analysis.merge.assignment) is a dense matrix
# per two trees: a workshop's few hundred items, not the 5 x 2,000-node merge
ASSIGN_MAX_ITEMS = 1000
ASSIGN_SLOT = 2  # an assigned partner not shown yet becomes (at least) the third candidate
PHASES = {
    "reading": 0.0,
    "labels": 0.02,
    "candidates": 0.27,
    "ranking": 0.69,
    "suggestions": 0.78,
    "building": 0.91,
}


def as_ref(value: Any) -> Ref:
    """``(tree, node)`` from a tuple/list or a ``{"tree", "node"}`` mapping."""
    if isinstance(value, Mapping):
        return (value["tree"], value["node"])
    tree, node = value
    return (tree, node)


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
    base_queue: Iterable[Mapping[str, Any]] = (),
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
    ``base_queue``: the base's stored review queue (``{"a", "b", "status", "chosen",
    "score", "components", "explanation", "candidates"}`` rows in queue order); the pairs it
    left undecided are suggested again when both nodes are still here.
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
    items, index = _items(trees)
    if embedder == "auto":
        # the transformer for a workshop's few hundred labels, the static model above
        embedder = load_embedder(texts=len({it.label for it in items}))
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

    clusters = Clusters(items)
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
    assigned: set[int] = set()
    if len(items) <= ASSIGN_MAX_ITEMS:
        assigned = matcher.assigned(matchable)
        for p in assigned:
            if p not in matcher.known:
                matcher.extra[p] = matcher.label_score(*divmod(p, len(items)))
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

    suggestions = _suggestions(items, clusters, matcher, ordered, rejected_set, review, assigned)
    candidate_pairs = len(matcher.known)
    link_min = matcher.calibration.link_min
    # mirrored pairs are scored on meaning for merges a workshop makes, when the model's
    # calibration says from what score; above, the matcher's memory goes before the DAG is
    # built
    mirror_min = matcher.calibration.mirror_min
    mirror: Mirror | None = None
    if mirror_min is not None and len(items) <= ASSIGN_MAX_ITEMS:
        mirror = Mirror(matcher.meaning_scores, mirror_min)
    del matcher, ordered  # the DAG is built in the memory the pairs held
    report("building", PHASES["building"])
    diff3 = Diff3(base or (), items, clusters.find, trees)
    nodes, edges, disagreements = build(items, clusters, diff3)
    disagreements.extend(
        suggested_disagreements(items, clusters, suggestions, nodes, link_min, mirror)
    )
    open_pairs = carry_suggestions(base or (), base_queue, items, nodes, rejected_set)
    suggestions = _by_score(suggestions, open_pairs)
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
            "model": None if embedder is None else model_name(embedder),
            # a later round's: the round before's open pairs asked again
            **({"carried": len(open_pairs)} if base else {}),
        },
    }


def _by_score(
    suggestions: list[dict[str, Any]], more: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """`more` among `suggestions` (best first), each before the first suggestion that scores
    less; the order within each list stays (golden outputs of one round are unchanged)."""
    if not more:
        return suggestions
    out: list[dict[str, Any]] = []
    rest = iter(more)
    nxt = next(rest, None)
    for s in suggestions:
        while nxt is not None and nxt["score"] > s["score"]:
            out.append(nxt)
            nxt = next(rest, None)
        out.append(s)
    if nxt is not None:
        out.append(nxt)
    out.extend(rest)
    return out


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
    clusters: Clusters,
    matcher: Matcher,
    ordered: Ranked,
    rejected: set[tuple[int, int]],
    review: float,
    assigned: Iterable[int] = (),
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
    if assigned:
        _lift_assigned(per_item, best, assigned, matcher, rejected, can_union)
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


def _lift_assigned(
    per_item: list[list[int] | None],
    best: list[float],
    assigned: Iterable[int],
    matcher: Matcher,
    rejected: set[tuple[int, int]],
    can_union: Callable[[int, int], bool],
) -> None:
    """Show each assigned pair (``i * n + j``) among the top 3 candidates of one of its
    two items (``per_item``: other items, best first, edited in place).

    One side is enough (the pair is one question): the side whose third candidate is the
    less likely, which that candidate gives way to; an item with no candidate gets the
    pair as its suggestion.
    """
    n = len(per_item)
    for p in sorted(assigned):
        i, j = divmod(p, n)
        if (rejected and (i, j) in rejected) or not can_union(i, j):
            continue
        lists = (per_item[i], per_item[j])
        if any(
            o is not None and b in o[: ASSIGN_SLOT + 1] for o, b in zip(lists, (j, i), strict=True)
        ):
            continue  # shown already
        costs = [
            0.0 if o is None or len(o) <= ASSIGN_SLOT else matcher.fast_score(a, o[ASSIGN_SLOT])
            for o, a in zip(lists, (i, j), strict=True)
        ]
        a, b = (i, j) if costs[0] <= costs[1] else (j, i)
        others = per_item[a]
        if others is None:
            per_item[a] = [b]
            best[a] = -matcher.fast_score(a, b)
            continue
        if b in others:
            others.remove(b)
        others.insert(min(ASSIGN_SLOT, len(others)), b)
