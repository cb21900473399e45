"""Action layer: merge problem trees into one DAG tree (the Big ASS Tree) and fork it per person.

`merge_create` reads snapshots of the source trees, then hands the computation to the merge
worker process (`trees.analysis.merge.worker.merged_tree` through `...merge.in_process`; with
`GAMETREE_MERGE_IN_PROCESS=0`, to this thread): the analysis merge and the merged tree built
through the domain layer's ops, ready to write. It takes seconds of pure Python that would
otherwise hold the serving process's GIL while live edits wait.

It then writes the merged tree in short transactions (`GAMETREE_MERGE_WRITE_ROWS` rows each,
with a pause between them): on SQLite every writer shares one lock, and one transaction of
thousands of rows held live edits of every tree for seconds. Until its last transaction the
tree has no members, so nobody can reach it half-built (every read checks membership); the
last one reveals it (version, meta, members), saves what the owner's glossary learned and
lets a job record that it is done. A merge that fails while writing deletes what it wrote
(`merge_discard`); one whose process died mid-write leaves a tree with no members, counted
against nobody's quota, that its job's expiry or the sweep of such orphans deletes
(trees/actions/merge_jobs.py, `merge_discard_orphans`).

`merge_create` runs in the caller's thread (the `mergetrees` command; REST starts it in a
background thread: `trees.actions.merge_jobs`).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, transaction
from django.utils import timezone

from trees.actions import store
from trees.actions.imports import IMPORT_CLIENT_ID, tree_import
from trees.actions.trees import MERGE_WRITING, tree_create
from trees.analysis import Glossary, fork
from trees.analysis.merge.in_process import (
    MERGES,
    WorkerDied,
    WorkerFailed,
    WorkerTimedOut,
    run_in_process,
)
from trees.analysis.merge.worker import fit_meta, merged_tree, warm_up
from trees.domain.errors import ActionError
from trees.models import (
    GlossaryEntry,
    Membership,
    MergeSuggestion,
    Node,
    OpLog,
    RejectedPair,
    Role,
    SuggestionStatus,
    Tree,
    TreeKind,
)
from trees.selectors import people_in_tree, tree_snapshot

log = logging.getLogger(__name__)
__all__ = ["fit_meta"]  # (re-exported: the review actions trim meta as merges do)

MAX_MERGE_TREES = 20
# Shares of a merge's time (5 x 2,000 nodes on SQLite: 0.1-0.8 s reading, 3-4 s merging,
# 5 s writing 6,500 nodes and 8,000 suggestions), for its progress from 0 to 1.
READ_SHARE, WRITE_SHARE = 0.05, 0.5
Progress = Callable[[str, float], None]
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


def _queue_of(tree_id: int | None) -> list[dict[str, Any]]:
    """The stored review queue of the merged tree the inputs were forked from: the merge asks
    again about the pairs it left undecided (trees.analysis.merge.lineage)."""
    if tree_id is None:
        return []
    rows = MergeSuggestion.objects.filter(tree_id=tree_id).order_by("position")
    fields = ("a", "b", "status", "chosen", "score", "components", "explanation", "candidates")
    return list(rows.values(*fields))


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


def _users_among(inputs: Sequence[tuple[int, Sequence[Mapping[str, Any]]]]) -> set[int]:
    """The authors of these nodes that are users of this server (they keep their nodes)."""
    wanted = {n["author"] for _, nodes in inputs for n in nodes if isinstance(n.get("author"), int)}
    return set(get_user_model().objects.filter(pk__in=wanted).values_list("pk", flat=True))


def keep_worker_warm() -> bool:
    """In a serving process (gametree/asgi.py, as daphne starts): start the merge worker now,
    in the background, and have it load what a merge needs, so that the first merge of a
    workshop does not wait for it (`GAMETREE_MERGE_WARM`; not with
    `GAMETREE_MERGE_IN_PROCESS=0`, which uses no worker). Each serving process keeps its own:
    a merge runs in the process that took its request. Whether it does."""
    if not (settings.GAMETREE_MERGE_WARM and settings.GAMETREE_MERGE_IN_PROCESS):
        return False
    MERGES.keep_warm(warm_up)
    return True


def _compute(*args: Any, **kwargs: Any) -> dict[str, Any]:
    """`merged_tree(...)` in the merge worker process (the default) or in this thread."""
    if not settings.GAMETREE_MERGE_IN_PROCESS:
        return merged_tree(*args, **kwargs)
    limit = settings.GAMETREE_MERGE_TIMEOUT_SECONDS
    try:
        built: dict[str, Any] = run_in_process(
            merged_tree, *args, timeout=limit if limit > 0 else None, **kwargs
        )
        return built
    except WorkerTimedOut as exc:
        raise ActionError(
            "merge_timeout",
            f"The merge took longer than the server allows ({limit:g} s) and was stopped; "
            "nothing was written. Merge fewer or smaller trees, or ask the operator to raise "
            "GAMETREE_MERGE_TIMEOUT_SECONDS.",
        ) from exc
    except WorkerDied as exc:
        raise ActionError(
            exc.code,
            "The merge's worker process stopped before it finished; nothing was written. "
            "Try again; if it happens again, tell the operator.",
        ) from exc
    except WorkerFailed as exc:
        if exc.code:  # a domain OpError: the rules refused a node of the merged tree
            raise ActionError(exc.code, exc.message) from exc
        raise


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
    the transaction that reveals the tree, last (a job records that it is done in the same
    commit).
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
    users = _users_among([*inputs, (0, base)])
    merge_share = 1.0 - READ_SHARE - WRITE_SHARE

    def merge_progress(phase: str, fraction: float) -> None:
        report(phase, READ_SHARE + merge_share * fraction)

    built = _compute(
        inputs,
        glossary=glossary,
        confirmed=confirmed,
        rejected=rejected,
        base=base or None,
        base_queue=_queue_of(base_id),
        users=users,
        owner_id=owner_id,
        progress=merge_progress,
    )
    report("writing", 1.0 - WRITE_SHARE)
    learned = {a: c for a, c in built["glossary"].items() if before.get(a) != c}
    stats = {**built["stats"], "seconds": round(time.monotonic() - started, 3)}
    merge_meta: dict[str, Any] = {"status": "done", "stats": stats}
    if job_id is not None:
        merge_meta["job"] = job_id
    meta = {
        "merged_from": tree_ids,
        "base": base_id,
        "glossary": learned,
        "disagreements": built["disagreements"],
        "conflicts": built["conflicts"],
        "merge": merge_meta,
    }
    # Inside a caller's transaction it is all one transaction anyway: no pauses in it.
    rows = 0 if transaction.get_connection().in_atomic_block else settings.GAMETREE_MERGE_WRITE_ROWS
    # rows <= 0: all of it in one transaction (the old way; the inner ones become savepoints).
    with transaction.atomic() if rows <= 0 else nullcontext():
        tree = tree_create(
            owner_id=owner_id,
            kind=TreeKind.PROBLEM,
            title=title,
            meta={**meta, "merge": {"status": WRITING, "job": job_id}},
            members=False,
        )
        try:
            _write_rows(tree.pk, built, max(rows, 0), report)
            with transaction.atomic():
                glossary_save(owner_id, before, built["glossary"])
                # The reveal: the tree gets its version, its final meta and its members
                # (only members can reach a tree: until now nobody could).
                Tree.objects.filter(pk=tree.pk).update(
                    version=built["version"], meta=meta, updated_at=timezone.now()
                )
                tree.refresh_from_db()
                Membership.objects.create(tree=tree, user_id=owner_id, role=Role.OWNER)
                _add_members(tree, tree_ids, owner_id)
                outcome = MergeOutcome(
                    tree,
                    len(built["suggestions"]),
                    built["disagreements"],
                    built["conflicts"],
                    stats,
                )
                if on_written is not None:
                    on_written(outcome)
        except BaseException:
            if rows > 0:  # in one transaction, the rollback takes it all back
                _discard_quietly(tree.pk)
            raise
    return outcome


# Tree.meta["merge"]["status"] of a merged tree being written (it has no members yet).
WRITING = MERGE_WRITING
# Between two write transactions, at least this long or as long as the last one took (up to
# the most): a live edit that found the SQLite write lock taken retries after 1, 2, 5, 10, 15,
# 20, 25 ms (SQLite's busy handler), and must find it free before the next transaction.
_PAUSE_SECONDS, _PAUSE_MOST_SECONDS = 0.025, 0.25


def _write_rows(tree_id: int, built: Mapping[str, Any], rows: int, report: Progress) -> None:
    """The merged tree's nodes, log and review queue, `rows` a transaction (0: all at once),
    pausing between transactions."""
    nodes, log, suggestions = built["nodes"], built["log"], built["suggestions"]
    total = len(nodes) + len(log) + len(suggestions)
    per = rows or max(total, 1)

    def write_nodes(start: int) -> None:
        store.write_batch(((tree_id, n) for n in nodes[start : start + per]), [], {})

    def write_log(start: int) -> None:
        store.write_batch(
            [],
            [
                (tree_id, seq, IMPORT_CLIENT_ID, seq, actor, op, overwrote)
                for seq, actor, op, overwrote in log[start : start + per]
            ],
            {},
        )

    def write_suggestions(start: int) -> None:
        MergeSuggestion.objects.bulk_create(
            [
                MergeSuggestion(tree_id=tree_id, position=start + i, **fields)
                for i, fields in enumerate(suggestions[start : start + per])
            ],
            batch_size=per,
        )

    steps: list[tuple[Callable[[int], None], int]] = [
        *((write_nodes, i) for i in range(0, len(nodes), per)),
        *((write_log, i) for i in range(0, len(log), per)),
        *((write_suggestions, i) for i in range(0, len(suggestions), per)),
    ]
    done, took = 0, 0.0
    for number, (step, start) in enumerate(steps):
        if number and rows:
            time.sleep(min(max(_PAUSE_SECONDS, took), _PAUSE_MOST_SECONDS))
        began = time.monotonic()
        with transaction.atomic():
            try:
                step(start)
            except store.NodeIdTaken:
                raise ActionError("conflict", "Node ids of this merge were just taken.") from None
        took = time.monotonic() - began
        done += per
        report("writing", 1.0 - WRITE_SHARE + WRITE_SHARE * min(1.0, done / max(total, 1)))


def merge_discard(*, tree_id: int) -> None:
    """Delete a merged tree that was never revealed (its merge failed or was given up while
    it was written), in short transactions like its write."""
    for model in (MergeSuggestion, OpLog, Node):
        while True:
            with transaction.atomic():
                rows = model.objects.filter(tree_id=tree_id).values_list("pk", flat=True)
                ids: list[Any] = list(rows[:500])
                if not ids:
                    break
                model.objects.filter(pk__in=ids).delete()
    Tree.objects.filter(pk=tree_id, memberships__isnull=True).delete()


def _discard_quietly(tree_id: int) -> None:
    try:
        merge_discard(tree_id=tree_id)
    except DatabaseError:  # the job's expiry deletes it later (merge_discard_unrevealed)
        log.exception("merged tree %s: could not delete it after its merge failed", tree_id)


def merge_discard_unrevealed(*, job_id: int) -> None:
    """Delete what a merge job that ended without finishing had written of its tree."""
    pending = Tree.objects.filter(
        meta__merge__job=job_id, meta__merge__status=WRITING, memberships__isnull=True
    ).values_list("pk", flat=True)
    for tree_id in list(pending):
        merge_discard(tree_id=tree_id)


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
    # titled by the name each person is shown by in this tree (a workshop seat's name in a
    # workshop's tree); the username stays the identifier
    named = people_in_tree(tree.pk, get_user_model().objects.filter(pk__in=people.values()))
    shown = {pk: ref["name"] for pk, ref in named.items()}
    with transaction.atomic():
        for name, user_id in people.items():
            copy = [{**n, "meta": fit_meta(dict(n.get("meta") or {}))} for n in copies[user_id]]
            title = f"{tree.title} ({shown.get(user_id, name)})"
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
