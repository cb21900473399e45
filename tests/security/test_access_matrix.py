"""Access control matrix: anonymous, non-member, viewer, editor and owner against every REST
endpoint (enumerated from the OpenAPI schema, so a new endpoint without a row here fails) and
every websocket action; guessed ids; operations that name nodes of another tree; CSRF on
session writes.

Every refused request must leave all trees exactly as they were."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.security.conftest import PASSWORD, ROLES, Cast
from tests.ws.wshelpers import Closed
from trees.actions import tree_apply_op
from trees.actions.workshop_groups import group_create, participant_move
from trees.actions.workshop_rounds import exercise_create
from trees.actions.workshops import sharelink_create, workshop_create, workshop_join
from trees.models import (
    Exercise,
    ExerciseTree,
    Membership,
    Node,
    OpLog,
    Round,
    ShareLink,
    Tree,
    Workshop,
    WorkshopGroup,
    WorkshopParticipant,
)

_n = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def apply(tree: Tree, user: Any, op: dict[str, Any]) -> None:
    tree_apply_op(tree_id=tree.pk, actor_id=user.pk, client_id="seed", n=next(_n), op=op)


def problem(tree: Tree, user: Any, parent: str | None = None, text: str = "") -> str:
    node_id = new_id()
    op = {"kind": "create", "id": node_id, "type": "problem", "parent": parent, "text": text}
    apply(tree, user, op)
    return node_id


@dataclass
class Seed:
    """Nodes of the main tree every op kind can act on, and nodes of the owner's other tree."""

    root: str
    root2: str
    child: str
    gone: str
    linked: str
    other_root: str
    other_child: str
    ids: dict[str, str] = field(default_factory=dict)
    # A workshop the owner facilitates, the editor is in and a joined newcomer (`participant`)
    # is in; a viewer share link of the main tree.
    workshop: dict[str, Any] = field(default_factory=dict)


def seed(cast: Cast) -> Seed:
    root = problem(cast.tree, cast.owner, None, "root")
    root2 = problem(cast.tree, cast.owner, None, "root 2")
    child = problem(cast.tree, cast.owner, root, "child")
    gone = problem(cast.tree, cast.owner, root, "gone")
    apply(cast.tree, cast.owner, {"kind": "delete", "id": gone})
    linked = problem(cast.tree, cast.owner, root, "linked")
    apply(cast.tree, cast.owner, {"kind": "link", "id": linked, "parent": root2})
    other_root = problem(cast.other, cast.owner, None, "other root")
    other_child = problem(cast.other, cast.owner, other_root, "other child")
    made = Seed(root, root2, child, gone, linked, other_root, other_child)
    workshop = workshop_create(user=cast.owner, title="Matrix workshop")
    workshop_join(workshop=workshop, user=cast.editor, display_name="Eddie")
    newcomer, _ = workshop_join(workshop=workshop, user=None, display_name="Newcomer")
    link = sharelink_create(tree=cast.tree, user=cast.owner, role="viewer")
    group = group_create(workshop=workshop, name="Group 1")
    spare = group_create(workshop=workshop, name="Spare")
    eddie = WorkshopParticipant.objects.get(workshop=workshop, user=cast.editor)
    participant_move(workshop=workshop, participant_id=eddie.pk, group_id=group.pk)
    [game] = exercise_create(workshop=workshop, actor_id=cast.owner.pk, template="game_tree")
    made.workshop = {
        "ids": {
            "workshop_id": workshop.pk,
            "participant_id": newcomer.pk,
            "link_id": link.pk,
            "group_id": group.pk,
            "exercise_id": game.pk,
            "round_id": game.rounds.get().pk,
        },
        "spare_group": spare.pk,
        "join_token": workshop.join_token,
        "link_token": link.token,
    }
    return made


def fingerprint() -> dict[str, Any]:
    """Everything a request could change, for all trees."""
    return {
        "trees": sorted(Tree.objects.values_list("id", "title", "description", "version")),
        "members": sorted(Membership.objects.values_list("tree_id", "user_id", "role")),
        "nodes": sorted(
            (str(n["id"]), n["tree_id"], str(n["parent_id"]), n["text"], n["deleted"], n["parents"])
            for n in Node.objects.values("id", "tree_id", "parent_id", "text", "deleted", "parents")
        ),
        "log": OpLog.objects.count(),
        "workshops": sorted(Workshop.objects.values_list("id", "title", "open")),
        "seats": sorted(
            WorkshopParticipant.objects.values_list(
                "workshop_id", "user_id", "display_name", "role", "access_hash", "group_id"
            )
        ),
        "groups": sorted(WorkshopGroup.objects.values_list("id", "name", "position")),
        "exercises": sorted(Exercise.objects.values_list("id", "title", "phase", "position")),
        "rounds": sorted(
            (r[0], str(r[1]), str(r[2]), str(r[3]))
            for r in Round.objects.values_list("id", "started_at", "ends_at", "ended_at")
        ),
        "exercise_trees": ExerciseTree.objects.count(),
        "links": sorted(ShareLink.objects.values_list("id", "tree_id", "role", "revoked_at")),
        "users": sorted(get_user_model().objects.values_list("id", "is_active", "password")),
    }


