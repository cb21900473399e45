"""Analysis layer: what recurs across trees, most taut first (the ``recurring`` command).

Game trees: one item per failure-mode tag and one per cluster of untagged critiques (grouped
by the failure-mode vocabulary, by words and by meaning: one cluster per vocabulary family,
see :mod:`trees.analysis.recurrence.clusters`), all scored by taut(F) (see
:mod:`trees.analysis.recurrence.failure_modes`). Items name the vocabulary mode they stand for.
Problem trees: several trees are merged first (automatic matches only); every problem of the
merged DAG is ranked by breadth(v) x support(v), ties by in-degree, where breadth = number of
top-level problems whose subtree contains v and support = contributing source trees / K, K the
number of source trees. A stored merged tree names its sources in ``meta.merged_from`` and on
every node (``meta.sources``); a node someone added after the merge has no sources: it counts
as one contributor (its author), never as a source tree of its own, so K stays the real count.
A merge of forked copies (a later round) says who drew each node in ``meta.drew``: the trees
of the round before that drew it plus the copies that added it, counted instead of the copies.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any

from trees.analysis.batch import batch
from trees.analysis.graph import live_nodes, parents_of, topological_order
from trees.analysis.recurrence.clusters import cluster_label, read_clusters
from trees.analysis.recurrence.failure_modes import (
    GameCorpus,
    critique_models,
    failure_mode_table,
    family_out,
    group_stats,
    mode_out,
    suggest_tags,
)
from trees.analysis.text.similarity import Embedder
from trees.analysis.vocabulary.examples import ExampleReader
from trees.analysis.vocabulary.modes import Vocabulary


@dataclass(frozen=True, slots=True)
class TreeInput:
    """One tree handed to the analysis layer: its id, its node dicts and its kind."""

    id: Any
    nodes: Sequence[Mapping[str, Any]]
    kind: str = ""  # "game" or "problem"; guessed from node types when empty
    title: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def resolved_kind(self) -> str:
        if self.kind:
            return self.kind
        types = {n.get("type") for n in self.nodes}
        return "problem" if "problem" in types else "game"


@batch
def recurring(
    trees: Sequence[TreeInput],
    top: int | None = None,
    *,
    seed: int = 0,
    vocabulary: Vocabulary | None = None,
    semantic: bool = True,
) -> dict[str, Any]:
    """``{"kind", "items": [{"label", "score", "members": [{"tree", "node", "label"}], ...}]}``

    Items come most taut first; ``top`` keeps the first ``top``. Game and problem trees are
    analysed separately; given both kinds, game items come first. ``vocabulary``: the
    failure modes critiques are read against (default: the starter taxonomy);
    ``semantic``: read critiques with the shipped models too (the static model and the
    critique reader, as :func:`~trees.analysis.recurrence.failure_modes.critique_models`
    gives them: the workshop's ranking reads with the same).
    """
    game = [t for t in trees if t.resolved_kind == "game"]
    problem = [t for t in trees if t.resolved_kind != "game"]
    items: list[dict[str, Any]] = []
    if game:
        models = critique_models(semantic)
        items.extend(
            game_items(
                game,
                seed=seed,
                vocabulary=vocabulary,
                embedder=models.embedder,
                reader=models.reader,
            )
        )
    if problem:
        items.extend(problem_items(problem))
    kind = "mixed" if game and problem else ("game" if game else "problem")
    return {"kind": kind, "items": items[:top] if top is not None else items}


def recurring_call(
    trees: Sequence[TreeInput], top: int | None = None, *, progress: Any = None
) -> dict[str, Any]:
    """:func:`recurring` with the shipped models, in the form the worker process of an
    Analysis calls (trees/analysis/merge/in_process.py; ``progress`` is not reported)."""
    return recurring(trees, top=top)


def game_items(
    trees: Sequence[TreeInput],
    *,
    seed: int = 0,
    vocabulary: Vocabulary | None = None,
    embedder: Embedder | None = None,
    reader: ExampleReader | None = None,
) -> list[dict[str, Any]]:
    """Tags and clusters of untagged critiques as one list, most taut first.

    Every item carries ``mode`` and ``family``: the vocabulary failure mode it stands for and
    its family (a tag's by its name or by its critiques; a cluster's family when most members
    read as it, with their most common mode), or ``None``. A cluster with a family is
    labelled by it, suggests the people's tag for it (``suggested_tag``) and gives each
    member the ``mode`` it reads as and the ``evidence`` phrases it was read by.
    """
    corpus = GameCorpus(
        [(t.id, t.nodes) for t in trees], vocabulary=vocabulary, embedder=embedder, reader=reader
    )
    vocab = corpus.vocabulary
    items = failure_mode_table(corpus)
    tag_modes = corpus.tag_modes
    for row in items:
        mode = tag_modes.get(row["tag"])
        row["mode"] = mode_out(mode)
        row["family"] = family_out(vocab.family_of(mode) if mode else None)
    for n, cluster in enumerate(read_clusters(corpus, seed=seed), start=1):
        members = cluster.members
        family, mode = cluster.family, cluster.mode
        label = family.label if family else cluster_label(corpus, members)
        row = group_stats(corpus, members, label)
        row.update(kind="cluster", tag=None, cluster=n, mode=None, family=None, suggested_tag=None)
        if family is None or mode is None:
            row["explanation"] = "untagged, similar wording: " + row["explanation"]
        else:
            how = "" if cluster.read_by == "members" else " (by their meaning together)"
            row.update(
                mode=mode_out(mode),
                family=family_out(family),
                suggested_tag=corpus.tag_for_family(family),
                explanation=f"untagged, read as {family.label}{how}: " + row["explanation"],
            )
            for member, q in zip(row["members"], members, strict=True):
                m = corpus.modes[q]
                member["mode"] = m.mode.id if m else None
                member["evidence"] = list(m.evidence) if m else []
        items.append(row)
    items.sort(key=lambda r: (-r["score"], -r["rescue"], r["kind"] != "tag", r["label"]))
    return items


def problem_items(
    trees: Sequence[TreeInput], *, units: Mapping[Any, Any] | None = None
) -> list[dict[str, Any]]:
    """Problems of the merged DAG ranked by breadth x support (ties: in-degree).

    ``units``: tree id -> what support counts instead of trees (a workshop's groups: a
    group's several trees of one problem count once); trees it does not name count alone.
    """
    from trees.analysis.merge import merge  # merge pulls in the matcher; only load it here

    if len(trees) == 1:
        nodes = live_nodes(trees[0].nodes)
        single = trees[0].id
        merged_from = trees[0].meta.get("merged_from") or None
    else:
        nodes = merge([(t.id, t.nodes) for t in trees], embedder=None)["nodes"]
        single = None
        merged_from = [t.id for t in trees]
    return rank_problems(nodes, single_tree=single, source_trees=merged_from, units=units)


def rank_problems(
    nodes: Sequence[Mapping[str, Any]],
    *,
    single_tree: Any = None,
    source_trees: Sequence[Any] | None = None,
    units: Mapping[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """breadth x support over a (merged) problem DAG given as node dicts.

    ``source_trees``: the trees that were merged (K = their number); when not given, the
    distinct trees named in the nodes' ``meta.sources``, or 1 for a tree that was never
    merged. A node without ``meta.sources`` in a merged tree was added after the merge: one
    contributor (its author), so a lone addition ranks with support 1/K like a problem only
    one person drew. A node with ``meta.drew`` (from a merge of forked copies) counts the
    trees named there: who drew it in the round before plus who added it in this one, not
    every copy it was carried into. ``units``: see :func:`problem_items` (K and the
    contributors are then counted in units: "drawn by 1 of 2 groups").
    """
    live = live_nodes(nodes)
    ids = {n["id"] for n in live}
    parents = {n["id"]: [p for p in parents_of(n) if p in ids] for n in live}
    children: dict[Any, list[Any]] = {n["id"]: [] for n in live}
    for v, ps in parents.items():
        for p in ps:
            children[p].append(v)
    tops = [v for v, ps in parents.items() if not ps]
    # the single root "Alignment" is not a problem of its own: its children are the top level
    level = children[tops[0]] if len(tops) == 1 else tops
    roots = set(tops) if len(tops) == 1 else set()
    # bit b of mask[v] = v lies in the subtree of top-level problem b (DAG, so a union)
    mask: dict[Any, int] = {v: 0 for v in ids}
    for b, v in enumerate(level):
        mask[v] |= 1 << b
    for v in _topological(ids, parents, children):
        for c in children[v]:
            mask[c] |= mask[v]
    drawn = {n["id"]: _drawn_by(n) for n in live}
    named = {t for trees in drawn.values() for t in trees}
    merged = bool(source_trees) or bool(named)
    if units:
        drawn = {v: {_unit(units, t) for t in ts} for v, ts in drawn.items()}
        named = {_unit(units, t) for t in named}
        source_trees = [_unit(units, t) for t in source_trees or ()]
    what = "groups" if units else "trees"
    k = len(set(source_trees or ()) | named) or 1
    rows = []
    for n in live:
        v = n["id"]
        if v in roots:
            continue
        breadth = mask[v].bit_count()
        if drawn[v]:
            counted = len(drawn[v]) if units else _contributor_count(n, drawn[v])
            contributors = min(counted, k)
            how = f"drawn by {contributors} of {k} {what}"
        else:
            contributors = 1
            how = f"added after the merge: 1 of {k}" if merged else f"drawn by 1 of {k} {what}"
        support = contributors / k
        rows.append(
            {
                "label": str(n.get("text") or ""),
                "score": round(breadth * support, 3),
                "kind": "problem",
                "node": v,
                "breadth": breadth,
                "support": round(support, 3),
                "contributors": contributors,
                "in_degree": len(parents[v]),
                "explanation": f"under {breadth} top-level problems, {how}",
                "members": _members(n, single_tree),
            }
        )
    rows.sort(key=lambda r: (-r["score"], -r["in_degree"], r["label"]))
    return rows


def _unit(units: Mapping[Any, Any], tree: Any) -> tuple[str, Any]:
    """What a source tree counts as: its unit (its group), or itself when it has none."""
    return ("unit", units[tree]) if tree in units else ("tree", tree)


def _drawn_by(node: Mapping[str, Any]) -> set[Any]:
    """The source trees named in a node's provenance (empty: not from a merge)."""
    return {s.get("tree") for s in (node.get("meta") or {}).get("sources") or ()}


def _contributor_count(node: Mapping[str, Any], drawn: set[Any]) -> int:
    meta = node.get("meta") or {}
    drew = meta.get("drew")
    if drew:  # a later round's merge: carried-over nodes count who drew them, not the copies
        return len({d.get("tree") for d in drew})
    # fit_meta may drop sources past the meta size limit; `contributors` still counts them all
    recorded = meta.get("contributors")
    if meta.get("sources_omitted") and isinstance(recorded, int):
        return max(len(drawn), recorded)
    return len(drawn)


def _members(node: Mapping[str, Any], single_tree: Any) -> list[dict[str, Any]]:
    srcs = (node.get("meta") or {}).get("sources")
    if srcs:
        return [
            {"tree": s.get("tree"), "node": s.get("node"), "label": s.get("label")} for s in srcs
        ]
    return [{"tree": single_tree, "node": node["id"], "label": node.get("text")}]


def _topological(
    ids: set[Any], parents: Mapping[Any, list[Any]], children: Mapping[Any, list[Any]]
) -> list[Any]:
    """Parents first (`graphlib`); nodes on a cycle (should not happen in a DAG) at the end."""
    sorter: TopologicalSorter[Any] = TopologicalSorter()
    for v in ids:
        sorter.add(v)
    for v in ids:
        for c in children[v]:
            sorter.add(c, v)
    return topological_order(sorter, ids)


# ---- warming up ---------------------------------------------------------------------------------


def _warm_node(tree: int, key: str, kind: str, parent: str | None, text: str, *tags: str) -> Any:
    return {
        "id": f"{tree}{key}",
        "type": kind,
        "parent": f"{tree}{parent}" if parent else None,
        "parents": [],
        "text": text,
        "note": "",
        "tags": list(tags),
        "author": key,
        "deleted": False,
        "meta": {},
    }


# A tiny game tree an Analysis worker reads as it starts: a tagged pair (a tag's row), untagged
# critiques that only the reader or the models place (a cluster, tag suggestions), a patch; and
# two small problem trees (their merge and ranking).
_WARM_UP_GAME = [
    _warm_node(1, "p", "proposal", None, "Train the assistant with human feedback"),
    _warm_node(1, "a", "critique", "p", "Raters reward answers that flatter them", "sycophancy"),
    _warm_node(1, "b", "critique", "p", "It learns to say what we want to hear", "sycophancy"),
    _warm_node(1, "c", "critique", "p", "Will it just agree with whatever we say?"),
    _warm_node(1, "d", "critique", "p", "It could tamper with its own reward signal"),
    _warm_node(1, "e", "critique", "p", "The overseer cannot check long plans in time"),
    _warm_node(1, "f", "patch", "c", "Reward disagreement with the rater when it is right"),
]
_WARM_UP_PROBLEMS = [
    [
        _warm_node(tree, "r", "problem", None, "AI takeover"),
        _warm_node(tree, "a", "problem", "r", a),
        _warm_node(tree, "b", "problem", "r", b),
    ]
    for tree, a, b in (
        (2, "Reward hacking", "Deceptive alignment"),
        (3, "Reward tampering", "The model hides its goals"),
    )
]


def warm_up() -> None:
    """What an Analysis worker kept warm runs as it starts (`in_process.ANALYSIS.keep_warm`,
    trees/analysis_service.py), before the first Analysis asks: the imports, both models
    critiques are read with (:func:`critique_models`: the static model and the critique
    reader over the transformer, read and SHA-256-verified; as ``GAMETREE_SEMANTIC`` allows)
    and what every reading builds lazily (the vocabulary, its phrases' and modes' vectors),
    by an Analysis and tag suggestions of one tiny game tree and an Analysis of two small
    problem trees. A few seconds of one core, at the worker's low priority. Raises what an
    Analysis would (a model failing its check)."""
    recurring([TreeInput(1, _WARM_UP_GAME, "game")])
    suggest_tags([(1, _WARM_UP_GAME)])
    recurring([TreeInput(t, nodes, "problem") for t, nodes in enumerate(_WARM_UP_PROBLEMS, 2)])
