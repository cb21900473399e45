"""Reset a user's password without email: the operator's path for a forgotten password.

Sets the password given on standard input (--stdin) or a random one, printed once; revokes
every API token of the user, ends every session, and unlocks the account. A signed-in user
changes their own password with POST /api/auth/password/ (docs/security.md).
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trees.actions.accounts import password_reset
from trees.domain.errors import ActionError


class Command(BaseCommand):
    help = (
        "Set a new password for USERNAME (random and printed, or read with --stdin), revoke "
        "their API tokens, end their sessions and unlock the account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--stdin", action="store_true", help="read the new password from standard input"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        given = sys.stdin.readline().rstrip("\n") if options["stdin"] else None
        try:
            password = password_reset(username=options["username"], new_password=given)
        except ActionError as exc:
            raise CommandError(exc.message) from None
        if given:
            self.stdout.write(f"password of {options['username']} reset\n")
        else:
            self.stdout.write(f"new password of {options['username']}: {password}\n")
        self.stdout.write("their API tokens are revoked and their sessions ended\n")
