"""Action layer: create a whole tree from nodes in one transaction (imports, demo data,
restores, forks).

Every node goes through the domain layer as ops (`create`, then `link` for extra parents,
then `delete` for tombstones: `trees.domain.build`), so an imported tree obeys the same rules
and has the same operation log as one typed live. It is all or nothing: a rejected node rolls
it all back. (A merge builds its tree the same way in its worker process and writes it in
short transactions instead: trees/actions/merges.py.)
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from trees.actions import store
from trees.actions.trees import tree_create
from trees.domain import OpError
from trees.domain.build import build_tree
from trees.domain.errors import ActionError
from trees.models import Node, Tree

IMPORT_CLIENT_ID = "import"


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
        try:
            state, built = build_tree(kind, nodes, authors=authors, default_actor=owner_id)
        except OpError as exc:
            raise ActionError(exc.code, exc.message) from None
        log_rows: list[store.LogRow] = [
            (tree.pk, seq, IMPORT_CLIENT_ID, seq, actor, op, overwrote)
            for seq, actor, op, overwrote in built
        ]
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
