"""REST layer: document the error answers every operation can give, in the OpenAPI schema.

Views declare their success shapes; the errors come from shared code (authentication, CSRF,
permission checks, the exception handler, throttles), so a drf-spectacular postprocessing hook
adds them: each `{code, message}` (the `Error` component) with the statuses that operation
can actually answer. Schemathesis checks the API against this (tests/fuzz).
"""

from __future__ import annotations

from typing import Any

_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
_DESCRIPTIONS = {
    "400": "Invalid input (code `invalid`, `bad_json`, or an import format error).",
    "401": "Not signed in (`not_authenticated`).",
    "403": "Not allowed for this role, or the CSRF check failed (`forbidden`).",
    "404": "No such tree, workshop or link, or not one of its members (`not_found`; the two "
    "look the same).",
    "409": "Refused by the tree's rules or a limit (`conflict`, `cycle`, `limit_reached`, ...).",
    "413": "Over a size limit (`too_large`).",
    "415": "Unsupported request content type (`unsupported_media_type`).",
    "429": "Too many attempts (`rate_limited`).",
}
_THROTTLED = ("/api/auth/login/", "/api/auth/token/")


def _statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    writes = method != "get"
    statuses = []
    if writes or operation.get("parameters"):
        statuses.append("400")
    if {} not in operation.get("security", [{}]):
        statuses.append("401")
    if writes:
        statuses.append("403")
    # Any object named in the path (a tree, a workshop...) may be missing or not the caller's.
    if "_id}" in path:
        statuses.append("404")
    if writes and path.startswith(("/api/trees/", "/api/workshops/")):
        statuses += ["409", "413"]
    if "requestBody" in operation:
        statuses.append("415")
    if path in _THROTTLED or writes:
        statuses.append("429")
    return statuses


def add_error_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for status in _statuses(path, method, operation):
                operation["responses"].setdefault(
                    status, {"content": _ERROR, "description": _DESCRIPTIONS[status]}
                )
    return result
