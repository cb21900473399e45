"""Analysis layer: a workshop at a glance (the facilitator board, the export, before/after).

Pure: the trees come in as :class:`BoardTree` (ids, the group and exercise they belong to, node
dicts), answers go out as plain data. Counts use the survival labelling
(:mod:`trees.analysis.survival`), the cross-group ranking the recurrence analysis
(:mod:`trees.analysis.recurrence`: failure modes for game trees, breadth x support for problem
trees) and the before/after comparison the merge's matching (:mod:`trees.analysis.merge`).

The board is recomputed often (trees/realtime/board.py), so per-tree counts are
cheap and keyed by the tree's version by the caller; the ranking is computed per exercise,
over each group's trees of its newest round only (earlier rounds' trees were merged into
them), its merged tree where it has one (:func:`ranking_trees`), and a group's totals add up
those same trees (:func:`standing_trees`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from trees.analysis.graph import live_nodes, parents_of
from trees.analysis.recurrence.failure_modes import (
    GameCorpus,
    critique_models,
    failure_mode_table,
)
from trees.analysis.recurrence.recurring import TreeInput, game_items, problem_items
from trees.analysis.survival import short, survival

# Items of the ranking kept per exercise, on the board and in the export.
RANKING_TOP = 15
# Members of a ranking item shown per item (the rest are counted).
MEMBERS_SHOWN = 5
# A pair in the merge's review band at least this similar counts as one problem reworded.
REWORD_FLOOR = 0.5


@dataclass(frozen=True, slots=True)
class BoardTree:
    """One tree of a workshop as the board sees it."""

    id: int
    kind: str  # "game" or "problem"
    title: str
    nodes: Sequence[Mapping[str, Any]]
    group: int | None = None
    exercise: int | None = None
    round: int | None = None  # the round's number (None: not in a round)
    participant: str | None = None  # an individual tree's owner (None: the group's tree)
    link_kind: str = "group"  # "group", "individual" or "merged"
    meta: Mapping[str, Any] = field(default_factory=dict)


# ---- per tree --------------------------------------------------------------------------------


def tree_counts(kind: str, nodes: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Counts of one tree's live nodes: for a game tree proposals, critiques, patches and how
    many proposals survive / are broken / are contested; for a problem tree its problems (the
    single top node, "Alignment", is the tree's root and not a problem)."""
    live = live_nodes(nodes)
    types = Counter(str(n.get("type") or "") for n in live)
    out = {
        "nodes": len(live),
        "proposals": types["proposal"],
        "critiques": types["critique"],
        "patches": types["patch"],
        "surviving": 0,
        "broken": 0,
        "contested": 0,
        "problems": 0,
    }
    if kind == "game":
        labels = survival(live)
        for n in live:
            if n.get("type") == "proposal":
                status = labels[n["id"]].status
                key = {"survives": "surviving", "broken": "broken"}.get(status, "contested")
                out[key] += 1
    else:
        ids = {n["id"] for n in live}
        tops = [n for n in live if not any(p in ids for p in parents_of(n))]
        problems = types["problem"]
        if len(tops) == 1 and tops[0].get("type") == "problem":
            problems -= 1
        out["problems"] = max(problems, 0)
    return out


