"""REST layer: serializers for input validation and output shapes (no business rules)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trees.models import Membership, Role, ShareRole, Tree, TreeKind
from trees.selectors import display_name


class UserRefSerializer(serializers.Serializer[Any]):
    """A person: `username` identifies them (invites, forks), `name` is how they are shown
    (the name they gave, e.g. when joining a workshop; their username when they gave none)."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.SerializerMethodField()

    def get_name(self, user: Any) -> str:
        return user["name"] if isinstance(user, dict) else display_name(user)


class LoginSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class TokenSerializer(serializers.Serializer[Any]):
    """A new token: `token` is its key, shown this once."""

    token = serializers.CharField()
    id = serializers.IntegerField()
    expires_at = serializers.DateTimeField()


class TokenInfoSerializer(serializers.Serializer[Any]):
    """One of my tokens, without its key; `current` is the one this request came with."""

    id = serializers.IntegerField()
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)
    current = serializers.BooleanField()


class PasswordChangeSerializer(serializers.Serializer[Any]):
    old_password = serializers.CharField(max_length=256, trim_whitespace=False)
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class CsrfSerializer(serializers.Serializer[Any]):
    csrfToken = serializers.CharField()


class SessionSerializer(serializers.Serializer[Any]):
    authenticated = serializers.BooleanField()
    user = UserRefSerializer(allow_null=True)


class TreeSerializer(serializers.ModelSerializer[Tree]):
    # Named as the tree names people: the context's `owners` is
    # `selectors.owners_in_trees` for these trees (a workshop's tree shows a seat's name).
    owner = serializers.SerializerMethodField()
    role = serializers.SerializerMethodField()

    class Meta:
        model = Tree
        fields = [
            "id",
            "kind",
            "title",
            "description",
            "owner",
            "role",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(UserRefSerializer(read_only=True))
    def get_owner(self, tree: Tree) -> dict[str, Any]:
        owners: dict[int, dict[str, Any]] = self.context["owners"]
        return dict(UserRefSerializer(owners[tree.pk]).data)

    def get_role(self, tree: Tree) -> str | None:
        roles: dict[int, str] = self.context.get("roles", {})
        return roles.get(tree.pk)


class TreeWorkshopSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    title = serializers.CharField()
    exercise = serializers.IntegerField()


class TreeDetailSerializer(TreeSerializer):
    """One tree: as in the list, plus the workshop it belongs to (an exercise's tree), if any,
    for the tree page's way back to the workshop and its round timer."""

    workshop = serializers.SerializerMethodField()

    class Meta(TreeSerializer.Meta):
        fields = [*TreeSerializer.Meta.fields, "workshop"]
        read_only_fields = fields

    @extend_schema_field(TreeWorkshopSerializer(allow_null=True))
    def get_workshop(self, tree: Tree) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.context.get("workshop")
        return found


class TreeCreateSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=TreeKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class TreeUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)


class MemberSerializer(serializers.ModelSerializer[Membership]):
    """A member of the tree and their role; in a workshop's tree `user.name` is the name
    they joined the workshop with."""

    # Named as the tree names people: the context's `names` is the tree's
    # `selectors.people_in_tree` for these members.
    user = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["user", "role"]
        read_only_fields = fields

    @extend_schema_field(UserRefSerializer(read_only=True))
    def get_user(self, membership: Membership) -> dict[str, Any]:
        # No fallback to the account's own name: a caller that forgets the tree's names
        # fails loudly here rather than naming a workshop's people wrongly.
        names: dict[int, dict[str, Any]] = self.context["names"]
        return dict(UserRefSerializer(names[membership.user_id]).data)


class MemberAddSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class MemberRoleSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices)


class NodeSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    type = serializers.CharField()
    # A field named like an attribute of DRF's Field (label, source, parent):
    # the serializer metaclass moves it out of the class, which the stubs cannot see.
    parent = serializers.UUIDField(allow_null=True)  # type: ignore[assignment]
    parents = serializers.ListField(child=serializers.UUIDField())
    key = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    note = serializers.CharField(allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField())
    author = serializers.IntegerField(allow_null=True)
    deleted = serializers.BooleanField()
    meta = serializers.DictField()
    field_seq = serializers.DictField(child=serializers.IntegerField())
    y = serializers.CharField(
        required=False,
        help_text="The text's Yjs document (base64), present once the text has been merged.",
    )


class SnapshotSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField()
    kind = serializers.CharField()
    nodes = NodeSerializer(many=True)


class OpSubmitSerializer(serializers.Serializer[Any]):
    client_id = serializers.CharField(min_length=1, max_length=64, trim_whitespace=False)
    n = serializers.IntegerField(min_value=0)
    op = serializers.JSONField(help_text="An operation as described in docs/protocol.md.")


class OpResultSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField()
    dup = serializers.BooleanField()
    overwrote = serializers.IntegerField()
    op = serializers.JSONField()


class LoggedOpSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField()
    client_id = serializers.CharField()
    n = serializers.IntegerField()
    op = serializers.JSONField()
    actor = serializers.IntegerField(allow_null=True)
    overwrote = serializers.IntegerField()


class OpsPageSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField(help_text="The tree's current version.")
    ops = LoggedOpSerializer(many=True)
    more = serializers.BooleanField(help_text="True when more ops follow; ask again.")


class ErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()


# -- history, trash and versions -----------------------------------------------------------------


class HistoryEntrySerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField()
    at = serializers.DateTimeField(help_text="When the server logged the op.")
    actor = UserRefSerializer(allow_null=True, help_text="Who wrote it (null: a removed user).")
    op = serializers.JSONField(help_text="The op as applied (docs/protocol.md).")


class NodeHistorySerializer(serializers.Serializer[Any]):
    node = serializers.CharField()
    entries = HistoryEntrySerializer(many=True, help_text="Newest first.")
    more = serializers.BooleanField(help_text="Older entries follow: ask with before=<last seq>.")


class TrashEntrySerializer(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="The node the delete named; restore it with this id.")
    type = serializers.CharField()
    text = serializers.CharField(allow_blank=True)
    # A field named like an attribute of DRF's Field (label, source, parent):
    # the serializer metaclass moves it out of the class, which the stubs cannot see.
    parent = serializers.CharField(allow_null=True)  # type: ignore[assignment]
    seq = serializers.IntegerField(help_text="The seq of the delete.")
    count = serializers.IntegerField(help_text="How many nodes the delete took (with it).")
    restorable = serializers.BooleanField(help_text="False while its parent is deleted too.")
    at = serializers.DateTimeField(allow_null=True)
    actor = UserRefSerializer(allow_null=True)


class TrashSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField(help_text="The tree's version the trash was read at.")
    entries = TrashEntrySerializer(many=True, help_text="Newest delete first.")


class VersionListSerializer(serializers.Serializer[Any]):
    seq = serializers.IntegerField(help_text="The tree's current version.")
    entries = HistoryEntrySerializer(many=True, help_text="Newest first.")
    more = serializers.BooleanField()


# ---- workshops and share links ------------------------------------------------------------


class WorkshopCreateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200)
    display_name = serializers.CharField(max_length=60, required=False)


class WorkshopUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=200, required=False)
    open = serializers.BooleanField(required=False)


class WorkshopSerializer(serializers.Serializer[Any]):
    """A workshop as one of its people sees it: `code` and `join_token` (the join link is
    `/join/<join_token>`) only for facilitators, null for participants."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    open = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    role = serializers.CharField(help_text="My role: facilitator or participant.")
    display_name = serializers.CharField(help_text="My display name here.")
    code = serializers.CharField(allow_null=True)
    join_token = serializers.CharField(allow_null=True)


class ParticipantSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    user = serializers.IntegerField(source="user_id")
    display_name = serializers.CharField()
    role = serializers.CharField()
    joined_at = serializers.DateTimeField()
    group = serializers.IntegerField(
        source="group_id", allow_null=True, help_text="My group's id (null: in none)."
    )


class JoinSerializer(serializers.Serializer[Any]):
    """Either `token` (from the join link) or `code` (read aloud), and a display name."""

    token = serializers.CharField(max_length=64, required=False)
    code = serializers.CharField(max_length=32, required=False)
    display_name = serializers.CharField(max_length=200)


class JoinResultSerializer(serializers.Serializer[Any]):
    workshop = WorkshopSerializer()
    participant = ParticipantSerializer()
    user = UserRefSerializer()
    account_created = serializers.BooleanField()


class AccessLinkSerializer(serializers.Serializer[Any]):
    """A one-time sign-in key (shown once): open `/access/<key>` or POST it to
    /api/auth/access/."""

    key = serializers.CharField()
    expires_at = serializers.DateTimeField()


class AccessRedeemSerializer(serializers.Serializer[Any]):
    key = serializers.CharField(max_length=128)


class PasswordSetSerializer(serializers.Serializer[Any]):
    new_password = serializers.CharField(max_length=256, trim_whitespace=False)


class SignupSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class ShareLinkCreateSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=ShareRole.choices)
    expires_at = serializers.DateTimeField(required=False, allow_null=True)


class ShareLinkSerializer(serializers.Serializer[Any]):
    """A tree's share link; the link to hand out is `/share/<token>`."""

    id = serializers.IntegerField()
    token = serializers.CharField()
    role = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


class ShareRedeemSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=128)


class ShareRedeemResultSerializer(serializers.Serializer[Any]):
    tree = serializers.IntegerField()
    role = serializers.CharField()
    changed = serializers.BooleanField(help_text="False when I already had this role or higher.")


class ShareEnterSerializer(serializers.Serializer[Any]):
    """A share link's token and, for someone signed out, the name the tree shows them by."""

    token = serializers.CharField(max_length=128)
    display_name = serializers.CharField(max_length=200, required=False)


class ShareEnterResultSerializer(serializers.Serializer[Any]):
    tree = serializers.IntegerField()
    role = serializers.CharField()
    user = UserRefSerializer()
    account_created = serializers.BooleanField(
        help_text="True when I was signed out: a guest account was made and signed in."
    )
