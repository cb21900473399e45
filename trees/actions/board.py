"""Action layer: the facilitator board's projector link (docs/security.md, "Workshop board").

A projector link is read-only and needs no sign-in: whoever holds its key sees the board of
one workshop (counts, names, the ranking; no tree contents beyond the ranking's labels). Only
the key's SHA-256 is stored; the key is shown once, when made. Making a new key replaces the
old one; revoking clears it. Either way the sockets opened with the old key are closed at once.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from trees.actions.accounts import key_hash
from trees.models import Workshop
from trees.realtime.broadcast import broadcast_board_link_changed


def board_link_create(*, workshop: Workshop) -> tuple[str, datetime]:
    """A new projector key for the workshop's board (the previous one stops working)."""
    key = secrets.token_urlsafe(32)
    now = timezone.now()
    with transaction.atomic():
        Workshop.objects.filter(pk=workshop.pk).update(
            board_token_hash=key_hash(key), board_token_created_at=now
        )
        transaction.on_commit(lambda: broadcast_board_link_changed(workshop.pk))
    workshop.board_token_hash = key_hash(key)
    workshop.board_token_created_at = now
    return key, now


def board_link_revoke(*, workshop: Workshop) -> None:
    """No projector link any more; open projector boards are closed."""
    with transaction.atomic():
        Workshop.objects.filter(pk=workshop.pk).update(
            board_token_hash="", board_token_created_at=None
        )
        transaction.on_commit(lambda: broadcast_board_link_changed(workshop.pk))
    workshop.board_token_hash = ""
    workshop.board_token_created_at = None
