"""Password guessing limits, by target account and by client address, for every sign-in path.

Each failed sign-in (`/api/auth/login/`, `/api/auth/token/`, `/admin/login/`, a wrong old
password on `/api/auth/password/`) is stored twice in `LoginFailure`: under the account's
username and under the client's address. While the failures of the last
`GAMETREE_LOGIN_LOCK_SECONDS` reach `GAMETREE_LOGIN_FAILURES_PER_ACCOUNT` for that username, or
`GAMETREE_LOGIN_FAILURES_PER_ADDRESS` for that address, every sign-in to that account (from that
address) is refused before the password is checked, the right password too. Whether the caller
is already signed in (a session, a token) makes no difference.

The counts live in the database, so every server process (and every restart) sees the same
ones; DRF's login throttle, per process in the local cache, stays in front as a cheap first
bound. `LoginGuardBackend`, first in AUTHENTICATION_BACKENDS, is the check for every path that
goes through Django's `authenticate()`: it refuses a locked account or address before
Django's ModelBackend checks the password (it never signs anyone in itself, so sessions keep
naming ModelBackend; it reads sessions like ModelBackend); the API views and the admin login
page turn its refusal into a 429.

Unlocking: wait for the window to pass, or `manage.py unlocklogin USERNAME` (or `--address`),
or a password reset (`manage.py resetpassword`), which clears the account's failures.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from trees.models import LoginFailure

ACCOUNT = "account:"
ADDRESS = "address:"
# The request attribute that carries a refusal from the backend to the view.
_REFUSAL = "_gametree_login_refusal"


@dataclass(frozen=True)
class Refusal:
    code: str  # account_locked | rate_limited
    message: str
    retry_after: int  # seconds


def address_of(request: Any) -> str:
    """The client address. REMOTE_ADDR only: daphne's --proxy-headers already puts the proxy's
    client address there, and a client-sent X-Forwarded-For must not give fresh counts."""
    meta = getattr(request, "META", None) or {}
    return str(meta.get("REMOTE_ADDR") or "unknown")[:100]


def _keys(username: str | None, address: str) -> tuple[str, str]:
    return ACCOUNT + (username or "")[:150], ADDRESS + address


def _window() -> timedelta:
    return timedelta(seconds=settings.GAMETREE_LOGIN_LOCK_SECONDS)


def _retry_after(key: str, limit: int, now: datetime) -> int | None:
    """Seconds until `key` has fewer than `limit` failures in the window, or None if it has."""
    recent = list(
        LoginFailure.objects.filter(key=key, at__gte=now - _window())
        .order_by("-at")
        .values_list("at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    return max(1, int((recent[-1] + _window() - now).total_seconds()) + 1)


def refusal(username: str | None, address: str) -> Refusal | None:
    """Why a sign-in to `username` from `address` is refused now, or None."""
    now = timezone.now()
    account, addr = _keys(username, address)
    wait = _retry_after(account, settings.GAMETREE_LOGIN_FAILURES_PER_ACCOUNT, now)
    if wait is not None:
        return Refusal(
            "account_locked",
            "Too many failed sign-ins to this account: it is locked for "
            f"{_minutes(wait)}. Try again later or ask the operator to unlock it.",
            wait,
        )
    wait = _retry_after(addr, settings.GAMETREE_LOGIN_FAILURES_PER_ADDRESS, now)
    if wait is not None:
        return Refusal(
            "rate_limited",
            f"Too many failed sign-ins from this address; try again in {_minutes(wait)}.",
            wait,
        )
    return None


def _minutes(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def record_failure(username: str | None, address: str) -> None:
    now = timezone.now()
    keys = _keys(username, address)
    LoginFailure.objects.bulk_create([LoginFailure(key=k, at=now) for k in keys])
    # Old rows serve no count: drop those of these keys (bounded work per failure).
    LoginFailure.objects.filter(key__in=keys, at__lt=now - _window()).delete()


def unlock(*, username: str | None = None, address: str | None = None) -> int:
    """Forget the failures of an account and/or an address; how many rows went."""
    keys = []
    if username is not None:
        keys.append(ACCOUNT + username[:150])
    if address is not None:
        keys.append(ADDRESS + address)
    deleted, _ = LoginFailure.objects.filter(key__in=keys).delete()
    return deleted


def refusal_of(request: Any) -> Refusal | None:
    """The refusal the backend left on this request, if it refused."""
    for candidate in (request, getattr(request, "_request", None)):
        found = getattr(candidate, _REFUSAL, None) if candidate is not None else None
        if found is not None:
            return found  # type: ignore[no-any-return]
    return None


def _mark(request: Any, found: Refusal) -> None:
    for candidate in (request, getattr(request, "_request", None)):
        if candidate is not None:
            setattr(candidate, _REFUSAL, found)


class LoginGuardBackend(ModelBackend):
    """Refuses a sign-in to a locked account (or from a stopped address) before the next
    backend checks its password, so guesses learn nothing; otherwise passes (None). It reads
    users and permissions like ModelBackend, so a session that names it (the test client's
    `force_login` names the first backend) works like one that names ModelBackend."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **credentials: Any,
    ) -> None:
        if request is not None:
            found = refusal(username, address_of(request))
            if found is not None:
                _mark(request, found)
                raise PermissionDenied(found.message)  # authenticate() stops, answers None
        return None


@receiver(user_login_failed)
def _count_failure(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    if request is None or refusal_of(request) is not None:
        return  # refused before the password was checked: not a guess
    record_failure(credentials.get("username"), address_of(request))
