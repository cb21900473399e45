"""REST layer: URL routes under /api/."""

from django.urls import URLPattern, path
from rest_framework.views import APIView

from trees.api import (
    analysis_views,
    board_views,
    history_views,
    transfer_views,
    views,
    workshop_group_views,
    workshop_round_views,
    workshop_views,
)

# Every view of a tree takes its id from this prefix, every view of a workshop its own.
TREE = "trees/<int:tree_id>/"
WORKSHOP = "workshops/<int:workshop_id>/"


def route(pattern: str, view: type[APIView], name: str) -> URLPattern:
    """One API route: `view` is an APIView class, `name` its URL name (and schema operation)."""
    return path(pattern, view.as_view(), name=name)


urlpatterns = [
    route("auth/csrf/", views.CsrfView, "auth-csrf"),
    route("auth/login/", views.LoginView, "auth-login"),
    route("auth/logout/", views.LogoutView, "auth-logout"),
    route("auth/me/", views.MeView, "auth-me"),
    route("auth/session/", views.SessionView, "auth-session"),
    route("auth/token/", views.TokenView, "auth-token"),
    route("auth/tokens/", views.TokenListView, "auth-tokens"),
    route("auth/tokens/<int:token_id>/", views.TokenDetailView, "auth-token-detail"),
    route("auth/password/", views.PasswordView, "auth-password"),
    route("auth/password/set/", workshop_views.PasswordSetView, "auth-password-set"),
    route("auth/access/", workshop_views.AccessView, "auth-access"),
    route("auth/signup/", workshop_views.SignupView, "auth-signup"),
    # Workshops and share links (docs/security.md, "Workshops and share links").
    route("join/", workshop_views.JoinView, "workshop-join"),
    route("workshops/", workshop_views.WorkshopListView, "workshop-list"),
    route(WORKSHOP, workshop_views.WorkshopDetailView, "workshop-detail"),
    route(WORKSHOP + "participants/", workshop_views.ParticipantListView, "participant-list"),
    route(
        WORKSHOP + "participants/<int:participant_id>/",
        workshop_views.ParticipantDetailView,
        "participant-detail",
    ),
    route(
        WORKSHOP + "participants/<int:participant_id>/reset/",
        workshop_views.ParticipantResetView,
        "participant-reset",
    ),
    route(WORKSHOP + "groups/", workshop_group_views.GroupListView, "group-list"),
    route(WORKSHOP + "groups/draw/", workshop_group_views.GroupDrawView, "group-draw"),
    route(
        WORKSHOP + "groups/<int:group_id>/", workshop_group_views.GroupDetailView, "group-detail"
    ),
    route(WORKSHOP + "home/", workshop_round_views.HomeView, "workshop-home"),
    route(WORKSHOP + "exercises/", workshop_round_views.ExerciseListView, "exercise-list"),
    route(
        WORKSHOP + "exercises/<int:exercise_id>/",
        workshop_round_views.ExerciseDetailView,
        "exercise-detail",
    ),
    route(
        WORKSHOP + "rounds/<int:round_id>/start/",
        workshop_round_views.RoundStartView,
        "round-start",
    ),
    route(
        WORKSHOP + "rounds/<int:round_id>/extend/",
        workshop_round_views.RoundExtendView,
        "round-extend",
    ),
    route(WORKSHOP + "rounds/<int:round_id>/end/", workshop_round_views.RoundEndView, "round-end"),
    route(
        WORKSHOP + "rounds/<int:round_id>/merge/",
        workshop_round_views.RoundMergeView,
        "round-merge",
    ),
    route(
        WORKSHOP + "rounds/<int:round_id>/prepare/",
        workshop_round_views.RoundPrepareView,
        "round-prepare",
    ),
    # The facilitator board, its projector link, the export, before/after (docs/guide.md).
    route(WORKSHOP + "board/", board_views.BoardView, "workshop-board"),
    route(WORKSHOP + "board/link/", board_views.BoardLinkView, "workshop-board-link"),
    route(WORKSHOP + "export/", board_views.WorkshopExportView, "workshop-export"),
    route(WORKSHOP + "problem-trees/", board_views.PersonTreesView, "workshop-problem-trees"),
    route("compare/", board_views.CompareView, "compare"),
    route("share/", workshop_views.ShareRedeemView, "share-redeem"),
    route("share/enter/", workshop_views.ShareEnterView, "share-enter"),
    route(TREE + "links/", workshop_views.ShareLinkListView, "share-link-list"),
    route(TREE + "links/<int:link_id>/", workshop_views.ShareLinkDetailView, "share-link-detail"),
    route("trees/", views.TreeListView, "tree-list"),
    route("trees/import/", transfer_views.ImportView, "tree-import"),
    route("trees/import/preview/", transfer_views.ImportPreviewView, "tree-import-preview"),
    route(TREE, views.TreeDetailView, "tree-detail"),
    route(TREE + "export/", transfer_views.ExportView, "tree-export"),
    route(TREE + "leave/", views.TreeLeaveView, "tree-leave"),
    route(TREE + "members/", views.MemberListView, "member-list"),
    route(TREE + "members/<int:user_id>/", views.MemberDetailView, "member-detail"),
    route(TREE + "snapshot/", views.SnapshotView, "tree-snapshot"),
    route(TREE + "ops/", views.OpsView, "tree-ops"),
    route(TREE + "nodes/<str:node_id>/history/", history_views.NodeHistoryView, "node-history"),
    route(TREE + "trash/", history_views.TrashView, "tree-trash"),
    route(TREE + "versions/", history_views.VersionListView, "tree-versions"),
    route(TREE + "versions/<int:seq>/", history_views.VersionView, "tree-version"),
    # Analysis (docs/analysis.md)
    route(TREE + "survival/", analysis_views.SurvivalView, "tree-survival"),
    route(TREE + "tag-suggestions/", analysis_views.TagSuggestionsView, "tree-tag-suggestions"),
    route(TREE + "review/", analysis_views.ReviewView, "tree-review"),
    route(
        TREE + "review/<int:suggestion_id>/",
        analysis_views.ReviewDecisionView,
        "tree-review-decision",
    ),
    route(
        TREE + "review/<int:suggestion_id>/undo/", analysis_views.ReviewUndoView, "tree-review-undo"
    ),
    route(TREE + "fork/", analysis_views.ForkView, "tree-fork"),
    route(TREE + "merge-nodes/", analysis_views.MergeNodesView, "tree-merge-nodes"),
    route(TREE + "nodes/<str:node_id>/split/", analysis_views.SplitNodeView, "tree-node-split"),
    route(TREE + "conflicts/<int:index>/", analysis_views.ConflictPickView, "tree-conflict-pick"),
    route("tags/", analysis_views.TagListView, "tag-list"),
    route("tags/rename/", analysis_views.TagRenameView, "tag-rename"),
    route("tags/vocabulary/", analysis_views.TagVocabularyView, "tag-vocabulary"),
    route("tags/<str:tag>/", analysis_views.TagDetailView, "tag-detail"),
    route("analysis/recurring/", analysis_views.RecurringView, "analysis-recurring"),
    route("merges/", analysis_views.MergeView, "merge-create"),
    route("merges/<int:merge_id>/", analysis_views.MergeDetailView, "merge-detail"),
]
