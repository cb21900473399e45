"""Action layer: merge problem trees into one DAG tree (the Big ASS Tree) and fork it per person.

The merge runs `trees.analysis.merge` over snapshots of the source trees, outside any
transaction (it takes seconds, and on SQLite a transaction
holds the one write lock), then creates the merged tree through `tree_import` (domain ops:
`create`, then `link` for extra parents), stores the review queue and records what the owner's
glossary learned, in one transaction. `merge_create` runs in the caller's thread (the
`mergetrees` command; REST starts it in a background thread: `trees.actions.merge_jobs`).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction

from trees.actions.imports import tree_import
from trees.analysis import Glossary, fork, merge
from trees.analysis.merge.in_process import merge_in_process
from trees.analysis.merge.review_queue import distinct_suggestions
from trees.domain.errors import ActionError
from trees.domain.limits import MAX_META_BYTES
from trees.models import (
    GlossaryEntry,
    Membership,
    MergeSuggestion,
    RejectedPair,
    Role,
    SuggestionStatus,
    Tree,
    TreeKind,
)
from trees.selectors import tree_snapshot

MAX_MERGE_TREES = 20
# Shares of a merge's time (5 x 2,000 nodes on SQLite: 0.1-0.8 s reading, 3-4 s merging,
# 5 s writing 6,500 nodes and 8,000 suggestions), for its progress from 0 to 1.
READ_SHARE, WRITE_SHARE = 0.05, 0.5
Progress = Callable[[str, float], None]
SOURCE_LABEL_CHARS = 300
_ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.OWNER: 2}


@dataclass
class MergeOutcome:
    tree: Tree
    suggestions: int
    disagreements: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    stats: dict[str, Any] = field(default_factory=dict)


# ---- glossary --------------------------------------------------------------------------------


def user_glossary(user_id: int) -> Glossary:
    """The seed aliases plus what this user's merges learned."""
    rows = GlossaryEntry.objects.filter(user_id=user_id).values_list("alias", "canonical")
    return Glossary(dict(rows))


def glossary_save(
    user_id: int, before: Mapping[str, str], after: Mapping[str, str]
) -> dict[str, str]:
    """Store the aliases `after` has and `before` had not; returns them."""
    learned = {a: c for a, c in after.items() if before.get(a) != c}
    for alias, canonical in learned.items():
        GlossaryEntry.objects.update_or_create(
            user_id=user_id, alias=alias[:500], defaults={"canonical": canonical[:2000]}
        )
    return learned


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


def _ref(ref: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "tree": ref["tree"],
        "node": str(ref["node"]),
        "label": str(ref.get("label") or "")[:SOURCE_LABEL_CHARS],
    }


# ---- merge -----------------------------------------------------------------------------------


def _decided_pairs(tree_ids: Sequence[int]) -> tuple[list[Any], list[Any]]:
    """(confirmed, rejected) source pairs among these trees, from earlier reviews."""
    ids = set(tree_ids)
    rejected = [
        ((p.a_tree_id, p.a_node), (p.b_tree_id, p.b_node))
        for p in RejectedPair.objects.filter(a_tree_id__in=ids, b_tree_id__in=ids)
    ]
    confirmed = []
    rows = MergeSuggestion.objects.filter(status=SuggestionStatus.ACCEPTED, a_tree__in=ids)
    for s in rows.only("a", "chosen"):
        if s.chosen and s.chosen.get("tree") in ids:
            confirmed.append(((s.a["tree"], s.a["node"]), (s.chosen["tree"], s.chosen["node"])))
    return confirmed, rejected


def _base_for(trees: Sequence[Tree], actor_id: int) -> tuple[int | None, list[dict[str, Any]]]:
    """The merged tree the inputs were forked from (if the actor may read it) and its nodes."""
    origins = Counter(t.meta.get("forked_from") for t in trees if (t.meta or {}).get("forked_from"))
    if not origins:
        return None, []
    base_id = origins.most_common(1)[0][0]
    if not Membership.objects.filter(tree_id=base_id, user_id=actor_id).exists():
        return None, []
    return base_id, tree_snapshot(tree_id=base_id)["nodes"]


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
            {**_ref(s), "author": s.get("author")} for s in meta.get("sources") or []
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


