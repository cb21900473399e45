"""Formats layer: the tree document every format reads and writes, and its checks.

A `TreeDoc` is what an import produces and an export consumes: the tree's kind, title and
description and its nodes as protocol-shaped dicts (see docs/protocol.md), parents before
children. `validate_doc` is the single gate every import passes through, so that nothing
that breaks a limit or the type grammar ever reaches the database layer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from trees.domain.errors import FormatError
from trees.domain.grammar import allowed_under
from trees.domain.keys import is_valid_key
from trees.domain.limits import MAX_NOTE, MAX_TAG_LEN, MAX_TAGS, MAX_TEXT

# An import is capped below the live tree limit (20,000) so an imported tree can still grow.
MAX_IMPORT_NODES = 10_000
MAX_INPUT_BYTES = 5 * 1024 * 1024
KINDS = ("game", "problem")
NODE_FIELDS = (
    "id",
    "type",
    "parent",
    "parents",
    "key",
    "text",
    "note",
    "tags",
    "author",
    "deleted",
    "meta",
)

# Optional: the seq of the delete that tombstoned a node. Only the JSON backup carries it, so
# that a restored backup keeps separate deletes separate (undo brings back the right nodes).
OPTIONAL_NODE_FIELDS = ("deleted_seq",)

Node = dict[str, Any]


@dataclass
class TreeDoc:
    """A whole tree, independent of any format and of the database."""

    kind: str
    title: str
    description: str = ""
    nodes: list[Node] = field(default_factory=list)
    # What an import had to guess (a glyph-only list past three levels), for the preview.
    warnings: list[str] = field(default_factory=list, compare=False)


def new_node(
    type_: str,
    parent: str | None,
    key: str,
    text: str,
    note: str = "",
    tags: list[str] | None = None,
) -> Node:
    """A fresh node with a new UUID4 id, in protocol shape."""
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "parent": parent,
        "parents": [],
        "key": key,
        "text": text,
        "note": note,
        "tags": list(tags or []),
        "author": None,
        "deleted": False,
        "meta": {},
    }


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise FormatError("invalid", f"kind must be 'game' or 'problem', not {kind!r}")


def check_text_limits(text: str, note: str, *, line: int | None = None, what: str = "") -> None:
    """Label and note limits, reported with the line of the input they came from."""
    label = f" ({what})" if what else ""
    if len(text) > MAX_TEXT:
        raise FormatError(
            "too_large", f"text{label} is {len(text)} characters; at most {MAX_TEXT}", line=line
        )
    if len(note) > MAX_NOTE:
        raise FormatError(
            "too_large", f"note{label} is {len(note)} characters; at most {MAX_NOTE}", line=line
        )


def check_node_count(count: int, *, line: int | None = None) -> None:
    if count > MAX_IMPORT_NODES:
        raise FormatError(
            "too_large", f"more than {MAX_IMPORT_NODES} nodes in one import", line=line
        )


def _check_tags(tags: object, where: str, line: int | None) -> None:
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise FormatError("invalid", f"{where}: tags must be a list of strings", line=line)
    if len(tags) > MAX_TAGS:
        raise FormatError("too_large", f"{where}: more than {MAX_TAGS} tags", line=line)
    if len(set(tags)) != len(tags):
        raise FormatError("invalid", f"{where}: duplicate tags", line=line)
    for tag in tags:
        if not 1 <= len(tag) <= MAX_TAG_LEN:
            raise FormatError(
                "too_large" if tag else "invalid",
                f"{where}: a tag must be 1-{MAX_TAG_LEN} characters",
                line=line,
            )


def validate_doc(doc: TreeDoc, lines: dict[str, int] | None = None) -> None:
    """Raise FormatError unless `doc` could be stored as is. `lines` maps ids to input lines."""
    lines = lines or {}
    check_kind(doc.kind)
    if not isinstance(doc.title, str) or not isinstance(doc.description, str):
        raise FormatError("invalid", "title and description must be strings")
    check_node_count(len(doc.nodes))
    types: dict[str, str] = {}
    for index, node in enumerate(doc.nodes):
        node_id = node.get("id")
        where = f"node {index + 1}" + (f" ({node_id})" if isinstance(node_id, str) else "")
        line = lines.get(node_id) if isinstance(node_id, str) else None
        if set(node) - set(OPTIONAL_NODE_FIELDS) != set(NODE_FIELDS):
            raise FormatError("invalid", f"{where}: fields must be {', '.join(NODE_FIELDS)}")
        deleted_seq = node.get("deleted_seq", 0)
        if isinstance(deleted_seq, bool) or not isinstance(deleted_seq, int) or deleted_seq < 0:
            raise FormatError("invalid", f"{where}: deleted_seq must be a non-negative integer")
        if not isinstance(node_id, str) or not _is_uuid(node_id):
            raise FormatError("invalid", f"{where}: id must be a UUID", line=line)
        if node_id in types:
            raise FormatError("invalid", f"{where}: duplicate id", line=line)
        parent = node["parent"]
        if parent is not None and parent not in types:
            raise FormatError(
                "invalid", f"{where}: parent {parent!r} must be a node listed before it", line=line
            )
        node_type = node["type"]
        if not isinstance(node_type, str) or not allowed_under(
            doc.kind, node_type, types[parent] if parent is not None else None
        ):
            under = f"a {types[parent]}" if parent is not None else "the top level"
            raise FormatError(
                "bad_parent_type",
                f"{where}: a {node_type!r} cannot sit under {under} in a {doc.kind} tree",
                line=line,
            )
        extra = node["parents"]
        if not isinstance(extra, list):
            raise FormatError("invalid", f"{where}: parents must be a list", line=line)
        if extra and doc.kind != "problem":
            raise FormatError(
                "bad_parent_type", f"{where}: extra parents exist only in problem trees", line=line
            )
        if len(set(extra)) != len(extra) or parent in extra or node_id in extra:
            raise FormatError("invalid", f"{where}: repeated or self parent", line=line)
        for other in extra:
            # Requiring every parent to come first also rules out cycles through extra parents.
            if other not in types:
                raise FormatError(
                    "invalid",
                    f"{where}: extra parent {other!r} must be listed before it",
                    line=line,
                )
        if not is_valid_key(node["key"]):
            raise FormatError("invalid", f"{where}: malformed key {node['key']!r}", line=line)
        text, note = node["text"], node["note"]
        if not isinstance(text, str) or not isinstance(note, str):
            raise FormatError("invalid", f"{where}: text and note must be strings", line=line)
        check_text_limits(text, note, line=line, what=where)
        _check_tags(node["tags"], where, line)
        author = node["author"]
        if author is not None and (not isinstance(author, int) or isinstance(author, bool)):
            raise FormatError("invalid", f"{where}: author must be a user id or null", line=line)
        if not isinstance(node["deleted"], bool):
            raise FormatError("invalid", f"{where}: deleted must be true or false", line=line)
        if not isinstance(node["meta"], dict):
            raise FormatError("invalid", f"{where}: meta must be an object", line=line)
        types[node_id] = node_type


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def live_children(doc: TreeDoc) -> dict[str | None, list[Node]]:
    """Children of each node (None = top level) in sibling order, without deleted subtrees.

    Outline formats and pictures show what a client shows: a tombstoned node hides its whole
    primary subtree. Extra parents are ignored here (an outline has one parent per line).
    """
    hidden: set[str] = set()
    children: dict[str | None, list[Node]] = {}
    for node in doc.nodes:
        if node["deleted"] or node["parent"] in hidden:
            hidden.add(node["id"])
            continue
        children.setdefault(node["parent"], []).append(node)
    for siblings in children.values():
        siblings.sort(key=lambda n: (n["key"], n["id"]))
    return children
