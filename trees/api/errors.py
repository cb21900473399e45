"""REST layer: every error is JSON `{"code": ..., "message": ...}` with a stable code.

The codes are defined once, in trees/domain/errors.py; this module only maps them to HTTP.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from trees.domain.errors import CODES, INTERNAL_MESSAGE, ActionError

_DRF_CODES: dict[type[exceptions.APIException], str] = {
    exceptions.NotAuthenticated: "not_authenticated",
    exceptions.AuthenticationFailed: "not_authenticated",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.Throttled: "rate_limited",
    exceptions.ParseError: "bad_json",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.ValidationError: "invalid",
}


log = logging.getLogger(__name__)

# The HTTP status of each code (trees/domain/errors.py CODES); the websocket sends the same
# codes in its nack and error messages.
HTTP_STATUS: dict[str, int] = {
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
    "name_taken": 409,
    "workshop_closed": 403,
    "signup_closed": 403,
    "link_invalid": 410,
    "link_revoked": 410,
    "link_expired": 410,
    "invalid_format": 400,
    "bad_indentation": 400,
    "unsafe_xml": 400,
    "kind_mismatch": 400,
    "unknown_format": 400,
    "unsupported": 400,
    "renderer_missing": 503,
    "method_not_allowed": 405,
    "unsupported_media_type": 415,
    "not_acceptable": 406,
    "error": 400,
    "internal": 500,
    # A merge job's end: reported in the job's body (200), never as a response's status.
    "interrupted": 503,
    "merge_failed": 500,
    "merge_worker_died": 500,
    "merge_timeout": 504,
    # An Analysis whose worker process died or did not answer in time: try again.
    "analysis_unavailable": 503,
}
assert set(HTTP_STATUS) == CODES, set(HTTP_STATUS) ^ CODES


def http_status(code: str) -> int:
    """The HTTP status of an error code (400 for a code the table does not know)."""
    return HTTP_STATUS.get(code, 400)


# The answer to an error of the server's own (a bug, a lost database): the code is stable,
# the message says nothing about the cause, which goes to the log with its traceback.
INTERNAL = {"code": "internal", "message": INTERNAL_MESSAGE}


def _message(detail: Any) -> str:
    if isinstance(detail, dict):
        parts = [f"{field}: {_message(value)}" for field, value in detail.items()]
        return "; ".join(parts)
    if isinstance(detail, list):
        return " ".join(_message(item) for item in detail)
    return str(detail)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ActionError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return Response(exc.as_dict(), status=http_status(exc.code), headers=headers)
    if isinstance(exc, RequestDataTooBig):
        # Django's own answer is its HTML 400 page (DATA_UPLOAD_MAX_MEMORY_SIZE).
        return Response(
            {"code": "too_large", "message": "The request body is too large."}, status=413
        )
    if isinstance(exc, TooManyFieldsSent | TooManyFilesSent):
        return Response({"code": "invalid", "message": "Too many form fields."}, status=400)
    if isinstance(exc, Http404):
        return Response({"code": "not_found", "message": "Not found."}, status=404)
    response = drf_exception_handler(exc, context)
    if response is None:
        request = context.get("request")
        log.error(
            "Internal error: %s %s",
            getattr(request, "method", "?"),
            getattr(request, "path", "?"),
            exc_info=exc,
        )
        set_rollback()
        return Response(dict(INTERNAL), status=500)
    code = next((c for cls, c in _DRF_CODES.items() if isinstance(exc, cls)), "error")
    detail = getattr(exc, "detail", None)
    body: dict[str, Any] = {"code": code, "message": _message(detail) if detail else str(exc)}
    if isinstance(exc, exceptions.ValidationError):
        body["fields"] = detail
    if response.status_code == status.HTTP_403_FORBIDDEN and code == "not_authenticated":
        response.status_code = status.HTTP_401_UNAUTHORIZED
    response.data = body
    return response
