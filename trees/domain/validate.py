"""Domain layer: shape validation of incoming operations.

Checks everything that can be checked without looking at the tree (kind, fields, types, id
syntax, key syntax, size limits) and returns a normalised copy: lowercase canonical UUIDs,
tags in their one spelling, no null optional fields. Tree-dependent rules live in `ops.py`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .errors import OpError
from .grammar import node_types
from .keys import is_valid_key
from .limits import (
    MAX_META_BYTES,
    MAX_META_DEPTH,
    MAX_NOTE,
    MAX_OP_DEPTH,
    MAX_TAG_LEN,
    MAX_TAGS,
    MAX_TEXT,
)
from .tags import norm_tag

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

# kind -> (required fields, optional fields), "kind" itself excluded.
_FIELDS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "create": (
        frozenset({"id", "type", "parent"}),
        frozenset({"key", "text", "note", "tags", "meta"}),
    ),
    "set": (frozenset({"id", "field", "value"}), frozenset({"y", "base"})),
    "text": (frozenset({"id", "update"}), frozenset()),
    "move": (frozenset({"id", "parent"}), frozenset({"key", "type"})),
    "delete": (frozenset({"id"}), frozenset()),
    "restore": (frozenset({"id"}), frozenset()),
    "link": (frozenset({"id", "parent"}), frozenset()),
    "unlink": (frozenset({"id", "parent"}), frozenset()),
}

OP_KINDS = frozenset(_FIELDS)
# Kinds that may carry the precondition `if_seq` (an undo of the sender's own change).
GUARDED_KINDS = frozenset({"set", "move", "delete", "restore", "link", "unlink"})
# What `if_seq` may name: a node's field groups (node.FIELD_GROUPS) and `meta`.
GUARD_GROUPS = frozenset({"text", "note", "tags", "position", "deleted", "meta"})
TEXT_LIMITS = {"text": MAX_TEXT, "note": MAX_NOTE}


def _invalid(message: str) -> OpError:
    return OpError("invalid", message)


def node_id(value: object, name: str = "id") -> str:
    """A canonical UUID string, lowercased so that ids compare equal whatever the client sent."""
    if not isinstance(value, str) or not _UUID.fullmatch(value):
        raise _invalid(f"{name} must be a UUID string")
    return value.lower()


def _optional_parent(value: object) -> str | None:
    return None if value is None else node_id(value, "parent")


def _storable(value: str, name: str) -> None:
    # PostgreSQL text columns reject NUL, and lone surrogates (legal in JSON "\ud800") cannot be
    # encoded as UTF-8: refusing them here keeps a bad string from failing later inside a commit.
    if "\x00" in value:
        raise _invalid(f"{name} must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(f"{name} must be valid Unicode") from None


def _valid_unicode(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def plain_json(value: object, name: str, max_depth: int, *, nul: bool = True) -> None:
    """Refuse (OpError `invalid`) anything but JSON data nested at most `max_depth` levels
    whose strings, keys included, are valid Unicode (and without NUL unless `nul`).

    Iterative, so that no input can exhaust the stack here; the messages never quote the
    input, which may not even be encodable.
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not _valid_unicode(item):
                raise _invalid(f"{name} must be valid Unicode (no lone surrogates)")
            if not nul and "\x00" in item:
                raise _invalid(f"{name} must not contain NUL characters")
        elif isinstance(item, Mapping | list | tuple):
            if depth > max_depth:
                raise _invalid(f"{name} must not nest deeper than {max_depth} levels")
            if isinstance(item, Mapping):
                for key, child in item.items():
                    if not isinstance(key, str):
                        raise _invalid(f"{name} must be plain JSON (string keys)")
                    stack.append((key, depth))
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)
        elif item is not None and not isinstance(item, bool | int | float):
            raise _invalid(f"{name} must be plain JSON")


def check_op_input(op: object) -> None:
    """The checks that keep a malformed op from failing later, inside a commit batch: plain
    JSON, at most MAX_OP_DEPTH levels, valid Unicode everywhere (field names too). Run on
    every op before it joins a batch; `normalise` does the rest."""
    plain_json(op, "an operation", MAX_OP_DEPTH)


def text_value(value: object, name: str) -> str:
    """`text` or `note`: any string within its limit, kept exactly as sent."""
    if not isinstance(value, str):
        raise _invalid(f"{name} must be a string")
    if len(value) > TEXT_LIMITS[name]:
        raise OpError("too_large", f"{name} is longer than {TEXT_LIMITS[name]} characters")
    _storable(value, name)
    return value


def tags_value(value: object) -> list[str]:
    """A list of distinct tags in their one spelling (`tags.norm_tag`: "#Goodhart" is
    "goodhart"), within the limits. Spellings of one tag collapse into the first: a list
    sent before tags were normalised replays to the same tags as it was stored."""
    if not isinstance(value, list):
        raise _invalid("tags must be a list of strings")
    if len(value) > MAX_TAGS:
        raise OpError("too_large", f"at most {MAX_TAGS} tags")
    tags: list[str] = []
    for raw in value:
        if not isinstance(raw, str):
            raise _invalid("tags must be a list of strings")
        tag = norm_tag(raw)
        if not tag:
            raise _invalid("tags must not be empty")
        if len(tag) > MAX_TAG_LEN:
            raise OpError("too_large", f"a tag is longer than {MAX_TAG_LEN} characters")
        _storable(tag, "tag")
        if tag not in tags:
            tags.append(tag)
    return tags


