"""REST layer (thin): a node's history, the trash, and the tree as it was at a version.

Plain reads of the operation log and the nodes: they never take the tree's write lock. Restoring
from the trash is an ordinary `restore` op (POST .../ops/ or the websocket), so everyone sees it
live.
"""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trees import selectors
from trees.api import serializers as s
from trees.domain import replay
from trees.domain.errors import ActionError
from trees.domain.history import trash_entries

_BEFORE = OpenApiParameter(
    "before", int, description="Only entries with a seq below this (the next page)"
)


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ActionError("invalid", f"{name} must be an integer.") from None
    if not 0 <= value < 2**63:
        raise ActionError("invalid", f"{name} must be >= 0.")
    return value


class NodeHistoryView(APIView):
    @extend_schema(
        parameters=[_BEFORE],
        responses=s.NodeHistorySerializer,
        summary="Who changed a node and when (the logged ops that name it)",
    )
    def get(self, request: Request, tree_id: int, node_id: str) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        try:
            node = str(uuid.UUID(node_id))
        except ValueError:
            raise ActionError("not_found", "No such node.") from None
        if not tree.nodes.filter(pk=node).exists():
            raise ActionError("not_found", "No such node.")
        limit = selectors.HISTORY_PAGE
        entries = selectors.node_history(
            tree.pk, node, before=_int_param(request, "before"), limit=limit + 1
        )
        return Response({"node": node, "entries": entries[:limit], "more": len(entries) > limit})


class TrashView(APIView):
    @extend_schema(
        responses=s.TrashSerializer,
        summary="Deleted subtrees that can be restored (a `restore` op brings one back)",
    )
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        entries = trash_entries(selectors.deleted_nodes(tree.pk))
        logged = selectors.log_entries(tree.pk, [e["seq"] for e in entries])
        for entry in entries:
            row = logged.get(entry["seq"])
            entry["at"] = row["at"] if row else None
            entry["actor"] = row["actor"] if row else None
        return Response({"seq": tree.version, "entries": entries})


class VersionListView(APIView):
    @extend_schema(
        parameters=[_BEFORE],
        responses=s.VersionListSerializer,
        operation_id="trees_versions_list",
        summary="The tree's versions, newest first: each op with who wrote it and when",
    )
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        limit = selectors.HISTORY_PAGE
        entries = selectors.recent_ops(
            tree.pk, before=_int_param(request, "before"), limit=limit + 1
        )
        return Response(
            {"seq": tree.version, "entries": entries[:limit], "more": len(entries) > limit}
        )


class VersionView(APIView):
    @extend_schema(
        responses=s.SnapshotSerializer,
        operation_id="trees_version_retrieve",
        summary="The whole tree as it was at a version (read-only, replayed from the log)",
    )
    def get(self, request: Request, tree_id: int, seq: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        if seq > tree.version:
            raise ActionError("not_found", f"The tree has no version {seq} yet.")
        state = replay(tree.kind, selectors.ops_upto(tree.pk, seq))
        return Response({"seq": seq, "kind": tree.kind, "nodes": state.snapshot()})
