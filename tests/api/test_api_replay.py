"""REST API: a tree rebuilt from its operation log equals the snapshot the server serves."""

from __future__ import annotations

import random
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.api_helpers import accepted, new_id, snapshot, tree_url
from trees.actions import state_cache
from trees.domain import replay

# Which types may sit under which in a game tree (None = top level).
_GAME_PARENTS: dict[str, tuple[str | None, ...]] = {
    "proposal": (None,),
    "critique": ("proposal", "patch"),
    "patch": ("critique",),
}
_CHILD_TYPES = {None: "proposal", "proposal": "critique", "critique": "patch", "patch": "critique"}


def _descendants(nodes: dict[str, dict[str, Any]], root: str) -> set[str]:
    found = {root}
    changed = True
    while changed:
        changed = False
        for node in nodes.values():
            if node["parent"] in found and node["id"] not in found:
                found.add(node["id"])
                changed = True
    return found


def _random_op(rng: random.Random, snap: dict[str, Any]) -> dict[str, Any]:
    nodes = {node["id"]: node for node in snap["nodes"]}
    live = [node for node in nodes.values() if not node["deleted"]]
    restorable = [
        node
        for node in nodes.values()
        if node["deleted"] and (node["parent"] is None or not nodes[node["parent"]]["deleted"])
    ]
    choice = rng.choice(
        ["create"] * 5 + ["set"] * 3 + ["move"] * 2 + ["delete", "restore"] if live else ["create"]
    )
    if choice == "create":
        parent = rng.choice([None, *live]) if live else None
        parent_type = parent["type"] if parent else None
        op: dict[str, Any] = {
            "kind": "create",
            "id": new_id(),
            "type": _CHILD_TYPES[parent_type],
            "parent": parent["id"] if parent else None,
            "text": f"node {rng.randrange(10_000)}",
        }
        if parent is not None and rng.random() < 0.3:
            siblings = [n for n in live if n["parent"] == parent["id"]]
            if siblings:
                op["key"] = rng.choice(siblings)["key"]  # a taken key gets rewritten
        return op
    if choice == "set":
        node = rng.choice(live)
        field = rng.choice(["text", "note", "tags"])
        value: Any = (
            [f"tag{rng.randrange(5)}"] if field == "tags" else f"{field} {rng.randrange(10_000)}"
        )
        return {"kind": "set", "id": node["id"], "field": field, "value": value}
    if choice == "move":
        node = rng.choice(live)
        below = _descendants(nodes, node["id"])
        targets = [
            n for n in live if n["id"] not in below and n["type"] in _GAME_PARENTS[node["type"]]
        ]
        if None in _GAME_PARENTS[node["type"]]:
            targets.append(None)  # type: ignore[arg-type]
        target = rng.choice(targets) if targets else None
        if target is None and None not in _GAME_PARENTS[node["type"]]:
            return {"kind": "set", "id": node["id"], "field": "text", "value": "unmoved"}
        return {"kind": "move", "id": node["id"], "parent": target["id"] if target else None}
    if choice == "delete" or not restorable:
        return {"kind": "delete", "id": rng.choice(live)["id"]}
    return {"kind": "restore", "id": rng.choice(restorable)["id"]}


def _comparable(nodes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in nodes}


@pytest.mark.parametrize("seed", [1, 2])
def test_a_tree_rebuilt_from_its_log_equals_its_snapshot(
    make_tree: Any, alice: Any, bob: Any, client_for: Any, seed: int
) -> None:
    tree = make_tree(alice, members={bob: "editor"})
    clients: list[APIClient] = [client_for(alice), client_for(bob)]
    rng = random.Random(seed)
    snap = snapshot(clients[0], tree.pk)
    for i in range(50):
        op = _random_op(rng, snap)
        accepted(rng.choice(clients), tree.pk, op, n=i, cid=f"seed{seed}")
        snap = snapshot(clients[0], tree.pk)
    assert snap["seq"] == 50

    page = clients[0].get(tree_url(tree.pk, "ops/")).json()
    assert not page["more"]
    rebuilt = replay("game", [(row["seq"], row["op"], row["actor"]) for row in page["ops"]])

    # Read the snapshot back from the database, not from this process's cached state.
    state_cache.clear()
    served = snapshot(clients[1], tree.pk)
    assert served["seq"] == rebuilt.version == 50
    assert _comparable(served["nodes"]) == _comparable(rebuilt.snapshot())
    assert [n["id"] for n in served["nodes"]] == [n["id"] for n in rebuilt.snapshot()]
    kinds = {row["op"]["kind"] for row in page["ops"]}
    assert {"create", "set", "move", "delete", "restore"} <= kinds
