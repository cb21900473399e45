"""Round trips: export then import gives back the tree, up to what each format can hold.

| format  | keeps                                              | loses                       |
|---------|----------------------------------------------------|-----------------------------|
| json    | everything: exact TreeDoc equality                 | nothing                     |
| graphml | everything, incl. ids, keys, tombstones, DAG edges | XML-illegal control chars   |
| opml    | live nodes: shape, order, type, text, note, tags,  | ids, keys, authors, meta,   |
|         | title, description                                 | tombstones, extra parents   |
| md      | live nodes: shape, order, type, text, note, tags   | ids, keys, authors,         |
|         | title, description (lines right-trimmed)           | meta, tombstones, DAG edges |
| txt     | live nodes: shape, order, type, text, title        | all of the above and notes, |
|         |                                                    | description                 |
"""

from __future__ import annotations

from formats_helpers import _CHARS, outline_view, tree_docs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trees.formats import TreeDoc, export_tree, import_tree
from trees.formats.outline import normalize_block

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _round_trip(doc: TreeDoc, fmt: str) -> TreeDoc:
    return import_tree(export_tree(doc, fmt=fmt), fmt=fmt, kind=doc.kind, title=None)


def _has_live_nodes(doc: TreeDoc) -> bool:
    return bool(outline_view(doc, "text"))


@SETTINGS
@given(tree_docs())
def test_json_round_trip_is_exact(doc: TreeDoc) -> None:
    assert _round_trip(doc, "json") == doc


@SETTINGS
@given(tree_docs())
def test_graphml_round_trip_is_exact(doc: TreeDoc) -> None:
    assert _round_trip(doc, "graphml") == doc


@SETTINGS
@given(tree_docs(full=False))
def test_opml_round_trip_keeps_structure_types_text_notes_and_tags(doc: TreeDoc) -> None:
    back = _round_trip(doc, "opml")
    fields = ("type", "text", "note", "tags")
    assert outline_view(back, *fields) == outline_view(doc, *fields)
    assert (back.title, back.description) == (doc.title, doc.description)


# Tags as people type them: words, `#5`, spaces, brackets, Markdown characters.
_ANY_TAG = st.text(_CHARS, min_size=1, max_size=12).map(lambda s: " ".join(s.split())).filter(bool)


@SETTINGS
@given(tree_docs(full=False), st.data())
def test_markdown_round_trip_keeps_structure_types_text_notes_and_tags(
    doc: TreeDoc, data: st.DataObject
) -> None:
    for node in doc.nodes:
        node["tags"] = data.draw(st.lists(_ANY_TAG, max_size=3, unique=True))
    back = _round_trip(doc, "md")
    fields = ("type", "text", "note", "tags")
    assert outline_view(back, *fields) == outline_view(doc, *fields)
    assert back.title == doc.title
    assert back.description == normalize_block(doc.description)


@SETTINGS
@given(tree_docs(full=False))
def test_plain_text_round_trip_keeps_structure_types_and_text(doc: TreeDoc) -> None:
    back = _round_trip(doc, "txt")
    assert outline_view(back, "type", "text") == outline_view(doc, "type", "text")
    assert back.title == doc.title


@SETTINGS
@given(tree_docs())
def test_outline_exports_leave_out_deleted_nodes(doc: TreeDoc) -> None:
    if not _has_live_nodes(doc):
        return
    back = _round_trip(doc, "opml")
    assert len(back.nodes) == sum(1 for _ in _live_ids(doc))


def _live_ids(doc: TreeDoc) -> list[str]:
    hidden: set[str] = set()
    live = []
    for node in doc.nodes:
        if node["deleted"] or node["parent"] in hidden:
            hidden.add(node["id"])
        else:
            live.append(node["id"])
    return live


@SETTINGS
@given(tree_docs())
def test_every_import_yields_fresh_valid_keys_in_document_order(doc: TreeDoc) -> None:
    if not _has_live_nodes(doc):
        return
    back = _round_trip(doc, "md")
    seen: set[str | None] = {None}
    for node in back.nodes:
        assert node["parent"] in seen
        seen.add(node["id"])
    assert {n["id"] for n in back.nodes}.isdisjoint({n["id"] for n in doc.nodes})
