"""Delete merged trees left hidden by merges that died mid-write (trees/actions/merge_jobs.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from trees.actions.merge_jobs import merge_discard_orphans


class Command(BaseCommand):
    help = (
        "Delete the merged trees a merge left hidden (still being written, no members) when "
        "its process died: those whose job ended or stopped its heartbeat (reported "
        "interrupted), or begun over an hour ago without a job. Trees of merges still running "
        "are kept. `make migrate` (so `make run`) and the compose `migrate` service run it."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = merge_discard_orphans()
        if options["verbosity"] > 0:
            self.stdout.write(f"deleted {deleted} hidden merged trees")
