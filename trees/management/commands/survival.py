"""Print whether each proposal, critique and patch of a game tree survives (docs/analysis.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.analysis_service import survival_report
from trees.domain.errors import ActionError
from trees.models import Tree


class Command(BaseCommand):
    help = (
        "Label every live node of game tree ID survives / broken / contested with a reason; "
        'with --json print {"nodes": [{"id", "label", "type", "status", "reason"}]}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("id", type=int, help="game tree id")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        tree = Tree.objects.filter(pk=options["id"]).first()
        if tree is None:
            raise CommandError(f"no tree {options['id']}")
        try:
            report = survival_report(tree)
        except ActionError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        nodes = [
            {k: n[k] for k in ("id", "label", "type", "status", "reason")} for n in report["nodes"]
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"nodes": nodes}))
            return
        for n in nodes:
            self.stdout.write(f"{n['status']:<9} {n['type']:<8} {n['label']}  ({n['reason']})")
