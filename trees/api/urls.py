"""REST layer: URL routes under /api/."""

from django.urls import path

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

urlpatterns = [
    path("auth/csrf/", views.CsrfView.as_view(), name="auth-csrf"),
    path("auth/login/", views.LoginView.as_view(), name="auth-login"),
    path("auth/logout/", views.LogoutView.as_view(), name="auth-logout"),
    path("auth/me/", views.MeView.as_view(), name="auth-me"),
    path("auth/token/", views.TokenView.as_view(), name="auth-token"),
    path("auth/tokens/", views.TokenListView.as_view(), name="auth-tokens"),
    path("auth/tokens/<int:token_id>/", views.TokenDetailView.as_view(), name="auth-token-detail"),
    path("auth/password/", views.PasswordView.as_view(), name="auth-password"),
    path("auth/password/set/", workshop_views.PasswordSetView.as_view(), name="auth-password-set"),
    path("auth/access/", workshop_views.AccessView.as_view(), name="auth-access"),
    path("auth/signup/", workshop_views.SignupView.as_view(), name="auth-signup"),
    # Workshops and share links (docs/security.md, "Workshops and share links").
    path("join/", workshop_views.JoinView.as_view(), name="workshop-join"),
    path("workshops/", workshop_views.WorkshopListView.as_view(), name="workshop-list"),
    path(
        "workshops/<int:workshop_id>/",
        workshop_views.WorkshopDetailView.as_view(),
        name="workshop-detail",
    ),
    path(
        "workshops/<int:workshop_id>/participants/",
        workshop_views.ParticipantListView.as_view(),
        name="participant-list",
    ),
    path(
        "workshops/<int:workshop_id>/participants/<int:participant_id>/",
        workshop_views.ParticipantDetailView.as_view(),
        name="participant-detail",
    ),
    path(
        "workshops/<int:workshop_id>/participants/<int:participant_id>/reset/",
        workshop_views.ParticipantResetView.as_view(),
        name="participant-reset",
    ),
    path(
        "workshops/<int:workshop_id>/groups/",
        workshop_group_views.GroupListView.as_view(),
        name="group-list",
    ),
    path(
        "workshops/<int:workshop_id>/groups/draw/",
        workshop_group_views.GroupDrawView.as_view(),
        name="group-draw",
    ),
    path(
        "workshops/<int:workshop_id>/groups/<int:group_id>/",
        workshop_group_views.GroupDetailView.as_view(),
        name="group-detail",
    ),
    path(
        "workshops/<int:workshop_id>/home/",
        workshop_round_views.HomeView.as_view(),
        name="workshop-home",
    ),
    path(
        "workshops/<int:workshop_id>/exercises/",
        workshop_round_views.ExerciseListView.as_view(),
        name="exercise-list",
    ),
    path(
        "workshops/<int:workshop_id>/exercises/<int:exercise_id>/",
        workshop_round_views.ExerciseDetailView.as_view(),
        name="exercise-detail",
    ),
    path(
        "workshops/<int:workshop_id>/rounds/<int:round_id>/start/",
        workshop_round_views.RoundStartView.as_view(),
        name="round-start",
    ),
    path(
        "workshops/<int:workshop_id>/rounds/<int:round_id>/extend/",
        workshop_round_views.RoundExtendView.as_view(),
        name="round-extend",
    ),
    path(
        "workshops/<int:workshop_id>/rounds/<int:round_id>/end/",
        workshop_round_views.RoundEndView.as_view(),
        name="round-end",
    ),
    path(
        "workshops/<int:workshop_id>/rounds/<int:round_id>/merge/",
        workshop_round_views.RoundMergeView.as_view(),
        name="round-merge",
    ),
    path(
        "workshops/<int:workshop_id>/rounds/<int:round_id>/prepare/",
        workshop_round_views.RoundPrepareView.as_view(),
        name="round-prepare",
    ),
    # The facilitator board, its projector link, the export, before/after (docs/guide.md).
    path(
        "workshops/<int:workshop_id>/board/",
        board_views.BoardView.as_view(),
        name="workshop-board",
    ),
    path(
        "workshops/<int:workshop_id>/board/link/",
        board_views.BoardLinkView.as_view(),
        name="workshop-board-link",
    ),
    path(
        "workshops/<int:workshop_id>/export/",
        board_views.WorkshopExportView.as_view(),
        name="workshop-export",
    ),
    path(
        "workshops/<int:workshop_id>/problem-trees/",
        board_views.PersonTreesView.as_view(),
        name="workshop-problem-trees",
    ),
    path("compare/", board_views.CompareView.as_view(), name="compare"),
    path("share/", workshop_views.ShareRedeemView.as_view(), name="share-redeem"),
    path(
        "trees/<int:tree_id>/links/",
        workshop_views.ShareLinkListView.as_view(),
        name="share-link-list",
    ),
    path(
        "trees/<int:tree_id>/links/<int:link_id>/",
        workshop_views.ShareLinkDetailView.as_view(),
        name="share-link-detail",
    ),
    path("trees/", views.TreeListView.as_view(), name="tree-list"),
    path("trees/import/", transfer_views.ImportView.as_view(), name="tree-import"),
    path(
        "trees/import/preview/",
        transfer_views.ImportPreviewView.as_view(),
        name="tree-import-preview",
    ),
    path("trees/<int:tree_id>/", views.TreeDetailView.as_view(), name="tree-detail"),
    path("trees/<int:tree_id>/export/", transfer_views.ExportView.as_view(), name="tree-export"),
    path("trees/<int:tree_id>/leave/", views.TreeLeaveView.as_view(), name="tree-leave"),
    path("trees/<int:tree_id>/members/", views.MemberListView.as_view(), name="member-list"),
    path(
        "trees/<int:tree_id>/members/<int:user_id>/",
        views.MemberDetailView.as_view(),
        name="member-detail",
    ),
    path("trees/<int:tree_id>/snapshot/", views.SnapshotView.as_view(), name="tree-snapshot"),
    path("trees/<int:tree_id>/ops/", views.OpsView.as_view(), name="tree-ops"),
    path(
        "trees/<int:tree_id>/nodes/<str:node_id>/history/",
        history_views.NodeHistoryView.as_view(),
        name="node-history",
    ),
    path("trees/<int:tree_id>/trash/", history_views.TrashView.as_view(), name="tree-trash"),
    path(
        "trees/<int:tree_id>/versions/",
        history_views.VersionListView.as_view(),
        name="tree-versions",
    ),
    path(
        "trees/<int:tree_id>/versions/<int:seq>/",
        history_views.VersionView.as_view(),
        name="tree-version",
    ),
    # Analysis (docs/analysis.md)
    path(
        "trees/<int:tree_id>/survival/",
        analysis_views.SurvivalView.as_view(),
        name="tree-survival",
    ),
    path(
        "trees/<int:tree_id>/tag-suggestions/",
        analysis_views.TagSuggestionsView.as_view(),
        name="tree-tag-suggestions",
    ),
    path("trees/<int:tree_id>/review/", analysis_views.ReviewView.as_view(), name="tree-review"),
    path(
        "trees/<int:tree_id>/review/<int:suggestion_id>/",
        analysis_views.ReviewDecisionView.as_view(),
        name="tree-review-decision",
    ),
    path(
        "trees/<int:tree_id>/review/<int:suggestion_id>/undo/",
        analysis_views.ReviewUndoView.as_view(),
        name="tree-review-undo",
    ),
    path("trees/<int:tree_id>/fork/", analysis_views.ForkView.as_view(), name="tree-fork"),
    path(
        "trees/<int:tree_id>/merge-nodes/",
        analysis_views.MergeNodesView.as_view(),
        name="tree-merge-nodes",
    ),
    path(
        "trees/<int:tree_id>/nodes/<str:node_id>/split/",
        analysis_views.SplitNodeView.as_view(),
        name="tree-node-split",
    ),
    path(
        "trees/<int:tree_id>/conflicts/<int:index>/",
        analysis_views.ConflictPickView.as_view(),
        name="tree-conflict-pick",
    ),
    path("tags/", analysis_views.TagListView.as_view(), name="tag-list"),
    path("tags/rename/", analysis_views.TagRenameView.as_view(), name="tag-rename"),
    path("tags/vocabulary/", analysis_views.TagVocabularyView.as_view(), name="tag-vocabulary"),
    path("tags/<str:tag>/", analysis_views.TagDetailView.as_view(), name="tag-detail"),
    path("analysis/recurring/", analysis_views.RecurringView.as_view(), name="analysis-recurring"),
    path("merges/", analysis_views.MergeView.as_view(), name="merge-create"),
    path("merges/<int:merge_id>/", analysis_views.MergeDetailView.as_view(), name="merge-detail"),
]
