"""Reads with permission checks. Every view and the consumer fetch trees through here."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection, transaction
from django.db.models import F, QuerySet

from trees.domain import Node as DomainNode
from trees.domain import TreeState
from trees.domain.errors import ActionError
from trees.domain.workshop import Seat, TreeLink, workshop_role
from trees.models import (
    Exercise,
    ExerciseTree,
    GroupMerge,
    Membership,
    MergeJob,
    Node,
    OpLog,
    Role,
    Round,
    ShareLink,
    Tree,
    Workshop,
    WorkshopGroup,
    WorkshopParticipant,
    WorkshopRole,
)

READ = "read"
WRITE = "write"
ADMIN = "admin"

_ALLOWED = {
    READ: {Role.OWNER, Role.EDITOR, Role.VIEWER},
    WRITE: {Role.OWNER, Role.EDITOR},
    ADMIN: {Role.OWNER},
}

User = AbstractBaseUser | AnonymousUser

# Primary keys are signed 64-bit in every backend; a bigger id in a URL must be a plain "no
# such row", not a database OverflowError (500).
MAX_PK = 2**63 - 1


def user_id_of(user: User) -> int:
    """The id of a signed-in user. An anonymous one is refused (`not_authenticated`), so no
    query ever filters on a missing user id."""
    if not user.is_authenticated or user.pk is None:
        raise ActionError("not_authenticated", "Sign in first.")
    return int(user.pk)


def display_name(user: Any) -> str:
    """The name a person is shown by: the one they gave (a workshop join stores it as the
    account's first name), else their username, which stays the identifier (invites, forks)."""
    get_full_name = getattr(user, "get_full_name", None)
    name = get_full_name().strip() if get_full_name is not None else ""
    return name or str(user.get_username())


def user_ref(user: Any) -> dict[str, Any]:
    """A person as every answer and message names them: `{"id", "username", "name"}`.
    Outside any tree (the account itself); inside one, `people_in_tree` names them."""
    return {"id": user.pk, "username": user.get_username(), "name": display_name(user)}


def seat_names(tree_id: int, user_ids: Iterable[int]) -> dict[int, str]:
    """The names `user_ids` took in the workshop `tree_id` belongs to (an exercise's tree),
    for those who have a seat there; empty for a tree of no workshop."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    workshop = ExerciseTree.objects.filter(tree_id=tree_id).values("exercise__workshop_id")
    rows = WorkshopParticipant.objects.filter(workshop_id__in=workshop, user_id__in=ids)
    return dict(rows.values_list("user_id", "display_name"))


def people_in_tree(tree_id: int, users: Iterable[Any]) -> dict[int, dict[str, Any]]:
    """The one place people are named for a tree (REST, presence, history, review, fork
    titles): in a workshop's tree a person with a seat there is shown by the seat's name,
    the one they joined with, even when their account is named otherwise (a signed-in
    account can join several workshops under several names); elsewhere by `display_name`.
    `{user id: {"id", "username", "name"}}`; the username stays the identifier. (A socket
    opening a tree names its own user by the same rule, `_named`, in `tree_role_and_person`;
    `owners_in_trees` names the owners of many trees at once by it.)"""
    users = [u for u in users if u is not None]
    seats = seat_names(tree_id, (u.pk for u in users))
    return {u.pk: _named(u, seats.get(u.pk)) for u in users}


def _named(user: Any, seat_name: str | None) -> dict[str, Any]:
    return {"id": user.pk, "username": user.get_username(), "name": seat_name or display_name(user)}


def owners_in_trees(trees: Iterable[Tree]) -> dict[int, dict[str, Any]]:
    """Each tree's owner, named as `people_in_tree` names people in that tree: `{tree id:
    person}`, by the seat's name in a workshop's tree where the owner has a seat. One query
    for all the trees' seats (a list of trees must not ask once per tree); the trees come
    with their owner loaded (`select_related("owner")`)."""
    trees = list(trees)
    if not trees:
        return {}
    seats = dict(
        ExerciseTree.objects.filter(
            tree_id__in=[t.pk for t in trees],
            exercise__workshop__participants__user_id=F("tree__owner_id"),
        ).values_list("tree_id", "exercise__workshop__participants__display_name")
    )
    return {t.pk: _named(t.owner, seats.get(t.pk)) for t in trees}


_RANK: dict[str | None, int] = {None: 0, Role.VIEWER: 1, Role.EDITOR: 2, Role.OWNER: 3}


def _workshop_sql() -> str:
    from django.contrib.auth import get_user_model

    link, exercise = ExerciseTree._meta.db_table, Exercise._meta.db_table
    rnd, seat = Round._meta.db_table, WorkshopParticipant._meta.db_table
    user = get_user_model()._meta.db_table
    # One query, no ORM compiling: it runs on the write path of every workshop tree op.
    return (
        "SELECT l.kind, l.group_id, l.participant_id, r.blind, r.ended_at,"
        " s.id, s.role, s.group_id, u.is_active, s.display_name"
        f" FROM {link} l JOIN {exercise} e ON e.id = l.exercise_id"
        f" LEFT JOIN {rnd} r ON r.id = l.round_id"
        f" LEFT JOIN {seat} s ON s.workshop_id = e.workshop_id AND s.user_id = %s"
        f" LEFT JOIN {user} u ON u.id = s.user_id"
        " WHERE l.tree_id = %s"
    )


_WORKSHOP_SQL: list[str] = []


def _workshop_seat(user_id: int, tree_id: int) -> tuple[str | None, str | None]:
    """The role a workshop gives `user_id` on a tree made for one of its exercises
    (trees/domain/workshop.py: facilitators read, the group edits, blind rounds hide), and the
    name of their seat in that workshop (`seat_names`'s); (None, None) for a tree of none."""
    if not _WORKSHOP_SQL:
        _WORKSHOP_SQL.append(_workshop_sql())
    with connection.cursor() as cursor:
        cursor.execute(_WORKSHOP_SQL[0], [user_id, tree_id])
        row = cursor.fetchone()
    if row is None:
        return None, None
    kind, group, participant, blind, ended_at, seat_id, role, seat_group, active, name = row
    seat = Seat(seat_id, role, seat_group) if seat_id is not None and active else None
    link = TreeLink(kind, group, participant, bool(blind), ended_at is not None)
    return workshop_role(seat, link), name


def workshop_tree_role(user_id: int, tree_id: int, member_role: str | None) -> str | None:
    """`member_role` raised to what a workshop gives, for a write path that read memberships
    itself (trees/actions/ops.py)."""
    return _best(member_role, user_id, tree_id)


def _higher(member_role: str | None, given: str | None) -> str | None:
    return given if _RANK[given] > _RANK[member_role] else member_role


def _best(member_role: str | None, user_id: int, tree_id: int) -> str | None:
    # A workshop gives at most `editor`: an owner or editor needs no second look.
    if member_role in (Role.OWNER, Role.EDITOR):
        return member_role
    return _higher(member_role, _workshop_seat(user_id, tree_id)[0])


def _member_role(user_id: int, tree_id: int) -> str | None:
    return (
        Membership.objects.filter(tree_id=tree_id, user_id=user_id)
        .values_list("role", flat=True)
        .first()
    )


def tree_role(user_id: int | None, tree_id: int) -> str | None:
    """The one place a user's role on a tree is decided, for REST and websocket alike: their
    membership (invited, share link, owner), or what a workshop gives them, the higher."""
    if user_id is None:
        return None
    return _best(_member_role(user_id, tree_id), user_id, tree_id)


def tree_role_and_person(user: Any, tree_id: int) -> tuple[str | None, dict[str, Any]]:
    """A signed-in user's `tree_role` and how `people_in_tree` names them, in two queries (the
    membership; the workshop's, which decides the role and reads the seat's name too), where
    the two calls made up to three: what a tree socket needs as it opens."""
    given, seat_name = _workshop_seat(user.pk, tree_id)
    return _higher(_member_role(user.pk, tree_id), given), _named(user, seat_name)


def workshop_of_tree(tree_id: int) -> dict[str, Any] | None:
    """The workshop a tree belongs to (an exercise's tree) as {id, title, exercise}, else None.
    Call it after access_tree: it says nothing the caller may not read."""
    row = (
        ExerciseTree.objects.filter(tree_id=tree_id)
        .values_list("exercise__workshop_id", "exercise__workshop__title", "exercise_id")
        .first()
    )
    if row is None:
        return None
    return {"id": row[0], "title": row[1], "exercise": row[2]}


def role_of(user: User, tree_id: int) -> str | None:
    if not user.is_authenticated:
        return None
    return tree_role(user_id_of(user), tree_id)


def access_tree(user: User, tree_id: int | str, *, need: str = READ) -> tuple[Tree, str]:
    """The tree and the user's role, or an error.

    Non-members get `not_found` rather than `forbidden` so that tree ids cannot be probed.
    The role is `tree_role`'s: a membership, or what a workshop gives (facilitators read its
    trees, groups edit theirs, blind rounds hide group-mates' trees until they end).
    """
    if not user.is_authenticated:
        raise ActionError("not_authenticated", "Sign in first.")
    try:
        tree_pk = int(tree_id)
    except (TypeError, ValueError):
        raise ActionError("not_found", "No such tree.") from None
    if not 0 < tree_pk <= MAX_PK:
        raise ActionError("not_found", "No such tree.")
    user_pk = user_id_of(user)
    membership = (
        Membership.objects.select_related("tree").filter(tree_id=tree_pk, user_id=user_pk).first()
    )
    role = _best(membership.role if membership else None, user_pk, tree_pk)
    tree = membership.tree if membership else None
    if role is not None and tree is None:
        tree = Tree.objects.filter(pk=tree_pk).first()
    if role is None or tree is None:
        raise ActionError("not_found", "No such tree.")
    if role not in _ALLOWED[need]:
        raise ActionError("forbidden", f"A {role} cannot do this.")
    return tree, role


def access_merge_job(user: User, job_id: int | str) -> MergeJob:
    """A merge the user started. Other people's merges answer `not_found`, like missing ones:
    a merge's status tells what trees someone is merging."""
    if not user.is_authenticated:
        raise ActionError("not_authenticated", "Sign in first.")
    try:
        job_pk = int(job_id)
    except (TypeError, ValueError):
        raise ActionError("not_found", "No such merge.") from None
    job = None
    if 0 < job_pk <= MAX_PK:
        job = MergeJob.objects.select_related("tree__owner").filter(pk=job_pk).first()
    if job is None or job.actor_id != user.pk:
        raise ActionError("not_found", "No such merge.")
    return job


def trees_for_user(user: User) -> QuerySet[Tree]:
    return (
        Tree.objects.filter(memberships__user_id=user_id_of(user))
        .select_related("owner")
        .order_by("-updated_at", "id")
    )


def role_map(user: User, tree_ids: list[int]) -> dict[int, str]:
    user_pk = user_id_of(user)
    rows = Membership.objects.filter(user_id=user_pk, tree_id__in=tree_ids)
    roles = {m.tree_id: m.role for m in rows}
    for tree_id in tree_ids:
        if roles.get(tree_id) in (None, Role.VIEWER):
            role = _best(roles.get(tree_id), user_pk, tree_id)
            if role is not None:
                roles[tree_id] = role
    return roles


def ops_since(tree_id: int, since: int, *, limit: int) -> list[dict[str, Any]]:
    rows = (
        OpLog.objects.filter(tree_id=tree_id, seq__gt=since)
        .order_by("seq")
        .values("seq", "client_id", "client_n", "op", "actor_id", "overwrote")[:limit]
    )
    return [op_message_fields(row) for row in rows]


def op_message_fields(row: Mapping[str, Any]) -> dict[str, Any]:
    """One log row in the shape of the protocol's `op` message (without `type`)."""
    return {
        "seq": row["seq"],
        "client_id": row["client_id"],
        "n": row["client_n"],
        "op": row["op"],
        "actor": row["actor_id"],
        "overwrote": row["overwrote"],
    }


# -- history, trash and versions (plain reads: no tree lock, no write path) -------------------

HISTORY_PAGE = 200


def _actors(tree_id: int, ids: set[int]) -> dict[int, dict[str, Any]]:
    from django.contrib.auth import get_user_model

    return people_in_tree(tree_id, get_user_model().objects.filter(pk__in=ids))


def _history_rows(tree_id: int, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    actors = _actors(tree_id, {row["actor_id"] for row in rows if row["actor_id"] is not None})
    return [
        {
            "seq": row["seq"],
            "at": row["at"],
            "actor": actors.get(row["actor_id"]) if row["actor_id"] is not None else None,
            "op": row["op"],
        }
        for row in rows
    ]


def node_history(
    tree_id: int, node_id: str, *, before: int | None, limit: int = HISTORY_PAGE
) -> list[dict[str, Any]]:
    """The logged ops that name `node_id` (newest first), with who wrote them and when."""
    # `op -> 'id'`: the expression of the oplog_node_history index.
    rows = OpLog.objects.filter(tree_id=tree_id, op__id=node_id)
    if before is not None:
        rows = rows.filter(seq__lt=before)
    page = list(rows.order_by("-seq").values("seq", "at", "actor_id", "op")[:limit])
    return _history_rows(tree_id, page)


def log_entries(tree_id: int, seqs: list[int]) -> dict[int, dict[str, Any]]:
    """Who wrote the ops numbered `seqs`, and when."""
    rows = list(
        OpLog.objects.filter(tree_id=tree_id, seq__in=seqs).values("seq", "at", "actor_id", "op")
    )
    return {entry["seq"]: entry for entry in _history_rows(tree_id, rows)}


def recent_ops(tree_id: int, *, before: int | None, limit: int) -> list[dict[str, Any]]:
    """The log newest first (a page of it), with who wrote each op and when."""
    rows = OpLog.objects.filter(tree_id=tree_id)
    if before is not None:
        rows = rows.filter(seq__lt=before)
    page = list(rows.order_by("-seq").values("seq", "at", "actor_id", "op")[:limit])
    return _history_rows(tree_id, page)


def ops_upto(tree_id: int, seq: int) -> Any:
    """(seq, op, actor) of every logged op up to `seq`, in order, streamed."""
    return (
        OpLog.objects.filter(tree_id=tree_id, seq__lte=seq)
        .order_by("seq")
        .values_list("seq", "op", "actor_id")
        .iterator(chunk_size=2000)
    )


_NODE_FIELDS = (
    "id",
    "type",
    "parent_id",
    "parents",
    "key",
    "text",
    "note",
    "tags",
    "author_id",
    "deleted",
    "deleted_seq",
    "meta",
    "field_seq",
    "y",
)


def load_state(tree_id: int, kind: str, version: int) -> TreeState:
    """The domain state of a tree from its node rows (the caller makes the read consistent)."""
    nodes = [
        DomainNode(
            id=str(row["id"]),
            type=row["type"],
            parent=str(row["parent_id"]) if row["parent_id"] else None,
            parents=list(row["parents"]),
            key=row["key"],
            text=row["text"],
            note=row["note"],
            tags=list(row["tags"]),
            author=row["author_id"],
            deleted=row["deleted"],
            deleted_seq=row["deleted_seq"],
            meta=dict(row["meta"]),
            field_seq=dict(row["field_seq"]),
            y=row["y"],
        )
        for row in Node.objects.filter(tree_id=tree_id).values(*_NODE_FIELDS)
    ]
    return TreeState(kind, nodes, version)


@contextmanager
def read_transaction() -> Iterator[bool]:
    """One read transaction that takes no write lock; yields whether it is a snapshot.

    PostgreSQL: REPEATABLE READ, READ ONLY (every statement sees the same commit). SQLite: a
    plain (deferred) BEGIN, a WAL reader beside the writer, where the settings make every
    other transaction `BEGIN IMMEDIATE` (the write lock). Inside a caller's transaction the
    caller's isolation applies and this yields False: PostgreSQL's READ COMMITTED may then see
    a commit between two statements.
    """
    conn = transaction.get_connection()
    if conn.in_atomic_block:
        yield conn.vendor == "sqlite"  # SQLite's transactions are always snapshots
        return
    if conn.vendor == "sqlite":
        conn.ensure_connection()
        mode = conn.transaction_mode
        with ExitStack() as stack:
            conn.transaction_mode = None  # Django's SQLite backend then issues a plain BEGIN
            try:
                stack.enter_context(transaction.atomic())
            finally:
                conn.transaction_mode = mode
            yield True
        return
    with transaction.atomic():
        snapshot = conn.vendor == "postgresql"
        if snapshot:
            with conn.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield snapshot


CachedSnapshot = Callable[[int, str, int], "list[dict[str, Any]] | None"]
_cached_snapshot: CachedSnapshot | None = None


def use_cached_states(cached: CachedSnapshot) -> None:
    """Set by the writers' state cache (trees/actions/state_cache.py) when it loads: the nodes
    of a tree at a committed version, when its cached state is at that version."""
    global _cached_snapshot
    _cached_snapshot = cached


def tree_snapshot(*, tree_id: int) -> dict[str, Any]:
    """A consistent snapshot `{seq, kind, nodes}` of the tree, read without the write lock:
    an export or a report never waits for writers, nor makes them wait. From the writers'
    cached state when it is at the version read, else from the node rows."""
    with read_transaction() as snapshot:
        while True:
            head = Tree.objects.filter(pk=tree_id).values_list("kind", "version").first()
            if head is None:
                raise ActionError("not_found", "No such tree.")
            kind, version = head
            cached = _cached_snapshot(tree_id, kind, version) if _cached_snapshot else None
            if cached is not None:
                return {"seq": version, "kind": kind, "nodes": cached}
            state = load_state(tree_id, kind, version)
            # Without a snapshot, a commit between the two reads shows as a new version: the
            # node rows might then be newer than `version`, so read them again.
            if snapshot or Tree.objects.filter(pk=tree_id, version=version).exists():
                break
    return {"seq": version, "kind": kind, "nodes": state.snapshot()}


def deleted_nodes(tree_id: int) -> list[dict[str, Any]]:
    """The tombstoned nodes of a tree, in the snapshot's shape as far as the trash needs it."""
    rows = Node.objects.filter(tree_id=tree_id, deleted=True).values(
        "id", "type", "text", "parent_id", "deleted_seq"
    )
    return [
        {
            "id": str(row["id"]),
            "type": row["type"],
            "text": row["text"],
            "parent": str(row["parent_id"]) if row["parent_id"] is not None else None,
            "deleted": True,
            "deleted_seq": row["deleted_seq"],
        }
        for row in rows
    ]


def _pk(value: int | str) -> int | None:
    try:
        pk = int(value)
    except (TypeError, ValueError):
        return None
    return pk if 0 < pk <= MAX_PK else None


def access_workshop(
    user: User, workshop_id: int | str, *, facilitator: bool = False
) -> tuple[Workshop, WorkshopParticipant]:
    """The workshop and the user's seat in it, or an error. Like trees, a workshop one is not
    in is `not_found`; a participant asking for a facilitator's action is `forbidden`."""
    if not user.is_authenticated:
        raise ActionError("not_authenticated", "Sign in first.")
    pk = _pk(workshop_id)
    seat = None
    if pk is not None:
        seat = (
            WorkshopParticipant.objects.select_related("workshop")
            .filter(workshop_id=pk, user_id=user_id_of(user))
            .first()
        )
    if seat is None:
        raise ActionError("not_found", "No such workshop.")
    if facilitator and seat.role != WorkshopRole.FACILITATOR:
        raise ActionError("forbidden", "Only the workshop's facilitators can do this.")
    return seat.workshop, seat


def workshops_for_user(user: User) -> list[WorkshopParticipant]:
    """The user's seats, newest workshop first."""
    return list(
        WorkshopParticipant.objects.filter(user_id=user_id_of(user))
        .select_related("workshop")
        .order_by("-workshop__created_at", "-workshop_id")
    )


def participants_of(workshop: Workshop) -> list[WorkshopParticipant]:
    return list(WorkshopParticipant.objects.filter(workshop=workshop).order_by("joined_at", "id"))


def share_links_of(tree: Tree) -> list[ShareLink]:
    return list(ShareLink.objects.filter(tree=tree).order_by("-created_at", "-id"))


def groups_of(workshop: Workshop) -> dict[str, Any]:
    """{"groups": [{id, name, position, members}], "unassigned": [participant ids]}: the
    workshop's groups in order, each with its members' seat ids in the order they joined."""
    groups = list(WorkshopGroup.objects.filter(workshop=workshop).order_by("position", "pk"))
    members: dict[int, list[int]] = {g.pk: [] for g in groups}
    unassigned: list[int] = []
    seats = WorkshopParticipant.objects.filter(
        workshop=workshop, role=WorkshopRole.PARTICIPANT
    ).order_by("joined_at", "pk")
    for seat_id, group_id in seats.values_list("pk", "group_id"):
        members.get(group_id, unassigned).append(seat_id)
    return {
        "groups": [
            {"id": g.pk, "name": g.name, "position": g.position, "members": members[g.pk]}
            for g in groups
        ],
        "unassigned": unassigned,
    }


# -- workshop exercises, rounds and the trees one may open ----------------------------------


def round_out(rnd: Round, merges: list[GroupMerge] | None = None) -> dict[str, Any]:
    """A round as the API and the `round` event show it (docs/guide.md)."""
    if rnd.ended_at is not None:
        state = "ended"
    else:
        state = "running" if rnd.started_at is not None else "pending"
    if merges is None:
        merges = list(rnd.merges.all()) if rnd.mode == "individual" else []
    return {
        "id": rnd.pk,
        "exercise": rnd.exercise_id,
        "number": rnd.number,
        "mode": rnd.mode,
        "blind": rnd.blind,
        "duration_seconds": rnd.duration_seconds,
        "state": state,
        "started_at": rnd.started_at,
        "ends_at": rnd.ends_at,
        "ended_at": rnd.ended_at,
        "merges": [
            {
                "group": m.group_id,
                "status": m.status,
                "tree": m.tree_id,
                "job": m.job_id,
                "error_code": m.error_code,
            }
            for m in sorted(merges, key=lambda m: m.group_id)
        ],
    }


def exercises_for(
    workshop: Workshop, seat: WorkshopParticipant, exercise_id: int | None = None
) -> list[dict[str, Any]]:
    """The workshop's exercises with their rounds, and the trees `seat` may open (with their
    role: the same rule as `tree_role`, applied to all the links at once)."""
    exercises = Exercise.objects.filter(workshop=workshop).order_by("position", "pk")
    if exercise_id is not None:
        exercises = exercises.filter(pk=exercise_id)
    rows = list(exercises)
    ids = [e.pk for e in rows]
    rounds: dict[int, list[Round]] = {}
    for rnd in Round.objects.filter(exercise_id__in=ids).order_by("number"):
        rounds.setdefault(rnd.exercise_id, []).append(rnd)
    merges: dict[int, list[GroupMerge]] = {}
    for merge in GroupMerge.objects.filter(round__exercise_id__in=ids):
        merges.setdefault(merge.round_id, []).append(merge)
    links = list(
        ExerciseTree.objects.filter(exercise_id__in=ids)
        .select_related("tree", "round")
        .order_by("pk")
    )
    member_roles = dict(
        Membership.objects.filter(
            user_id=seat.user_id, tree_id__in=[link.tree_id for link in links]
        ).values_list("tree_id", "role")
    )
    me = Seat(seat.pk, seat.role, seat.group_id)
    trees: dict[int, list[dict[str, Any]]] = {}
    for link in links:
        given = workshop_role(
            me,
            TreeLink(
                kind=link.kind,
                group=link.group_id,
                participant=link.participant_id,
                blind=bool(link.round and link.round.blind),
                round_ended=bool(link.round and link.round.ended_at is not None),
            ),
        )
        member = member_roles.get(link.tree_id)
        role = given if _RANK[given] > _RANK[member] else member
        if role is None:
            continue
        trees.setdefault(link.exercise_id, []).append(
            {
                "id": link.pk,
                "tree": link.tree_id,
                "title": link.tree.title,
                "kind": link.kind,
                "exercise": link.exercise_id,
                "round": link.round_id,
                "group": link.group_id,
                "participant": link.participant_id,
                "role": role,
            }
        )
    return [
        {
            "id": e.pk,
            "kind": e.kind,
            "title": e.title,
            "phase": e.phase,
            "position": e.position,
            "created_at": e.created_at,
            "rounds": [round_out(r, merges.get(r.pk, [])) for r in rounds.get(e.pk, [])],
            "trees": trees.get(e.pk, []),
        }
        for e in rows
    ]


def board_key_matches(workshop: Workshop, key: object) -> bool:
    """Does `key` open this workshop's board by its projector link (constant time)?"""
    if not isinstance(key, str) or not key or len(key) > 128 or not workshop.board_token_hash:
        return False
    digest = hashlib.sha256(key.encode()).hexdigest()
    return hmac.compare_digest(digest, workshop.board_token_hash)


def access_board(user: User, workshop_id: int | str, key: object = None) -> tuple[Workshop, str]:
    """The workshop whose board may be read, and how: `"facilitator"` (a facilitator of it,
    signed in) or `"projector"` (anyone with its projector key, signed in or not). Without a
    key, the caller must facilitate the workshop (a participant is `forbidden`); a wrong or
    revoked key is `not_found`, like a workshop that does not exist."""
    if key is None or key == "":
        seated, _ = access_workshop(user, workshop_id, facilitator=True)
        return seated, "facilitator"
    pk = _pk(workshop_id)
    found = Workshop.objects.filter(pk=pk).first() if pk is not None else None
    if found is None or not board_key_matches(found, key):
        raise ActionError("not_found", "No such board, or the projector link was replaced.")
    return found, "projector"
