"""Formats layer: the one error every import and export raises.

Each error has a stable machine `code` (the REST layer returns it as is), a human message
that names the problem and, where the input has lines, the line number.
"""

from __future__ import annotations


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
