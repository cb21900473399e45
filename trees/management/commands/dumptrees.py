"""Back up trees: every tree (or the given ones) as one JSON document.

`{"format": "gametree-dump", "version": 1, "trees": [{"tree": {...}, "doc": {...}}]}` where
`tree` holds the tree's id, kind, title, description, meta, owner username and members
(username and role) and `doc` is the tree's lossless JSON backup (docs/formats.md, the same
bytes `exporttree --format json` writes). `restoretrees` reads it back.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.domain.errors import ActionError
from trees.models import Membership, Tree
from trees.transfer import export_bytes

DUMP_FORMAT = "gametree-dump"
DUMP_VERSION = 1


def tree_entry(tree: Tree) -> dict[str, Any]:
    members = (
        Membership.objects.filter(tree=tree).select_related("user").order_by("role", "user_id")
    )
    return {
        "tree": {
            "id": tree.pk,
            "kind": tree.kind,
            "title": tree.title,
            "description": tree.description,
            "meta": tree.meta,
            "owner": tree.owner.get_username(),
            "members": [{"username": m.user.get_username(), "role": m.role} for m in members],
        },
        "doc": json.loads(export_bytes(tree, "json")),
    }


class Command(BaseCommand):
    help = (
        "Write every tree (or the trees given with --tree) with owner and members as one JSON "
        "document to --output or standard output. Read it back with restoretrees."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", help="file to write (default: standard output)")
        parser.add_argument(
            "--tree", type=int, action="append", dest="trees", metavar="ID", help="repeatable"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        trees = Tree.objects.select_related("owner").order_by("pk")
        wanted = options["trees"]
        if wanted:
            trees = trees.filter(pk__in=wanted)
            missing = sorted(set(wanted) - {tree.pk for tree in trees})
            if missing:
                raise CommandError(f"no tree with id {', '.join(map(str, missing))}")
        try:
            entries = [tree_entry(tree) for tree in trees]
        except ActionError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        payload = {"format": DUMP_FORMAT, "version": DUMP_VERSION, "trees": entries}
        data = json.dumps(payload, ensure_ascii=False, indent=1) + "\n"
        if not options["output"]:
            self.stdout.write(data, ending="")
            return
        target = Path(options["output"])
        partial = target.with_name(f".{target.name}.partial")
        try:
            # Written aside and renamed: a crash never leaves a half-written backup in place.
            # Readable by the operator only: a dump holds every tree of every user.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(partial, target)
        except OSError as exc:
            raise CommandError(f"cannot write {target}: {exc.strerror}") from None
        sys.stderr.write(f"{len(entries)} trees written to {target}\n")
