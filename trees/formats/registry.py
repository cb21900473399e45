"""Formats layer: the registry of formats, format detection, and the two entry points.

`import_tree` and `export_tree` are what the management commands and the REST views call.
Both are pure: bytes in, a TreeDoc out, or the reverse. An import is checked whole
(`validate_doc`) before it is returned, so a caller never sees a partial tree.

| format  | import | export | keeps                                   | loses                      |
|---------|--------|--------|-----------------------------------------|----------------------------|
| json    | yes    | yes    | everything (lossless backup)            | nothing                    |
| graphml | yes    | yes    | everything, DAG edges `primary=false`   | XML-illegal control chars  |
| opml    | yes    | yes    | live nodes, order, type, text, note,    | ids, keys, authors, meta,  |
|         |        |        | tags, title, description                | tombstones, extra parents  |
| md      | yes    | yes    | live nodes, order, type, text, note,    | as OPML, and tags          |
|         |        |        | title, description                      |                            |
| txt     | yes    | yes    | live nodes, order, type, text, title    | as Markdown, and notes     |
| svg/png | no     | yes    | a picture of the live tree or DAG       | (not importable)           |
| argdown | no     | yes    | live game tree, types as relations      | notes, tags, problem trees |
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from trees.domain.errors import FormatError
from trees.formats import argdown, graphml, jsonbackup, markdown, opml, picture, plaintext
from trees.formats.doc import TreeDoc, check_kind, validate_doc
from trees.formats.textio import check_size, looks_binary

# An export larger than this is refused (`too_large`) rather than built: a download holds
# the whole file in memory, and every writer is linear in the tree, so only a tree with
# very long texts can get here. Checked on an estimate before writing and on the result.
MAX_EXPORT_BYTES = 64 * 1024 * 1024
# Per node: indentation (capped), bullets, prefixes, ids and keys in JSON/GraphML.
_NODE_OVERHEAD = 400

Reader = Callable[..., TreeDoc]
Writer = Callable[[TreeDoc], bytes]


@dataclass(frozen=True)
class Format:
    name: str
    extensions: tuple[str, ...]
    media_type: str
    can_import: bool
    can_export: bool
    binary: bool = False
    read: Reader | None = field(default=None, repr=False, compare=False)
    write: Writer | None = field(default=None, repr=False, compare=False)


def _format(
    name: str,
    extensions: tuple[str, ...],
    media_type: str,
    *,
    read: Reader | None = None,
    write: Writer | None = None,
    binary: bool = False,
) -> Format:
    return Format(
        name, extensions, media_type, read is not None, write is not None, binary, read, write
    )


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        _format(
            "md",
            (".md", ".markdown"),
            "text/markdown; charset=utf-8",
            read=markdown.read_markdown,
            write=markdown.write_markdown,
        ),
        _format(
            "txt",
            (".txt",),
            "text/plain; charset=utf-8",
            read=plaintext.read_plaintext,
            write=plaintext.write_plaintext,
        ),
        _format(
            "opml",
            (".opml",),
            "text/x-opml; charset=utf-8",
            read=opml.read_opml,
            write=opml.write_opml,
        ),
        _format(
            "json",
            (".json",),
            "application/json",
            read=jsonbackup.read_json,
            write=jsonbackup.write_json,
        ),
        _format(
            "graphml",
            (".graphml",),
            "application/graphml+xml",
            read=graphml.read_graphml,
            write=graphml.write_graphml,
        ),
        _format("svg", (".svg",), "image/svg+xml", write=picture.write_svg),
        _format("png", (".png",), "image/png", write=picture.write_png, binary=True),
        _format(
            "argdown",
            (".argdown", ".ad"),
            "text/x-argdown; charset=utf-8",
            write=argdown.write_argdown,
        ),
    )
}
_ALIASES = {"markdown": "md", "text": "txt", "plain": "txt", "xml": "opml"}


def get_format(name: str) -> Format:
    key = name.strip().lower().lstrip(".")
    fmt = FORMATS.get(_ALIASES.get(key, key))
    if fmt is None:
        raise FormatError("unknown_format", f"unknown format {name!r}; known: {', '.join(FORMATS)}")
    return fmt


def detect_format(data: bytes | str, filename: str | None = None) -> str:
    """The format name from the file extension, else from the content. Import formats only."""
    if filename:
        extension = os.path.splitext(filename)[1].lower()
        for fmt in FORMATS.values():
            if extension in fmt.extensions and fmt.can_import:
                return fmt.name
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if raw.startswith(b"\x89PNG"):
        raise FormatError("unsupported", "a PNG picture cannot be imported; PNG is export-only")
    if looks_binary(raw):
        raise FormatError(
            "invalid_format",
            "this is binary data; expected Markdown, plain text, OPML, JSON or GraphML",
        )
    head = raw[:4096].decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("<"):
        lowered = head.lower()
        for tag, name in (("<opml", "opml"), ("<graphml", "graphml")):
            if tag in lowered:
                return name
        if "<svg" in lowered:
            raise FormatError(
                "unsupported", "an SVG picture cannot be imported; SVG is export-only"
            )
        raise FormatError("invalid_format", "XML, but neither OPML nor GraphML")
    text = raw.decode("utf-8", errors="replace")
    if any(glyph in text for glyph in "●○■•◦▪"):
        return "txt"
    if any(markdown.looks_like_markdown(line) for line in text.split("\n")[:500]):
        return "md"
    return "txt"


def import_tree(
    data: bytes | str,
    *,
    fmt: str = "auto",
    kind: str,
    title: str | None = None,
    filename: str | None = None,
) -> TreeDoc:
    """Parse and check a whole tree. Raises FormatError; never returns a partial tree."""
    check_size(data)
    check_kind(kind)
    name = detect_format(data, filename) if fmt == "auto" else get_format(fmt).name
    reader = FORMATS[name].read
    if reader is None:
        raise FormatError("unsupported", f"{name} is an export-only format")
    try:
        doc: TreeDoc = reader(data, kind=kind, title=title.strip() if title else None)
    except RecursionError:
        raise FormatError("too_large", "the input is nested too deeply") from None
    validate_doc(doc)
    return doc


def estimate_export_bytes(doc: TreeDoc) -> int:
    """An upper estimate of any export's size: escaping at most triples the text."""
    chars = len(doc.title) + len(doc.description)
    for node in doc.nodes:
        chars += len(node["text"]) + len(node["note"]) + sum(len(t) for t in node["tags"])
    return 3 * chars + _NODE_OVERHEAD * len(doc.nodes)


def export_tree(doc: TreeDoc, *, fmt: str) -> bytes:
    """The tree in `fmt`. Raises FormatError (`unsupported`, `too_large`, `renderer_missing`)."""
    found = get_format(fmt)
    if found.write is None:
        raise FormatError("unsupported", f"{found.name} is an import-only format")
    limit = MAX_EXPORT_BYTES
    if estimate_export_bytes(doc) > limit:
        raise FormatError("too_large", _too_large(found.name, limit))
    try:
        data = found.write(doc)
    except RecursionError:
        raise FormatError("too_large", f"the tree is nested too deeply for {found.name}") from None
    if len(data) > limit:
        raise FormatError("too_large", _too_large(found.name, limit))
    return data


def _too_large(name: str, limit: int) -> str:
    return (
        f"this tree would make a {name} file over {limit // (1024 * 1024)} MB; export it in parts"
    )
