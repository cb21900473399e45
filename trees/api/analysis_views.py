"""REST layer (thin): survival, failure modes, recurring constraints, merges and their review
(docs/analysis.md). Reads call `trees.analysis_service`; writes call one action each."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trees import analysis_service as service
from trees import selectors
from trees.actions.merge_jobs import merge_job_expire, merge_start
from trees.actions.merges import tree_fork
from trees.actions.node_tools import conflict_pick, node_split, nodes_merge
from trees.actions.review import review_decide, review_undo
from trees.actions.tags import failure_mode_set, tag_vocabulary, tags_rename
from trees.api.serializers import ErrorSerializer, TreeSerializer
from trees.api.views import tree_context
from trees.domain.errors import ActionError
from trees.models import MergeJob, MergeStatus

_OBJECT = OpenApiTypes.OBJECT


class MergeRequestSerializer(serializers.Serializer[Any]):
    trees = serializers.ListField(child=serializers.IntegerField(min_value=1), min_length=2)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MergeErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


class MergeJobSerializer(serializers.Serializer[MergeJob]):
    """A merge's status; `tree` and the result fields are null until it is done."""

    id = serializers.IntegerField()
    url = serializers.SerializerMethodField()
    status = serializers.ChoiceField(choices=MergeStatus.choices)
    phase = serializers.CharField()
    progress = serializers.SerializerMethodField()
    error = serializers.SerializerMethodField()
    trees = serializers.ListField(child=serializers.IntegerField(), source="sources")
    title = serializers.CharField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    tree = serializers.SerializerMethodField()
    suggestions = serializers.SerializerMethodField()
    disagreements = serializers.SerializerMethodField()
    conflicts = serializers.SerializerMethodField()
    stats = serializers.SerializerMethodField()

    def get_url(self, job: MergeJob) -> str:
        return reverse("merge-detail", args=[job.pk])

    def get_progress(self, job: MergeJob) -> float:
        return round(job.progress, 3)

    @extend_schema_field(MergeErrorSerializer(allow_null=True))
    def get_error(self, job: MergeJob) -> dict[str, str] | None:
        if job.status != MergeStatus.FAILED:
            return None
        return {"code": job.error_code, "message": job.error_message}

    @extend_schema_field(TreeSerializer(allow_null=True))
    def get_tree(self, job: MergeJob) -> Any:
        role = selectors.role_of(self.context["user"], job.tree_id) if job.tree_id else None
        if job.tree is None or role is None:
            return None
        return TreeSerializer(job.tree, context=tree_context([job.tree], {job.tree.pk: role})).data

    def _result(self, job: MergeJob, key: str) -> Any:
        return job.result.get(key) if job.status == MergeStatus.DONE else None

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_suggestions(self, job: MergeJob) -> int | None:
        return self._result(job, "suggestions")  # type: ignore[no-any-return]

    @extend_schema_field(serializers.ListField(child=serializers.DictField(), allow_null=True))
    def get_disagreements(self, job: MergeJob) -> Any:
        return self._result(job, "disagreements")

    @extend_schema_field(serializers.ListField(child=serializers.DictField(), allow_null=True))
    def get_conflicts(self, job: MergeJob) -> Any:
        return self._result(job, "conflicts")

    @extend_schema_field(serializers.DictField(allow_null=True))
    def get_stats(self, job: MergeJob) -> Any:
        return self._result(job, "stats")


class DecisionSerializer(serializers.Serializer[Any]):
    decision = serializers.ChoiceField(choices=["accept", "reject", "pick"])
    candidate = serializers.CharField(max_length=64, required=False)
    # A field named like an attribute of DRF's Field (label, source, parent):
    # the serializer metaclass moves it out of the class, which the stubs cannot see.
    label = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["a", "b"],
        required=False,
        help_text="Whose label the merged node keeps (default a); the other becomes an alias.",
    )


