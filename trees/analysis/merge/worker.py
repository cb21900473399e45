"""Analysis layer, merge: everything a merge computes before it writes, run in the merge's
worker process (`in_process.py`) or, with `GAMETREE_MERGE_IN_PROCESS=0`, in the caller's
thread (trees/actions/merges.py).

`merged_tree` runs the analysis merge, gives its nodes fresh ids and provenance trimmed to
fit, builds the merged tree through the domain layer's ops (`trees.domain.build`, as every
import does) and shapes the review queue's rows. The serving process is then left with rows
to write: no stretch of pure Python there that would hold its GIL while live edits wait.

`warm_up` is what a worker kept warm runs as it starts (`in_process.Pool.keep_warm`), before the
first merge asks.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

from trees.analysis.merge.pipeline import merge
from trees.analysis.merge.review_queue import distinct_suggestions, holder_of
from trees.analysis.text.glossary import Glossary
from trees.analysis.text.semantic import load_embedder
from trees.domain.build import build_tree
from trees.domain.limits import MAX_META_BYTES

SOURCE_LABEL_CHARS = 300
Progress = Callable[[str, float], None]


# ---- meta that fits ---------------------------------------------------------------------------


def _size(meta: Mapping[str, Any]) -> int:
    return len(json.dumps(meta, ensure_ascii=False).encode("utf-8"))


def fit_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Keep a node's meta under the domain's 16 KiB: shorten source labels, then keep the
    first sources and count the rest in `sources_omitted`."""
    if _size(meta) <= MAX_META_BYTES:
        return meta
    meta = dict(meta)
    sources = [dict(s) for s in meta.get("sources") or []]
    for s in sources:
        s["label"] = str(s.get("label") or "")[:60]
    meta["sources"] = sources
    omitted = int(meta.get("sources_omitted") or 0)
    while _size(meta) > MAX_META_BYTES and meta["sources"]:
        drop = max(1, len(meta["sources"]) // 4)
        meta["sources"] = meta["sources"][:-drop]
        omitted += drop
        meta["sources_omitted"] = omitted
    if _size(meta) > MAX_META_BYTES:
        meta["edge_contributors"] = {}
    return meta


def source_ref(ref: Mapping[str, Any]) -> dict[str, Any]:
    """A source node as the review queue stores it."""
    return {
        "tree": ref["tree"],
        "node": str(ref["node"]),
        "label": str(ref.get("label") or "")[:SOURCE_LABEL_CHARS],
    }


# ---- the merged tree ---------------------------------------------------------------------------


def _merged_nodes(result: Mapping[str, Any]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The merge's nodes with fresh ids (merge ids are derived from source ids, so a second
    merge of the same trees would collide), provenance trimmed to fit, and contributors per
    edge in `meta.edge_contributors` = {parent id: [source tree ids]}."""
    new = {n["id"]: str(uuid.uuid4()) for n in result["nodes"]}
    edges: dict[str, dict[str, list[Any]]] = {}
    for e in result["edges"]:
        edges.setdefault(new[e["child"]], {})[new[e["parent"]]] = list(e["contributors"])
    out = []
    for n in result["nodes"]:
        node_id = new[n["id"]]
        meta = dict(n.get("meta") or {})
        meta["sources"] = [
            {**source_ref(s), "author": s.get("author")} for s in meta.get("sources") or []
        ]
        meta["edge_contributors"] = edges.get(node_id, {})
        out.append(
            {
                **n,
                "id": node_id,
                "parent": new.get(n["parent"]) if n.get("parent") else None,
                "parents": [new[p] for p in n.get("parents") or []],
                "meta": fit_meta(meta),
            }
        )
    return out, new


def _renamed_disagreements(items: list[dict[str, Any]], new: Mapping[str, str]) -> list[Any]:
    def fix(edge: Mapping[str, Any]) -> dict[str, Any]:
        return {
            **edge,
            "parent": {**edge["parent"], "node": new.get(edge["parent"]["node"])},
            "child": {**edge["child"], "node": new.get(edge["child"]["node"])},
        }

    return [
        {
            **d,
            "cycle": [fix(e) for e in d.get("cycle", [])],
            "dropped": [fix(e) for e in d.get("dropped", [])],
        }
        for d in items
    ]


def _suggestion_row(s: Mapping[str, Any]) -> dict[str, Any]:
    """A review-queue suggestion as the fields of its `MergeSuggestion` row."""
    return {
        "a_tree": s["a"]["tree"],
        "b_tree": s["b"]["tree"],
        "a": source_ref(s["a"]),
        "b": source_ref(s["b"]),
        "score": s["score"],
        "components": s.get("components") or {},
        "explanation": str(s.get("explanation") or "")[:500],
        "candidates": [
            {**source_ref(c), "score": c["score"], "components": c.get("components") or {}}
            for c in s.get("candidates") or []
        ],
    }


def merged_tree(
    inputs: Sequence[tuple[int, Sequence[Mapping[str, Any]]]],
    *,
    glossary: Glossary,
    confirmed: Iterable[Any] = (),
    rejected: Iterable[Any] = (),
    base: Sequence[Mapping[str, Any]] | None = None,
    base_queue: Iterable[Mapping[str, Any]] = (),
    users: Collection[int] = (),
    owner_id: int,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Merge `inputs` (`(tree id, snapshot nodes)` each) and build the merged problem tree.

    `base_queue`: the review queue rows of `base` (see `merge`). `users`: the authors of
    source nodes that are users of this server (they keep their nodes); other nodes are the
    owner's. Returns plain data, the lists in row order:
    `nodes` (domain `Node`s), `log` (`(seq, actor, op, overwrote)`), `version`,
    `suggestions` (row fields, best first), `disagreements`, `conflicts`, `glossary` (the
    glossary after the merge), `stats`. Raises `OpError` should a node break the tree rules.
    """
    result = merge(
        inputs,
        glossary=glossary,
        confirmed=confirmed,
        rejected=rejected,
        base=base,
        base_queue=base_queue,
        progress=progress,
    )
    nodes, new_ids = _merged_nodes(result)
    suggestions = distinct_suggestions(result["suggestions"], holder_of(result["nodes"]))
    authors = {n["id"]: n["author"] for n in nodes if n.get("author") in users}
    state, built = build_tree("problem", nodes, authors=authors, default_actor=owner_id)
    reasons = Counter(m["reason"] for m in result["matches"])
    return {
        "nodes": list(state.nodes.values()),
        "log": built,
        "version": state.version,
        "suggestions": [_suggestion_row(s) for s in suggestions],
        "disagreements": _renamed_disagreements(result["disagreements"], new_ids),
        # The merged node a conflict is about (its id is the base node's until renamed).
        "conflicts": [
            {**c, "merged_node": new_ids.get(c.get("node"))} for c in result["conflicts"]
        ],
        "glossary": result["glossary"],
        "stats": {
            **result["stats"],
            "suggestions": len(suggestions),  # one per pair of merged nodes
            "matches": dict(reasons),
        },
    }


# ---- warming up ---------------------------------------------------------------------------------

# Two small trees a worker merges as it starts: labels that a term names, and plain words that
# only a model's reading places, so that every path a workshop's merge takes runs once.
_WARM_UP_TREES: list[tuple[int, list[dict[str, Any]]]] = [
    (
        tree,
        [
            {"id": f"{tree}r", "parent": None, "label": "AI takeover", "author": 0, "meta": {}},
            {"id": f"{tree}a", "parent": f"{tree}r", "label": a, "author": 0, "meta": {}},
            {"id": f"{tree}b", "parent": f"{tree}r", "label": b, "author": 0, "meta": {}},
        ],
    )
    for tree, a, b in (
        (1, "Reward hacking", "Will it just agree with whatever we say?"),
        (2, "Reward tampering", "It tells the boss what the boss wants to hear"),
    )
]


def warm_up() -> None:
    """Load what a merge needs before the first one asks: the imports, both sentence models
    (read and SHA-256-verified) and, in each model's cache, the vectors every merge embeds
    (the vocabulary's failure modes, the concepts' glosses). By merging two small trees with
    each model: the transformer a workshop's merge uses, then the static one (merges above
    500 labels). About 7 s of one core, at the worker's low priority; the first merge then
    costs what a second one does. Raises what a merge would (a model failing its check)."""
    merged_tree(_WARM_UP_TREES, glossary=Glossary(), owner_id=0)
    static = load_embedder()  # the static model; None when switched off
    if static is not None:
        merge(_WARM_UP_TREES, glossary=Glossary(), embedder=static)
