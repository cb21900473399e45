"""Formats layer: parsing untrusted XML (OPML, GraphML) safely, keeping line numbers.

defusedxml refuses entity declarations (billion laughs) and external entities or DTDs
(XXE) before they expand; those become `unsafe_xml`. Broken XML becomes `invalid_format`
with the line expat stopped at. Every element's start line is recorded for later messages.
"""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from trees.domain.errors import FormatError


class _LineTarget:
    """A TreeBuilder that also remembers where each element starts."""

    def __init__(self) -> None:
        self.builder = TreeBuilder()
        self.lines: dict[Element, int] = {}
        self.parser: Any = None

    def start(self, tag: str, attrs: dict[str, str]) -> Element:
        element = self.builder.start(tag, attrs)
        self.lines[element] = self.parser.parser.CurrentLineNumber
        return element

    def end(self, tag: str) -> Element:
        return self.builder.end(tag)

    def data(self, data: str) -> None:
        self.builder.data(data)

    def close(self) -> Element:
        return self.builder.close()


def parse_xml(data: bytes | str, expected: str) -> tuple[Element, dict[Element, int]]:
    """The root element and each element's line; FormatError for unsafe or broken XML."""
    target = _LineTarget()
    parser = DefusedXMLParser(target=target, forbid_dtd=False, forbid_entities=True)
    target.parser = parser
    try:
        parser.feed(data)
        root: Element = parser.close()
    except DefusedXmlException as exc:
        raise FormatError(
            "unsafe_xml",
            f"XML entity or DTD declarations are not accepted ({type(exc).__name__})",
        ) from None
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise FormatError(
            "invalid_format", f"not well-formed XML ({exc}); expected {expected}", line=line
        ) from None
    return root, target.lines


def local_name(tag: str) -> str:
    """`{namespace}node` -> `node`."""
    return tag.rsplit("}", 1)[-1]
