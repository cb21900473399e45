"""REST layer (thin): a workshop's groups — draw, make, rename, delete, move someone.
Rules live in trees/actions/workshop_groups.py."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trees import selectors
from trees.actions import workshop_groups as g
from trees.api import serializers as s
from trees.api import workshop_serializers as ws
from trees.api.views import _valid


class GroupListView(APIView):
    @extend_schema(responses=ws.GroupsSerializer, summary="The workshop's groups")
    def get(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id)
        return Response(ws.GroupsSerializer(selectors.groups_of(workshop)).data)

    @extend_schema(
        request=ws.GroupCreateSerializer,
        responses={201: ws.GroupSerializer},
        summary="Make an empty group (facilitators)",
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.GroupCreateSerializer, request.data)
        group = g.group_create(workshop=workshop, name=data.get("name"))
        return Response(_group_out(workshop, group.pk), status=status.HTTP_201_CREATED)


def _group_out(workshop: object, group_id: int) -> dict[str, object]:
    groups = selectors.groups_of(workshop)  # type: ignore[arg-type]
    return next(row for row in groups["groups"] if row["id"] == group_id)


class GroupDrawView(APIView):
    @extend_schema(
        request=ws.GroupDrawSerializer,
        responses={200: ws.GroupsSerializer},
        summary="Draw groups of 2-3 at random (facilitators)",
        description=(
            "Every participant is drawn again into balanced groups (sizes differ by at most "
            "one; no group of one unless there is one participant). Groups are reused in "
            "order, with their trees; spare groups without trees are deleted."
        ),
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.GroupDrawSerializer, request.data)
        g.groups_draw(workshop=workshop, size=data["size"], seed=data.get("seed"))
        return Response(ws.GroupsSerializer(selectors.groups_of(workshop)).data)


class GroupDetailView(APIView):
    @extend_schema(
        request=ws.GroupUpdateSerializer,
        responses=ws.GroupSerializer,
        summary="Rename or reorder a group (facilitators)",
    )
    def patch(self, request: Request, workshop_id: int, group_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.GroupUpdateSerializer, request.data)
        g.group_update(workshop=workshop, group_id=group_id, **data)
        return Response(_group_out(workshop, group_id))

    @extend_schema(
        responses={204: None, 409: s.ErrorSerializer},
        summary="Delete a group (facilitators)",
        description="Its members become unassigned. A group with trees is kept (`conflict`).",
    )
    def delete(self, request: Request, workshop_id: int, group_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        g.group_delete(workshop=workshop, group_id=group_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
