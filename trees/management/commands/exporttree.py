"""Export a tree: Markdown, OPML, JSON (lossless), GraphML, SVG or PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.domain.errors import ActionError
from trees.formats import FORMATS
from trees.models import Tree
from trees.transfer import export_bytes


class Command(BaseCommand):
    help = "Write tree TREE_ID in the given format to --output, or to standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("tree_id", type=int)
        parser.add_argument(
            "--format",
            required=True,
            choices=["md", "txt", "opml", "json", "graphml", "svg", "png", "argdown"],
        )
        parser.add_argument("--output", help="file to write (default: standard output)")

    def handle(self, *args: Any, **options: Any) -> None:
        tree = Tree.objects.filter(pk=options["tree_id"]).first()
        if tree is None:
            raise CommandError(f"no tree with id {options['tree_id']}")
        try:
            data = export_bytes(tree, options["format"])
        except ActionError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        if options["output"]:
            try:
                Path(options["output"]).write_bytes(data)
            except OSError as exc:
                raise CommandError(f"cannot write {options['output']}: {exc.strerror}") from None
            return
        # self.stdout, not sys.stdout: call_command(stdout=...) must get the output.
        buffer = getattr(self.stdout, "buffer", None)
        if buffer is not None:
            self.stdout.flush()
            buffer.write(data)
            buffer.flush()
        elif FORMATS[options["format"]].binary:
            raise CommandError(f"{options['format']} is binary; use --output")
        else:
            self.stdout.write(data.decode("utf-8"), ending="")
