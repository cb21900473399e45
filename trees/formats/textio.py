"""Formats layer: turning uploaded bytes into text, and refusing what is not text."""

from __future__ import annotations

import codecs

from trees.domain.errors import FormatError
from trees.formats.doc import MAX_INPUT_BYTES


def check_size(data: bytes | str) -> None:
    size = len(data.encode("utf-8")) if isinstance(data, str) else len(data)
    if size > MAX_INPUT_BYTES:
        raise FormatError(
            "too_large", f"the input is {size:,} bytes; at most {MAX_INPUT_BYTES:,} can be imported"
        )


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters: an image, archive or the like, not a text."""
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    return controls > max(2, len(head) // 100)


def decode_text(data: bytes | str, expected: str) -> str:
    """UTF-8 (or UTF-16 with a BOM) text with `\\n` line ends; `expected` names the format."""
    if isinstance(data, bytes):
        if looks_binary(data):
            raise FormatError(
                "invalid_format", f"this is binary data, not text; expected {expected}"
            )
        try:
            if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                text = data.decode("utf-16")
            else:
                text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1 if isinstance(exc.object, bytes) else None
            raise FormatError(
                "invalid_format", f"not UTF-8 text; expected {expected}", line=line
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")
