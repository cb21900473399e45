"""Django admin for trees, members, nodes and the operation log.

Node content should change through operations (so live clients hear about it); the admin is
for looking and for fixing membership, so nodes and log rows are read-only here, and so are
merge suggestions (decisions change the merged tree through ops: use the review screen) and
merge jobs (their thread writes them).
"""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered

from trees.models import (
    ApiToken,
    FailureMode,
    GlossaryEntry,
    LoginFailure,
    Membership,
    MergeJob,
    MergeSuggestion,
    Node,
    OpLog,
    RejectedPair,
    Tree,
)


class MembershipInline(admin.TabularInline[Membership, Tree]):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Tree)
class TreeAdmin(admin.ModelAdmin[Tree]):
    list_display = ["id", "title", "kind", "owner", "version", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["title", "description", "owner__username"]
    readonly_fields = ["version", "created_at", "updated_at"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin[Membership]):
    list_display = ["tree", "user", "role"]
    list_filter = ["role"]
    search_fields = ["tree__title", "user__username"]
    raw_id_fields = ["tree", "user"]


@admin.register(Node)
class NodeAdmin(admin.ModelAdmin[Node]):
    list_display = ["id", "tree", "type", "text", "deleted", "updated_at"]
    list_filter = ["type", "deleted"]
    search_fields = ["text", "note"]
    raw_id_fields = ["tree", "author"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(OpLog)
class OpLogAdmin(admin.ModelAdmin[OpLog]):
    list_display = ["tree", "seq", "client_id", "client_n", "actor", "at"]
    raw_id_fields = ["tree", "actor"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(MergeSuggestion)
class MergeSuggestionAdmin(admin.ModelAdmin[MergeSuggestion]):
    list_display = ["tree", "position", "status", "score", "decided_by", "decided_at"]
    list_filter = ["status"]
    raw_id_fields = ["tree", "decided_by"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(MergeJob)
class MergeJobAdmin(admin.ModelAdmin[MergeJob]):
    list_display = ["id", "actor", "status", "phase", "progress", "error_code", "created_at"]
    list_filter = ["status", "error_code"]
    raw_id_fields = ["actor", "tree"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(RejectedPair)
class RejectedPairAdmin(admin.ModelAdmin[RejectedPair]):
    list_display = ["a_tree", "a_node", "b_tree", "b_node", "rejected_by", "created_at"]
    raw_id_fields = ["a_tree", "b_tree", "suggestion", "rejected_by"]


@admin.register(GlossaryEntry)
class GlossaryEntryAdmin(admin.ModelAdmin[GlossaryEntry]):
    list_display = ["user", "alias", "canonical", "created_at"]
    search_fields = ["alias", "canonical", "user__username"]
    raw_id_fields = ["user"]


@admin.register(FailureMode)
class FailureModeAdmin(admin.ModelAdmin[FailureMode]):
    list_display = ["user", "tag", "problem_tree", "problem_node", "updated_at"]
    search_fields = ["tag", "description", "user__username"]
    raw_id_fields = ["user", "problem_tree"]


# The old DRF token table is emptied by migration 0007 (its tokens became ApiTokens); its
# admin page would only confuse.
try:
    from rest_framework.authtoken.models import TokenProxy

    admin.site.unregister(TokenProxy)
except NotRegistered:  # pragma: no cover - depends on app order
    pass


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    """Revoke a user's token by deleting it here."""

    list_display = ["user", "prefix", "created_at", "expires_at", "last_used_at"]
    search_fields = ["user__username", "prefix"]
    readonly_fields = ["user", "key_hash", "prefix", "created_at", "last_used_at", "session_key"]


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin[LoginFailure]):
    """Unlock an account or address by deleting its failures here (or `manage.py unlocklogin`)."""

    list_display = ["key", "at"]
    search_fields = ["key"]
