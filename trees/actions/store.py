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
from contextlib import ExitStack
from dataclasses import dataclass
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


class _RoundTrip:
    """Statements sent together: on PostgreSQL in one pipeline, answered in one round trip.

    The live path's database thread waits for every round trip and then has to win the GIL
    back from the busy event loop (up to the 5 ms switch interval). A batch of ops took eight
    round trips (BEGIN, three reads, three writes, COMMIT); now it takes four: BEGIN (psycopg
    syncs it on its own), the reads, the writes, COMMIT.

        with _RoundTrip() as send:
            cursor = send(sql, params)   # queued
            send.wait()                  # one round trip for everything queued
            rows = cursor.fetchall()     # already here

    SQLite runs in process and has no round trips: each statement runs when sent.
    """

    def __init__(self) -> None:
        self._cursors = ExitStack()
        self._pipeline: ExitStack | None = None

    def __enter__(self) -> _RoundTrip:
        if _postgres():
            connection.ensure_connection()
            pipeline = ExitStack()
            # Errors surface when the pipeline syncs, outside Django's cursor wrapper:
            # translate them so callers still catch django.db's IntegrityError and friends.
            pipeline.enter_context(connection.wrap_database_errors)
            pipeline.enter_context(connection.connection.pipeline())
            self._pipeline = pipeline
        return self

    def __call__(self, sql: str, params: Sequence[Any]) -> Any:
        cursor = self._cursors.enter_context(connection.cursor())
        cursor.execute(sql, params)
        return cursor

    def wait(self) -> None:
        """Send what is queued and wait for all of it; results and row counts are then known."""
        pipeline, self._pipeline = self._pipeline, None
        if pipeline is not None:
            pipeline.close()

    def __exit__(self, *exc_info: Any) -> None:
        try:
            pipeline, self._pipeline = self._pipeline, None
            if pipeline is not None:
                pipeline.__exit__(*exc_info)
        finally:
            self._cursors.close()


LoggedRow = tuple[int, str, int, int, Any, int | None, int]  # tree, cid, n, seq, op, actor, ow


@dataclass(frozen=True)
class BatchRead:
    trees: dict[int, tuple[str, int]]  # id -> (kind, version), locked until commit
    roles: dict[tuple[int, int], str]  # (tree, user) -> role
    logged: dict[tuple[int, str, int], LoggedRow]  # re-sent ops already committed


def read_batch(
    tree_ids: Sequence[int],
    user_ids: Sequence[int],
    idents: Sequence[tuple[int, str, int]],
) -> BatchRead:
    """What a batch of ops needs before it applies, in one round trip.

    The trees are locked FOR UPDATE in id order (no deadlocks); on SQLite, BEGIN IMMEDIATE
    already holds the lock.
    """
    lock = " FOR UPDATE" if _postgres() else ""
    with _RoundTrip() as send:
        tree_cursor = send(
            f"SELECT id, kind, version FROM {_TREE} WHERE id IN ({_placeholders(len(tree_ids))})"
            f" ORDER BY id{lock}",
            list(tree_ids),
        )
        role_cursor = send(
            f"SELECT tree_id, user_id, role FROM {_MEMBER}"
            f" WHERE tree_id IN ({_placeholders(len(tree_ids))})"
            f" AND user_id IN ({_placeholders(len(user_ids))})",
            [*tree_ids, *user_ids],
        )
        logged_cursors = _send_logged(send, idents)
        send.wait()
        trees = {row[0]: (row[1], row[2]) for row in tree_cursor.fetchall()}
        roles = {(row[0], row[1]): row[2] for row in role_cursor.fetchall()}
        logged = _logged_rows(logged_cursors)
    return BatchRead(trees=trees, roles=roles, logged=logged)


def logged_ops(idents: Sequence[tuple[int, str, int]]) -> dict[tuple[int, str, int], LoggedRow]:
    """Log rows of these (tree, client_id, n) client ops that are already committed (re-sent)."""
    with _RoundTrip() as send:
        cursors = _send_logged(send, idents)
        send.wait()
        return _logged_rows(cursors)


