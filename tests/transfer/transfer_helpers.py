"""Helpers for the import/export tests: a rich tree built through the real op path, and the
node fields a lossless round trip must keep."""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

from trees.actions import tree_apply_op
from trees.domain import replay
from trees.models import OpLog, Tree
from trees.selectors import tree_snapshot

# What a JSON backup must bring back unchanged (authors and field_seq are the importer's).
KEPT = ("id", "key", "type", "parent", "parents", "text", "note", "tags", "deleted")

_n = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def apply(tree: Tree, actor: Any, op: dict[str, Any]) -> None:
    tree_apply_op(tree_id=tree.pk, actor_id=actor.pk, client_id="test", n=next(_n), op=op)


def create(tree: Tree, actor: Any, type_: str, parent: str | None, text: str, **fields: Any) -> str:
    node_id = new_id()
    op = {"kind": "create", "id": node_id, "type": type_, "parent": parent, "text": text}
    apply(tree, actor, {**op, **fields})
    return node_id


def build_problem_dag(tree: Tree, actor: Any) -> dict[str, str]:
    """A problem tree with extra parents, notes, tags, and two kinds of tombstones:
    a subtree deleted in one go, and a child deleted before its parent (two groups)."""
    ids: dict[str, str] = {}
    ids["root"] = create(tree, actor, "problem", None, "Alignment", note="The whole thing.")
    ids["outer"] = create(tree, actor, "problem", ids["root"], "Outer alignment", tags=["spec"])
    ids["inner"] = create(
        tree, actor, "problem", ids["root"], "Inner alignment", note="line 1\nline 2"
    )
    ids["hack"] = create(tree, actor, "problem", ids["outer"], "Reward hacking", tags=["rl", "x"])
    ids["goal"] = create(tree, actor, "problem", ids["inner"], "Goal misgeneralization")
    # DAG: reward hacking is also an inner-alignment problem; goal misgen. sits under root too.
    apply(tree, actor, {"kind": "link", "id": ids["hack"], "parent": ids["inner"]})
    apply(tree, actor, {"kind": "link", "id": ids["goal"], "parent": ids["outer"]})
    # One delete of a subtree (both nodes in one group).
    ids["gone"] = create(tree, actor, "problem", ids["root"], "Dropped branch", note="why")
    ids["gone_kid"] = create(tree, actor, "problem", ids["gone"], "Dropped leaf", tags=["old"])
    apply(tree, actor, {"kind": "delete", "id": ids["gone"]})
    # Two groups: the child is deleted first, then its parent.
    ids["older"] = create(tree, actor, "problem", ids["inner"], "Mesa-optimisers")
    ids["older_kid"] = create(tree, actor, "problem", ids["older"], "Deceptive alignment")
    ids["older_kid2"] = create(tree, actor, "problem", ids["older"], "Gradient hacking")
    apply(tree, actor, {"kind": "delete", "id": ids["older_kid"]})
    apply(tree, actor, {"kind": "delete", "id": ids["older"]})
    # An edit after creation, so text is not just the create's.
    apply(tree, actor, {"kind": "set", "id": ids["outer"], "field": "note", "value": "Spec."})
    return ids


def kept(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {node["id"]: {field: node[field] for field in KEPT} for node in nodes}


def backup_nodes(data: bytes) -> list[dict[str, Any]]:
    payload = json.loads(data)
    assert payload["format"] == "gametree"
    nodes: list[dict[str, Any]] = payload["nodes"]
    return nodes


def replayed_snapshot(tree: Tree) -> list[dict[str, Any]]:
    log = OpLog.objects.filter(tree_id=tree.pk).order_by("seq")
    state = replay(tree.kind, ((row.seq, row.op, row.actor_id) for row in log))
    return state.snapshot()


def live_snapshot(tree: Tree) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = tree_snapshot(tree_id=tree.pk)["nodes"]
    return nodes
