"""Every error the server reports, with its stable machine code: the one source of the codes.

- `CODES`: every code a client can receive (REST bodies `{"code", "message"}`, websocket
  `nack` and `error` messages; docs/protocol.md). The REST layer only maps each to an HTTP
  status (`trees/api/errors.py`, `HTTP_STATUS`); nothing else defines a code.
- `OpError`: an operation the tree's rules reject (an expected outcome, nothing changed); the
  action layer turns it into a `nack` or a REST error body. `OP_CODES` are the ones it uses.
- `ActionError`: a request the server refuses (actions, selectors, the live path); nothing
  was changed.
- `FormatError`: an input that cannot be imported, or a tree that cannot be exported
  (trees/formats), with the line number where the input has lines.
- `InvariantError`: the tree state itself is broken, a bug or corrupt data, never a client
  mistake.
"""

from __future__ import annotations

CODES = frozenset(
    {
        # Input and the tree's rules.
        "invalid",
        "bad_json",
        "too_large",
        "not_found",
        "conflict",
        "cycle",
        "deleted",
        "bad_parent_type",
        "stale",
        "resync_required",
        "limit_reached",
        # Who may do what.
        "not_authenticated",
        "invalid_credentials",
        "forbidden",
        "rate_limited",
        "account_locked",
        # Workshops and share links.
        "name_taken",
        "workshop_closed",
        "signup_closed",
        "link_invalid",
        "link_revoked",
        "link_expired",
        # Import and export (trees/formats).
        "invalid_format",
        "bad_indentation",
        "unsafe_xml",
        "kind_mismatch",
        "unknown_format",
        "unsupported",
        "renderer_missing",
        # HTTP itself (a method, a media type the API does not take).
        "method_not_allowed",
        "unsupported_media_type",
        "not_acceptable",
        "error",
        # A merge job's end (its `error.code` when polled; trees/actions/merge_jobs.py).
        "interrupted",
        "merge_failed",
        "merge_worker_died",
        "merge_timeout",
        # An Analysis (trees/analysis_service.py) whose worker process did not answer.
        "analysis_unavailable",
        # The server failed; the request was not carried out.
        "internal",
    }
)

# The codes of the tree's rules (the domain layer's OpError).
OP_CODES = frozenset(
    {
        "invalid",
        "not_found",
        "deleted",
        "bad_parent_type",
        "cycle",
        "conflict",
        "too_large",
        "stale",
    }
)

# What a client is told about an error of the server's own; the cause goes to the log.
INTERNAL_MESSAGE = "The server failed to answer this request."


class OpError(Exception):
    """A rejected operation. The state it was applied to is unchanged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class ActionError(Exception):
    """A request the server refuses; nothing was changed."""

    def __init__(self, code: str, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        # Seconds after which the same request may succeed (REST: the Retry-After header).
        self.retry_after = retry_after

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


class FormatError(ValueError):
    """An input that cannot be imported, or a tree that cannot be exported.

    Codes: `invalid_format` (not the expected format, or broken), `too_large`,
    `bad_indentation`, `unsafe_xml`, `bad_parent_type`, `invalid` (a field with a wrong
    value), `kind_mismatch`, `unknown_format`, `unsupported` (import of an export-only
    format or the reverse), `renderer_missing` (Graphviz `dot` is not installed).
    """

    def __init__(self, code: str, message: str, *, line: int | None = None) -> None:
        self.code = code
        self.line = line
        self.message = f"line {line}: {message}" if line is not None else message
        super().__init__(self.message)


class InvariantError(AssertionError):
    """The tree state violates one of its invariants."""
