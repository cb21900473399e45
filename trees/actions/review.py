"""Action layer: decisions on a merged tree's review queue (accept, reject, pick, undo).

An accepted match merges node b into node a of the merged tree through ordinary ops (children
of b move under a, links to and from b move to a, a's `meta.sources` gains b's sources by a
`set meta`, b is deleted), applied by `tree_apply_ops` so live clients see each one. The ops
that undo it are stored on the suggestion. Everything for one decision is one transaction:
the tree row is locked first, so the ops are planned on exactly the state they apply to. The
`review` event is broadcast after commit, after the decision's `op` broadcasts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from trees import analysis_service as service
from trees.actions import state_cache
from trees.actions.merges import fit_meta, glossary_save, user_glossary
from trees.actions.ops import OpRequest, tree_apply_ops
from trees.domain import OpError, TreeState
from trees.errors import ActionError
from trees.models import (
    GlossaryEntry,
    MergeSuggestion,
    OpLog,
    RejectedPair,
    SuggestionStatus,
    Tree,
)
from trees.realtime.broadcast import broadcast_review
from trees.selectors import MAX_PK

DECISIONS = ("accept", "reject", "pick")
Op = dict[str, Any]


def review_client_id(actor_id: int) -> str:
    return f"review:{actor_id}"


# ---- planning: the ops of one match and the ops that undo it ---------------------------------


class _Plan:
    def __init__(self, state: TreeState) -> None:
        self.sim = state.copy()
        self.ops: list[Op] = []
        self.undo_groups: list[list[Op]] = []

    def add(self, op: Op, undo: list[Op]) -> OpError | None:
        try:
            self.sim.apply(op, seq=self.sim.version + 1, actor=None)
        except OpError as exc:
            return exc
        self.ops.append(op)
        self.undo_groups.append(undo)
        return None

    @property
    def inverse(self) -> list[Op]:
        return [op for group in reversed(self.undo_groups) for op in group]


def _primary_ancestors(state: TreeState, node_id: str) -> set[str]:
    out: set[str] = set()
    current = state.nodes[node_id].parent
    while current is not None and current not in out:
        out.add(current)
        current = state.nodes[current].parent
    return out


def _merged_meta(keep: Mapping[str, Any], gone: Mapping[str, Any], keep_id: str) -> dict[str, Any]:
    sources = list(keep.get("sources") or [])
    seen = {(s.get("tree"), s.get("node")) for s in sources}
    for s in gone.get("sources") or []:
        if (s.get("tree"), s.get("node")) not in seen:
            sources.append(s)
            seen.add((s.get("tree"), s.get("node")))
    edges: dict[str, list[Any]] = {
        p: list(who) for p, who in (keep.get("edge_contributors") or {}).items()
    }
    for p, who in (gone.get("edge_contributors") or {}).items():
        if p != keep_id:  # gone linked under keep: that edge disappears with it
            edges[p] = list(dict.fromkeys([*edges.get(p, []), *who]))
    meta = {**dict(gone), **dict(keep)}
    meta.update(
        sources=sources,
        contributors=len({s.get("tree") for s in sources}),
        edge_contributors=edges,
    )
    return fit_meta(meta)


def _renamed_edge(
    meta: Mapping[str, Any], gone: str, keep: str, *, self_edge: bool
) -> dict[str, Any] | None:
    """`meta` with the edge entry of parent `gone` moved to `keep` (dropped on `keep` itself);
    None when it has no such entry."""
    edges = dict(meta.get("edge_contributors") or {})
    if gone not in edges:
        return None
    who = edges.pop(gone)
    if not self_edge:
        edges[keep] = list(dict.fromkeys([*edges.get(keep, []), *who]))
    return fit_meta({**dict(meta), "edge_contributors": edges})


def plan_match(state: TreeState, keep: str, gone: str) -> tuple[list[Op], list[Op]]:
    """Ops that merge node `gone` into node `keep`, and the ops that undo them."""
    if gone in _primary_ancestors(state, keep):
        # `keep` sits below `gone`: deleting `gone` would take it along, so keep `gone`.
        keep, gone = gone, keep
    plan = _Plan(state)
    nodes = plan.sim.nodes
    g = nodes[gone]
    for child in [c for c in plan.sim.children(gone) if not c.deleted]:
        undo: list[Op] = [{"kind": "move", "id": child.id, "parent": gone, "key": child.key}]
        if keep in child.parents:
            undo.append({"kind": "link", "id": child.id, "parent": keep})
        err = plan.add({"kind": "move", "id": child.id, "parent": keep}, undo)
        if err is not None:
            raise ActionError(
                err.code,
                f"Cannot merge: {child.text[:60]!r} would end up under itself ({err.message}).",
            )
    for x in [n for n in nodes.values() if not n.deleted and gone in n.parents]:
        plan.add(
            {"kind": "unlink", "id": x.id, "parent": gone},
            [{"kind": "link", "id": x.id, "parent": gone}],
        )
        if x.id != keep and x.parent != keep and keep not in x.parents:
            # Refused when keep is below x: that edge would be a cycle, and keep is there anyway.
            plan.add(
                {"kind": "link", "id": x.id, "parent": keep},
                [{"kind": "unlink", "id": x.id, "parent": keep}],
            )
    for p in [g.parent, *g.parents]:
        k = nodes[keep]
        if p is None or p == keep or p == k.parent or p in k.parents:
            continue
        plan.add(
            {"kind": "link", "id": keep, "parent": p},
            [{"kind": "unlink", "id": keep, "parent": p}],
        )
    for x in [n for n in nodes.values() if not n.deleted and n.id != gone]:
        renamed = _renamed_edge(x.meta, gone, keep, self_edge=x.id == keep)
        if renamed is not None:
            plan.add(
                {"kind": "set", "id": x.id, "field": "meta", "value": renamed},
                [{"kind": "set", "id": x.id, "field": "meta", "value": dict(x.meta)}],
            )
    k = nodes[keep]
    old_meta = dict(k.meta)
    plan.add(
        {"kind": "set", "id": keep, "field": "meta", "value": _merged_meta(old_meta, g.meta, keep)},
        [{"kind": "set", "id": keep, "field": "meta", "value": old_meta}],
    )
    err = plan.add({"kind": "delete", "id": gone}, [{"kind": "restore", "id": gone}])
    if err is not None:
        raise ActionError(err.code, f"Cannot merge: {err.message}.")
    return plan.ops, plan.inverse


def plan_undo(state: TreeState, inverse: list[Op]) -> list[Op]:
    """The stored inverse ops that still apply; links already there or gone are skipped."""
    plan = _Plan(state)
    for op in inverse:
        err = plan.add(op, [])
        if err is None:
            continue
        if op["kind"] in ("link", "unlink") and err.code in ("conflict", "not_found", "deleted"):
            continue
        raise ActionError(
            "conflict", f"The merged tree changed since this decision; undo by hand: {err.message}"
        )
    return plan.ops


# ---- applying --------------------------------------------------------------------------------


def _apply(tree_id: int, actor_id: int, ops: list[Op]) -> None:
    """Apply `ops` through the single write path as client `review:<actor>`; the caller's
    transaction holds the tree lock, so the next client counter is free."""
    if not ops:
        return
    client_id = review_client_id(actor_id)
    last = OpLog.objects.filter(tree_id=tree_id, client_id=client_id).aggregate(m=Max("client_n"))
    start = (last["m"] or 0) + 1
    requests = [
        OpRequest(tree_id=tree_id, actor_id=actor_id, client_id=client_id, n=start + i, op=op)
        for i, op in enumerate(ops)
    ]
    for outcome in tree_apply_ops(requests):
        if isinstance(outcome, ActionError):
            state_cache.forget(tree_id)
            raise ActionError(outcome.code, f"The merge could not be applied: {outcome.message}")


def _locked(tree: Tree, suggestion_id: int) -> tuple[Tree, MergeSuggestion, TreeState]:
    if not 0 < suggestion_id <= MAX_PK:
        raise ActionError("not_found", "No such suggestion in this tree.")
    locked = Tree.objects.select_for_update().get(pk=tree.pk)
    s = MergeSuggestion.objects.select_for_update().filter(pk=suggestion_id, tree=locked).first()
    if s is None:
        raise ActionError("not_found", "No such suggestion in this tree.")
    state = state_cache.state_for(locked.pk, locked.kind, locked.version)
    return locked, s, state


def _same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    return bool(a and b) and (a["tree"], str(a["node"])) == (b["tree"], str(b["node"]))


def _chosen(
    s: MergeSuggestion, decision: str, candidate: object, index: service.SourceIndex
) -> dict[str, Any]:
    if decision == "accept":
        return dict(s.b)
    if not isinstance(candidate, str) or not candidate:
        raise ActionError("invalid", "pick needs a candidate: a node id from candidates.")
    for c in s.candidates:
        held = index.get((c["tree"], str(c["node"])))
        if str(c["node"]) == candidate or (held is not None and held["id"] == candidate):
            return {"tree": c["tree"], "node": str(c["node"]), "label": c.get("label", "")}
    raise ActionError("invalid", "candidate is not one of this suggestion's candidates.")


def _pair_key(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    (ta, na), (tb, nb) = sorted([(a["tree"], str(a["node"])), (b["tree"], str(b["node"]))])
    return {"a_tree_id": ta, "a_node": na, "b_tree_id": tb, "b_node": nb}


def review_decide(
    *, tree: Tree, actor_id: int, suggestion_id: int, decision: object, candidate: object = None
) -> dict[str, Any]:
    """Accept, reject or pick; answers `{"suggestion", "progress"}` (also broadcast).

    Sending the same decision again changes nothing and answers the same; a different
    decision on a decided suggestion is a `conflict` (undo it first).
    """
    if decision not in DECISIONS:
        raise ActionError("invalid", "decision must be accept, reject or pick.")
    with transaction.atomic():
        locked, s, state = _locked(tree, suggestion_id)
        index = service.source_index(state.snapshot())
        if decision == "reject":
            if s.status == SuggestionStatus.PENDING:
                _reject(s, actor_id)
            elif s.status != SuggestionStatus.REJECTED:
                raise ActionError("conflict", "This suggestion was accepted; undo it first.")
        else:
            chosen = _chosen(s, str(decision), candidate, index)
            if s.status == SuggestionStatus.PENDING:
                _accept(locked, s, state, index, chosen, actor_id)
            elif not (s.status == SuggestionStatus.ACCEPTED and _same(s.chosen, chosen)):
                raise ActionError("conflict", f"This suggestion is {s.status}; undo it first.")
        payload = service.review_event(locked.pk, s.pk)
        transaction.on_commit(lambda: broadcast_review(locked.pk, payload))
    return payload


def _reject(s: MergeSuggestion, actor_id: int) -> None:
    RejectedPair.objects.get_or_create(
        **_pair_key(s.a, s.b), defaults={"suggestion": s, "rejected_by_id": actor_id}
    )
    s.status = SuggestionStatus.REJECTED
    s.decided_by_id = actor_id
    s.decided_at = timezone.now()
    s.save(update_fields=["status", "decided_by", "decided_at"])


def _accept(
    tree: Tree,
    s: MergeSuggestion,
    state: TreeState,
    index: service.SourceIndex,
    chosen: dict[str, Any],
    actor_id: int,
) -> None:
    a = index.get((s.a["tree"], str(s.a["node"])))
    b = index.get((chosen["tree"], str(chosen["node"])))
    if a is None or b is None:
        missing = s.a if a is None else chosen
        raise ActionError(
            "conflict", f"{missing.get('label', '')!r} is no longer in the merged tree."
        )
    ops: list[Op] = []
    inverse: list[Op] = []
    if a["id"] != b["id"]:  # else an earlier decision merged them already
        ops, inverse = plan_match(state, a["id"], b["id"])
    _apply(tree.pk, actor_id, ops)
    glossary = user_glossary(tree.owner_id)
    before = glossary.to_dict()
    glossary.learn(str(s.a.get("label", "")), str(chosen.get("label", "")))
    learned = glossary_save(tree.owner_id, before, glossary.to_dict())
    if learned:
        tree.meta = {**tree.meta, "glossary": {**tree.meta.get("glossary", {}), **learned}}
        tree.save(update_fields=["meta"])
    s.status = SuggestionStatus.ACCEPTED
    s.chosen = chosen
    s.inverse_ops = inverse
    s.learned = learned
    s.decided_by_id = actor_id
    s.decided_at = timezone.now()
    s.save(update_fields=["status", "chosen", "inverse_ops", "learned", "decided_by", "decided_at"])


def review_undo(*, tree: Tree, actor_id: int, suggestion_id: int) -> dict[str, Any]:
    """Undo a decision: apply the stored inverse ops, forget the rejected pair or the learned
    aliases, and set the suggestion back to pending. Undoing a pending one changes nothing."""
    with transaction.atomic():
        locked, s, state = _locked(tree, suggestion_id)
        if s.status == SuggestionStatus.ACCEPTED:
            _apply(locked.pk, actor_id, plan_undo(state, list(s.inverse_ops)))
            for alias, canonical in (s.learned or {}).items():
                GlossaryEntry.objects.filter(
                    user_id=locked.owner_id, alias=alias, canonical=canonical
                ).delete()
                if (locked.meta.get("glossary") or {}).get(alias) == canonical:
                    glossary = dict(locked.meta["glossary"])
                    del glossary[alias]
                    locked.meta = {**locked.meta, "glossary": glossary}
                    locked.save(update_fields=["meta"])
        elif s.status == SuggestionStatus.REJECTED:
            RejectedPair.objects.filter(**_pair_key(s.a, s.b)).delete()
        if s.status != SuggestionStatus.PENDING:
            s.status = SuggestionStatus.PENDING
            s.chosen = None
            s.inverse_ops = []
            s.learned = {}
            s.decided_by = None
            s.decided_at = None
            s.save(
                update_fields=[
                    "status",
                    "chosen",
                    "inverse_ops",
                    "learned",
                    "decided_by",
                    "decided_at",
                ]
            )
        payload = service.review_event(locked.pk, s.pk)
        transaction.on_commit(lambda: broadcast_review(locked.pk, payload))
    return payload
