"""Data layer: fields and constraints only. Writes go through trees.actions."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F
from django.db.models.fields.json import KeyTransform


class TreeKind(models.TextChoices):
    GAME = "game", "Game tree"
    PROBLEM = "problem", "Problem tree"


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class NodeType(models.TextChoices):
    PROPOSAL = "proposal", "Proposal"
    CRITIQUE = "critique", "Critique"
    PATCH = "patch", "Patch"
    PROBLEM = "problem", "Problem"


class Tree(models.Model):
    kind = models.CharField(max_length=16, choices=TreeKind.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=5000)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_trees"
    )
    # Who made the tree (created, imported, merged, forked, restored): the trees-per-user
    # quota counts these, so that trees made *for* someone (a fork names its owners) count
    # against their maker, not against the person who never asked for them.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=True,
    )
    # The seq of the last accepted operation; every op gets version + 1.
    version = models.BigIntegerField(default=0)
    # Free JSON for provenance of derived trees (merges, forks, imports).
    meta = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.kind} #{self.pk})"


class Membership(models.Model):
    tree = models.ForeignKey(Tree, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tree", "user"], name="membership_unique_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.role} of tree {self.tree_id}"


class Node(models.Model):
    # Chosen by the client that creates the node, so it can refer to it before the ack.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tree = models.ForeignKey(Tree, on_delete=models.CASCADE, related_name="nodes")
    type = models.CharField(max_length=16, choices=NodeType.choices)
    # No database foreign key: the domain layer owns tree shape (tombstones keep rows), and
    # a self-FK would force per-row ordering of inserts in bulk writes.
    parent_id = models.UUIDField(null=True, blank=True, db_index=True)
    # Extra parents of a DAG node (merged problem trees), as a list of node ids.
    parents = models.JSONField(default=list, blank=True)
    # Fractional-index sibling key; compared as bytes (PostgreSQL column uses "C" collation).
    key = models.CharField(max_length=128)
    text = models.CharField(max_length=2000, blank=True)
    note = models.TextField(max_length=20000, blank=True)
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    deleted = models.BooleanField(default=False)
    deleted_seq = models.BigIntegerField(default=0)
    meta = models.JSONField(default=dict, blank=True)
    # Seq of the last write per field group: text, note, tags, position, deleted.
    field_seq = models.JSONField(default=dict, blank=True)
    # The text's Yjs document (base64), "" while it is the seed of `text` (domain/ytext.py).
    y = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["tree", "parent_id", "key"], name="node_sibling_order")]

    def __str__(self) -> str:
        return f"{self.type}: {self.text[:40]}"


class OpLog(models.Model):
    tree = models.ForeignKey(Tree, on_delete=models.CASCADE, related_name="ops")
    seq = models.BigIntegerField()
    client_id = models.CharField(max_length=64)
    client_n = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The operation as applied (normalised: rewritten keys, defaults filled in).
    op = models.JSONField()
    overwrote = models.BigIntegerField(default=0)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tree", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["tree", "seq"], name="oplog_unique_seq"),
            models.UniqueConstraint(
                fields=["tree", "client_id", "client_n"], name="oplog_unique_client_op"
            ),
        ]
        indexes = [
            # A node's history: the ops that name it (GET .../nodes/<node>/history/).
            models.Index(F("tree"), KeyTransform("id", "op"), F("seq"), name="oplog_node_history"),
        ]

    def __str__(self) -> str:
        return f"tree {self.tree_id} seq {self.seq}"


# ---- analysis: merge review, glossary, failure modes (docs/analysis.md) ----------------------


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class MergeSuggestion(models.Model):
    """One entry of a merged tree's review queue: source node `a` may be the same problem as
    `b` (or one of `candidates`). Refs are `{tree, node, label}` of the *source* trees, so they
    stay valid while the merged tree is edited; decisions change it through ops."""

    tree = models.ForeignKey(Tree, on_delete=models.CASCADE, related_name="merge_suggestions")
    position = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    a_tree = models.BigIntegerField()
    b_tree = models.BigIntegerField()
    a = models.JSONField()
    b = models.JSONField()
    score = models.FloatField()
    components = models.JSONField(default=dict, blank=True)
    explanation = models.CharField(max_length=500, blank=True)
    # Top 3: [{tree, node, label, score, components}], best first.
    candidates = models.JSONField(default=list, blank=True)
    # The source ref merged into `a` (accept: `b`; pick: the chosen candidate).
    chosen = models.JSONField(null=True, blank=True)
    # Ops that undo the decision, in the order to apply them.
    inverse_ops = models.JSONField(default=list, blank=True)
    # Aliases the owner's glossary learned from this decision ({alias: canonical}).
    learned = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tree", "position"]
        constraints = [
            models.UniqueConstraint(fields=["tree", "position"], name="suggestion_unique_position"),
        ]
        indexes = [models.Index(fields=["status", "a_tree"], name="suggestion_status_a_tree")]

    def __str__(self) -> str:
        return f"suggestion {self.position} of tree {self.tree_id} ({self.status})"


class MergeStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class MergeJob(models.Model):
    """A merge started over REST and run in a background thread of one process; its status
    and progress live here so that every process can answer a poll. `heartbeat_at` is
    renewed while the thread lives: a queued or running job whose heartbeat is old belongs
    to a process that died, and is reported failed (`interrupted`)."""

    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sources = models.JSONField(default=list)  # the source tree ids, in the order given
    title = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=MergeStatus.choices, default=MergeStatus.QUEUED
    )
    phase = models.CharField(max_length=32, default="queued")
    progress = models.FloatField(default=0.0)  # 0..1 over the whole job
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.CharField(max_length=500, blank=True)
    # The merged tree, once done (null while running, after a failure, or once deleted).
    tree = models.ForeignKey(
        Tree, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # What the merge answered: {"suggestions", "disagreements", "conflicts", "stats"}.
    result = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="merge_job_status_beat")]

    def __str__(self) -> str:
        return f"merge job {self.pk} ({self.status})"


class RejectedPair(models.Model):
    """Two source nodes the group said are different problems: never suggested again.
    Stored in canonical order ((a_tree, a_node) < (b_tree, b_node))."""

    a_tree = models.ForeignKey(Tree, on_delete=models.CASCADE, related_name="+")
    a_node = models.CharField(max_length=64)
    b_tree = models.ForeignKey(Tree, on_delete=models.CASCADE, related_name="+")
    b_node = models.CharField(max_length=64)
    suggestion = models.ForeignKey(
        MergeSuggestion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["a_tree", "a_node", "b_tree", "b_node"], name="rejected_pair_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.a_tree_id}:{self.a_node} != {self.b_tree_id}:{self.b_node}"


class GlossaryEntry(models.Model):
    """One alias of a user's glossary ("elk" = "eliciting latent knowledge"), normalised."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="glossary"
    )
    alias = models.CharField(max_length=500)
    canonical = models.CharField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "alias"], name="glossary_unique_alias"),
        ]

    def __str__(self) -> str:
        return f"{self.alias} = {self.canonical}"


