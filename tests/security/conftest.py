"""Fixtures for the security tests: a team of one user per role around one tree, a second tree
of the same owner (for cross-tree attempts), a fresh throttle cache, and the websocket
fixtures of tests/ws (own channel layer per test, sockets that always close)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tests.fixtures import _fresh_cache  # noqa: F401  (autouse fixture)
from tests.ws.conftest import _own_channel_layer, connect  # noqa: F401  (fixtures)

PASSWORD = "pw-for-tests-123"
ROLES = ("anonymous", "outsider", "viewer", "editor", "owner")


@dataclass
class Cast:
    """One user per role around `tree`; `target` is a viewer the member endpoints act on;
    `other` is a second tree of the same owner; `foreign` a tree none of them belongs to."""

    owner: Any
    editor: Any
    viewer: Any
    outsider: Any
    target: Any
    stranger: Any
    tree: Any
    other: Any
    foreign: Any

    def user(self, role: str) -> Any | None:
        return None if role == "anonymous" else getattr(self, role)


@pytest.fixture
def cast(make_user: Any, make_tree: Any) -> Cast:
    owner = make_user("olivia")
    editor = make_user("eddie")
    viewer = make_user("vera")
    outsider = make_user("mallory")
    target = make_user("tess")
    stranger = make_user("stan")
    members = {editor: "editor", viewer: "viewer", target: "viewer"}
    tree = make_tree(owner, kind="problem", title="Main", members=members)
    other = make_tree(owner, kind="problem", title="Other", members={editor: "editor"})
    foreign = make_tree(stranger, kind="problem", title="Foreign")
    return Cast(owner, editor, viewer, outsider, target, stranger, tree, other, foreign)
