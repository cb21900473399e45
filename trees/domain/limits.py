"""Domain layer: size limits from docs/protocol.md, shared by validation and invariants."""

from __future__ import annotations

MAX_TEXT = 2000
MAX_NOTE = 20000
MAX_TAGS = 20
MAX_TAG_LEN = 64
MAX_NODES = 20000

# Provenance on a node (merge sources, import origin), serialised as JSON.
MAX_META_BYTES = 16 * 1024
