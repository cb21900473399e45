"""Keeping "at least one owner per tree" under concurrency: two owners leaving at the same moment,
or demoting each other, from real threads with their own database connections (PostgreSQL in
the integration pass, SQLite otherwise)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connections

from trees.actions import member_add, member_remove, member_set_role, tree_create
from trees.domain.errors import ActionError
from trees.models import Membership, Role, Tree

TREES = 30


def _race(calls: list[Callable[[], None]]) -> list[str]:
    """Run the calls in threads released together; each answer is "ok" or an error code."""
    barrier = threading.Barrier(len(calls))
    answers = [""] * len(calls)

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            try:
                calls[i]()
                answers[i] = "ok"
            except ActionError as exc:
                answers[i] = exc.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def _two_owner_trees(make_user: Any) -> tuple[Any, Any, list[Tree]]:
    ann, ben = make_user("ann"), make_user("ben")
    trees = []
    for i in range(TREES):
        tree = tree_create(owner_id=ann.pk, kind="problem", title=f"T{i}")
        member_add(tree=tree, username="ben", role=Role.OWNER)
        trees.append(tree)
    return ann, ben, trees


def _owners(tree: Tree) -> int:
    return Membership.objects.filter(tree=tree, role=Role.OWNER).count()


@pytest.mark.django_db(transaction=True)
def test_two_owners_leaving_at_the_same_moment_leave_one_owner(make_user: Any) -> None:
    ann, ben, trees = _two_owner_trees(make_user)
    for tree in trees:
        answers = _race(
            [
                lambda t=tree: member_remove(tree=t, user_id=ann.pk),
                lambda t=tree: member_remove(tree=t, user_id=ben.pk),
            ]
        )
        assert sorted(answers) == ["forbidden", "ok"], (tree.pk, answers)
        assert _owners(tree) == 1, tree.pk


@pytest.mark.django_db(transaction=True)
def test_two_owners_demoting_each_other_at_the_same_moment_leave_one_owner(
    make_user: Any,
) -> None:
    ann, ben, trees = _two_owner_trees(make_user)
    for tree in trees:
        answers = _race(
            [
                lambda t=tree: member_set_role(tree=t, user_id=ben.pk, role=Role.EDITOR),
                lambda t=tree: member_set_role(tree=t, user_id=ann.pk, role=Role.VIEWER),
            ]
        )
        assert sorted(answers) == ["forbidden", "ok"], (tree.pk, answers)
        assert _owners(tree) == 1, tree.pk
