"""Merge problem trees into one new DAG problem tree with a review queue (docs/analysis.md).

The operator's command runs the merge in its own process and waits for it (REST runs it in a
background thread); progress goes to stderr, one line per phase, so stdout stays the JSON."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.actions.merges import merge_create
from trees.domain.errors import ActionError
from trees.models import MergeSuggestion, Tree
from trees.selectors import tree_snapshot


class Command(BaseCommand):
    help = (
        "Merge problem trees ID ID [ID ...] into a new tree owned by --owner; with --json print "
        '{"id", "nodes": [{"id", "label", "sources"}], "suggestions": [{"a", "b", "score"}], '
        '"disagreements"}. Progress lines go to stderr (not with -v 0).'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", type=int, nargs="+", help="problem tree ids (two or more)")
        parser.add_argument("--title", default="", help="title of the merged tree")
        parser.add_argument("--owner", required=True, help="username of the merged tree's owner")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = get_user_model().objects.filter(username=options["owner"]).first()
        if owner is None:
            raise CommandError(f"no user named {options['owner']!r}")
        ids = options["ids"]
        found = {t.pk: t for t in Tree.objects.filter(pk__in=ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise CommandError(f"no tree {missing[0]}")
        shown: set[str] = set()

        def progress(phase: str, fraction: float) -> None:
            if options["verbosity"] >= 1 and phase not in shown:
                shown.add(phase)
                self.stderr.write(f"merge: {phase} ({fraction:.0%})")

        try:
            outcome = merge_create(
                actor_id=owner.pk,
                trees=[found[i] for i in ids],
                title=options["title"],
                progress=progress,
            )
        except ActionError as exc:
            raise CommandError(f"{exc.code}: {exc.message}") from None
        nodes = [
            {
                "id": n["id"],
                "label": n["text"],
                "sources": [
                    {k: s.get(k) for k in ("tree", "node", "label", "author")}
                    for s in (n["meta"] or {}).get("sources") or []
                ],
            }
            for n in tree_snapshot(tree_id=outcome.tree.pk)["nodes"]
            if not n["deleted"]
        ]
        suggestions = [
            {"a": dict(s.a), "b": dict(s.b), "score": s.score}
            for s in MergeSuggestion.objects.filter(tree=outcome.tree).order_by("position")
        ]
        if options["json"]:
            body = {
                "id": outcome.tree.pk,
                "nodes": nodes,
                "suggestions": suggestions,
                "disagreements": outcome.disagreements,
            }
            self.stdout.write(json.dumps(body))
            return
        self.stdout.write(
            f"merged tree {outcome.tree.pk}: {len(nodes)} nodes, {len(suggestions)} suggestions "
            f"to review, {len(outcome.disagreements)} disagreements"
        )
