"""Action layer: API tokens (make, list, revoke) and passwords (change, reset).

Tokens expire a fixed `GAMETREE_TOKEN_DAYS` after they are made (use does not extend them: a
leaked token is good for at most that long). Only the SHA-256 of a key is stored. A password
change or reset revokes the user's other tokens and ends their other sessions (Django ends a
session whose stored password hash no longer matches; the reset also deletes them).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from trees import loginguard
from trees.domain.errors import ActionError
from trees.models import ApiToken

# Refresh `last_used_at` at most this often per token (a write per request would be waste).
_LAST_USED_EVERY = timedelta(minutes=1)


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_create(*, user_id: int, session_key: str = "") -> tuple[ApiToken, str]:
    """A new token and its key (shown once). Past `GAMETREE_MAX_TOKENS_PER_USER` live tokens
    the oldest go, so a script that asks for a token on every run cannot pile them up."""
    key = secrets.token_hex(20)
    now = timezone.now()
    with transaction.atomic():
        ApiToken.objects.filter(user_id=user_id, expires_at__lte=now).delete()
        token = ApiToken.objects.create(
            user_id=user_id,
            key_hash=key_hash(key),
            prefix=key[:8],
            expires_at=now + timedelta(days=settings.GAMETREE_TOKEN_DAYS),
            session_key=session_key or "",
        )
        keep = settings.GAMETREE_MAX_TOKENS_PER_USER
        old = ApiToken.objects.filter(user_id=user_id).order_by("-created_at", "-id")[keep:]
        ApiToken.objects.filter(pk__in=list(old.values_list("pk", flat=True))).delete()
    return token, key


def token_for_key(key: str) -> ApiToken | None:
    """The live token with this key, or None (unknown, revoked or expired)."""
    now = timezone.now()
    token = ApiToken.objects.select_related("user").filter(key_hash=key_hash(key)).first()
    if token is None or token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= _LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def tokens_of(user_id: int) -> list[ApiToken]:
    now = timezone.now()
    return list(
        ApiToken.objects.filter(user_id=user_id, expires_at__gt=now).order_by("-created_at", "-id")
    )


def token_revoke(*, user_id: int, token_id: int) -> None:
    """Revoke one of the user's own tokens; anyone else's answers `not_found`."""
    deleted, _ = ApiToken.objects.filter(user_id=user_id, pk=token_id).delete()
    if not deleted:
        raise ActionError("not_found", "No such token.")


def logout_revoke(*, token: Any, session_key: str | None) -> None:
    """What logging out revokes: the token the request came with, and the tokens obtained
    while signed in with this session."""
    if isinstance(token, ApiToken):
        ApiToken.objects.filter(pk=token.pk).delete()
    if session_key:
        ApiToken.objects.filter(session_key=session_key).delete()


def _set_password(user: Any, new_password: object) -> None:
    if not isinstance(new_password, str) or not new_password:
        raise ActionError("invalid", "new_password is required.")
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ActionError("invalid", " ".join(exc.messages)) from None
    user.set_password(new_password)
    user.save(update_fields=["password"])


def password_change(
    *, user: Any, old_password: object, new_password: object, keep_token: Any, address: str
) -> None:
    """Change a signed-in user's password. A wrong old password counts as a failed sign-in
    (so a stolen session cannot guess it fast); the user's tokens other than `keep_token`
    are revoked. The caller keeps its own session with `update_session_auth_hash`."""
    found = loginguard.refusal(user.get_username(), address)
    if found is not None:
        raise ActionError(found.code, found.message)
    if not isinstance(old_password, str) or not user.check_password(old_password):
        loginguard.record_failure(user.get_username(), address)
        raise ActionError("invalid_credentials", "The old password is wrong.")
    with transaction.atomic():
        _set_password(user, new_password)
        others = ApiToken.objects.filter(user_id=user.pk)
        if isinstance(keep_token, ApiToken):
            others = others.exclude(pk=keep_token.pk)
        others.delete()


def password_reset(*, username: str, new_password: str | None = None) -> str:
    """The operator's reset (`manage.py resetpassword`): set a new password (a random one if
    none is given, returned), revoke every token, end every session, unlock the account."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ActionError("not_found", f"No user named {username!r}.")
    password = new_password or secrets.token_urlsafe(12)
    with transaction.atomic():
        _set_password(user, password)
        ApiToken.objects.filter(user_id=user.pk).delete()
        _end_sessions(user.pk)
        loginguard.unlock(username=username)
    return password


def _end_sessions(user_id: int) -> None:
    # Sessions are signed blobs keyed by their id; the user is found by decoding each live one.
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_id):
            session.delete()
