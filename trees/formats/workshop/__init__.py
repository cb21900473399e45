"""Formats layer: exports of a whole workshop, one small module per format, and their registry.

    data = export_workshop(doc, fmt="md")     # -> bytes; doc: a WorkshopDoc

- `md`: a Markdown report (per group: surviving proposals, top failure modes; across groups:
  each exercise's taut-constraint ranking), every user text escaped;
- `csv`: the failure modes with their counts, one row per tag;
- `json`: the lossless backup, every tree in the per-tree backup format (trees/formats/
  jsonbackup.py) with its group, exercise and round.

The caller (trees/workshop_export.py) computes the figures with the analysis layer; these
modules only write them. Every export is bounded by `MAX_WORKSHOP_EXPORT_BYTES`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from trees.domain.errors import FormatError
from trees.formats.workshop import backup, failure_csv, report
from trees.formats.workshop.doc import MAX_WORKSHOP_EXPORT_BYTES, WorkshopDoc, WorkshopTree


@dataclass(frozen=True, slots=True)
class WorkshopFormat:
    name: str
    label: str
    media_type: str
    extension: str
    render: Callable[[WorkshopDoc], bytes]


WORKSHOP_FORMATS: dict[str, WorkshopFormat] = {
    f.name: f
    for f in (
        WorkshopFormat(
            "md", "Markdown report", "text/markdown; charset=utf-8", ".md", report.render
        ),
        WorkshopFormat(
            "csv", "Failure modes (CSV)", "text/csv; charset=utf-8", ".csv", failure_csv.render
        ),
        WorkshopFormat("json", "JSON backup", "application/json", ".json", backup.render),
    )
}


def export_workshop(doc: WorkshopDoc, *, fmt: str) -> bytes:
    found = WORKSHOP_FORMATS.get(fmt)
    if found is None:
        raise FormatError(
            "unknown_format", f"format must be one of {', '.join(sorted(WORKSHOP_FORMATS))}"
        )
    data = found.render(doc)
    if len(data) > MAX_WORKSHOP_EXPORT_BYTES:
        raise FormatError(
            "too_large",
            f"this workshop would make a {found.label} over "
            f"{MAX_WORKSHOP_EXPORT_BYTES // (1024 * 1024)} MB; export its trees one by one",
        )
    return data


__all__ = [
    "MAX_WORKSHOP_EXPORT_BYTES",
    "WORKSHOP_FORMATS",
    "WorkshopDoc",
    "WorkshopFormat",
    "WorkshopTree",
    "export_workshop",
]
