"""Test helpers for the analysis layer: build node dicts from compact outlines, two small
problem trees that share most problems (the merge tests' input), and a model file with one
byte changed (the weights' checksum tests)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

TYPE_OF = {"P": "proposal", "C": "critique", "X": "patch", "R": "problem"}


def node(
    id: str,
    type: str,
    parent: str | None = None,
    text: str = "",
    *,
    parents: list[str] | None = None,
    tags: list[str] | None = None,
    author: int = 1,
    deleted: bool = False,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    return {
        "id": id,
        "type": TYPE_OF.get(type, type),
        "parent": parent,
        "parents": parents or [],
        "key": "a0",
        "text": text or id,
        "note": "",
        "tags": tags or [],
        "author": author,
        "deleted": deleted,
        "meta": meta or {},
    }


def outline(text: str, *, prefix: str = "") -> list[dict[str, Any]]:
    """Parse lines like ``  C c1 [tag] @2 text`` (2-space indent) into node dicts.

    Fields: type letter, id, optional ``[tag,tag]``, optional ``@author``, then text.
    """
    out: list[dict[str, Any]] = []
    stack: list[tuple[int, str]] = []
    for raw in text.strip("\n").splitlines():
        if not raw.strip():
            continue
        depth = (len(raw) - len(raw.lstrip(" "))) // 2
        parts = raw.strip().split(" ")
        kind, nid, rest = parts[0], prefix + parts[1], parts[2:]
        tags: list[str] = []
        author = 1
        if rest and rest[0].startswith("["):
            tags = [t for t in rest[0].strip("[]").split(",") if t]
            rest = rest[1:]
        if rest and rest[0].startswith("@"):
            author = int(rest[0][1:])
            rest = rest[1:]
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1] if stack else None
        out.append(node(nid, kind, parent, " ".join(rest) or nid, tags=tags, author=author))
        stack.append((depth, nid))
    return out


ALIGNMENT = """
R r Alignment
  R a Outer alignment
    R a1 Reward hacking
  R b Deceptive alignment
"""
AI_ALIGNMENT = """
R r AI alignment
  R a Outer alignment
    R a1 Reward hacking
  R b Deception
"""


def two_alignment_trees() -> list[tuple[int, list[dict[str, Any]]]]:
    """Trees 1 and 2 (node ids prefixed t1, t2): the same four problems, two of them named
    differently ("AI alignment", "Deception")."""
    return [
        (k, outline(text, prefix=f"t{k}"))
        for k, text in enumerate((ALIGNMENT, AI_ALIGNMENT), start=1)
    ]


def altered_copy(model_file: Path, folder: Path, offset: int) -> Path:
    """A copy of `model_file` in `folder` with the byte at `offset` inverted."""
    altered = folder / "model.npz"
    shutil.copyfile(model_file, altered)
    with altered.open("r+b") as f:
        f.seek(offset)
        byte = f.read(1)
        f.seek(offset)
        f.write(bytes([byte[0] ^ 0xFF]))
    return altered
