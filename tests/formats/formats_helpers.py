"""Helpers for the formats tests: random trees and the views a lossy format preserves."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import strategies as st

from trees.domain.keys import key_between
from trees.formats import TreeDoc
from trees.formats.doc import live_children
from trees.formats.outline import implied_type, normalize_block

# Printable text without control characters or line separators, with the characters that
# Markdown, HTML and XML treat specially, so escaping is exercised.
_CHARS = st.one_of(
    st.sampled_from(list("*_[]()`~<>#&\\:-+!|=.1 \"'")),
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Zl", "Zp", "Cn")),
)
labels = st.text(_CHARS, min_size=1, max_size=30).map(lambda s: " ".join(s.split())).filter(bool)
prefixed_labels = st.sampled_from(["Critique: ", "patch:", "PROPOSAL : "]).flatmap(
    lambda p: labels.map(lambda t: p + t)
)
notes = st.lists(st.text(_CHARS, max_size=20), max_size=4).map("\n".join)
tags = st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True), max_size=3, unique=True)
metas = st.dictionaries(
    st.sampled_from(["source", "merged_from", "line"]),
    st.one_of(st.integers(0, 10**6), st.text(max_size=8), st.lists(st.integers(0, 9), max_size=3)),
    max_size=2,
)


@st.composite
def tree_docs(draw: Any, kind: str | None = None, *, full: bool = True) -> TreeDoc:
    """A random valid tree. `full` adds what only lossless formats keep (tombstones, DAGs)."""
    kind = kind or draw(st.sampled_from(["game", "problem"]))
    count = draw(st.integers(1, 18))
    nodes: list[dict[str, Any]] = []
    last_key: dict[str | None, str | None] = {}
    for _ in range(count):
        parent = draw(st.sampled_from([None, *[n["id"] for n in nodes]]))
        parent_type = next((n["type"] for n in nodes if n["id"] == parent), None)
        key = key_between(last_key.get(parent), None)
        last_key[parent] = key
        extra: list[str] = []
        if full and kind == "problem" and nodes:
            extra = draw(
                st.lists(st.sampled_from([n["id"] for n in nodes]), max_size=2, unique=True)
            )
            extra = [p for p in extra if p != parent]
        node_id = str(uuid.UUID(int=draw(st.integers(0, 2**128 - 1)), version=4))
        nodes.append(
            {
                "id": node_id,
                "type": implied_type(kind, parent_type),
                "parent": parent,
                "parents": extra,
                "key": key,
                "text": draw(st.one_of(labels, prefixed_labels)),
                "note": draw(notes),
                "tags": draw(tags),
                "author": draw(st.one_of(st.none(), st.integers(1, 10**6))) if full else None,
                "deleted": draw(st.booleans()) if full and len(nodes) > 1 else False,
                "meta": draw(metas) if full else {},
            }
        )
    if len({n["id"] for n in nodes}) != len(nodes):
        from hypothesis import reject

        reject()
    return TreeDoc(
        kind=kind,
        title=draw(labels.filter(lambda t: t[0].isalnum())),
        description=draw(notes),
        nodes=nodes,
    )


def outline_view(doc: TreeDoc, *fields: str) -> list[Any]:
    """The live tree as nested tuples of the given fields, in sibling order."""
    children = live_children(doc)

    def view(parent: str | None) -> list[Any]:
        out = []
        for node in children.get(parent, []):
            values = tuple(normalize_block(node[f]) if f == "note" else node[f] for f in fields)
            out.append((values, view(node["id"])))
        return out

    return view(None)
