"""Restore trees from a `dumptrees` document, all or nothing.

Each tree is recreated through the import action (`trees.actions.imports.tree_import`, with
authors kept), so it obeys every rule of the domain and gets a fresh operation log. Owners
and members are found by username; a tree whose owner is not a user here goes to --owner,
members who are not users here are left out. Node ids are kept unless another tree holds
them; tree ids are new. Prints {"trees": [{"old_id", "id", "nodes"}]}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from trees.actions import member_add
from trees.actions.imports import tree_import
from trees.domain.errors import ActionError
from trees.formats import FormatError, import_tree
from trees.management.commands.dumptrees import DUMP_FORMAT, DUMP_VERSION
from trees.models import Node, Role, Tree


def _read(path: str) -> dict[str, Any]:
    try:
        raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        raise CommandError(f"{path} is not JSON") from None
    if not isinstance(payload, dict) or payload.get("format") != DUMP_FORMAT:
        raise CommandError(f'{path} is not a gametree dump ({{"format": "{DUMP_FORMAT}"}})')
    if payload.get("version") != DUMP_VERSION:
        raise CommandError(f"unsupported dump version {payload.get('version')!r}")
    if not isinstance(payload.get("trees"), list):
        raise CommandError('"trees" must be a list')
    return payload


class Command(BaseCommand):
    help = (
        "Recreate the trees of a dumptrees file (all or nothing) and print "
        '{"trees": [{"old_id", "id", "nodes"}]} as JSON.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the dump ('-' reads standard input)")
        parser.add_argument(
            "--owner", help="username that gets the trees whose owner is not a user here"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        payload = _read(options["path"])
        users = get_user_model().objects
        fallback = None
        if options["owner"]:
            fallback = users.filter(username=options["owner"]).first()
            if fallback is None:
                raise CommandError(f"no user named {options['owner']!r}")
        summary = []
        try:
            with transaction.atomic():
                for index, entry in enumerate(payload["trees"]):
                    summary.append(self._restore(index, entry, fallback))
        except ActionError as exc:
            raise CommandError(f"{exc.code}: {exc.message} (nothing was restored)") from None
        self.stdout.write(json.dumps({"trees": summary}))

    def _restore(self, index: int, entry: Any, fallback: Any) -> dict[str, Any]:
        where = f"tree {index + 1}"
        if not isinstance(entry, dict) or not isinstance(entry.get("tree"), dict):
            raise CommandError(f"{where}: not a dump entry (nothing was restored)")
        info, doc = entry["tree"], entry.get("doc")
        owner = get_user_model().objects.filter(username=info.get("owner")).first() or fallback
        if owner is None:
            raise CommandError(
                f"{where}: owner {info.get('owner')!r} is not a user here; "
                "give --owner (nothing was restored)"
            )
        try:
            parsed = import_tree(
                json.dumps(doc), fmt="json", kind=info.get("kind"), title=info.get("title")
            )
        except FormatError as exc:
            raise CommandError(f"{where}: {exc.code}: {exc} (nothing was restored)") from None
        meta = info.get("meta") if isinstance(info.get("meta"), dict) else None
        tree: Tree = tree_import(
            owner_id=owner.pk,
            kind=parsed.kind,
            title=parsed.title,
            description=info.get("description", parsed.description),
            nodes=parsed.nodes,
            keep_authors=True,
            meta=meta,
        )
        for member in info.get("members") or []:
            name = member.get("username") if isinstance(member, dict) else None
            if name == owner.get_username() or not isinstance(name, str):
                continue
            if get_user_model().objects.filter(username=name).exists():
                member_add(tree=tree, username=name, role=member.get("role", Role.VIEWER))
        nodes = Node.objects.filter(tree=tree).count()
        return {"old_id": info.get("id"), "id": tree.pk, "nodes": nodes}
