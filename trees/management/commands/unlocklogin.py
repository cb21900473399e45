"""Unlock sign-in for an account (and/or a client address) locked after failed sign-ins.

The lock also ends by itself GAMETREE_LOGIN_LOCK_SECONDS after the last failures
(docs/security.md). Prints how many recorded failures were forgotten.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.loginguard import unlock


class Command(BaseCommand):
    help = "Forget the failed sign-ins of an account and/or an address (unlocks them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username", nargs="?", help="the locked account's username")
        parser.add_argument("--address", help="a client address to unlock as well")

    def handle(self, *args: Any, **options: Any) -> None:
        username, address = options["username"], options["address"]
        if username is None and address is None:
            raise CommandError("name a USERNAME, an --address, or both")
        forgotten = unlock(username=username, address=address)
        self.stdout.write(f"unlocked; {forgotten} failed sign-ins forgotten\n")
