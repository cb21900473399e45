"""Analysis reads (docs/analysis.md): snapshots in, pure `trees.analysis` functions, shapes out.

Nothing here writes; merges, review decisions, forks and failure modes are actions in
`trees/actions/`. Permission checks happen before these functions are called (views use
`selectors.access_tree`; management commands are the operator's and see every tree).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model

from trees.analysis import TreeInput, survival
from trees.analysis.merge import in_process
from trees.analysis.merge.review_queue import shown
from trees.analysis.recurrence.failure_modes import norm_tag, suggest_tags_call
from trees.analysis.recurrence.recurring import recurring_call, warm_up
from trees.analysis.survival import short
from trees.domain.errors import ActionError
from trees.models import (
    FailureMode,
    MergeSuggestion,
    Node,
    NodeType,
    SuggestionStatus,
    Tree,
    TreeKind,
)
from trees.selectors import (
    User,
    access_tree,
    people_in_tree,
    tree_snapshot,
    trees_for_user,
    user_id_of,
)

MAX_TREES_PER_ANALYSIS = 50
# Seconds an Analysis may take in its worker process before the worker is killed and the
# request answered `analysis_unavailable` (a workshop's 1,000 critiques read for the first
# time take about 12 s on one free core).
ANALYSIS_TIMEOUT_SECONDS = 300.0
# Other game trees of the user that lend their tagged critiques to tag suggestions.
TAG_VOCABULARY_TREES = 20

SourceIndex = dict[tuple[Any, str], Mapping[str, Any]]


# ---- inputs --------------------------------------------------------------------------------


def tree_input(tree: Tree) -> TreeInput:
    nodes = tree_snapshot(tree_id=tree.pk)["nodes"]
    return TreeInput(tree.pk, nodes, tree.kind, tree.title, dict(tree.meta or {}))


def parse_tree_ids(raw: object) -> list[int]:
    """`"1,2,3"` or `[1, 2, 3]` -> distinct ints, in order; `invalid` otherwise."""
    parts: Iterable[Any]
    if isinstance(raw, str):
        parts = [p for p in raw.split(",") if p.strip()]
    elif isinstance(raw, list):
        parts = raw
    else:
        raise ActionError("invalid", "trees must be a list of tree ids.")
    out: list[int] = []
    for part in parts:
        try:
            value = int(str(part).strip())
        except ValueError:
            raise ActionError("invalid", f"{part!r} is not a tree id.") from None
        if value not in out:
            out.append(value)
    if not out:
        raise ActionError("invalid", "Name at least one tree.")
    if len(out) > MAX_TREES_PER_ANALYSIS:
        raise ActionError("too_large", f"At most {MAX_TREES_PER_ANALYSIS} trees at once.")
    return out


def accessible_trees(user: User, tree_ids: Sequence[int]) -> list[Tree]:
    """The trees, each checked for membership (a non-member gets `not_found`)."""
    return [access_tree(user, tree_id)[0] for tree_id in tree_ids]


# ---- survival ------------------------------------------------------------------------------


def survival_report(tree: Tree) -> dict[str, Any]:
    """`{"seq", "nodes": [{"id", "label", "type", "status", "reason", "by"}]}`, live nodes."""
    if tree.kind != TreeKind.GAME:
        raise ActionError(
            "invalid",
            "Survival applies to game trees (proposals, critiques, patches); "
            "this is a problem tree.",
        )
    snap = tree_snapshot(tree_id=tree.pk)
    live = [n for n in snap["nodes"] if not n["deleted"]]
    labels = survival(live)
    return {
        "seq": snap["seq"],
        "nodes": [
            {
                "id": n["id"],
                "label": short(n["text"]),
                "type": n["type"],
                "status": labels[n["id"]].status,
                "reason": labels[n["id"]].reason,
                "by": list(labels[n["id"]].by),
            }
            for n in live
        ],
    }


# ---- failure modes and tags ----------------------------------------------------------------


def _failure_mode_out(mode: FailureMode | None, labels: Mapping[tuple[int, str], str]) -> Any:
    if mode is None or mode.problem_tree_id is None or not mode.problem_node:
        return None
    if (mode.problem_tree_id, mode.problem_node) not in labels:
        # The user left (or was removed from) the problem tree, or the node is gone: the
        # pointer stays stored but shows nothing of that tree until they are a member again.
        return None
    return {
        "tree": mode.problem_tree_id,
        "node": mode.problem_node,
        "label": labels.get((mode.problem_tree_id, mode.problem_node), ""),
    }


def _tag_counts(user: User) -> tuple[dict[str, int], dict[str, set[int]]]:
    """Critiques per tag and the trees they are in, over the user's game trees."""
    rows = Node.objects.filter(
        tree__memberships__user_id=user_id_of(user),
        tree__kind=TreeKind.GAME,
        type=NodeType.CRITIQUE,
        deleted=False,
    ).values_list("tree_id", "tags")
    count: dict[str, int] = {}
    trees: dict[str, set[int]] = {}
    for tree_id, tags in rows:
        for tag in dict.fromkeys(norm_tag(t) for t in tags or () if t):
            if tag:
                count[tag] = count.get(tag, 0) + 1
                trees.setdefault(tag, set()).add(tree_id)
    return count, trees


