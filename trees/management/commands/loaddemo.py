"""Load the demo users and trees (idempotent: run it as often as you like)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from trees.actions import member_add
from trees.actions.imports import tree_import
from trees.demo_content import DEMO_USERS, GAME_TREE, PROBLEM_TREES
from trees.management.demo_workshop import load_demo_workshop
from trees.models import Tree

DEMO_PASSWORD = "gametree-demo"


def _flatten(
    nodes: list[dict[str, Any]], parent: str | None, users: dict[str, int]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    flat: list[dict[str, Any]] = []
    authors: dict[str, int] = {}
    for node in nodes:
        node_id = str(uuid.uuid4())
        flat.append(
            {
                "id": node_id,
                "type": node["type"],
                "parent": parent,
                "text": node["text"],
                "note": node.get("note", ""),
                "tags": node.get("tags", []),
            }
        )
        authors[node_id] = users[node["author"]]
        children, child_authors = _flatten(node.get("children", []), node_id, users)
        flat.extend(children)
        authors.update(child_authors)
    return flat, authors


class Command(BaseCommand):
    help = (
        "Create the demo users (alice, bob, carol; password 'gametree-demo') and the demo "
        "game tree and problem trees, and a demo workshop facilitated by alice (dave, erin, "
        "fay, gus, hal and ivy are made for it, same password). What already exists is left "
        "alone."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        users: dict[str, int] = {}
        for username, display in DEMO_USERS:
            first, _, last = display.partition(" ")
            user, created = User.objects.get_or_create(
                username=username, defaults={"first_name": first, "last_name": last}
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save()
            users[username] = user.pk
        made = 0
        for index, spec in enumerate([GAME_TREE, *PROBLEM_TREES]):
            kind = "game" if index == 0 else "problem"
            marker = f"demo-{index}"
            if Tree.objects.filter(meta__demo=marker).exists():
                continue
            nodes, authors = _flatten(spec["nodes"], None, users)
            with transaction.atomic():
                tree = tree_import(
                    owner_id=users[spec["owner"]],
                    kind=kind,
                    title=spec["title"],
                    description=spec.get("description", ""),
                    nodes=nodes,
                    author_ids=authors,
                    meta={"demo": marker},
                )
                for username, role in spec.get("members", {}).items():
                    member_add(tree=tree, username=username, role=role)
            made += 1
        workshop = load_demo_workshop(DEMO_PASSWORD)
        self.stdout.write(
            f"demo data ready ({made} trees created); logins: alice, bob, carol / {DEMO_PASSWORD}"
        )
        if workshop:
            self.stdout.write(
                "demo workshop ready: alice facilitates dave, erin, fay, gus, hal and ivy in "
                "three groups (same password); a game tree done, a problem tree in its blind "
                "first round"
            )
