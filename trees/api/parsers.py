"""REST layer: the JSON parser, with nesting bounded so that a body cannot exhaust the stack.

DRF's own parser lets RecursionError through (a body of ~1,000 nested `[` answered 500, on
anonymous endpoints too), and a body nested a few hundred levels parsed fine and then
overflowed the stack later, in a serializer or a copy. No request of the API nests deeper than
an op with its meta (trees/domain/limits.py, MAX_OP_DEPTH); MAX_BODY_DEPTH leaves room.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

MAX_BODY_DEPTH = 64


def too_deep(value: Any, limit: int) -> bool:
    """Whether `value` (parsed JSON) nests deeper than `limit` levels; iterative."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_BODY_DEPTH} levels.") from None
        if too_deep(data, MAX_BODY_DEPTH):
            raise ParseError(f"JSON nested deeper than {MAX_BODY_DEPTH} levels.")
        return data