def tag_table(user: User) -> list[dict[str, Any]]:
    """Every tag on live critiques of the user's game trees, plus the tags the user pointed at
    a problem: `[{"tag", "count", "trees", "problem", "description"}]`, most used first."""
    count, trees = _tag_counts(user)
    modes = {m.tag: m for m in FailureMode.objects.filter(user_id=user_id_of(user))}
    labels = _problem_labels(user, modes.values())
    return [
        failure_mode_row(tag, modes.get(tag), count.get(tag, 0), trees.get(tag), labels)
        for tag in sorted(set(count) | set(modes), key=lambda t: (-count.get(t, 0), t))
    ]


def tag_row(user: User, mode: FailureMode) -> dict[str, Any]:
    """One row of `tag_table` (the answer to `PUT /api/tags/<tag>/`)."""
    count, trees = _tag_counts(user)
    labels = _problem_labels(user, [mode])
    return failure_mode_row(mode.tag, mode, count.get(mode.tag, 0), trees.get(mode.tag), labels)


def failure_mode_row(
    tag: str,
    mode: FailureMode | None,
    count: int,
    trees: Iterable[int] | None,
    labels: Mapping[tuple[int, str], str],
) -> dict[str, Any]:
    return {
        "tag": tag,
        "count": count,
        "trees": sorted(trees or ()),
        "problem": _failure_mode_out(mode, labels),
        "description": mode.description if mode is not None else "",
    }


def _problem_labels(user: User, modes: Iterable[FailureMode]) -> dict[tuple[int, str], str]:
    """The labels of the problems the user's failure modes point at, read now and only in
    trees the user is a member of now: access ends with membership."""
    wanted = [(m.problem_tree_id, m.problem_node) for m in modes if m.problem_tree_id]
    if not wanted:
        return {}
    rows = Node.objects.filter(
        tree_id__in={t for t, _ in wanted},
        tree__memberships__user_id=user_id_of(user),
        id__in=[n for _, n in wanted if _is_uuid(n)],
    ).values_list("tree_id", "id", "text")
    return {(tree_id, str(node_id)): short(text) for tree_id, node_id, text in rows}


def _is_uuid(value: str) -> bool:
    import uuid

    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def tag_suggestions(user: User, tree: Tree) -> list[dict[str, Any]]:
    """Tags for the untagged critiques of `tree`, voted by the nearest tagged critiques of this
    tree and of the user's other game trees (one vocabulary per user). Computed in the
    Analysis's worker processes, as `recurring_report` is (it reads up to 1,000 critiques by
    example)."""
    if tree.kind != TreeKind.GAME:
        raise ActionError("invalid", "Tags are suggested for critiques of game trees.")
    others = [
        t
        for t in trees_for_user(user)
        .filter(kind=TreeKind.GAME)
        .exclude(pk=tree.pk)[:TAG_VOCABULARY_TREES]
    ]
    inputs = [(t.pk, tree_snapshot(tree_id=t.pk)["nodes"]) for t in [tree, *others]]
    rows: list[dict[str, Any]] = _analysed(suggest_tags_call, inputs)
    return [
        {"node": row["node"], "label": row["label"], "suggestions": row["suggestions"]}
        for row in rows
        if row["tree"] == tree.pk
    ]


# ---- recurring -----------------------------------------------------------------------------


def recurring_report(trees: Sequence[Tree], *, top: int | None = None) -> dict[str, Any]:
    """`{"kind", "items"}`: tags and clusters (game trees) or problems (problem trees / merged
    DAGs), most taut first.

    Computed in the Analysis's warm worker process (`in_process.ANALYSIS`), the request's
    thread waiting without the GIL: reading critiques by example (seconds the first time)
    and merging problem trees are long stretches of CPU that, in the serving process, slowed
    every live edit meanwhile. The same pure function either way, so the answer is the same;
    `GAMETREE_ANALYSIS_IN_PROCESS=0` computes it here."""
    inputs = [tree_input(t) for t in trees]
    report: dict[str, Any] = _analysed(recurring_call, inputs, top)
    return report


