"""Action layer: decisions on a merged tree's review queue (accept, reject, pick, undo).

An accepted match merges node b into node a of the merged tree through ordinary ops (children
of b move under a, links to and from b move to a, a's `meta.sources` gains b's sources by a
`set meta`, b is deleted), applied by `tree_apply_ops` so live clients see each one. The ops
that undo it are stored on the suggestion. Everything for one decision is one transaction:
the tree row is locked first, so the ops are planned on exactly the state they apply to. The
`review` event is broadcast after commit, after the decision's `op` broadcasts.
"""

from __future__ import annotations

import uuid
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
    TreeKind,
)
from trees.realtime.broadcast import broadcast_review
from trees.selectors import MAX_PK

DECISIONS = ("accept", "reject", "pick")
Op = dict[str, Any]
# A merged node keeps the other names it was drawn with (meta.aliases), shown with it.
MAX_ALIASES = 20
ALIAS_CHARS = 300


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


def _merged_meta(
    keep: Mapping[str, Any],
    gone: Mapping[str, Any],
    keep_id: str,
    aliases: list[str] | None = None,
) -> dict[str, Any]:
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
    if aliases:
        meta["aliases"] = aliases
    return fit_meta(meta)


def merged_aliases(
    keep: Mapping[str, Any], gone: Mapping[str, Any], texts: list[str], label: str
) -> list[str]:
    """The names a merged node is also known by: both nodes' aliases and texts, except the
    label it keeps (first spelling of each, at most MAX_ALIASES)."""
    seen = {label.strip().casefold()}
    out: list[str] = []
    for name in [*(keep.get("aliases") or []), *texts, *(gone.get("aliases") or [])]:
        name = str(name).strip()[:ALIAS_CHARS]
        if name and name.casefold() not in seen:
            seen.add(name.casefold())
            out.append(name)
    return out[:MAX_ALIASES]


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


def _self_source(tree_id: int | None, node: Any) -> dict[str, Any]:
    return {"tree": tree_id, "node": node.id, "label": node.text[:300], "author": node.author}


