"""REST layer: rate limits. Reads are free; writes are limited per signed-in user."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import UserRateThrottle

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


class WriteThrottle(UserRateThrottle):
    """Unsafe requests per user (per address when signed out); the websocket has its own."""

    scope = "write"

    def allow_request(self, request: Request, view: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return super().allow_request(request, view)
