"""REST layer: request and response shapes of workshop groups, exercises and rounds
(/work contract: docs/guide.md "Run a workshop" and docs/security.md)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from trees.api.serializers import ParticipantSerializer, WorkshopSerializer
from trees.models import ExerciseKind, ExerciseTreeKind, GroupMergeStatus, RoundMode


class GroupSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    position = serializers.IntegerField()
    members = serializers.ListField(
        child=serializers.IntegerField(), help_text="Participant ids, in the order they joined."
    )


class GroupsSerializer(serializers.Serializer[Any]):
    groups = GroupSerializer(many=True)
    unassigned = serializers.ListField(
        child=serializers.IntegerField(), help_text="Participants in no group."
    )


class GroupDrawSerializer(serializers.Serializer[Any]):
    size = serializers.IntegerField(
        required=False, default=3, help_text="Preferred group size, 2 or 3."
    )
    seed = serializers.IntegerField(
        required=False, allow_null=True, help_text="Makes the draw repeatable (tests)."
    )


class GroupCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class GroupUpdateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=200, required=False)
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000)


class TreeFateSerializer(serializers.Serializer[Any]):
    tree = serializers.IntegerField()
    exercise = serializers.IntegerField()
    round = serializers.IntegerField()
    round_number = serializers.IntegerField()
    group = serializers.IntegerField(help_text="The group the tree is in now.")
    outcome = serializers.ChoiceField(
        choices=["follows", "merged_already", "no_group"],
        help_text=(
            "follows: it moved to the new group (its merge will include it); merged_already: "
            "its round has ended, it stays where it was merged; no_group: moved to no group, "
            "it stays in the old group, whose merge includes it."
        ),
    )
    message = serializers.CharField()


class ParticipantMovedSerializer(ParticipantSerializer):
    trees = TreeFateSerializer(
        many=True, help_text="What the move did with each of their individual trees concerned."
    )
    message = serializers.CharField(
        help_text="The trees' messages in one text for the facilitator (empty: none)."
    )


class ParticipantMoveSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField(
        allow_null=True, min_value=1, max_value=2**63 - 1, help_text="A group's id, or null."
    )


class GroupMergeOutSerializer(serializers.Serializer[Any]):
    group = serializers.IntegerField()
    status = serializers.ChoiceField(choices=GroupMergeStatus.choices)
    tree = serializers.IntegerField(allow_null=True)
    job = serializers.IntegerField(allow_null=True)
    error_code = serializers.CharField(allow_blank=True)


class RoundSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    exercise = serializers.IntegerField()
    number = serializers.IntegerField()
    mode = serializers.ChoiceField(choices=RoundMode.choices)
    blind = serializers.BooleanField()
    duration_seconds = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["pending", "running", "ended"])
    started_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    merges = GroupMergeOutSerializer(many=True)


class ExerciseTreeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    tree = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=ExerciseTreeKind.choices)
    exercise = serializers.IntegerField()
    round = serializers.IntegerField(allow_null=True)
    group = serializers.IntegerField()
    participant = serializers.IntegerField(allow_null=True)
    role = serializers.CharField(help_text="My role on the tree: owner, editor or viewer.")


class ExerciseSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ExerciseKind.choices)
    title = serializers.CharField()
    phase = serializers.CharField(allow_blank=True)
    position = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    rounds = RoundSerializer(many=True)
    trees = ExerciseTreeSerializer(many=True, help_text="Only the trees I may open.")


class ExerciseListSerializer(serializers.Serializer[Any]):
    exercises = ExerciseSerializer(many=True)


class ExerciseCreateSerializer(serializers.Serializer[Any]):
    template = serializers.ChoiceField(
        choices=["game_tree", "problem_tree", "before_after_reading"]
    )
    title = serializers.CharField(max_length=200, required=False)
    phase = serializers.CharField(max_length=60, required=False, allow_blank=True)
    duration_seconds = serializers.IntegerField(
        required=False, min_value=60, max_value=14400, default=900
    )
    rounds = serializers.IntegerField(
        required=False, min_value=1, max_value=6, default=2, help_text="Problem trees only."
    )
    blind = serializers.BooleanField(required=False, default=True)


class ExerciseUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, required=False)
    phase = serializers.CharField(max_length=60, required=False, allow_blank=True)
    position = serializers.IntegerField(required=False, min_value=0, max_value=100000)


class RoundStartSerializer(serializers.Serializer[Any]):
    duration_seconds = serializers.IntegerField(required=False, min_value=60, max_value=14400)


class RoundExtendSerializer(serializers.Serializer[Any]):
    seconds = serializers.IntegerField(min_value=1, max_value=3600)


class HomeSerializer(serializers.Serializer[Any]):
    workshop = WorkshopSerializer()
    me = ParticipantSerializer()
    group = GroupSerializer(allow_null=True)
    groups = GroupSerializer(many=True)
    participants = ParticipantSerializer(many=True)
    exercises = ExerciseSerializer(many=True)
    server_time = serializers.DateTimeField()
