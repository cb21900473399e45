"""REST layer (thin): a workshop's exercises, their timed rounds and the participant's home.
Rules live in trees/actions/workshop_rounds.py and trees/actions/workshop_merges.py."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trees import selectors
from trees.actions import workshop_merges as m
from trees.actions import workshop_rounds as r
from trees.api import serializers as s
from trees.api import workshop_serializers as ws
from trees.api.views import _valid
from trees.api.workshop_views import _workshop_out
from trees.domain.errors import ActionError
from trees.models import Round, Workshop, WorkshopParticipant

_CONFLICT = {409: s.ErrorSerializer}


def _exercise(workshop: Workshop, seat: WorkshopParticipant, exercise_id: int) -> dict[str, Any]:
    rows = selectors.exercises_for(workshop, seat, exercise_id)
    if not rows:
        raise ActionError("not_found", "No such exercise in this workshop.")
    return rows[0]


def _round(rnd: Round) -> dict[str, Any]:
    fresh = Round.objects.select_related("exercise").get(pk=rnd.pk)
    return dict(ws.RoundSerializer(selectors.round_out(fresh)).data)


class ExerciseListView(APIView):
    @extend_schema(responses=ws.ExerciseSerializer(many=True), summary="The workshop's exercises")
    def get(self, request: Request, workshop_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id)
        return Response(
            ws.ExerciseSerializer(selectors.exercises_for(workshop, seat), many=True).data
        )

    @extend_schema(
        request=ws.ExerciseCreateSerializer,
        responses={201: ws.ExerciseListSerializer},
        summary="Make an exercise from a template (facilitators)",
        description=(
            "`game_tree`: one round, one game tree per group. `problem_tree`: `rounds` "
            "individual rounds (blind unless `blind` is false), one problem tree per person "
            "starting with 'Alignment', merged per group at each round's end. "
            "`before_after_reading`: two problem-tree exercises, 'before reading' and "
            "'after reading'. The first round's trees are made for everyone in a group."
        ),
    )
    def post(self, request: Request, workshop_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.ExerciseCreateSerializer, request.data)
        made = r.exercise_create(
            workshop=workshop, actor_id=selectors.user_id_of(request.user), **data
        )
        out = [_exercise(workshop, seat, e.pk) for e in made]
        return Response(
            ws.ExerciseListSerializer({"exercises": out}).data, status=status.HTTP_201_CREATED
        )


class ExerciseDetailView(APIView):
    @extend_schema(responses=ws.ExerciseSerializer, summary="An exercise, its rounds and trees")
    def get(self, request: Request, workshop_id: int, exercise_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id)
        return Response(ws.ExerciseSerializer(_exercise(workshop, seat, exercise_id)).data)

    @extend_schema(
        request=ws.ExerciseUpdateSerializer,
        responses=ws.ExerciseSerializer,
        summary="Rename, relabel or reorder an exercise (facilitators)",
    )
    def patch(self, request: Request, workshop_id: int, exercise_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.ExerciseUpdateSerializer, request.data)
        r.exercise_update(workshop=workshop, exercise_id=exercise_id, **data)
        return Response(ws.ExerciseSerializer(_exercise(workshop, seat, exercise_id)).data)

    @extend_schema(
        responses={204: None, **_CONFLICT},
        summary="Delete an exercise that has not started (facilitators)",
        description="Its trees are deleted with it. Once a round has started: `conflict`.",
    )
    def delete(self, request: Request, workshop_id: int, exercise_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        r.exercise_delete(workshop=workshop, exercise_id=exercise_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoundStartView(APIView):
    @extend_schema(
        request=ws.RoundStartSerializer,
        responses={200: ws.RoundSerializer, **_CONFLICT},
        summary="Start a round's timer (facilitators)",
        description=(
            "`ends_at` = now + duration. The exercise's earlier round must have ended and no "
            "other round of the workshop be running (`conflict`). Makes the round's missing "
            "trees (later individual rounds fork the group's merged tree for each member)."
        ),
    )
    def post(self, request: Request, workshop_id: int, round_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.RoundStartSerializer, request.data)
        rnd = r.round_start(
            workshop=workshop,
            round_id=round_id,
            actor_id=selectors.user_id_of(request.user),
            duration_seconds=data.get("duration_seconds"),
        )
        return Response(_round(rnd))


class RoundExtendView(APIView):
    @extend_schema(
        request=ws.RoundExtendSerializer,
        responses={200: ws.RoundSerializer, **_CONFLICT},
        summary="Give a running round more time (facilitators)",
    )
    def post(self, request: Request, workshop_id: int, round_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        data = _valid(ws.RoundExtendSerializer, request.data)
        rnd = r.round_extend(workshop=workshop, round_id=round_id, seconds=data["seconds"])
        return Response(_round(rnd))


class RoundEndView(APIView):
    @extend_schema(
        request=None,
        responses={200: ws.RoundSerializer, **_CONFLICT},
        summary="End a running round (facilitators)",
        description=(
            "An individual round's blind hiding ends and each group's trees are merged into "
            "the group's merged tree (with its review queue), one group after another in the "
            "background: `merge` events tell each one's progress."
        ),
    )
    def post(self, request: Request, workshop_id: int, round_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        rnd = r.round_end(workshop=workshop, round_id=round_id)
        return Response(_round(rnd))


class RoundMergeView(APIView):
    @extend_schema(
        request=None,
        responses={200: ws.RoundSerializer, **_CONFLICT},
        summary="Carry on with an ended round's group merges (facilitators)",
        description="Failed merges, and merges cut off by a server restart, start again.",
    )
    def post(self, request: Request, workshop_id: int, round_id: int) -> Response:
        workshop, _ = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        rnd = m.merges_retry(workshop=workshop, round_id=round_id)
        return Response(_round(rnd))


class RoundPrepareView(APIView):
    @extend_schema(
        request=None,
        responses={200: ws.ExerciseSerializer, **_CONFLICT},
        summary="Make a round's missing trees now (facilitators)",
        description="For people grouped after the round's trees were made.",
    )
    def post(self, request: Request, workshop_id: int, round_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id, facilitator=True)
        rnd = r.round_prepare(
            workshop=workshop, round_id=round_id, actor_id=selectors.user_id_of(request.user)
        )
        return Response(ws.ExerciseSerializer(_exercise(workshop, seat, rnd.exercise_id)).data)


class HomeView(APIView):
    @extend_schema(
        responses=ws.HomeSerializer,
        summary="Everything a workshop page needs on arrival",
        description=(
            "My seat and group, the groups, the people, the exercises with their rounds and "
            "the trees I may open, and the server's time (for the rounds' countdowns)."
        ),
    )
    def get(self, request: Request, workshop_id: int) -> Response:
        workshop, seat = selectors.access_workshop(request.user, workshop_id)
        groups = selectors.groups_of(workshop)["groups"]
        mine = next((g for g in groups if g["id"] == seat.group_id), None)
        out = {
            "workshop": _workshop_out(workshop, seat),
            "me": seat,
            "group": mine,
            "groups": groups,
            "participants": selectors.participants_of(workshop),
            "exercises": selectors.exercises_for(workshop, seat),
            "server_time": timezone.now(),
        }
        return Response(ws.HomeSerializer(out).data)