def _holder(nodes: Sequence[Mapping[str, Any]]) -> Callable[[Mapping[str, Any]], str | None]:
    """Source ref -> the merge's node that holds it (its `meta.sources`)."""
    held: dict[tuple[Any, str], str] = {}
    for n in nodes:
        for src in (n.get("meta") or {}).get("sources") or ():
            held[(src["tree"], str(src["node"]))] = n["id"]
    return lambda ref: held.get((ref.get("tree"), str(ref.get("node"))))


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


def merge_title(trees: Sequence[Tree], title: object = None) -> str:
    """The merged tree's title, after checking that `trees` can be merged (raises
    `ActionError` otherwise): 2-20 distinct problem trees."""
    if len(trees) < 2:
        raise ActionError("invalid", "Merge at least two problem trees.")
    if len(trees) > MAX_MERGE_TREES:
        raise ActionError("too_large", f"Merge at most {MAX_MERGE_TREES} trees at once.")
    if len({t.pk for t in trees}) != len(trees):
        raise ActionError("invalid", "A tree is named twice.")
    for t in trees:
        if t.kind != TreeKind.PROBLEM:
            raise ActionError("invalid", f"Only problem trees merge; tree {t.pk} is a game tree.")
    if title is None or title == "":
        title = "Merged: " + " + ".join(t.title for t in trees)
        title = title if len(title) <= 200 else title[:199] + "…"
    return str(title)


def merge_create(
    *,
    actor_id: int,
    trees: Sequence[Tree],
    title: object = None,
    owner_id: int | None = None,
    progress: Progress | None = None,
    job_id: int | None = None,
    on_written: Callable[[MergeOutcome], None] | None = None,
) -> MergeOutcome:
    """Merge problem `trees` into a new problem tree owned by `owner_id` (default: the actor).

    Members of the new tree: the union of the source trees' members, each with their best
    role there (an owner of a source becomes an editor). The caller checked that the actor may
    read every source tree. `progress(phase, fraction)` hears the phases (`reading`, the
    merge's own, `writing`) with the share done so far; `on_written(outcome)` runs inside
    the writing transaction, last (a job records that it is done in the same commit).
    """
    owner_id = owner_id or actor_id
    title = merge_title(trees, title)
    report = progress or _no_progress
    started = time.monotonic()
    tree_ids = [t.pk for t in trees]
    # Each snapshot is consistent on its own; the merge is of the trees as they were read.
    inputs = []
    for i, t in enumerate(trees):
        report("reading", READ_SHARE * i / len(trees))
        inputs.append((t.pk, tree_snapshot(tree_id=t.pk)["nodes"]))
    glossary = user_glossary(owner_id)
    before = glossary.to_dict()
    confirmed, rejected = _decided_pairs(tree_ids)
    base_id, base = _base_for(trees, actor_id)
    merge_share = 1.0 - READ_SHARE - WRITE_SHARE

    def merge_progress(phase: str, fraction: float) -> None:
        report(phase, READ_SHARE + merge_share * fraction)

    # GAMETREE_MERGE_IN_PROCESS: compute in a spawned child process
    # (trees/analysis/merge/in_process.py) instead of this thread, which shares the serving
    # process's GIL with the live path.
    compute = merge_in_process if settings.GAMETREE_MERGE_IN_PROCESS else merge
    result = compute(
        inputs,
        glossary=glossary,
        confirmed=confirmed,
        rejected=rejected,
        base=base or None,
        progress=merge_progress,
    )
    report("writing", 1.0 - WRITE_SHARE)
    nodes, new_ids = _merged_nodes(result)
    suggestions = distinct_suggestions(result["suggestions"], _holder(result["nodes"]))
    disagreements = _renamed_disagreements(result["disagreements"], new_ids)
    # The merged node a conflict is about (its id is the base node's until renamed).
    conflicts = [{**c, "merged_node": new_ids.get(c.get("node"))} for c in result["conflicts"]]
    reasons = Counter(m["reason"] for m in result["matches"])
    stats = {
        **result["stats"],
        "suggestions": len(suggestions),  # one per pair of merged nodes
        "matches": dict(reasons),
        "seconds": round(time.monotonic() - started, 3),
    }
    merge_meta: dict[str, Any] = {"status": "done", "stats": stats}
    if job_id is not None:
        merge_meta["job"] = job_id
    with transaction.atomic():
        learned = glossary_save(owner_id, before, result["glossary"])
        tree = tree_import(
            owner_id=owner_id,
            kind=TreeKind.PROBLEM,
            title=title,
            nodes=nodes,
            keep_authors=True,
            meta={
                "merged_from": tree_ids,
                "base": base_id,
                "glossary": learned,
                "disagreements": disagreements,
                "conflicts": conflicts,
                # The tree exists only once its merge is done; the job (MergeJob) holds the
                # queued / running / failed states.
                "merge": merge_meta,
            },
        )
        _add_members(tree, tree_ids, owner_id)
        report("writing", 1.0 - WRITE_SHARE / 2)  # the suggestions take about half
        MergeSuggestion.objects.bulk_create(
            [
                MergeSuggestion(
                    tree=tree,
                    position=i,
                    a_tree=s["a"]["tree"],
                    b_tree=s["b"]["tree"],
                    a=_ref(s["a"]),
                    b=_ref(s["b"]),
                    score=s["score"],
                    components=s.get("components") or {},
                    explanation=str(s.get("explanation") or "")[:500],
                    candidates=[
                        {**_ref(c), "score": c["score"], "components": c.get("components") or {}}
                        for c in s.get("candidates") or []
                    ],
                )
                for i, s in enumerate(suggestions)
            ],
            batch_size=500,
        )
        outcome = MergeOutcome(tree, len(suggestions), disagreements, conflicts, stats)
        if on_written is not None:
            on_written(outcome)
    return outcome


