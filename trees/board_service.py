"""Workshop reads for the facilitator board, its export and the before/after comparison
(docs/guide.md, "The facilitator board"): rows in, pure `trees.analysis.workshop` functions,
shapes out. Nothing here writes; the projector link is an action (trees/actions/board.py).

Reads take no tree lock (the board must never make a live edit wait): the versions and the
nodes of one board are read in one `selectors.read_transaction`, so they come from one commit.
Nodes are read as a narrow projection (`node_dicts`: live nodes, no Y documents) rather than
through `selectors.tree_snapshot`, whose whole-state read carries every node's Y document and
whose cached states live in the serving process, not in the board's. A `BoardCache` keeps,
per tree, the nodes and counts of the version last read and, per exercise, the ranking with
the structure it was computed on: the live board (trees/realtime/board.py) re-reads only the
trees whose version moved, and re-ranks an exercise at most every `RANKING_INTERVAL` seconds.

The ranking reads critiques as the tree page's Analysis board does (clusters of untagged
critiques read with the shipped models: `cross_group_ranking(..., semantic=True)`), which
costs up to seconds the first time a workshop's critiques are read. A live board's cache
(`BoardCache(background=True)`) has it computed in a thread of its own (`ranking_thread`),
never in the board's computation: until an exercise's first full ranking is done its board
shows the people's tags alone (`"clusters": false`), after that always the newest full
ranking, replaced when the next is done. A board read once (the REST board) and the export
(trees/workshop_export.py) wait for theirs in the request, computed in the Analysis's warm
worker processes (`ranked`: `in_process.ANALYSIS`, as `analysis_service.recurring_report`
is), not in the serving process, where reading a workshop's critiques held the GIL against
every live edit meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db.models import Q

from trees.analysis.merge import in_process
from trees.analysis.workshop import (
    BoardTree,
    activity,
    compare_trees,
    cross_group_ranking,
    full_ranking,
    group_summaries,
    ranking_trees,
    tree_counts,
)
from trees.domain.errors import ActionError
from trees.models import (
    Exercise,
    ExerciseTree,
    Node,
    OpLog,
    Tree,
    Workshop,
    WorkshopGroup,
    WorkshopParticipant,
    WorkshopRole,
)
from trees.selectors import read_transaction

log = logging.getLogger(__name__)

# Ops per tree read for the activity figures (edits in the last minute past this are capped).
ACTIVITY_OPS = 400
ACTIVITY_WINDOW = 60.0
# Someone who edited within this many seconds counts as present even without an open socket
# (they edited over REST, or their page is between two connections).
PRESENT_AFTER_EDIT = 120.0
# An exercise's ranking is recomputed at most this often (seconds): the counts and activity
# follow every edit, the ranking (the costly part) a moment later.
RANKING_INTERVAL = 3.0
# Trees a board covers at most (a workshop of 40 people has ~100 over a day).
MAX_BOARD_TREES = 400
# While a live board's ranking is being computed in the background, the board is looked at
# again this often (seconds) to show it once it is done.
RANKING_POLL = 0.5
# Seconds a ranking may take in the Analysis's worker process (`ranked`) before the worker is
# killed and the request answered `analysis_unavailable` (as an Analysis's: a workshop's
# 1,000 critiques read for the first time take about 12 s on one free core).
RANKING_TIMEOUT_SECONDS = 300.0

_NODE_FIELDS = (
    "id",
    "type",
    "parent_id",
    "parents",
    "text",
    "tags",
    "author_id",
    "deleted",
    "meta",
)


def node_dicts(tree_id: int) -> list[dict[str, Any]]:
    """The live nodes of a tree as the analysis layer reads them (plain read, no lock)."""
    rows = Node.objects.filter(tree_id=tree_id, deleted=False).values(*_NODE_FIELDS)
    return [
        {
            "id": str(r["id"]),
            "type": r["type"],
            "parent": str(r["parent_id"]) if r["parent_id"] else None,
            "parents": list(r["parents"] or ()),
            "text": r["text"],
            "tags": list(r["tags"] or ()),
            "author": r["author_id"],
            "deleted": False,
            "meta": dict(r["meta"] or {}),
        }
        for r in rows
    ]


@dataclass
class _Ranked:
    key: tuple[tuple[int, int], ...]
    at: float
    result: dict[str, Any]


@dataclass
class _Running:
    key: tuple[tuple[int, int], ...]
    at: float
    future: Future[dict[str, Any]]


_ranker: ThreadPoolExecutor | None = None
_ranker_lock = threading.Lock()


def ranking_thread() -> ThreadPoolExecutor:
    """The one thread of this process that computes live boards' rankings, one at a time
    (in the board's child process: trees/realtime/board_worker.py)."""
    global _ranker
    with _ranker_lock:
        if _ranker is None:
            _ranker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gametree-ranking")
        return _ranker


def ranked(trees: Sequence[BoardTree]) -> dict[str, Any]:
    """`full_ranking(trees)` for a caller that waits for it (the REST board, the export),
    computed in the Analysis's warm worker processes (`in_process.ANALYSIS`): the request's
    thread waits on a socket, without the GIL. The same pure function either way, so the
    same answer; `GAMETREE_ANALYSIS_IN_PROCESS=0` computes it here. `analysis_unavailable`
    when the worker died or took over `RANKING_TIMEOUT_SECONDS`."""
    result: dict[str, Any] = in_process.run_analysis(
        full_ranking,
        list(trees),
        timeout=RANKING_TIMEOUT_SECONDS,
        in_worker=settings.GAMETREE_ANALYSIS_IN_PROCESS,
        what="ranking",
    )
    return result


@dataclass
class BoardCache:
    """What the last board computation read, reused by the next (one per live workshop)."""

    versions: dict[int, int] = field(default_factory=dict)
    nodes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[int, dict[str, int]] = field(default_factory=dict)
    rankings: dict[int, _Ranked] = field(default_factory=dict)
    # True: full rankings are computed in `ranking_thread` (a live board); False: in the call.
    background: bool = False
    running: dict[int, _Running] = field(default_factory=dict)
    activity: dict[int, list[tuple[float, int | None]]] = field(default_factory=dict)
    activity_seq: dict[int, int] = field(default_factory=dict)
    # When a ranking left stale (trees moved within RANKING_INTERVAL) is due (epoch seconds).
    rank_again_at: float | None = None
    computed: int = 0  # how many boards this cache has made


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def _activity_rows(
    versions: dict[int, int], cache: BoardCache, now: float
) -> dict[int, list[tuple[float, int | None]]]:
    """(time, actor) of each tree's recent ops. Only the ops past those read last time are
    read (one bounded query for the trees whose version moved); what is kept is the last
    `PRESENT_AFTER_EDIT` seconds, and always each tree's newest op (its last edit)."""
    cond = Q()
    wanted = False
    for tree_id, version in versions.items():
        seen = cache.activity_seq.get(tree_id, 0)
        if version > seen:
            cond |= Q(tree_id=tree_id, seq__gt=max(seen, version - ACTIVITY_OPS))
            wanted = True
    if wanted:
        rows = OpLog.objects.filter(cond).values_list("tree_id", "seq", "at", "actor_id")
        for tree_id, seq, at, actor in rows:
            cache.activity.setdefault(tree_id, []).append((at.timestamp(), actor))
            cache.activity_seq[tree_id] = max(cache.activity_seq.get(tree_id, 0), seq)
    out: dict[int, list[tuple[float, int | None]]] = {}
    for tree_id in versions:
        kept = sorted(cache.activity.get(tree_id, ()))
        recent = [row for row in kept if now - row[0] <= PRESENT_AFTER_EDIT]
        if kept and (not recent or recent[-1] != kept[-1]):
            recent.append(kept[-1])
        cache.activity[tree_id] = recent
        out[tree_id] = recent
    return out


def load_trees(workshop: Workshop, cache: BoardCache) -> tuple[list[BoardTree], dict[int, int]]:
    """The workshop's trees with their nodes (re-read only where the version moved) and the
    versions read, all as of one commit."""
    with read_transaction():
        return _load_trees(workshop, cache)


def _load_trees(workshop: Workshop, cache: BoardCache) -> tuple[list[BoardTree], dict[int, int]]:
    links = list(
        ExerciseTree.objects.filter(exercise__workshop=workshop)
        .select_related("round", "participant")
        .order_by("exercise__position", "exercise_id", "round__number", "group_id", "id")[
            :MAX_BOARD_TREES
        ]
    )
    tree_rows = {
        t["id"]: t
        for t in Tree.objects.filter(pk__in=[link.tree_id for link in links]).values(
            "id", "version", "title", "kind", "meta"
        )
    }
    versions = {tid: row["version"] for tid, row in tree_rows.items()}
    for tree_id, version in versions.items():
        if cache.versions.get(tree_id) != version or tree_id not in cache.nodes:
            cache.nodes[tree_id] = node_dicts(tree_id)
            cache.versions[tree_id] = version
            kind = tree_rows[tree_id]["kind"]
            cache.counts[tree_id] = tree_counts(kind, cache.nodes[tree_id])
    for gone in set(cache.versions) - set(versions):
        for table in (cache.versions, cache.nodes, cache.counts, cache.activity_seq):
            table.pop(gone, None)
    trees = [
        BoardTree(
            id=link.tree_id,
            kind=tree_rows[link.tree_id]["kind"],
            title=tree_rows[link.tree_id]["title"],
            nodes=cache.nodes[link.tree_id],
            group=link.group_id,
            exercise=link.exercise_id,
            round=link.round.number if link.round is not None else None,
            participant=link.participant.display_name if link.participant is not None else None,
            link_kind=link.kind,
            meta=tree_rows[link.tree_id]["meta"] or {},
        )
        for link in links
        if link.tree_id in tree_rows
    ]
    return trees, versions


def workshop_board(
    workshop: Workshop,
    cache: BoardCache | None = None,
    *,
    viewers: Iterable[int] = (),
    now: float | None = None,
) -> dict[str, Any]:
    """The board of a workshop (`GET /api/workshops/<id>/board/` and the live `board`
    message). `viewers`: user ids with a socket open on one of the workshop's trees in any
    process (trees/realtime/board_presence.py). The projector's copy is `projector_view` of it."""
    cache = cache if cache is not None else BoardCache()
    now = time.time() if now is None else now
    cache.rank_again_at = None
    board_trees, versions = load_trees(workshop, cache)
    groups = list(WorkshopGroup.objects.filter(workshop=workshop).order_by("position", "id"))
    seats = list(
        WorkshopParticipant.objects.filter(workshop=workshop, role=WorkshopRole.PARTICIPANT)
        .order_by("joined_at", "id")
        .values("id", "display_name", "group_id", "user_id")
    )
    ops = _activity_rows(versions, cache, now)
    recent_actors = {a for rows in ops.values() for at, a in rows if now - at <= PRESENT_AFTER_EDIT}
    present = set(viewers) | recent_actors
    rows = group_summaries([(g.pk, g.name) for g in groups], board_trees, cache.counts)
    for row in rows:
        times: list[float] = []
        for t in row["trees"]:
            tree_times = [at for at, _ in ops.get(t["id"], ())]
            t.update(activity(tree_times, now, window=ACTIVITY_WINDOW))
            t["last_edit"] = _iso(t["last_edit"])
            t["version"] = versions.get(t["id"], 0)
            times += tree_times
        row.update(activity(times, now, window=ACTIVITY_WINDOW))
        row["last_edit"] = _iso(row["last_edit"])
        row["members"] = [
            {"id": s["id"], "display_name": s["display_name"], "present": s["user_id"] in present}
            for s in seats
            if s["group_id"] == row["id"]
        ]
    ungrouped = [s for s in seats if s["group_id"] is None]
    exercises = []
    for ex in Exercise.objects.filter(workshop=workshop).order_by("position", "id"):
        ranking = _ranking(cache, ex.pk, board_trees, now)
        exercises.append(
            {
                "id": ex.pk,
                "title": ex.title,
                "kind": ex.kind,
                "phase": ex.phase,
                "ranking": ranking,
            }
        )
    all_times = [at for rows_ in ops.values() for at, _ in rows_]
    cache.computed += 1
    return {
        "workshop": {"id": workshop.pk, "title": workshop.title},
        "computed_at": _iso(now),
        "groups": rows,
        "unassigned": [
            {"id": s["id"], "display_name": s["display_name"], "present": s["user_id"] in present}
            for s in ungrouped
        ],
        "participants": len(seats),
        "present": sum(1 for s in seats if s["user_id"] in present),
        "activity": {
            **activity(all_times, now, window=ACTIVITY_WINDOW),
            "last_edit": _iso(max(all_times) if all_times else None),
        },
        "exercises": exercises,
        "versions": {str(k): v for k, v in versions.items()},
        "projector": False,
    }


def projector_view(board: dict[str, Any]) -> dict[str, Any]:
    """The board as a projector link shows it: the same figures, no tree or node ids (a
    projector shows; it opens no trees)."""
    return {
        **board,
        "groups": [
            {**g, "trees": [{**t, "id": None} for t in g["trees"]]} for g in board["groups"]
        ],
        "exercises": [
            {
                **ex,
                "ranking": {
                    **ex["ranking"],
                    "items": [
                        {**it, "members": [{"label": m["label"]} for m in it["members"]]}
                        for it in ex["ranking"]["items"]
                    ],
                },
            }
            for ex in board["exercises"]
        ],
        "versions": {},
        "projector": True,
    }


def _ranking(
    cache: BoardCache, exercise_id: int, trees: Sequence[BoardTree], now: float
) -> dict[str, Any]:
    """The exercise's ranking: recomputed when its trees moved, at most every
    `RANKING_INTERVAL` seconds (in between, the last one stands). A live board's
    (`cache.background`) is computed in the background (module docstring)."""
    chosen = ranking_trees(trees, exercise_id)
    key = tuple(sorted((t.id, cache.versions.get(t.id, 0)) for t in chosen))
    if cache.background:
        _collect(cache, exercise_id)
    known = cache.rankings.get(exercise_id)
    if known is not None and known.key == key:
        return known.result
    if cache.background:
        return _background_ranking(cache, exercise_id, chosen, key, known, now)
    if known is not None and now - known.at < RANKING_INTERVAL:
        # the trees moved, but the last ranking is recent: it stands until the next one,
        # which the live board asks for then (`BoardCache.rank_again_at`)
        _again(cache, now, known.at + RANKING_INTERVAL)
        return known.result
    result = ranked(chosen)
    cache.rankings[exercise_id] = _Ranked(key, now, result)
    return result


def _again(cache: BoardCache, now: float, at: float) -> None:
    cache.rank_again_at = min(cache.rank_again_at or now + 60, at)


def _collect(cache: BoardCache, exercise_id: int) -> None:
    """A background ranking that is done becomes the exercise's ranking."""
    running = cache.running.get(exercise_id)
    if running is None or not running.future.done():
        return
    del cache.running[exercise_id]
    try:
        result = running.future.result()
    except Exception:  # the last ranking stands; the next change tries again
        log.exception("exercise %s: ranking failed", exercise_id)
        return
    cache.rankings[exercise_id] = _Ranked(running.key, running.at, result)


def _background_ranking(
    cache: BoardCache,
    exercise_id: int,
    chosen: list[BoardTree],
    key: tuple[tuple[int, int], ...],
    known: _Ranked | None,
    now: float,
) -> dict[str, Any]:
    running = cache.running.get(exercise_id)
    if running is not None:  # one at a time per exercise: look again when it may be done
        _again(cache, now, now + RANKING_POLL)
    elif known is not None and now - known.at < RANKING_INTERVAL:
        _again(cache, now, known.at + RANKING_INTERVAL)
    else:
        future = ranking_thread().submit(full_ranking, chosen)
        cache.running[exercise_id] = _Running(key, now, future)
        _again(cache, now, now + RANKING_POLL)
    if known is not None:
        return known.result
    # nothing full yet (the board just opened): the people's tags, cheap, in the meantime
    interim = cross_group_ranking(chosen, clusters=False)
    cache.rankings[exercise_id] = _Ranked((), now - RANKING_INTERVAL, interim)
    return interim


# ---- before / after --------------------------------------------------------------------------


def compare_payload(before: Tree, after: Tree) -> dict[str, Any]:
    """What was added, dropped and reworded from `before` to `after` (two problem trees;
    the caller checked access to both)."""
    for tree in (before, after):
        if tree.kind != "problem":
            raise ActionError("invalid", "Before/after compares two problem trees.")
    out = compare_trees((before.pk, node_dicts(before.pk)), (after.pk, node_dicts(after.pk)))
    return {
        "before": {"id": before.pk, "title": before.title},
        "after": {"id": after.pk, "title": after.title},
        **out,
    }


def person_problem_trees(workshop: Workshop) -> list[dict[str, Any]]:
    """Each participant's individual problem trees in exercise and round order, for picking
    a before/after pair: `[{"participant", "display_name", "trees": [{"tree", "title",
    "exercise", "phase", "round"}]}]`."""
    links = (
        ExerciseTree.objects.filter(
            exercise__workshop=workshop,
            exercise__kind="problem_tree",
            participant__isnull=False,
        )
        .select_related("exercise", "round", "participant", "tree")
        .order_by("participant_id", "exercise__position", "exercise_id", "round__number")
    )
    people: dict[int, dict[str, Any]] = {}
    for link in links:
        assert link.participant is not None
        person = people.setdefault(
            link.participant.pk,
            {
                "participant": link.participant.pk,
                "display_name": link.participant.display_name,
                "trees": [],
            },
        )
        person["trees"].append(
            {
                "tree": link.tree_id,
                "title": link.tree.title,
                "exercise": link.exercise_id,
                "exercise_title": link.exercise.title,
                "phase": link.exercise.phase,
                "round": link.round.number if link.round is not None else None,
            }
        )
    return list(people.values())
