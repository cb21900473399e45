"""Action layer: create a whole tree from nodes in one transaction (imports, demo data, merges).

Every node goes through the domain layer as a `create` (and `link` for extra parents) op, so
an imported tree obeys the same rules and has the same operation log as one typed live. It is
all or nothing: a rejected node rolls the whole tree back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from trees.actions.ops import _node_row
from trees.actions.trees import tree_create
from trees.domain import OpError, TreeState
from trees.errors import ActionError
from trees.models import Node, OpLog, Tree

IMPORT_CLIENT_ID = "import"
_CREATE_FIELDS = ("id", "type", "parent", "key", "text", "note", "tags", "meta")


def _ops_for(nodes: Iterable[Mapping[str, Any]]) -> list[tuple[dict[str, Any], Mapping[str, Any]]]:
    creates: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
    links: list[tuple[dict[str, Any], Mapping[str, Any]]] = []
    for node in nodes:
        op: dict[str, Any] = {"kind": "create"}
        for field in _CREATE_FIELDS:
            if (field in node and node[field] not in (None, "", [], {})) or field == "parent":
                op[field] = node.get(field)
        creates.append((op, node))
        for extra in node.get("parents") or []:
            links.append(({"kind": "link", "id": node["id"], "parent": extra}, node))
    return creates + links


def tree_import(
    *,
    owner_id: int,
    kind: str,
    title: str,
    description: str = "",
    nodes: list[Mapping[str, Any]],
    author_ids: Mapping[str, int] | None = None,
    meta: dict[str, Any] | None = None,
) -> Tree:
    """Create a tree holding `nodes` (protocol shape, parents before children).

    `author_ids` maps node ids to the user recorded as their author; others get the owner.
    """
    authors = author_ids or {}
    with transaction.atomic():
        tree = tree_create(
            owner_id=owner_id, kind=kind, title=title, description=description, meta=meta
        )
        state = TreeState(kind)
        log_rows: list[OpLog] = []
        now = timezone.now()
        for seq, (op, node) in enumerate(_ops_for(nodes), start=1):
            actor = authors.get(str(node.get("id")), owner_id)
            try:
                applied = state.apply(op, seq=seq, actor=actor)
            except OpError as exc:
                raise ActionError(exc.code, f"node {node.get('id')}: {exc.message}") from None
            log_rows.append(
                OpLog(
                    tree_id=tree.pk,
                    seq=seq,
                    client_id=IMPORT_CLIENT_ID,
                    client_n=seq,
                    actor_id=actor,
                    op=applied.op,
                    overwrote=applied.overwrote,
                    at=now,
                )
            )
        Node.objects.bulk_create(
            [_node_row(tree.pk, state, node_id) for node_id in state.nodes], batch_size=500
        )
        OpLog.objects.bulk_create(log_rows, batch_size=500)
        tree.version = state.version
        tree.save(update_fields=["version", "updated_at"])
    return tree
