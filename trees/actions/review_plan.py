"""Action layer: the ops a review decision applies, planned on the locked tree's state.

An accepted match merges node b into node a through ordinary ops (children of b move under
a, links to and from b move to a, a's `meta.sources` and `meta.aliases` gain b's, b is
deleted); the ops that undo it are planned from the inverse of what was applied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from trees.actions.merges import fit_meta
from trees.domain import OpError, TreeState
from trees.domain.errors import ActionError

Op = dict[str, Any]
# A merged node keeps the other names it was drawn with (meta.aliases), shown with it.
MAX_ALIASES = 20
ALIAS_CHARS = 300


class Plan:
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
    if keep.get("drew") or gone.get("drew"):
        # a later round's merge: who drew the one problem is who drew either node
        drew = [*(keep.get("drew") or keep.get("sources") or [])]
        drew += gone.get("drew") or gone.get("sources") or []
        refs = {(d.get("tree"), d.get("node")): None for d in drew}
        meta["drew"] = [{"tree": t, "node": n} for t, n in refs]
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


def renamed_edge(
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
    plan = Plan(state)
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
        renamed = renamed_edge(x.meta, gone, keep, self_edge=x.id == keep)
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
    plan = Plan(state)
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