def meta_value(value: object) -> dict[str, Any]:
    """Provenance (merge sources, import origin): a JSON object within MAX_META_BYTES."""
    if not isinstance(value, Mapping):
        raise _invalid("meta must be a JSON object")
    plain_json(value, "meta", MAX_META_DEPTH, nul=False)
    try:
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False)
        # A copy made from the JSON text shares nothing with the caller's object.
        decoded: dict[str, Any] = json.loads(encoded)
    except (TypeError, ValueError, RecursionError):
        raise _invalid("meta must be plain JSON (and not nested too deeply)") from None
    if len(encoded.encode("utf-8")) > MAX_META_BYTES:
        raise OpError("too_large", f"meta is larger than {MAX_META_BYTES} bytes")
    _storable(encoded, "meta")
    if "\\u0000" in encoded:  # PostgreSQL's jsonb cannot hold NUL either
        raise _invalid("meta must not contain NUL characters")
    return decoded


def _key(value: object) -> str | None:
    if value is None:
        return None
    if not is_valid_key(value):
        raise _invalid("key is not a valid fractional-index key")
    assert isinstance(value, str)
    return value


def _type(value: object, tree_kind: str) -> str:
    if not isinstance(value, str) or value not in node_types(tree_kind):
        allowed = ", ".join(sorted(node_types(tree_kind)))
        raise _invalid(f"type must be one of {allowed} in a {tree_kind} tree")
    return value


def normalise(op: object, tree_kind: str) -> dict[str, Any]:
    """Validate the shape of `op` and return its normalised form, or raise OpError."""
    if not isinstance(op, Mapping):
        raise _invalid("an operation must be a JSON object")
    kind = op.get("kind")
    if not isinstance(kind, str) or kind not in _FIELDS:
        raise _invalid(f"unknown operation kind {kind!r}")
    required, optional = _FIELDS[kind]
    present = set(op) - {"kind"}
    missing = required - present
    if missing:
        raise _invalid(f"{kind} needs {', '.join(sorted(missing))}")
    extra = present - required - optional - ({"if_seq"} if kind in GUARDED_KINDS else set())
    if extra:
        raise _invalid(f"{kind} does not take {', '.join(sorted(map(str, extra)))}")
    if kind in ("link", "unlink") and tree_kind != "problem":
        raise _invalid(f"{kind} is only for problem trees")

    out: dict[str, Any] = {"kind": kind, "id": node_id(op["id"])}
    if kind == "create":
        out["type"] = _type(op["type"], tree_kind)
        out["parent"] = _optional_parent(op["parent"])
        key = _key(op.get("key"))
        if key is not None:
            out["key"] = key
        for name in ("text", "note"):
            if op.get(name) is not None:
                out[name] = text_value(op[name], name)
        if op.get("tags") is not None:
            out["tags"] = tags_value(op["tags"])
        if op.get("meta") is not None:
            out["meta"] = meta_value(op["meta"])
    elif kind == "set":
        field = op["field"]
        if not isinstance(field, str):
            raise _invalid("field must be text, note or tags")
        out["field"] = field
        if op.get("y") is not None and (field != "text" or not isinstance(op["y"], str)):
            raise _invalid("y is a base64 text update, only for field text")
        if op.get("base") is not None and (field not in TEXT_LIMITS or op.get("y") is not None):
            raise _invalid("base is the text or note a set was edited from (not with y)")
        if field in TEXT_LIMITS:
            out["value"] = text_value(op["value"], field)
            if op.get("y") is not None:
                out["y"] = op["y"]
            if op.get("base") is not None:
                out["base"] = text_value(op["base"], field)
        elif field == "tags":
            out["value"] = tags_value(op["value"])
        elif field == "meta":
            out["value"] = meta_value(op["value"])
        else:
            raise _invalid("field must be text, note, tags or meta")
    elif kind == "text":
        if not isinstance(op["update"], str) or not op["update"]:
            raise _invalid("update must be a base64 string")
        out["update"] = op["update"]
    elif kind == "move":
        out["parent"] = _optional_parent(op["parent"])
        key = _key(op.get("key"))
        if key is not None:
            out["key"] = key
        if op.get("type") is not None:
            out["type"] = _type(op["type"], tree_kind)
    elif kind in ("link", "unlink"):
        out["parent"] = node_id(op["parent"], "parent")
    if op.get("if_seq") is not None:
        out["if_seq"] = if_seq_value(op["if_seq"])
    return out


def if_seq_value(value: object) -> dict[str, int]:
    """The precondition of an undo: `{group: seq}`, each group of the node last written at
    exactly that seq (the undone op's own seq), else the op is refused as `stale`."""
    if not isinstance(value, Mapping) or not value:
        raise _invalid("if_seq must be a non-empty object of field group to seq")
    out: dict[str, int] = {}
    for group, seq in value.items():
        if group not in GUARD_GROUPS:
            raise _invalid(f"if_seq names a field group: {', '.join(sorted(GUARD_GROUPS))}")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq < 2**63:
            raise _invalid("if_seq values must be seqs (non-negative integers)")
        out[group] = seq
    return out
