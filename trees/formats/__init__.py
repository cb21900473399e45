"""Formats layer: import and export of whole trees, pure Python (no Django).

    doc = import_tree(data, fmt="auto", kind="game", title=None)   # -> TreeDoc
    data = export_tree(doc, fmt="md")                               # -> bytes

See docs/formats.md for what each format keeps and loses.
"""

from __future__ import annotations

from trees.domain.errors import FormatError
from trees.formats.doc import MAX_IMPORT_NODES, MAX_INPUT_BYTES, TreeDoc, validate_doc
from trees.formats.registry import (
    FORMATS,
    Format,
    detect_format,
    export_tree,
    get_format,
    import_tree,
)

__all__ = [
    "FORMATS",
    "MAX_IMPORT_NODES",
    "MAX_INPUT_BYTES",
    "Format",
    "FormatError",
    "TreeDoc",
    "detect_format",
    "export_tree",
    "get_format",
    "import_tree",
    "validate_doc",
]
