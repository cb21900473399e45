"""Formats layer: the workshop's failure modes as CSV, one row per tag with its counts.

Columns: tag, critiques, trees, groups, broken_proposals. A tag that a spreadsheet would read
as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`.
"""

from __future__ import annotations

import csv
import io

from trees.formats.workshop.doc import WorkshopDoc

HEADER = ["tag", "critiques", "trees", "groups", "broken_proposals"]


def cell(value: object) -> str:
    text = str(value if value is not None else "")
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render(doc: WorkshopDoc) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in doc.failure_modes:
        writer.writerow(
            [
                cell(row.get("tag")),
                int(row.get("critiques") or 0),
                int(row.get("trees") or 0),
                int(row.get("groups") or 0),
                int(row.get("broken") or 0),
            ]
        )
    return buffer.getvalue().encode("utf-8")
