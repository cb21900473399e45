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

# Rows per INSERT statement: 500 rows x 17 columns stays far below SQLite's 32,766 variables.
_CHUNK = 500
# On PostgreSQL, a statement with more values than this takes its rows as one JSON parameter
# (see _records). Up to it, a placeholder per value: psycopg caches the conversion of
# statements of up to 50 values, and PostgreSQL plans them faster than json_to_recordset
# (a single op at low load answered 3-4 ms sooner).
_JSON_FROM = 50

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
    "y",
    "created_at",
    "updated_at",
)
# The node columns' PostgreSQL types, for json_to_recordset (see _records).
_NODE_PG_TYPES = {
    "id": "uuid",
    "tree_id": "bigint",
    "type": "text",
    "parent_id": "uuid",
    "parents": "jsonb",
    "key": "text",
    "text": "text",
    "note": "text",
    "tags": "jsonb",
    "author_id": "integer",
    "deleted": "boolean",
    "deleted_seq": "bigint",
    "meta": "jsonb",
    "field_seq": "jsonb",
    "y": "text",
}
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


class _Result:
    """One statement's answer, filled in by `_RoundTrip.run`."""

    rows: list[tuple[Any, ...]]
    rowcount: int


class _RoundTrip:
    """Statements sent to the database together: on PostgreSQL in one round trip.

    The live path's database thread waits for every round trip and then has to win the GIL
    back from the busy event loop. A batch of ops took eight round trips (BEGIN, three reads,
    three writes, COMMIT); now it takes four: BEGIN (psycopg sends it alone), the reads, the
    writes, COMMIT. The statements of one round trip are joined into one query string,
    which Django's client-side-binding psycopg cursor sends in one message; each result is
    then read with `nextset()`. (psycopg's pipeline mode does the same with fewer string
    joins, but its Python-level machinery cost more CPU and wall time per batch than the
    round trips it saved: 5.7 against 3.5-4.0 ms for a batch of five ops, measured here.)

        trip = _RoundTrip()
        result = trip.send(sql, params)   # queued
        trip.run()                        # one round trip for everything queued
        result.rows, result.rowcount      # known now

    SQLite runs in process and has no round trips (and its driver takes one statement per
    call): there each statement runs when sent.
    """

    def __init__(self) -> None:
        self._joined = _postgres()
        self._queued: list[tuple[str, Sequence[Any], _Result]] = []

    def send(self, sql: str, params: Sequence[Any]) -> _Result:
        result = _Result()
        if self._joined:
            self._queued.append((sql, params, result))
            return result
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            _read(cursor, result)
        return result

    def run(self) -> None:
        queued, self._queued = self._queued, []
        if not queued:
            return
        with connection.cursor() as cursor:
            cursor.execute(
                ";\n".join(sql for sql, _, _ in queued),
                [value for _, params, _ in queued for value in params],
            )
            for index, (_, _, result) in enumerate(queued):
                if index:
                    cursor.nextset()
                _read(cursor, result)


def _read(cursor: Any, result: _Result) -> None:
    result.rows = cursor.fetchall() if cursor.description is not None else []
    result.rowcount = cursor.rowcount


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
    trip = _RoundTrip()
    tree_result = trip.send(
        f"SELECT id, kind, version FROM {_TREE} WHERE id IN ({_placeholders(len(tree_ids))})"
        f" ORDER BY id{lock}",
        list(tree_ids),
    )
    role_result = trip.send(
        f"SELECT tree_id, user_id, role FROM {_MEMBER}"
        f" WHERE tree_id IN ({_placeholders(len(tree_ids))})"
        f" AND user_id IN ({_placeholders(len(user_ids))})",
        [*tree_ids, *user_ids],
    )
    logged_results = _send_logged(trip, idents)
    trip.run()
    trees = {row[0]: (row[1], row[2]) for row in tree_result.rows}
    roles = {(row[0], row[1]): row[2] for row in role_result.rows}
    logged = _logged_rows(logged_results)
    return BatchRead(trees=trees, roles=roles, logged=logged)


def logged_ops(idents: Sequence[tuple[int, str, int]]) -> dict[tuple[int, str, int], LoggedRow]:
    """Log rows of these (tree, client_id, n) client ops that are already committed (re-sent)."""
    trip = _RoundTrip()
    results = _send_logged(trip, idents)
    trip.run()
    return _logged_rows(results)


def _send_logged(trip: _RoundTrip, idents: Sequence[tuple[int, str, int]]) -> list[_Result]:
    unique = sorted(set(idents))
    if _postgres() and len(unique) * 3 > _JSON_FROM:
        # One probe of the (tree, client_id, client_n) index per op, the keys as one JSON
        # parameter (see _records).
        return [
            trip.send(
                # LATERAL: a nested loop of unique-index probes whatever the table's
                # statistics say (a plain join could hash the whole log instead).
                "SELECT o.tree_id, o.client_id, o.client_n, o.seq, o.op, o.actor_id, o.overwrote"
                " FROM json_to_recordset(%s::json) AS k(t bigint, c text, n bigint)"
                " CROSS JOIN LATERAL (SELECT * FROM "
                + _LOG
                + " WHERE tree_id = k.t AND client_id = k.c AND client_n = k.n) o",
                [_records(["t", "c", "n"], unique)],
            )
        ]
    results = []
    for start in range(0, len(unique), _CHUNK):
        chunk = unique[start : start + _CHUNK]
        # One exact probe of the (tree, client_id, client_n) index per op. Three IN lists
        # instead probe their cross product: 20 trees x 27 clients x 27 ns for one batch.
        results.append(
            trip.send(
                f"SELECT tree_id, client_id, client_n, seq, op, actor_id, overwrote FROM {_LOG}"
                " WHERE "
                + " OR ".join(["(tree_id = %s AND client_id = %s AND client_n = %s)"] * len(chunk)),
                [value for ident in chunk for value in ident],
            )
        )
    return results


