"""Fixtures and helpers for the analysis REST, command and live-review tests: the demo data,
signed-in API clients, small hand-made problem trees, merges over REST polled to their end, and
a check that a tree's op log replays to its snapshot."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from rest_framework.test import APIClient

from tests.fixtures import _fresh_cache  # noqa: F401  (autouse fixture)
from tests.ws.conftest import _own_channel_layer, connect  # noqa: F401  (fixtures)

if TYPE_CHECKING:
    from trees.models import Node


@pytest.fixture(autouse=True)
def _merge_threads_joined(db: Any) -> Iterator[None]:
    # Depends on `db` so that it ends first: no merge thread may write while the test
    # database is flushed or rolled back.
    yield
    for thread in threading.enumerate():
        if thread.name.startswith("gametree-merge-"):
            thread.join(timeout=60)


def merge_status(client: APIClient, url: str) -> dict[str, Any]:
    """GET a merge's status."""
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return dict(response.json())


def merge_until(
    client: APIClient, url: str, done: Callable[[dict[str, Any]], bool], timeout: float = 60
) -> dict[str, Any]:
    """Poll a merge's status until `done(body)`."""
    deadline = time.monotonic() + timeout
    while True:
        body = merge_status(client, url)
        if done(body):
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.05)


def finished(body: dict[str, Any]) -> bool:
    return body["status"] in ("done", "failed")


def start_merge(client: APIClient, trees: list[Any], **extra: Any) -> dict[str, Any]:
    """POST /api/merges/: answered at once, queued."""
    body = {"trees": [t if isinstance(t, int) else t.pk for t in trees], **extra}
    response = client.post("/api/merges/", body, format="json")
    assert response.status_code == 202, (response.status_code, response.content[:300])
    out = dict(response.json())
    assert response["Location"] == out["url"] == f"/api/merges/{out['id']}/"
    return out


def merge_via_api(client: APIClient, trees: list[Any], **extra: Any) -> dict[str, Any]:
    """Start a merge and poll it to its end; the final status (done or failed)."""
    started = start_merge(client, trees, **extra)
    return merge_until(client, started["url"], finished)


def assert_log_replays_to_the_snapshot(tree_id: int) -> None:
    """Replaying the tree's op log gives its stored snapshot: every change went through ops."""
    from trees.domain import replay
    from trees.models import OpLog, Tree
    from trees.selectors import tree_snapshot

    tree = Tree.objects.get(pk=tree_id)
    rows = OpLog.objects.filter(tree=tree).order_by("seq")
    state = replay(tree.kind, [(r.seq, r.op, r.actor_id) for r in rows])
    assert state.snapshot() == tree_snapshot(tree_id=tree_id)["nodes"]


def live(tree_id: int) -> dict[str, Node]:
    """The tree's nodes not deleted, by id."""
    from trees.models import Node

    return {str(n.id): n for n in Node.objects.filter(tree_id=tree_id, deleted=False)}


@dataclass
class Demo:
    alice: Any
    bob: Any
    carol: Any
    game: Any
    bobs: Any
    carols: Any


@pytest.fixture
def demo(db: Any) -> Demo:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from trees.models import Tree

    call_command("loaddemo", stdout=_Null())
    users = {u.username: u for u in get_user_model().objects.all()}
    trees = {t.meta["demo"]: t for t in Tree.objects.filter(meta__has_key="demo")}
    return Demo(
        users["alice"],
        users["bob"],
        users["carol"],
        trees["demo-0"],
        trees["demo-1"],
        trees["demo-2"],
    )


class _Null:
    def write(self, *_: Any) -> None:
        pass

    def flush(self) -> None:
        pass


Outline = list[tuple[str, "Outline"]]


def build_problem_tree(
    owner: Any, title: str, outline: Any, members: dict[Any, str] | None = None
) -> Any:
    """A problem tree from nested `(text, [children])` through the import action."""
    from trees.actions import member_add
    from trees.actions.imports import tree_import

    nodes: list[dict[str, Any]] = []

    def walk(items: Any, parent: str | None) -> None:
        for text, children in items:
            node_id = str(uuid.uuid4())
            nodes.append({"id": node_id, "type": "problem", "parent": parent, "text": text})
            walk(children, node_id)

    walk(outline, None)
    tree = tree_import(owner_id=owner.pk, kind="problem", title=title, nodes=nodes)
    for user, role in (members or {}).items():
        member_add(tree=tree, username=user.username, role=role)
    return tree
