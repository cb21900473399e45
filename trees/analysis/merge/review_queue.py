"""Analysis layer: one suggestion per pair of merged nodes in a merge's review queue.

`merge` proposes, for each node in the review band, its best candidate plus its top 3. Two
nodes that are each other's best candidate give two suggestions (A ≟ B and B ≟ A), and nodes
already matched automatically give one suggestion per source ("Goodhart's law" of two trees,
merged into one node, each ≟ "Goodhart"): on three people's 15-node trees, most of the queue.
A pair is a pair of *merged* nodes, so the queue is read through `holder`: the merged node
that holds a source ref now (None when no live node does; the ref then stands for itself).

A suggestion whose pair was already suggested moves on to its next candidate that makes a new
pair (so "Race dynamics between labs ≟ Labs racing to deploy" is kept when "Race dynamics
between labs ≟ Race dynamics" was the mirror of an earlier one), or goes when it has none.
Candidates already merged into `a`, or held by the same node as an earlier candidate, go too.
The rows are then in the order of the scores they show, best first.

`undecided` reads a stored queue as its review screen shows it: the next round's merge asks
its pending pairs again (`lineage.carry_suggestions`).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

Ref = Mapping[str, Any]
Holder = Callable[[Ref], Hashable | None]


def holder_of(nodes: Iterable[Mapping[str, Any]]) -> Callable[[Ref], str | None]:
    """Source ref -> the id of the node of `nodes` (a merge's) whose `meta.sources` hold it."""
    held: dict[tuple[Any, str], str] = {}
    for n in nodes:
        for src in (n.get("meta") or {}).get("sources") or ():
            held[(src["tree"], str(src["node"]))] = n["id"]
    return lambda ref: held.get((ref.get("tree"), str(ref.get("node"))))


def _who(ref: Ref, holder: Holder) -> Hashable:
    held = holder(ref)
    return held if held is not None else ("source", ref.get("tree"), str(ref.get("node")))


def pair_key(a: Ref, b: Ref, holder: Holder) -> frozenset[Hashable]:
    """The unordered pair of merged nodes two source refs stand for."""
    return frozenset((_who(a, holder), _who(b, holder)))


def _explain(components: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {float(v):.2f}" for k, v in components.items())


def distinct_suggestions(
    suggestions: Iterable[Mapping[str, Any]], holder: Holder
) -> list[dict[str, Any]]:
    """The suggestions (``{"a", "b", "score", "components", "explanation", "candidates"}``,
    best first) with every pair of merged nodes once; see the module docstring."""
    seen: set[frozenset[Hashable]] = set()
    out: list[dict[str, Any]] = []
    for s in suggestions:
        a = s["a"]
        mine = _who(a, holder)
        candidates: list[Mapping[str, Any]] = []
        held: set[Hashable] = {mine}
        for c in s.get("candidates") or ():
            who = _who(c, holder)
            if who not in held:
                held.add(who)
                candidates.append(c)
        if not candidates:  # no candidates listed: the pair itself is the only one
            candidates = [] if _who(s["b"], holder) == mine else [{**s["b"], "score": s["score"]}]
        first = next((c for c in candidates if pair_key(a, c, holder) not in seen), None)
        if first is None:
            continue
        seen.add(pair_key(a, first, holder))
        row = dict(s)
        row["candidates"] = [
            c for c in candidates if c is first or pair_key(a, c, holder) not in seen
        ]
        if pair_key(a, s["b"], holder) != pair_key(a, first, holder):
            components = dict(first.get("components") or {})
            row.update(
                b={k: first[k] for k in ("tree", "node", "label") if k in first},
                score=first.get("score", s["score"]),
                components=components,
                explanation=_explain(components),
            )
        out.append(row)
    # A row moved on to a later candidate scores that candidate's score, lower than its place
    # said: the queue is "most likely first" by the scores it shows (ties keep merge order).
    out.sort(key=lambda row: -float(row["score"]))
    return out


def shown(rows: Sequence[Mapping[str, Any]], holder: Holder) -> list[int]:
    """The positions of a stored queue's rows (``{"a", "b", "status", "chosen", ...}`` in
    queue order) that its review screen shows: every decided row, and a pending one only when
    no row before it (decided ones first) stands for the same pair of merged nodes now, and
    its two nodes are not one already (an accept joined them). Queues stored before merges
    kept one suggestion per pair (mirror pairs, sources matched automatically) read the same
    way. `trees.analysis_service` serves the queue by it; the next round carries its
    pending rows (:func:`undecided`)."""
    seen = {
        pair_key(s["a"], s.get("chosen") or s["b"], holder)
        for s in rows
        if s.get("status") != "pending"
    }
    out: list[int] = []
    for i, s in enumerate(rows):
        if s.get("status") == "pending":
            key = pair_key(s["a"], s["b"], holder)
            if key in seen or len(key) == 1:
                continue
            seen.add(key)
        out.append(i)
    return out


def undecided(rows: Iterable[Mapping[str, Any]], holder: Holder) -> list[Mapping[str, Any]]:
    """The pending rows of a stored queue that its review screen shows (:func:`shown`): what
    the group saw undecided, which the next round's merge asks again."""
    rows = list(rows)
    return [rows[i] for i in shown(rows, holder) if rows[i].get("status") == "pending"]
