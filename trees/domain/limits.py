"""Domain layer: size limits from docs/protocol.md, shared by validation and invariants."""

from __future__ import annotations

MAX_TEXT = 2000
MAX_NOTE = 20000
MAX_TAGS = 20
MAX_TAG_LEN = 64
MAX_NODES = 20000

# Provenance on a node (merge sources, import origin), serialised as JSON.
MAX_META_BYTES = 16 * 1024
# How deep meta may nest (an object in an object ... counts one level each). Provenance needs
# three or four; deeper input only costs recursion further on (a copy of a node recursed ~3
# Python frames per level, so ~330 levels raised RecursionError inside a commit batch).
MAX_META_DEPTH = 32
# An op is an object holding meta: one level more.
MAX_OP_DEPTH = MAX_META_DEPTH + 1