class FailureMode(models.Model):
    """A user's failure-mode tag pointed at the problem (a node of a problem tree) it shows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="failure_modes"
    )
    tag = models.CharField(max_length=64)
    description = models.TextField(blank=True, max_length=5000)
    problem_tree = models.ForeignKey(
        Tree, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    problem_node = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tag"], name="failure_mode_unique_tag"),
        ]

    def __str__(self) -> str:
        return f"{self.tag} ({self.user_id})"


# ---- sign-in: API tokens and failed sign-ins (docs/security.md) -----------------------------


class ApiToken(models.Model):
    """An API token (`Authorization: Token <key>`). Only a hash of the key is stored: the key
    is shown once, when it is made. Revoking deletes the row; `expires_at` is fixed when it is
    made (`GAMETREE_TOKEN_DAYS` later) and not moved by use."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    # The key's first characters, to tell one's tokens apart in a list.
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    # The session that asked for it, if any: logging that session out revokes it too.
    session_key = models.CharField(max_length=40, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"token {self.prefix}... of {self.user_id}"


class LoginFailure(models.Model):
    """One failed sign-in, counted twice: under `account:<username>` and `address:<ip>`. Kept in
    the database so that every server process sees the same counts (docs/security.md)."""

    key = models.CharField(max_length=200)
    at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["key", "at"], name="login_failure_key_at")]

    def __str__(self) -> str:
        return f"{self.key} at {self.at}"


# ---- workshops: joining by link or code, tree share links (docs/security.md) ----------------


class ShareRole(models.TextChoices):
    """The roles a share link can grant (never owner)."""

    EDITOR = "editor", "Editor"
    VIEWER = "viewer", "Viewer"


class WorkshopRole(models.TextChoices):
    FACILITATOR = "facilitator", "Facilitator"
    PARTICIPANT = "participant", "Participant"