def surviving_proposals(nodes: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The proposals of a game tree that survive, in tree order: `[{"node", "label"}]`."""
    live = live_nodes(nodes)
    labels = survival(live)
    return [
        {"node": n["id"], "label": short(n.get("text"), 200)}
        for n in live
        if n.get("type") == "proposal" and labels[n["id"]].status == "survives"
    ]


_COUNT_KEYS = ("proposals", "critiques", "patches", "surviving", "broken", "contested", "problems")


def add_counts(rows: Iterable[Mapping[str, int]]) -> dict[str, int]:
    total = dict.fromkeys(_COUNT_KEYS, 0)
    for row in rows:
        for key in _COUNT_KEYS:
            total[key] += int(row.get(key, 0))
    return total


# ---- per group -------------------------------------------------------------------------------


def group_summaries(
    groups: Sequence[tuple[int, str]],
    trees: Sequence[BoardTree],
    counts: Mapping[int, Mapping[str, int]],
) -> list[dict[str, Any]]:
    """One row per group, in the order given: its trees (with their counts) and the totals.

    The totals add up the trees that stand for the group (:func:`standing_trees`: per
    exercise, its merged tree once the round's merge made it, its members' own trees until
    then), each tree row saying whether it is ``counted``: a member's tree of a merged
    round is listed with its own counts but is not added again beside the merged tree that
    holds it (docs/guide.md, "The facilitator board").

    ``counts``: tree id -> :func:`tree_counts` (computed by the caller, cached by version).
    Trees of no group are gathered in a last row with ``id`` None, if there are any.
    """
    standing = standing_trees(trees)
    by_group: dict[int | None, list[BoardTree]] = {}
    for t in trees:
        by_group.setdefault(t.group, []).append(t)
    out = []
    order: list[tuple[int | None, str]] = list(groups)
    if by_group.get(None):
        order.append((None, "No group"))
    for gid, name in order:
        rows: list[dict[str, Any]] = [
            {
                "id": t.id,
                "title": t.title,
                "kind": t.kind,
                "exercise": t.exercise,
                "round": t.round,
                "participant": t.participant,
                "link_kind": t.link_kind,
                "counts": dict(counts.get(t.id) or tree_counts(t.kind, t.nodes)),
                "counted": t.id in standing,
            }
            for t in by_group.get(gid, [])
        ]
        out.append(
            {
                "id": gid,
                "name": name,
                "trees": rows,
                "totals": add_counts(t["counts"] for t in rows if t["counted"]),
            }
        )
    return out


# ---- across groups: the taut-constraint ranking ----------------------------------------------


def standing_trees(trees: Sequence[BoardTree]) -> set[int]:
    """The ids of the trees that stand for their group in their exercise, every group
    represented once per exercise: of each group's newest round that has trees, its merged
    tree when it has one (the merge already holds its sources), else all its trees of that
    round. A group without a merged tree (a group of one, its merge still running or
    failed) stands with its members' trees; a group whose merge has not forked the next
    round yet, with its trees of the round before. The ranking reads these trees
    (:func:`ranking_trees`) and a group's totals add up these trees' counts
    (:func:`group_summaries`), so a tree a merge holds is not counted again beside it."""
    by_key: dict[tuple[int | None, int | None], list[BoardTree]] = {}
    for t in trees:
        by_key.setdefault((t.exercise, t.group), []).append(t)
    chosen: set[int] = set()
    for group_trees in by_key.values():
        newest = max((t.round or 0) for t in group_trees)
        in_round = [t for t in group_trees if (t.round or 0) == newest]
        merged = [t for t in in_round if t.link_kind == "merged"]
        chosen.update(t.id for t in merged or in_round)
    return chosen


def ranking_trees(trees: Sequence[BoardTree], exercise: int | None) -> list[BoardTree]:
    """The trees whose ranking stands for an exercise (:func:`standing_trees`), in the
    order given."""
    mine = [t for t in trees if t.exercise == exercise]
    chosen = standing_trees(mine)
    return [t for t in mine if t.id in chosen]


def cross_group_ranking(
    trees: Sequence[BoardTree],
    *,
    top: int = RANKING_TOP,
    semantic: bool = False,
    clusters: bool = True,
) -> dict[str, Any]:
    """The taut constraints across the groups' trees of one exercise, most taut first.

    Game trees: failure-mode tags and clusters of untagged critiques scored by taut(F)
    (:func:`trees.analysis.recurrence.game_items`); problem trees: the problems of their
    automatic merge ranked by breadth x support. Each item says in how many groups it occurs.
    ``semantic``: read critiques with the shipped models, as the tree page's Analysis board
    does (:func:`~trees.analysis.recurrence.failure_modes.critique_models`: the static
    model and the critique reader), so an untagged critique reads the same here as there;
    else by words and the vocabulary's phrases only. ``clusters``: also rank clusters of
    untagged critiques (else the tags people gave only). Both are the costly part, computed
    off the serving process's live path (:func:`full_ranking`, trees/board_service.py).

    Problem trees of several groups count support in groups, not trees (a group whose merge
    is still running, or that has no merged tree, stands with its members' trees: a problem
    two of them drew is drawn by one group), so a problem scores the same before and after
    its group's merge. Trees of one group only count trees, as its merged tree will.
    """
    if not trees:
        return {"kind": None, "items": [], "trees": 0, "clusters": clusters}
    group_of = {t.id: t.group for t in trees}
    inputs = [TreeInput(t.id, t.nodes, t.kind, t.title, dict(t.meta)) for t in trees]
    game = [t for t in inputs if t.resolved_kind == "game"]
    problem = [t for t in inputs if t.resolved_kind != "game"]
    # A lone problem tree is ranked as it is, not merged again, so its problems' members
    # name the trees it was made from (a group's merged tree: the members' own trees; a
    # forked copy: the round before's), which the board does not rank: they stand for its
    # group. (Merged again, or for game trees, members name the ranked trees themselves.)
    lone = group_of[problem[0].id] if len(problem) == 1 else None
    items: list[dict[str, Any]] = []
    if game and not clusters:  # people's tags only: no critique is read
        items.extend(failure_mode_table(GameCorpus([(t.id, t.nodes) for t in game])))
    elif game:
        models = critique_models(semantic)
        items.extend(game_items(game, embedder=models.embedder, reader=models.reader))
    if problem:
        items.extend(problem_items(problem, units=group_units(problem, group_of)))
    kind = "mixed" if game and problem else ("game" if game else "problem")
    return {
        "kind": kind,
        "trees": len(trees),
        "clusters": clusters,
        "items": [_ranking_item(it, group_of, lone) for it in items[:top]],
    }


def full_ranking(trees: Sequence[BoardTree], *, progress: Any = None) -> dict[str, Any]:
    """An exercise's ranking as the board and the export show it: tags and clusters of
    untagged critiques read as on the Analysis board (:func:`cross_group_ranking` with
    ``semantic=True``), problems by breadth x support. The live board computes it in a
    thread of its child process, the REST board and the export in the Analysis's worker
    processes (trees/board_service.py), which call it in this form (``progress`` is not
    reported)."""
    return cross_group_ranking(trees, semantic=True)


def group_units(
    trees: Sequence[TreeInput], group_of: Mapping[Any, int | None]
) -> dict[Any, int] | None:
    """tree id -> group, what a problem's support counts when the trees come from two or
    more groups; ``None`` (count trees) for one group's trees. A tree of no group counts
    alone."""
    units = {t.id: g for t in trees if (g := group_of.get(t.id)) is not None}
    alone = sum(1 for t in trees if t.id not in units)
    return units if len(set(units.values())) + alone >= 2 else None


def _ranking_item(
    item: Mapping[str, Any], group_of: Mapping[Any, int | None], lone: int | None
) -> dict[str, Any]:
    """An item as the board shows it; `groups` counts the groups of its members' trees
    (`lone`: the group of a tree the ranking does not hold, see cross_group_ranking). A
    member read as a failure mode keeps its `mode` and `evidence`, as on the Analysis board."""
    members = list(item.get("members") or ())
    groups = {group_of.get(m.get("tree"), lone) for m in members} - {None}
    shown = []
    for m in members[:MEMBERS_SHOWN]:
        row = {"tree": m.get("tree"), "node": m.get("node"), "label": short(m.get("label"))}
        if "mode" in m:
            row["mode"] = m["mode"]
            row["evidence"] = list(m.get("evidence") or ())
        shown.append(row)
    out: dict[str, Any] = {
        "label": str(item.get("label") or ""),
        "kind": item.get("kind"),
        "tag": item.get("tag"),
        "score": item.get("score"),
        "groups": len(groups),
        "explanation": str(item.get("explanation") or ""),
        "members": shown,
        "member_count": len(members),
    }
    keys = ("props", "stand", "authors", "re", "breadth", "support", "mode", "family")
    for key in (*keys, "suggested_tag"):
        if key in item:
            out[key] = item[key]
    return out


def failure_mode_counts(trees: Sequence[BoardTree]) -> list[dict[str, Any]]:
    """Failure-mode tags on live critiques: `[{"tag", "critiques", "trees", "groups",
    "broken"}]`, most used first (the CSV export). `broken`: proposals a still-standing
    critique with the tag breaks."""
    from trees.analysis.recurrence.failure_modes import norm_tag

    rows: dict[str, dict[str, Any]] = {}
    for t in trees:
        if t.kind != "game":
            continue
        live = live_nodes(t.nodes)
        labels = survival(live)
        by_id = {n["id"]: n for n in live}
        for n in live:
            if n.get("type") != "critique":
                continue
            for tag in dict.fromkeys(norm_tag(x) for x in n.get("tags") or () if x):
                if not tag:
                    continue
                row = rows.setdefault(
                    tag, {"tag": tag, "critiques": 0, "trees": set(), "groups": set(), "broken": 0}
                )
                row["critiques"] += 1
                row["trees"].add(t.id)
                if t.group is not None:
                    row["groups"].add(t.group)
                parent = by_id.get(n.get("parent"))
                if (
                    parent is not None
                    and parent.get("type") == "proposal"
                    and labels[n["id"]].status == "survives"
                    and labels[parent["id"]].status == "broken"
                ):
                    row["broken"] += 1
    out = [{**r, "trees": len(r["trees"]), "groups": len(r["groups"])} for r in rows.values()]
    out.sort(key=lambda r: (-r["critiques"], -r["groups"], r["tag"]))
    return out


# ---- activity --------------------------------------------------------------------------------


def activity(edit_times: Iterable[float], now: float, *, window: float = 60.0) -> dict[str, Any]:
    """`{"last_edit", "edits_per_minute"}` from edit times (seconds since the epoch)."""
    times = list(edit_times)
    recent = sum(1 for t in times if now - window <= t <= now)
    return {
        "last_edit": max(times) if times else None,
        "edits_per_minute": round(recent * 60.0 / window, 1),
    }


# ---- before / after --------------------------------------------------------------------------


def compare_trees(
    before: tuple[Any, Sequence[Mapping[str, Any]]],
    after: tuple[Any, Sequence[Mapping[str, Any]]],
) -> dict[str, Any]:
    """What changed between two problem trees of one person, by the merge's matching.

    Returns `{"added": [...], "dropped": [...], "reworded": [...], "kept": n}`: a node of
    `after` that the merge matched to none of `before` was added, a node of `before` matched to
    none of `after` was dropped, a matched pair with different text was reworded (`{"before",
    "after", "score"}`). The root ("Alignment") is matched to the root and never listed.
    """
    from trees.analysis.merge import merge  # the matcher is heavy; load it only here

    (before_id, before_nodes), (after_id, after_nodes) = before, after
    if before_id == after_id:
        after_id = (after_id, "after")
    result = merge([(before_id, before_nodes), (after_id, after_nodes)], embedder=None)
    b_live = {n["id"]: n for n in live_nodes(before_nodes)}
    a_live = {n["id"]: n for n in live_nodes(after_nodes)}
    pairs: dict[Any, tuple[Any, float | None]] = {}
    for m in result["matches"]:
        ends = {m["a"]["tree"]: m["a"]["node"], m["b"]["tree"]: m["b"]["node"]}
        if before_id in ends and after_id in ends:
            pairs[ends[before_id]] = (ends[after_id], m.get("score"))
    # pairs in the merge's review band: the best-scoring free pairs, one partner each
    band = []
    for sug in result["suggestions"]:
        for cand in sug["candidates"]:
            band.append((float(cand["score"] or 0.0), sug["a"], cand))
    band.sort(key=lambda x: -x[0])
    matched_after = {a for a, _ in pairs.values()}
    for band_score, one, other in band:
        if band_score < REWORD_FLOOR:
            break
        ends = {one["tree"]: one["node"], other["tree"]: other["node"]}
        if before_id not in ends or after_id not in ends:
            continue
        b_id, a_id = ends[before_id], ends[after_id]
        if b_id in pairs or a_id in matched_after:
            continue
        pairs[b_id] = (a_id, band_score)
        matched_after.add(a_id)
    roots = {m["a"]["node"] for m in result["matches"] if m["reason"] == "root"} | {
        m["b"]["node"] for m in result["matches"] if m["reason"] == "root"
    }

    def ref(node: Mapping[str, Any]) -> dict[str, Any]:
        return {"node": node["id"], "label": str(node.get("text") or "")}

    reworded = []
    kept = 0
    for b_id, (a_id, score) in pairs.items():
        if b_id in roots:
            continue
        b_text = str(b_live[b_id].get("text") or "").strip()
        a_text = str(a_live[a_id].get("text") or "").strip()
        if b_text == a_text:
            kept += 1
        else:
            reworded.append(
                {"before": ref(b_live[b_id]), "after": ref(a_live[a_id]), "score": score}
            )
    return {
        "added": [ref(n) for i, n in a_live.items() if i not in matched_after and i not in roots],
        "dropped": [ref(n) for i, n in b_live.items() if i not in pairs and i not in roots],
        "reworded": reworded,
        "kept": kept,
    }