def plan_match(
    state: TreeState,
    keep: str,
    gone: str,
    *,
    label: str | None = None,
    tree_id: int | None = None,
) -> tuple[list[Op], list[Op]]:
    """Ops that merge node `gone` into node `keep`, and the ops that undo them.

    `label`: the text the merged node keeps (default: `keep`'s); the other node's text and
    both nodes' aliases go to its `meta.aliases`. A node that has no `meta.sources` (drawn
    in this tree, not brought by a merge) counts as its own source (`tree_id`), so the
    merged node can be split back.
    """
    if gone in _primary_ancestors(state, keep):
        # `keep` sits below `gone`: deleting `gone` would take it along, so keep `gone`.
        keep, gone = gone, keep
    plan = _Plan(state)
    nodes = plan.sim.nodes
    texts = [nodes[keep].text, nodes[gone].text]
    label = texts[0] if label is None else label
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
    keep_meta, gone_meta = dict(old_meta), dict(g.meta)
    if not keep_meta.get("sources"):
        keep_meta["sources"] = [_self_source(tree_id, k)]
    if not gone_meta.get("sources"):
        gone_meta["sources"] = [_self_source(tree_id, g)]
    aliases = merged_aliases(old_meta, g.meta, texts, label)
    plan.add(
        {
            "kind": "set",
            "id": keep,
            "field": "meta",
            "value": _merged_meta(keep_meta, gone_meta, keep, aliases),
        },
        [{"kind": "set", "id": keep, "field": "meta", "value": old_meta}],
    )
    if label != k.text:
        plan.add(
            {"kind": "set", "id": keep, "field": "text", "value": label},
            [{"kind": "set", "id": keep, "field": "text", "value": k.text}],
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
    if not a or not b:
        return False
    return (a["tree"], str(a["node"])) == (b["tree"], str(b["node"]))


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
        locked, s, state = _locked(tree, suggestion_id)
        index = service.source_index(state.snapshot(), locked.pk)
        if decision == "reject":
            if s.status == SuggestionStatus.PENDING:
                _reject(s, actor_id)
            elif s.status != SuggestionStatus.REJECTED:
                raise ActionError("conflict", "This suggestion was accepted; undo it first.")
        else:
            chosen = _chosen(s, str(decision), candidate, index)
            if s.status == SuggestionStatus.PENDING:
                _accept(locked, s, state, index, chosen, actor_id, label == "b")
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


# ---- merging by hand, splitting, settling round conflicts --------------------------------------


def _node_ref(tree_id: int, node: Mapping[str, Any]) -> dict[str, Any]:
    """The ref a node is known by in the queue: its first source, or itself."""
    sources = (node.get("meta") or {}).get("sources") or []
    if sources:
        src = sources[0]
        return {"tree": src["tree"], "node": str(src["node"]), "label": str(src.get("label", ""))}
    return {"tree": tree_id, "node": str(node["id"]), "label": str(node.get("text", ""))[:300]}


def _live(state: TreeState, node_id: object, what: str) -> Any:
    node = state.nodes.get(str(node_id).lower()) if isinstance(node_id, str) else None
    if node is None or node.deleted:
        raise ActionError("not_found", f"No live node {what} in this tree.")
    return node


def nodes_merge(
    *, tree: Tree, actor_id: int, a: object, b: object, label: object = None
) -> dict[str, Any]:
    """Merge node `b` into node `a` by hand (any two live nodes of a problem tree): the same
    ops as an accepted suggestion, recorded as an accepted suggestion "merged by hand" so that
    everyone's review queue shows it and its Undo splits it again. `label` ("a" or "b"): whose
    text stays; the other is kept as an alias. Answers and broadcasts `{"suggestion",
    "progress"}`."""
    if tree.kind != TreeKind.PROBLEM:
        raise ActionError("invalid", "Nodes are merged in problem trees.")
    if label not in (None, "a", "b"):
        raise ActionError("invalid", 'label must be "a" or "b": whose label stays.')
    with transaction.atomic():
        locked = Tree.objects.select_for_update().get(pk=tree.pk)
        state = state_cache.state_for(locked.pk, locked.kind, locked.version)
        na, nb = _live(state, a, "a"), _live(state, b, "b")
        if na.id == nb.id:
            raise ActionError("invalid", "Merge two different nodes.")
        ra, rb = _node_ref(locked.pk, na.to_dict()), _node_ref(locked.pk, nb.to_dict())
        last = MergeSuggestion.objects.filter(tree=locked).aggregate(m=Max("position"))["m"]
        s = MergeSuggestion.objects.create(
            tree=locked,
            position=(last if last is not None else -1) + 1,
            a_tree=ra["tree"],
            b_tree=rb["tree"],
            a=ra,
            b=rb,
            score=1.0,
            explanation="merged by hand",
        )
        index = service.source_index(state.snapshot(), locked.pk)
        _accept(locked, s, state, index, dict(rb), actor_id, label == "b")
        payload = service.review_event(locked.pk, s.pk)
        transaction.on_commit(lambda: broadcast_review(locked.pk, payload))
    return payload


def plan_split(state: TreeState, node_id: str) -> list[Op]:
    """Ops that split a merged node back into one node per source tree: the first source
    tree's sources stay on it; each other tree's get a new node beside it (its label, its
    sources), and the children and extra parents only that tree drew (`edge_contributors`)
    move with it."""
    node = state.nodes[node_id]
    sources = list(node.meta.get("sources") or [])
    groups: dict[Any, list[dict[str, Any]]] = {}
    for src in sources:
        groups.setdefault(src.get("tree"), []).append(src)
    if len(groups) < 2:
        raise ActionError("invalid", "This node was drawn in one tree only: nothing to split.")
    plan = _Plan(state)
    keep_tree, *others = list(groups)
    edges = dict(node.meta.get("edge_contributors") or {})
    kept_meta = {
        **dict(node.meta),
        "sources": groups[keep_tree],
        "contributors": 1,
        "edge_contributors": edges,
    }
    kept_meta.pop("aliases", None)
    plan.add({"kind": "set", "id": node_id, "field": "meta", "value": fit_meta(kept_meta)}, [])
    texts = {node.text}
    for tree_key in others:
        group = groups[tree_key]
        new_id = str(uuid.uuid4())
        text = str(group[0].get("label") or node.text)
        own_edges = {p: who for p, who in edges.items() if set(who) and set(who) <= {tree_key}}
        meta = {"sources": group, "contributors": 1, "edge_contributors": own_edges}
        if node.parent is not None and node.parent not in own_edges:
            meta["edge_contributors"] = {**own_edges, node.parent: [tree_key]}
        err = plan.add(
            {
                "kind": "create",
                "id": new_id,
                "type": node.type,
                "parent": node.parent,
                "text": text,
                "meta": fit_meta(meta),
            },
            [],
        )
        if err is not None:
            raise ActionError(err.code, f"Cannot split: {err.message}.")
        texts.add(text)
        for p in [x for x in node.parents if x in own_edges]:
            plan.add({"kind": "unlink", "id": node_id, "parent": p}, [])
            plan.add({"kind": "link", "id": new_id, "parent": p}, [])
        for child in [c for c in plan.sim.children(node_id) if not c.deleted]:
            who = set((child.meta.get("edge_contributors") or {}).get(node_id) or [])
            if who and who <= {tree_key}:
                plan.add({"kind": "move", "id": child.id, "parent": new_id}, [])
                renamed = _renamed_edge(child.meta, node_id, new_id, self_edge=False)
                if renamed is not None:
                    plan.add({"kind": "set", "id": child.id, "field": "meta", "value": renamed}, [])
    return plan.ops


def node_split(*, tree: Tree, actor_id: int, node_id: object) -> list[str]:
    """Split a merged node back into its sources (`plan_split`), through ordinary ops that
    every live client sees. Answers the ids of the nodes it now is (the node first)."""
    if tree.kind != TreeKind.PROBLEM:
        raise ActionError("invalid", "Only merged problem-tree nodes split.")
    with transaction.atomic():
        locked = Tree.objects.select_for_update().get(pk=tree.pk)
        state = state_cache.state_for(locked.pk, locked.kind, locked.version)
        node = _live(state, node_id, str(node_id)[:40])
        ops = plan_split(state, node.id)
        _apply(locked.pk, actor_id, ops)
    return [node.id, *(op["id"] for op in ops if op["kind"] == "create")]


def conflict_pick(*, tree: Tree, actor_id: int, index: int, pick: object) -> dict[str, Any]:
    """Settle a round-merge conflict (`meta.conflicts[index]`): `pick` is the id of the copy
    whose value wins, or "base". A text pick sets the merged node's text (an ordinary op);
    a deletion conflict's pick of a copy that deleted it deletes the node. The conflict keeps
    `resolved` = `{"pick", "value", "by", "at"}`; picking again replaces it."""
    with transaction.atomic():
        locked = Tree.objects.select_for_update().get(pk=tree.pk)
        conflicts = list((locked.meta or {}).get("conflicts") or [])
        if not 0 <= index < len(conflicts):
            raise ActionError("not_found", "No such conflict in this tree.")
        c = dict(conflicts[index])
        if pick == "base":
            value = c.get("base", "")
        else:
            change = next(
                (x for x in c.get("changes") or [] if str(x.get("tree")) == str(pick)), None
            )
            if change is None:
                raise ActionError("invalid", 'pick is "base" or the tree id of one change.')
            value = change.get("value")
        state = state_cache.state_for(locked.pk, locked.kind, locked.version)
        node_id = c.get("merged_node")
        node = state.nodes.get(node_id) if isinstance(node_id, str) else None
        if node is None or node.deleted:
            raise ActionError("conflict", "The conflicting node is no longer in the tree.")
        ops: list[Op] = []
        if c.get("field") == "text" and isinstance(value, str) and value != node.text:
            ops.append({"kind": "set", "id": node.id, "field": "text", "value": value})
        elif c.get("field") == "deleted" and value == "deleted":
            ops.append({"kind": "delete", "id": node.id})
        _apply(locked.pk, actor_id, ops)
        c["resolved"] = {
            "pick": pick,
            "value": value,
            "by": actor_id,
            "at": timezone.now().isoformat(),
        }
        conflicts[index] = c
        locked.meta = {**locked.meta, "conflicts": conflicts}
        locked.save(update_fields=["meta"])
        payload = service.conflict_payload(locked, index)
        transaction.on_commit(lambda: broadcast_review(locked.pk, {"conflict": payload}))
    return payload