class Workshop(models.Model):
    """A cohort that joins by a link (`join_token`) or a short code read aloud (`code`). Both
    are kept in clear so that facilitators can show them again; closing the workshop (`open`
    false) refuses new joins with either."""

    title = models.CharField(max_length=200)
    code = models.CharField(max_length=16, unique=True)
    join_token = models.CharField(max_length=64, unique=True)
    open = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The SHA-256 of the key of the board's read-only projector link (blank: none), and when
    # that key was made.
    board_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    board_token_created_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.title} (workshop #{self.pk})"


class WorkshopParticipant(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="participants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workshop_seats"
    )
    display_name = models.CharField(max_length=60)
    role = models.CharField(max_length=16, choices=WorkshopRole.choices)
    # True when joining made the account (no password, no email): only such accounts can have
    # their access reset by a facilitator; an account of one's own never can.
    account_made_here = models.BooleanField(default=False)
    # The SHA-256 of the current one-time sign-in key a facilitator made, and its expiry.
    access_hash = models.CharField(max_length=64, blank=True, db_index=True)
    access_expires_at = models.DateTimeField(null=True, blank=True)
    joined_at = models.DateTimeField(auto_now_add=True)
    # The participant's group (facilitators are in none).
    group = models.ForeignKey(
        "WorkshopGroup",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workshop", "user"], name="participant_unique_user"),
            models.UniqueConstraint(
                fields=["workshop", "display_name"], name="participant_unique_name"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.role} of workshop {self.workshop_id})"


class ShareLink(models.Model):
    """A link that makes whoever opens it (signed in) a member of `tree` with `role`. Revoking
    or expiry stops new grants; memberships already granted stay (removed as members)."""

    tree = models.ForeignKey(Tree, on_delete=models.CASCADE, related_name="share_links")
    token = models.CharField(max_length=64, unique=True)
    role = models.CharField(max_length=16, choices=Role.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.role} link {self.pk} of tree {self.tree_id}"


# ---- workshop groups, exercises and rounds (docs/guide.md, "Run a workshop") ---------------


class WorkshopGroup(models.Model):
    """A group of 2-3 participants; a participant is in at most one group of a workshop."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="groups")
    name = models.CharField(max_length=60)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["workshop", "position", "id"]

    def __str__(self) -> str:
        return f"{self.name} (workshop {self.workshop_id})"


class ExerciseKind(models.TextChoices):
    GAME_TREE = "game_tree", "Game tree"
    PROBLEM_TREE = "problem_tree", "Problem tree"


class Exercise(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="exercises")
    kind = models.CharField(max_length=16, choices=ExerciseKind.choices)
    title = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=0)
    # e.g. "before reading" / "after reading" for the two problem trees to compare.
    phase = models.CharField(max_length=60, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workshop", "position", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.kind} of workshop {self.workshop_id})"


class RoundMode(models.TextChoices):
    GROUP = "group", "Group"
    INDIVIDUAL = "individual", "Individual"


class Round(models.Model):
    """A timed step of an exercise. The timer is the server's: `ends_at` is set by start and
    moved by extend; `ended_at` is set when the facilitator ends the round."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="rounds")
    number = models.PositiveIntegerField()
    mode = models.CharField(max_length=16, choices=RoundMode.choices)
    # Blind: group-mates cannot open each other's individual trees until the round ends.
    blind = models.BooleanField(default=False)
    duration_seconds = models.PositiveIntegerField(default=900)
    started_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["exercise", "number"]
        constraints = [
            models.UniqueConstraint(fields=["exercise", "number"], name="round_unique_number"),
        ]

    def __str__(self) -> str:
        return f"round {self.number} of exercise {self.exercise_id}"


class ExerciseTreeKind(models.TextChoices):
    GROUP = "group", "Group tree"
    INDIVIDUAL = "individual", "Individual tree"
    MERGED = "merged", "Merged tree"


class ExerciseTree(models.Model):
    """A tree made for an exercise: a group's (participant null) or one person's."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="trees")
    round = models.ForeignKey(
        Round, null=True, blank=True, on_delete=models.SET_NULL, related_name="trees"
    )
    tree = models.OneToOneField(Tree, on_delete=models.CASCADE, related_name="workshop_link")
    group = models.ForeignKey(WorkshopGroup, on_delete=models.PROTECT, related_name="trees")
    participant = models.ForeignKey(
        WorkshopParticipant,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exercise_trees",
    )
    kind = models.CharField(max_length=16, choices=ExerciseTreeKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["exercise", "group"], name="exercise_tree_group")]

    def __str__(self) -> str:
        return f"{self.kind} tree {self.tree_id} of exercise {self.exercise_id}"


class GroupMergeStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    # One tree only: nothing to merge, the next round forks it as it is.
    SINGLE = "single", "Single"
    EMPTY = "empty", "Empty"


class GroupMerge(models.Model):
    """The merge of one group's individual trees at the end of an individual round."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="merges")
    group = models.ForeignKey(WorkshopGroup, on_delete=models.CASCADE, related_name="merges")
    job = models.ForeignKey(
        MergeJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=GroupMergeStatus.choices, default=GroupMergeStatus.WAITING
    )
    error_code = models.CharField(max_length=64, blank=True)
    # The merged tree (or, status single, the one tree the next round forks).
    tree = models.ForeignKey(
        Tree, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "group"], name="group_merge_unique"),
        ]

    def __str__(self) -> str:
        return f"merge of group {self.group_id} in round {self.round_id} ({self.status})"
