"""Action layer: the review screen's hand tools on a merged tree: merging two nodes by hand,
splitting a node back into its sources, and picking a side of a conflict. Each is one
transaction on the locked tree, through ordinary ops, broadcast after commit.
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
from trees.actions.merges import fit_meta
from trees.actions.review import accept_match, apply_ops, reopen
from trees.actions.review_plan import Plan, renamed_edge
from trees.domain import TreeState
from trees.domain.errors import ActionError
from trees.models import (
    MergeSuggestion,
    SuggestionStatus,
    Tree,
    TreeKind,
)
from trees.realtime.broadcast import broadcast_review
from trees.selectors import tree_snapshot

Op = dict[str, Any]


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
        accept_match(locked, s, state, index, dict(rb), actor_id, label == "b")
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
    plan = Plan(state)
    keep_tree, *others = list(groups)
    edges = dict(node.meta.get("edge_contributors") or {})
    kept_meta = {
        **dict(node.meta),
        "sources": groups[keep_tree],
        "contributors": 1,
        "edge_contributors": edges,
    }
    kept_meta.pop("aliases", None)
    kept_meta.pop("drew", None)  # one tree's node now: its sources say who drew it
    plan.add({"kind": "set", "id": node_id, "field": "meta", "value": fit_meta(kept_meta)}, [])
    own = {str(src.get("label") or "") for src in groups[keep_tree]}
    theirs = {str(src.get("label") or "") for t in others for src in groups[t]}
    if node.text not in own and node.text in theirs:
        # it kept another tree's label (Keep B's label, a pick): it takes back its own; a text
        # edited after the merge (no source's label) stays
        own_label = str(groups[keep_tree][0].get("label") or "")
        if own_label:
            plan.add({"kind": "set", "id": node_id, "field": "text", "value": own_label}, [])
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
                renamed = renamed_edge(child.meta, node_id, new_id, self_edge=False)
                if renamed is not None:
                    plan.add({"kind": "set", "id": child.id, "field": "meta", "value": renamed}, [])
        # A problem under it as an extra parent is a child too: the link goes with the part
        # whose tree alone drew that edge (else it stayed under the node it was split from).
        linked = [x for x in plan.sim.nodes.values() if not x.deleted and node_id in x.parents]
        for child in linked:
            who = set((child.meta.get("edge_contributors") or {}).get(node_id) or [])
            if who and who <= {tree_key}:
                if plan.add({"kind": "link", "id": child.id, "parent": new_id}, []) is not None:
                    continue  # refused (it would close a loop): the edge stays where it is
                plan.add({"kind": "unlink", "id": child.id, "parent": node_id}, [])
                renamed = renamed_edge(child.meta, node_id, new_id, self_edge=False)
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
        apply_ops(locked.pk, actor_id, ops)
        payloads = _reopen_split(locked)

        def announce() -> None:
            for payload in payloads:
                broadcast_review(locked.pk, payload)

        transaction.on_commit(announce)
    return [node.id, *(op["id"] for op in ops if op["kind"] == "create")]


def _reopen_split(tree: Tree) -> list[dict[str, Any]]:
    """Accepted suggestions whose two sides a split just put in different nodes are open
    again (pending): the card no longer says Accepted of a pair the tree holds apart. Answers
    their `review` events."""
    index = service.source_index(tree_snapshot(tree_id=tree.pk)["nodes"], tree.pk)
    opened = []
    for s in MergeSuggestion.objects.filter(tree=tree, status=SuggestionStatus.ACCEPTED):
        chosen = s.chosen or s.b
        a = index.get((s.a["tree"], str(s.a["node"])))
        b = index.get((chosen["tree"], str(chosen["node"])))
        if a is not None and b is not None and a["id"] != b["id"]:
            reopen(tree, s)
            opened.append(s.pk)
    return [service.review_event(tree.pk, pk) for pk in opened]


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
        apply_ops(locked.pk, actor_id, ops)
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