def _send_logged(send: _RoundTrip, idents: Sequence[tuple[int, str, int]]) -> list[Any]:
    unique = sorted(set(idents))
    cursors = []
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        # One exact probe of the (tree, client_id, client_n) index per op. Three IN lists
        # instead probe their cross product: 20 trees x 27 clients x 27 ns for one batch.
        cursors.append(
            send(
                f"SELECT tree_id, client_id, client_n, seq, op, actor_id, overwrote FROM {_LOG}"
                " WHERE "
                + " OR ".join(["(tree_id = %s AND client_id = %s AND client_n = %s)"] * len(chunk)),
                [value for ident in chunk for value in ident],
            )
        )
    return cursors


def _logged_rows(cursors: list[Any]) -> dict[tuple[int, str, int], LoggedRow]:
    found: dict[tuple[int, str, int], LoggedRow] = {}
    for cursor in cursors:
        for tree_id, client_id, n, seq, op, actor, overwrote in cursor.fetchall():
            decoded = json.loads(op) if isinstance(op, str) else op
            found[(tree_id, client_id, n)] = (tree_id, client_id, n, seq, decoded, actor, overwrote)
    return found


LogRow = tuple[int, int, str, int, int | None, Any, int]  # tree, seq, cid, n, actor, op, ow


def write_batch(
    nodes: Iterable[tuple[int, DomainNode]],
    log_rows: Sequence[LogRow],
    versions: dict[int, int],
) -> None:
    """Upsert the changed nodes, append the log rows and set the tree versions: one round trip.

    Raises NodeIdTaken if a node id belongs to another tree; the caller's transaction then
    rolls all of it back.
    """
    with _RoundTrip() as send:
        upserts = _send_nodes(send, nodes)
        _send_log(send, log_rows)
        _send_versions(send, versions)
        send.wait()
        if any(cursor.rowcount != expected for cursor, expected in upserts):
            raise NodeIdTaken("a node id belongs to another tree")


def _send_nodes(send: _RoundTrip, nodes: Iterable[tuple[int, DomainNode]]) -> list[tuple[Any, int]]:
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
    sent = []
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        # The WHERE makes a clash with another tree's node a no-op instead of a rewrite of
        # that node; the row count then tells us, and the caller rolls everything back.
        cursor = send(
            f"INSERT INTO {_NODE} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}"
            f" ON CONFLICT (id) DO UPDATE SET {updates}"
            f" WHERE {_NODE}.tree_id = excluded.tree_id",
            [value for row in chunk for value in row],
        )
        sent.append((cursor, len(chunk)))
    return sent


def _send_log(send: _RoundTrip, rows: Sequence[LogRow]) -> None:
    now = _now()
    _json = _json_adapter()
    prepared = [
        (tree_id, seq, client_id, n, actor, _json(op), overwrote, now)
        for tree_id, seq, client_id, n, actor, op, overwrote in rows
    ]
    columns = ", ".join(_LOG_COLUMNS)
    row_sql = f"({_placeholders(len(_LOG_COLUMNS))})"
    for start in range(0, len(prepared), _CHUNK):
        chunk = prepared[start : start + _CHUNK]
        send(
            f"INSERT INTO {_LOG} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}",
            [value for row in chunk for value in row],
        )


def _send_versions(send: _RoundTrip, versions: dict[int, int]) -> None:
    items = sorted(versions.items())
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        # One statement for all the batch's trees (a CASE), not one UPDATE per tree.
        send(
            f"UPDATE {_TREE} SET version = CASE id"
            + " WHEN %s THEN %s" * len(chunk)
            + f" END, updated_at = %s WHERE id IN ({_placeholders(len(chunk))})",
            [*(value for item in chunk for value in item), _now(), *(t for t, _ in chunk)],
        )