def keep_worker_warm() -> bool:
    """In a serving process (gametree/asgi.py, as daphne starts): start one Analysis worker
    now, in the background, and have it load what an Analysis needs (`recurring.warm_up`),
    so that the first Analysis after a restart (someone opening the Analysis tab, a workshop
    board) does not wait for it (`GAMETREE_ANALYSIS_WARM`; not with
    `GAMETREE_ANALYSIS_IN_PROCESS=0`, which uses no worker). Each serving process keeps its
    own: an Analysis runs in the process that took its request. Whether it does."""
    if not (settings.GAMETREE_ANALYSIS_WARM and settings.GAMETREE_ANALYSIS_IN_PROCESS):
        return False
    in_process.ANALYSIS.keep_warm(warm_up)
    return True


def _analysed(function: Any, *args: Any) -> Any:
    """`function(*args)` (a pure function of the analysis layer) in the Analysis's worker
    processes, or here with `GAMETREE_ANALYSIS_IN_PROCESS=0`: `analysis_unavailable` when the
    worker died or took over `ANALYSIS_TIMEOUT_SECONDS` (read at each call)."""
    return in_process.run_analysis(
        function,
        *args,
        timeout=ANALYSIS_TIMEOUT_SECONDS,
        in_worker=settings.GAMETREE_ANALYSIS_IN_PROCESS,
        what="analysis",
    )


# ---- merge review --------------------------------------------------------------------------


def source_index(nodes: Iterable[Mapping[str, Any]], tree_id: int | None = None) -> SourceIndex:
    """(source tree, source node) -> the live merged node that holds it in `meta.sources`;
    with `tree_id`, a node without sources (drawn in this tree) also stands for itself."""
    index: SourceIndex = {}
    plain = []
    for node in nodes:
        if node.get("deleted"):
            continue
        sources = (node.get("meta") or {}).get("sources") or ()
        for src in sources:
            if isinstance(src, Mapping) and "tree" in src and "node" in src:
                index[(src["tree"], str(src["node"]))] = node
        if not sources and tree_id is not None:
            plain.append(node)
    for node in plain:
        index.setdefault((tree_id, str(node["id"])), node)
    return index


def _side(ref: Mapping[str, Any], index: SourceIndex) -> dict[str, Any]:
    node = index.get((ref.get("tree"), str(ref.get("node"))))
    return {
        "node": node["id"] if node is not None else None,
        "label": ref.get("label", ""),
        "sources": list((node.get("meta") or {}).get("sources") or []) if node else [],
    }


