"""Import a tree from a file: Markdown bullets, plain text, OPML, JSON or GraphML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.domain.errors import ActionError
from trees.models import Node
from trees.transfer import import_bytes


class Command(BaseCommand):
    help = (
        'Create a tree from PATH and print {"id": <tree id>, "nodes": <count>} as JSON. '
        "Nothing is created when the file has a problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="file to import ('-' reads standard input)")
        parser.add_argument("--kind", required=True, choices=["game", "problem"])
        parser.add_argument("--title", help="tree title (default: from the file)")
        parser.add_argument("--owner", required=True, help="username of the new tree's owner")
        parser.add_argument(
            "--format",
            default="auto",
            choices=["auto", "md", "txt", "opml", "json", "graphml"],
            help="input format (default: detected from the name and content)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"no user named {options['owner']!r}")
        path = options["path"]
        try:
            if path == "-":
                import sys

                data = sys.stdin.buffer.read()
                filename = None
            else:
                data = Path(path).read_bytes()
                filename = Path(path).name
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
        try:
            tree = import_bytes(
                owner_id=owner.pk,
                data=data,
                fmt=options["format"],
                kind=options["kind"],
                title=options["title"],
                filename=filename,
                # The operator restoring a JSON backup keeps who wrote what.
                keep_authors=True,
            )
        except ActionError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        count = Node.objects.filter(tree=tree).count()
        self.stdout.write(json.dumps({"id": tree.pk, "nodes": count}))