def _logged_rows(results: list[_Result]) -> dict[tuple[int, str, int], LoggedRow]:
    found: dict[tuple[int, str, int], LoggedRow] = {}
    for result in results:
        for tree_id, client_id, n, seq, op, actor, overwrote in result.rows:
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
    trip = _RoundTrip()
    upserts = _send_nodes(trip, nodes)
    _send_log(trip, log_rows)
    _send_versions(trip, versions)
    trip.run()
    if any(result.rowcount != expected for result, expected in upserts):
        raise NodeIdTaken("a node id belongs to another tree")


def _records(keys: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Rows as one JSON array of objects, for PostgreSQL's json_to_recordset.

    On PostgreSQL the hot path's statements take their rows as ONE JSON parameter instead
    of a placeholder per value: the statement text is then fixed, so psycopg converts it
    once and caches it, and json.dumps (C) replaces psycopg's quoting of each value in
    Python. Statements with hundreds of placeholders had psycopg parse the query and quote
    every value on every batch: a quarter of a worker's CPU at full load (py-spy).
    """
    return json.dumps([dict(zip(keys, row, strict=True)) for row in rows], ensure_ascii=False)


def _send_nodes_pg(
    trip: _RoundTrip, nodes: Iterable[tuple[int, DomainNode]]
) -> list[tuple[_Result, int]]:
    rows = [
        (
            node.id,
            tree_id,
            node.type,
            node.parent,
            list(node.parents),
            node.key,
            node.text,
            node.note,
            list(node.tags),
            node.author,
            node.deleted,
            node.deleted_seq,
            node.meta,
            dict(node.field_seq),
            node.y,
        )
        for tree_id, node in nodes
    ]
    now = _now()  # created_at and updated_at alike, as on the placeholder path
    columns = _NODE_COLUMNS[:-2]  # created_at and updated_at: the statement's now
    record = ", ".join(f'"{c}" {_NODE_PG_TYPES[c]}' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in _NODE_UPDATED)
    targets = ", ".join(f'"{c}"' for c in _NODE_COLUMNS)
    values = ", ".join(f'r."{c}"' for c in columns)
    result = trip.send(
        f"INSERT INTO {_NODE} ({targets}) SELECT {values}, %s, %s"
        f" FROM json_to_recordset(%s::json) AS r({record})"
        f" ON CONFLICT (id) DO UPDATE SET {updates}"
        f" WHERE {_NODE}.tree_id = excluded.tree_id",
        [now, now, _records(columns, rows)],
    )
    return [(result, len(rows))]


def _send_nodes(
    trip: _RoundTrip, nodes: Iterable[tuple[int, DomainNode]]
) -> list[tuple[_Result, int]]:
    nodes = list(nodes)
    if _postgres() and len(nodes) * len(_NODE_COLUMNS) > _JSON_FROM:
        return _send_nodes_pg(trip, nodes)
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
            node.y,
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
        result = trip.send(
            f"INSERT INTO {_NODE} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}"
            f" ON CONFLICT (id) DO UPDATE SET {updates}"
            f" WHERE {_NODE}.tree_id = excluded.tree_id",
            [value for row in chunk for value in row],
        )
        sent.append((result, len(chunk)))
    return sent


def _send_log(trip: _RoundTrip, rows: Sequence[LogRow]) -> None:
    if _postgres() and len(rows) * len(_LOG_COLUMNS) > _JSON_FROM:
        trip.send(
            f"INSERT INTO {_LOG} ({', '.join(_LOG_COLUMNS)})"
            " SELECT r.tree_id, r.seq, r.client_id, r.client_n, r.actor_id, r.op,"
            " r.overwrote, %s FROM json_to_recordset(%s::json) AS r(tree_id bigint,"
            " seq bigint, client_id text, client_n bigint, actor_id integer, op jsonb,"
            " overwrote bigint)",
            [_now(), _records(_LOG_COLUMNS[:-1], rows)],  # LogRow is in column order
        )
        return
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
        trip.send(
            f"INSERT INTO {_LOG} ({columns}) VALUES {', '.join([row_sql] * len(chunk))}",
            [value for row in chunk for value in row],
        )


def _send_versions(trip: _RoundTrip, versions: dict[int, int]) -> None:
    items = sorted(versions.items())
    if _postgres() and len(items) * 3 > _JSON_FROM:
        # `id = ANY(...)` keeps the tree table to primary-key probes: joined with the
        # function alone the planner scans the whole table, dead rows of a burst included.
        trip.send(
            f"UPDATE {_TREE} SET version = r.version, updated_at = %s"
            " FROM json_to_recordset(%s::json) AS r(id bigint, version bigint)"
            f" WHERE {_TREE}.id = r.id AND {_TREE}.id = ANY(%s::bigint[])",
            [_now(), _records(["id", "version"], items), [tree_id for tree_id, _ in items]],
        )
        return
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        # One statement for all the batch's trees (a CASE), not one UPDATE per tree.
        trip.send(
            f"UPDATE {_TREE} SET version = CASE id"
            + " WHEN %s THEN %s" * len(chunk)
            + f" END, updated_at = %s WHERE id IN ({_placeholders(len(chunk))})",
            [*(value for item in chunk for value in item), _now(), *(t for t, _ in chunk)],
        )
