"""Formats layer: the lossless JSON backup.

`{"format": "gametree", "version": 1, "tree": {kind, title, description}, "nodes": [...]}`
with every node in full protocol shape (ids, keys, tags, notes, authors, meta, tombstones,
extra parents). Export then import gives back exactly the same TreeDoc. Node fields that
are not part of a stored node (`field_seq` in a live snapshot) are ignored on import.
"""

from __future__ import annotations

import json
from typing import Any

from trees.domain.errors import FormatError
from trees.formats.doc import NODE_FIELDS, TreeDoc
from trees.formats.textio import decode_text

FORMAT_TAG = "gametree"
VERSION = 1
EXPECTED = 'a gametree JSON backup ({"format": "gametree", "version": 1, ...})'
_DEFAULTS: dict[str, Any] = {
    "parents": [],
    "note": "",
    "tags": [],
    "author": None,
    "deleted": False,
    "meta": {},
}


def read_json(data: bytes | str, *, kind: str, title: str | None) -> TreeDoc:
    text = decode_text(data, EXPECTED)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(
            "invalid_format", f"not valid JSON ({exc.msg}); expected {EXPECTED}", line=exc.lineno
        ) from None
    except RecursionError:
        raise FormatError("too_large", "JSON nested too deeply") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT_TAG:
        raise FormatError("invalid_format", f"expected {EXPECTED}")
    if payload.get("version") != VERSION:
        raise FormatError(
            "invalid_format",
            f"unsupported backup version {payload.get('version')!r}; "
            f"this server reads version {VERSION}",
        )
    tree, nodes = payload.get("tree"), payload.get("nodes")
    if not isinstance(tree, dict) or not isinstance(nodes, list):
        raise FormatError("invalid_format", '"tree" must be an object and "nodes" a list')
    if tree.get("kind") != kind:
        raise FormatError(
            "kind_mismatch", f"the backup holds a {tree.get('kind')!r} tree, not a {kind!r} tree"
        )
    doc = TreeDoc(
        kind=kind,
        title=title if title else tree.get("title", ""),
        description=tree.get("description", ""),
        nodes=[],
    )
    for index, raw in enumerate(nodes):
        if not isinstance(raw, dict):
            raise FormatError("invalid", f"node {index + 1} is not an object")
        missing = [name for name in ("id", "type", "parent", "key", "text") if name not in raw]
        if missing:
            raise FormatError("invalid", f"node {index + 1} lacks {', '.join(missing)}")
        node = {name: raw.get(name, _copy(_DEFAULTS.get(name))) for name in NODE_FIELDS}
        if raw.get("deleted") and "deleted_seq" in raw:
            node["deleted_seq"] = raw["deleted_seq"]
        doc.nodes.append(node)
    return doc


def _copy(value: Any) -> Any:
    return value.copy() if isinstance(value, (list, dict)) else value


def _node_out(node: dict[str, Any]) -> dict[str, Any]:
    out = {name: node[name] for name in NODE_FIELDS}
    if node.get("deleted") and node.get("deleted_seq"):
        out["deleted_seq"] = node["deleted_seq"]
    return out


def backup_payload(doc: TreeDoc) -> dict[str, Any]:
    """The backup as a JSON-ready dict (the workshop backup holds one per tree)."""
    return {
        "format": FORMAT_TAG,
        "version": VERSION,
        "tree": {"kind": doc.kind, "title": doc.title, "description": doc.description},
        "nodes": [_node_out(node) for node in doc.nodes],
    }


def write_json(doc: TreeDoc) -> bytes:
    payload = backup_payload(doc)
    return json.dumps(payload, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