def explain(components: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {float(v):.2f}" for k, v in components.items())


def suggestion_payload(
    s: MergeSuggestion, index: SourceIndex, named: Mapping[int, dict[str, Any]]
) -> dict[str, Any]:
    """One suggestion as `GET /api/trees/<id>/review/` shows it; `named`: people as its tree
    names them (selectors.people_in_tree), the one who decided it among them."""
    return {
        "id": s.pk,
        "status": s.status,
        "a": _side(s.a, index),
        "b": _side(s.b, index),
        "score": s.score,
        "explanation": s.explanation,
        "candidates": [
            {
                **{k: v for k, v in _side(c, index).items() if k != "sources"},
                "score": c.get("score"),
                "explanation": explain(c.get("components") or {}),
            }
            for c in s.candidates
        ],
        "chosen": _side(s.chosen, index)["node"] if s.chosen else None,
        # A pick merged another candidate than b into a: which one (b's pair is asked again).
        "picked": _picked(s, index),
        "decided_by": named.get(s.decided_by_id) if s.decided_by_id is not None else None,
        "decided_at": s.decided_at.isoformat() if s.decided_at else None,
    }


def _picked(s: MergeSuggestion, index: SourceIndex) -> dict[str, Any] | None:
    c, b = s.chosen, s.b
    if not c or (c.get("tree"), str(c.get("node"))) == (b.get("tree"), str(b.get("node"))):
        return None
    side = _side(c, index)
    return {"node": side["node"], "label": side["label"]}


def _served(rows: Iterable[MergeSuggestion], index: SourceIndex) -> list[MergeSuggestion]:
    """The queue as people see it (review_queue.shown: every decided suggestion, a pending one
    only when no suggestion before it stands for the same pair of merged nodes now)."""

    def holder(ref: Mapping[str, Any]) -> str | None:
        node = index.get((ref.get("tree"), str(ref.get("node"))))
        return None if node is None else str(node["id"])

    rows = list(rows)
    plain = [{"a": s.a, "b": s.b, "status": s.status, "chosen": s.chosen} for s in rows]
    return [rows[i] for i in shown(plain, holder)]


def _progress(rows: Sequence[MergeSuggestion]) -> dict[str, int]:
    done = sum(1 for s in rows if s.status != SuggestionStatus.PENDING)
    return {"done": done, "total": len(rows)}


def review_payload(tree: Tree) -> dict[str, Any]:
    """The review queue of a merged tree, its progress and what the merge could not settle."""
    nodes = tree_snapshot(tree_id=tree.pk)["nodes"]
    index = source_index(nodes, tree.pk)
    rows = MergeSuggestion.objects.filter(tree=tree).select_related("decided_by")
    served = _served(rows.order_by("position"), index)
    named = people_in_tree(tree.pk, [s.decided_by for s in served])
    meta = tree.meta or {}
    return {
        "suggestions": [suggestion_payload(s, index, named) for s in served],
        "progress": _progress(served),
        "disagreements": list(meta.get("disagreements") or []),
        "conflicts": conflicts_out(tree, nodes),
    }


def _person(owner: Any, named: Mapping[int, dict[str, Any]]) -> dict[str, str]:
    """A copy's owner: `person` (the username) and `person_name` (how the tree names them)."""
    if owner is None:
        return {"person": "", "person_name": ""}
    return {"person": owner.get_username(), "person_name": named[owner.pk]["name"]}


def conflicts_out(tree: Tree, nodes: Iterable[Mapping[str, Any]] | None = None) -> list[Any]:
    """The round-merge conflicts with what people need to settle them: `merged` = the merged
    node now (`{"node", "text"}` or null), each change's `person` (the copy's owner's
    username) and `person_name` (their name), and
    `resolved` (`{"pick", "value", "by": {"id", "username", "name"}, "at"}` or null)."""
    stored = list((tree.meta or {}).get("conflicts") or [])
    if not stored:
        return []
    if nodes is None:
        nodes = tree_snapshot(tree_id=tree.pk)["nodes"]
    live = {n["id"]: n for n in nodes if not n.get("deleted")}
    tree_ids = {ch.get("tree") for c in stored for ch in c.get("changes") or []}
    owners = {
        t.pk: t.owner
        for t in Tree.objects.filter(
            pk__in=[t for t in tree_ids if isinstance(t, int)]
        ).select_related("owner")
    }
    resolvers = get_user_model().objects.filter(
        pk__in=[(c.get("resolved") or {}).get("by") for c in stored]
    )
    users = people_in_tree(tree.pk, [*owners.values(), *resolvers])
    out = []
    for i, c in enumerate(stored):
        node = live.get(c.get("merged_node"))
        resolved = c.get("resolved")
        if resolved:
            by = resolved.get("by")
            by_ref = users.get(by) or {"id": by, "username": "", "name": ""}
            resolved = {**resolved, "by": by_ref}
        out.append(
            {
                **c,
                "index": i,
                "merged": {"node": node["id"], "text": node["text"]} if node else None,
                "changes": [
                    {**ch, **_person(owners.get(ch.get("tree")), users)}
                    for ch in c.get("changes") or []
                ],
                "resolved": resolved or None,
            }
        )
    return out


def conflict_payload(tree: Tree, index: int) -> dict[str, Any]:
    """One conflict as `GET /review/` shows it (the answer to a pick, and its broadcast)."""
    return dict(conflicts_out(tree)[index])


def review_event(tree_id: int, suggestion_id: int) -> dict[str, Any]:
    """`{"suggestion", "progress"}`: the body of a decision's answer and `review` broadcast."""
    s = MergeSuggestion.objects.select_related("decided_by").get(pk=suggestion_id)
    index = source_index(tree_snapshot(tree_id=tree_id)["nodes"], tree_id)
    rows = MergeSuggestion.objects.filter(tree_id=tree_id).order_by("position")
    progress = _progress(_served(rows.only("a", "b", "chosen", "status"), index))
    named = people_in_tree(tree_id, [s.decided_by])
    return {"suggestion": suggestion_payload(s, index, named), "progress": progress}


def username_ids(usernames: Iterable[object]) -> dict[str, int]:
    """Usernames -> user ids; `not_found` names the first unknown one."""
    names = [str(u) for u in usernames]
    found = dict(get_user_model().objects.filter(username__in=names).values_list("username", "pk"))
    for name in names:
        if name not in found:
            raise ActionError("not_found", f"No user named {name!r}.")
    return {name: found[name] for name in names}
