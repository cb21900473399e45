"""Action layer: create a whole tree from nodes in one transaction (imports, demo data, merges,
restores).

Every node goes through the domain layer as ops (`create`, then `link` for extra parents,
then `delete` for tombstones), so an imported tree obeys the same rules and has the same
operation log as one typed live. It is all or nothing: a rejected node rolls it all back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from trees.actions import store
from trees.actions.trees import tree_create
from trees.domain import OpError, TreeState
from trees.domain.errors import ActionError
from trees.models import Node, Tree

IMPORT_CLIENT_ID = "import"
_CREATE_FIELDS = ("id", "type", "parent", "key", "text", "note", "tags", "meta")

Op = tuple[dict[str, Any], Mapping[str, Any]]


def _create_op(node: Mapping[str, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"kind": "create", "parent": node.get("parent")}
    for field in _CREATE_FIELDS:
        value = node.get(field)
        if field != "parent" and value not in (None, "", [], {}):
            op[field] = value
    return op


def _delete_ops(nodes: Sequence[Mapping[str, Any]]) -> list[Op]:
    """Deletes that rebuild the tombstones, one per original delete (oldest first), so that a
    restore after the import brings back exactly what it would have before."""
    by_id = {str(node["id"]): node for node in nodes}
    roots: list[tuple[int, Mapping[str, Any]]] = []
    for node in nodes:
        if not node.get("deleted"):
            continue
        group = int(node.get("deleted_seq") or 0)
        parent = by_id.get(str(node.get("parent")))
        same_group = (
            parent is not None
            and parent.get("deleted")
            and int(parent.get("deleted_seq") or 0) == group
        )
        if not same_group:
            roots.append((group, node))
    roots.sort(key=lambda item: item[0])
    return [({"kind": "delete", "id": node["id"]}, node) for _, node in roots]


def _ops_for(nodes: Sequence[Mapping[str, Any]]) -> list[Op]:
    creates: list[Op] = [(_create_op(node), node) for node in nodes]
    links: list[Op] = [
        ({"kind": "link", "id": node["id"], "parent": extra}, node)
        for node in nodes
        for extra in node.get("parents") or []
    ]
    return creates + links + _delete_ops(nodes)


def _known_authors(nodes: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Authors recorded in the nodes that are users of this server (a backup restored here)."""
    wanted = {node["author"] for node in nodes if isinstance(node.get("author"), int)}
    existing = set(get_user_model().objects.filter(pk__in=wanted).values_list("pk", flat=True))
    return {str(node["id"]): node["author"] for node in nodes if node.get("author") in existing}


def _uuid(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None  # the domain layer refuses it with its own message


def _rename_taken(nodes: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """Fresh ids for the node ids some tree already holds (a backup imported twice, or next
    to its original): node ids are unique across trees. Maps old id -> new id."""
    wanted = [u for u in (_uuid(node.get("id")) for node in nodes) if u is not None]
    taken: set[uuid.UUID] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        taken.update(Node.objects.filter(id__in=chunk).values_list("id", flat=True))
    rename: dict[str, str] = {}
    for node in nodes:
        parsed = _uuid(node.get("id"))
        if parsed is not None and parsed in taken:
            rename[str(parsed)] = str(uuid.uuid4())
    return rename


def _renamed(nodes: Sequence[Mapping[str, Any]], rename: dict[str, str]) -> list[Mapping[str, Any]]:
    def new(value: Any) -> Any:
        parsed = _uuid(value) if value is not None else None
        return rename.get(str(parsed), value) if parsed is not None else value

    return [
        {
            **node,
            "id": new(node.get("id")),
            "parent": new(node.get("parent")),
            "parents": [new(p) for p in node.get("parents") or []],
        }
        for node in nodes
    ]


def tree_import(
    *,
    owner_id: int,
    kind: str,
    title: str,
    description: str = "",
    nodes: Sequence[Mapping[str, Any]],
    author_ids: Mapping[str, int] | None = None,
    keep_authors: bool = False,
    meta: dict[str, Any] | None = None,
    created_by_id: int | None = None,
) -> Tree:
    """Create a tree holding `nodes` (protocol shape, parents before children).

    `author_ids` maps node ids to the user recorded as their author; with `keep_authors`
    the nodes' own `author` ids are kept where such a user exists. Others get the owner.
    Node ids that another tree already holds are replaced by fresh ones.
    """
    with transaction.atomic():
        rename = _rename_taken(nodes)
        if rename:
            nodes = _renamed(nodes, rename)
            author_ids = {rename.get(k, k): v for k, v in (author_ids or {}).items()}
        authors = dict(_known_authors(nodes) if keep_authors else {})
        authors.update(author_ids or {})
        tree = tree_create(
            owner_id=owner_id,
            kind=kind,
            title=title,
            description=description,
            meta=meta,
            created_by_id=created_by_id,
        )
        state = TreeState(kind)
        log_rows: list[store.LogRow] = []
        for seq, (op, node) in enumerate(_ops_for(nodes), start=1):
            actor = authors.get(str(node.get("id")), owner_id)
            try:
                applied = state.apply(op, seq=seq, actor=actor)
            except OpError as exc:
                raise ActionError(exc.code, f"node {node.get('id')}: {exc.message}") from None
            log_rows.append(
                (tree.pk, seq, IMPORT_CLIENT_ID, seq, actor, applied.op, applied.overwrote)
            )
        # The same SQL as live ops write (trees/actions/store.py).
        try:
            store.write_batch(
                ((tree.pk, node) for node in state.nodes.values()),
                log_rows,
                {tree.pk: state.version},
            )
        except store.NodeIdTaken:
            # A concurrent import took one of these node ids after the check above.
            raise ActionError("conflict", "Node ids of this import were just taken.") from None
        tree.version = state.version
    return tree
