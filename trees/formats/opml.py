"""Formats layer: OPML 2.0 outlines (Workflowy, Dynalist, most outliners).

Reads `<head><title>` as the title and each `<outline text="..." _note="...">` as an item
(Workflowy writes inline HTML such as `<b>` in `text`, Dynalist writes Markdown; both are
stripped). `_tags="a,b"` is read as tags. Writes the same shape: the title and the tree's
description in `<head>`, one `<outline>` per live node with its note in `_note`, its tags
in `_tags` and a `Critique:`-style prefix where the type differs from what depth implies.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, indent, tostring

from trees.domain.errors import FormatError
from trees.formats.doc import TreeDoc
from trees.formats.inline import (
    escape_html,
    escape_markdown,
    hide_and_strip,
    restore,
    strip_html,
    xml_safe,
)
from trees.formats.outline import (
    Outline,
    OutlineItem,
    build_doc,
    doc_to_outline,
    export_label,
    split_prefix,
)
from trees.formats.textio import decode_text
from trees.formats.xmlsafe import local_name, parse_xml

EXPECTED = "OPML (XML with an <opml> root)"


def _label(raw: str, kind: str) -> tuple[str | None, str]:
    hidden, stash = hide_and_strip(strip_html(raw).strip())
    node_type = None
    if kind == "game":
        node_type, hidden = split_prefix(hidden)
    return node_type, restore(hidden, stash).strip()


def read_opml(data: bytes | str, *, kind: str, title: str | None) -> TreeDoc:
    if isinstance(data, bytes):
        decode_text(data, EXPECTED)  # binary junk gets the plain "not text" message
    root, lines = parse_xml(data, EXPECTED)
    if local_name(root.tag) != "opml":
        raise FormatError(
            "invalid_format", f"the XML root is <{local_name(root.tag)}>; expected {EXPECTED}"
        )
    outline = Outline(items=[])
    head = next((e for e in root if local_name(e.tag) == "head"), None)
    body = next((e for e in root if local_name(e.tag) == "body"), None)
    if body is None:
        raise FormatError("invalid_format", f"no <body> element; expected {EXPECTED}")
    if head is not None:
        for element in head:
            if local_name(element.tag) == "title" and (element.text or "").strip():
                outline.title = (element.text or "").strip()
            elif local_name(element.tag) == "description":
                outline.description = element.text or ""
    stack: list[tuple[Element, list[OutlineItem]]] = [(body, outline.items)]
    while stack:
        element, into = stack.pop()
        for child in element:
            if local_name(child.tag) != "outline":
                continue
            node_type, text = _label(child.get("text", child.get("title", "")), kind)
            tags = [t.strip() for t in child.get("_tags", "").split(",") if t.strip()]
            item = OutlineItem(
                text=text,
                line=lines.get(child),
                note=child.get("_note", ""),
                type=node_type,
                tags=list(dict.fromkeys(tags)),
            )
            into.append(item)
            stack.append((child, item.children))
    return build_doc(outline, kind=kind, title=title)


def write_opml(doc: TreeDoc) -> bytes:
    outline = doc_to_outline(doc)
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = xml_safe(doc.title)
    if doc.description:
        SubElement(head, "description").text = xml_safe(doc.description)
    body = SubElement(root, "body")
    stack: list[tuple[Element, list[OutlineItem]]] = [(body, outline.items)]
    while stack:
        parent, items = stack.pop()
        for item in items:
            # Escaped like Workflowy's HTML and Dynalist's Markdown, so either reader's
            # stripping gives the text back.
            label = export_label(doc.kind, item, lambda s: escape_html(escape_markdown(s)))
            attrs = {"text": xml_safe(label)}
            if item.note:
                attrs["_note"] = xml_safe(item.note)
            if item.tags:
                attrs["_tags"] = xml_safe(",".join(item.tags))
            element = SubElement(parent, "outline", attrs)
            stack.append((element, item.children))
    indent(root)
    data: bytes = tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"
