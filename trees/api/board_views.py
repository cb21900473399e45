"""REST layer (thin): the workshop's facilitator board, its projector link, the workshop
export and the before/after comparison (docs/guide.md, "The facilitator board")."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trees import selectors
from trees.actions import board as b
from trees.api.serializers import ErrorSerializer
from trees.api.transfer_views import _ExportNegotiation, content_disposition
from trees.board_service import (
    compare_payload,
    person_problem_trees,
    projector_view,
    workshop_board,
)
from trees.domain.errors import ActionError
from trees.formats.workshop import WORKSHOP_FORMATS
from trees.workshop_export import export_workshop_bytes

BOARD_KEY_HEADER = "X-Board-Key"


class BoardSerializer(serializers.Serializer[Any]):
    workshop = serializers.DictField(help_text='{"id", "title"}')
    computed_at = serializers.DateTimeField()
    groups = serializers.ListField(
        child=serializers.DictField(),
        help_text=(
            'Per group: {"id", "name", "members": [{"id", "display_name", "present"}], '
            '"trees": [{"id", "title", "kind", "exercise", "round", "participant", "link_kind", '
            '"counts", "counted", "last_edit", "edits_per_minute", "version"}], "totals", '
            '"last_edit", "edits_per_minute"}. "totals" adds up the trees that are "counted": '
            "per exercise, the group's merged tree once its round's merge made it, its "
            "members' trees until then (docs/guide.md). Tree ids are null on the projector's "
            "board."
        ),
    )
    unassigned = serializers.ListField(child=serializers.DictField())
    participants = serializers.IntegerField()
    present = serializers.IntegerField()
    activity = serializers.DictField()
    exercises = serializers.ListField(
        child=serializers.DictField(),
        help_text='{"id", "title", "kind", "phase", "ranking": {"kind", "trees", "items"}}',
    )
    versions = serializers.DictField(child=serializers.IntegerField())
    projector = serializers.BooleanField()


class BoardLinkSerializer(serializers.Serializer[Any]):
    active = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    key = serializers.CharField(
        required=False,
        help_text="Only in the answer that makes it: stored as a hash, never shown again.",
    )


class CompareSerializer(serializers.Serializer[Any]):
    before = serializers.DictField()
    after = serializers.DictField()
    added = serializers.ListField(child=serializers.DictField())
    dropped = serializers.ListField(child=serializers.DictField())
    reworded = serializers.ListField(child=serializers.DictField())
    kept = serializers.IntegerField()


class PersonTreesSerializer(serializers.Serializer[Any]):
    participant = serializers.IntegerField()
    display_name = serializers.CharField()
    trees = serializers.ListField(child=serializers.DictField())


class BoardView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                BOARD_KEY_HEADER,
                str,
                location=OpenApiParameter.HEADER,
                required=False,
                description="The projector link's key (read-only, no sign-in needed).",
            )
        ],
        responses={
            200: BoardSerializer,
            401: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        summary="The workshop's board (facilitators, or the projector link's key)",
        description=(
            "Groups at a glance: members present, activity, counts per tree and group, and "
            "per exercise the cross-group taut-constraint ranking. Live: ws/workshops/<id>/board/. "
            "Here a member is `present` when they edited in the last two minutes; the live board "
            "also counts everyone with a tree of the workshop open, on any server process."
        ),
    )
    def get(self, request: Request, workshop_id: int) -> Response:
        key = request.headers.get(BOARD_KEY_HEADER)
        if not key and not request.user.is_authenticated:
            raise ActionError("not_authenticated", "Sign in, or open the board's projector link.")
        workshop, how = selectors.access_board(request.user, workshop_id, key)
        board = workshop_board(workshop)
        return Response(board if how == "facilitator" else projector_view(board))


class BoardLinkView(APIView):
    @extend_schema(
        responses={200: BoardLinkSerializer, 403: ErrorSerializer},
        summary="Is there a projector link? (facilitators)",
    )
    def get(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        return Response(
            {
                "active": bool(workshop.board_token_hash),
                "created_at": workshop.board_token_created_at,
            }
        )

    @extend_schema(
        request=None,
        responses={201: BoardLinkSerializer, 403: ErrorSerializer},
        summary="Make a new projector link (facilitators); the old one stops working",
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        key, created_at = b.board_link_create(workshop=workshop)
        return Response(
            {"active": True, "created_at": created_at, "key": key}, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        responses={204: None, 403: ErrorSerializer},
        summary="Revoke the projector link (facilitators); open projector boards close",
    )
    def delete(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        b.board_link_revoke(workshop=workshop)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WorkshopExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = _ExportNegotiation

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=sorted(WORKSHOP_FORMATS), required=True)],
        responses={
            (200, "*/*"): OpenApiTypes.BINARY,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
            413: ErrorSerializer,
        },
        summary="Download the whole workshop (facilitators): report, failure modes, backup",
    )
    def get(self, request: Request, workshop_id: int) -> HttpResponse:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        fmt = request.query_params.get("format", "")
        data = export_workshop_bytes(workshop, fmt)
        found = WORKSHOP_FORMATS[fmt]
        response = HttpResponse(data, content_type=found.media_type)
        response["Content-Disposition"] = content_disposition(
            workshop.title, workshop.pk, found.extension
        )
        return response


class PersonTreesView(APIView):
    @extend_schema(
        responses={200: PersonTreesSerializer(many=True), 403: ErrorSerializer},
        summary="Each participant's problem trees, to pick a before/after pair (facilitators)",
    )
    def get(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        return Response(person_problem_trees(workshop))


class CompareView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("before", int, required=True, description="A problem tree's id."),
            OpenApiParameter("after", int, required=True, description="A problem tree's id."),
        ],
        responses={200: CompareSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        summary="Before/after: what was added, dropped and reworded between two problem trees",
        description="Needs read access to both trees; matched as the merge matches.",
    )
    def get(self, request: Request) -> Response:
        ids = []
        for name in ("before", "after"):
            raw = request.query_params.get(name, "")
            if not raw.isdigit():
                raise ActionError("invalid", f"{name} must be a tree id.")
            ids.append(int(raw))
        before, _ = selectors.access_tree(request.user, ids[0])
        after, _ = selectors.access_tree(request.user, ids[1])
        return Response(compare_payload(before, after))
