"""Fixtures for the analysis REST, command and live-review tests: the demo data, signed-in API
clients and small hand-made problem trees."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.ws.conftest import _own_channel_layer, connect  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


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


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], APIClient]:
    def make(user: Any) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make


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