class MergeNodesSerializer(serializers.Serializer[Any]):
    a = serializers.CharField(max_length=64, help_text="The node that stays")
    b = serializers.CharField(max_length=64, help_text="The node merged into it")
    # A field named like an attribute of DRF's Field (label, source, parent):
    # the serializer metaclass moves it out of the class, which the stubs cannot see.
    label = serializers.ChoiceField(choices=["a", "b"], required=False)  # type: ignore[assignment]


class SplitAnswerSerializer(serializers.Serializer[Any]):
    nodes = serializers.ListField(child=serializers.CharField())


class ConflictPickSerializer(serializers.Serializer[Any]):
    pick = serializers.CharField(
        max_length=32, help_text='"base", or the tree id of the copy whose value wins'
    )


class TagRenameSerializer(serializers.Serializer[Any]):
    to = serializers.CharField(max_length=200)
    trees = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=200,
        help_text="Default: every tree I may edit",
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()  # "from" is a keyword: added by name
        fields["from"] = serializers.ListField(
            child=serializers.CharField(max_length=200),
            min_length=1,
            max_length=50,
            help_text="The tag to rename, or several to merge into `to` (a string is one)",
        )
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("from"), str):
            data = {**data, "from": [data["from"]]}
        return super().to_internal_value(data)


class TagRenameAnswerSerializer(serializers.Serializer[Any]):
    to = serializers.CharField()
    trees = serializers.ListField(child=serializers.DictField())

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = serializers.ListField(child=serializers.CharField())
        return fields


class TagVocabularyRowSerializer(serializers.Serializer[Any]):
    tag = serializers.CharField()
    count = serializers.IntegerField()
    # Fields named like attributes of DRF's Field (label, source, parent): the serializer
    # metaclass moves them out of the class, which the stubs cannot see.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["tree", "group", "vocabulary"]
    )
    label = serializers.CharField(allow_blank=True)  # type: ignore[assignment]
    description = serializers.CharField(allow_blank=True)
    aliases = serializers.ListField(child=serializers.CharField())


class ForkSerializer(serializers.Serializer[Any]):
    people = serializers.ListField(
        child=serializers.CharField(max_length=150), min_length=1, max_length=50
    )


class ProblemRefSerializer(serializers.Serializer[Any]):
    tree = serializers.IntegerField(min_value=1)
    node = serializers.CharField(max_length=64)


