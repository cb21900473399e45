"""Action layer: the hot write path's SQL, written by hand.

The ORM costs ~0.3 ms of Python per query to build and compile; an op needs about six, which
capped a process at a few hundred ops per second. These statements are fixed strings with
parameters, valid on SQLite and PostgreSQL alike, and touch only the tables of trees/models.py
(whose fields remain the schema of record: column names come from the models).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import IntegrityError, connection
from django.utils import timezone

from trees.domain import Node as DomainNode
from trees.models import Membership, Node, OpLog, Tree

_TREE = Tree._meta.db_table
_MEMBER = Membership._meta.db_table
_NODE = Node._meta.db_table
_LOG = OpLog._meta.db_table

# Rows per INSERT statement: 500 rows x 16 columns stays far below SQLite's 32,766 variables.
_CHUNK = 500

_NODE_COLUMNS = (
    "id",
    "tree_id",
    "type",
    "parent_id",
    "parents",
    "key",
    "text",
    "note",
    "tags",
    "author_id",
    "deleted",
    "deleted_seq",
    "meta",
    "field_seq",
    "created_at",
    "updated_at",
)
_NODE_UPDATED = tuple(
    c for c in _NODE_COLUMNS if c not in ("id", "tree_id", "author_id", "created_at")
)
_LOG_COLUMNS = ("tree_id", "seq", "client_id", "client_n", "actor_id", "op", "overwrote", "at")


class NodeIdTaken(IntegrityError):
    """A created node id already belongs to another tree; nothing may be written."""


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def _uuid_adapter() -> Callable[[str | None], Any]:
    # Django stores UUIDField as native uuid on PostgreSQL and as 32 hex chars on SQLite.
    # (Looked up once per statement: `connection` is a thread-local proxy, ~4 us a lookup.)
    native = _postgres()

    def adapt(value: str | None) -> Any:
        if value is None:
            return None
        parsed = uuid.UUID(value)
        return parsed if native else parsed.hex

    return adapt


def _json_adapter() -> Callable[[Any], Any]:
    adapt_json_value = connection.ops.adapt_json_value
    return lambda value: adapt_json_value(value, None)


def _now() -> Any:
    return connection.ops.adapt_datetimefield_value(timezone.now())


def _placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def lock_trees(tree_ids: Sequence[int]) -> dict[int, tuple[str, int]]:
    """kind and version of each tree, locked until commit (in id order: no deadlocks)."""
    lock = " FOR UPDATE" if _postgres() else ""  # SQLite: BEGIN IMMEDIATE already holds it
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, kind, version FROM {_TREE} WHERE id IN ({_placeholders(len(tree_ids))})"
            f" ORDER BY id{lock}",
            list(tree_ids),
        )
        return {row[0]: (row[1], row[2]) for row in cursor.fetchall()}


def roles(tree_ids: Sequence[int], user_ids: Sequence[int]) -> dict[tuple[int, int], str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT tree_id, user_id, role FROM {_MEMBER}"
            f" WHERE tree_id IN ({_placeholders(len(tree_ids))})"
            f" AND user_id IN ({_placeholders(len(user_ids))})",
            [*tree_ids, *user_ids],
        )
        return {(row[0], row[1]): row[2] for row in cursor.fetchall()}


LoggedRow = tuple[int, str, int, int, Any, int | None, int]  # tree, cid, n, seq, op, actor, ow


def logged_ops(idents: Sequence[tuple[int, str, int]]) -> dict[tuple[int, str, int], LoggedRow]:
    """Log rows of these (tree, client_id, n) client ops that are already committed (re-sent)."""
    found: dict[tuple[int, str, int], LoggedRow] = {}
    unique = sorted(set(idents))
    with connection.cursor() as cursor:
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            # One exact probe of the (tree, client_id, client_n) index per op. Three IN lists
            # instead probe their cross product: 20 trees x 27 clients x 27 ns for one batch.
            cursor.execute(
                f"SELECT tree_id, client_id, client_n, seq, op, actor_id, overwrote FROM {_LOG}"
                " WHERE "
                + " OR ".join(["(tree_id = %s AND client_id = %s AND client_n = %s)"] * len(chunk)),
                [value for ident in chunk for value in ident],
            )
            rows = cursor.fetchall()
            for tree_id, client_id, n, seq, op, actor, overwrote in rows:
                decoded = json.loads(op) if isinstance(op, str) else op
                found[(tree_id, client_id, n)] = (
                    tree_id,
                    client_id,
                    n,
                    seq,
                    decoded,
                    actor,
                    overwrote,
                )
    return found


def upsert_nodes(nodes: Iterable[tuple[int, DomainNode]]) -> None:
    """Insert or update node rows. Raises NodeIdTaken if an id belongs to another tree."""
    now = _now()
    _uuid, _json = _uuid_adapter(), _json_adapter()
    rows = [
        (
            _uuid(node.id),
            tree_id,
            node.type,
            _uuid(node.parent),
            _json(list(node.parents)),
            node.key,
            node.text,
            node.note,
            _json(list(node.tags)),
            node.author,
            node.deleted,
            node.deleted_seq,
            _json(node.meta),
            _json(dict(node.field_seq)),
            now,
            now,
        )
        for tree_id, node in nodes
    ]
    row_sql = f"({_placeholders(len(_NODE_COLUMNS))})"
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in _NODE_UPDATED)
    columns = ", ".join(f'"{c}"' for c in _NODE_COLUMNS)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            # The WHERE makes a clash with another tree's node a no-op instead of a rewrite of
            # that node; the row count then tells us, and the caller rolls everything back.
            cursor.execute(
                f"INSERT INTO {_NODE} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}"
                f" ON CONFLICT (id) DO UPDATE SET {updates}"
                f" WHERE {_NODE}.tree_id = excluded.tree_id",
                [value for row in chunk for value in row],
            )
            if cursor.rowcount != len(chunk):
                raise NodeIdTaken("a node id belongs to another tree")


def insert_log(rows: Sequence[tuple[int, int, str, int, int | None, Any, int]]) -> None:
    """Append (tree, seq, client_id, n, actor, op, overwrote) rows to the operation log."""
    now = _now()
    _json = _json_adapter()
    prepared = [
        (tree_id, seq, client_id, n, actor, _json(op), overwrote, now)
        for tree_id, seq, client_id, n, actor, op, overwrote in rows
    ]
    columns = ", ".join(_LOG_COLUMNS)
    row_sql = f"({_placeholders(len(_LOG_COLUMNS))})"
    with connection.cursor() as cursor:
        for start in range(0, len(prepared), _CHUNK):
            chunk = prepared[start : start + _CHUNK]
            cursor.execute(
                f"INSERT INTO {_LOG} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}",
                [value for row in chunk for value in row],
            )


def set_versions(versions: dict[int, int]) -> None:
    now = _now()
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {_TREE} SET version = %s, updated_at = %s WHERE id = %s",
            [(version, now, tree_id) for tree_id, version in versions.items()],
        )
