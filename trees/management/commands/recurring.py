"""Print what recurs across trees, most taut first (docs/analysis.md)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.analysis_service import MAX_TREES_PER_ANALYSIS, recurring_report
from trees.models import Tree


class Command(BaseCommand):
    help = (
        "Rank failure modes (game trees) or shared problems (problem trees) across trees ID...; "
        'with --json print {"items": [{"label", "score", "members": [{"tree", "node", '
        '"label"}]}]}.'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", type=int, nargs="+", help="tree ids")
        parser.add_argument("--top", type=int, default=None, help="keep the first N items")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        ids = list(dict.fromkeys(options["ids"]))
        if len(ids) > MAX_TREES_PER_ANALYSIS:
            raise CommandError(f"at most {MAX_TREES_PER_ANALYSIS} trees at once")
        if options["top"] is not None and options["top"] < 1:
            raise CommandError("--top must be a positive integer")
        found = {t.pk: t for t in Tree.objects.filter(pk__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise CommandError(f"no tree {missing[0]}")
        report = recurring_report([found[i] for i in ids], top=options["top"])
        items = [
            {
                "label": item["label"],
                "score": item["score"],
                "members": [
                    {"tree": m.get("tree"), "node": m.get("node"), "label": m.get("label")}
                    for m in item.get("members") or []
                ],
            }
            for item in report["items"]
        ]
        if options["json"]:
            self.stdout.write(json.dumps({"items": items}))
            return
        for rank, item in enumerate(items, start=1):
            self.stdout.write(f"{rank:>3}. {item['score']:>7.3f}  {item['label']}")