class FailureModeSerializer(serializers.Serializer[Any]):
    problem = ProblemRefSerializer(allow_null=True, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class TagRowSerializer(serializers.Serializer[Any]):
    tag = serializers.CharField()
    count = serializers.IntegerField()
    trees = serializers.ListField(child=serializers.IntegerField())
    problem = serializers.DictField(allow_null=True)
    description = serializers.CharField(allow_blank=True)


class TagSuggestionRowSerializer(serializers.Serializer[Any]):
    node = serializers.CharField()
    # A field named like an attribute of DRF's Field (label, source, parent):
    # the serializer metaclass moves it out of the class, which the stubs cannot see.
    label = serializers.CharField(allow_blank=True)  # type: ignore[assignment]
    suggestions = serializers.ListField(child=serializers.DictField())


def _valid(serializer_class: type[Any], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SurvivalView(APIView):
    @extend_schema(
        responses={200: _OBJECT, 400: ErrorSerializer},
        summary="Survives / broken / contested for every live node of a game tree",
    )
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        return Response(service.survival_report(tree))


class TagListView(APIView):
    @extend_schema(
        responses=TagRowSerializer(many=True), summary="Failure-mode tags across my game trees"
    )
    def get(self, request: Request) -> Response:
        return Response(service.tag_table(request.user))


class TagDetailView(APIView):
    @extend_schema(
        request=FailureModeSerializer,
        responses={200: TagRowSerializer, 400: ErrorSerializer, 404: ErrorSerializer},
        summary="Point a failure mode at a node of a problem tree",
    )
    def put(self, request: Request, tag: str) -> Response:
        data = _valid(FailureModeSerializer, request.data)
        problem = data.get("problem")
        mode = failure_mode_set(
            user=request.user,
            tag=tag,
            problem=dict(problem) if problem else None,
            description=data.get("description", ""),
        )
        return Response(service.tag_row(request.user, mode))


class TagSuggestionsView(APIView):
    @extend_schema(
        responses={200: TagSuggestionRowSerializer(many=True), 400: ErrorSerializer},
        summary="Tags for the untagged critiques of a game tree",
    )
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        return Response(service.tag_suggestions(request.user, tree))


class RecurringView(APIView):
    @extend_schema(
        parameters=[
            OpenApiParameter("trees", str, required=True, description="Tree ids: 1,2,3"),
            OpenApiParameter("top", int, description="Keep the first N items"),
        ],
        responses={200: _OBJECT, 400: ErrorSerializer, 404: ErrorSerializer},
        summary="What recurs across trees, most taut first",
    )
    def get(self, request: Request) -> Response:
        ids = service.parse_tree_ids(request.query_params.get("trees", ""))
        trees = service.accessible_trees(request.user, ids)
        top = _top(request.query_params.get("top"))
        return Response(service.recurring_report(trees, top=top))


def _top(raw: str | None) -> int | None:
    if raw in (None, ""):
        return None
    try:
        top = int(raw)
    except ValueError:
        raise ActionError("invalid", "top must be a positive integer.") from None
    if top < 1:
        raise ActionError("invalid", "top must be a positive integer.")
    return top


class MergeView(APIView):
    @extend_schema(
        request=MergeRequestSerializer,
        responses={
            202: MergeJobSerializer,
            400: ErrorSerializer,
            404: ErrorSerializer,
            409: ErrorSerializer,
        },
        summary="Start merging problem trees into a new DAG tree with a review queue",
        description=(
            "Answers at once with the queued merge; poll its `url` (GET) until `status` is "
            "`done` (then `tree` and the result are set) or `failed` (then `error`)."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _valid(MergeRequestSerializer, request.data)
        ids = service.parse_tree_ids(data["trees"])
        trees = service.accessible_trees(request.user, ids)
        job = merge_start(
            actor_id=selectors.user_id_of(request.user), trees=trees, title=data.get("title")
        )
        body = MergeJobSerializer(job, context={"user": request.user}).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})


class MergeDetailView(APIView):
    @extend_schema(
        responses={200: MergeJobSerializer, 404: ErrorSerializer},
        summary="A merge I started: status, phase, progress; when done, the merged tree",
    )
    def get(self, request: Request, merge_id: int) -> Response:
        job = merge_job_expire(job=selectors.access_merge_job(request.user, merge_id))
        return Response(MergeJobSerializer(job, context={"user": request.user}).data)


class ReviewView(APIView):
    @extend_schema(responses=_OBJECT, summary="The review queue of a merged tree")
    def get(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id)
        return Response(service.review_payload(tree))


class ReviewDecisionView(APIView):
    @extend_schema(
        request=DecisionSerializer,
        responses={200: _OBJECT, 400: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer},
        summary="Accept, reject or pick a candidate (changes the merged tree through ops)",
    )
    def post(self, request: Request, tree_id: int, suggestion_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        data = _valid(DecisionSerializer, request.data)
        payload = review_decide(
            tree=tree,
            actor_id=selectors.user_id_of(request.user),
            suggestion_id=suggestion_id,
            decision=data["decision"],
            candidate=data.get("candidate"),
            label=data.get("label"),
        )
        return Response(payload)


class ReviewUndoView(APIView):
    @extend_schema(
        request=None,
        responses={200: _OBJECT, 403: ErrorSerializer, 409: ErrorSerializer},
        summary="Undo a review decision (applies the inverse ops)",
    )
    def post(self, request: Request, tree_id: int, suggestion_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        payload = review_undo(
            tree=tree, actor_id=selectors.user_id_of(request.user), suggestion_id=suggestion_id
        )
        return Response(payload)


class ForkView(APIView):
    @extend_schema(
        request=ForkSerializer,
        responses={201: _OBJECT, 400: ErrorSerializer, 403: ErrorSerializer},
        summary="One copy of a merged tree per person, for the next merge round",
    )
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        data = _valid(ForkSerializer, request.data)
        people = service.username_ids(data["people"])
        made = tree_fork(tree=tree, actor_id=selectors.user_id_of(request.user), people=people)
        body = {
            "trees": [
                {
                    "person": name,
                    "tree": TreeSerializer(
                        forked,
                        context=tree_context([forked], {forked.pk: _role(request, forked, name)}),
                    ).data,
                }
                for name, forked in made
            ]
        }
        return Response(body, status=status.HTTP_201_CREATED)


def _role(request: Request, tree: Any, name: str) -> str:
    return "owner" if request.user.get_username() == name else "editor"


class MergeNodesView(APIView):
    @extend_schema(
        request=MergeNodesSerializer,
        responses={200: _OBJECT, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
        summary="Merge two nodes by hand (b into a); undo it in the review queue",
        description=(
            "Answers `{suggestion, progress}`: an accepted suggestion 'merged by hand', "
            "broadcast as a `review` event; its undo endpoint splits the nodes again."
        ),
    )
    def post(self, request: Request, tree_id: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        data = _valid(MergeNodesSerializer, request.data)
        payload = nodes_merge(
            tree=tree,
            actor_id=selectors.user_id_of(request.user),
            a=data["a"],
            b=data["b"],
            label=data.get("label"),
        )
        return Response(payload)


class SplitNodeView(APIView):
    @extend_schema(
        request=None,
        responses={
            200: SplitAnswerSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        summary="Split a merged node back into one node per source tree",
    )
    def post(self, request: Request, tree_id: int, node_id: str) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        nodes = node_split(tree=tree, actor_id=selectors.user_id_of(request.user), node_id=node_id)
        return Response({"nodes": nodes})


class ConflictPickView(APIView):
    @extend_schema(
        request=ConflictPickSerializer,
        responses={200: _OBJECT, 400: ErrorSerializer, 403: ErrorSerializer, 409: ErrorSerializer},
        summary="Settle a round-merge conflict: pick a copy's value (or the base)",
    )
    def post(self, request: Request, tree_id: int, index: int) -> Response:
        tree, _ = selectors.access_tree(request.user, tree_id, need=selectors.WRITE)
        data = _valid(ConflictPickSerializer, request.data)
        return Response(
            conflict_pick(
                tree=tree,
                actor_id=selectors.user_id_of(request.user),
                index=index,
                pick=data["pick"],
            )
        )


class TagRenameView(APIView):
    @extend_schema(
        request=TagRenameSerializer,
        responses={
            200: TagRenameAnswerSerializer,
            400: ErrorSerializer,
            403: ErrorSerializer,
            404: ErrorSerializer,
        },
        summary="Rename a tag, or merge several into one, in trees I may edit",
        description=(
            'Body `{"from": tag or [tags], "to": tag, "trees": [ids]}` (`trees` default: every '
            "tree I may edit). Ordinary `set tags` ops, seen live; open pages get a `tags` event."
        ),
    )
    def post(self, request: Request) -> Response:
        data = _valid(TagRenameSerializer, request.data)
        if "trees" in data:
            ids = service.parse_tree_ids(data["trees"])
            trees = [selectors.access_tree(request.user, i, need=selectors.WRITE)[0] for i in ids]
        else:
            trees = list(
                selectors.trees_for_user(request.user)
                .filter(
                    memberships__user_id=selectors.user_id_of(request.user),
                    memberships__role__in=["owner", "editor"],
                )
                .distinct()
            )
        out = tags_rename(user=request.user, trees=trees, old=data["from"], new=data["to"])
        return Response({"from": out["from"], "to": out["to"], "trees": out["trees"]})


class TagVocabularyView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("tree", int, description="This tree's tags first")],
        responses={200: TagVocabularyRowSerializer(many=True), 404: ErrorSerializer},
        summary="Tags to offer while typing: my trees' tags and the failure-mode vocabulary",
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("tree")
        tree = None
        if raw not in (None, ""):
            tree = selectors.access_tree(request.user, str(raw))[0]
        return Response(tag_vocabulary(user=request.user, tree=tree))
