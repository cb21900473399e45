"""Errors with a stable machine code and a human message, shared by REST and websocket."""

from __future__ import annotations

# HTTP status for each code; the websocket sends the same codes in nack/error messages.
STATUS_FOR_CODE: dict[str, int] = {
    "invalid": 400,
    "bad_json": 400,
    "too_large": 413,
    "not_authenticated": 401,
    "invalid_credentials": 400,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "cycle": 409,
    "deleted": 409,
    "bad_parent_type": 409,
    "stale": 409,
    "resync_required": 409,
    "rate_limited": 429,
    "account_locked": 429,
    "limit_reached": 409,
    # Workshops and share links.
    "name_taken": 409,
    "workshop_closed": 403,
    "signup_closed": 403,
    "link_invalid": 410,
    "link_revoked": 410,
    "link_expired": 410,
    # Import and export (trees/formats).
    "invalid_format": 400,
    "bad_indentation": 400,
    "unsafe_xml": 400,
    "kind_mismatch": 400,
    "unknown_format": 400,
    "unsupported": 400,
    "renderer_missing": 503,
    "internal": 500,
}


class ActionError(Exception):
    """A request the server refuses; nothing was changed."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # Seconds after which the same request may succeed (REST: the Retry-After header).
        self.retry_after = retry_after

    @property
    def status(self) -> int:
        return STATUS_FOR_CODE.get(self.code, 400)

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
