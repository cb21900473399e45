"""Domain layer: the two kinds of failure the tree state can report.

`OpError` is an expected outcome (a client sent an operation the rules reject); the action
layer turns it into a `nack` or a REST error body. `InvariantError` means the state itself is
broken, which is a bug or corrupt data, never a client mistake.
"""

from __future__ import annotations

# The stable machine codes of docs/protocol.md that the domain layer can produce; the others
# (forbidden, rate_limited, bad_json, ...) belong to the transport layers.
CODES = frozenset(
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


class OpError(Exception):
    """A rejected operation. The state it was applied to is unchanged."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class InvariantError(AssertionError):
    """The tree state violates one of its invariants."""
