"""Action layer: decisions on a merged tree's review queue (accept, reject, pick, undo); the
ops they apply are planned in `review_plan.py`, the hand tools are in `node_tools.py`.

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
from trees.actions.merges import glossary_save, user_glossary
from trees.actions.ops import OpRequest, tree_apply_ops
from trees.actions.review_plan import (
    plan_match,
    plan_undo,
)
from trees.domain import TreeState
from trees.domain.errors import ActionError
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


def apply_ops(tree_id: int, actor_id: int, ops: list[Op]) -> None:
    apply_as(tree_id, actor_id, review_client_id(actor_id), ops)


def apply_as(tree_id: int, actor_id: int, client_id: str, ops: list[Op]) -> None:
    """Apply `ops` through the single write path as `client_id`; the caller's transaction
    holds the tree lock, so the next client counter is free."""
    if not ops:
        return
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


def locked_suggestion(tree: Tree, suggestion_id: int) -> tuple[Tree, MergeSuggestion, TreeState]:
    if not 0 < suggestion_id <= MAX_PK:
        raise ActionError("not_found", "No such suggestion in this tree.")
    locked = Tree.objects.select_for_update().get(pk=tree.pk)
    s = MergeSuggestion.objects.select_for_update().filter(pk=suggestion_id, tree=locked).first()
    if s is None:
        raise ActionError("not_found", "No such suggestion in this tree.")
    state = state_cache.state_for(locked.pk, locked.kind, locked.version)
    return locked, s, state


def _same(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    if not a or not b:
        return False
    return (a["tree"], str(a["node"])) == (b["tree"], str(b["node"]))


def _one_node(index: service.SourceIndex, x: Mapping[str, Any], y: Mapping[str, Any]) -> bool:
    """Do source refs `x` and `y` stand for one live merged node (before the decision)?"""
    nx, ny = index.get((x["tree"], str(x["node"]))), index.get((y["tree"], str(y["node"])))
    return nx is not None and ny is not None and nx["id"] == ny["id"]


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
    *,
    tree: Tree,
    actor_id: int,
    suggestion_id: int,
    decision: object,
    candidate: object = None,
    label: object = None,
) -> dict[str, Any]:
    """Accept, reject or pick; answers `{"suggestion", "progress"}` (also broadcast).

    `label` ("a", the default, or "b"): whose label the merged node keeps; the other one is
    kept as an alias (`meta.aliases`). Sending the same decision again changes nothing and
    answers the same; a different decision on a decided suggestion is a `conflict` (undo it
    first).
    """
    if decision not in DECISIONS:
        raise ActionError("invalid", "decision must be accept, reject or pick.")
    if label not in (None, "a", "b"):
        raise ActionError("invalid", 'label must be "a" or "b": whose label stays.')
    with transaction.atomic():
        locked, s, state = locked_suggestion(tree, suggestion_id)
        index = service.source_index(state.snapshot(), locked.pk)
        if decision == "reject":
            if s.status == SuggestionStatus.PENDING:
                _reject(s, actor_id)
            elif s.status != SuggestionStatus.REJECTED:
                raise ActionError("conflict", "This suggestion was accepted; undo it first.")
        else:
            chosen = _chosen(s, str(decision), candidate, index)
            if s.status == SuggestionStatus.PENDING:
                accept_match(locked, s, state, index, chosen, actor_id, label == "b")
                if not _same(chosen, s.b) and not _one_node(index, chosen, s.b):
                    _ask_again(locked, s, chosen)
            elif not (s.status == SuggestionStatus.ACCEPTED and _same(s.chosen, chosen)):
                raise ActionError("conflict", f"This suggestion is {s.status}; undo it first.")
        payload = service.review_event(locked.pk, s.pk)
        transaction.on_commit(lambda: broadcast_review(locked.pk, payload))
    return payload


def _ask_again(tree: Tree, s: MergeSuggestion, chosen: Mapping[str, Any]) -> None:
    """A pick merged another candidate into a: whether b is the same problem as a is still
    open, so that pair is asked again as a new pending suggestion at the end of the queue
    (undo takes it back while it is pending)."""
    last = MergeSuggestion.objects.filter(tree=tree).aggregate(m=Max("position"))["m"]
    MergeSuggestion.objects.create(
        tree=tree,
        position=(last if last is not None else -1) + 1,
        a_tree=s.a_tree,
        b_tree=s.b_tree,
        a=s.a,
        b=s.b,
        score=s.score,
        components=s.components,
        explanation=s.explanation,
        candidates=[c for c in s.candidates if not _same(c, chosen)],
    )


def _reject(s: MergeSuggestion, actor_id: int) -> None:
    RejectedPair.objects.get_or_create(
        **_pair_key(s.a, s.b), defaults={"suggestion": s, "rejected_by_id": actor_id}
    )
    s.status = SuggestionStatus.REJECTED
    s.decided_by_id = actor_id
    s.decided_at = timezone.now()
    s.save(update_fields=["status", "decided_by", "decided_at"])


def accept_match(
    tree: Tree,
    s: MergeSuggestion,
    state: TreeState,
    index: service.SourceIndex,
    chosen: dict[str, Any],
    actor_id: int,
    b_label: bool = False,
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
        label = str((b if b_label else a).get("text") or "")
        ops, inverse = plan_match(state, a["id"], b["id"], label=label, tree_id=tree.pk)
    apply_ops(tree.pk, actor_id, ops)
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
        locked, s, state = locked_suggestion(tree, suggestion_id)
        if s.status == SuggestionStatus.ACCEPTED:
            apply_ops(locked.pk, actor_id, plan_undo(state, list(s.inverse_ops)))
            if not _same(s.chosen, s.b):
                # the pair a pick left open goes back into this suggestion (still pending)
                pending = MergeSuggestion.objects.filter(
                    tree=locked, status=SuggestionStatus.PENDING, a_tree=s.a_tree, b_tree=s.b_tree
                ).exclude(pk=s.pk)
                again = [x.pk for x in pending if _same(x.a, s.a) and _same(x.b, s.b)]
                MergeSuggestion.objects.filter(pk__in=again).delete()
        elif s.status == SuggestionStatus.REJECTED:
            RejectedPair.objects.filter(**_pair_key(s.a, s.b)).delete()
        reopen(locked, s)
        payload = service.review_event(locked.pk, s.pk)
        transaction.on_commit(lambda: broadcast_review(locked.pk, payload))
    return payload


def reopen(tree: Tree, s: MergeSuggestion) -> None:
    """Set a decided suggestion back to pending; an accepted one forgets the aliases it taught
    the owner's glossary. Its ops are the caller's to undo (or already undone by a split)."""
    if s.status == SuggestionStatus.PENDING:
        return
    for alias, canonical in (s.learned or {}).items():
        GlossaryEntry.objects.filter(
            user_id=tree.owner_id, alias=alias, canonical=canonical
        ).delete()
        if (tree.meta.get("glossary") or {}).get(alias) == canonical:
            glossary = dict(tree.meta["glossary"])
            del glossary[alias]
            tree.meta = {**tree.meta, "glossary": glossary}
            tree.save(update_fields=["meta"])
    s.status = SuggestionStatus.PENDING
    s.chosen = None
    s.inverse_ops = []
    s.learned = {}
    s.decided_by = None
    s.decided_at = None
    s.save(update_fields=["status", "chosen", "inverse_ops", "learned", "decided_by", "decided_at"])


# ---- merging by hand, splitting, settling round conflicts --------------------------------------
