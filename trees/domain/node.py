"""Domain layer: one node of a tree, and the outcome of an applied operation."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FIELD_GROUPS = ("text", "note", "tags", "position", "deleted")


@dataclass(slots=True)
class Node:
    """One node as stored; `to_dict` gives the node shape of docs/protocol.md."""

    id: str
    type: str
    parent: str | None
    key: str
    parents: list[str] = field(default_factory=list)
    text: str = ""
    note: str = ""
    tags: list[str] = field(default_factory=list)
    author: int | None = None
    deleted: bool = False
    # The seq of the delete that tombstoned this node (0 = live). `restore` brings back exactly
    # the nodes of the subtree that share it, so an older, separate delete is not undone too.
    deleted_seq: int = 0
    meta: dict[str, Any] = field(default_factory=dict)
    field_seq: dict[str, int] = field(default_factory=dict)
    # The text's Y document (base64 of a Yjs update), "" while it is the seed of `text`
    # (trees/domain/ytext.py). Sent to clients so they merge edits against the same state.
    y: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The node shape of docs/protocol.md plus `deleted_seq` (and `y` when the text has been
        merged); shares no mutable state."""
        out = {
            "id": self.id,
            "type": self.type,
            "parent": self.parent,
            "parents": list(self.parents),
            "key": self.key,
            "text": self.text,
            "note": self.note,
            "tags": list(self.tags),
            "author": self.author,
            "deleted": self.deleted,
            "meta": copy.deepcopy(self.meta) if self.meta else {},
            # Every group always present (0 = never written); extra groups such as "meta"
            # are kept so that from_dict(to_dict()) loses nothing.
            "field_seq": {**dict.fromkeys(FIELD_GROUPS, 0), **self.field_seq},
            "deleted_seq": self.deleted_seq,
        }
        if self.y:
            out["y"] = self.y
        return out

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Node:
        """The inverse of `to_dict`; missing optional fields take their defaults."""
        return cls(
            id=d["id"],
            type=d["type"],
            parent=d.get("parent"),
            key=d["key"],
            parents=list(d.get("parents") or ()),
            text=d.get("text") or "",
            note=d.get("note") or "",
            tags=list(d.get("tags") or ()),
            author=d.get("author"),
            deleted=bool(d.get("deleted", False)),
            deleted_seq=int(d.get("deleted_seq") or 0),
            meta=copy.deepcopy(dict(d.get("meta") or {})),
            field_seq={g: int(v) for g, v in (d.get("field_seq") or {}).items()},
            y=d.get("y") or "",
        )

    def clone(self) -> Node:
        """A copy that shares no mutable state with this node."""
        return Node(
            id=self.id,
            type=self.type,
            parent=self.parent,
            key=self.key,
            parents=list(self.parents),
            text=self.text,
            note=self.note,
            tags=list(self.tags),
            author=self.author,
            deleted=self.deleted,
            deleted_seq=self.deleted_seq,
            meta=copy.deepcopy(self.meta) if self.meta else {},
            field_seq=dict(self.field_seq),
            y=self.y,
        )


@dataclass
class Applied:
    """The outcome of an accepted operation."""

    # The op as applied (ids lowercased, key chosen or rewritten, tags stripped): this is what
    # goes into the log and the broadcast, and re-applying it to the pre-state gives the same.
    op: dict[str, Any]
    changed: list[str]
    overwrote: int = 0
