"""Formats layer: the workshop document the workshop exports write (plain data, no Django)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from trees.formats.doc import TreeDoc

MAX_WORKSHOP_EXPORT_BYTES = 64 * 1024 * 1024
# Surviving proposals and failure modes listed per group in the report.
REPORT_ROWS = 50


@dataclass
class WorkshopTree:
    """One tree of the workshop with where it belongs."""

    id: int
    doc: TreeDoc
    group: int | None
    exercise: int | None
    round: int | None = None
    participant: str | None = None
    link_kind: str = "group"


@dataclass
class WorkshopDoc:
    """A whole workshop with the figures its report shows.

    `groups`: `[{"id", "name", "members": [display names], "surviving": [{"tree", "label"}],
    "failure_modes": [{"tag", "critiques", "broken"}], "problems": n}]`;
    `exercises`: `[{"id", "title", "kind", "phase", "ranking": {"kind", "items": [...]}}]`
    (items as trees.analysis.workshop.cross_group_ranking gives them);
    `failure_modes`: `[{"tag", "critiques", "trees", "groups", "broken"}]`.
    """

    title: str
    exported_at: str
    groups: list[dict[str, Any]] = field(default_factory=list)
    exercises: list[dict[str, Any]] = field(default_factory=list)
    failure_modes: list[dict[str, Any]] = field(default_factory=list)
    trees: list[WorkshopTree] = field(default_factory=list)