# ---- REST: one row per operation of the schema --------------------------------------------

Build = Callable[[Cast, Seed], dict[str, Any]]


def _login_body(cast: Cast, seed: Seed) -> dict[str, Any]:
    return {"data": {"username": "tess", "password": PASSWORD}}


def _op_body(cast: Cast, seed: Seed) -> dict[str, Any]:
    op = {"kind": "create", "id": new_id(), "type": "problem", "parent": seed.root}
    return {"data": {"client_id": "matrix", "n": 1, "op": op}}


def _none(cast: Cast, seed: Seed) -> dict[str, Any]:
    return {}


def _in_workshop(data: dict[str, Any] | None = None) -> Build:
    """A request about the seed's workshop (its ids in the path), with `data` as the body."""

    def build(cast: Cast, seed: Seed) -> dict[str, Any]:
        return {"ids": seed.workshop["ids"], "data": data}

    return build


# (method, path template) -> (request builder, expected (status, code) per role in ROLES order:
# anonymous, outsider, viewer, editor, owner). code None: a success, no error body.
A401 = (401, "not_authenticated")
N404 = (404, "not_found")
F403 = (403, "forbidden")

MATRIX: dict[tuple[str, str], tuple[Build, tuple[tuple[int, str | None], ...]]] = {
    ("get", "/api/auth/csrf/"): (_none, ((200, None),) * 5),
    ("post", "/api/auth/login/"): (_login_body, ((200, None),) * 5),
    ("post", "/api/auth/logout/"): (_none, ((204, None),) * 5),
    ("get", "/api/auth/me/"): (_none, (A401, *((200, None),) * 4)),
    # Signed out is an answer here, not an error (the web client's first request).
    ("get", "/api/auth/session/"): (_none, ((200, None),) * 5),
    ("post", "/api/auth/token/"): (_login_body, ((200, None),) * 5),
    ("get", "/api/auth/tokens/"): (_none, (A401, *((200, None),) * 4)),
    # Token 1 is nobody's here: revoking a token that is not one's own is 404 for everyone
    # (tests/security/test_sign_in.py revokes real tokens per role).
    ("delete", "/api/auth/tokens/{token_id}/"): (_none, (A401, *(N404,) * 4)),
    ("post", "/api/auth/password/"): (
        lambda c, s: {"data": {"old_password": "wrong", "new_password": "n3w-pass-phrase"}},
        (A401, *((400, "invalid_credentials"),) * 4),
    ),
    ("get", "/api/trees/"): (_none, (A401, *((200, None),) * 4)),
    ("post", "/api/trees/"): (
        lambda c, s: {"data": {"kind": "game", "title": "New"}},
        (A401, *((201, None),) * 4),
    ),
    ("post", "/api/trees/import/"): (
        lambda c, s: {"data": {"kind": "problem", "format": "md", "text": "- a\n  - b\n"}},
        (A401, *((201, None),) * 4),
    ),
    ("post", "/api/trees/import/preview/"): (
        lambda c, s: {"data": {"kind": "problem", "format": "md", "text": "- a\n"}},
        (A401, *((200, None),) * 4),
    ),
    ("get", "/api/trees/{tree_id}/"): (_none, (A401, N404, (200, None), (200, None), (200, None))),
    ("patch", "/api/trees/{tree_id}/"): (
        lambda c, s: {"data": {"title": "Renamed"}},
        (A401, N404, F403, (200, None), (200, None)),
    ),
    ("delete", "/api/trees/{tree_id}/"): (_none, (A401, N404, F403, F403, (204, None))),
    ("get", "/api/trees/{tree_id}/export/"): (
        lambda c, s: {"query": "?format=json"},
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("post", "/api/trees/{tree_id}/leave/"): (
        _none,
        # The last owner cannot leave (delete the tree instead).
        (A401, N404, (204, None), (204, None), F403),
    ),
    ("get", "/api/trees/{tree_id}/members/"): (
        _none,
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("post", "/api/trees/{tree_id}/members/"): (
        lambda c, s: {"data": {"username": "stan", "role": "editor"}},
        (A401, N404, F403, F403, (201, None)),
    ),
    ("patch", "/api/trees/{tree_id}/members/{user_id}/"): (
        lambda c, s: {"data": {"role": "editor"}},
        (A401, N404, F403, F403, (200, None)),
    ),
    ("delete", "/api/trees/{tree_id}/members/{user_id}/"): (
        _none,
        (A401, N404, F403, F403, (204, None)),
    ),
    ("get", "/api/trees/{tree_id}/snapshot/"): (
        _none,
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("get", "/api/trees/{tree_id}/ops/"): (
        _none,
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("post", "/api/trees/{tree_id}/ops/"): (
        _op_body,
        (A401, N404, F403, (200, None), (200, None)),
    ),
    # Analysis (docs/analysis.md). Survival and tag suggestions are for game trees: members
    # pass the access check and get the kind check's 400 on this problem tree.
    ("get", "/api/trees/{tree_id}/survival/"): (
        _none,
        (A401, N404, (400, "invalid"), (400, "invalid"), (400, "invalid")),
    ),
    ("get", "/api/trees/{tree_id}/tag-suggestions/"): (
        _none,
        (A401, N404, (400, "invalid"), (400, "invalid"), (400, "invalid")),
    ),
    ("get", "/api/trees/{tree_id}/review/"): (
        _none,
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("post", "/api/trees/{tree_id}/review/{suggestion_id}/"): (
        lambda c, s: {"data": {"decision": "accept"}},
        (A401, N404, F403, N404, N404),  # members who may write learn there is no such item
    ),
    ("post", "/api/trees/{tree_id}/review/{suggestion_id}/undo/"): (
        _none,
        (A401, N404, F403, N404, N404),
    ),
    ("post", "/api/trees/{tree_id}/fork/"): (
        lambda c, s: {"data": {"people": ["eddie"]}},
        (A401, N404, F403, (201, None), (201, None)),
    ),
    # Tags are per user; pointing one at a node needs read access to that node's tree.
    ("get", "/api/tags/"): (_none, (A401, *((200, None),) * 4)),
    ("put", "/api/tags/{tag}/"): (
        lambda c, s: {"data": {"problem": {"tree": c.tree.pk, "node": s.root}}},
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    # Reading across trees needs read access to every tree named.
    ("get", "/api/analysis/recurring/"): (
        lambda c, s: {"query": f"?trees={c.tree.pk}"},
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    # Merging needs read access to each tree (the viewer is not a member of `other`); it is
    # answered at once (202) and runs after commit, which a test transaction never reaches.
    ("post", "/api/merges/"): (
        lambda c, s: {"data": {"trees": [c.tree.pk, c.other.pk]}},
        (A401, N404, N404, (202, None), (202, None)),
    ),
    # A merge's status is its starter's alone; nobody here started merge 1.
    ("get", "/api/merges/{merge_id}/"): (_none, (A401, N404, N404, N404, N404)),
    # Workshops (docs/security.md): the owner facilitates the seed's workshop, the editor is a
    # participant, the viewer and the outsider are not in it (404, like trees).
    ("post", "/api/auth/password/set/"): (
        lambda c, s: {"data": {"new_password": "n3w-pass-phrase"}},
        # Everyone here has a password already: a first one is for accounts made by joining.
        (A401, *(F403,) * 4),
    ),
    ("post", "/api/auth/access/"): (
        lambda c, s: {"data": {"key": "not-a-key"}},
        ((410, "link_invalid"),) * 5,
    ),
    ("post", "/api/auth/signup/"): (
        lambda c, s: {"data": {"username": "newbie", "password": "n3w-pass-phrase"}},
        ((403, "signup_closed"),) * 5,  # GAMETREE_SELF_SIGNUP is off by default
    ),
    ("post", "/api/join/"): (
        lambda c, s: {"data": {"token": s.workshop["join_token"], "display_name": "Guest"}},
        ((200, None),) * 5,  # signed out: a new account; signed in: as oneself
    ),
    ("get", "/api/workshops/"): (_none, (A401, *((200, None),) * 4)),
    ("post", "/api/workshops/"): (
        lambda c, s: {"data": {"title": "Mine"}},
        (A401, *((201, None),) * 4),
    ),
    ("get", "/api/workshops/{workshop_id}/"): (
        _in_workshop(),
        (A401, N404, N404, (200, None), (200, None)),
    ),
    ("patch", "/api/workshops/{workshop_id}/"): (
        _in_workshop({"open": False}),
        (A401, N404, N404, F403, (200, None)),
    ),
    ("get", "/api/workshops/{workshop_id}/participants/"): (
        _in_workshop(),
        (A401, N404, N404, (200, None), (200, None)),
    ),
    ("delete", "/api/workshops/{workshop_id}/participants/{participant_id}/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (204, None)),
    ),
    ("post", "/api/workshops/{workshop_id}/participants/{participant_id}/reset/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (200, None)),
    ),
    # Groups, exercises and rounds (docs/security.md): every seat reads them; only
    # facilitators change them.
    ("get", "/api/workshops/{workshop_id}/home/"): (
        _in_workshop(),
        (A401, N404, N404, (200, None), (200, None)),
    ),
    ("get", "/api/workshops/{workshop_id}/groups/"): (
        _in_workshop(),
        (A401, N404, N404, (200, None), (200, None)),
    ),
    ("post", "/api/workshops/{workshop_id}/groups/"): (
        _in_workshop({"name": "New"}),
        (A401, N404, N404, F403, (201, None)),
    ),
    ("post", "/api/workshops/{workshop_id}/groups/draw/"): (
        _in_workshop({"size": 2}),
        (A401, N404, N404, F403, (200, None)),
    ),
    ("patch", "/api/workshops/{workshop_id}/groups/{group_id}/"): (
        _in_workshop({"name": "Renamed"}),
        (A401, N404, N404, F403, (200, None)),
    ),
    ("delete", "/api/workshops/{workshop_id}/groups/{group_id}/"): (
        # The spare group has no trees (a group with trees answers `conflict`).
        lambda c, s: {"ids": {**s.workshop["ids"], "group_id": s.workshop["spare_group"]}},
        (A401, N404, N404, F403, (204, None)),
    ),
    ("patch", "/api/workshops/{workshop_id}/participants/{participant_id}/"): (
        lambda c, s: {"ids": s.workshop["ids"], "data": {"group": s.workshop["ids"]["group_id"]}},
        (A401, N404, N404, F403, (200, None)),
    ),
    ("get", "/api/workshops/{workshop_id}/exercises/"): (
        _in_workshop(),
        (A401, N404, N404, (200, None), (200, None)),
    ),
    ("post", "/api/workshops/{workshop_id}/exercises/"): (
        _in_workshop({"template": "problem_tree"}),
        (A401, N404, N404, F403, (201, None)),
    ),
    ("get", "/api/workshops/{workshop_id}/exercises/{exercise_id}/"): (
        _in_workshop(),
        (A401, N404, N404, (200, None), (200, None)),
    ),
    ("patch", "/api/workshops/{workshop_id}/exercises/{exercise_id}/"): (
        _in_workshop({"title": "Renamed"}),
        (A401, N404, N404, F403, (200, None)),
    ),
    ("delete", "/api/workshops/{workshop_id}/exercises/{exercise_id}/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (204, None)),
    ),
    ("post", "/api/workshops/{workshop_id}/rounds/{round_id}/start/"): (
        _in_workshop({}),
        (A401, N404, N404, F403, (200, None)),
    ),
    # The seed's round has not started: extending or ending it is a `conflict`; a group
    # round is never merged.
    ("post", "/api/workshops/{workshop_id}/rounds/{round_id}/extend/"): (
        _in_workshop({"seconds": 60}),
        (A401, N404, N404, F403, (409, "conflict")),
    ),
    ("post", "/api/workshops/{workshop_id}/rounds/{round_id}/end/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (409, "conflict")),
    ),
    ("post", "/api/workshops/{workshop_id}/rounds/{round_id}/merge/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (409, "conflict")),
    ),
    ("post", "/api/workshops/{workshop_id}/rounds/{round_id}/prepare/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (200, None)),
    ),
    # The facilitator board, its projector link and the export are the facilitator's (a
    # participant is refused, 403; people outside the workshop get 404). A projector key opens
    # the board without sign-in (tests/api/test_api_board.py).
    ("get", "/api/workshops/{workshop_id}/board/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (200, None)),
    ),
    ("get", "/api/workshops/{workshop_id}/board/link/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (200, None)),
    ),
    ("post", "/api/workshops/{workshop_id}/board/link/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (201, None)),
    ),
    ("delete", "/api/workshops/{workshop_id}/board/link/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (204, None)),
    ),
    ("get", "/api/workshops/{workshop_id}/export/"): (
        lambda c, s: {"ids": s.workshop["ids"], "query": "?format=md"},
        (A401, N404, N404, F403, (200, None)),
    ),
    ("get", "/api/workshops/{workshop_id}/problem-trees/"): (
        _in_workshop(),
        (A401, N404, N404, F403, (200, None)),
    ),
    # Before/after reads two trees: every member of both may compare them.
    ("get", "/api/compare/"): (
        lambda c, s: {"query": f"?before={c.tree.pk}&after={c.tree.pk}"},
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    # Share links: owners make, list and revoke them; anyone signed in opens one.
    ("post", "/api/share/"): (
        lambda c, s: {"data": {"token": s.workshop["link_token"]}},
        (A401, *((200, None),) * 4),
    ),
    # Signed out, a guest enters under a display name; signed in, as POST /api/share/.
    ("post", "/api/share/enter/"): (
        lambda c, s: {"data": {"token": s.workshop["link_token"], "display_name": "Guest"}},
        ((200, None),) * 5,
    ),
    ("get", "/api/trees/{tree_id}/links/"): (
        _in_workshop(),
        (A401, N404, F403, F403, (200, None)),
    ),
    ("post", "/api/trees/{tree_id}/links/"): (
        lambda c, s: {"data": {"role": "editor"}},
        (A401, N404, F403, F403, (201, None)),
    ),
    ("delete", "/api/trees/{tree_id}/links/{link_id}/"): (
        _in_workshop(),
        (A401, N404, F403, F403, (204, None)),
    ),
    # History, trash and versions are reads for every member (docs/protocol.md).
    ("get", "/api/trees/{tree_id}/nodes/{node_id}/history/"): (
        lambda c, s: {"ids": {"node_id": s.root}},
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("get", "/api/trees/{tree_id}/trash/"): (
        _none,
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("get", "/api/trees/{tree_id}/versions/"): (
        _none,
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("get", "/api/trees/{tree_id}/versions/{seq}/"): (
        lambda c, s: {"ids": {"seq": 1}},
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    # The tag vocabulary of a tree needs read access to it; renaming needs write access to
    # every tree named.
    ("get", "/api/tags/vocabulary/"): (
        lambda c, s: {"query": f"?tree={c.tree.pk}"},
        (A401, N404, (200, None), (200, None), (200, None)),
    ),
    ("post", "/api/tags/rename/"): (
        lambda c, s: {"data": {"from": "x", "to": "y", "trees": [c.tree.pk]}},
        (A401, N404, F403, (200, None), (200, None)),
    ),
    # Review tools write to the tree: viewers are refused. This tree was never merged, so it
    # has no conflict 0 and its root has no sources to split into.
    ("post", "/api/trees/{tree_id}/conflicts/{index}/"): (
        lambda c, s: {"ids": {"index": 0}, "data": {"pick": "base"}},
        (A401, N404, F403, N404, N404),
    ),
    ("post", "/api/trees/{tree_id}/merge-nodes/"): (
        lambda c, s: {"data": {"a": s.root, "b": s.root2}},
        (A401, N404, F403, (200, None), (200, None)),
    ),
    ("post", "/api/trees/{tree_id}/nodes/{node_id}/split/"): (
        lambda c, s: {"ids": {"node_id": s.root}},
        (A401, N404, F403, (400, "invalid"), (400, "invalid")),
    ),
}

# Routes outside the API schema and why they are not in the matrix.
NOT_IN_SCHEMA = {
    "admin/": "Django admin: staff accounts only (is_staff), its own login and CSRF",
    "admin/login/": "the admin's login page behind the sign-in limits (test_sign_in.py)",
    "api/schema/": "the OpenAPI document (public on purpose: it holds no data)",
    "api/docs/": "Swagger UI for the schema (public, static)",
    "healthz": "health probe (no data)",
    "": "the web client's page (static)",
    "^app(?:/.*)?$": "the web client's page (static)",
    "^(?:join|access|share)(?:/[^/]*)?/?$": "the web client's join, sign-in link and share "
    "link pages (static; what they open is decided by the API)",
}


def schema_operations() -> set[tuple[str, str]]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    methods = {"get", "post", "put", "patch", "delete"}
    return {
        (method, path)
        for path, item in schema["paths"].items()
        for method in item
        if method in methods
    }


def test_every_operation_of_the_api_schema_has_a_row_in_the_access_matrix(db: Any) -> None:
    assert schema_operations() == set(MATRIX)


def test_every_route_outside_the_api_is_known_and_justified() -> None:
    from django.urls import URLPattern, URLResolver, get_resolver

    top = set()
    for pattern in get_resolver().url_patterns:
        route = str(pattern.pattern)
        if isinstance(pattern, URLResolver) and route == "api/":
            continue  # covered by the schema test above
        assert isinstance(pattern, URLPattern | URLResolver)
        top.add(route)
    assert top == set(NOT_IN_SCHEMA)


def fill(template: str, tree_id: int, user_id: int, **ids: int | str) -> str:
    return template.format(
        tree_id=tree_id,
        user_id=user_id,
        suggestion_id=1,
        merge_id=1,
        tag="deception",
        token_id=1,
        **{
            "workshop_id": 1,
            "participant_id": 1,
            "link_id": 1,
            "group_id": 1,
            "exercise_id": 1,
            "round_id": 1,
            "node_id": "00000000-0000-4000-8000-000000000000",
            "seq": 1,
            "index": 0,
            **ids,
        },
    )


def client_as(cast: Cast, role: str) -> APIClient:
    client = APIClient()
    user = cast.user(role)
    if user is not None:
        client.force_login(user)
    return client


def call(client: APIClient, method: str, template: str, cast: Cast, spec: dict[str, Any]) -> Any:
    url = fill(template, cast.tree.pk, cast.target.pk, **spec.get("ids", {}))
    url += spec.get("query", "")
    data = spec.get("data")
    return getattr(client, method)(url, data, format="json")


CELLS = [
    pytest.param(method, template, index, id=f"{method} {template} as {role}")
    for (method, template) in MATRIX
    for index, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "template", "index"), CELLS)
def test_each_role_gets_the_expected_answer_from_each_endpoint(
    cast: Cast, method: str, template: str, index: int
) -> None:
    role = ROLES[index]
    build, expected = MATRIX[(method, template)]
    status, code = expected[index]
    seeds = seed(cast)
    before = fingerprint()
    response = call(client_as(cast, role), method, template, cast, build(cast, seeds))
    assert response.status_code == status, (response.status_code, response.content[:300])
    if code is not None:
        body = response.json()
        assert body["code"] == code, body
        assert fingerprint() == before, "a refused request changed something"


def test_the_tree_list_shows_only_the_trees_a_user_belongs_to(cast: Cast) -> None:
    for role in ROLES[1:]:
        listed = {t["id"] for t in client_as(cast, role).get("/api/trees/").json()}
        user = cast.user(role)
        mine = set(Membership.objects.filter(user=user).values_list("tree_id", flat=True))
        assert listed == mine
        assert cast.foreign.pk not in listed


TREE_SCOPED = [key for key in MATRIX if "{tree_id}" in key[1]]


@pytest.mark.parametrize(("method", "template"), TREE_SCOPED)
def test_guessed_ids_of_other_users_trees_look_exactly_like_missing_trees(
    cast: Cast, method: str, template: str
) -> None:
    """Sequential ids: the foreign tree, ids around it and far beyond all answer the same 404."""
    seeds = seed(cast)
    build, _ = MATRIX[(method, template)]
    client = client_as(cast, "outsider")
    before = fingerprint()
    bodies = []
    top = Tree.objects.order_by("-pk").values_list("pk", flat=True).first()
    for tree_id in [*range(1, top + 3), 10**6, 2**63 - 1, 2**63, 10**30]:
        url = fill(template, tree_id, cast.stranger.pk)
        spec = build(cast, seeds)
        response = getattr(client, method)(
            url + spec.get("query", ""), spec.get("data"), format="json"
        )
        assert response.status_code == 404, (tree_id, response.status_code)
        bodies.append(response.json())
    assert all(body == bodies[0] for body in bodies), bodies
    assert fingerprint() == before


# ---- operations naming nodes of another tree (REST and websocket) -------------------------


def cross_tree_ops(s: Seed) -> list[tuple[str, dict[str, Any], str]]:
    """Ops sent to the main tree that name nodes of the owner's other tree."""
    return [
        (
            "create under a parent of another tree",
            {"kind": "create", "id": new_id(), "type": "problem", "parent": s.other_root},
            "not_found",
        ),
        (
            "move own node under a node of another tree",
            {"kind": "move", "id": s.child, "parent": s.other_root},
            "not_found",
        ),
        (
            "move a node of another tree under an own node",
            {"kind": "move", "id": s.other_child, "parent": s.root},
            "not_found",
        ),
        (
            "move a node of another tree to the top",
            {"kind": "move", "id": s.other_child, "parent": None},
            "not_found",
        ),
        (
            "set the text of a node of another tree",
            {"kind": "set", "id": s.other_child, "field": "text", "value": "pwned"},
            "not_found",
        ),
        ("delete a node of another tree", {"kind": "delete", "id": s.other_child}, "not_found"),
        ("restore a node of another tree", {"kind": "restore", "id": s.other_child}, "not_found"),
        (
            "link own node under a node of another tree",
            {"kind": "link", "id": s.child, "parent": s.other_root},
            "not_found",
        ),
        (
            "link a node of another tree under an own node",
            {"kind": "link", "id": s.other_child, "parent": s.root},
            "not_found",
        ),
        (
            "unlink a node of another tree",
            {"kind": "unlink", "id": s.other_child, "parent": s.other_root},
            "not_found",
        ),
        # Node ids are global: creating one that another tree holds must not touch that node.
        (
            "create with the id of a node of another tree",
            {
                "kind": "create",
                "id": s.other_child,
                "type": "problem",
                "parent": None,
                "text": "pwned",
            },
            "conflict",
        ),
        (
            "create with the id of a node of a stranger's tree",
            {"kind": "create", "id": s.ids["foreign"], "type": "problem", "parent": s.root},
            "conflict",
        ),
    ]


def _foreign_node(cast: Cast, s: Seed) -> None:
    s.ids["foreign"] = problem(cast.foreign, cast.stranger, None, "stranger's")


@pytest.mark.parametrize("index", range(12))
def test_rest_ops_naming_nodes_of_another_tree_are_refused_and_change_nothing(
    cast: Cast, index: int
) -> None:
    s = seed(cast)
    _foreign_node(cast, s)
    label, op, code = cross_tree_ops(s)[index]
    before = fingerprint()
    client = client_as(cast, "owner")  # the owner may write to both trees
    response = client.post(
        f"/api/trees/{cast.tree.pk}/ops/",
        {"client_id": "x", "n": next(_n), "op": op},
        format="json",
    )
    assert response.status_code in (404, 409), (label, response.json())
    assert response.json()["code"] == code, (label, response.json())
    assert fingerprint() == before, label


pytestmark_ws = pytest.mark.django_db(transaction=True)


@pytestmark_ws
async def test_websocket_ops_naming_nodes_of_another_tree_are_refused_and_change_nothing(
    cast: Cast, connect: Any
) -> None:
    s = await database_sync_to_async(seed)(cast)
    await database_sync_to_async(_foreign_node)(cast, s)
    before = await database_sync_to_async(fingerprint)()
    ws = await connect(cast.owner, cast.tree.pk, hello=True)
    for label, op, code in cross_tree_ops(s):
        reply = await ws.op(op)
        assert reply["type"] == "nack" and reply["code"] == code, (label, reply)
    assert await database_sync_to_async(fingerprint)() == before


# ---- websocket: every action for every role ------------------------------------------------


def ws_actions(s: Seed) -> dict[str, dict[str, Any]]:
    return {
        "op create": {"kind": "create", "id": new_id(), "type": "problem", "parent": s.root},
        "op set": {"kind": "set", "id": s.root, "field": "text", "value": "changed"},
        "op move": {"kind": "move", "id": s.child, "parent": s.root2},
        "op delete": {"kind": "delete", "id": s.child},
        "op restore": {"kind": "restore", "id": s.gone},
        "op link": {"kind": "link", "id": s.child, "parent": s.root2},
        "op unlink": {"kind": "unlink", "id": s.linked, "parent": s.root2},
    }


OP_KINDS = ["op create", "op set", "op move", "op delete", "op restore", "op link", "op unlink"]
WS_ACTIONS = ["hello", *OP_KINDS, "sync", "presence", "ping"]
# Expected per role (anonymous, outsider, viewer, editor, owner).
WS_EXPECTED: dict[str, tuple[str, ...]] = {
    "hello": ("close 4403", "close 4403", "welcome", "welcome", "welcome"),
    **{kind: ("close 4403", "close 4403", "nack forbidden", "ack", "ack") for kind in OP_KINDS},
    "sync": ("close 4403", "close 4403", "ops", "ops", "ops"),
    "presence": ("close 4403", "close 4403", "presence", "presence", "presence"),
    "ping": ("close 4403", "close 4403", "pong", "pong", "pong"),
}
WS_CELLS = [
    pytest.param(action, index, id=f"{action} as {role}")
    for action in WS_ACTIONS
    for index, role in enumerate(ROLES)
]


def _ws_message(action: str, s: Seed) -> dict[str, Any]:
    if action == "hello":
        return {"type": "hello", "client_id": "m", "since": None}
    if action == "sync":
        return {"type": "sync", "since": 0}
    if action == "presence":
        return {"type": "presence", "node": s.root, "editing": True}
    if action == "ping":
        return {"type": "ping"}
    return {"type": "op", "n": 1, "op": ws_actions(s)[action]}


@pytestmark_ws
@pytest.mark.parametrize(("action", "index"), WS_CELLS)
async def test_each_role_gets_the_expected_answer_to_each_websocket_action(
    cast: Cast, connect: Any, action: str, index: int
) -> None:
    role = ROLES[index]
    expected = WS_EXPECTED[action][index]
    s = await database_sync_to_async(seed)(cast)
    before = await database_sync_to_async(fingerprint)()
    ws = await connect(cast.user(role), cast.tree.pk)
    if expected == "close 4403":
        # Sent at once, before the close is read: still nothing may happen.
        await ws.send({"type": "hello", "client_id": "m", "since": None})
        await ws.send(_ws_message(action, s))
        assert await ws.expect_close() == 4403
        assert await database_sync_to_async(fingerprint)() == before
        return
    if action == "hello":
        await ws.send(_ws_message(action, s))
        welcome = await ws.expect("welcome")
        assert welcome["role"] == role and welcome["user"]["id"] == cast.user(role).pk
        return
    await ws.hello()
    if action == "sync":
        ws.state, ws.last_seq = None, 0  # the helper checks seq order: sync restarts at 0
    await ws.send(_ws_message(action, s))
    if expected == "ack":
        await ws.expect("ack", n=1)
        assert await database_sync_to_async(fingerprint)() != before
        return
    if expected == "nack forbidden":
        await ws.expect("nack", n=1, code="forbidden")
    else:
        await ws.expect(expected)
    assert await database_sync_to_async(fingerprint)() == before


@pytestmark_ws
async def test_guessed_websocket_tree_ids_are_all_closed_with_4403(
    cast: Cast, connect: Any
) -> None:
    top = await database_sync_to_async(
        lambda: Tree.objects.order_by("-pk").values_list("pk", flat=True).first()
    )()
    mine = {cast.tree.pk, cast.other.pk}
    for tree_id in [*range(1, top + 3), 2**63 - 1, 2**63, 10**30]:
        if tree_id in mine:
            continue
        ws = await connect(cast.editor, tree_id)
        try:
            code = await ws.expect_close()
        except Closed as closed:  # pragma: no cover - expect_close handles it
            code = closed.code
        assert code == 4403, tree_id


@pytestmark_ws
@pytest.mark.parametrize(
    "origin", [b"https://evil.example", b"http://127.0.0.1.evil.example", b"null"]
)
async def test_a_websocket_from_a_foreign_origin_is_refused(
    cast: Cast, connect: Any, origin: bytes
) -> None:
    ws = await connect(cast.owner, cast.tree.pk, origin=origin)
    assert not ws.connected


# ---- CSRF on session-authenticated writes --------------------------------------------------

WRITES = [key for key in MATRIX if key[0] != "get"]


@pytest.mark.parametrize(("method", "template"), WRITES)
def test_a_session_write_without_the_csrf_token_is_refused_and_changes_nothing(
    cast: Cast, method: str, template: str
) -> None:
    seeds = seed(cast)
    build, _ = MATRIX[(method, template)]
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    before = fingerprint()
    response = call(client, method, template, cast, build(cast, seeds))
    assert response.status_code == 403, (response.status_code, response.content[:300])
    body = response.json()
    assert body["code"] == "forbidden" and "CSRF" in body["message"]
    assert fingerprint() == before


def test_a_session_write_with_the_csrf_token_goes_through(cast: Cast) -> None:
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(cast.owner)
    token = client.get("/api/auth/csrf/").json()["csrfToken"]
    response = client.patch(
        f"/api/trees/{cast.tree.pk}/", {"title": "ok"}, format="json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200


def test_a_token_authenticated_write_needs_no_csrf_token(cast: Cast) -> None:
    from trees.actions.accounts import token_create

    _, key = token_create(user_id=cast.owner.pk)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.patch(f"/api/trees/{cast.tree.pk}/", {"title": "ok"}, format="json")
    assert response.status_code == 200


# ---- trees of a workshop: what each workshop role may do (trees/domain/workshop.py) --------

WORKSHOP_ROLES = ("facilitator", "self", "mate", "other_group", "removed", "outsider", "anonymous")
R_W = ((200, 200),)  # read and write
R_ = ((200, 403),)  # read only
NONE = ((404, 404),)
ANON = ((401, 401),)

# tree -> (read, write) status per WORKSHOP_ROLES, in order. `own` is "self"'s individual
# tree of a blind round, `own_after` the same once the round ended, `group` the game tree of
# self's group.
WORKSHOP_TREES: dict[str, tuple[tuple[int, int], ...]] = {
    "own": (*R_, *R_W, *NONE, *NONE, *NONE, *NONE, *ANON),
    "own_after": (*R_, *R_W, *R_, *NONE, *NONE, *NONE, *ANON),
    "group": (*R_, *R_W, *R_W, *NONE, *NONE, *NONE, *ANON),
}


def _workshop_trees(cast: Cast) -> tuple[dict[str, Any], dict[str, int]]:
    """owner facilitates; editor (self) and target (mate) are group 1, viewer group 2;
    stranger joined and was removed; outsider never joined."""
    from trees.actions.workshop_rounds import round_end, round_start
    from trees.actions.workshops import participant_remove

    workshop = workshop_create(user=cast.owner, title="Rules")
    seats = {}
    for user, name in ((cast.editor, "Self"), (cast.target, "Mate"), (cast.viewer, "Other")):
        seats[name], _ = workshop_join(workshop=workshop, user=user, display_name=name)
    gone, _ = workshop_join(workshop=workshop, user=cast.stranger, display_name="Gone")
    one = group_create(workshop=workshop, name="One")
    two = group_create(workshop=workshop, name="Two")
    for name, group in (("Self", one), ("Mate", one), ("Other", two)):
        participant_move(workshop=workshop, participant_id=seats[name].pk, group_id=group.pk)
    participant_move(workshop=workshop, participant_id=gone.pk, group_id=one.pk)
    actor = cast.owner.pk
    [game] = exercise_create(workshop=workshop, actor_id=actor, template="game_tree")
    [blind] = exercise_create(workshop=workshop, actor_id=actor, template="problem_tree", rounds=1)
    [after] = exercise_create(workshop=workshop, actor_id=actor, template="problem_tree", rounds=1)
    rnd = after.rounds.get()
    round_start(workshop=workshop, round_id=rnd.pk, actor_id=actor)
    round_end(workshop=workshop, round_id=rnd.pk)
    participant_remove(workshop=workshop, participant_id=gone.pk)

    def link(exercise: Any, **where: Any) -> int:
        return int(ExerciseTree.objects.get(exercise=exercise, **where).tree_id)

    users = {
        "facilitator": cast.owner,
        "self": cast.editor,
        "mate": cast.target,
        "other_group": cast.viewer,
        "removed": cast.stranger,
        "outsider": cast.outsider,
        "anonymous": None,
    }
    trees = {
        "own": link(blind, participant=seats["Self"]),
        "own_after": link(after, participant=seats["Self"]),
        "group": link(game, group=one),
    }
    return users, trees


WORKSHOP_CELLS = [
    pytest.param(tree, index, id=f"{tree} as {role}")
    for tree in WORKSHOP_TREES
    for index, role in enumerate(WORKSHOP_ROLES)
]


@pytest.mark.parametrize(("tree", "index"), WORKSHOP_CELLS)
def test_each_workshop_role_reads_and_writes_a_workshop_tree_as_the_rule_says(
    cast: Cast, tree: str, index: int
) -> None:
    users, trees = _workshop_trees(cast)
    role = WORKSHOP_ROLES[index]
    client = APIClient()
    if users[role] is not None:
        client.force_login(users[role])
    read, write = WORKSHOP_TREES[tree][index]
    tree_id = trees[tree]
    assert client.get(f"/api/trees/{tree_id}/snapshot/").status_code == read
    kind = "proposal" if tree == "group" else "problem"
    op = {"kind": "create", "id": new_id(), "type": kind, "parent": None}
    response = client.post(
        f"/api/trees/{tree_id}/ops/", {"client_id": "rules", "n": 1, "op": op}, format="json"
    )
    assert response.status_code == write, response.content[:200]