def _no_progress(phase: str, fraction: float) -> None:
    pass


def _add_members(tree: Tree, source_ids: Sequence[int], owner_id: int) -> None:
    best: dict[int, str] = {}
    for user_id, role in Membership.objects.filter(tree_id__in=source_ids).values_list(
        "user_id", "role"
    ):
        role = Role.EDITOR if role == Role.OWNER else role
        if user_id not in best or _ROLE_RANK[Role(role)] > _ROLE_RANK[Role(best[user_id])]:
            best[user_id] = role
    best.pop(owner_id, None)
    Membership.objects.bulk_create(
        [Membership(tree=tree, user_id=u, role=r) for u, r in sorted(best.items())]
    )


# ---- fork ------------------------------------------------------------------------------------


def tree_fork(*, tree: Tree, actor_id: int, people: Mapping[str, int]) -> list[tuple[str, Tree]]:
    """One copy of `tree` per person (username -> user id), owned by that person, every node
    with `meta.origin` = the node it copies; the actor joins each copy as an editor so that
    they can merge the copies again. Each person must be a member of `tree`."""
    if tree.kind != TreeKind.PROBLEM:
        raise ActionError("invalid", "Only problem trees are forked for another merge round.")
    if not people:
        raise ActionError("invalid", "Name at least one person.")
    members = set(Membership.objects.filter(tree=tree).values_list("user_id", flat=True))
    for name, user_id in people.items():
        if user_id not in members:
            raise ActionError("invalid", f"{name} is not a member of this tree.")
    made: list[tuple[str, Tree]] = []
    nodes = tree_snapshot(tree_id=tree.pk)["nodes"]
    copies = fork(nodes, list(people.values()))
    with transaction.atomic():
        for name, user_id in people.items():
            copy = [{**n, "meta": fit_meta(dict(n.get("meta") or {}))} for n in copies[user_id]]
            title = f"{tree.title} ({name})"
            title = title if len(title) <= 200 else title[:199] + "…"
            forked = tree_import(
                owner_id=user_id,
                kind=TreeKind.PROBLEM,
                title=title,
                description=tree.description,
                nodes=copy,
                keep_authors=True,
                meta={"forked_from": tree.pk, "forked_for": name},
                created_by_id=actor_id,
            )
            if user_id != actor_id:
                Membership.objects.create(tree=forked, user_id=actor_id, role=Role.EDITOR)
            made.append((name, forked))
    return made
