"""Domain layer: pure-Python tree state, operations, invariants and errors (no Django).

The action layer loads a `TreeState`, calls `apply(op, seq=..., actor=...)`, stores the
changed rows and logs `Applied.op`; clients and tests replay the same ops to the same state.
"""

from __future__ import annotations

from . import limits
from .errors import InvariantError, OpError
from .keys import key_between, keys_after
from .node import Applied, Node
from .state import TreeState, replay

__all__ = [
    "Applied",
    "InvariantError",
    "Node",
    "OpError",
    "TreeState",
    "key_between",
    "keys_after",
    "limits",
    "replay",
]
